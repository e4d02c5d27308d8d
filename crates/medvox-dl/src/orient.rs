//! Reorientation to the closest canonical RAS orientation, as
//! `nibabel.as_closest_canonical`, and the array order deep-learning models use.
//!
//! medvox keeps voxels x fastest in LPS space; nibabel-based pipelines (MONAI's
//! loaders, deepbet) give a network the array `(X, Y, Z)` (z fastest) of the volume
//! reoriented so that its index axes point to R, A and S. [`Canonical`] is that
//! permutation and those flips; [`to_canonical`] and [`from_canonical`] convert
//! there and back exactly (no resampling).

use medvox_core::{Geometry, Pixel, Volume};
use ndarray::{Array3, ArrayView3, Axis};

use crate::error::Result;

/// How a volume's index axes map to the canonical RAS axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canonical {
    /// Canonical axis `a` (R, A, S) is index axis `perm[a]` of the volume.
    pub perm: [usize; 3],
    /// Canonical axis `a` runs against index axis `perm[a]`.
    pub flip: [bool; 3],
}

impl Canonical {
    /// No reorientation: canonical axes = index axes (i, j, k).
    pub const IDENTITY: Canonical = Canonical {
        perm: [0, 1, 2],
        flip: [false; 3],
    };

    /// The closest canonical RAS orientation of a geometry (each index axis goes to
    /// the world axis its direction is closest to, largest cosines first).
    pub fn closest_ras(g: &Geometry) -> Canonical {
        // RAS direction of index axis i: LPS column with x and y negated.
        let ras = |w: usize, i: usize| {
            let v = g.direction[w][i];
            if w < 2 {
                -v
            } else {
                v
            }
        };
        let mut pairs: Vec<(f64, usize, usize)> = (0..3)
            .flat_map(|w| (0..3).map(move |i| (w, i)))
            .map(|(w, i)| (ras(w, i).abs(), w, i))
            .collect();
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut perm = [usize::MAX; 3];
        let mut used = [false; 3];
        let mut flip = [false; 3];
        for (_, w, i) in pairs {
            if perm[w] == usize::MAX && !used[i] {
                perm[w] = i;
                used[i] = true;
                flip[w] = ras(w, i) < 0.0;
            }
        }
        Canonical { perm, flip }
    }

    /// Canonical shape (X, Y, Z) of a volume of size `[nx, ny, nz]`.
    pub fn shape(&self, size: [usize; 3]) -> [usize; 3] {
        std::array::from_fn(|a| size[self.perm[a]])
    }

    /// Axes of the `(z, y, x)` data array in canonical order.
    fn data_axes(&self) -> [usize; 3] {
        std::array::from_fn(|a| 2 - self.perm[a])
    }
}

/// The canonical `(X, Y, Z)` array (C order, Z fastest) of a volume.
pub fn to_canonical<T: Pixel>(vol: &Volume<T>, c: &Canonical) -> Array3<T> {
    let mut v = vol.data().permuted_axes(c.data_axes());
    for a in 0..3 {
        if c.flip[a] {
            v.invert_axis(Axis(a));
        }
    }
    v.as_standard_layout().into_owned()
}

/// A canonical `(X, Y, Z)` array back on the grid of the volume it came from
/// (`geometry` = that volume's).
pub fn from_canonical<T: Pixel>(
    arr: ArrayView3<'_, T>,
    c: &Canonical,
    geometry: &Geometry,
) -> Result<Volume<T>> {
    let mut v = arr;
    for a in 0..3 {
        if c.flip[a] {
            v.invert_axis(Axis(a));
        }
    }
    // data axis d (0 = z) is canonical axis a with perm[a] = 2 - d.
    let axes: [usize; 3] =
        std::array::from_fn(|d| (0..3).find(|&a| c.perm[a] == 2 - d).expect("a permutation"));
    let data = v.permuted_axes(axes).as_standard_layout().into_owned();
    Ok(Volume::new(data, *geometry)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_ras_axes() {
        // LPS identity = RAS with x and y flipped.
        let g = Geometry::default();
        let c = Canonical::closest_ras(&g);
        assert_eq!(c.perm, [0, 1, 2]);
        assert_eq!(c.flip, [true, true, false]);
        // A permuted direction: index i along S, j along L, k along P.
        let d = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]];
        let g2 = Geometry::new([1.0; 3], [0.0; 3], d).unwrap();
        let c2 = Canonical::closest_ras(&g2);
        assert_eq!(c2.perm, [1, 2, 0]);
        assert_eq!(c2.flip, [true, true, false]);
        let vol = Volume::from_vec([4, 3, 2], (0..24).map(|v| v as f32).collect(), g2).unwrap();
        let a = to_canonical(&vol, &c2);
        assert_eq!(a.dim(), (3, 2, 4));
        // canonical (r, a, s) = index (s, 2 - r, 1 - a) (R = −L along j, A = −P along k).
        assert_eq!(a[[0, 0, 1]], vol.get([1, 2, 1]).unwrap());
        let back = from_canonical(a.view(), &c2, vol.geometry()).unwrap();
        assert_eq!(back, vol);
    }
}
