//! Global histogram equalisation of integer volumes, identical to
//! [`medvox_filters::equalize()`] (skimage's `equalize_hist`) without a mask.
//!
//! For integer input every value in [min, max] is its own bin, and the output is
//! the exact cdf `#{v ≤ x} / n` rounded once to f32:
//! 1. min/max over the z-slabs ([`super::otsu::range`], GPU reductions);
//! 2. one bin per integer (edges `min + i`, exact in f32 for |v| ≤ 2²⁴) counted on
//!    the GPU ([`super::histogram`]) and summed over the slabs in u64;
//! 3. the cdf `f32(Σcounts / total)` (f64 division, as the CPU) on the host;
//! 4. a per-voxel lookup of the cdf (`lut` kernel) writes f32.
//!
//! Float volumes have no kernel (their numpy binning and interpolation stay on the
//! CPU); a mask is not supported here. Volumes larger than one binding run in
//! z-slabs (each uploaded once per step); one slab is uploaded once.
//!
//! Bytes moved per voxel: 16 (min/max 4, histogram 4, lookup 8).

use medvox_core::{AnyVolume, PixelType};
use medvox_filters::EqualizeParams;

use super::histogram;
use super::otsu::{range, HostSlabs};
use crate::context::GpuContext;
use crate::error::{GpuError, Result};
use crate::stream::{stream, Produced};
use crate::volume::from_f32;

const SRC: &str = include_str!("equalize.wgsl");

/// Bytes read and written per voxel by the four steps.
pub const BYTES_PER_VOXEL: u64 = 16;

/// Most distinct integer values (bins) the GPU histogram takes.
pub const MAX_VALUES: i64 = 1 << 22;

/// Whether the parameters have a GPU kernel (no mask).
pub fn supported(p: &EqualizeParams) -> bool {
    p.mask.is_none()
}

fn unsupported(reason: impl Into<String>) -> GpuError {
    GpuError::Unsupported {
        op: "equalize".into(),
        reason: reason.into(),
    }
}

/// Errors unless `ty` has a kernel: integer pixel types only.
pub fn check_type(ty: PixelType) -> Result<()> {
    if ty.is_float() {
        return Err(unsupported(format!(
            ": only integer pixel types have a GPU kernel ({ty:?} input: use --device cpu or auto)"
        )));
    }
    Ok(())
}

/// Equalises an integer host volume to f32 (see the module docs).
pub fn equalize(ctx: &GpuContext, vol: &AnyVolume, p: &EqualizeParams) -> Result<AnyVolume> {
    let max_bins = medvox_filters::equalize::MAX_BINS;
    if p.bins == 0 || p.bins > max_bins {
        return Err(medvox_filters::FilterError::Parameter {
            op: "equalize",
            name: "bins",
            reason: format!("must be in 1..={max_bins}, got {}", p.bins),
        }
        .into());
    }
    if !supported(p) {
        return Err(unsupported(": the GPU equalises without a mask"));
    }
    check_type(vol.pixel_type())?;
    let size = vol.size();
    if vol.is_empty() {
        return from_f32(size, Vec::new(), *vol.geometry(), PixelType::F32);
    }
    let h = HostSlabs::new(ctx, vol, "equalize")?;
    let slab = |s| h.get(ctx, s);
    let Some((lo, hi)) = range(ctx, &h.slabs, slab)? else {
        return Err(medvox_filters::FilterError::Parameter {
            op: "equalize",
            name: "mask",
            reason: "no voxel to build the histogram from (empty mask or only NaN)".into(),
        }
        .into());
    };
    let (min, max) = (lo as i64, hi as i64);
    let nb = max - min + 1;
    if nb > MAX_VALUES {
        return Err(unsupported(format!(
            ": {nb} distinct integer values exceed the GPU histogram's {MAX_VALUES}"
        )));
    }
    let edges: Vec<f32> = (0..=nb)
        .map(|i| histogram::f32_edge((min + i) as f64))
        .collect();
    let mut counts = vec![0u64; nb as usize];
    for &s in &h.slabs {
        let c = histogram::counts(ctx, ctx.encoder(), &*h.get(ctx, s)?, &edges)?;
        counts.iter_mut().zip(c).for_each(|(a, b)| *a += b);
    }
    let total = counts.iter().sum::<u64>() as f64;
    let mut acc = 0u64;
    let cdf: Vec<f32> = counts
        .iter()
        .map(|&c| {
            acc += c;
            (acc as f64 / total) as f32
        })
        .collect();
    let aux = ctx.aux(&cdf);
    let mut out = Vec::with_capacity(vol.len());
    let record = |i: usize, enc: &mut wgpu::CommandEncoder| {
        let v = h.get(ctx, h.slabs[i])?;
        let ia = [min as i32, nb as i32, 0, 0];
        let key = ("equalize", SRC, "lut");
        let r = ctx.per_voxel(enc, key, &v, PixelType::F32, ia, [0.0; 4], Some(&aux));
        Ok(Produced::all(r))
    };
    stream(ctx, h.slabs.len(), record, |_, v: &[f32]| {
        out.extend_from_slice(v);
        Ok(())
    })?;
    from_f32(size, out, *vol.geometry(), PixelType::F32)
}
