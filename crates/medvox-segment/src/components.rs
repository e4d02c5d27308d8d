//! Connected components of the non-zero voxels, parallel over blocks.
//!
//! Definition: two foreground voxels (value ≠ 0; NaN counts as foreground)
//! belong to the same component when a path of foreground voxels joins them,
//! each step to a neighbour of the chosen [`Connectivity`] (6/18/26; 4/8 in
//! 2D). Nothing outside the volume is a neighbour. Output: `u32` labels 1..=K,
//! background 0 — the same partition as SimpleITK `ConnectedComponent`
//! (`fullyConnected` = 26), `scipy.ndimage.label` and `cc3d.connected_components`.
//!
//! Numbering ([`LabelOrder`]): `raster` numbers components by their first voxel
//! in memory order (x fastest) — scipy's and cc3d's numbering; `size` numbers
//! them by decreasing voxel count, ties in raster order — SimpleITK
//! `RelabelComponent`. `min_size` drops smaller components first (as
//! `RelabelComponent(minimumObjectSize)`), `keep_largest` keeps only label 1 of
//! the size order.
//!
//! Algorithm: each block of the plan is labelled on its own (raster scan with
//! a union–find of provisional labels), then the labels of voxels that touch
//! across block faces are merged with a global union–find, and every
//! component gets its final number from its first voxel or its size. The
//! result is identical for every thread count and block plan.

use medvox_core::{AnyVolume, BlockPlan, Executor, Pixel, Volume};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::connectivity::Connectivity;
use crate::error::{Result, SegmentError};

/// How the final labels are numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabelOrder {
    /// By first voxel in memory order (scipy, cc3d).
    #[default]
    Raster,
    /// By decreasing size, ties in raster order (SimpleITK `RelabelComponent`).
    Size,
}

/// Parameters of [`components`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComponentsParams {
    /// Neighbourhood (6, 18 or 26).
    pub connectivity: Connectivity,
    /// Numbering of the output labels.
    pub order: LabelOrder,
    /// Components with fewer voxels are removed (0 keeps all).
    pub min_size: u64,
    /// Keep only the largest component (label 1).
    pub keep_largest: bool,
}

/// A labelling and its components' sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelling {
    /// Labels 1..=K, background 0.
    pub labels: Volume<u32>,
    /// `sizes[k - 1]` = voxels of label k.
    pub sizes: Vec<u64>,
}

/// Provisional labels of one block.
struct BlockLabels {
    /// Block-shaped (x fastest), 0 = background, else a provisional label ≥ 1.
    labels: Vec<u32>,
    /// Local root of every provisional label (index 0 unused).
    root: Vec<u32>,
    /// Global linear index of the voxel that created each provisional label.
    first: Vec<u64>,
    /// Voxels given each provisional label.
    count: Vec<u64>,
}

#[inline]
fn find(parent: &mut [u32], mut a: u32) -> u32 {
    while parent[a as usize] != a {
        let p = parent[parent[a as usize] as usize];
        parent[a as usize] = p;
        a = p;
    }
    a
}

/// Joins the sets of `a` and `b`; the smaller root wins (deterministic).
#[inline]
fn union(parent: &mut [u32], a: u32, b: u32) -> u32 {
    let (ra, rb) = (find(parent, a), find(parent, b));
    let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
    parent[hi as usize] = lo;
    lo
}

/// Labels the foreground (`fg(global linear index)`) inside one block.
fn label_block(
    block: &medvox_core::Region,
    size: [usize; 3],
    back: &[[isize; 3]],
    fg: &(impl Fn(usize) -> bool + Sync),
    join: &(impl Fn(usize, usize) -> bool + Sync),
) -> BlockLabels {
    let [bx, by, bz] = block.size;
    let [x0, y0, z0] = block.start;
    let mut labels = vec![0u32; bx * by * bz];
    let mut parent: Vec<u32> = vec![0];
    let mut first: Vec<u64> = vec![0];
    let mut count: Vec<u64> = vec![0];
    let local_lin: Vec<isize> = back
        .iter()
        .map(|d| d[0] + d[1] * bx as isize + d[2] * (bx * by) as isize)
        .collect();
    let global_lin: Vec<isize> = back
        .iter()
        .map(|d| d[0] + d[1] * size[0] as isize + d[2] * (size[0] * size[1]) as isize)
        .collect();
    for z in 0..bz {
        for y in 0..by {
            let grow = ((z + z0) * size[1] + (y + y0)) * size[0] + x0;
            let lrow = (z * by + y) * bx;
            for x in 0..bx {
                if !fg(grow + x) {
                    continue;
                }
                let li = lrow + x;
                let inner = x >= 1 && x + 1 < bx && y >= 1 && y + 1 < by && z >= 1;
                let mut cur = 0u32;
                for (k, d) in back.iter().enumerate() {
                    if !inner {
                        let (qx, qy, qz) =
                            (x as isize + d[0], y as isize + d[1], z as isize + d[2]);
                        if qx < 0 || qx >= bx as isize || qy < 0 || qy >= by as isize || qz < 0 {
                            continue;
                        }
                    }
                    let l = labels[(li as isize + local_lin[k]) as usize];
                    if l != 0
                        && join(
                            grow + x,
                            (grow as isize + x as isize + global_lin[k]) as usize,
                        )
                    {
                        cur = if cur == 0 {
                            l
                        } else {
                            union(&mut parent, cur, l)
                        };
                    }
                }
                if cur == 0 {
                    cur = parent.len() as u32;
                    parent.push(cur);
                    first.push((grow + x) as u64);
                    count.push(0);
                }
                count[cur as usize] += 1;
                labels[li] = cur;
            }
        }
    }
    for l in 1..parent.len() as u32 {
        let r = find(&mut parent, l);
        parent[l as usize] = r;
    }
    BlockLabels {
        labels,
        root: parent,
        first,
        count,
    }
}

/// Connected components with the executor's own slab plan.
pub fn components<T: Pixel>(
    vol: &Volume<T>,
    params: &ComponentsParams,
    exec: &Executor,
) -> Result<Labelling> {
    let plan = exec.plan(vol.size(), [0; 3]);
    components_with_plan(vol, params, exec, &plan)
}

/// Connected components of a volume of any pixel type.
pub fn components_any(
    vol: &AnyVolume,
    params: &ComponentsParams,
    exec: &Executor,
) -> Result<Labelling> {
    medvox_core::with_volume!(vol, v => components(v, params, exec))
}

/// Connected components computed block by block on `plan` (any block shape;
/// the halo is not used). The result does not depend on the plan.
pub fn components_with_plan<T: Pixel>(
    vol: &Volume<T>,
    params: &ComponentsParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Labelling> {
    let data = vol.as_slice();
    let zero = T::default();
    label_foreground(
        vol,
        params,
        exec,
        plan,
        &|i: usize| data[i] != zero,
        &|_, _| true,
    )
}

/// Connected components of each label value separately (cc3d's default
/// multi-label mode): neighbours join only when their values are equal.
pub fn components_by_value<T: Pixel>(
    vol: &Volume<T>,
    params: &ComponentsParams,
    exec: &Executor,
) -> Result<Labelling> {
    let data = vol.as_slice();
    let zero = T::default();
    let plan = exec.plan(vol.size(), [0; 3]);
    label_foreground(
        vol,
        params,
        exec,
        &plan,
        &|i: usize| data[i] != zero,
        &|i, j| data[i] == data[j],
    )
}

/// Labels the voxels where `fg(linear index)` holds; foreground neighbours
/// `i`, `j` connect when `join(i, j)` (shared by the other ops).
pub(crate) fn label_foreground<T: Pixel>(
    vol: &Volume<T>,
    params: &ComponentsParams,
    exec: &Executor,
    plan: &BlockPlan,
    fg: &(impl Fn(usize) -> bool + Sync),
    join: &(impl Fn(usize, usize) -> bool + Sync),
) -> Result<Labelling> {
    let size = vol.size();
    if plan.shape != size {
        return Err(SegmentError::Mismatch {
            op: "components",
            reason: format!(
                "plan made for size {:?}, volume has size {size:?}",
                plan.shape
            ),
        });
    }
    if vol.len() >= u32::MAX as usize {
        return Err(SegmentError::Parameter {
            op: "components",
            name: "volume",
            reason: format!("{} voxels: at most 2^32 - 2 supported", vol.len()),
        });
    }
    let back = params.connectivity.backward();
    let blocks = plan.blocks();
    let parts: Vec<BlockLabels> = exec.install(|| {
        blocks
            .par_iter()
            .map(|b| label_block(&b.interior, size, &back, fg, join))
            .collect()
    });
    // Global provisional labels: block offset + local label.
    let mut offset = Vec::with_capacity(parts.len());
    let mut total = 1usize;
    for p in &parts {
        offset.push(total as u32 - 1);
        total += p.root.len() - 1;
    }
    if total >= u32::MAX as usize {
        return Err(SegmentError::Parameter {
            op: "components",
            name: "volume",
            reason: "too many provisional labels".into(),
        });
    }
    let mut parent: Vec<u32> = vec![0; total];
    let mut first = vec![u64::MAX; total];
    let mut count = vec![0u64; total];
    for (p, &off) in parts.iter().zip(&offset) {
        for l in 1..p.root.len() {
            parent[off as usize + l] = off + p.root[l];
            first[off as usize + l] = p.first[l];
            count[off as usize + l] = p.count[l];
        }
    }
    // Merge across block faces: every pair (p, q) with q earlier in raster order,
    // in another block, is seen from p on the shell of p's block.
    let grid = plan.grid();
    let block_of = |q: [usize; 3]| -> (usize, usize) {
        let bi = [
            q[0] / plan.block[0],
            q[1] / plan.block[1],
            q[2] / plan.block[2],
        ];
        let b = (bi[2] * grid[1] + bi[1]) * grid[0] + bi[0];
        let r = &blocks[b].interior;
        let l = ((q[2] - r.start[2]) * r.size[1] + (q[1] - r.start[1])) * r.size[0]
            + (q[0] - r.start[0]);
        (b, l)
    };
    for (bidx, b) in blocks.iter().enumerate() {
        let r = &b.interior;
        let e = r.end();
        let lab = &parts[bidx].labels;
        for z in r.start[2]..e[2] {
            for y in r.start[1]..e[1] {
                let full_row = z == r.start[2] || z + 1 == e[2] || y == r.start[1] || y + 1 == e[1];
                let xs: Vec<usize> = if full_row {
                    (r.start[0]..e[0]).collect()
                } else {
                    let mut v = vec![r.start[0]];
                    if e[0] - 1 > r.start[0] {
                        v.push(e[0] - 1);
                    }
                    v
                };
                for x in xs {
                    let li = ((z - r.start[2]) * r.size[1] + (y - r.start[1])) * r.size[0]
                        + (x - r.start[0]);
                    let l = lab[li];
                    if l == 0 {
                        continue;
                    }
                    for d in &back {
                        let q = [x as isize + d[0], y as isize + d[1], z as isize + d[2]];
                        if (0..3).any(|a| q[a] < 0 || q[a] >= size[a] as isize) {
                            continue;
                        }
                        let q = [q[0] as usize, q[1] as usize, q[2] as usize];
                        if (0..3).all(|a| q[a] >= r.start[a] && q[a] < e[a]) {
                            continue;
                        }
                        let (qb, ql) = block_of(q);
                        let m = parts[qb].labels[ql];
                        let gi = x + size[0] * (y + size[1] * z);
                        let gq = q[0] + size[0] * (q[1] + size[1] * q[2]);
                        if m != 0 && join(gi, gq) {
                            union(&mut parent, offset[bidx] + l, offset[qb] + m);
                        }
                    }
                }
            }
        }
    }
    // Aggregate per root: first voxel (min) and size (sum).
    for l in 1..total as u32 {
        let r = find(&mut parent, l);
        parent[l as usize] = r;
        if r != l {
            first[r as usize] = first[r as usize].min(first[l as usize]);
            count[r as usize] += count[l as usize];
        }
    }
    let mut roots: Vec<u32> = (1..total as u32)
        .filter(|&l| parent[l as usize] == l && count[l as usize] >= params.min_size)
        .collect();
    roots.sort_by_key(|&r| first[r as usize]);
    if params.order == LabelOrder::Size || params.keep_largest {
        roots.sort_by(|&a, &b| count[b as usize].cmp(&count[a as usize]));
    }
    if params.keep_largest {
        roots.truncate(1);
    }
    let mut fin = vec![0u32; total];
    for (k, &r) in roots.iter().enumerate() {
        fin[r as usize] = k as u32 + 1;
    }
    for l in 1..total {
        fin[l] = fin[parent[l] as usize];
    }
    let sizes = roots.iter().map(|&r| count[r as usize]).collect();
    let mut out = vol.zeros_like::<u32>();
    {
        let views = plan.split_mut(out.data_mut());
        exec.install(|| {
            views
                .into_par_iter()
                .zip(parts.par_iter().zip(offset.par_iter()))
                .for_each(|(mut view, (p, &off))| {
                    for (o, &l) in view.iter_mut().zip(&p.labels) {
                        if l != 0 {
                            *o = fin[(off + l) as usize];
                        }
                    }
                });
        });
    }
    Ok(Labelling { labels: out, sizes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use medvox_core::Geometry;

    #[test]
    fn two_blobs_and_diagonal() {
        // x fastest: (0,0,0) and (1,1,0) touch only diagonally.
        let mut d = vec![0u8; 27];
        d[0] = 1;
        d[4] = 1;
        d[26] = 1;
        let v = Volume::from_vec([3, 3, 3], d, Geometry::default()).unwrap();
        let e = Executor::new(1).unwrap();
        let face = components(&v, &ComponentsParams::default(), &e).unwrap();
        assert_eq!(face.sizes, vec![1, 1, 1]);
        let full = ComponentsParams {
            connectivity: Connectivity::Full,
            ..Default::default()
        };
        let r = components(&v, &full, &e).unwrap();
        assert_eq!(r.sizes, vec![2, 1]);
    }
}
