//! Grey and binary erode/dilate/open/close with box and ITK-ball elements
//! ([`medvox_filters::morphology`]).
//!
//! * **Box**: three 1D min/max passes (x, y, z), exact for a box.
//! * **Ball**: the element's x-runs from [`Kernel::half_width`] (the CPU's element)
//!   are passed as a list; each voxel takes the min/max over every run.
//! * **Binary**: the mask `x == foreground` becomes 0/1, the grey op runs on it, and
//!   the result maps back to `0/foreground` (the CPU's definition).
//! * Out-of-image voxels are ignored, as on the CPU. Results are input values:
//!   identical to the CPU.
//!
//! Bytes moved per voxel: 8 per pass (box: 3 passes per erosion/dilation; ball: 1
//! pass reading `count` voxels through caches); open/close twice that; binary adds
//! two pointwise passes (16).

use medvox_filters::{Kernel, MorphOp, MorphologyParams};

use crate::context::GpuContext;
use crate::error::Result;
use crate::volume::GpuVolume;

const SRC: &str = include_str!("morphology.wgsl");

/// Bytes read and written per voxel and pass.
pub const BYTES_PER_VOXEL_PASS: u64 = 8;

/// One erosion (`max = false`) or dilation.
fn grey(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    r: [usize; 3],
    kernel: Kernel,
    max: bool,
) -> GpuVolume {
    let ty = src.pixel_type();
    match kernel {
        Kernel::Box => {
            let axes = (0..3).filter(|&a| r[a] > 0);
            super::chain(src, axes, |v, a| {
                let ia = [a as i32, r[a] as i32, 0, i32::from(max)];
                ctx.per_voxel(enc, ("morphology", SRC, "line"), v, ty, ia, [0.0; 4], None)
            })
            .unwrap_or_else(|| super::pointwise::cast(ctx, enc, src, ty))
        }
        Kernel::Ball => {
            let mut list = Vec::new();
            for dz in -(r[2] as i64)..=r[2] as i64 {
                for dy in -(r[1] as i64)..=r[1] as i64 {
                    if let Some(w) = kernel.half_width(r, dy, dz) {
                        list.extend([dy as f32, dz as f32, w as f32]);
                    }
                }
            }
            let aux = ctx.aux(&list);
            let ia = [(list.len() / 3) as i32, 0, 0, i32::from(max)];
            let key = ("morphology", SRC, "runs");
            ctx.per_voxel(enc, key, src, ty, ia, [0.0; 4], Some(&aux))
        }
    }
}

/// Halo the op needs (radius; twice that for open and close).
pub fn halo(op: MorphOp, p: &MorphologyParams) -> [usize; 3] {
    match op {
        MorphOp::Erode | MorphOp::Dilate => p.radius,
        _ => p.radius.map(|r| 2 * r),
    }
}

/// The morphological op `op` keeping the pixel type.
pub fn morphology(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    op: MorphOp,
    p: &MorphologyParams,
) -> Result<GpuVolume> {
    let ty = src.pixel_type();
    medvox_core::for_pixel_type!(ty, T => p.check::<T>(op))?;
    let (r, k) = (p.radius, p.kernel);
    let mask;
    let input = if p.binary {
        mask = super::pointwise::binarize(ctx, enc, src, p.foreground);
        &mask
    } else {
        src
    };
    let out = match op {
        MorphOp::Erode => grey(ctx, enc, input, r, k, false),
        MorphOp::Dilate => grey(ctx, enc, input, r, k, true),
        MorphOp::Open => {
            let e = grey(ctx, enc, input, r, k, false);
            grey(ctx, enc, &e, r, k, true)
        }
        MorphOp::Close => {
            let d = grey(ctx, enc, input, r, k, true);
            grey(ctx, enc, &d, r, k, false)
        }
    };
    Ok(if p.binary {
        super::pointwise::unbinarize(ctx, enc, &out, p.foreground, ty)
    } else {
        out.with_pixel(ty)
    })
}
