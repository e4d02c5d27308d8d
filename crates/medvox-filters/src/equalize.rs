//! Global histogram equalisation: scikit-image's `equalize_hist(image, nbins, mask)`.
//!
//! Definition (skimage 0.26, reproduced step by step):
//! * **float input** (f32, f64): `numpy.histogram(image[mask], bins)` over
//!   [min, max] of the counted voxels (a constant image: [v − ½, v + ½]), with
//!   numpy's bin edges (`linspace` in the input's float type) and its bin
//!   assignment; cdf = cumulative counts / total, rounded to the input's float
//!   type; output = `np.interp(x, bin_centres, cdf)` evaluated in f64.
//! * **integer input**: every integer in [min, max] is its own bin (skimage
//!   ignores `bins` there), so the output is the exact cdf `#{v ≤ x} / n`.
//! * With a mask (same size, voxels ≠ 0 counted) the histogram covers the
//!   masked voxels only; every voxel is mapped (values outside the masked range
//!   clamp to the first/last cdf value, as `np.interp`).
//! * Output f32 (f64 for f64 input; skimage returns f64 for integers, medvox
//!   rounds that to f32). NaN voxels are not counted and stay NaN (numpy would
//!   fail); ±∞ is an error. No counted voxel is an error.
//!
//! The histogram is a parallel reduction of integer counts, so the result never
//! depends on the thread count or block plan; the mapping is pointwise (halo 0).
//! Reference: `skimage.exposure.equalize_hist` (tests/reference/test_equalize.py).

use std::path::PathBuf;

use medvox_core::{AnyVolume, BlockPlan, Executor, Pixel, Volume};
use rayon::prelude::*;

use crate::error::{FilterError, Result};
use crate::pixel::FilterPixel;
use crate::plan::check_plan;

/// Halo of the mapping pass.
pub const HALO: [usize; 3] = [0, 0, 0];
/// Largest accepted bin count.
pub const MAX_BINS: usize = 1 << 24;
/// Integer ranges up to this many values use a dense histogram; wider ranges sort.
const DENSE_RANGE: i64 = 1 << 20;

/// Parameters of [`equalize`] as a registered op.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EqualizeParams {
    /// Number of histogram bins for float images (default 256; ignored for integers, as skimage).
    #[serde(default = "default_bins")]
    pub bins: usize,
    /// Mask image (same size): the histogram is taken over its voxels ≠ 0.
    #[serde(default)]
    pub mask: Option<PathBuf>,
}

fn default_bins() -> usize {
    256
}

impl Default for EqualizeParams {
    fn default() -> Self {
        EqualizeParams {
            bins: 256,
            mask: None,
        }
    }
}

fn param(name: &'static str, reason: impl Into<String>) -> FilterError {
    FilterError::Parameter {
        op: "equalize",
        name,
        reason: reason.into(),
    }
}

/// Rounds an f64 to the precision of the float type `T` computes in (f32 or f64):
/// one f32 operation done in f64 and rounded once is the exact f32 result.
#[inline(always)]
pub(crate) fn round_to<F: Pixel>(x: f64) -> f64 {
    if F::TYPE == medvox_core::PixelType::F32 {
        x as f32 as f64
    } else {
        x
    }
}

/// Reduces `f` over chunks of `data` (and the matching `mask` chunks), merging in order.
fn fold_chunks<T: Pixel, M: Pixel, A: Send>(
    exec: &Executor,
    data: &[T],
    mask: Option<&[M]>,
    f: impl Fn(&[T], Option<&[M]>) -> A + Sync + Send,
    merge: impl Fn(A, A) -> A,
) -> Option<A> {
    let chunk = data.len().div_ceil(exec.threads().max(1)).max(1 << 16);
    let parts: Vec<A> = exec.install(|| match mask {
        None => data.par_chunks(chunk).map(|c| f(c, None)).collect(),
        Some(m) => data
            .par_chunks(chunk)
            .zip(m.par_chunks(chunk))
            .map(|(c, mc)| f(c, Some(mc)))
            .collect(),
    });
    parts.into_iter().reduce(merge)
}

/// Calls `g` on every counted value (mask ≠ 0, not NaN) of a chunk.
#[inline]
fn for_counted<T: Pixel, M: Pixel>(c: &[T], m: Option<&[M]>, mut g: impl FnMut(f64)) {
    match m {
        None => c
            .iter()
            .map(|v| v.to_f64())
            .filter(|x| !x.is_nan())
            .for_each(g),
        Some(m) => {
            for (v, k) in c.iter().zip(m) {
                let x = v.to_f64();
                if k.to_f64() != 0.0 && !x.is_nan() {
                    g(x)
                }
            }
        }
    }
}

/// Count, min, max and whether an infinite value was seen among the counted voxels.
fn counted_range<T: Pixel, M: Pixel>(
    exec: &Executor,
    data: &[T],
    mask: Option<&[M]>,
) -> (u64, f64, f64, bool) {
    fold_chunks(
        exec,
        data,
        mask,
        |c, m| {
            let mut r = (0u64, f64::INFINITY, f64::NEG_INFINITY, false);
            for_counted(c, m, |x| {
                r.0 += 1;
                r.1 = r.1.min(x);
                r.2 = r.2.max(x);
                r.3 |= x.is_infinite();
            });
            r
        },
        |a, b| (a.0 + b.0, a.1.min(b.1), a.2.max(b.2), a.3 | b.3),
    )
    .unwrap_or((0, f64::INFINITY, f64::NEG_INFINITY, false))
}

/// Adds two histograms of the same length.
fn add_hist(mut a: Vec<u64>, b: Vec<u64>) -> Vec<u64> {
    a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
    a
}

/// numpy's `linspace(first, last, bins + 1)` in the float type of `T`, and the
/// histogram fast path of `numpy.histogram`: the bin of a value in [first, last].
struct NumpyBins {
    edges: Vec<f64>,
    first: f64,
    denom: f64,
    bins: usize,
    f32: bool,
}

impl NumpyBins {
    fn new<T: Pixel>(first: f64, last: f64, bins: usize) -> Result<Self> {
        let r = round_to::<T>;
        let delta = r(last - first);
        let step = r(delta / bins as f64);
        let mut edges: Vec<f64> = (0..=bins)
            .map(|i| {
                let y = if step == 0.0 {
                    r(r(i as f64 / bins as f64) * delta)
                } else {
                    r(i as f64 * step)
                };
                r(y + first)
            })
            .collect();
        edges[bins] = last;
        if edges.windows(2).any(|w| w[0] >= w[1]) {
            return Err(param(
                "bins",
                format!("too many bins ({bins}) for the data range [{first}, {last}]"),
            ));
        }
        Ok(NumpyBins {
            edges,
            first,
            denom: delta,
            bins,
            f32: T::TYPE == medvox_core::PixelType::F32,
        })
    }

    #[inline(always)]
    fn r(&self, x: f64) -> f64 {
        if self.f32 {
            x as f32 as f64
        } else {
            x
        }
    }

    /// numpy's index: `((x − first) / denom) · bins` truncated, then corrected by
    /// one against the edges (the last bin includes the right edge).
    #[inline(always)]
    fn index(&self, x: f64) -> usize {
        let f = self.r(self.r(self.r(x - self.first) / self.denom) * self.bins as f64);
        let mut i = (f as usize).min(self.bins - 1);
        if x < self.edges[i] {
            i -= 1;
        }
        if x >= self.edges[i + 1] && i != self.bins - 1 {
            i += 1;
        }
        i
    }
}

/// The cdf as `np.interp` sees it: sample points and values, both f64.
enum Cdf {
    /// Float input: bin centres and cdf at them.
    Interp {
        xp: Vec<f64>,
        fp: Vec<f64>,
        slopes: Vec<f64>,
        /// `(n − 1) / (xp[n−1] − xp[0])`: a first guess of the sample index (the
        /// centres are nearly evenly spaced), corrected against `xp` exactly.
        inv: f64,
    },
    /// Integer input, dense: `fp[x − min]`.
    Dense { min: i64, fp: Vec<f64> },
    /// Integer input, sparse: sorted distinct values and the cdf at them.
    Sparse { xp: Vec<i64>, fp: Vec<f64> },
}

impl Cdf {
    /// `np.interp(x, xp, fp)` (C implementation, f64).
    #[inline]
    fn eval(&self, x: f64) -> f64 {
        match self {
            Cdf::Interp {
                xp,
                fp,
                slopes,
                inv,
            } => {
                if x.is_nan() {
                    return x;
                }
                let n = xp.len();
                // j = index of the last sample <= x (-1: none), the binary search's
                // answer found from a guess by a step or two.
                // (Truncation, not floor: the loops correct either way.)
                let mut j = (((x - xp[0]) * inv) as isize).clamp(-1, n as isize - 1);
                while j >= 0 && xp[j as usize] > x {
                    j -= 1;
                }
                while j + 1 < n as isize && xp[(j + 1) as usize] <= x {
                    j += 1;
                }
                if j < 0 {
                    fp[0]
                } else if j as usize >= n - 1 {
                    fp[n - 1]
                } else {
                    let j = j as usize;
                    if xp[j] == x {
                        fp[j]
                    } else {
                        slopes[j] * (x - xp[j]) + fp[j]
                    }
                }
            }
            Cdf::Dense { min, fp } => {
                let i = (x as i64 - min).clamp(0, fp.len() as i64 - 1);
                fp[i as usize]
            }
            Cdf::Sparse { xp, fp } => {
                let x = x as i64;
                let j = xp.partition_point(|&p| p <= x);
                fp[j.saturating_sub(1)]
            }
        }
    }
}

/// Cumulative counts divided by the total, rounded to the cdf type of `T`.
fn cdf_values<T: Pixel>(counts: &[u64]) -> Vec<f64> {
    let total = counts.iter().sum::<u64>() as f64;
    let mut acc = 0u64;
    counts
        .iter()
        .map(|&c| {
            acc += c;
            round_to::<T>(acc as f64 / total)
        })
        .collect()
}

fn build_cdf<T: Pixel, M: Pixel>(
    exec: &Executor,
    data: &[T],
    mask: Option<&[M]>,
    bins: usize,
) -> Result<Cdf> {
    let (n, min, max, inf) = counted_range(exec, data, mask);
    if n == 0 {
        return Err(param(
            "mask",
            "no voxel to build the histogram from (empty mask or only NaN)",
        ));
    }
    if inf {
        return Err(param("image", "contains infinite values"));
    }
    if T::TYPE.is_float() {
        let (mut first, mut last) = (min, max);
        if first == last {
            first = round_to::<T>(first - 0.5);
            last = round_to::<T>(last + 0.5);
        }
        let nb = NumpyBins::new::<T>(first, last, bins)?;
        let counts = fold_chunks(
            exec,
            data,
            mask,
            |c, m| {
                let mut h = vec![0u64; bins];
                for_counted(c, m, |x| h[nb.index(x)] += 1);
                h
            },
            add_hist,
        )
        .unwrap_or_else(|| vec![0; bins]);
        let fp = cdf_values::<T>(&counts);
        let xp: Vec<f64> = nb
            .edges
            .windows(2)
            .map(|w| round_to::<T>(round_to::<T>(w[0] + w[1]) / 2.0))
            .collect();
        let slopes = (0..bins.saturating_sub(1))
            .map(|i| (fp[i + 1] - fp[i]) / (xp[i + 1] - xp[i]))
            .collect();
        let inv = match xp.len() {
            1 => 0.0,
            n => (n - 1) as f64 / (xp[n - 1] - xp[0]),
        };
        return Ok(Cdf::Interp {
            xp,
            fp,
            slopes,
            inv,
        });
    }
    let (min, max) = (min as i64, max as i64);
    let range = max - min + 1;
    if range <= DENSE_RANGE {
        let len = range as usize;
        let counts = fold_chunks(
            exec,
            data,
            mask,
            |c, m| {
                let mut h = vec![0u64; len];
                for_counted(c, m, |x| h[(x as i64 - min) as usize] += 1);
                h
            },
            add_hist,
        )
        .unwrap_or_else(|| vec![0; len]);
        // Integer cdf is float64 in skimage whatever the integer type.
        return Ok(Cdf::Dense {
            min,
            fp: cdf_values::<f64>(&counts),
        });
    }
    let mut values = fold_chunks(
        exec,
        data,
        mask,
        |c, m| {
            let mut v = Vec::new();
            for_counted(c, m, |x| v.push(x as i64));
            v
        },
        |mut a, b| {
            a.extend(b);
            a
        },
    )
    .unwrap_or_default();
    exec.install(|| values.par_sort_unstable());
    let (mut xp, mut counts) = (Vec::new(), Vec::new());
    for v in values {
        if xp.last() == Some(&v) {
            *counts.last_mut().unwrap() += 1;
        } else {
            xp.push(v);
            counts.push(1u64);
        }
    }
    Ok(Cdf::Sparse {
        xp,
        fp: cdf_values::<f64>(&counts),
    })
}

/// Histogram equalisation of the whole volume (see the module docs).
pub fn equalize<T: FilterPixel>(
    vol: &Volume<T>,
    bins: usize,
    exec: &Executor,
) -> Result<Volume<T::Float>> {
    equalize_with_plan::<T, u8>(vol, None, bins, exec, &exec.plan(vol.size(), HALO))
}

/// Histogram equalisation with the histogram taken over `mask` ≠ 0 (same size).
pub fn equalize_masked<T: FilterPixel, M: Pixel>(
    vol: &Volume<T>,
    mask: &Volume<M>,
    bins: usize,
    exec: &Executor,
) -> Result<Volume<T::Float>> {
    equalize_with_plan(vol, Some(mask), bins, exec, &exec.plan(vol.size(), HALO))
}

/// [`equalize`] / [`equalize_masked`] on a given block plan.
pub fn equalize_with_plan<T: FilterPixel, M: Pixel>(
    vol: &Volume<T>,
    mask: Option<&Volume<M>>,
    bins: usize,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T::Float>> {
    if bins == 0 || bins > MAX_BINS {
        return Err(param(
            "bins",
            format!("must be in 1..={MAX_BINS}, got {bins}"),
        ));
    }
    if let Some(m) = mask {
        if m.size() != vol.size() {
            return Err(param(
                "mask",
                format!(
                    "mask size {:?} differs from image size {:?}",
                    m.size(),
                    vol.size()
                ),
            ));
        }
    }
    check_plan("equalize", vol, plan, HALO)?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    let cdf = build_cdf(exec, vol.as_slice(), mask.map(|m| m.as_slice()), bins)?;
    Ok(exec.map_blocks(vol, plan, |bi, mut out| {
        ndarray::Zip::from(&mut out)
            .and(&crate::clahe::interior(bi))
            .for_each(|o, &x| *o = <T::Float as Pixel>::from_f64(cdf.eval(x.to_f64())));
    }))
}

/// [`equalize`] on a volume of any pixel type; reads `params.mask` if given.
pub fn equalize_any(
    vol: &AnyVolume,
    params: &EqualizeParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    let mask = match &params.mask {
        Some(p) => Some(crate::inputs::read_image("equalize", "mask", p)?),
        None => None,
    };
    medvox_core::with_volume!(vol, v => {
        let out = match &mask {
            None => equalize(v, params.bins, exec)?,
            Some(m) => medvox_core::with_volume!(m, mv => equalize_masked(v, mv, params.bins, exec)?),
        };
        Ok(FilterPixel::into_any(out))
    })
}
