//! Histogram of a device volume over given bin edges: workgroup-local atomic
//! sub-histograms (up to [`LOCAL_BINS`] bins) merged into one global u32 histogram,
//! or global atomics for more bins.
//!
//! Bins are defined on the host in f64 (the CPU op's bounds) and passed as f32
//! edges rounded *up* ([`f32_edge`]): for an f32 voxel `v` and an f64 bound `b`,
//! `v >= b` exactly when `v >= ceil_f32(b)`, so every voxel lands in the bin the
//! CPU's f64 comparison picks. The kernel guesses the bin from the mean width and
//! corrects it against the edges (a search of the edges, whatever the rounding).
//!
//! Bytes moved per voxel: 4 (one f32 read; the counters stay in workgroup memory).

use crate::context::{GpuContext, Uniform};
use crate::error::{GpuError, Result};
use crate::volume::GpuVolume;

const SRC: &str = include_str!("histogram.wgsl");

/// Bins the workgroup-local kernel holds (16 KiB of workgroup memory).
pub const LOCAL_BINS: usize = 4096;

/// Bytes read per voxel.
pub const BYTES_PER_VOXEL: u64 = 4;

/// Workgroups of the strided local kernel.
const GROUPS: u64 = 1024;

/// The smallest f32 not below `b` (`+∞` above the f32 range).
pub fn f32_edge(b: f64) -> f32 {
    let f = b as f32;
    if f64::from(f) < b {
        next_up(f)
    } else {
        f
    }
}

/// The smallest f32 above `f` (`f32::next_up`, stable only since Rust 1.86,
/// above the crate's MSRV): `f` itself for NaN and `+∞`.
pub fn next_up(f: f32) -> f32 {
    if f.is_nan() || f == f32::INFINITY {
        f
    } else if f == 0.0 {
        f32::from_bits(1)
    } else if f > 0.0 {
        f32::from_bits(f.to_bits() + 1)
    } else {
        f32::from_bits(f.to_bits() - 1)
    }
}

/// Counts the voxels of `v` per bin of `edges` (`edges.len() − 1` bins, edges
/// non-decreasing): submits `enc` with the histogram and reads the counts back.
pub fn counts(
    ctx: &GpuContext,
    mut enc: wgpu::CommandEncoder,
    v: &GpuVolume,
    edges: &[f32],
) -> Result<Vec<u64>> {
    let nb = edges.len().saturating_sub(1);
    if nb == 0 || nb > i32::MAX as usize || (nb as u64 * 4) > ctx.max_binding() {
        return Err(GpuError::Unsupported {
            op: "histogram".into(),
            reason: format!(": {nb} bins"),
        });
    }
    let n = v.len() as u64;
    let hist = ctx.storage(nb as u64 * 4);
    enc.clear_buffer(&hist, 0, None);
    let aux = ctx.aux(edges);
    let (entry, groups, threads) = if nb <= LOCAL_BINS {
        let g = n.div_ceil(256).clamp(1, GROUPS);
        ("hist_local", g, g * 256)
    } else {
        ("hist_global", n.div_ceil(256), n)
    };
    let u = Uniform {
        dims: [groups as u32, 1, 1, n as u32],
        ia: [nb as i32, 0, 0, 0],
        ..Default::default()
    };
    let pipe = ctx.pipeline("histogram", SRC, entry);
    if n > 0 {
        ctx.dispatch(&mut enc, &pipe, &u, &v.buffer, &hist, Some(&aux), threads);
    }
    ctx.submit(enc)?;
    let c: Vec<u32> = bytemuck::pod_collect_to_vec(&ctx.read(&hist, nb as u64 * 4)?);
    Ok(c.into_iter().map(u64::from).collect())
}

#[cfg(test)]
mod tests {
    use super::next_up;

    #[test]
    fn next_up_steps_one_ulp() {
        assert_eq!(next_up(1.0), 1.0 + f32::EPSILON);
        assert_eq!(next_up(0.0), f32::from_bits(1));
        assert_eq!(next_up(-0.0), f32::from_bits(1));
        assert_eq!(next_up(-f32::from_bits(1)), -0.0);
        assert_eq!(next_up(-1.0), -1.0 + f32::EPSILON / 2.0);
        assert_eq!(next_up(f32::MAX), f32::INFINITY);
        assert_eq!(next_up(f32::NEG_INFINITY), f32::MIN);
        assert_eq!(next_up(f32::INFINITY), f32::INFINITY);
        assert!(next_up(f32::NAN).is_nan());
    }
}
