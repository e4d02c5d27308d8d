//! Separable symmetric 1D passes: the exact Gaussian and the box mean.
//!
//! * **Gaussian**: the CPU's sampled kernel ([`medvox_filters::gaussian::kernel_half`],
//!   σ from [`GaussianParams::sigma_voxels`], radius `⌊truncate·σ + 0.5⌋`), rounded
//!   to f32 as the CPU does, applied along z, then y, then x (scipy's and the CPU's
//!   order) with edge replicate; an axis of radius 0 is skipped (the CPU multiplies
//!   by 1). The sum runs in the CPU's order; GPUs may fuse multiply-adds, so f32
//!   results agree within a few ulps.
//! * **Mean**: three box sums (weights 1), the last divided by the window size
//!   (the CPU sums in f64 and divides once: integer inputs below 2²⁴ sum exactly,
//!   the division may differ by an ulp).
//!
//! Bytes moved per voxel: 8 per pass that runs (f32 read + write; neighbours come
//! from caches), so 24 for a 3D Gaussian or mean. The kernel reads `2r+1` voxels
//! per output along the axis (no shared-memory tiling yet).

use medvox_core::PixelType;
use medvox_filters::{GaussianParams, MeanParams};

use crate::context::GpuContext;
use crate::error::Result;
use crate::volume::GpuVolume;

const SRC: &str = include_str!("separable.wgsl");

/// Bytes read and written per voxel and pass.
pub const BYTES_PER_VOXEL_PASS: u64 = 8;

/// One pass along `axis` with the half kernel `w` (`w.len() = r + 1`) and divisor `div`.
fn pass(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    (axis, w, div): &(usize, Vec<f32>, f32),
) -> GpuVolume {
    let aux = ctx.aux(w);
    ctx.per_voxel(
        enc,
        ("separable", SRC, "conv1d"),
        src,
        PixelType::F32,
        [*axis as i32, w.len() as i32 - 1, 0, 0],
        [*div, 0.0, 0.0, 0.0],
        Some(&aux),
    )
}

/// Runs the passes `(axis, half kernel, divisor)` in order; none: an f32 copy.
fn passes(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    list: &[(usize, Vec<f32>, f32)],
) -> GpuVolume {
    super::chain(src, list, |v, p| pass(ctx, enc, v, p))
        .unwrap_or_else(|| super::pointwise::affine(ctx, enc, src, 0.0, 0.0, 1.0))
}

/// Exact Gaussian to f32 ([`medvox_filters::gaussian()`]).
pub fn gaussian(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    p: &GaussianParams,
) -> Result<GpuVolume> {
    let sv = p.sigma_voxels(src.geometry())?;
    let r = p.radius(src.geometry())?;
    let list: Vec<(usize, Vec<f32>, f32)> = [2, 1, 0]
        .into_iter()
        .filter(|&a| r[a] > 0 && sv[a] > 0.0)
        .map(|a| {
            let w = medvox_filters::gaussian::kernel_half(sv[a], r[a])
                .into_iter()
                .map(|v| v as f32)
                .collect();
            (a, w, 1.0)
        })
        .collect();
    Ok(passes(ctx, enc, src, &list))
}

/// Box mean to f32 ([`medvox_filters::mean::mean()`]).
pub fn mean(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    p: &MeanParams,
) -> Result<GpuVolume> {
    let r = p.halo()?;
    let count: f64 = r.iter().map(|&ra| (2 * ra + 1) as f64).product();
    let mut list: Vec<(usize, Vec<f32>, f32)> = [2, 1, 0]
        .into_iter()
        .filter(|&a| r[a] > 0)
        .map(|a| (a, vec![1.0; r[a] + 1], 1.0))
        .collect();
    if let Some(last) = list.last_mut() {
        last.2 = count as f32;
    }
    Ok(passes(ctx, enc, src, &list))
}
