//! Interpolation kernels on a voxel grid (used by [`crate::resample`]).
//!
//! Positions are continuous indices: along an axis of `n` samples, sample `i`
//! sits at `c = i`. A point is **inside** the image when `−0.5 ≤ c < n − 0.5` on
//! every axis (ITK's `ImageFunction::IsInsideBuffer`); the caller gives points
//! outside a default value. Each kind reduces, per axis, to a few taps (indices
//! and weights); a 3D value is the tensor product of the three axes' taps.
//!
//! | kind | taps | rule | matches |
//! | --- | --- | --- | --- |
//! | `nearest` | 1 | index `floor(c + 0.5)` (round half up) | ITK `NearestNeighborInterpolateImageFunction` |
//! | `linear` | 2 | `floor(c)`, `floor(c) + 1`, weights `1 − t`, `t`; indices clamped to `0..n` (the half-voxel border replicates the edge) | ITK `LinearInterpolateImageFunction`; scipy `order=1, mode='nearest'` |
//! | `bspline` | 4 | cubic B-spline weights applied to the B-spline coefficients ([`bspline_coefficients`]); indices mirrored about the end samples (period `2n − 2`) | ITK `BSplineInterpolateImageFunction` (order 3, SimpleITK `sitkBSpline`) |
//! | `label` | 2 | the linear weights summed per label value; the label with the largest weight wins, ties to the smaller label | ITK `LabelImageGenericInterpolateImageFunction` with linear interpolators (SimpleITK `sitkLabelLinear`) |
//!
//! A one-sample axis always reads sample 0.

use medvox_core::{Executor, Pixel, Volume};
use ndarray::{Axis, Zip};

use crate::error::Result;

/// How values between voxel centres are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Interpolation {
    /// Nearest voxel (keeps the pixel type).
    Nearest,
    /// Trilinear (float output).
    #[default]
    Linear,
    /// Cubic B-spline with the exact prefilter (float output).
    #[serde(rename = "bspline")]
    BSpline,
    /// Label maps: per-label linear voting, never a label that is not in the input (keeps the pixel type).
    Label,
}

impl Interpolation {
    /// True when the output keeps the input's pixel type (nearest, label).
    pub fn keeps_type(self) -> bool {
        matches!(self, Interpolation::Nearest | Interpolation::Label)
    }

    /// Taps of a continuous index `c` on an axis of `n ≥ 1` samples, `None` outside.
    #[inline]
    pub(crate) fn taps(self, c: f64, n: usize) -> Option<Taps> {
        // Written so that NaN is outside.
        if !(c >= -0.5 && c < n as f64 - 0.5) {
            return None;
        }
        let last = n as i64 - 1;
        Some(match self {
            Interpolation::Nearest => {
                let i = ((c + 0.5).floor() as i64).clamp(0, last) as usize;
                Taps {
                    len: 1,
                    idx: [i, 0, 0, 0],
                    w: [1.0, 0.0, 0.0, 0.0],
                }
            }
            Interpolation::Linear | Interpolation::Label => {
                let b = c.floor();
                let t = c - b;
                let b = b as i64;
                Taps {
                    len: 2,
                    idx: [
                        b.clamp(0, last) as usize,
                        (b + 1).clamp(0, last) as usize,
                        0,
                        0,
                    ],
                    w: [1.0 - t, t, 0.0, 0.0],
                }
            }
            Interpolation::BSpline => {
                let b = c.floor();
                let t = c - b;
                let b = b as i64 - 1;
                // ITK's cubic weights (BSplineInterpolateImageFunction::SetInterpolationWeights).
                let w3 = t * t * t / 6.0;
                let w0 = 1.0 / 6.0 + 0.5 * t * (t - 1.0) - w3;
                let w2 = t + w0 - 2.0 * w3;
                let w1 = 1.0 - w0 - w2 - w3;
                Taps {
                    len: 4,
                    idx: [
                        mirror(b, n),
                        mirror(b + 1, n),
                        mirror(b + 2, n),
                        mirror(b + 3, n),
                    ],
                    w: [w0, w1, w2, w3],
                }
            }
        })
    }
}

/// Indices and weights of one axis (the first `len` entries are used).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Taps {
    /// Number of taps (1, 2 or 4).
    pub len: usize,
    /// Sample indices, all in `0..n`.
    pub idx: [usize; 4],
    /// Weights (sum 1).
    pub w: [f64; 4],
}

impl Taps {
    /// Smallest and largest index used.
    pub fn span(&self) -> (usize, usize) {
        let i = &self.idx[..self.len];
        (
            *i.iter().min().expect("len >= 1"),
            *i.iter().max().expect("len >= 1"),
        )
    }

    /// `Σ w_k · row[idx_k − lo]`.
    #[inline(always)]
    pub fn dot(&self, row: &[f64], lo: usize) -> f64 {
        match self.len {
            1 => row[self.idx[0] - lo],
            2 => self.w[0] * row[self.idx[0] - lo] + self.w[1] * row[self.idx[1] - lo],
            _ => {
                self.w[0] * row[self.idx[0] - lo]
                    + self.w[1] * row[self.idx[1] - lo]
                    + self.w[2] * row[self.idx[2] - lo]
                    + self.w[3] * row[self.idx[3] - lo]
            }
        }
    }
}

/// Index `i` mirrored into `0..n` about the end samples (ITK's mirror boundary,
/// whole-sample symmetric, period `2n − 2`).
#[inline]
fn mirror(i: i64, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let p = 2 * (n as i64 - 1);
    let m = i.rem_euclid(p);
    (if m >= n as i64 { p - m } else { m }) as usize
}

/// The label with the largest summed weight among `(label, weight)` pairs (at
/// most 8 distinct labels); ties go to the smaller label.
#[inline]
pub(crate) fn vote<T: Pixel>(pairs: impl Iterator<Item = (T, f64)>) -> T {
    let mut labels = [T::default(); 8];
    let mut weights = [0.0f64; 8];
    let mut m = 0;
    for (l, w) in pairs {
        match labels[..m].iter().position(|&x| x == l) {
            Some(j) => weights[j] += w,
            None => {
                labels[m] = l;
                weights[m] = w;
                m += 1;
            }
        }
    }
    let mut best = 0;
    for j in 1..m {
        if weights[j] > weights[best] || (weights[j] == weights[best] && labels[j] < labels[best]) {
            best = j;
        }
    }
    labels[best]
}

/// The cubic B-spline coefficients of a volume: the exact recursive prefilter
/// (Unser 1993; pole `√3 − 2`, gain 6) along x, y and z in turn, mirror boundary,
/// causal initialisation truncated at 10⁻¹⁰ as ITK's `BSplineDecompositionImageFilter`
/// does. Computed in f64 line by line, in parallel over lines (deterministic);
/// a one-voxel axis is left as is.
pub fn bspline_coefficients<T: Pixel>(vol: &Volume<T>, exec: &Executor) -> Result<Volume<f64>> {
    let mut c: Volume<f64> = exec.install(|| vol.cast());
    let size = vol.size();
    {
        let mut data = c.data_mut();
        // Array axes are (z, y, x); filter x first as ITK does.
        for (axis, n) in [(2, size[0]), (1, size[1]), (0, size[2])] {
            if n < 2 {
                continue;
            }
            exec.install(|| {
                Zip::from(data.lanes_mut(Axis(axis))).par_for_each(|mut lane| {
                    let mut line: Vec<f64> = lane.iter().copied().collect();
                    prefilter_line(&mut line);
                    lane.iter_mut().zip(&line).for_each(|(d, s)| *d = *s);
                })
            });
        }
    }
    Ok(c)
}

/// In-place cubic B-spline prefilter of one line (length ≥ 2).
fn prefilter_line(c: &mut [f64]) {
    let n = c.len();
    let z = 3f64.sqrt() - 2.0;
    let gain = (1.0 - z) * (1.0 - 1.0 / z);
    c.iter_mut().for_each(|v| *v *= gain);
    c[0] = initial_causal(c, z);
    for i in 1..n {
        c[i] += z * c[i - 1];
    }
    c[n - 1] = (z / (z * z - 1.0)) * (z * c[n - 2] + c[n - 1]);
    for i in (0..n - 1).rev() {
        c[i] = z * (c[i + 1] - c[i]);
    }
}

/// First causal coefficient for mirror boundaries (ITK's `SetInitialCausalCoefficient`).
fn initial_causal(c: &[f64], z: f64) -> f64 {
    const TOLERANCE: f64 = 1e-10;
    let n = c.len();
    let horizon = (TOLERANCE.ln() / z.abs().ln()).ceil() as usize;
    let mut zn = z;
    if horizon < n {
        let mut sum = c[0];
        for v in &c[1..horizon] {
            sum += zn * v;
            zn *= z;
        }
        sum
    } else {
        let iz = 1.0 / z;
        let mut z2n = z.powi(n as i32 - 1);
        let mut sum = c[0] + z2n * c[n - 1];
        z2n = z2n * (z2n * iz);
        for v in &c[1..n - 1] {
            sum += (zn + z2n) * v;
            zn *= z;
            z2n *= iz;
        }
        sum / (1.0 - zn * zn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_indices() {
        let m: Vec<usize> = (-4..8).map(|i| mirror(i, 4)).collect();
        assert_eq!(m, [2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1]);
        assert_eq!(mirror(-3, 1), 0);
    }

    /// Interpolating the coefficients at the samples gives the samples back.
    #[test]
    fn prefilter_interpolates() {
        for n in [2usize, 3, 5, 17, 40] {
            let f: Vec<f64> = (0..n).map(|i| ((i * 37 % 11) as f64) - 3.0).collect();
            let mut c = f.clone();
            prefilter_line(&mut c);
            for (i, &fi) in f.iter().enumerate() {
                let t = Interpolation::BSpline.taps(i as f64, n).unwrap();
                let v: f64 = (0..4).map(|k| t.w[k] * c[t.idx[k]]).sum();
                assert!((v - fi).abs() < 1e-8, "n {n} i {i}: {v} vs {fi}");
            }
        }
    }

    #[test]
    fn votes() {
        assert_eq!(
            vote([(3u8, 0.3), (1, 0.3), (3, 0.1), (2, 0.3)].into_iter()),
            3
        );
        assert_eq!(vote([(3u8, 0.3), (1, 0.3), (2, 0.3)].into_iter()), 1);
    }
}
