//! Gaussian smoothing with the exact sampled kernel (scipy's `gaussian_filter`).
//!
//! For each axis a with standard deviation σ_a in voxels the 1D kernel is
//! `w[k] = exp(-k² / (2σ_a²)) / Σ_j exp(-j² / (2σ_a²))` for `k = -r_a..=r_a` with
//! radius `r_a = ⌊truncate·σ_a + 0.5⌋` (truncate = 4 by default), exactly as
//! `scipy.ndimage.gaussian_filter(x, σ, mode='nearest', truncate=4.0)`. The
//! filter is separable: z, then y, then x (scipy's order). σ = 0 on an axis
//! leaves that axis untouched.
//!
//! * **Units**: σ in millimetres by default ([`Sigma::Mm`], σ_a = σ_mm / spacing_a),
//!   or in voxels ([`Sigma::Voxels`], spacing ignored).
//! * **Boundary**: edge replicate (ITK ZeroFluxNeumann = scipy `mode='nearest'`).
//! * **Types**: any pixel type in; f32 out (f64 for f64 input), computed in that type.
//! * **Blocks**: halo `r_a` per axis; the result does not depend on the plan or the
//!   thread count (every voxel is summed in the same order).
//!
//! This is the exact Gaussian, not SimpleITK's recursive (IIR) approximation
//! `SmoothingRecursiveGaussian`, which differs by a few HU on CT.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::gaussian::{gaussian, GaussianParams};
//! let v = Volume::from_vec([4, 3, 2], (0..24i16).collect(), Geometry::default()).unwrap();
//! let s = gaussian(&v, &GaussianParams::voxels(1.0), &Executor::default()).unwrap();
//! assert_eq!(s.size(), [4, 3, 2]);
//! assert!(GaussianParams::voxels(-1.0).radius(v.geometry()).is_err());
//! ```

use medvox_core::{AnyVolume, BlockInput, BlockPlan, Executor, Geometry, Volume};
use ndarray::{s, ArrayView3, ArrayViewMut3};

use crate::error::{FilterError, Result};
use crate::pixel::{FilterPixel, Real};
use crate::plan::{check_plan, clamp_index, extend_row};

const OP: &str = "gaussian";

/// Standard deviation of the Gaussian per axis `[x, y, z]`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sigma {
    /// In millimetres (divided by the voxel spacing of each axis).
    Mm([f64; 3]),
    /// In voxels (spacing ignored).
    Voxels([f64; 3]),
}

/// Parameters of [`gaussian`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GaussianParams {
    /// σ per axis, in mm or voxels.
    pub sigma: Sigma,
    /// Kernel radius in σ (scipy's `truncate`; 4 by default).
    #[serde(default = "default_truncate")]
    pub truncate: f64,
}

fn default_truncate() -> f64 {
    4.0
}

impl GaussianParams {
    /// The same σ in millimetres on every axis.
    pub fn mm(sigma: f64) -> Self {
        GaussianParams {
            sigma: Sigma::Mm([sigma; 3]),
            truncate: default_truncate(),
        }
    }

    /// The same σ in voxels on every axis.
    pub fn voxels(sigma: f64) -> Self {
        GaussianParams {
            sigma: Sigma::Voxels([sigma; 3]),
            truncate: default_truncate(),
        }
    }

    /// σ in voxels per axis `[x, y, z]` for a geometry; errors for NaN, infinite or negative values.
    pub fn sigma_voxels(&self, geometry: &Geometry) -> Result<[f64; 3]> {
        let (s, name) = match self.sigma {
            Sigma::Mm(s) => (s, "sigma"),
            Sigma::Voxels(s) => (s, "sigma_voxels"),
        };
        if let Some(bad) = s.iter().find(|v| !v.is_finite() || **v < 0.0) {
            return Err(FilterError::Parameter {
                op: OP,
                name,
                reason: format!("must be finite and >= 0, got {bad}"),
            });
        }
        if !self.truncate.is_finite() || self.truncate <= 0.0 {
            return Err(FilterError::Parameter {
                op: OP,
                name: "truncate",
                reason: format!("must be finite and > 0, got {}", self.truncate),
            });
        }
        Ok(match self.sigma {
            Sigma::Mm(s) => [0, 1, 2].map(|a| s[a] / geometry.spacing[a]),
            Sigma::Voxels(s) => s,
        })
    }

    /// Kernel radius per axis `[x, y, z]` in voxels: `⌊truncate·σ + 0.5⌋` (the halo).
    pub fn radius(&self, geometry: &Geometry) -> Result<[usize; 3]> {
        let sv = self.sigma_voxels(geometry)?;
        let mut r = [0usize; 3];
        for a in 0..3 {
            let x = self.truncate * sv[a] + 0.5;
            if x > 1e6 {
                return Err(FilterError::Parameter {
                    op: OP,
                    name: "sigma",
                    reason: format!("kernel radius {x:.0} voxels is too large"),
                });
            }
            r[a] = x as usize;
        }
        Ok(r)
    }
}

/// Half of the normalised sampled Gaussian `w[0..=r]` (w[k] = w[-k]), computed in f64 as scipy does.
pub fn kernel_half(sigma_voxels: f64, radius: usize) -> Vec<f64> {
    if radius == 0 || sigma_voxels <= 0.0 {
        return vec![1.0];
    }
    let c = -0.5 / (sigma_voxels * sigma_voxels);
    let full: Vec<f64> = (-(radius as i64)..=radius as i64)
        .map(|k| (c * (k * k) as f64).exp())
        .collect();
    let sum: f64 = full.iter().sum();
    full[radius..].iter().map(|w| w / sum).collect()
}

/// Gaussian smoothing of a volume on an executor's default plan (see the module docs).
pub fn gaussian<T: FilterPixel>(
    vol: &Volume<T>,
    params: &GaussianParams,
    exec: &Executor,
) -> Result<Volume<T::Float>> {
    let halo = params.radius(vol.geometry())?;
    gaussian_with_plan(vol, params, exec, &exec.plan(vol.size(), halo))
}

/// [`gaussian`] on a given block plan (its halo must be at least [`GaussianParams::radius`]).
pub fn gaussian_with_plan<T: FilterPixel>(
    vol: &Volume<T>,
    params: &GaussianParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T::Float>> {
    let sv = params.sigma_voxels(vol.geometry())?;
    let r = params.radius(vol.geometry())?;
    check_plan(OP, vol, plan, r)?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    let w: [Vec<T::Float>; 3] = [0, 1, 2].map(|a| {
        kernel_half(sv[a], r[a])
            .into_iter()
            .map(<T::Float as medvox_core::Pixel>::from_f64)
            .collect()
    });
    Ok(exec.map_blocks(vol, plan, |bi, out| gaussian_block(bi, out, &w)))
}

/// [`gaussian`] on a volume of any pixel type.
pub fn gaussian_any(
    vol: &AnyVolume,
    params: &GaussianParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(gaussian(v, params, exec)?)))
}

/// Row `(z, y)` of a `(z, y, x)` view as a slice (rows of medvox arrays are contiguous).
#[inline]
pub(crate) fn row<'a, T>(a: &ArrayView3<'a, T>, z: usize, y: usize) -> &'a [T] {
    a.slice_move(s![z, y, ..])
        .to_slice()
        .expect("rows of standard-layout arrays are contiguous")
}

/// Symmetric weighted sum of rows: `dst = w[0]·c + Σ_k w[k]·(lo_k + hi_k)`.
#[inline]
fn weighted_rows<'r, F: Real, S: Copy + 'r>(
    dst: &mut [F],
    w: &[F],
    conv: impl Fn(S) -> F + Copy,
    rows: impl Fn(usize) -> (&'r [S], &'r [S]),
) {
    let (c, _) = rows(0);
    for (d, &v) in dst.iter_mut().zip(c) {
        *d = w[0] * conv(v);
    }
    for (k, &wk) in w.iter().enumerate().skip(1) {
        let (a, b) = rows(k);
        for ((d, &a), &b) in dst.iter_mut().zip(a).zip(b) {
            *d += wk * (conv(a) + conv(b));
        }
    }
}

fn gaussian_block<T: FilterPixel>(
    bi: &BlockInput<'_, T>,
    mut out: ArrayViewMut3<'_, T::Float>,
    w: &[Vec<T::Float>; 3],
) {
    let data = bi.data.view();
    let (pz, py, px) = data.dim();
    let (iz, iy, ix) = out.dim();
    let o = bi.interior_offset();
    let rx = w[0].len() - 1;
    let zero = <T::Float as Real>::ZERO;
    let mut plane_z = vec![zero; py * px];
    let mut plane_y = vec![zero; iy * px];
    let mut ext = Vec::with_capacity(px + 2 * rx);
    for z in 0..iz {
        let zc = z + o[2];
        // z pass: every row of the padded plane.
        for (y, dst) in plane_z.chunks_exact_mut(px).enumerate() {
            weighted_rows(dst, &w[2], T::to_real, |k| {
                let k = k as isize;
                (
                    row(&data, clamp_index(zc, -k, pz), y),
                    row(&data, clamp_index(zc, k, pz), y),
                )
            });
        }
        // y pass: interior rows.
        for (y, dst) in plane_y.chunks_exact_mut(px).enumerate() {
            let yc = y + o[1];
            let src = &plane_z;
            weighted_rows(
                dst,
                &w[1],
                |v| v,
                |k| {
                    let k = k as isize;
                    let (a, b) = (clamp_index(yc, -k, py), clamp_index(yc, k, py));
                    (&src[a * px..(a + 1) * px], &src[b * px..(b + 1) * px])
                },
            );
        }
        // x pass: interior voxels of each row, on a row extended by edge replication.
        for (y, src) in plane_y.chunks_exact(px).enumerate() {
            extend_row(src, rx, &mut ext, |v| v);
            let dst = out
                .slice_mut(s![z, y, ..])
                .into_slice()
                .expect("rows of standard-layout arrays are contiguous");
            let base = rx + o[0];
            weighted_rows(
                dst,
                &w[0],
                |v| v,
                |k| (&ext[base - k..base - k + ix], &ext[base + k..base + k + ix]),
            );
        }
    }
}
