//! Grey level size zone matrix (IBSI 3.8) and grey level distance zone matrix
//! (IBSI 3.9). A zone is a connected group of region voxels with the same grey
//! level: 26-connected in 3D, 8-connected within a slice in 2D. Its distance is
//! the smallest city-block distance of its voxels to the region's edge (edge
//! voxels are at 1; 6-connected in 3D, 4-connected in 2D; outside the crop counts
//! as outside the region). 2D: features per slice, averaged; 2.5D: the slices'
//! matrices merged; 3D: zones in 3D.

use crate::matrix::{emphasis_features, Cell, Mean, NONE};
use crate::roi::Roi;
use crate::{Out, AGG_ZONE};

/// GLSZM feature keys in output order.
pub const SZM_KEYS: [&str; 16] = [
    "szm_sze",
    "szm_lze",
    "szm_lgze",
    "szm_hgze",
    "szm_szlge",
    "szm_szhge",
    "szm_lzlge",
    "szm_lzhge",
    "szm_glnu",
    "szm_glnu_norm",
    "szm_zsnu",
    "szm_zsnu_norm",
    "szm_z_perc",
    "szm_gl_var",
    "szm_zs_var",
    "szm_zs_entr",
];

/// GLDZM feature keys in output order.
pub const DZM_KEYS: [&str; 16] = [
    "dzm_sde",
    "dzm_lde",
    "dzm_lgze",
    "dzm_hgze",
    "dzm_sdlge",
    "dzm_sdhge",
    "dzm_ldlge",
    "dzm_ldhge",
    "dzm_glnu",
    "dzm_glnu_norm",
    "dzm_zdnu",
    "dzm_zdnu_norm",
    "dzm_z_perc",
    "dzm_gl_var",
    "dzm_zd_var",
    "dzm_zd_entr",
];

/// City-block distance of each region voxel to the nearest non-region voxel
/// (two-pass chamfer, exact for the L1 metric); `planar` restricts it to slices.
fn edge_distance(roi: &Roi, planar: bool) -> Vec<u32> {
    let [nx, ny, nz] = roi.dims;
    let big = u32::MAX / 2;
    let mut d: Vec<u32> = roi.mask.iter().map(|&m| if m { big } else { 0 }).collect();
    // forward
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let i = roi.idx(x, y, z);
                if d[i] == 0 {
                    continue;
                }
                let mut v = d[i];
                v = v.min(if x > 0 { d[i - 1] } else { 0 } + 1);
                v = v.min(if y > 0 { d[i - nx] } else { 0 } + 1);
                if !planar {
                    v = v.min(if z > 0 { d[i - nx * ny] } else { 0 } + 1);
                }
                d[i] = v;
            }
        }
    }
    for z in (0..nz).rev() {
        for y in (0..ny).rev() {
            for x in (0..nx).rev() {
                let i = roi.idx(x, y, z);
                if d[i] == 0 {
                    continue;
                }
                let mut v = d[i];
                v = v.min(if x + 1 < nx { d[i + 1] } else { 0 } + 1);
                v = v.min(if y + 1 < ny { d[i + nx] } else { 0 } + 1);
                if !planar {
                    v = v.min(if z + 1 < nz { d[i + nx * ny] } else { 0 } + 1);
                }
                d[i] = v;
            }
        }
    }
    d
}

/// One zone: compact grey level, size, distance, slice (for 2D).
struct Zone {
    level: u32,
    size: u32,
    dist: u32,
    z: usize,
}

/// Flood-fill the zones (26-connected, or 8-connected within slices when `planar`).
fn zones(roi: &Roi, cl: &[u32], dist: &[u32], planar: bool) -> Vec<Zone> {
    let [nx, ny, nz] = roi.dims;
    let mut seen = vec![false; cl.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    let dzr: &[isize] = if planar { &[0] } else { &[-1, 0, 1] };
    for start in 0..cl.len() {
        let a = cl[start];
        if a == NONE || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut size, mut dmin) = (0u32, u32::MAX);
        let z0 = start / (nx * ny);
        while let Some(i) = stack.pop() {
            size += 1;
            dmin = dmin.min(dist[i]);
            let x = (i % nx) as isize;
            let y = ((i / nx) % ny) as isize;
            let z = (i / (nx * ny)) as isize;
            for &dz in dzr {
                for dy in -1..=1isize {
                    for dx in -1..=1isize {
                        let (xx, yy, zz) = (x + dx, y + dy, z + dz);
                        if xx < 0
                            || yy < 0
                            || zz < 0
                            || xx as usize >= nx
                            || yy as usize >= ny
                            || zz as usize >= nz
                        {
                            continue;
                        }
                        let j = roi.idx(xx as usize, yy as usize, zz as usize);
                        if !seen[j] && cl[j] == a {
                            seen[j] = true;
                            stack.push(j);
                        }
                    }
                }
            }
        }
        out.push(Zone {
            level: a,
            size,
            dist: dmin,
            z: z0,
        });
    }
    out
}

fn cells(zs: &[&Zone], by_size: bool) -> Vec<Cell> {
    let mut c: Vec<Cell> = zs
        .iter()
        .map(|z| (z.level, if by_size { z.size } else { z.dist }, 1.0))
        .collect();
    c.sort_unstable_by_key(|a| (a.0, a.1));
    // merge equal cells
    let mut out: Vec<Cell> = Vec::with_capacity(c.len());
    for x in c {
        match out.last_mut() {
            Some(l) if l.0 == x.0 && l.1 == x.1 => l.2 += x.2,
            _ => out.push(x),
        }
    }
    out
}

/// GLSZM and GLDZM in the 2D, 2.5D and 3D aggregations.
pub fn size_and_distance_zones(roi: &Roi, cl: &[u32], vals: &[f64], out: &mut Out) {
    let nz = roi.dims[2];
    let plane = roi.dims[0] * roi.dims[1];
    // 2D / 2.5D
    let d2 = edge_distance(roi, true);
    let z2 = zones(roi, cl, &d2, true);
    let mut per_slice: Vec<Vec<&Zone>> = (0..nz).map(|_| Vec::new()).collect();
    for z in &z2 {
        per_slice[z.z].push(z);
    }
    let (mut szm2, mut dzm2) = (Mean::default(), Mean::default());
    for (z, zs) in per_slice.iter().enumerate() {
        if zs.is_empty() {
            continue;
        }
        let nv = roi.mask[z * plane..(z + 1) * plane]
            .iter()
            .filter(|&&m| m)
            .count() as f64;
        if let Some(f) = emphasis_features(&cells(zs, true), vals, nv, false) {
            szm2.add(&f);
        }
        if let Some(f) = emphasis_features(&cells(zs, false), vals, nv, false) {
            dzm2.add(&f);
        }
    }
    let nv = roi.count as f64;
    let all2: Vec<&Zone> = z2.iter().collect();
    let szm25 = emphasis_features(&cells(&all2, true), vals, nv, false);
    let dzm25 = emphasis_features(&cells(&all2, false), vals, nv, false);
    // 3D
    let d3 = edge_distance(roi, false);
    let z3 = zones(roi, cl, &d3, false);
    let all3: Vec<&Zone> = z3.iter().collect();
    let szm3 = emphasis_features(&cells(&all3, true), vals, nv, false);
    let dzm3 = emphasis_features(&cells(&all3, false), vals, nv, false);
    for (agg, r) in AGG_ZONE.iter().zip([szm2.get(), szm25, szm3]) {
        out.put_all(&SZM_KEYS, agg, r);
    }
    for (agg, r) in AGG_ZONE.iter().zip([dzm2.get(), dzm25, dzm3]) {
        out.put_all(&DZM_KEYS, agg, r);
    }
}
