//! Grey level co-occurrence matrix (IBSI 3.6): symmetric pair counts of region
//! voxels at Chebyshev distance 1, in the 4 axial directions per slice (2D) and
//! the 13 directions in 3D, with the six IBSI aggregations.

use crate::matrix::{six_aggregations, NONE};
use crate::roi::Roi;
use crate::{Out, AGG_CM};

/// GLCM feature keys in output order.
pub const KEYS: [&str; 25] = [
    "cm_joint_max",
    "cm_joint_avg",
    "cm_joint_var",
    "cm_joint_entr",
    "cm_diff_avg",
    "cm_diff_var",
    "cm_diff_entr",
    "cm_sum_avg",
    "cm_sum_var",
    "cm_sum_entr",
    "cm_energy",
    "cm_contrast",
    "cm_dissimilarity",
    "cm_inv_diff",
    "cm_inv_diff_norm",
    "cm_inv_diff_mom",
    "cm_inv_diff_mom_norm",
    "cm_inv_var",
    "cm_corr",
    "cm_auto_corr",
    "cm_clust_tend",
    "cm_clust_shade",
    "cm_clust_prom",
    "cm_info_corr1",
    "cm_info_corr2",
];

/// Count pairs along `d` for voxels in slices `z0..z1` into `m` (g × g).
fn count(roi: &Roi, cl: &[u32], g: usize, d: [isize; 3], z0: usize, z1: usize, m: &mut [f64]) {
    let [nx, ny, nz] = roi.dims;
    for z in z0..z1 {
        let zz = z as isize + d[2];
        if zz < 0 || zz as usize >= nz {
            continue;
        }
        for y in 0..ny {
            let yy = y as isize + d[1];
            if yy < 0 || yy as usize >= ny {
                continue;
            }
            let row = roi.idx(0, y, z);
            let nrow = roi.idx(0, yy as usize, zz as usize);
            for x in 0..nx {
                let a = cl[row + x];
                if a == NONE {
                    continue;
                }
                let xx = x as isize + d[0];
                if xx < 0 || xx as usize >= nx {
                    continue;
                }
                let b = cl[nrow + xx as usize];
                if b != NONE {
                    m[a as usize * g + b as usize] += 1.0;
                    m[b as usize * g + a as usize] += 1.0;
                }
            }
        }
    }
}

/// The 25 GLCM features of a count matrix, `None` when it is empty.
pub fn features(m: &[f64], vals: &[f64], ng: f64) -> Option<Vec<f64>> {
    let g = vals.len();
    let total: f64 = m.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let maxv = vals[g - 1] as usize;
    let mut pi = vec![0f64; g];
    let mut pd = vec![0f64; maxv + 1];
    let mut ps = vec![0f64; 2 * maxv + 1];
    let mut jmax = 0f64;
    let mut mu = 0.0;
    for a in 0..g {
        for b in 0..g {
            let p = m[a * g + b] / total;
            if p > 0.0 {
                pi[a] += p;
                jmax = jmax.max(p);
                mu += vals[a] * p;
                let (i, j) = (vals[a], vals[b]);
                pd[(i - j).abs() as usize] += p;
                ps[(i + j) as usize] += p;
            }
        }
    }
    let mut var = 0.0;
    let mut hx = 0.0;
    for a in 0..g {
        var += (vals[a] - mu).powi(2) * pi[a];
        if pi[a] > 0.0 {
            hx -= pi[a] * pi[a].log2();
        }
    }
    let (mut hxy, mut energy, mut contrast, mut dissim, mut id, mut idn, mut idm, mut idmn) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut ivar, mut corr, mut auto, mut ct, mut cs, mut cp, mut hxy1, mut hxy2) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for a in 0..g {
        for b in 0..g {
            let (i, j) = (vals[a], vals[b]);
            let pp = pi[a] * pi[b];
            if pp > 0.0 {
                hxy2 -= pp * pp.log2();
            }
            let p = m[a * g + b] / total;
            if p <= 0.0 {
                continue;
            }
            let d = (i - j).abs();
            hxy -= p * p.log2();
            hxy1 -= p * pp.log2();
            energy += p * p;
            contrast += d * d * p;
            dissim += d * p;
            id += p / (1.0 + d);
            idn += p / (1.0 + d / ng);
            idm += p / (1.0 + d * d);
            idmn += p / (1.0 + d * d / (ng * ng));
            if a != b {
                ivar += p / (d * d);
            }
            corr += (i - mu) * (j - mu) * p;
            auto += i * j * p;
            let c = i + j - 2.0 * mu;
            ct += c * c * p;
            cs += c * c * c * p;
            cp += c * c * c * c * p;
        }
    }
    let stats = |h: &[f64], off: usize| -> (f64, f64, f64) {
        let mut m1 = 0.0;
        let mut e = 0.0;
        for (k, &p) in h.iter().enumerate() {
            if p > 0.0 {
                m1 += (k + off) as f64 * p;
                e -= p * p.log2();
            }
        }
        let v = h
            .iter()
            .enumerate()
            .map(|(k, &p)| ((k + off) as f64 - m1).powi(2) * p)
            .sum();
        (m1, v, e)
    };
    let (da, dv, de) = stats(&pd, 0);
    let (sa, sv, se) = stats(&ps, 0);
    let corr = if var > 0.0 { corr / var } else { 0.0 };
    let ic1 = if hx > 0.0 { (hxy - hxy1) / hx } else { 0.0 };
    let ic2 = (1.0 - (-2.0 * (hxy2 - hxy)).exp()).max(0.0).sqrt();
    Some(vec![
        jmax, mu, var, hxy, da, dv, de, sa, sv, se, energy, contrast, dissim, id, idn, idm, idmn,
        ivar, corr, auto, ct, cs, cp, ic1, ic2,
    ])
}

/// All six GLCM aggregations of a region.
pub fn glcm(roi: &Roi, cl: &[u32], vals: &[f64], out: &mut Out) {
    let g = vals.len();
    let ng = roi.ng as f64;
    let results = six_aggregations(
        g * g,
        roi.dims[2],
        |d, z0, z1, m| count(roi, cl, g, d, z0, z1, m),
        |m| features(m, vals, ng),
    );
    for (agg, r) in AGG_CM.iter().zip(results) {
        out.put_all(&KEYS, agg, r);
    }
}
