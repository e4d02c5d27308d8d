//! How stored index axes map onto patient axes, for display.
//!
//! One algorithm, core's [`Geometry::orientation_axes`] (nibabel's
//! `io_orientation`; ITK/SimpleITK `DICOMOrient` whenever that is a
//! permutation): the index axes are permuted/flipped to the closest
//! anatomical axes, as nibabel's `as_closest_canonical` does. An oblique volume
//! is shown on its voxel grid, not resampled onto world axes.

use medvox_core::Geometry;

/// Canonical coordinate `u[a]` runs along world axis `a` (0 = towards L, 1 =
/// towards P, 2 = towards S), whatever the storage order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Canon {
    /// Index axis along world axis `a`.
    pub perm: [usize; 3],
    /// True when that index axis runs towards R / A / I (so it is reversed).
    pub flip: [bool; 3],
    /// Stored size `[nx, ny, nz]`.
    pub size: [usize; 3],
    /// Canonical size along L, P, S.
    pub n: [usize; 3],
    /// Canonical spacing along L, P, S (mm).
    pub sp: [f64; 3],
}

impl Canon {
    pub fn new(size: [usize; 3], g: &Geometry) -> Canon {
        let mut perm = [0; 3];
        let mut flip = [false; 3];
        for (c, (a, negative)) in g.orientation_axes().into_iter().enumerate() {
            perm[a] = c;
            flip[a] = negative;
        }
        Canon {
            perm,
            flip,
            size,
            n: perm.map(|c| size[c]),
            sp: perm.map(|c| g.spacing[c]),
        }
    }

    /// Stored index of canonical coordinates.
    pub fn index_of(&self, u: [usize; 3]) -> [usize; 3] {
        let mut idx = [0; 3];
        for a in 0..3 {
            idx[self.perm[a]] = if self.flip[a] {
                self.n[a] - 1 - u[a]
            } else {
                u[a]
            };
        }
        idx
    }

    /// Canonical coordinates of a stored index.
    pub fn canon_of(&self, idx: [usize; 3]) -> [usize; 3] {
        let mut u = [0; 3];
        for a in 0..3 {
            let i = idx[self.perm[a]];
            u[a] = if self.flip[a] { self.n[a] - 1 - i } else { i };
        }
        u
    }

    /// Offset of a stored index in the x-fastest voxel slice.
    pub fn flat_index(&self, i: [usize; 3]) -> usize {
        i[0] + self.size[0] * (i[1] + self.size[1] * i[2])
    }

    /// Offset of canonical coordinates in the x-fastest voxel slice.
    pub fn flat(&self, u: [usize; 3]) -> usize {
        self.flat_index(self.index_of(u))
    }

    /// Physical extent along L, P, S (mm): voxels × spacing.
    pub fn extent(&self) -> [f64; 3] {
        [0, 1, 2].map(|a| self.n[a] as f64 * self.sp[a])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permuted_and_flipped() {
        // i → I, j → R, k → A
        let d = [[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [-1.0, 0.0, 0.0]];
        let g = Geometry::new([1.0, 2.0, 3.0], [0.0; 3], d).unwrap();
        let c = Canon::new([4, 5, 6], &g);
        assert_eq!(c.perm, [1, 2, 0]);
        assert_eq!(c.flip, [true; 3]);
        assert_eq!(c.n, [5, 6, 4]);
        assert_eq!(c.sp, [2.0, 3.0, 1.0]);
        for idx in [[0, 0, 0], [3, 4, 5], [1, 2, 3]] {
            assert_eq!(c.index_of(c.canon_of(idx)), idx);
        }
        assert_eq!(c.index_of([0, 0, 0]), [3, 4, 5]);
        assert_eq!(g.orientation_code(), "IRA");
    }
}
