//! Recursive (IIR) Gaussian smoothing, ITK's `SmoothingRecursiveGaussian`.
//!
//! Along each axis (x, then y, then z, ITK's order) the line is filtered by
//! Deriche's 4th-order recursive approximation of the Gaussian: a causal pass
//! `y⁺[i] = Σ_{k=0..3} N_k x[i−k] − Σ_{k=1..4} D_k y⁺[i−k]` and an anti-causal pass
//! `y⁻[i] = Σ_{k=1..4} M_k x[i+k] − Σ_{k=1..4} D_k y⁻[i+k]`, output `y⁺ + y⁻`, with
//! ITK's coefficients (`RecursiveGaussianImageFilter::SetUp`, zero order,
//! `normalizeAcrossScale = false`: unit DC gain) and its boundary start (the signal
//! continues with the edge value to infinity: edge replicate, in steady state).
//! Matches SimpleITK `SmoothingRecursiveGaussian(img, σ_mm, normalizeAcrossScale=False)`
//! to about 1e-7 of the range (ITK keeps f32 images between the axes).
//!
//! * **Cost** is independent of σ (about 16 multiply-adds per voxel and axis):
//!   prefer it to the exact [`gaussian`](crate::gaussian()) for large σ. It is an
//!   approximation: it differs from the sampled Gaussian by up to ~0.5 % of the range
//!   at sharp edges.
//! * **Units**: σ in mm (divided by the spacing) or in voxels; σ = 0 leaves an axis
//!   untouched (ITK would divide by zero). NaN, infinite or negative σ is an error.
//! * **Axes shorter than 4 voxels** (which ITK refuses) use the same recursion with
//!   the edge values continued.
//! * **Types**: any pixel type in; each line is filtered in f64, stored between the
//!   axes and returned as f32 (f64 for f64 input).
//! * **Parallelism**: not a block op (every output depends on its whole line): each
//!   axis pass runs in parallel over lines on the executor's pool; the result does
//!   not depend on the thread count.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::recursive_gaussian::{recursive_gaussian, RecursiveGaussianParams};
//! let v = Volume::from_vec([8, 1, 1], vec![5.0f32; 8], Geometry::default()).unwrap();
//! let s = recursive_gaussian(&v, &RecursiveGaussianParams::voxels(2.0), &Executor::default()).unwrap();
//! assert!(s.as_slice().iter().all(|&x| (x - 5.0).abs() < 1e-5));
//! ```

use medvox_core::{AnyVolume, Executor, Geometry, Pixel, Volume};
use ndarray::Axis;
use rayon::prelude::*;

use crate::error::{FilterError, Result};
use crate::gaussian::{GaussianParams, Sigma};
use crate::pixel::FilterPixel;

const OP: &str = "gaussian-recursive";

/// Largest σ accepted, in voxels (the recursion loses precision far beyond).
pub const MAX_SIGMA_VOXELS: f64 = 1e5;

/// Parameters of [`recursive_gaussian`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RecursiveGaussianParams {
    /// σ per axis, in mm or voxels.
    pub sigma: Sigma,
}

impl RecursiveGaussianParams {
    /// The same σ in millimetres on every axis.
    pub fn mm(sigma: f64) -> Self {
        RecursiveGaussianParams {
            sigma: Sigma::Mm([sigma; 3]),
        }
    }

    /// The same σ in voxels on every axis.
    pub fn voxels(sigma: f64) -> Self {
        RecursiveGaussianParams {
            sigma: Sigma::Voxels([sigma; 3]),
        }
    }

    /// σ in voxels per axis `[x, y, z]`; errors for NaN, infinite, negative or huge values.
    pub fn sigma_voxels(&self, geometry: &Geometry) -> Result<[f64; 3]> {
        let sv = GaussianParams {
            sigma: self.sigma,
            truncate: 4.0,
        }
        .sigma_voxels(geometry)
        .map_err(|e| match e {
            FilterError::Parameter { name, reason, .. } => FilterError::Parameter {
                op: OP,
                name,
                reason,
            },
            e => e,
        })?;
        if let Some(bad) = sv.iter().find(|s| **s > MAX_SIGMA_VOXELS) {
            return Err(FilterError::Parameter {
                op: OP,
                name: "sigma",
                reason: format!("{bad} voxels is too large (at most {MAX_SIGMA_VOXELS})"),
            });
        }
        Ok(sv)
    }
}

/// Coefficients of the zero-order recursive Gaussian for one σ (ITK's names).
#[derive(Debug, Clone, Copy)]
struct Coefficients {
    n: [f64; 4],
    m: [f64; 4],
    d: [f64; 4],
    bn: [f64; 4],
    bm: [f64; 4],
}

impl Coefficients {
    /// ITK `RecursiveGaussianImageFilter::SetUp` for `ZeroOrder`, σ in voxels.
    fn zero_order(sigmad: f64) -> Self {
        // Parameters of the exponential series (ITK, after Farnebäck and Westin).
        let (a1, b1, w1, l1) = (1.3530, 1.8151, 0.6681, -1.3932);
        let (a2, b2, w2, l2) = (-0.3531, 0.0902, 2.0787, -1.3732);
        let (sin1, sin2) = ((w1 / sigmad).sin(), (w2 / sigmad).sin());
        let (cos1, cos2) = ((w1 / sigmad).cos(), (w2 / sigmad).cos());
        let (exp1, exp2) = ((l1 / sigmad).exp(), (l2 / sigmad).exp());

        let n0 = a1 + a2;
        let mut n1 = exp2 * (b2 * sin2 - (a2 + 2.0 * a1) * cos2);
        n1 += exp1 * (b1 * sin1 - (a1 + 2.0 * a2) * cos1);
        let mut n2 = (a1 + a2) * cos2 * cos1;
        n2 -= b1 * cos2 * sin1 + b2 * cos1 * sin2;
        n2 *= 2.0 * exp1 * exp2;
        n2 += a2 * exp1 * exp1 + a1 * exp2 * exp2;
        let mut n3 = exp2 * exp1 * exp1 * (b2 * sin2 - a2 * cos2);
        n3 += exp1 * exp2 * exp2 * (b1 * sin1 - a1 * cos1);

        let d4 = exp1 * exp1 * exp2 * exp2;
        let mut d3 = -2.0 * cos1 * exp1 * exp2 * exp2;
        d3 += -2.0 * cos2 * exp2 * exp1 * exp1;
        let mut d2 = 4.0 * cos2 * cos1 * exp1 * exp2;
        d2 += exp1 * exp1 + exp2 * exp2;
        let d1 = -2.0 * (exp2 * cos2 + exp1 * cos1);

        let sn = n0 + n1 + n2 + n3;
        let sd = 1.0 + d1 + d2 + d3 + d4;
        let alpha0 = 2.0 * sn / sd - n0;
        let n = [n0, n1, n2, n3].map(|v| v * (1.0 / alpha0));
        let d = [d1, d2, d3, d4];
        // Symmetric (zero order): M_k = N_k − D_k·N_0, M_4 = −D_4·N_0.
        let m = [
            n[1] - d[0] * n[0],
            n[2] - d[1] * n[0],
            n[3] - d[2] * n[0],
            -d[3] * n[0],
        ];
        let sn = n[0] + n[1] + n[2] + n[3];
        let sm = m[0] + m[1] + m[2] + m[3];
        Coefficients {
            n,
            m,
            d,
            bn: d.map(|dk| dk * sn / sd),
            bm: d.map(|dk| dk * sm / sd),
        }
    }

    /// Filters `n` positions of `w` independent lanes: `x[i·w + j]` is position i of
    /// lane j. `out` gets the result, `tmp` is scratch (both `n·w`).
    fn filter(&self, n: usize, w: usize, x: &[f64], out: &mut [f64], tmp: &mut [f64]) {
        let (nn, m, d, bn, bm) = (self.n, self.m, self.d, self.bn, self.bm);
        // Causal pass into `out`; before position 0 the input is x[0] and the
        // output is replaced by BN_k·x[0].
        for i in 0..n {
            let (prev, cur) = out.split_at_mut(i * w);
            let cur = &mut cur[..w];
            if i >= 4 && w == 1 {
                // One lane (x lines): plain scalar recursion.
                let e = x[i] * nn[0] + x[i - 1] * nn[1] + x[i - 2] * nn[2] + x[i - 3] * nn[3];
                cur[0] = e
                    - (prev[i - 1] * d[0]
                        + prev[i - 2] * d[1]
                        + prev[i - 3] * d[2]
                        + prev[i - 4] * d[3]);
            } else if i >= 4 {
                let xs = [0, 1, 2, 3].map(|k| &x[(i - k) * w..][..w]);
                let ys = [1, 2, 3, 4].map(|k| &prev[(i - k) * w..][..w]);
                for j in 0..w {
                    let e =
                        xs[0][j] * nn[0] + xs[1][j] * nn[1] + xs[2][j] * nn[2] + xs[3][j] * nn[3];
                    cur[j] =
                        e - (ys[0][j] * d[0] + ys[1][j] * d[1] + ys[2][j] * d[2] + ys[3][j] * d[3]);
                }
            } else {
                for j in 0..w {
                    let x0 = x[j];
                    let xv = |k: usize| if k <= i { x[(i - k) * w + j] } else { x0 };
                    let e = xv(0) * nn[0] + xv(1) * nn[1] + xv(2) * nn[2] + xv(3) * nn[3];
                    let s: f64 = (1..=4)
                        .map(|k| {
                            if k <= i {
                                prev[(i - k) * w + j] * d[k - 1]
                            } else {
                                x0 * bn[k - 1]
                            }
                        })
                        .fold(0.0, |a, b| a + b);
                    cur[j] = e - s;
                }
            }
        }
        // Anti-causal pass into `tmp`; beyond position n−1 the input is x[n−1] and
        // the output is replaced by BM_k·x[n−1].
        for i in (0..n).rev() {
            let (cur, next) = tmp.split_at_mut((i + 1) * w);
            let cur = &mut cur[i * w..];
            if i + 4 < n && w == 1 {
                let e = x[i + 1] * m[0] + x[i + 2] * m[1] + x[i + 3] * m[2] + x[i + 4] * m[3];
                cur[0] = e - (next[0] * d[0] + next[1] * d[1] + next[2] * d[2] + next[3] * d[3]);
            } else if i + 4 < n {
                let xs = [1, 2, 3, 4].map(|k| &x[(i + k) * w..][..w]);
                let ys = [0, 1, 2, 3].map(|k| &next[k * w..][..w]);
                for j in 0..w {
                    let e = xs[0][j] * m[0] + xs[1][j] * m[1] + xs[2][j] * m[2] + xs[3][j] * m[3];
                    cur[j] =
                        e - (ys[0][j] * d[0] + ys[1][j] * d[1] + ys[2][j] * d[2] + ys[3][j] * d[3]);
                }
            } else {
                for j in 0..w {
                    let xl = x[(n - 1) * w + j];
                    let xv = |k: usize| if i + k < n { x[(i + k) * w + j] } else { xl };
                    let e = xv(1) * m[0] + xv(2) * m[1] + xv(3) * m[2] + xv(4) * m[3];
                    let s: f64 = (1..=4)
                        .map(|k| {
                            if i + k < n {
                                next[(k - 1) * w + j] * d[k - 1]
                            } else {
                                xl * bm[k - 1]
                            }
                        })
                        .fold(0.0, |a, b| a + b);
                    cur[j] = e - s;
                }
            }
        }
        for (o, &t) in out.iter_mut().zip(tmp.iter()) {
            *o += t;
        }
    }
}

/// Per-thread line buffers: input, output, scratch.
fn buffers(len: usize) -> [Vec<f64>; 3] {
    [vec![0.0; len], vec![0.0; len], vec![0.0; len]]
}

/// Recursive Gaussian smoothing (see the module docs).
pub fn recursive_gaussian<T: FilterPixel>(
    vol: &Volume<T>,
    params: &RecursiveGaussianParams,
    exec: &Executor,
) -> Result<Volume<T::Float>> {
    let sv = params.sigma_voxels(vol.geometry())?;
    let mut out: Volume<T::Float> = vol.zeros_like();
    if vol.is_empty() {
        return Ok(out);
    }
    let [nx, ny, _] = vol.size();
    let coef = sv.map(|s| (s > 0.0).then(|| Coefficients::zero_order(s)));
    exec.install(|| {
        // x: one line per row, read from the input.
        let src = vol.as_slice();
        out.as_slice_mut()
            .par_chunks_mut(nx)
            .zip(src.par_chunks(nx))
            .for_each_init(
                || buffers(nx),
                |[x, y, t], (dst, src)| {
                    load(x, src);
                    match &coef[0] {
                        Some(c) => c.filter(nx, 1, x, y, t),
                        None => y.copy_from_slice(x),
                    }
                    store(dst, y);
                },
            );
        // y: one plane at a time, lanes = rows.
        if let Some(c) = &coef[1] {
            out.as_slice_mut().par_chunks_mut(nx * ny).for_each_init(
                || buffers(nx * ny),
                |[x, y, t], plane| {
                    load(x, plane);
                    c.filter(ny, nx, x, y, t);
                    store(plane, y);
                },
            );
        }
        // z: one xz-slice per y, lanes = rows of x.
        if let Some(c) = &coef[2] {
            let nz = vol.size()[2];
            out.data_mut()
                .axis_iter_mut(Axis(1))
                .into_par_iter()
                .for_each_init(
                    || buffers(nx * nz),
                    |[x, y, t], mut slice| {
                        for (z, r) in slice.rows().into_iter().enumerate() {
                            let r = r.to_slice().expect("rows are contiguous");
                            load(&mut x[z * nx..][..nx], r);
                        }
                        c.filter(nz, nx, x, y, t);
                        for (z, mut r) in slice.rows_mut().into_iter().enumerate() {
                            let r = r.as_slice_mut().expect("rows are contiguous");
                            store(r, &y[z * nx..][..nx]);
                        }
                    },
                );
        }
    });
    Ok(out)
}

fn load<F: Pixel>(dst: &mut [f64], src: &[F]) {
    dst.iter_mut().zip(src).for_each(|(d, &v)| *d = v.to_f64());
}

fn store<F: Pixel>(dst: &mut [F], src: &[f64]) {
    dst.iter_mut()
        .zip(src)
        .for_each(|(d, &v)| *d = F::from_f64(v));
}

/// [`recursive_gaussian`] on a volume of any pixel type.
pub fn recursive_gaussian_any(
    vol: &AnyVolume,
    params: &RecursiveGaussianParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(recursive_gaussian(v, params, exec)?)))
}
