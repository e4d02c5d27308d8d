//! Hole filling, binary and grey-level.
//!
//! * **Binary** (default): a *hole* is a connected component (6-connectivity: voxels
//!   sharing a face) of the voxels `≠ foreground` that does not touch the image
//!   border. Hole voxels become `foreground`; every other voxel keeps its value. As
//!   SimpleITK `BinaryFillhole(img, fullyConnected=False, foregroundValue)` and, for a
//!   0/1 mask, `scipy.ndimage.binary_fill_holes(mask)` (its default structure is the
//!   same face connectivity).
//! * **Grey** (`grey = true`): morphological reconstruction by erosion of the image
//!   from its border: each voxel gets `max(f(p), min over face-connected paths from the
//!   border to p of the largest value on the path)`, so regional minima not connected
//!   to the border are raised to the level of their lowest "pass". As SimpleITK
//!   `GrayscaleFillhole(img, fullyConnected=False)`.
//! * **Boundary**: voxels on the image border are never filled (outside the image
//!   counts as connected background); a volume one voxel thick on any axis is
//!   returned unchanged.
//! * **Types**: every pixel type; the output keeps it and holds only input values (and
//!   `foreground`), so results are exact. NaN never panics (grey: NaN orders above
//!   +∞).
//! * **Algorithm**: a whole-volume flood from the border (no halo-block form exists:
//!   one voxel's result can depend on any other). Binary: the background as runs
//!   along x (found row by row in parallel), runs joined by union-find where they
//!   overlap a run of the previous row or plane, components touching the border
//!   kept, the other runs filled in parallel; O(N) scans plus O(runs) merging. Grey: priority flood from the border
//!   (Soille's reconstruction with a hierarchical queue over the ranks of the distinct
//!   values, which a parallel sort computes), O(N) after the O(N log N) ranking. The
//!   merging and the grey flood are sequential; the other passes run in parallel.
//!   Results do not depend on the thread count.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::fill_holes::{fill_holes, FillHolesParams};
//! let mut m = vec![1u8; 27];
//! m[13] = 0; // the centre of a 3×3×3 cube
//! let v = Volume::from_vec([3, 3, 3], m, Geometry::default()).unwrap();
//! let f = fill_holes(&v, &FillHolesParams::default(), &Executor::default()).unwrap();
//! assert!(f.as_slice().iter().all(|&x| x == 1));
//! ```

use medvox_core::{AnyVolume, Executor, Pixel, Volume};
use rayon::prelude::*;

use crate::error::{FilterError, Result};
use crate::pixel::FilterPixel;

const OP: &str = "fill-holes";

/// Parameters of [`fill_holes`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FillHolesParams {
    /// Grey-level filling (reconstruction by erosion) instead of binary.
    #[serde(default)]
    pub grey: bool,
    /// Foreground value of binary filling (1 by default).
    #[serde(default = "one")]
    pub foreground: f64,
}

fn one() -> f64 {
    1.0
}

impl Default for FillHolesParams {
    fn default() -> Self {
        FillHolesParams {
            grey: false,
            foreground: 1.0,
        }
    }
}

impl FillHolesParams {
    /// Checks that the foreground value is a value of pixel type `T`.
    pub fn check<T: Pixel>(&self) -> Result<()> {
        let f = self.foreground;
        if !self.grey && (!f.is_finite() || T::from_f64(f).to_f64() != f) {
            return Err(FilterError::Parameter {
                op: OP,
                name: "foreground",
                reason: format!("{f} is not a value of pixel type {:?}", T::TYPE),
            });
        }
        Ok(())
    }
}

/// Fills holes (see the module docs).
pub fn fill_holes<T: FilterPixel>(
    vol: &Volume<T>,
    params: &FillHolesParams,
    exec: &Executor,
) -> Result<Volume<T>> {
    params.check::<T>()?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    if params.grey {
        return grey_fill(vol, exec);
    }
    let fg = T::from_f64(params.foreground);
    let mut out = vol.clone();
    exec.install(|| fill_enclosed(vol.size(), out.as_slice_mut(), fg));
    Ok(out)
}

/// A run of background voxels `x0..x1` of one row.
#[derive(Clone, Copy)]
struct Run {
    x0: u32,
    x1: u32,
}

/// Sets every voxel `≠ fg` that is not face-connected through such voxels to the
/// border to `fg`, on runs along x (see the module docs).
fn fill_enclosed<T: Pixel>(s: [usize; 3], data: &mut [T], fg: T) {
    let [nx, ny, nz] = s;
    if nx < 3 || ny < 3 || nz < 3 {
        return; // every voxel is on the border
    }
    // Runs of each plane in row order, and each row's run count.
    let planes: Vec<(Vec<Run>, Vec<u32>)> = data
        .par_chunks(nx * ny)
        .map(|plane| {
            let (mut runs, mut counts) = (Vec::new(), Vec::with_capacity(ny));
            for row in plane.chunks_exact(nx) {
                let before = runs.len();
                let mut x = 0;
                while x < nx {
                    match row[x..].iter().position(|&v| v != fg) {
                        None => break,
                        Some(p) => x += p,
                    }
                    let end = row[x..].iter().position(|&v| v == fg).map_or(nx, |p| x + p);
                    runs.push(Run {
                        x0: x as u32,
                        x1: end as u32,
                    });
                    x = end;
                }
                counts.push((runs.len() - before) as u32);
            }
            (runs, counts)
        })
        .collect();
    // Row r = z·ny + y holds runs start[r]..start[r + 1].
    let mut start = Vec::with_capacity(ny * nz + 1);
    start.push(0usize);
    for c in planes.iter().flat_map(|(_, c)| c) {
        start.push(start[start.len() - 1] + *c as usize);
    }
    let runs: Vec<Run> = planes.into_iter().flat_map(|(r, _)| r).collect();
    let mut parent: Vec<usize> = (0..runs.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    // Joins the runs of rows a and b (adjacent rows or planes) that overlap in x.
    let join = |parent: &mut [usize], a: usize, b: usize| {
        let (mut i, mut j) = (start[a], start[b]);
        while i < start[a + 1] && j < start[b + 1] {
            if runs[i].x0 < runs[j].x1 && runs[j].x0 < runs[i].x1 {
                let (ri, rj) = (find(parent, i), find(parent, j));
                parent[ri.max(rj)] = ri.min(rj);
            }
            if runs[i].x1 < runs[j].x1 {
                i += 1;
            } else {
                j += 1;
            }
        }
    };
    for z in 0..nz {
        for y in 0..ny {
            let r = z * ny + y;
            if y > 0 {
                join(&mut parent, r, r - 1);
            }
            if z > 0 {
                join(&mut parent, r, r - ny);
            }
        }
    }
    // Components with a run on the border stay.
    let mut border = vec![false; runs.len()];
    for z in 0..nz {
        for y in 0..ny {
            let r = z * ny + y;
            let edge_row = y == 0 || y + 1 == ny || z == 0 || z + 1 == nz;
            for (i, run) in runs.iter().enumerate().take(start[r + 1]).skip(start[r]) {
                if edge_row || run.x0 == 0 || run.x1 as usize == nx {
                    let root = find(&mut parent, i);
                    border[root] = true;
                }
            }
        }
    }
    let filled: Vec<bool> = (0..runs.len())
        .map(|i| !border[find(&mut parent, i)])
        .collect();
    data.par_chunks_mut(nx).enumerate().for_each(|(r, row)| {
        for i in start[r]..start[r + 1] {
            if filled[i] {
                row[runs[i].x0 as usize..runs[i].x1 as usize].fill(fg);
            }
        }
    });
}

/// [`fill_holes`] on a volume of any pixel type (the output keeps it).
pub fn fill_holes_any(
    vol: &AnyVolume,
    params: &FillHolesParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(fill_holes(v, params, exec)?)))
}

/// Linear strides of the six face neighbours of voxel `i` at `(x, y, z)` that lie
/// inside a volume of size `s`, passed to `f`.
#[inline(always)]
fn face_neighbours(
    i: usize,
    x: usize,
    y: usize,
    z: usize,
    s: [usize; 3],
    mut f: impl FnMut(usize),
) {
    let (sx, sxy) = (s[0], s[0] * s[1]);
    if x > 0 {
        f(i - 1);
    }
    if x + 1 < s[0] {
        f(i + 1);
    }
    if y > 0 {
        f(i - sx);
    }
    if y + 1 < s[1] {
        f(i + sx);
    }
    if z > 0 {
        f(i - sxy);
    }
    if z + 1 < s[2] {
        f(i + sxy);
    }
}

#[inline(always)]
fn coords(i: usize, s: [usize; 3]) -> (usize, usize, usize) {
    (i % s[0], (i / s[0]) % s[1], i / (s[0] * s[1]))
}

/// Indices of the voxels on the image border, in memory order.
fn border_indices(s: [usize; 3]) -> impl Iterator<Item = usize> {
    let (nx, ny, nz) = (s[0], s[1], s[2]);
    (0..nz).flat_map(move |z| {
        (0..ny).flat_map(move |y| {
            let full = z == 0 || z + 1 == nz || y == 0 || y + 1 == ny;
            let row = (z * ny + y) * nx;
            let xs: Box<dyn Iterator<Item = usize>> = if full || nx <= 2 {
                Box::new(0..nx)
            } else {
                Box::new([0, nx - 1].into_iter())
            };
            xs.map(move |x| row + x)
        })
    })
}

/// Priority flood from the border: reconstruction by erosion of the border marker.
///
/// Values are ranked (sorted distinct values, in the total order of `f64`), and the
/// hierarchical queue is one intrusive LIFO list per rank; the current rank only
/// increases, so the flood is O(N) after the O(N log N) ranking.
fn grey_fill<T: Pixel>(vol: &Volume<T>, exec: &Executor) -> Result<Volume<T>> {
    const NIL: u32 = u32::MAX;
    let s = vol.size();
    let f = vol.as_slice();
    if f.len() >= NIL as usize {
        return Err(FilterError::Parameter {
            op: OP,
            name: "grey",
            reason: format!("{} voxels are too many for grey filling (< 2^32)", f.len()),
        });
    }
    // Order-preserving u64 key of a value (the total order of f64: NaN last).
    let key = |v: T| {
        let b = v.to_f64().to_bits();
        if b >> 63 == 1 {
            !b
        } else {
            b | (1 << 63)
        }
    };
    let (levels, rank) = exec.install(|| {
        let mut levels: Vec<u64> = f.par_iter().map(|&v| key(v)).collect();
        levels.par_sort_unstable();
        levels.dedup();
        let rank: Vec<u32> = f
            .par_iter()
            .map(|&v| levels.binary_search(&key(v)).unwrap_or(0) as u32)
            .collect();
        (levels, rank)
    });
    let mut out = vol.clone();
    let o = out.as_slice_mut();
    let mut head = vec![NIL; levels.len()];
    let mut next = vec![NIL; f.len()];
    let mut done = vec![false; f.len()];
    for i in border_indices(s) {
        done[i] = true;
        let r = rank[i] as usize;
        next[i] = head[r];
        head[r] = i as u32;
    }
    // Voxels raised to the current level wait here (they are at the minimum).
    let mut stack: Vec<u32> = Vec::new();
    let mut lvl = 0usize;
    loop {
        let i = match stack.pop() {
            Some(i) => i as usize,
            None => {
                while lvl < head.len() && head[lvl] == NIL {
                    lvl += 1;
                }
                if lvl == head.len() {
                    break;
                }
                let i = head[lvl] as usize;
                head[lvl] = next[i];
                i
            }
        };
        let level = o[i];
        let (x, y, z) = coords(i, s);
        face_neighbours(i, x, y, z, s, |j| {
            if done[j] {
                return;
            }
            done[j] = true;
            let r = rank[j] as usize;
            if r <= lvl {
                o[j] = level;
                stack.push(j as u32);
            } else {
                next[j] = head[r];
                head[r] = j as u32;
            }
        });
    }
    Ok(out)
}
