//! Regions, halos and block plans: how a volume is cut into independent pieces.
//!
//! A [`BlockPlan`] cuts a grid of size `[nx, ny, nz]` into blocks of at most
//! `block` voxels per axis. Each [`Block`] has an *interior* (the voxels it
//! writes; interiors tile the grid exactly once) and a *padded* region (interior
//! grown by the halo, clipped to the grid: the voxels it reads). A neighbourhood
//! operation of radius r needs a halo of r; where the padded region is clipped at
//! the volume border the operation applies its own boundary rule.
//!
//! The CPU executor uses slabs of whole z-planes ([`BlockPlan::slabs`]);
//! GPUs and chunked stores use 3D tiles ([`BlockPlan::new`]). Both are the same type.

use ndarray::{s, ArrayView3, ArrayViewMut3};

use crate::error::{CoreError, Result};

/// An axis-aligned box of voxel indices, `[x, y, z]` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Region {
    /// First index on each axis.
    pub start: [usize; 3],
    /// Extent on each axis.
    pub size: [usize; 3],
}

impl Region {
    /// The whole grid of a size.
    pub fn whole(size: [usize; 3]) -> Self {
        Region {
            start: [0; 3],
            size,
        }
    }

    /// One past the last index on each axis.
    pub fn end(&self) -> [usize; 3] {
        [
            self.start[0] + self.size[0],
            self.start[1] + self.size[1],
            self.start[2] + self.size[2],
        ]
    }

    /// Number of voxels.
    pub fn len(&self) -> usize {
        self.size.iter().product()
    }

    /// True when the region holds no voxel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// This region grown by `halo` on every side, clipped to a grid of `bounds`.
    pub fn grow(&self, halo: [usize; 3], bounds: [usize; 3]) -> Region {
        let mut r = *self;
        for a in 0..3 {
            let lo = self.start[a].saturating_sub(halo[a]);
            let hi = (self.start[a] + self.size[a] + halo[a]).min(bounds[a]);
            r.start[a] = lo;
            r.size[a] = hi - lo;
        }
        r
    }

    /// `other` expressed relative to this region's start (`other` must lie inside).
    pub fn relative(&self, other: &Region) -> Region {
        Region {
            start: [
                other.start[0] - self.start[0],
                other.start[1] - self.start[1],
                other.start[2] - self.start[2],
            ],
            size: other.size,
        }
    }

    /// The part of a `(z, y, x)` array that this region covers.
    pub fn view<'a, T>(&self, a: &'a ArrayView3<'a, T>) -> ArrayView3<'a, T> {
        let (s0, e) = (self.start, self.end());
        a.slice(s![s0[2]..e[2], s0[1]..e[1], s0[0]..e[0]])
    }

    /// The part of a mutable `(z, y, x)` array that this region covers.
    pub fn view_mut<'a, T>(&self, a: &'a mut ArrayViewMut3<'_, T>) -> ArrayViewMut3<'a, T> {
        let (s0, e) = (self.start, self.end());
        a.slice_mut(s![s0[2]..e[2], s0[1]..e[1], s0[0]..e[0]])
    }
}

/// One block of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Block {
    /// Position of the block in the plan's block grid, `[x, y, z]`.
    pub grid_index: [usize; 3],
    /// Voxels this block writes.
    pub interior: Region,
    /// Voxels this block reads: the interior plus the halo, clipped to the grid.
    pub padded: Region,
}

/// A partition of a grid into blocks with a halo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlockPlan {
    /// Grid size `[nx, ny, nz]`.
    pub shape: [usize; 3],
    /// Largest block extent per axis.
    pub block: [usize; 3],
    /// Halo per axis (voxels read beyond the interior on each side).
    pub halo: [usize; 3],
}

impl BlockPlan {
    /// A plan with 3D blocks of at most `block` voxels per axis (each ≥ 1).
    pub fn new(shape: [usize; 3], block: [usize; 3], halo: [usize; 3]) -> Result<Self> {
        if block.contains(&0) {
            return Err(CoreError::Parameter {
                name: "block".into(),
                reason: format!("every block extent must be >= 1, got {block:?}"),
            });
        }
        let block = [
            block[0].min(shape[0].max(1)),
            block[1].min(shape[1].max(1)),
            block[2].min(shape[2].max(1)),
        ];
        Ok(BlockPlan { shape, block, halo })
    }

    /// Slabs of `depth` whole z-planes: the natural CPU block (contiguous memory).
    pub fn slabs(shape: [usize; 3], depth: usize, halo: [usize; 3]) -> Result<Self> {
        Self::new(shape, [shape[0].max(1), shape[1].max(1), depth], halo)
    }

    /// Slabs sized for `threads` workers: about 4 slabs per thread, so that
    /// uneven blocks still balance, and at least one plane each.
    pub fn auto(shape: [usize; 3], halo: [usize; 3], threads: usize) -> Self {
        let want = (threads.max(1) * 4).max(1);
        let depth = shape[2].div_ceil(want).max(1);
        Self::slabs(shape, depth, halo).expect("depth >= 1")
    }

    /// Number of blocks per axis.
    pub fn grid(&self) -> [usize; 3] {
        [
            self.shape[0].div_ceil(self.block[0]),
            self.shape[1].div_ceil(self.block[1]),
            self.shape[2].div_ceil(self.block[2]),
        ]
    }

    /// Start positions of the blocks along one axis.
    pub fn cuts(&self, axis: usize) -> Vec<usize> {
        (0..self.grid()[axis])
            .map(|b| b * self.block[axis])
            .collect()
    }

    /// Every block, in raster order (x fastest, z slowest).
    pub fn blocks(&self) -> Vec<Block> {
        let g = self.grid();
        let mut out = Vec::with_capacity(g.iter().product());
        for bz in 0..g[2] {
            for by in 0..g[1] {
                for bx in 0..g[0] {
                    let gi = [bx, by, bz];
                    let mut interior = Region::whole([0; 3]);
                    for (a, &g) in gi.iter().enumerate() {
                        interior.start[a] = g * self.block[a];
                        interior.size[a] = self.block[a].min(self.shape[a] - interior.start[a]);
                    }
                    out.push(Block {
                        grid_index: gi,
                        interior,
                        padded: interior.grow(self.halo, self.shape),
                    });
                }
            }
        }
        out
    }

    /// Splits a `(z, y, x)` output array into one disjoint mutable view per
    /// block interior, in the order of [`BlockPlan::blocks`].
    pub fn split_mut<'a, T>(&self, out: ArrayViewMut3<'a, T>) -> Vec<ArrayViewMut3<'a, T>> {
        use ndarray::Axis;
        fn split_axis<'a, T>(
            v: ArrayViewMut3<'a, T>,
            axis: usize,
            block: usize,
        ) -> Vec<ArrayViewMut3<'a, T>> {
            let mut parts = Vec::new();
            let mut rest = v;
            while rest.len_of(Axis(axis)) > block {
                let (a, b) = rest.split_at(Axis(axis), block);
                parts.push(a);
                rest = b;
            }
            parts.push(rest);
            parts
        }
        let mut views = Vec::new();
        for slab in split_axis(out, 0, self.block[2]) {
            for row in split_axis(slab, 1, self.block[1]) {
                views.extend(split_axis(row, 2, self.block[0]));
            }
        }
        views
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interiors_tile_the_grid_once() {
        let plan = BlockPlan::new([10, 7, 5], [4, 3, 2], [1, 2, 0]).unwrap();
        let mut count = vec![0u8; 10 * 7 * 5];
        for b in plan.blocks() {
            let e = b.interior.end();
            for z in b.interior.start[2]..e[2] {
                for y in b.interior.start[1]..e[1] {
                    for x in b.interior.start[0]..e[0] {
                        count[x + 10 * (y + 7 * z)] += 1;
                    }
                }
            }
            let p = b.padded;
            assert!(p.end().iter().zip([10, 7, 5]).all(|(e, n)| *e <= n));
        }
        assert!(count.iter().all(|&c| c == 1));
        assert_eq!(plan.grid(), [3, 3, 3]);
    }

    #[test]
    fn split_matches_blocks() {
        let plan = BlockPlan::new([5, 4, 3], [2, 3, 2], [0; 3]).unwrap();
        let mut a = ndarray::Array3::<u32>::zeros((3, 4, 5));
        let blocks = plan.blocks();
        let views = plan.split_mut(a.view_mut());
        assert_eq!(views.len(), blocks.len());
        for (i, (mut v, b)) in views.into_iter().zip(&blocks).enumerate() {
            assert_eq!(
                v.shape(),
                &[b.interior.size[2], b.interior.size[1], b.interior.size[0]]
            );
            v.fill(i as u32);
        }
        for (i, b) in blocks.iter().enumerate() {
            assert!(b.interior.view(&a.view()).iter().all(|&x| x == i as u32));
        }
    }

    #[test]
    fn zero_block_rejected() {
        assert!(BlockPlan::new([4, 4, 4], [0, 1, 1], [0; 3]).is_err());
    }
}
