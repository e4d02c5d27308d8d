//! Whole-volume statistics and histograms, as deterministic parallel reductions.
//!
//! Both use [`Executor::reduce_chunks`], so the result depends only on the data,
//! never on the thread count. Non-finite voxels (NaN, ±inf) are counted
//! apart and left out of the extrema, mean and standard deviation.

use crate::exec::Executor;
use crate::pixel::Pixel;
use crate::volume::Volume;

/// Count, extrema, mean and population standard deviation (ddof = 0, as numpy's `std`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Stats {
    /// Number of finite voxels (those the other statistics are over).
    pub count: u64,
    /// Number of NaN voxels.
    pub nan: u64,
    /// Number of +inf or -inf voxels.
    pub inf: u64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
}

#[derive(Clone, Copy)]
struct Partial {
    n: u64,
    nan: u64,
    inf: u64,
    min: f64,
    max: f64,
    mean: f64,
    m2: f64,
}

fn chunk_partial<T: Pixel>(c: &[T]) -> Partial {
    let (mut n, mut sum, mut min, mut max) = (0u64, 0.0f64, f64::INFINITY, f64::NEG_INFINITY);
    let (mut nan, mut inf) = (0u64, 0u64);
    for &v in c {
        let x = v.to_f64();
        if !x.is_finite() {
            if x.is_nan() {
                nan += 1;
            } else {
                inf += 1;
            }
            continue;
        }
        n += 1;
        sum += x;
        min = min.min(x);
        max = max.max(x);
    }
    let mean = if n > 0 { sum / n as f64 } else { 0.0 };
    let m2 = c
        .iter()
        .map(|v| v.to_f64())
        .filter(|x| x.is_finite())
        .map(|x| (x - mean) * (x - mean))
        .sum();
    Partial {
        n,
        nan,
        inf,
        min,
        max,
        mean,
        m2,
    }
}

/// Chan et al.'s parallel merge of (count, mean, M2).
fn merge(a: Partial, b: Partial) -> Partial {
    let (nan, inf) = (a.nan + b.nan, a.inf + b.inf);
    if a.n == 0 {
        return Partial { nan, inf, ..b };
    }
    if b.n == 0 {
        return Partial { nan, inf, ..a };
    }
    let n = a.n + b.n;
    let d = b.mean - a.mean;
    Partial {
        n,
        nan,
        inf,
        min: a.min.min(b.min),
        max: a.max.max(b.max),
        mean: a.mean + d * b.n as f64 / n as f64,
        m2: a.m2 + b.m2 + d * d * (a.n as f64) * (b.n as f64) / n as f64,
    }
}

/// Statistics of the finite voxels; `None` when the volume has none (the
/// NaN and inf counts are then in [`nonfinite`]).
pub fn stats<T: Pixel>(v: &Volume<T>, exec: &Executor) -> Option<Stats> {
    let p = exec.reduce_chunks(v.as_slice(), chunk_partial, merge)?;
    (p.n > 0).then(|| Stats {
        count: p.n,
        nan: p.nan,
        inf: p.inf,
        min: p.min,
        max: p.max,
        mean: p.mean,
        std: (p.m2 / p.n as f64).sqrt(),
    })
}

/// `(NaN count, ±inf count)` of a volume.
pub fn nonfinite<T: Pixel>(v: &Volume<T>, exec: &Executor) -> (u64, u64) {
    exec.reduce_chunks(v.as_slice(), chunk_partial, merge)
        .map_or((0, 0), |p| (p.nan, p.inf))
}

/// Merges the statistics of two sets of voxels (several volumes of a 4D image).
pub fn merge_stats(a: Stats, b: Stats) -> Stats {
    let p = |s: Stats| Partial {
        n: s.count,
        nan: s.nan,
        inf: s.inf,
        min: s.min,
        max: s.max,
        mean: s.mean,
        m2: s.std * s.std * s.count as f64,
    };
    let m = merge(p(a), p(b));
    Stats {
        count: m.n,
        nan: m.nan,
        inf: m.inf,
        min: m.min,
        max: m.max,
        mean: m.mean,
        std: (m.m2 / m.n.max(1) as f64).sqrt(),
    }
}

/// Histogram of `bins` equal bins over `[lo, hi]`: value x goes to bin
/// `floor((x − lo) / (hi − lo) · bins)`, x = hi to the last bin; values outside and NaN are not counted.
pub fn histogram<T: Pixel>(
    v: &Volume<T>,
    exec: &Executor,
    bins: usize,
    lo: f64,
    hi: f64,
) -> Vec<u64> {
    let bins = bins.max(1);
    let scale = if hi > lo {
        bins as f64 / (hi - lo)
    } else {
        0.0
    };
    exec.reduce_chunks(
        v.as_slice(),
        |c| {
            let mut h = vec![0u64; bins];
            for &x in c {
                let x = x.to_f64();
                if x >= lo && x <= hi {
                    h[(((x - lo) * scale) as usize).min(bins - 1)] += 1;
                }
            }
            h
        },
        |mut a, b| {
            a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
            a
        },
    )
    .unwrap_or_else(|| vec![0; bins])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Geometry;

    #[test]
    fn matches_two_pass_formula() {
        let data: Vec<f32> = (0..200_000)
            .map(|i| ((i as f32) * 0.01).cos() * 50.0 + 3.0)
            .collect();
        let v = Volume::from_vec([200_000, 1, 1], data.clone(), Geometry::default()).unwrap();
        let s = stats(&v, &Executor::new(2).unwrap()).unwrap();
        let n = data.len() as f64;
        let mean = data.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = data.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
        assert!((s.mean - mean).abs() < 1e-9);
        assert!((s.std - var.sqrt()).abs() < 1e-9);
        assert_eq!(s.count, 200_000);
        let s1 = stats(&v, &Executor::new(1).unwrap()).unwrap();
        assert_eq!(s1, s);
    }

    #[test]
    fn nan_skipped_and_histogram() {
        let v = Volume::from_vec(
            [5, 1, 1],
            vec![0.0f32, f32::NAN, 1.0, 2.0, 4.0],
            Geometry::default(),
        )
        .unwrap();
        let e = Executor::default();
        let s = stats(&v, &e).unwrap();
        assert_eq!((s.count, s.nan, s.min, s.max), (4, 1, 0.0, 4.0));
        let w = Volume::from_vec(
            [4, 1, 1],
            vec![f64::INFINITY, f64::NAN, 2.0, f64::NEG_INFINITY],
            Geometry::default(),
        )
        .unwrap();
        let s = stats(&w, &e).unwrap();
        assert_eq!(
            (s.count, s.nan, s.inf, s.min, s.max, s.mean),
            (1, 1, 2, 2.0, 2.0, 2.0)
        );
        let all_nan = Volume::from_vec([2, 1, 1], vec![f32::NAN; 2], Geometry::default()).unwrap();
        assert!(stats(&all_nan, &e).is_none());
        assert_eq!(nonfinite(&all_nan, &e), (2, 0));
        assert_eq!(histogram(&v, &e, 4, 0.0, 4.0), vec![1, 1, 1, 1]);
    }
}
