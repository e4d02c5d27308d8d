//! Label statistics: per label voxel count, volume, centroid, bounding box and,
//! with an intensity image, mean/std/min/max/median/sum of the image inside it.
//!
//! * **Labels**: every value ≠ `background` (0 by default) of the label map is a
//!   label; any pixel type, float label maps must be integer-valued. Labels are
//!   reported in increasing order.
//! * **Shape** (SimpleITK `LabelShapeStatisticsImageFilter`): `voxels`;
//!   `volume_mm3` = voxels × sx·sy·sz (`GetPhysicalSize`); `centroid_mm` = the
//!   physical point (LPS, through origin, spacing and direction) of the mean voxel
//!   index (`GetCentroid`); `bbox_min`/`bbox_max` = inclusive index bounds `[x, y, z]`
//!   (`GetBoundingBox` gives start and size = max − min + 1);
//!   `bbox_min_mm`/`bbox_max_mm` = the physical points (mm, LPS) of those two
//!   corner voxel centres (`TransformIndexToPhysicalPoint` of start and
//!   start + size − 1; with a rotated direction they are corners, not
//!   per-axis minima).
//! * **Intensity** (SimpleITK `LabelIntensityStatisticsImageFilter`): `mean`,
//!   `std` = the **sample** standard deviation (N − 1 in the denominator, as
//!   SimpleITK; 0 for a one-voxel label), `min`, `max`, `sum`, and `median` =
//!   the **exact** median (numpy's: the mean of the two middle values for an even
//!   count). SimpleITK's median is read from a 128-bin histogram of the label's
//!   range and is only accurate to about one bin width; ours is exact.
//! * **Determinism**: one pass of [`Executor::reduce_chunks`] (fixed 64 Ki-voxel
//!   chunks merged in memory order; integer index sums, Chan et al.'s merge of
//!   float moments), so results never depend on the thread count.

use std::collections::HashMap;

use medvox_core::{AnyVolume, Executor, Geometry, Pixel, Volume};
use rayon::prelude::*;

use crate::error::{Result, SegmentError};

const OP: &str = "label-stats";

/// Parameters of [`label_stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct LabelStatsParams {
    /// The label value that is not a label (0 by default).
    #[serde(default)]
    pub background: i64,
}

/// Statistics of one label (see the module docs for the definitions).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LabelStats {
    /// The label value.
    pub label: i64,
    /// Number of voxels.
    pub voxels: u64,
    /// Volume in mm³ (voxels × voxel volume).
    pub volume_mm3: f64,
    /// Centroid in physical space (mm, LPS).
    pub centroid_mm: [f64; 3],
    /// Centroid as a continuous voxel index `[x, y, z]`.
    pub centroid_index: [f64; 3],
    /// Smallest voxel index `[x, y, z]` of the label.
    pub bbox_min: [usize; 3],
    /// Largest voxel index `[x, y, z]` of the label (inclusive).
    pub bbox_max: [usize; 3],
    /// Physical point (mm, LPS) of the voxel centre at `bbox_min`.
    pub bbox_min_mm: [f64; 3],
    /// Physical point (mm, LPS) of the voxel centre at `bbox_max`.
    pub bbox_max_mm: [f64; 3],
    /// Image statistics inside the label (with an image only).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub intensity: Option<IntensityStats>,
}

/// Image statistics inside one label.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct IntensityStats {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (N − 1).
    pub std: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
    /// Exact median (mean of the two middle values for an even count).
    pub median: f64,
    /// Sum.
    pub sum: f64,
}

/// Per-label partial result of one chunk.
#[derive(Debug, Clone, Copy)]
struct Acc {
    n: u64,
    sum_index: [u64; 3],
    min: [usize; 3],
    max: [usize; 3],
    /// Intensity sum, mean and M2.
    sum: f64,
    mean: f64,
    m2: f64,
    lo: f64,
    hi: f64,
}

impl Acc {
    fn new() -> Self {
        Acc {
            n: 0,
            sum_index: [0; 3],
            min: [usize::MAX; 3],
            max: [0; 3],
            sum: 0.0,
            mean: 0.0,
            m2: 0.0,
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
        }
    }

    /// Adds the voxels `start..start + len` (linear, x-fastest) one row segment at a time.
    fn add_run(&mut self, start: usize, len: usize, size: [usize; 3]) {
        let (mut i, end) = (start, start + len);
        while i < end {
            let p = unravel(i, size);
            let r = (size[0] - p[0]).min(end - i);
            let (x0, x1) = (p[0] as u64, (p[0] + r - 1) as u64);
            self.sum_index[0] += (x0 + x1) * r as u64 / 2;
            self.sum_index[1] += p[1] as u64 * r as u64;
            self.sum_index[2] += p[2] as u64 * r as u64;
            let q = [p[0] + r - 1, p[1], p[2]];
            for ((lo, hi), (a, b)) in self.min.iter_mut().zip(&mut self.max).zip(p.iter().zip(&q)) {
                *lo = (*lo).min(*a);
                *hi = (*hi).max(*b);
            }
            self.n += r as u64;
            i += r;
        }
    }

    /// Chan et al.'s merge of two partials (`b` after `a` in memory order).
    fn merge(&mut self, b: &Acc) {
        let n = self.n + b.n;
        let d = b.mean - self.mean;
        if n > 0 {
            self.m2 += b.m2 + d * d * (self.n as f64) * (b.n as f64) / n as f64;
            self.mean += d * b.n as f64 / n as f64;
        }
        self.n = n;
        self.sum += b.sum;
        for a in 0..3 {
            self.sum_index[a] += b.sum_index[a];
            self.min[a] = self.min[a].min(b.min[a]);
            self.max[a] = self.max[a].max(b.max[a]);
        }
        self.lo = self.lo.min(b.lo);
        self.hi = self.hi.max(b.hi);
    }
}

/// A label value as an integer; errors for non-integer (or huge) float labels.
pub(crate) fn label_key<L: Pixel>(op: &'static str, v: L) -> Result<i64> {
    let x = v.to_f64();
    if x.fract() != 0.0 || !x.is_finite() || x.abs() > 9.0e15 {
        return Err(SegmentError::Parameter {
            op,
            name: "labels",
            reason: format!("label maps must hold integer values, found {x}"),
        });
    }
    Ok(x as i64)
}

/// Checks that two volumes share one grid (size exactly; spacing, origin and
/// direction within 1e-4 relative, as ITK's default tolerance).
pub(crate) fn check_same_grid(
    op: &'static str,
    a: ([usize; 3], &Geometry),
    b: ([usize; 3], &Geometry),
) -> Result<()> {
    if a.0 != b.0 {
        return Err(SegmentError::Mismatch {
            op,
            reason: format!("sizes differ: {:?} vs {:?}", a.0, b.0),
        });
    }
    let (ga, gb) = (a.1, b.1);
    let tol = 1e-4 * ga.spacing.iter().fold(0.0f64, |m, s| m.max(s.abs()));
    let close = |x: f64, y: f64, t: f64| (x - y).abs() <= t;
    let same = (0..3).all(|i| {
        close(ga.spacing[i], gb.spacing[i], tol)
            && close(ga.origin[i], gb.origin[i], tol)
            && (0..3).all(|j| close(ga.direction[i][j], gb.direction[i][j], 1e-4))
    });
    if !same {
        return Err(SegmentError::Mismatch {
            op,
            reason: format!("geometries differ: {ga:?} vs {gb:?}"),
        });
    }
    Ok(())
}

/// Offset of `chunk` inside `all` (both slices of the same buffer).
pub(crate) fn chunk_offset<T>(all: &[T], chunk: &[T]) -> usize {
    (chunk.as_ptr() as usize - all.as_ptr() as usize) / std::mem::size_of::<T>().max(1)
}

/// Index `[x, y, z]` of a linear offset in an x-fastest volume of `size`.
#[inline]
pub(crate) fn unravel(i: usize, size: [usize; 3]) -> [usize; 3] {
    let plane = size[0] * size[1];
    [i % size[0], (i / size[0]) % size[1], i / plane]
}

/// Calls `f(key, start, end)` for each run `start..end` of equal labels whose
/// key is not `background`.
fn for_each_run<L: Pixel>(
    labels: &[L],
    background: i64,
    mut f: impl FnMut(i64, usize, usize),
) -> Result<()> {
    let mut i = 0;
    while i < labels.len() {
        let v = labels[i];
        let mut j = i + 1;
        while j < labels.len() && labels[j] == v {
            j += 1;
        }
        let key = label_key(OP, v)?;
        if key != background {
            f(key, i, j);
        }
        i = j;
    }
    Ok(())
}

/// One chunk: per-label partials, accumulated run by run (one map lookup per run).
fn chunk_accs<L: Pixel>(
    labels: &[L],
    image: Option<&[f64]>,
    offset: usize,
    size: [usize; 3],
    background: i64,
) -> Result<HashMap<i64, Acc>> {
    let mut map: HashMap<i64, Acc> = HashMap::new();
    for_each_run(labels, background, |key, i, j| {
        let acc = map.entry(key).or_insert_with(Acc::new);
        acc.add_run(offset + i, j - i, size);
        if let Some(img) = image {
            for &x in &img[i..j] {
                acc.sum += x;
                acc.lo = acc.lo.min(x);
                acc.hi = acc.hi.max(x);
            }
        }
    })?;
    if let Some(img) = image {
        // Second pass for the chunk's M2 about each label's chunk mean (no cancellation).
        for acc in map.values_mut() {
            acc.mean = acc.sum / acc.n as f64;
        }
        for_each_run(labels, background, |key, i, j| {
            let acc = map.get_mut(&key).expect("label seen in the first pass");
            let m = acc.mean;
            acc.m2 += img[i..j].iter().map(|x| (x - m) * (x - m)).sum::<f64>();
        })?;
    }
    Ok(map)
}

/// Shape statistics of every label of a label map (see the module docs).
pub fn label_stats<L: Pixel>(
    labels: &Volume<L>,
    params: &LabelStatsParams,
    exec: &Executor,
) -> Result<Vec<LabelStats>> {
    stats_impl(labels, None::<&Volume<u8>>, params, exec)
}

/// Shape and intensity statistics of every label (the image must share the label map's grid).
pub fn label_stats_with_image<L: Pixel, T: Pixel>(
    labels: &Volume<L>,
    image: &Volume<T>,
    params: &LabelStatsParams,
    exec: &Executor,
) -> Result<Vec<LabelStats>> {
    stats_impl(labels, Some(image), params, exec)
}

/// [`label_stats`] / [`label_stats_with_image`] on volumes of any pixel type.
pub fn label_stats_any(
    labels: &AnyVolume,
    image: Option<&AnyVolume>,
    params: &LabelStatsParams,
    exec: &Executor,
) -> Result<Vec<LabelStats>> {
    match image {
        None => medvox_core::with_volume!(labels, l => label_stats(l, params, exec)),
        Some(img) => medvox_core::with_volume!(labels, l => {
            medvox_core::with_volume!(img, i => label_stats_with_image(l, i, params, exec))
        }),
    }
}

fn stats_impl<L: Pixel, T: Pixel>(
    labels: &Volume<L>,
    image: Option<&Volume<T>>,
    params: &LabelStatsParams,
    exec: &Executor,
) -> Result<Vec<LabelStats>> {
    if let Some(img) = image {
        check_same_grid(
            OP,
            (labels.size(), labels.geometry()),
            (img.size(), img.geometry()),
        )?;
    }
    let size = labels.size();
    let lab = labels.as_slice();
    let img64: Option<Vec<f64>> =
        image.map(|v| exec.install(|| v.as_slice().par_iter().map(|x| x.to_f64()).collect()));
    let bg = params.background;
    let merged = exec.reduce_chunks(
        lab,
        |c| {
            let off = chunk_offset(lab, c);
            let im = img64.as_deref().map(|s| &s[off..off + c.len()]);
            chunk_accs(c, im, off, size, bg).map(|m| vec![m])
        },
        |a, b| match (a, b) {
            (Ok(mut a), Ok(b)) => {
                a.extend(b);
                Ok(a)
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        },
    );
    let parts = match merged {
        None => return Ok(Vec::new()),
        Some(p) => p?,
    };
    // Merge chunk partials in memory order (deterministic float sums).
    let mut total: HashMap<i64, Acc> = HashMap::new();
    for part in parts {
        let mut keys: Vec<_> = part.into_iter().collect();
        keys.sort_by_key(|(k, _)| *k);
        for (k, acc) in keys {
            total.entry(k).and_modify(|t| t.merge(&acc)).or_insert(acc);
        }
    }
    let mut keys: Vec<i64> = total.keys().copied().collect();
    keys.sort_unstable();
    let medians = match &img64 {
        Some(img) => Some(exact_medians(lab, img, &keys, &total, exec)?),
        None => None,
    };
    let g = labels.geometry();
    let voxel_volume = g.spacing.iter().product::<f64>();
    Ok(keys
        .iter()
        .enumerate()
        .map(|(slot, k)| {
            let a = &total[k];
            let n = a.n as f64;
            let ci = a.sum_index.map(|s| s as f64 / n);
            LabelStats {
                label: *k,
                voxels: a.n,
                volume_mm3: n * voxel_volume,
                centroid_mm: g.index_to_physical(ci),
                centroid_index: ci,
                bbox_min: a.min,
                bbox_max: a.max,
                bbox_min_mm: g.index_to_physical(a.min.map(|i| i as f64)),
                bbox_max_mm: g.index_to_physical(a.max.map(|i| i as f64)),
                intensity: medians.as_ref().map(|m| IntensityStats {
                    mean: a.mean,
                    std: if a.n > 1 {
                        (a.m2 / (n - 1.0)).sqrt()
                    } else {
                        0.0
                    },
                    min: a.lo,
                    max: a.hi,
                    median: m[slot],
                    sum: a.sum,
                }),
            }
        })
        .collect())
}

/// Exact median of the image inside each label (`keys` sorted): the values are
/// gathered label by label (counting sort), then selected in parallel.
fn exact_medians<L: Pixel>(
    lab: &[L],
    img: &[f64],
    keys: &[i64],
    total: &HashMap<i64, Acc>,
    exec: &Executor,
) -> Result<Vec<f64>> {
    let slot_of: HashMap<i64, usize> = keys.iter().enumerate().map(|(s, k)| (*k, s)).collect();
    let mut start = Vec::with_capacity(keys.len() + 1);
    start.push(0usize);
    for k in keys {
        start.push(start.last().copied().unwrap_or(0) + total[k].n as usize);
    }
    let mut values = vec![0.0f64; *start.last().unwrap_or(&0)];
    let mut fill = start.clone();
    let mut i = 0;
    while i < lab.len() {
        let v = lab[i];
        let mut j = i + 1;
        while j < lab.len() && lab[j] == v {
            j += 1;
        }
        if let Some(&s) = slot_of.get(&label_key(OP, v)?) {
            values[fill[s]..fill[s] + (j - i)].copy_from_slice(&img[i..j]);
            fill[s] += j - i;
        }
        i = j;
    }
    // Split the buffer into one slice per label and select in parallel.
    let mut slices = Vec::with_capacity(keys.len());
    let mut rest = values.as_mut_slice();
    for s in 0..keys.len() {
        let (head, tail) = rest.split_at_mut(start[s + 1] - start[s]);
        slices.push(head);
        rest = tail;
    }
    Ok(exec.install(|| slices.into_par_iter().map(median_in_place).collect()))
}

/// numpy's median of a non-empty slice (reorders it).
pub(crate) fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let hi = *hi;
    if n % 2 == 1 {
        return hi;
    }
    let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_matches_numpy_rule() {
        assert_eq!(median_in_place(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median_in_place(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median_in_place(&mut [7.0]), 7.0);
    }

    #[test]
    fn unravel_is_x_fastest() {
        assert_eq!(unravel(0, [3, 4, 5]), [0, 0, 0]);
        assert_eq!(unravel(3 * 4 + 4, [3, 4, 5]), [1, 1, 1]);
    }
}
