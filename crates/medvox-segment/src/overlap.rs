//! Overlap metrics between two label maps `A` (source, e.g. a prediction) and
//! `B` (target, e.g. the reference) on one grid.
//!
//! Per label `l` (every value ≠ `background` present in `A` or `B`), with
//! `S = {A = l}` and `T = {B = l}` — SimpleITK `LabelOverlapMeasuresImageFilter`
//! `Execute(A, B)`:
//! * `dice` = 2|S∩T| / (|S| + |T|), `jaccard` = |S∩T| / |S∪T|,
//! * `volume_similarity` = 2(|S| − |T|) / (|S| + |T|),
//! * `hausdorff_mm`, `hausdorff95_mm`, `assd_mm` between `S` and `T`, defined in
//!   [`crate::surface`] (Hausdorff = SimpleITK `HausdorffDistance`; HD95 and ASSD
//!   on the 6-connected surfaces, as MONAI); `None` when `S` or `T` is empty.
//!
//! Overall:
//! * `dice`, `jaccard`, `volume_similarity` pool the label counts as SimpleITK's
//!   label-less getters do: `dice` = 2Σ|S∩T| / Σ(|S|+|T|) (`GetDiceCoefficient()`
//!   = `GetMeanOverlap()`), `jaccard` = Σ|S∩T| / Σ|S∪T| (`GetUnionOverlap()`),
//!   `volume_similarity` = 2Σ(|S|−|T|) / Σ(|S|+|T|); `None` when both maps are empty;
//! * the distances are those between the foregrounds `A ≠ background` and `B ≠
//!   background` (what SimpleITK `HausdorffDistance(A, B)` measures on label maps).
//!
//! Counting is a deterministic chunked reduction; distances use exact EDTs on the
//! bounding box of each pair, so nothing depends on the thread count.

use std::collections::HashMap;

use medvox_core::{AnyVolume, Executor, Pixel, PixelType, Volume};

use crate::error::Result;
use crate::labelstats::{check_same_grid, label_key, label_stats, LabelStats, LabelStatsParams};
use crate::surface::{object_distances, BBox, SurfaceDistances};

const OP: &str = "label-compare";

/// Parameters of [`overlap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OverlapParams {
    /// The label value that is not a label (0 by default).
    #[serde(default)]
    pub background: i64,
    /// Compute the distance metrics (Hausdorff, HD95, ASSD); on by default.
    #[serde(default = "yes")]
    pub distances: bool,
}

fn yes() -> bool {
    true
}

impl Default for OverlapParams {
    fn default() -> Self {
        OverlapParams {
            background: 0,
            distances: true,
        }
    }
}

/// Overlap of one label (see the module docs).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LabelOverlap {
    /// The label value.
    pub label: i64,
    /// Voxels of the label in `A`.
    pub voxels_a: u64,
    /// Voxels of the label in `B`.
    pub voxels_b: u64,
    /// Voxels of the label in both.
    pub intersection: u64,
    /// Dice coefficient.
    pub dice: f64,
    /// Jaccard index.
    pub jaccard: f64,
    /// Volume similarity 2(|S| − |T|)/(|S| + |T|).
    pub volume_similarity: f64,
    /// Distances in mm.
    #[serde(flatten)]
    pub distances: SurfaceDistances,
}

/// Pooled overlap of all labels and distances between the foregrounds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OverallOverlap {
    /// 2Σ|S∩T| / Σ(|S|+|T|).
    pub dice: Option<f64>,
    /// Σ|S∩T| / Σ|S∪T|.
    pub jaccard: Option<f64>,
    /// 2Σ(|S|−|T|) / Σ(|S|+|T|).
    pub volume_similarity: Option<f64>,
    /// Distances between the foregrounds, in mm.
    #[serde(flatten)]
    pub distances: SurfaceDistances,
}

/// The result of [`overlap`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OverlapReport {
    /// Per label, in increasing label order.
    pub labels: Vec<LabelOverlap>,
    /// All labels together.
    pub overall: OverallOverlap,
}

/// Overlap metrics of two label maps on the same grid (see the module docs).
pub fn overlap<L: Pixel>(
    a: &Volume<L>,
    b: &Volume<L>,
    params: &OverlapParams,
    exec: &Executor,
) -> Result<OverlapReport> {
    check_same_grid(OP, (a.size(), a.geometry()), (b.size(), b.geometry()))?;
    let sp = LabelStatsParams {
        background: params.background,
    };
    let by_label = |v: Vec<LabelStats>| -> HashMap<i64, LabelStats> {
        v.into_iter().map(|s| (s.label, s)).collect()
    };
    let sa = by_label(label_stats(a, &sp, exec)?);
    let sb = by_label(label_stats(b, &sp, exec)?);
    let inter = intersections(a, b, params.background, exec)?;
    let mut keys: Vec<i64> = sa.keys().chain(sb.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    let (sa_, sb_) = (a.as_slice(), b.as_slice());
    let size = a.size();
    let spacing = a.geometry().spacing;
    let bbox_of = |s: &LabelStats| BBox {
        min: s.bbox_min,
        max: s.bbox_max,
    };
    let mut labels = Vec::with_capacity(keys.len());
    let (mut sum_i, mut sum_u, mut sum_st, mut sum_diff) = (0u64, 0u64, 0u64, 0i64);
    let mut fg_box: Option<BBox> = None;
    for &k in &keys {
        let (na, nb) = (
            sa.get(&k).map_or(0, |s| s.voxels),
            sb.get(&k).map_or(0, |s| s.voxels),
        );
        let ni = inter.get(&k).copied().unwrap_or(0);
        let union = na + nb - ni;
        sum_i += ni;
        sum_u += union;
        sum_st += na + nb;
        sum_diff += na as i64 - nb as i64;
        let bbox = match (sa.get(&k), sb.get(&k)) {
            (Some(x), Some(y)) => bbox_of(x).union(&bbox_of(y)),
            (Some(x), None) | (None, Some(x)) => bbox_of(x),
            (None, None) => unreachable!("every key comes from one of the maps"),
        };
        fg_box = Some(fg_box.map_or(bbox, |f| f.union(&bbox)));
        let distances = if params.distances && na > 0 && nb > 0 {
            let lv = L::from_f64(k as f64);
            object_distances(
                size,
                spacing,
                bbox,
                |i| sa_[i] == lv,
                |i| sb_[i] == lv,
                exec,
            )?
        } else {
            SurfaceDistances::default()
        };
        let st = (na + nb) as f64;
        labels.push(LabelOverlap {
            label: k,
            voxels_a: na,
            voxels_b: nb,
            intersection: ni,
            dice: 2.0 * ni as f64 / st,
            jaccard: ni as f64 / union as f64,
            volume_similarity: 2.0 * (na as f64 - nb as f64) / st,
            distances,
        });
    }
    let bg = L::from_f64(params.background as f64);
    let distances = match fg_box {
        Some(bbox) if params.distances => object_distances(
            size,
            spacing,
            bbox,
            |i| sa_[i] != bg,
            |i| sb_[i] != bg,
            exec,
        )?,
        _ => SurfaceDistances::default(),
    };
    let ratio = |n: f64, d: u64| (d > 0).then(|| n / d as f64);
    Ok(OverlapReport {
        labels,
        overall: OverallOverlap {
            dice: ratio(2.0 * sum_i as f64, sum_st),
            jaccard: ratio(sum_i as f64, sum_u),
            volume_similarity: ratio(2.0 * sum_diff as f64, sum_st),
            distances,
        },
    })
}

/// [`overlap`] on label maps of any pixel types (different types are compared as f64).
pub fn overlap_any(
    a: &AnyVolume,
    b: &AnyVolume,
    params: &OverlapParams,
    exec: &Executor,
) -> Result<OverlapReport> {
    if a.pixel_type() != b.pixel_type() {
        let (a, b) = (
            a.clone().cast(PixelType::F64),
            b.clone().cast(PixelType::F64),
        );
        return overlap_any(&a, &b, params, exec);
    }
    medvox_core::with_volume!(a, a => {
        let b = b.to_volume();
        overlap(a, &b, params, exec)
    })
}

/// Per label, the number of voxels with that label in both maps.
fn intersections<L: Pixel>(
    a: &Volume<L>,
    b: &Volume<L>,
    background: i64,
    exec: &Executor,
) -> Result<HashMap<i64, u64>> {
    let (sa, sb) = (a.as_slice(), b.as_slice());
    let bg = L::from_f64(background as f64);
    let part = |c: &[L]| -> Result<HashMap<i64, u64>> {
        let off = crate::labelstats::chunk_offset(sa, c);
        let d = &sb[off..off + c.len()];
        let mut m = HashMap::new();
        let (mut last, mut run) = (bg, 0u64);
        for (&x, &y) in c.iter().zip(d) {
            if x == y && x != bg {
                if x != last && run > 0 {
                    *m.entry(label_key(OP, last)?).or_insert(0) += run;
                    run = 0;
                }
                last = x;
                run += 1;
            }
        }
        if run > 0 {
            *m.entry(label_key(OP, last)?).or_insert(0) += run;
        }
        Ok(m)
    };
    let merged = exec.reduce_chunks(sa, part, |x, y| {
        let (mut x, y) = (x?, y?);
        for (k, n) in y {
            *x.entry(k).or_insert(0) += n;
        }
        Ok(x)
    });
    merged.unwrap_or_else(|| Ok(HashMap::new()))
}
