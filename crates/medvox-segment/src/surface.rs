//! Distances between two binary objects in mm: Hausdorff over all voxels, and
//! the surface metrics HD95 and ASSD.
//!
//! Given objects `S` and `T` (voxel sets on one grid with spacing `s`), the
//! distance of two voxels is the Euclidean distance of their centres in mm,
//! `sqrt(Σ (Δi_a · s_a)²)`; `d(p, X)` is the distance of `p` to the nearest voxel of `X`.
//!
//! * **`hausdorff_mm`** = `max(max_{p∈S} d(p, T), max_{q∈T} d(q, S))` over *all*
//!   voxels of the objects, as SimpleITK's `HausdorffDistanceImageFilter`
//!   (`useImageSpacing`), which measures with a distance map of each object.
//! * **Surface** `∂X`: the voxels of `X` with at least one of their 6 face
//!   neighbours outside `X`; neighbours outside the image count as outside `X`
//!   (so an object filling the image still has a surface).
//! * `d_ST` = the list `d(p, ∂T)` for `p ∈ ∂S`, `d_TS` = `d(q, ∂S)` for `q ∈ ∂T`.
//! * **`hausdorff95_mm`** = `max(P95(d_ST), P95(d_TS))` with numpy's default
//!   (linear) percentile — MONAI's `compute_hausdorff_distance(percentile=95)`.
//! * **`assd_mm`** = `(Σ d_ST + Σ d_TS) / (|∂S| + |∂T|)` — MONAI's
//!   `compute_average_surface_distance(symmetric=True)`.
//! * If either object is empty every distance is undefined (`None`).
//!
//! Every distance comes from the exact EDT of `medvox_filters::distance` (f32,
//! anisotropic spacing) computed on the bounding box of `S ∪ T` (which holds every
//! nearest voxel), so the cost follows the objects' extent, not the image's. The
//! result does not depend on the thread count.

use medvox_core::{Executor, Geometry, Volume};
use medvox_filters::distance::{distance, DistanceParams};
use rayon::prelude::*;

use crate::error::Result;

/// Distances between two objects (see the module docs), all in mm.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct SurfaceDistances {
    /// Hausdorff distance over all voxels (SimpleITK `HausdorffDistance`).
    pub hausdorff_mm: Option<f64>,
    /// Symmetric 95th-percentile surface distance.
    pub hausdorff95_mm: Option<f64>,
    /// Average symmetric surface distance.
    pub assd_mm: Option<f64>,
}

/// A box of voxels `[x, y, z]`, bounds inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BBox {
    /// Smallest index.
    pub min: [usize; 3],
    /// Largest index (inclusive).
    pub max: [usize; 3],
}

impl BBox {
    /// Size of the box `[nx, ny, nz]`.
    pub fn size(&self) -> [usize; 3] {
        [0, 1, 2].map(|a| self.max[a] + 1 - self.min[a])
    }

    /// The smallest box holding both.
    pub fn union(&self, o: &BBox) -> BBox {
        BBox {
            min: [0, 1, 2].map(|a| self.min[a].min(o.min[a])),
            max: [0, 1, 2].map(|a| self.max[a].max(o.max[a])),
        }
    }
}

/// Distances between the objects `in_s(i)` and `in_t(i)` of a volume of `size`
/// (predicates on linear x-fastest indices), both inside `bbox`, with `spacing`.
pub fn object_distances(
    size: [usize; 3],
    spacing: [f64; 3],
    bbox: BBox,
    in_s: impl Fn(usize) -> bool + Sync,
    in_t: impl Fn(usize) -> bool + Sync,
    exec: &Executor,
) -> Result<SurfaceDistances> {
    let cs = bbox.size();
    // Crop both masks to the box (bit 0: S, bit 1: T).
    let mut crop = vec![0u8; cs[0] * cs[1] * cs[2]];
    exec.install(|| {
        crop.par_chunks_mut(cs[0]).enumerate().for_each(|(r, row)| {
            let (y, z) = (bbox.min[1] + r % cs[1], bbox.min[2] + r / cs[1]);
            let base = (z * size[1] + y) * size[0] + bbox.min[0];
            for (x, v) in row.iter_mut().enumerate() {
                *v = in_s(base + x) as u8 | ((in_t(base + x) as u8) << 1);
            }
        })
    });
    let has = |bit: u8| crop.iter().any(|v| v & bit != 0);
    if !has(1) || !has(2) {
        return Ok(SurfaceDistances::default());
    }
    let g = Geometry {
        spacing,
        ..Geometry::default()
    };
    // Distance of every voxel to the nearest voxel with `bit` set in `m`.
    let dist_to = |m: &[u8], bit: u8| -> Result<Volume<f32>> {
        let v = Volume::from_vec(cs, m.iter().map(|&c| (c & bit == 0) as u8).collect(), g)?;
        Ok(distance(&v, &DistanceParams::default(), exec)?)
    };
    let max_over = |d: &[f32], m: &[u8], bit: u8| -> f64 {
        d.iter()
            .zip(m)
            .filter(|(_, &c)| c & bit != 0)
            .fold(0.0f64, |a, (&x, _)| a.max(x as f64))
    };
    let d_t = dist_to(&crop, 2)?;
    let d_s = dist_to(&crop, 1)?;
    let hausdorff = max_over(d_t.as_slice(), &crop, 1).max(max_over(d_s.as_slice(), &crop, 2));
    // Surfaces: bit 2 = ∂S, bit 3 = ∂T.
    let surf = surfaces(&crop, cs, exec);
    let d_dt = dist_to(&surf, 8)?;
    let d_ds = dist_to(&surf, 4)?;
    let gather = |d: &[f32], bit: u8| -> Vec<f64> {
        d.iter()
            .zip(&surf)
            .filter(|(_, &c)| c & bit != 0)
            .map(|(&x, _)| x as f64)
            .collect()
    };
    let mut st = gather(d_dt.as_slice(), 4);
    let mut ts = gather(d_ds.as_slice(), 8);
    let assd = (st.iter().sum::<f64>() + ts.iter().sum::<f64>()) / (st.len() + ts.len()) as f64;
    let hd95 = percentile(&mut st, 95.0).max(percentile(&mut ts, 95.0));
    Ok(SurfaceDistances {
        hausdorff_mm: Some(hausdorff),
        hausdorff95_mm: Some(hd95),
        assd_mm: Some(assd),
    })
}

/// Adds bit 2 (bit 3) to the voxels of object bit 0 (bit 1) that have a face
/// neighbour outside the object or outside the box.
fn surfaces(m: &[u8], cs: [usize; 3], exec: &Executor) -> Vec<u8> {
    let (nx, ny, nz) = (cs[0], cs[1], cs[2]);
    let mut out = m.to_vec();
    exec.install(|| {
        out.par_chunks_mut(nx).enumerate().for_each(|(r, row)| {
            let (y, z) = (r % ny, r / ny);
            let at = |x: usize, y: usize, z: usize| m[(z * ny + y) * nx + x];
            for (x, o) in row.iter_mut().enumerate() {
                let c = *o & 3;
                if c == 0 {
                    continue;
                }
                // Bits of the objects every face neighbour belongs to (outside: none).
                let mut all = 3u8;
                let mut nb = |v: Option<u8>| all &= v.unwrap_or(0);
                nb((x > 0).then(|| at(x - 1, y, z)));
                nb((x + 1 < nx).then(|| at(x + 1, y, z)));
                nb((y > 0).then(|| at(x, y - 1, z)));
                nb((y + 1 < ny).then(|| at(x, y + 1, z)));
                nb((z > 0).then(|| at(x, y, z - 1)));
                nb((z + 1 < nz).then(|| at(x, y, z + 1)));
                *o |= (c & !all) << 2;
            }
        })
    });
    out
}

/// numpy's default percentile (linear interpolation between order statistics).
pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_unstable_by(f64::total_cmp);
    let pos = p / 100.0 * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    let f = pos - lo as f64;
    v[lo] + (v[hi] - v[lo]) * f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_linear() {
        assert_eq!(percentile(&mut [1.0, 2.0, 3.0, 4.0, 5.0], 50.0), 3.0);
        assert!((percentile(&mut [0.0, 10.0], 95.0) - 9.5).abs() < 1e-12);
    }
}
