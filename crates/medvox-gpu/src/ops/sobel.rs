//! Sobel gradient magnitude ([`medvox_filters::sobel`]): per axis the derivative
//! `[-1, 0, 1]` along it and `[1, 2, 1]` along the two others (scipy's separable 3D
//! Sobel), magnitude `sqrt(g_x² + g_y² + g_z²)`, spacing ignored, edge replicate, f32
//! out. The 27-neighbour sums are exact for integer inputs; the CPU computes in f64,
//! so f32 results agree within a few ulps.
//!
//! Bytes moved per voxel: 8 (f32 read + write; the 26 neighbours come from caches).

use medvox_core::PixelType;

use crate::context::GpuContext;
use crate::volume::GpuVolume;

const SRC: &str = include_str!("sobel.wgsl");

/// Bytes read and written per voxel.
pub const BYTES_PER_VOXEL: u64 = 8;

/// Sobel magnitude to f32.
pub fn sobel(ctx: &GpuContext, enc: &mut wgpu::CommandEncoder, src: &GpuVolume) -> GpuVolume {
    ctx.per_voxel(
        enc,
        ("sobel", SRC, "sobel"),
        src,
        PixelType::F32,
        [0; 4],
        [0.0; 4],
        None,
    )
}
