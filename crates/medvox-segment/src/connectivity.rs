//! Voxel neighbourhoods: 6-, 18- and 26-connectivity in 3D (4 and 8 in 2D).
//!
//! Two voxels are neighbours when their index offset `d` (each component in
//! −1..=1, not all zero) has at most 1 (face, 6), 2 (edge, 18) or 3 (vertex,
//! 26) non-zero components. A volume one slice deep (`nz == 1`) has no z
//! neighbours, so 6 acts as 4-connectivity and 18/26 as 8-connectivity —
//! SimpleITK's `fullyConnected=False/True`, scipy/skimage `connectivity=1/ndim`.

use serde::{Deserialize, Serialize};

use crate::error::{Result, SegmentError};

/// A neighbourhood: which of the 26 surrounding voxels touch the centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(try_from = "u32", into = "u32")]
pub enum Connectivity {
    /// Faces only: 6 neighbours (4 in 2D). SimpleITK `fullyConnected=False`.
    #[default]
    Face,
    /// Faces and edges: 18 neighbours (8 in 2D).
    Edge,
    /// Faces, edges and corners: 26 neighbours (8 in 2D). SimpleITK `fullyConnected=True`.
    Full,
}

impl Connectivity {
    /// From a neighbour count: 6 or 4 → face, 18 → edge, 26 or 8 → full.
    pub fn from_count(op: &'static str, n: u32) -> Result<Self> {
        match n {
            4 | 6 => Ok(Connectivity::Face),
            18 => Ok(Connectivity::Edge),
            8 | 26 => Ok(Connectivity::Full),
            _ => Err(SegmentError::Parameter {
                op,
                name: "connectivity",
                reason: format!("must be 6, 18 or 26 (4 or 8 in 2D), got {n}"),
            }),
        }
    }

    /// The 3D neighbour count (6, 18, 26).
    pub fn count(self) -> u32 {
        match self {
            Connectivity::Face => 6,
            Connectivity::Edge => 18,
            Connectivity::Full => 26,
        }
    }

    /// Largest number of non-zero offset components.
    fn order(self) -> usize {
        match self {
            Connectivity::Face => 1,
            Connectivity::Edge => 2,
            Connectivity::Full => 3,
        }
    }

    /// Every neighbour offset `[dx, dy, dz]`, in raster order of the 3×3×3
    /// neighbourhood (z slowest, x fastest) — ITK's neighbourhood order.
    pub fn offsets(self) -> Vec<[isize; 3]> {
        let mut v = Vec::with_capacity(26);
        for dz in -1isize..=1 {
            for dy in -1isize..=1 {
                for dx in -1isize..=1 {
                    let nz = [dx, dy, dz].iter().filter(|&&d| d != 0).count();
                    if nz > 0 && nz <= self.order() {
                        v.push([dx, dy, dz]);
                    }
                }
            }
        }
        v
    }

    /// The offsets that come earlier in raster order (half of [`Self::offsets`]).
    pub fn backward(self) -> Vec<[isize; 3]> {
        self.offsets()
            .into_iter()
            .filter(|d| (d[2], d[1], d[0]) < (0, 0, 0))
            .collect()
    }
}

impl TryFrom<u32> for Connectivity {
    type Error = SegmentError;
    fn try_from(n: u32) -> Result<Self> {
        Connectivity::from_count("connectivity", n)
    }
}

impl From<Connectivity> for u32 {
    fn from(c: Connectivity) -> u32 {
        c.count()
    }
}

/// The in-volume neighbours of a voxel, in ITK's order, on a grid of `[nx, ny, nz]`.
#[derive(Debug, Clone)]
pub(crate) struct Neighbours {
    steps: Vec<[isize; 3]>,
    lin: Vec<isize>,
    size: [usize; 3],
    /// Division by nx and nx·ny by multiplication (exact below 2^32 voxels).
    div: Option<(FastDiv, FastDiv)>,
}

/// Exact `n / d` for `n, d < 2^32` as `(n · ⌈2^64 / d⌉) >> 64` (Lemire, Kaser & Kurz 2019).
#[derive(Debug, Clone, Copy)]
struct FastDiv(u128);

impl FastDiv {
    fn new(d: usize) -> Self {
        FastDiv(u128::from(u64::MAX) / d as u128 + 1)
    }

    #[inline(always)]
    fn div(self, n: usize) -> usize {
        ((n as u128 * self.0) >> 64) as usize
    }
}

impl Neighbours {
    /// The neighbourhood `conn` on a grid of `size`.
    pub fn new(conn: Connectivity, size: [usize; 3]) -> Self {
        let steps = conn.offsets();
        let (sx, sxy) = (size[0] as isize, (size[0] * size[1]) as isize);
        let lin = steps
            .iter()
            .map(|d| d[0] + d[1] * sx + d[2] * sxy)
            .collect();
        let n = size[0] * size[1] * size[2];
        let div = (n > 0 && n < u32::MAX as usize)
            .then(|| (FastDiv::new(size[0]), FastDiv::new(size[0] * size[1])));
        Neighbours {
            steps,
            lin,
            size,
            div,
        }
    }

    /// Calls `f` with the linear index of each neighbour of voxel `i` inside
    /// the volume, in order, until `f` returns false.
    #[inline]
    pub fn for_each(&self, i: usize, mut f: impl FnMut(usize) -> bool) {
        let s = self.size;
        let (r, z) = match self.div {
            Some((d0, d1)) => (d0.div(i), d1.div(i)),
            None => (i / s[0], i / (s[0] * s[1])),
        };
        let (x, y) = (i - r * s[0], r - z * s[1]);
        let inner = x >= 1 && x + 1 < s[0] && y >= 1 && y + 1 < s[1] && z >= 1 && z + 1 < s[2];
        for (k, d) in self.steps.iter().enumerate() {
            if !inner {
                let q = [x as isize + d[0], y as isize + d[1], z as isize + d[2]];
                if (0..3).any(|a| q[a] < 0 || q[a] >= s[a] as isize) {
                    continue;
                }
            }
            if !f((i as isize + self.lin[k]) as usize) {
                return;
            }
        }
    }
}

/// `[x, y, z]` of linear index `i` on a grid of `size`.
#[inline]
pub(crate) fn coords(i: usize, size: [usize; 3]) -> [usize; 3] {
    let x = i % size[0];
    let r = i / size[0];
    [x, r % size[1], r / size[1]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        for (c, n) in [
            (Connectivity::Face, 6),
            (Connectivity::Edge, 18),
            (Connectivity::Full, 26),
        ] {
            assert_eq!(c.offsets().len(), n);
            assert_eq!(c.backward().len(), n / 2);
            assert_eq!(Connectivity::from_count("t", n as u32).unwrap(), c);
        }
        assert!(Connectivity::from_count("t", 7).is_err());
        assert_eq!(Connectivity::Face.offsets()[0], [0, 0, -1]);
    }

    #[test]
    fn fast_division_is_exact() {
        for d in [
            1usize,
            2,
            3,
            7,
            255,
            256,
            257,
            512 * 512,
            65535,
            1 << 31,
            u32::MAX as usize,
        ] {
            let f = FastDiv::new(d);
            for n in [
                0usize,
                1,
                d - 1,
                d,
                d + 1,
                12345678,
                u32::MAX as usize - 1,
                u32::MAX as usize,
            ] {
                assert_eq!(f.div(n), n / d, "{n} / {d}");
            }
        }
    }
}
