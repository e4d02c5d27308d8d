//! Grey level run length matrix (IBSI 3.7): runs of equal grey level inside the
//! region along the 4 axial directions per slice (2D) or the 13 directions in
//! 3D, with the six IBSI aggregations. Voxels outside the region end a run.

use crate::matrix::{cells_of, emphasis_features, six_aggregations, NONE};
use crate::roi::Roi;
use crate::{Out, AGG_CM};

/// GLRLM feature keys in output order.
pub const KEYS: [&str; 16] = [
    "rlm_sre",
    "rlm_lre",
    "rlm_lgre",
    "rlm_hgre",
    "rlm_srlge",
    "rlm_srhge",
    "rlm_lrlge",
    "rlm_lrhge",
    "rlm_glnu",
    "rlm_glnu_norm",
    "rlm_rlnu",
    "rlm_rlnu_norm",
    "rlm_r_perc",
    "rlm_gl_var",
    "rlm_rl_var",
    "rlm_rl_entr",
];

/// Add the runs along `d` starting in slices `z0..z1` to `m` (g × l).
#[allow(clippy::too_many_arguments)]
fn runs(roi: &Roi, cl: &[u32], l: usize, d: [isize; 3], z0: usize, z1: usize, m: &mut [f64]) {
    let [nx, ny, nz] = roi.dims;
    let at = |x: isize, y: isize, z: isize| -> u32 {
        if x < 0 || y < 0 || z < 0 || x as usize >= nx || y as usize >= ny || z as usize >= nz {
            NONE
        } else {
            cl[roi.idx(x as usize, y as usize, z as usize)]
        }
    };
    for z in z0..z1 {
        for y in 0..ny {
            for x in 0..nx {
                let a = cl[roi.idx(x, y, z)];
                if a == NONE {
                    continue;
                }
                let (x, y, z) = (x as isize, y as isize, z as isize);
                if at(x - d[0], y - d[1], z - d[2]) == a {
                    continue;
                }
                let mut len = 1;
                while at(
                    x + d[0] * len as isize,
                    y + d[1] * len as isize,
                    z + d[2] * len as isize,
                ) == a
                {
                    len += 1;
                }
                m[a as usize * l + len - 1] += 1.0;
            }
        }
    }
}

fn feats(m: &[f64], l: usize, vals: &[f64]) -> Option<Vec<f64>> {
    let cells = cells_of(m, l);
    let nv: f64 = cells.iter().map(|c| c.1 as f64 * c.2).sum();
    emphasis_features(&cells, vals, nv, false)
}

/// All six GLRLM aggregations of a region.
pub fn glrlm(roi: &Roi, cl: &[u32], vals: &[f64], out: &mut Out) {
    let [nx, ny, nz] = roi.dims;
    let l = nx.max(ny).max(nz);
    let results = six_aggregations(
        vals.len() * l,
        nz,
        |d, z0, z1, m| runs(roi, cl, l, d, z0, z1, m),
        |m| feats(m, l, vals),
    );
    for (agg, r) in AGG_CM.iter().zip(results) {
        out.put_all(&KEYS, agg, r);
    }
}
