//! Automatic thresholds from one histogram: Otsu, multi-Otsu, Li, Triangle,
//! Yen, Huang, IsoData (SimpleITK's calculators) and the mean.
//!
//! Histogram (SimpleITK's `HistogramThresholdImageFilter` convention, so the
//! thresholds equal SimpleITK's with the same `numberOfHistogramBins`): for
//! u8/i8 images `bins` equal bins over `[type min − ½, type max + ½]`;
//! otherwise over `[lo, hi]` with lo = minimum and hi = maximum +
//! (maximum − minimum)/bins/100 (ITK's marginal scale 100), bin width computed
//! in f32. Bins are half-open `[min_j, max_j)`; the value of bin j is its
//! centre. NaN voxels and voxels outside the optional mask are not counted (the
//! mask also restricts lo/hi). The chosen value is converted to the input
//! pixel type as ITK does (f32 rounding; truncation toward zero for integers),
//! except multi-Otsu's thresholds, reported (and compared) as computed.
//!
//! scikit-image's `threshold_otsu(nbins)` bins [min, max] without the margin
//! (and, for integer images, ignores `nbins`), so its threshold differs by up
//! to about one bin width; the masks usually agree.
//!
//! Output: `u8` mask, 1 where value > threshold (bright foreground, as
//! `image > t` in scikit-image; SimpleITK's `insideValue=0, outsideValue=1`),
//! 0 elsewhere and outside the mask. Multi-Otsu writes class labels 0..K−1:
//! the number of thresholds below the value (SimpleITK
//! `OtsuMultipleThresholds`). `mean` thresholds at the mean of the (masked)
//! voxels, no histogram (scikit-image `threshold_mean`).

use medvox_core::{AnyVolume, Executor, Pixel, Volume};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, SegmentError};
use crate::threshold::map_mask;

/// Which automatic threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum Method {
    Otsu,
    /// Otsu with `classes − 1` thresholds (label map 0..classes−1).
    MultiOtsu {
        classes: usize,
    },
    Li,
    Triangle,
    Yen,
    Huang,
    IsoData,
    Mean,
}

impl Method {
    /// CLI name.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Otsu => "otsu",
            Method::MultiOtsu { .. } => "multi-otsu",
            Method::Li => "li",
            Method::Triangle => "triangle",
            Method::Yen => "yen",
            Method::Huang => "huang",
            Method::IsoData => "isodata",
            Method::Mean => "mean",
        }
    }
}

/// Parameters of [`auto_threshold`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoThresholdParams {
    /// The method.
    pub method: Method,
    /// Histogram bins (≥ 2; SimpleITK's default is 128, the benchmark uses 256).
    pub bins: usize,
}

/// A mask (or class label map) and the threshold(s) chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholded {
    /// 0/1 mask, or class labels for multi-Otsu.
    pub mask: Volume<u8>,
    /// The threshold(s), in input units.
    pub thresholds: Vec<f64>,
}

/// An ITK-style histogram: bin bounds and counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Lower bound of each bin.
    pub min: Vec<f64>,
    /// Upper bound of each bin.
    pub max: Vec<f64>,
    /// Voxels per bin.
    pub counts: Vec<u64>,
}

impl Histogram {
    /// ITK's bins: width `(f32(hi) − f32(lo)) / bins` in f32, last max = hi.
    fn with_bounds(bins: usize, lo: f64, hi: f64) -> Self {
        let w = (hi as f32 - lo as f32) / bins as f32;
        let min: Vec<f64> = (0..bins).map(|j| lo + (j as f32 * w) as f64).collect();
        let mut max: Vec<f64> = (0..bins)
            .map(|j| lo + ((j + 1) as f32 * w) as f64)
            .collect();
        max[bins - 1] = hi;
        Histogram {
            min,
            max,
            counts: vec![0; bins],
        }
    }

    /// Number of bins.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// True when there is no bin.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Centre of bin `i`.
    pub fn value(&self, i: usize) -> f64 {
        (self.min[i] + self.max[i]) / 2.0
    }

    /// Voxels counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The bin holding `v` (half-open bins), `None` outside (ITK clips at the ends).
    pub fn index(&self, v: f64) -> Option<usize> {
        Binner::new(self).index(v)
    }

    /// ITK `Histogram::Quantile` (linear inside the bin).
    fn quantile(&self, p: f64) -> f64 {
        let size = self.len();
        let total = self.total() as f64;
        let mut cum = 0.0;
        if p < 0.5 {
            let (mut n, mut p_n) = (0usize, 0.0);
            let (mut p_prev, mut f_n);
            loop {
                f_n = self.counts[n] as f64;
                cum += f_n;
                p_prev = p_n;
                p_n = cum / total;
                n += 1;
                if !(n < size && p_n < p) {
                    break;
                }
            }
            let (mn, mx) = (self.min[n - 1], self.max[n - 1]);
            mn + ((p - p_prev) / (f_n / total)) * (mx - mn)
        } else {
            let (mut n, mut m, mut p_n) = (size as isize - 1, 0usize, 1.0);
            let (mut p_prev, mut f_n);
            loop {
                f_n = self.counts[n as usize] as f64;
                cum += f_n;
                p_prev = p_n;
                p_n = 1.0 - cum / total;
                n -= 1;
                m += 1;
                if !(m < size && p_n > p) {
                    break;
                }
            }
            let (mn, mx) = (self.min[(n + 1) as usize], self.max[(n + 1) as usize]);
            mx - ((p_prev - p) / (f_n / total)) * (mx - mn)
        }
    }
}

/// Fast bin lookup: a guess from the mean bin width, corrected against the
/// exact bin bounds (so the result equals a search of the bounds).
struct Binner<'a> {
    min: &'a [f64],
    max: &'a [f64],
    lo: f64,
    hi: f64,
    inv_w: f64,
    edge: f64,
}

impl<'a> Binner<'a> {
    fn new(h: &'a Histogram) -> Self {
        let n = h.len();
        let (lo, hi) = (h.min[0], h.max[n - 1]);
        Binner {
            min: &h.min,
            max: &h.max,
            lo,
            hi,
            inv_w: n as f64 / (hi - lo),
            // The bounds carry f32 rounding of lo, hi and j·w: at most a few
            // n·(|lo| + |hi|)/(hi − lo)·2⁻²⁴ bins; generous margin, and no
            // shortcut at all (edge 0.5) when that is large.
            edge: (n as f64 * (lo.abs() + hi.abs()) / (hi - lo) * 1e-6).min(0.5),
        }
    }

    #[inline(always)]
    fn index(&self, v: f64) -> Option<usize> {
        // Also rejects NaN.
        if !(v >= self.lo && v < self.hi) {
            return None;
        }
        let n = self.min.len();
        let t = (v - self.lo) * self.inv_w;
        let mut j = (t as usize).min(n - 1);
        // Away from a bin edge the guess is exact: the f32 bin bounds differ
        // from lo + j·(hi − lo)/n by far less than `edge` bins.
        let f = t - j as f64;
        if f > self.edge && f < 1.0 - self.edge {
            return Some(j);
        }
        j -= usize::from(j > 0 && v < self.min[j]);
        j += usize::from(j + 1 < n && v >= self.max[j]);
        while j > 0 && v < self.min[j] {
            j -= 1;
        }
        while j + 1 < n && v >= self.max[j] {
            j += 1;
        }
        Some(j)
    }
}

/// Values of `vol` that count: not NaN and inside `mask` (if any).
fn chunks<'a, T: Pixel>(
    vol: &'a Volume<T>,
    mask: Option<&'a Volume<u8>>,
) -> impl IndexedParallelIterator<Item = (&'a [T], Option<&'a [u8]>)> {
    const C: usize = 1 << 16;
    let m: Vec<Option<&[u8]>> = match mask {
        Some(m) => m.as_slice().chunks(C).map(Some).collect(),
        None => vec![None; vol.len().div_ceil(C)],
    };
    vol.as_slice().par_chunks(C).zip(m)
}

#[inline]
fn counted(v: f64, m: Option<&[u8]>, i: usize) -> bool {
    !v.is_nan() && m.is_none_or(|m| m[i] != 0)
}

/// SimpleITK's histogram of `vol` (see the module doc), restricted to `mask`.
pub fn histogram<T: Pixel>(
    vol: &Volume<T>,
    mask: Option<&Volume<u8>>,
    bins: usize,
    exec: &Executor,
) -> Result<Histogram> {
    let small = matches!(
        T::TYPE,
        medvox_core::PixelType::U8 | medvox_core::PixelType::I8
    );
    let (lo, hi) = if small {
        (T::MIN - 0.5, T::MAX + 0.5)
    } else {
        let (mn, mx) = exec.install(|| {
            chunks(vol, mask)
                .map(|(c, m)| {
                    // f64::min/max skip NaN.
                    // Eight lanes so the loop vectorises.
                    let (mut a, mut b) = ([f64::INFINITY; 8], [f64::NEG_INFINITY; 8]);
                    match m {
                        None => c.chunks(8).for_each(|c| {
                            for (k, &v) in c.iter().enumerate() {
                                a[k] = a[k].min(v.to_f64());
                                b[k] = b[k].max(v.to_f64());
                            }
                        }),
                        Some(m) => c.iter().zip(m).filter(|p| *p.1 != 0).for_each(|(&v, _)| {
                            a[0] = a[0].min(v.to_f64());
                            b[0] = b[0].max(v.to_f64());
                        }),
                    }
                    (
                        a.iter().fold(f64::INFINITY, |x, &y| x.min(y)),
                        b.iter().fold(f64::NEG_INFINITY, |x, &y| x.max(y)),
                    )
                })
                .reduce(
                    || (f64::INFINITY, f64::NEG_INFINITY),
                    |x, y| (x.0.min(y.0), x.1.max(y.1)),
                )
        });
        if mn > mx {
            return Err(SegmentError::Parameter {
                op: "threshold",
                name: "mask",
                reason: "no voxel to take a histogram of (empty mask or all NaN)".into(),
            });
        }
        (mn, mx + (mx - mn) / bins as f64 / 100.0)
    };
    let mut h = Histogram::with_bounds(bins, lo, hi);
    let bin = Binner::new(&h);
    let bin = &bin;
    // One histogram per rayon fold job, summed (integer counts: order-free).
    let counts = exec.install(|| {
        chunks(vol, mask)
            .fold(
                || vec![0u64; bins],
                |mut k, (c, m)| {
                    match m {
                        None if bins <= 1 << 12 => {
                            // Four interleaved sub-histograms: runs of equal bins
                            // do not serialise on one counter.
                            let mut sub = vec![0u32; 4 * bins];
                            for c in c.chunks(4) {
                                for (l, &v) in c.iter().enumerate() {
                                    if let Some(j) = bin.index(v.to_f64()) {
                                        sub[4 * j + l] += 1;
                                    }
                                }
                            }
                            for (k, s) in k.iter_mut().zip(sub.chunks(4)) {
                                *k += s.iter().map(|&s| u64::from(s)).sum::<u64>();
                            }
                        }
                        None => c.iter().for_each(|&v| {
                            if let Some(j) = bin.index(v.to_f64()) {
                                k[j] += 1;
                            }
                        }),
                        Some(m) => c.iter().zip(m).filter(|p| *p.1 != 0).for_each(|(&v, _)| {
                            if let Some(j) = bin.index(v.to_f64()) {
                                k[j] += 1;
                            }
                        }),
                    }
                    k
                },
            )
            .reduce(
                || vec![0u64; bins],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
                    a
                },
            )
    });
    h.counts = counts;
    if h.total() == 0 {
        return Err(SegmentError::Parameter {
            op: "threshold",
            name: "mask",
            reason: "the histogram is empty".into(),
        });
    }
    Ok(h)
}

/// ITK `Math::FloatAlmostEqual(a, b, maxUlps)` for doubles.
fn almost_equal(a: f64, b: f64, ulps: i64) -> bool {
    if (a - b).abs() <= 0.1 * f64::EPSILON {
        return true;
    }
    if (a < 0.0) != (b < 0.0) {
        return false;
    }
    (a.to_bits() as i64 - b.to_bits() as i64).abs() <= ulps
}

/// ITK `OtsuMultipleThresholdsCalculator` (exhaustive search, no valley
/// emphasis): the upper bound of each chosen bin.
pub fn otsu_multiple(h: &Histogram, thresholds: usize) -> Vec<f64> {
    let nb = h.len();
    let nt = thresholds;
    let nc = nt + 1;
    let freq = |i: usize| h.counts[i];
    let total = h.total();
    let gmean = (0..nb).map(|i| h.value(i) * freq(i) as f64).sum::<f64>() / total as f64;
    let mut idx: Vec<usize> = (0..nt).collect();
    let mut best = idx.clone();
    let mut cf = vec![0u64; nc];
    let mut sum = 0u64;
    for j in 0..nt {
        cf[j] = freq(idx[j]);
        sum += cf[j];
    }
    cf[nc - 1] = total - sum;
    let mut cm = vec![0.0f64; nc];
    let mut msum = 0.0;
    for j in 0..nt {
        cm[j] = if cf[j] > 0 { h.value(j) } else { 0.0 };
        msum += cm[j] * cf[j] as f64;
    }
    cm[nc - 1] = if cf[nc - 1] > 0 {
        (gmean * total as f64 - msum) / cf[nc - 1] as f64
    } else {
        0.0
    };
    let var = |cf: &[u64], cm: &[f64]| {
        (0..nc)
            .map(|j| cf[j] as f64 * (cm[j] * cm[j]))
            .fold(0.0, |a, b| a + b)
            / total as f64
    };
    let mut max_var = var(&cf, &cm);
    loop {
        // IncrementThresholds
        let mut moved = false;
        for j in (0..nt).rev() {
            if idx[j] + 2 + (nt - 1 - j) < nb {
                idx[j] += 1;
                let (m_old, f_old) = (cm[j], cf[j]);
                cf[j] += freq(idx[j]);
                cm[j] = if cf[j] > 0 {
                    (m_old * f_old as f64 + h.value(idx[j]) * freq(idx[j]) as f64) / cf[j] as f64
                } else {
                    0.0
                };
                for k in j + 1..nt {
                    idx[k] = idx[k - 1] + 1;
                    cf[k] = freq(idx[k]);
                    cm[k] = if cf[k] > 0 { h.value(idx[k]) } else { 0.0 };
                }
                cf[nc - 1] = total;
                cm[nc - 1] = gmean * total as f64;
                for k in 0..nc - 1 {
                    cf[nc - 1] -= cf[k];
                    cm[nc - 1] -= cm[k] * cf[k] as f64;
                }
                cm[nc - 1] = if cf[nc - 1] > 0 {
                    cm[nc - 1] / cf[nc - 1] as f64
                } else {
                    0.0
                };
                moved = true;
                break;
            }
        }
        if !moved {
            break;
        }
        let v = var(&cf, &cm);
        if v > max_var && !almost_equal(max_var, v, 1) {
            max_var = v;
            best.clone_from(&idx);
        }
    }
    best.iter().map(|&i| h.max[i]).collect()
}

/// ITK `LiThresholdCalculator`.
fn li(h: &Histogram) -> f64 {
    let size = h.len();
    let bin_min = h.min[0].min(0.0);
    let num = h.total() as f64;
    let mean = (0..size)
        .map(|i| h.value(i) * h.counts[i] as f64)
        .sum::<f64>()
        / num;
    let mut new_t = mean;
    let mut hist_t = 0usize;
    for _ in 0..10_000 {
        let old_t = new_t;
        let Some(t) = h.index(((old_t + 0.5) as i64) as f64) else {
            break;
        };
        hist_t = t;
        let mean_of = |r: std::ops::Range<usize>| {
            let (mut s, mut n) = (0.0, 0u64);
            for i in r {
                s += h.value(i) * h.counts[i] as f64;
                n += h.counts[i];
            }
            if n == 0 {
                0.0
            } else {
                s / n as f64
            }
        };
        let mb = mean_of(0..t + 1) - bin_min;
        let mo = mean_of(t + 1..size) - bin_min;
        let temp = (mb - mo) / (mb.ln() - mo.ln());
        new_t = if temp < -f64::EPSILON {
            ((temp - 0.5) as i64) as f64
        } else {
            ((temp + 0.5) as i64) as f64
        };
        new_t += bin_min;
        if (new_t - old_t).abs() <= 0.5 {
            break;
        }
    }
    h.value(hist_t)
}

/// ITK `TriangleThresholdCalculator`.
fn triangle(h: &Histogram) -> f64 {
    let size = h.len();
    let (mut mx, mut mx_idx) = (f64::MIN_POSITIVE, 0usize);
    for j in 0..size {
        if h.counts[j] as f64 > mx {
            mx_idx = j;
            mx = h.counts[j] as f64;
        }
    }
    let one = h.index(h.quantile(0.01)).unwrap_or(0);
    let nn = h.index(h.quantile(0.99)).unwrap_or(size - 1);
    let mut tri = vec![0.0f64; size];
    let first_max = |a: usize, b: usize, tri: &[f64]| {
        let mut best = a;
        for k in a..b {
            if tri[k] > tri[best] {
                best = k;
            }
        }
        best
    };
    let t = if (mx_idx as f32 - one as f32).abs() > (mx_idx as f32 - nn as f32).abs() {
        let slope = mx / (mx_idx as f64 - one as f64);
        for (k, t) in tri.iter_mut().enumerate().take(mx_idx).skip(one) {
            let line = (slope * (k as f64 - one as f64)) as f32;
            *t = line as f64 - h.counts[k] as f64;
        }
        first_max(one, mx_idx, &tri)
    } else {
        let slope = -mx / (nn as f64 - mx_idx as f64);
        for (k, t) in tri.iter_mut().enumerate().take(nn).skip(mx_idx) {
            let line = (slope * (k as f64 - mx_idx as f64) + mx) as f32;
            *t = line as f64 - h.counts[k] as f64;
        }
        first_max(mx_idx, nn, &tri)
    };
    h.value((t + 1).min(size - 1))
}

/// ITK `YenThresholdCalculator`.
fn yen(h: &Histogram) -> f64 {
    let size = h.len();
    let total = h.total() as f64;
    let norm: Vec<f64> = h.counts.iter().map(|&c| c as f64 / total).collect();
    let mut p1 = vec![0.0; size];
    let mut p1sq = vec![0.0; size];
    let mut p2sq = vec![0.0; size];
    p1[0] = norm[0];
    p1sq[0] = norm[0] * norm[0];
    for i in 1..size {
        p1[i] = p1[i - 1] + norm[i];
        p1sq[i] = p1sq[i - 1] + norm[i] * norm[i];
    }
    for i in (0..size - 1).rev() {
        p2sq[i] = p2sq[i + 1] + norm[i + 1] * norm[i + 1];
    }
    let (mut best, mut max_crit) = (0usize, f64::MIN);
    for t in 0..size {
        let a = p1sq[t] * p2sq[t];
        let b = p1[t] * (1.0 - p1[t]);
        let crit = -(if a > 0.0 { a.ln() } else { 0.0 }) + 2.0 * if b > 0.0 { b.ln() } else { 0.0 };
        if crit > max_crit {
            max_crit = crit;
            best = t;
        }
    }
    h.value(best)
}

/// ITK `HuangThresholdCalculator`.
fn huang(h: &Histogram) -> f64 {
    let size = h.len();
    let f = |i: usize| h.counts[i] as f64;
    let Some(first) = (0..size).find(|&i| h.counts[i] > 0) else {
        return h.value(0);
    };
    let mut last = size - 1;
    while last > first && h.counts[last] == 0 {
        last -= 1;
    }
    let mut s = vec![0.0; last + 1];
    let mut w = vec![0.0; last + 1];
    s[0] = f(0);
    for i in first.max(1)..=last {
        s[i] = s[i - 1] + f(i);
        w[i] = w[i - 1] + h.value(i) * f(i);
    }
    let c = (last - first) as f64;
    let mut smu = vec![0.0; last + 1 - first];
    for (i, v) in smu.iter_mut().enumerate().skip(1) {
        let mu = 1.0 / (1.0 + i as f64 / c);
        *v = -mu * mu.ln() - (1.0 - mu) * (1.0 - mu).ln();
    }
    let round = |x: f64| (x + 0.5).floor();
    let (mut best, mut best_e) = (0usize, f64::MAX);
    for t in first..last {
        let Some(mu_idx) = h.index(round(w[t] / s[t])) else {
            continue;
        };
        let mut e = 0.0;
        for i in first..=t {
            e += smu.get(i.abs_diff(mu_idx)).copied().unwrap_or(0.0) * f(i);
        }
        let Some(mu_idx) = h.index(round((w[last] - w[t]) / (s[last] - s[t]))) else {
            continue;
        };
        for i in t + 1..=last {
            e += smu.get(i.abs_diff(mu_idx)).copied().unwrap_or(0.0) * f(i);
        }
        if best_e > e {
            best_e = e;
            best = t;
        }
    }
    h.value(best)
}

/// ITK `IsoDataThresholdCalculator`.
fn isodata(h: &Histogram) -> f64 {
    let size = h.len();
    let f = |i: usize| h.counts[i] as f64;
    let mut pos = 0usize;
    while pos < size {
        if let Some(i) = (pos..size).find(|&i| h.counts[i] > 0) {
            pos = i;
        }
        let (mut l, mut tl) = (0.0, 0.0);
        for i in 0..=pos {
            tl += f(i);
            l += h.value(i) * f(i);
        }
        let (mut hh, mut th) = (0.0, 0.0);
        for i in pos + 1..size {
            th += f(i);
            hh += h.value(i) * f(i);
        }
        if tl > f64::EPSILON && th > f64::EPSILON {
            l /= tl;
            hh /= th;
            if h.value(pos) >= (l + hh) * 0.5 {
                return h.value(pos);
            }
        }
        pos += 1;
    }
    (0..size).map(|i| h.value(i) * f(i)).sum::<f64>() / h.total() as f64
}

use crate::threshold::to_pixel;

/// The threshold(s) of `method` for `vol` (restricted to `mask`), without the mask image.
pub fn compute_thresholds<T: Pixel>(
    vol: &Volume<T>,
    mask: Option<&Volume<u8>>,
    p: &AutoThresholdParams,
    exec: &Executor,
) -> Result<Vec<f64>> {
    let bad = |name, reason: String| SegmentError::Parameter {
        op: "threshold",
        name,
        reason,
    };
    if p.bins < 2 || p.bins > 1 << 20 {
        return Err(bad("bins", format!("must be 2..=1048576, got {}", p.bins)));
    }
    if let Some(m) = mask {
        if m.size() != vol.size() {
            return Err(SegmentError::Mismatch {
                op: "threshold",
                reason: format!(
                    "mask size {:?} differs from image size {:?}",
                    m.size(),
                    vol.size()
                ),
            });
        }
    }
    if let Method::Mean = p.method {
        let (s, n) = exec.install(|| {
            chunks(vol, mask)
                .map(|(c, m)| {
                    let (mut s, mut n) = (0.0f64, 0u64);
                    for (i, &v) in c.iter().enumerate() {
                        let v = v.to_f64();
                        if counted(v, m, i) {
                            s += v;
                            n += 1;
                        }
                    }
                    (s, n)
                })
                .collect::<Vec<_>>()
                .into_iter()
                .fold((0.0, 0u64), |a, b| (a.0 + b.0, a.1 + b.1))
        });
        if n == 0 {
            return Err(bad("mask", "no voxel to average".into()));
        }
        return Ok(vec![s / n as f64]);
    }
    let h = histogram(vol, mask, p.bins, exec)?;
    let t = match p.method {
        Method::Otsu => otsu_multiple(&h, 1),
        Method::MultiOtsu { classes } => {
            if classes < 2 || classes >= p.bins || classes > 6 {
                return Err(bad(
                    "classes",
                    format!("must be 2..=6 and below the bin count, got {classes}"),
                ));
            }
            otsu_multiple(&h, classes - 1)
        }
        Method::Li => vec![li(&h)],
        Method::Triangle => vec![triangle(&h)],
        Method::Yen => vec![yen(&h)],
        Method::Huang => vec![huang(&h)],
        Method::IsoData => vec![isodata(&h)],
        Method::Mean => unreachable!("handled above"),
    };
    // SimpleITK reports the multi-Otsu thresholds as computed (f64), the others cast.
    Ok(match p.method {
        Method::MultiOtsu { .. } => t,
        _ => t.into_iter().map(to_pixel::<T>).collect(),
    })
}

/// Automatic threshold of a typed volume: the mask (or class labels) and the threshold(s).
pub fn auto_threshold<T: Pixel>(
    vol: &Volume<T>,
    mask: Option<&Volume<u8>>,
    p: &AutoThresholdParams,
    exec: &Executor,
) -> Result<Thresholded> {
    let thresholds = compute_thresholds(vol, mask, p, exec)?;
    let mut out = match thresholds[..] {
        [t] => map_mask(vol, exec, move |v| u8::from(v > t)),
        _ => {
            let ts = thresholds.clone();
            map_mask(vol, exec, move |v| {
                ts.iter().filter(|&&t| v > t).count() as u8
            })
        }
    };
    if let Some(m) = mask {
        exec.install(|| {
            out.as_slice_mut()
                .par_iter_mut()
                .zip(m.as_slice().par_iter())
                .for_each(|(o, &m)| {
                    if m == 0 {
                        *o = 0
                    }
                })
        });
    }
    Ok(Thresholded {
        mask: out,
        thresholds,
    })
}

/// Automatic threshold of a volume of any pixel type.
pub fn auto_threshold_any(
    vol: &AnyVolume,
    mask: Option<&Volume<u8>>,
    p: &AutoThresholdParams,
    exec: &Executor,
) -> Result<Thresholded> {
    medvox_core::with_volume!(vol, v => auto_threshold(v, mask, p, exec))
}
