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
//! Algorithm: the volume is cut into z-slabs (the plan's z cuts; rows are
//! never split). In parallel, each slab's rows are turned into runs of
//! foreground (64 voxels at a time as bit masks), every run is joined to the
//! runs it touches in the slab's earlier neighbouring rows (a union–find over
//! runs whose roots are the earliest runs), and the slab's components are
//! numbered by first voxel. The runs across each slab face are then joined
//! with a global union–find of slab components, and the output is written
//! run by run, slabs in parallel. The result is identical for every thread
//! count and block plan.

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

/// Foreground runs of the rows of one z-slab and their slab-local components.
struct Slab {
    /// First z of the slab.
    z0: usize,
    /// Runs `[start, end)` in x, row by row (rows y fastest, then z).
    runs: Vec<(u32, u32)>,
    /// `row_start[r]..row_start[r + 1]` are the runs of slab row `r`.
    row_start: Vec<u32>,
    /// Slab-local component of every run (components numbered by first voxel).
    comp: Vec<u32>,
    /// Voxels of each component.
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

/// Joins the sets of `a` and `b`; the smaller root wins, so a set's root is
/// its earliest member.
#[inline]
fn union(parent: &mut [u32], a: u32, b: u32) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra < rb {
        parent[rb as usize] = ra;
    } else {
        parent[ra as usize] = rb;
    }
}

/// A neighbouring earlier row `(dy, dz)`; `ext` = 1 when diagonal x steps
/// (dx = ±1) connect to it, else 0.
#[derive(Clone, Copy)]
struct RowStep {
    dy: isize,
    dz: isize,
    ext: u32,
}

fn row_steps(conn: Connectivity) -> Vec<RowStep> {
    let mut steps: Vec<RowStep> = Vec::new();
    for d in conn.backward() {
        if d[1] == 0 && d[2] == 0 {
            continue; // the previous voxel of the row: inside a run
        }
        match steps.iter_mut().find(|s| s.dy == d[1] && s.dz == d[2]) {
            Some(s) => s.ext |= u32::from(d[0] != 0),
            None => steps.push(RowStep {
                dy: d[1],
                dz: d[2],
                ext: u32::from(d[0] != 0),
            }),
        }
    }
    steps
}

/// Appends the runs of the row starting at global index `base` (`nx` voxels):
/// maximal stretches of foreground where consecutive voxels join.
#[inline]
fn row_runs(
    base: usize,
    nx: usize,
    fg: &impl Fn(usize) -> bool,
    join: &impl Fn(usize, usize) -> bool,
    runs: &mut Vec<(u32, u32)>,
) {
    let mut push = |s: usize, e: usize| {
        let mut a = s;
        for x in s + 1..e {
            if !join(base + x - 1, base + x) {
                runs.push((a as u32, x as u32));
                a = x;
            }
        }
        runs.push((a as u32, e as u32));
    };
    let (mut inrun, mut start, mut carry) = (false, 0usize, 0u64);
    for w in 0..nx.div_ceil(64) {
        let x0 = w * 64;
        let n = (nx - x0).min(64);
        let mut m = 0u64;
        for k in 0..n {
            m |= u64::from(fg(base + x0 + k)) << k;
        }
        let mut t = m ^ ((m << 1) | carry);
        carry = m >> 63;
        while t != 0 {
            let x = x0 + t.trailing_zeros() as usize;
            t &= t - 1;
            if inrun {
                push(start, x);
            } else {
                start = x;
            }
            inrun = !inrun;
        }
    }
    if inrun {
        push(start, nx);
    }
}

/// Unions every run of `a` with the runs of `b` it touches (`ext` = diagonal
/// reach); `ia`/`ib` are their offsets in `parent`, `ga`/`gb` the global
/// linear indices of the rows' first voxels.
#[allow(clippy::too_many_arguments)]
#[inline]
fn merge_rows(
    a: &[(u32, u32)],
    b: &[(u32, u32)],
    ext: u32,
    (ia, ib): (u32, u32),
    (ga, gb): (usize, usize),
    join: &impl Fn(usize, usize) -> bool,
    mut link: impl FnMut(u32, u32),
) {
    let mut j0 = 0;
    for (i, &(s, e)) in a.iter().enumerate() {
        while j0 < b.len() && b[j0].1 + ext <= s {
            j0 += 1;
        }
        let mut j = j0;
        while j < b.len() && b[j].0 < e + ext {
            if join(ga + s as usize, gb + b[j].0 as usize) {
                link(ia + i as u32, ib + j as u32);
            }
            j += 1;
        }
    }
}

/// Labels the slab `z0..z1`: runs, unions with the earlier rows of the slab,
/// then slab-local components in order of their first voxel.
fn label_slab(
    size: [usize; 3],
    (z0, z1): (usize, usize),
    steps: &[RowStep],
    fg: &impl Fn(usize) -> bool,
    join: &impl Fn(usize, usize) -> bool,
) -> Slab {
    let [nx, ny, _] = size;
    let rows = ny * (z1 - z0);
    let mut runs = Vec::new();
    let mut row_start = Vec::with_capacity(rows + 1);
    for r in 0..rows {
        row_start.push(runs.len() as u32);
        row_runs((z0 * ny + r) * nx, nx, fg, join, &mut runs);
    }
    row_start.push(runs.len() as u32);
    let mut parent: Vec<u32> = (0..runs.len() as u32).collect();
    for r in 0..rows {
        let (a0, a1) = (row_start[r], row_start[r + 1]);
        if a0 == a1 {
            continue;
        }
        let (y, z) = ((r % ny) as isize, (r / ny) as isize);
        for st in steps {
            let (qy, qz) = (y + st.dy, z + st.dz);
            if qy < 0 || qy >= ny as isize || qz < 0 {
                continue;
            }
            let q = qz as usize * ny + qy as usize;
            let (b0, b1) = (row_start[q], row_start[q + 1]);
            merge_rows(
                &runs[a0 as usize..a1 as usize],
                &runs[b0 as usize..b1 as usize],
                st.ext,
                (a0, b0),
                ((z0 * ny + r) * nx, (z0 * ny + q) * nx),
                join,
                |i, j| union(&mut parent, i, j),
            );
        }
    }
    // Every link points to an earlier run, so one pass in order flattens the
    // sets and numbers the components by their first voxel.
    let (mut comp, mut count) = (vec![0u32; runs.len()], Vec::new());
    for k in 0..runs.len() {
        let root = parent[parent[k] as usize];
        parent[k] = root;
        let (s, e) = runs[k];
        comp[k] = if root as usize == k {
            count.push(0);
            count.len() as u32 - 1
        } else {
            comp[root as usize]
        };
        count[comp[k] as usize] += u64::from(e - s);
    }
    Slab {
        z0,
        runs,
        row_start,
        comp,
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
/// `i`, `j` connect when `join(i, j)`, which must be an equivalence (always
/// true, or equal values) — shared by the other ops.
pub(crate) fn label_foreground<T: Pixel>(
    vol: &Volume<T>,
    params: &ComponentsParams,
    exec: &Executor,
    plan: &BlockPlan,
    fg: &(impl Fn(usize) -> bool + Sync),
    join: &(impl Fn(usize, usize) -> bool + Sync),
) -> Result<Labelling> {
    let runs = find_runs(vol.size(), params.connectivity, exec, plan, fg, join)?;
    let (parent, count) = (&runs.parent, &runs.count);
    let total = parent.len();
    let mut roots: Vec<u32> = (0..total as u32)
        .filter(|&l| parent[l as usize] == l && count[l as usize] >= params.min_size)
        .collect();
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
    for l in 0..total {
        fin[l] = fin[parent[l] as usize];
    }
    let sizes = roots.iter().map(|&r| count[r as usize]).collect();
    let mut out = vol.zeros_like::<u32>();
    runs.paint(exec, &fin, out.as_slice_mut());
    Ok(Labelling { labels: out, sizes })
}

/// The foreground runs of every slab and the global union–find over their
/// components: `parent[l]` is the root (earliest component) of global component
/// `l`, `count[root]` the voxels of its set.
pub(crate) struct Runs {
    nx: usize,
    ny: usize,
    cuts: Vec<(usize, usize)>,
    slabs: Vec<Slab>,
    /// Global id of each slab's first component.
    offset: Vec<u32>,
    pub parent: Vec<u32>,
    pub count: Vec<u64>,
}

/// Finds the runs and components of the voxels where `fg` holds (see
/// [`label_foreground`]) on the z cuts of `plan`.
pub(crate) fn find_runs(
    size: [usize; 3],
    connectivity: Connectivity,
    exec: &Executor,
    plan: &BlockPlan,
    fg: &(impl Fn(usize) -> bool + Sync),
    join: &(impl Fn(usize, usize) -> bool + Sync),
) -> Result<Runs> {
    if plan.shape != size {
        return Err(SegmentError::Mismatch {
            op: "components",
            reason: format!(
                "plan made for size {:?}, volume has size {size:?}",
                plan.shape
            ),
        });
    }
    if size.iter().product::<usize>() >= u32::MAX as usize {
        return Err(SegmentError::Parameter {
            op: "components",
            name: "volume",
            reason: format!(
                "{} voxels: at most 2^32 - 2 supported",
                size.iter().product::<usize>()
            ),
        });
    }
    let [nx, ny, nz] = size;
    let steps = row_steps(connectivity);
    let cuts: Vec<(usize, usize)> = plan
        .cuts(2)
        .into_iter()
        .map(|z0| (z0, (z0 + plan.block[2]).min(nz)))
        .collect();
    let slabs: Vec<Slab> = exec.install(|| {
        cuts.par_iter()
            .map(|&c| label_slab(size, c, &steps, fg, join))
            .collect()
    });
    // Global component ids: slab offset + slab-local id, in first-voxel order.
    let mut offset = Vec::with_capacity(slabs.len());
    let mut total = 0usize;
    for s in &slabs {
        offset.push(total as u32);
        total += s.count.len();
    }
    let mut parent: Vec<u32> = (0..total as u32).collect();
    let mut count: Vec<u64> = slabs.iter().flat_map(|s| s.count.iter().copied()).collect();
    // Join across each slab face: the first layer of slab k with the last of k - 1.
    for k in 1..slabs.len() {
        let (a, b) = (&slabs[k], &slabs[k - 1]);
        let zb = a.z0 - 1 - b.z0;
        for y in 0..ny {
            let (a0, a1) = (a.row_start[y], a.row_start[y + 1]);
            if a0 == a1 {
                continue;
            }
            for st in steps.iter().filter(|s| s.dz == -1) {
                let qy = y as isize + st.dy;
                if qy < 0 || qy >= ny as isize {
                    continue;
                }
                let q = zb * ny + qy as usize;
                let (b0, b1) = (b.row_start[q], b.row_start[q + 1]);
                merge_rows(
                    &a.runs[a0 as usize..a1 as usize],
                    &b.runs[b0 as usize..b1 as usize],
                    st.ext,
                    (a0, b0),
                    ((a.z0 * ny + y) * nx, ((a.z0 - 1) * ny + qy as usize) * nx),
                    join,
                    |i, j| {
                        union(
                            &mut parent,
                            offset[k] + a.comp[i as usize],
                            offset[k - 1] + b.comp[j as usize],
                        )
                    },
                );
            }
        }
    }
    // Roots are the earliest components; aggregate sizes onto them.
    for l in 0..total {
        let r = parent[parent[l] as usize];
        parent[l] = r;
        if r as usize != l {
            count[r as usize] += count[l];
        }
    }
    Ok(Runs {
        nx,
        ny,
        cuts,
        slabs,
        offset,
        parent,
        count,
    })
}

impl Runs {
    /// Writes `value[l]` over the runs of every global component `l` (slabs in
    /// parallel); voxels outside the runs keep their value.
    pub fn paint<U: Copy + Send + Sync>(&self, exec: &Executor, value: &[U], out: &mut [U]) {
        let nx = self.nx;
        let mut views = Vec::with_capacity(self.slabs.len());
        let mut rest = out;
        for &(z0, z1) in &self.cuts {
            let (v, r) = rest.split_at_mut((z1 - z0) * nx * self.ny);
            views.push(v);
            rest = r;
        }
        exec.install(|| {
            views
                .into_par_iter()
                .zip(self.slabs.par_iter().zip(self.offset.par_iter()))
                .for_each(|(view, (s, &off))| {
                    for r in 0..s.row_start.len() - 1 {
                        let row = &mut view[r * nx..(r + 1) * nx];
                        for k in s.row_start[r] as usize..s.row_start[r + 1] as usize {
                            let (a, b) = s.runs[k];
                            row[a as usize..b as usize].fill(value[(off + s.comp[k]) as usize]);
                        }
                    }
                });
        });
    }

    /// The root of the component holding voxel `i`, `None` on background.
    pub fn root_at(&self, i: usize) -> Option<u32> {
        let (x, row) = (i % self.nx, i / self.nx);
        let (y, z) = (row % self.ny, row / self.ny);
        let k = self
            .cuts
            .partition_point(|&(z0, _)| z0 <= z)
            .checked_sub(1)?;
        let s = &self.slabs[k];
        let r = (z - s.z0) * self.ny + y;
        let (r0, r1) = (s.row_start[r] as usize, s.row_start[r + 1] as usize);
        let j = r0 + s.runs[r0..r1].partition_point(|&(a, _)| a as usize <= x);
        (j > r0 && x < s.runs[j - 1].1 as usize)
            .then(|| self.parent[(self.offset[k] + s.comp[j - 1]) as usize])
    }
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
