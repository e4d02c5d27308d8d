//! Label-map post-processing: relabel consecutively, keep the largest
//! component of each label, fill the holes of each label.
//!
//! Input: a label map of any integer pixel type (0 = background; floats are
//! accepted when their values are whole numbers); output: `u32` labels.
//! * `relabel`: labels renumbered 1..K by increasing original value
//!   (`order = raster`: by first voxel; `size`: by decreasing voxel count, ties
//!   by value — SimpleITK `RelabelComponent` on a label map).
//! * `keep-largest`: each label keeps only its largest connected component
//!   (ties: the one with the first voxel in raster order); the others become 0.
//! * `fill-holes`: a hole of label L is a set of 0 voxels not connected,
//!   through voxels ≠ L under the chosen connectivity, to the volume border;
//!   it becomes L (SimpleITK `BinaryFillhole(foregroundValue=L)` applied to
//!   background voxels only). Other labels are never overwritten. A volume one
//!   slice deep is filled as a 2D image.

use std::collections::BTreeMap;

use medvox_core::{AnyVolume, Executor, Pixel, Volume};
use serde::{Deserialize, Serialize};

use crate::components::{components_by_value, ComponentsParams, LabelOrder};
use crate::connectivity::Connectivity;
use crate::error::{Result, SegmentError};
use crate::region_grow::flood;

/// Parameters of the post-processing ops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostParams {
    /// Neighbourhood for components and holes.
    pub connectivity: Connectivity,
    /// Numbering for `relabel`.
    pub order: LabelOrder,
}

/// Label values of a volume as u64 (error for negative or fractional values).
fn labels_of<T: Pixel>(vol: &Volume<T>, op: &'static str) -> Result<Vec<u32>> {
    vol.as_slice()
        .iter()
        .map(|v| {
            let x = v.to_f64();
            if x >= 0.0 && x.fract() == 0.0 && x < u32::MAX as f64 {
                Ok(x as u32)
            } else {
                Err(SegmentError::Parameter {
                    op,
                    name: "labels",
                    reason: format!("label values must be whole numbers in 0..2^32-1, found {x}"),
                })
            }
        })
        .collect()
}

fn as_volume<T: Pixel>(like: &Volume<T>, data: Vec<u32>) -> Result<Volume<u32>> {
    Ok(Volume::from_vec(like.size(), data, *like.geometry())?)
}

/// Renumbers the labels 1..K (see the module doc).
pub fn relabel<T: Pixel>(vol: &Volume<T>, p: &PostParams) -> Result<Volume<u32>> {
    let l = labels_of(vol, "relabel")?;
    let mut info: BTreeMap<u32, (usize, u64)> = BTreeMap::new();
    for (i, &v) in l.iter().enumerate() {
        if v != 0 {
            let e = info.entry(v).or_insert((i, 0));
            e.1 += 1;
        }
    }
    let mut keys: Vec<u32> = info.keys().copied().collect();
    match p.order {
        LabelOrder::Raster => keys.sort_by_key(|k| info[k].0),
        LabelOrder::Size => keys.sort_by(|a, b| info[b].1.cmp(&info[a].1).then(a.cmp(b))),
    }
    let map: BTreeMap<u32, u32> = keys
        .iter()
        .enumerate()
        .map(|(i, &k)| (k, i as u32 + 1))
        .collect();
    as_volume(
        vol,
        l.iter().map(|v| if *v == 0 { 0 } else { map[v] }).collect(),
    )
}

/// Keeps the largest connected component of every label.
pub fn keep_largest<T: Pixel>(
    vol: &Volume<T>,
    p: &PostParams,
    exec: &Executor,
) -> Result<Volume<u32>> {
    let l = labels_of(vol, "keep-largest")?;
    let lv = as_volume(vol, l)?;
    let cp = ComponentsParams {
        connectivity: p.connectivity,
        ..Default::default()
    };
    let c = components_by_value(&lv, &cp, exec)?;
    // For each label value: the component with most voxels (first in raster order on ties).
    let mut best: BTreeMap<u32, (u64, u32)> = BTreeMap::new();
    let mut value_of = vec![0u32; c.sizes.len() + 1];
    for (&comp, &v) in c.labels.as_slice().iter().zip(lv.as_slice()) {
        if comp != 0 {
            value_of[comp as usize] = v;
        }
    }
    for (k, &sz) in c.sizes.iter().enumerate() {
        let comp = k as u32 + 1;
        let e = best.entry(value_of[comp as usize]).or_insert((sz, comp));
        if sz > e.0 {
            *e = (sz, comp);
        }
    }
    let mut keep = vec![false; c.sizes.len() + 1];
    for &(_, comp) in best.values() {
        keep[comp as usize] = true;
    }
    let data = c
        .labels
        .as_slice()
        .iter()
        .zip(lv.as_slice())
        .map(|(&comp, &v)| if keep[comp as usize] { v } else { 0 })
        .collect();
    as_volume(vol, data)
}

/// Fills the holes of every label (see the module doc).
pub fn fill_holes<T: Pixel>(vol: &Volume<T>, p: &PostParams) -> Result<Volume<u32>> {
    let mut l = labels_of(vol, "fill-holes")?;
    let size = vol.size();
    // Bounding box of each label.
    let mut bbox: BTreeMap<u32, ([usize; 3], [usize; 3])> = BTreeMap::new();
    for (i, &v) in l.iter().enumerate() {
        if v != 0 {
            let c = crate::connectivity::coords(i, size);
            let e = bbox.entry(v).or_insert((c, c));
            for (a, &ca) in c.iter().enumerate() {
                e.0[a] = e.0[a].min(ca);
                e.1[a] = e.1[a].max(ca);
            }
        }
    }
    let orig = l.clone();
    for (&lab, &(lo, hi)) in &bbox {
        // The box grown by one voxel: everything outside it is ≠ lab and reaches the border.
        let lo = [
            lo[0].saturating_sub(1),
            lo[1].saturating_sub(1),
            lo[2].saturating_sub(1),
        ];
        let hi = [
            (hi[0] + 1).min(size[0] - 1),
            (hi[1] + 1).min(size[1] - 1),
            (hi[2] + 1).min(size[2] - 1),
        ];
        let bs = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
        let gidx = |x: usize, y: usize, z: usize| {
            (lo[0] + x) + size[0] * ((lo[1] + y) + size[1] * (lo[2] + z))
        };
        let mut seeds = Vec::new();
        for z in 0..bs[2] {
            for y in 0..bs[1] {
                for x in 0..bs[0] {
                    // Axes one voxel deep (2D images) have no border to reach.
                    let on = |c: usize, n: usize, a: usize| size[a] > 1 && (c == 0 || c + 1 == n);
                    let border = on(x, bs[0], 0) || on(y, bs[1], 1) || on(z, bs[2], 2);
                    if border && orig[gidx(x, y, z)] != lab {
                        seeds.push(x + bs[0] * (y + bs[1] * z));
                    }
                }
            }
        }
        let mut reached = vec![0u8; bs[0] * bs[1] * bs[2]];
        flood(
            bs,
            &seeds,
            p.connectivity,
            |i| {
                let c = crate::connectivity::coords(i, bs);
                orig[gidx(c[0], c[1], c[2])] != lab
            },
            false,
            usize::MAX,
            &mut reached,
        );
        for z in 0..bs[2] {
            for y in 0..bs[1] {
                for x in 0..bs[0] {
                    let g = gidx(x, y, z);
                    if reached[x + bs[0] * (y + bs[1] * z)] == 0 && l[g] == 0 {
                        l[g] = lab;
                    }
                }
            }
        }
    }
    as_volume(vol, l)
}

/// The post-processing ops by name, for any pixel type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PostOp {
    /// [`relabel`]
    Relabel,
    /// [`keep_largest`]
    KeepLargest,
    /// [`fill_holes`]
    FillHoles,
}

/// Runs a post-processing op on a volume of any pixel type.
pub fn postprocess_any(
    vol: &AnyVolume,
    op: PostOp,
    p: &PostParams,
    exec: &Executor,
) -> Result<Volume<u32>> {
    medvox_core::with_volume!(vol, v => match op {
        PostOp::Relabel => relabel(v, p),
        PostOp::KeepLargest => keep_largest(v, p, exec),
        PostOp::FillHoles => fill_holes(v, p),
    })
}
