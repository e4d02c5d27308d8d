//! The block executor: runs an operation over the blocks of a [`BlockPlan`] on
//! a rayon thread pool of a chosen size.
//!
//! * [`Executor::map_blocks`] hands each block its padded input and a mutable
//!   view of its interior in the output. Interiors are disjoint, so blocks run in
//!   any order on any thread and the output does not depend on the thread count;
//!   an operation that honours its halo gives the same output for every plan.
//! * [`Executor::reduce_blocks`] maps blocks to partial results and merges them
//!   in block order (deterministic for a given plan).
//! * [`Executor::reduce_chunks`] reduces over fixed 64 Ki-voxel chunks of the
//!   memory order, merged in order: the result depends only on the data, never on
//!   the thread count or any plan — used for float statistics.

use std::sync::Arc;

use ndarray::{ArrayView3, ArrayViewMut3};
use rayon::prelude::*;

use crate::block::{Block, BlockPlan};
use crate::error::{CoreError, Result};
use crate::pixel::Pixel;
use crate::volume::Volume;

/// Voxels per chunk for [`Executor::reduce_chunks`]; fixed so results never depend on threads.
pub const REDUCE_CHUNK: usize = 1 << 16;

/// What a block operation sees: its block and the voxels of its padded region.
#[derive(Debug)]
pub struct BlockInput<'a, T> {
    /// The block being computed.
    pub block: Block,
    /// Input voxels of `block.padded`, shape `(z, y, x)`.
    pub data: ArrayView3<'a, T>,
}

impl<T> BlockInput<'_, T> {
    /// Start of the interior inside `data`, `[x, y, z]`.
    pub fn interior_offset(&self) -> [usize; 3] {
        self.block.padded.relative(&self.block.interior).start
    }
}

/// Receives progress of long runs (the CLI shows a bar; libraries stay silent).
pub trait Progress: Send + Sync {
    /// A run of `total` steps called `what` begins.
    fn start(&self, _total: u64, _what: &str) {}
    /// `n` more steps are done.
    fn inc(&self, _n: u64) {}
    /// The run is over.
    fn finish(&self) {}
}

/// Progress sink that does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// Runs block operations on a thread pool.
#[derive(Clone)]
pub struct Executor {
    pool: Option<Arc<rayon::ThreadPool>>,
    progress: Arc<dyn Progress>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("threads", &self.threads())
            .finish()
    }
}

impl Default for Executor {
    /// Uses rayon's global pool (all cores unless `RAYON_NUM_THREADS` says otherwise).
    fn default() -> Self {
        Executor {
            pool: None,
            progress: Arc::new(NoProgress),
        }
    }
}

impl Executor {
    /// An executor with its own pool of `threads` threads (`0` = all cores).
    pub fn new(threads: usize) -> Result<Self> {
        if threads == 0 {
            return Ok(Self::default());
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| CoreError::ThreadPool(e.to_string()))?;
        Ok(Executor {
            pool: Some(Arc::new(pool)),
            progress: Arc::new(NoProgress),
        })
    }

    /// The same executor reporting block progress to `progress`.
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = progress;
        self
    }

    /// The progress sink.
    pub fn progress(&self) -> &dyn Progress {
        &*self.progress
    }

    /// Number of worker threads.
    pub fn threads(&self) -> usize {
        match &self.pool {
            Some(p) => p.current_num_threads(),
            None => rayon::current_num_threads(),
        }
    }

    /// Runs `f` inside this executor's pool (rayon calls in `f` use its threads).
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(p) => p.install(f),
            None => f(),
        }
    }

    /// A slab plan for this executor's thread count.
    pub fn plan(&self, shape: [usize; 3], halo: [usize; 3]) -> BlockPlan {
        BlockPlan::auto(shape, halo, self.threads())
    }

    /// Computes a new volume block by block: `f` gets each block's padded input and
    /// writes the block's interior into the view it is given (shape of the interior,
    /// `(z, y, x)`). The output keeps the input's geometry.
    pub fn map_blocks<T, U, F>(&self, input: &Volume<T>, plan: &BlockPlan, f: F) -> Volume<U>
    where
        T: Pixel,
        U: Pixel,
        F: Fn(&BlockInput<'_, T>, ArrayViewMut3<'_, U>) + Sync + Send,
    {
        assert_eq!(plan.shape, input.size(), "plan made for another shape");
        let mut out = input.zeros_like::<U>();
        let blocks = plan.blocks();
        let src = input.data();
        self.progress.start(blocks.len() as u64, "blocks");
        {
            let views = plan.split_mut(out.data_mut());
            self.install(|| {
                blocks.par_iter().zip(views).for_each(|(b, view)| {
                    let bi = BlockInput {
                        block: *b,
                        data: b.padded.view(&src),
                    };
                    f(&bi, view);
                    self.progress.inc(1);
                })
            });
        }
        self.progress.finish();
        out
    }

    /// Maps every block to a partial result and merges them in block order.
    /// Returns `None` for an empty plan.
    pub fn reduce_blocks<T, A, M, R>(
        &self,
        input: &Volume<T>,
        plan: &BlockPlan,
        map: M,
        merge: R,
    ) -> Option<A>
    where
        T: Pixel,
        A: Send,
        M: Fn(&BlockInput<'_, T>) -> A + Sync + Send,
        R: Fn(A, A) -> A,
    {
        let src = input.data();
        let parts: Vec<A> = self.install(|| {
            plan.blocks()
                .par_iter()
                .map(|b| {
                    map(&BlockInput {
                        block: *b,
                        data: b.padded.view(&src),
                    })
                })
                .collect()
        });
        parts.into_iter().reduce(merge)
    }

    /// Reduces a slice over fixed chunks of [`REDUCE_CHUNK`] elements, merging the
    /// partial results in memory order. Returns `None` for an empty slice.
    pub fn reduce_chunks<T, A, M, R>(&self, data: &[T], map: M, merge: R) -> Option<A>
    where
        T: Sync,
        A: Send,
        M: Fn(&[T]) -> A + Sync + Send,
        R: Fn(A, A) -> A,
    {
        let parts: Vec<A> = self.install(|| data.par_chunks(REDUCE_CHUNK).map(&map).collect());
        parts.into_iter().reduce(merge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Geometry;

    /// 3×3×3 box sum with edge replication, written against the block API.
    fn box_sum(exec: &Executor, v: &Volume<i32>, plan: &BlockPlan) -> Volume<i32> {
        let size = v.size();
        exec.map_blocks(v, plan, |bi, mut out| {
            let o = bi.interior_offset();
            let p = bi.block.padded;
            let (nz, ny, nx) = out.dim();
            for z in 0..nz {
                for y in 0..ny {
                    for x in 0..nx {
                        let g = [
                            x + o[0] + p.start[0],
                            y + o[1] + p.start[1],
                            z + o[2] + p.start[2],
                        ];
                        let mut s = 0;
                        for dz in -1i64..=1 {
                            for dy in -1i64..=1 {
                                for dx in -1i64..=1 {
                                    let q = [
                                        (g[0] as i64 + dx).clamp(0, size[0] as i64 - 1) as usize
                                            - p.start[0],
                                        (g[1] as i64 + dy).clamp(0, size[1] as i64 - 1) as usize
                                            - p.start[1],
                                        (g[2] as i64 + dz).clamp(0, size[2] as i64 - 1) as usize
                                            - p.start[2],
                                    ];
                                    s += bi.data[[q[2], q[1], q[0]]];
                                }
                            }
                        }
                        out[[z, y, x]] = s;
                    }
                }
            }
        })
    }

    #[test]
    fn same_result_for_any_threads_and_blocks() {
        let size = [13, 11, 9];
        let n = size.iter().product::<usize>();
        let data: Vec<i32> = (0..n).map(|i| ((i * 7919) % 1013) as i32 - 500).collect();
        let v = Volume::from_vec(size, data, Geometry::default()).unwrap();
        let reference = box_sum(
            &Executor::new(1).unwrap(),
            &v,
            &BlockPlan::new(size, size, [1; 3]).unwrap(),
        );
        for threads in [1, 2, 4] {
            let exec = Executor::new(threads).unwrap();
            for block in [[1, 1, 1], [4, 3, 2], [13, 11, 1], [5, 11, 9], [64, 64, 64]] {
                let plan = BlockPlan::new(size, block, [1; 3]).unwrap();
                assert_eq!(
                    box_sum(&exec, &v, &plan),
                    reference,
                    "threads {threads} block {block:?}"
                );
            }
            let auto = exec.plan(size, [1; 3]);
            assert_eq!(box_sum(&exec, &v, &auto), reference);
        }
    }

    #[test]
    fn reductions_are_deterministic() {
        let data: Vec<f32> = (0..300_001)
            .map(|i| ((i as f32) * 0.37).sin() * 1e3)
            .collect();
        let sum = |e: &Executor| {
            e.reduce_chunks(
                &data,
                |c| c.iter().map(|&x| x as f64).sum::<f64>(),
                |a, b| a + b,
            )
            .unwrap()
        };
        let r1 = sum(&Executor::new(1).unwrap());
        for t in [2, 3, 4] {
            assert_eq!(sum(&Executor::new(t).unwrap()).to_bits(), r1.to_bits());
        }
        assert_eq!(
            Executor::new(2)
                .unwrap()
                .reduce_chunks(&[] as &[f32], |c| c.len(), |a, b| a + b),
            None
        );
    }
}
