//! Median over a `(2r_x+1)(2r_y+1)(2r_z+1)` box ([`medvox_filters::median()`]), edge
//! replicate, for windows of at most 125 voxels (r = 1 and r = 2 boxes): the window
//! is held in registers and the middle element selected. The result is one of the
//! input values, so it equals the CPU's exactly (NaN order unspecified on both).
//!
//! Bytes moved per voxel: 8 (one f32 output written, the window read through caches).

use medvox_filters::MedianParams;

use crate::context::GpuContext;
use crate::error::{GpuError, Result};
use crate::volume::GpuVolume;

const SRC: &str = include_str!("median.wgsl");

/// Largest window the kernel holds in registers.
pub const MAX_WINDOW: usize = 125;

/// Bytes read and written per voxel (ideal caching).
pub const BYTES_PER_VOXEL: u64 = 8;

/// Whether the kernel handles this radius.
pub fn supported(p: &MedianParams) -> bool {
    p.radius.iter().map(|&r| 2 * r + 1).product::<usize>() <= MAX_WINDOW
}

/// Median keeping the pixel type.
pub fn median(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    p: &MedianParams,
) -> Result<GpuVolume> {
    p.window()?;
    if !supported(p) {
        return Err(GpuError::Unsupported {
            op: "median".into(),
            reason: format!(
                ": window of radius {:?} exceeds {MAX_WINDOW} voxels",
                p.radius
            ),
        });
    }
    let r = p.radius;
    Ok(ctx.per_voxel(
        enc,
        ("median", SRC, "median"),
        src,
        src.pixel_type(),
        [r[0] as i32, r[1] as i32, r[2] as i32, 0],
        [0.0; 4],
        None,
    ))
}
