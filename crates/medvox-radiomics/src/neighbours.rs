//! Neighbourhood grey tone difference matrix (IBSI 3.10) and neighbouring grey
//! level dependence matrix (IBSI 3.11), both over the Chebyshev-distance-1
//! neighbourhood (8 voxels in a slice for 2D, 26 in 3D) of region voxels, using
//! only neighbours inside the region. 2D: features per slice, averaged; 2.5D:
//! the slices' matrices merged; 3D: 3D neighbourhoods.
//!
//! NGTDM: `s_i = Σ |i − Ā|` over voxels of level `i` with at least one
//! neighbour (Ā = mean neighbour level), `n_i` = number of those voxels.
//! NGLDM (coarseness α = 0): dependence `k` = 1 + number of neighbours with the
//! same level.

use crate::matrix::{emphasis_features, Cell, Mean, NONE};
use crate::roi::Roi;
use crate::{Out, AGG_ZONE};

/// NGTDM feature keys in output order.
pub const NGT_KEYS: [&str; 5] = [
    "ngt_coarseness",
    "ngt_contrast",
    "ngt_busyness",
    "ngt_complexity",
    "ngt_strength",
];

/// NGLDM feature keys in output order.
pub const NGL_KEYS: [&str; 17] = [
    "ngl_lde",
    "ngl_hde",
    "ngl_lgce",
    "ngl_hgce",
    "ngl_ldlge",
    "ngl_ldhge",
    "ngl_hdlge",
    "ngl_hdhge",
    "ngl_glnu",
    "ngl_glnu_norm",
    "ngl_dcnu",
    "ngl_dcnu_norm",
    "ngl_dc_perc",
    "ngl_gl_var",
    "ngl_dc_var",
    "ngl_dc_entr",
    "ngl_dc_energy",
];

/// The five NGTDM features from `s_i` and `n_i`.
pub fn ngtdm_features(s: &[f64], n: &[f64], vals: &[f64]) -> Option<Vec<f64>> {
    let nvc: f64 = n.iter().sum();
    if nvc <= 0.0 {
        return None;
    }
    let p: Vec<f64> = n.iter().map(|x| x / nvc).collect();
    let idx: Vec<usize> = (0..p.len()).filter(|&i| p[i] > 0.0).collect();
    let ngp = idx.len() as f64;
    let ssum: f64 = s.iter().sum();
    let ps: f64 = idx.iter().map(|&i| p[i] * s[i]).sum();
    let coarseness = if ps > 0.0 { 1.0 / ps } else { 1e6 };
    let (mut c, mut bden, mut cx, mut st) = (0.0, 0.0, 0.0, 0.0);
    for &i in &idx {
        for &j in &idx {
            let d = vals[i] - vals[j];
            c += p[i] * p[j] * d * d;
            bden += (vals[i] * p[i] - vals[j] * p[j]).abs();
            cx += d.abs() * (p[i] * s[i] + p[j] * s[j]) / (p[i] + p[j]);
            st += (p[i] + p[j]) * d * d;
        }
    }
    let contrast = if ngp > 1.0 {
        c / (ngp * (ngp - 1.0)) * ssum / nvc
    } else {
        0.0
    };
    let busyness = if bden > 0.0 { ps / bden } else { 0.0 };
    let complexity = cx / nvc;
    let strength = if ssum > 0.0 { st / ssum } else { 0.0 };
    Some(vec![coarseness, contrast, busyness, complexity, strength])
}

/// NGTDM and NGLDM in the 2D, 2.5D and 3D aggregations.
pub fn ngtdm_ngldm(roi: &Roi, cl: &[u32], vals: &[f64], out: &mut Out) {
    let g = vals.len();
    let [nx, ny, nz] = roi.dims;
    // per planar/3D pass: s, n (NGTDM) and dependence cells (NGLDM)
    let mut ngt2 = Mean::default();
    let mut ngl2 = Mean::default();
    let (mut s25, mut n25) = (vec![0f64; g], vec![0f64; g]);
    let mut dep25 = vec![0f64; g * 27];
    let (mut s3, mut n3) = (vec![0f64; g], vec![0f64; g]);
    let mut dep3 = vec![0f64; g * 27];
    let mut s2 = vec![0f64; g];
    let mut n2 = vec![0f64; g];
    let mut dep2 = vec![0f64; g * 27];
    let to_cells = |dep: &[f64]| -> Vec<Cell> {
        let mut c = Vec::new();
        for (k, &v) in dep.iter().enumerate() {
            if v > 0.0 {
                c.push(((k / 27) as u32, (k % 27) as u32 + 1, v));
            }
        }
        c
    };
    for z in 0..nz {
        s2.iter_mut().for_each(|v| *v = 0.0);
        n2.iter_mut().for_each(|v| *v = 0.0);
        dep2.iter_mut().for_each(|v| *v = 0.0);
        let mut nvs = 0.0;
        for y in 0..ny {
            for x in 0..nx {
                let a = cl[roi.idx(x, y, z)];
                if a == NONE {
                    continue;
                }
                nvs += 1.0;
                let ia = vals[a as usize];
                let (mut sum2, mut cnt2, mut same2) = (0.0, 0usize, 0usize);
                let (mut sum3, mut cnt3, mut same3) = (0.0, 0usize, 0usize);
                for dz in -1..=1isize {
                    let zz = z as isize + dz;
                    if zz < 0 || zz as usize >= nz {
                        continue;
                    }
                    for dy in -1..=1isize {
                        let yy = y as isize + dy;
                        if yy < 0 || yy as usize >= ny {
                            continue;
                        }
                        for dx in -1..=1isize {
                            let xx = x as isize + dx;
                            if xx < 0 || xx as usize >= nx || (dx == 0 && dy == 0 && dz == 0) {
                                continue;
                            }
                            let b = cl[roi.idx(xx as usize, yy as usize, zz as usize)];
                            if b == NONE {
                                continue;
                            }
                            let ib = vals[b as usize];
                            sum3 += ib;
                            cnt3 += 1;
                            same3 += (b == a) as usize;
                            if dz == 0 {
                                sum2 += ib;
                                cnt2 += 1;
                                same2 += (b == a) as usize;
                            }
                        }
                    }
                }
                let a = a as usize;
                if cnt2 > 0 {
                    s2[a] += (ia - sum2 / cnt2 as f64).abs();
                    n2[a] += 1.0;
                }
                if cnt3 > 0 {
                    s3[a] += (ia - sum3 / cnt3 as f64).abs();
                    n3[a] += 1.0;
                }
                dep2[a * 27 + same2] += 1.0;
                dep3[a * 27 + same3] += 1.0;
            }
        }
        if nvs == 0.0 {
            continue;
        }
        if let Some(f) = ngtdm_features(&s2, &n2, vals) {
            ngt2.add(&f);
        }
        if let Some(f) = emphasis_features(&to_cells(&dep2), vals, nvs, true) {
            ngl2.add(&f);
        }
        for k in 0..g {
            s25[k] += s2[k];
            n25[k] += n2[k];
        }
        dep25.iter_mut().zip(&dep2).for_each(|(a, b)| *a += b);
    }
    let nv = roi.count as f64;
    let ngt = [
        ngt2.get(),
        ngtdm_features(&s25, &n25, vals),
        ngtdm_features(&s3, &n3, vals),
    ];
    let ngl = [
        ngl2.get(),
        emphasis_features(&to_cells(&dep25), vals, nv, true),
        emphasis_features(&to_cells(&dep3), vals, nv, true),
    ];
    for (agg, r) in AGG_ZONE.iter().zip(ngt) {
        out.put_all(&NGT_KEYS, agg, r);
    }
    for (agg, r) in AGG_ZONE.iter().zip(ngl) {
        out.put_all(&NGL_KEYS, agg, r);
    }
}
