//! Sampled Gaussian derivative kernels (scipy's `_gaussian_kernel1d`) and the
//! separable correlation passes shared by [`crate::log`] and
//! [`crate::gradient_gaussian`].
//!
//! With φ the normalised sampled Gaussian of [`crate::gaussian::kernel_half`] the
//! correlation weight at offset k is φ(k) (order 0), `k/σ²·φ(k)` (order 1: a
//! derivative, positive on a rising edge) or `(k²/σ⁴ − 1/σ²)·φ(k)` (order 2), as
//! `scipy.ndimage.gaussian_filter1d(order=…)` builds them. Everything is in f64.

use medvox_core::{BlockInput, BlockPlan, Executor, Geometry, Pixel, Volume};
use ndarray::{ArrayView3, ArrayViewMut3};

use crate::error::{FilterError, Result};
use crate::gaussian::{kernel_half, row, GaussianParams, Sigma};
use crate::pixel::FilterPixel;
use crate::plan::{check_plan, clamp_index, extend_row};

/// A 1D correlation kernel: `w[k]` for offsets `0..=r`; the weight at `−k` is `w[k]`
/// (even) or `−w[k]` (odd, then `w[0] = 0`).
#[derive(Debug, Clone)]
pub(crate) struct Kernel1d {
    w: Vec<f64>,
    odd: bool,
}

impl Kernel1d {
    /// scipy's Gaussian derivative kernel of `order` (0, 1 or 2) for σ in voxels.
    pub(crate) fn new(sigma: f64, order: u8, radius: usize) -> Self {
        let phi = kernel_half(sigma, radius);
        let s2 = sigma * sigma;
        let p = 1.0 / -s2;
        let w = phi
            .iter()
            .enumerate()
            .map(|(k, &f)| {
                let k = k as f64;
                match order {
                    0 => f,
                    1 => -(k * p) * f,
                    _ => (p + k * k * (p * p)) * f,
                }
            })
            .collect();
        Kernel1d { w, odd: order == 1 }
    }

    /// `dst = Σ_k w(k)·lane(k)` over the offsets `k = −r..=r`.
    pub(crate) fn correlate<'a, S: Copy + 'a>(
        &self,
        dst: &mut [f64],
        conv: impl Fn(S) -> f64 + Copy,
        lane: impl Fn(isize) -> &'a [S],
    ) {
        if self.odd {
            dst.fill(0.0);
        } else {
            for (d, &v) in dst.iter_mut().zip(lane(0)) {
                *d = self.w[0] * conv(v);
            }
        }
        let sign = if self.odd { -1.0 } else { 1.0 };
        for (k, &wk) in self.w.iter().enumerate().skip(1) {
            let (hi, lo) = (lane(k as isize), lane(-(k as isize)));
            for ((d, &h), &l) in dst.iter_mut().zip(hi).zip(lo) {
                *d += wk * (conv(h) + sign * conv(l));
            }
        }
    }

    /// Along z: every padded row of plane `zc` into `dst` (`py·px` values).
    pub(crate) fn z_plane<T: Pixel>(&self, data: &ArrayView3<'_, T>, zc: usize, dst: &mut [f64]) {
        let (pz, _, px) = data.dim();
        for (y, d) in dst.chunks_exact_mut(px).enumerate() {
            self.correlate(d, T::to_f64, |k| row(data, clamp_index(zc, k, pz), y));
        }
    }

    /// Along y: interior row `yc` of a plane of `px`-wide rows into `dst`.
    pub(crate) fn y_row(&self, plane: &[f64], px: usize, yc: usize, dst: &mut [f64]) {
        let py = plane.len() / px;
        self.correlate(dst, |v| v, |k| &plane[clamp_index(yc, k, py) * px..][..px]);
    }

    /// Along x: the interior `x0..x0+dst.len()` of a padded row into `dst`
    /// (`ext` is scratch space).
    pub(crate) fn x_row(&self, src: &[f64], x0: usize, ext: &mut Vec<f64>, dst: &mut [f64]) {
        let r = self.w.len() - 1;
        extend_row(src, r, ext, |v| v);
        let n = dst.len();
        let base = r + x0;
        let ext = &ext[..];
        self.correlate(dst, |v| v, |k| &ext[(base as isize + k) as usize..][..n]);
    }
}

/// σ in voxels and kernel radius per axis for an op needing σ > 0 on every axis
/// (the same σ/`truncate` rules as [`GaussianParams`]).
pub(crate) fn sigma_radius(
    op: &'static str,
    params: &GaussianParams,
    geometry: &Geometry,
) -> Result<([f64; 3], [usize; 3])> {
    let sv = params.sigma_voxels(geometry)?;
    if let Some(bad) = sv.iter().find(|s| **s <= 0.0) {
        return Err(FilterError::Parameter {
            op,
            name: "sigma",
            reason: format!("must be > 0 on every axis, got {bad} voxels"),
        });
    }
    Ok((sv, params.radius(geometry)?))
}

/// Scale of a derivative of `order` per axis: `1/s_a^order` for σ in mm (derivatives
/// per mm), 1 for σ in voxels (per voxel).
pub(crate) fn unit_scale(params: &GaussianParams, geometry: &Geometry, order: i32) -> [f64; 3] {
    match params.sigma {
        Sigma::Mm(_) => geometry.spacing.map(|s| 1.0 / s.powi(order)),
        Sigma::Voxels(_) => [1.0; 3],
    }
}

/// One block of a derivative filter: `(input, output, order-0 kernels, order-n
/// kernels, unit scale per axis)`.
pub(crate) type DerivativeBlock<T> = fn(
    &BlockInput<'_, T>,
    ArrayViewMut3<'_, <T as FilterPixel>::Float>,
    &[Kernel1d; 3],
    &[Kernel1d; 3],
    [f64; 3],
);

/// Runs a Gaussian-derivative filter of `order` (the driver of [`crate::log`] and
/// [`crate::gradient_gaussian`]): checks σ and the plan (the executor's default when
/// `None`), builds the kernels of order 0 and `order` per axis and the unit scale,
/// and maps `block` over the blocks.
pub(crate) fn run_derivative<T: FilterPixel>(
    op: &'static str,
    order: u8,
    vol: &Volume<T>,
    params: &GaussianParams,
    exec: &Executor,
    plan: Option<&BlockPlan>,
    block: DerivativeBlock<T>,
) -> Result<Volume<T::Float>> {
    let (sv, r) = sigma_radius(op, params, vol.geometry())?;
    let auto;
    let plan = match plan {
        Some(p) => p,
        None => {
            auto = exec.plan(vol.size(), r);
            &auto
        }
    };
    check_plan(op, vol, plan, r)?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    let k0 = [0, 1, 2].map(|a| Kernel1d::new(sv[a], 0, r[a]));
    let kn = [0, 1, 2].map(|a| Kernel1d::new(sv[a], order, r[a]));
    let c = unit_scale(params, vol.geometry(), order as i32);
    Ok(exec.map_blocks(vol, plan, |bi, out| block(bi, out, &k0, &kn, c)))
}
