//! Morphology (IBSI 3.1): mesh volume and area (marching cubes, see
//! [`crate::mesh`]), voxel-counting volume, the sphericity family, centre of mass
//! shift, maximum 3D diameter (over the convex hull's vertices), PCA axis
//! lengths (unbiased covariance of voxel centres, `4 √λ`, as mirp), bounding-box, approximate
//! enclosing ellipsoid and convex hull densities, integrated intensity, and
//! Moran's I / Geary's C with inverse-distance weights.

use std::f64::consts::PI;

use crate::hull::convex_hull;
use crate::mesh::{mesh_vertices, mesh_volume_area};
use crate::roi::Roi;
use crate::{Out, AGG_3D};

/// Eigenvalues of a symmetric 3×3 matrix, largest first.
pub fn sym_eigenvalues(m: [[f64; 3]; 3]) -> [f64; 3] {
    let p1 = m[0][1].powi(2) + m[0][2].powi(2) + m[1][2].powi(2);
    let q = (m[0][0] + m[1][1] + m[2][2]) / 3.0;
    if p1 == 0.0 {
        let mut e = [m[0][0], m[1][1], m[2][2]];
        e.sort_by(|a, b| b.total_cmp(a));
        return e;
    }
    let p2 = (m[0][0] - q).powi(2) + (m[1][1] - q).powi(2) + (m[2][2] - q).powi(2) + 2.0 * p1;
    let p = (p2 / 6.0).sqrt();
    let mut b = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            b[i][j] = (m[i][j] - if i == j { q } else { 0.0 }) / p;
        }
    }
    let det = b[0][0] * (b[1][1] * b[2][2] - b[1][2] * b[2][1])
        - b[0][1] * (b[1][0] * b[2][2] - b[1][2] * b[2][0])
        + b[0][2] * (b[1][0] * b[2][1] - b[1][1] * b[2][0]);
    let r = (det / 2.0).clamp(-1.0, 1.0);
    let phi = r.acos() / 3.0;
    let e1 = q + 2.0 * p * phi.cos();
    let e3 = q + 2.0 * p * (phi + 2.0 * PI / 3.0).cos();
    let e2 = 3.0 * q - e1 - e3;
    [e1, e2, e3]
}

/// Legendre polynomial `P_n(x)`.
fn legendre(n: usize, x: f64) -> f64 {
    let (mut p0, mut p1) = (1.0, x);
    if n == 0 {
        return 1.0;
    }
    for k in 1..n {
        let p2 = ((2 * k + 1) as f64 * x * p1 - k as f64 * p0) / (k + 1) as f64;
        p0 = p1;
        p1 = p2;
    }
    p1
}

/// Surface area of an ellipsoid with semi-axes `a ≥ b ≥ c` (IBSI's Legendre series, 20 terms).
fn ellipsoid_area(a: f64, b: f64, c: f64) -> f64 {
    let alpha = (1.0 - (b / a).powi(2)).max(0.0).sqrt();
    let beta = (1.0 - (c / a).powi(2)).max(0.0).sqrt();
    let ab = alpha * beta;
    if ab == 0.0 {
        // sphere-like or prolate limit: leading term
        return 4.0 * PI * a * b;
    }
    let x = (alpha * alpha + beta * beta) / (2.0 * ab);
    let s: f64 = (0..=20)
        .map(|v| ab.powi(v as i32) / (1.0 - 4.0 * (v * v) as f64) * legendre(v, x))
        .sum();
    4.0 * PI * a * b * s
}

/// All morphology features of a region; `moran_max` caps the voxels of the
/// O(n²) Moran's I / Geary's C (larger regions use an even subsample).
pub fn morphology(roi: &Roi, moran_max: usize, out: &mut Out) {
    let s = roi.spacing;
    let [nx, ny, _] = roi.dims;
    let (v, a) = mesh_volume_area(&roi.mask, roi.dims, s);
    let n = roi.count as f64;
    let vvox = n * s[0] * s[1] * s[2];
    out.put("morph_volume", AGG_3D, v);
    out.put("morph_vol_approx", AGG_3D, vvox);
    out.put("morph_area_mesh", AGG_3D, a);
    out.put("morph_av", AGG_3D, a / v);
    out.put("morph_comp_1", AGG_3D, v / (PI.sqrt() * a.powf(1.5)));
    out.put("morph_comp_2", AGG_3D, 36.0 * PI * v * v / a.powi(3));
    let sph = (36.0 * PI * v * v).cbrt();
    out.put("morph_sph_dispr", AGG_3D, a / sph);
    out.put("morph_sphericity", AGG_3D, sph / a);
    out.put("morph_asphericity", AGG_3D, (a / sph) - 1.0);
    // positions, centre of mass, covariance
    let mut pos = Vec::with_capacity(roi.count);
    let mut vals = Vec::with_capacity(roi.count);
    let (mut c, mut cw, mut wsum) = ([0.0; 3], [0.0; 3], 0.0);
    for (i, &m) in roi.mask.iter().enumerate() {
        if m {
            let p = [
                (i % nx) as f64 * s[0],
                ((i / nx) % ny) as f64 * s[1],
                (i / (nx * ny)) as f64 * s[2],
            ];
            let w = roi.intensity[i];
            for k in 0..3 {
                c[k] += p[k];
                cw[k] += w * p[k];
            }
            wsum += w;
            pos.push(p);
            vals.push(w);
        }
    }
    for k in 0..3 {
        c[k] /= n;
        cw[k] /= wsum;
    }
    let com = ((c[0] - cw[0]).powi(2) + (c[1] - cw[1]).powi(2) + (c[2] - cw[2]).powi(2)).sqrt();
    out.put("morph_com", AGG_3D, com);
    // hull, diameter, bounding box
    let verts = mesh_vertices(&roi.mask, roi.dims);
    let phys = |p: [i64; 3]| {
        [
            p[0] as f64 * s[0] / 2.0,
            p[1] as f64 * s[1] / 2.0,
            p[2] as f64 * s[2] / 2.0,
        ]
    };
    let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
    for &p in &verts {
        let q = phys(p);
        for k in 0..3 {
            lo[k] = lo[k].min(q[k]);
            hi[k] = hi[k].max(q[k]);
        }
    }
    let (mut hv, mut ha, mut diam) = (f64::NAN, f64::NAN, f64::NAN);
    if let Some((pts, faces)) = convex_hull(verts) {
        let mut used: Vec<usize> = faces.iter().flatten().copied().collect();
        used.sort_unstable();
        used.dedup();
        let hp: Vec<[f64; 3]> = used.iter().map(|&i| phys(pts[i])).collect();
        let mut d2 = 0.0f64;
        for i in 0..hp.len() {
            for j in i + 1..hp.len() {
                let d = (hp[i][0] - hp[j][0]).powi(2)
                    + (hp[i][1] - hp[j][1]).powi(2)
                    + (hp[i][2] - hp[j][2]).powi(2);
                d2 = d2.max(d);
            }
        }
        diam = d2.sqrt();
        let (mut vol, mut area) = (0.0, 0.0);
        for f in &faces {
            let (p0, p1, p2) = (phys(pts[f[0]]), phys(pts[f[1]]), phys(pts[f[2]]));
            let u = [p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]];
            let w = [p2[0] - p0[0], p2[1] - p0[1], p2[2] - p0[2]];
            let cr = [
                u[1] * w[2] - u[2] * w[1],
                u[2] * w[0] - u[0] * w[2],
                u[0] * w[1] - u[1] * w[0],
            ];
            area += (cr[0] * cr[0] + cr[1] * cr[1] + cr[2] * cr[2]).sqrt() / 2.0;
            vol += (p0[0] * cr[0] + p0[1] * cr[1] + p0[2] * cr[2]) / 6.0;
        }
        hv = vol.abs();
        ha = area;
    }
    out.put("morph_diam", AGG_3D, diam);
    // PCA
    let mut cov = [[0.0; 3]; 3];
    for p in &pos {
        for i in 0..3 {
            for j in 0..3 {
                cov[i][j] += (p[i] - c[i]) * (p[j] - c[j]);
            }
        }
    }
    for row in cov.iter_mut() {
        for x in row.iter_mut() {
            *x /= (n - 1.0).max(1.0);
        }
    }
    let ev = sym_eigenvalues(cov).map(|e| e.max(0.0));
    out.put("morph_pca_maj_axis", AGG_3D, 4.0 * ev[0].sqrt());
    out.put("morph_pca_min_axis", AGG_3D, 4.0 * ev[1].sqrt());
    out.put("morph_pca_least_axis", AGG_3D, 4.0 * ev[2].sqrt());
    out.put("morph_pca_elongation", AGG_3D, (ev[1] / ev[0]).sqrt());
    out.put("morph_pca_flatness", AGG_3D, (ev[2] / ev[0]).sqrt());
    let e = [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
    out.put("morph_vol_dens_aabb", AGG_3D, v / (e[0] * e[1] * e[2]));
    out.put(
        "morph_area_dens_aabb",
        AGG_3D,
        a / (2.0 * (e[0] * e[1] + e[1] * e[2] + e[0] * e[2])),
    );
    let (ea, eb, ec) = (2.0 * ev[0].sqrt(), 2.0 * ev[1].sqrt(), 2.0 * ev[2].sqrt());
    out.put(
        "morph_vol_dens_aee",
        AGG_3D,
        3.0 * v / (4.0 * PI * ea * eb * ec),
    );
    out.put(
        "morph_area_dens_aee",
        AGG_3D,
        a / ellipsoid_area(ea, eb, ec),
    );
    out.put("morph_vol_dens_conv_hull", AGG_3D, v / hv);
    out.put("morph_area_dens_conv_hull", AGG_3D, a / ha);
    let mean = vals.iter().sum::<f64>() / n;
    out.put("morph_integ_int", AGG_3D, mean * v);
    // Moran's I and Geary's C
    let step = roi.count.div_ceil(moran_max.max(2));
    let sp: Vec<usize> = (0..roi.count).step_by(step.max(1)).collect();
    let m = sp.len() as f64;
    let smean = sp.iter().map(|&i| vals[i]).sum::<f64>() / m;
    let (mut wsum, mut num_i, mut num_c) = (0.0, 0.0, 0.0);
    for (k, &i) in sp.iter().enumerate() {
        for &j in &sp[k + 1..] {
            let d = ((pos[i][0] - pos[j][0]).powi(2)
                + (pos[i][1] - pos[j][1]).powi(2)
                + (pos[i][2] - pos[j][2]).powi(2))
            .sqrt();
            let w = 2.0 / d; // both (i, j) and (j, i)
            wsum += w;
            num_i += w * (vals[i] - smean) * (vals[j] - smean);
            num_c += w * (vals[i] - vals[j]).powi(2);
        }
    }
    let den: f64 = sp.iter().map(|&i| (vals[i] - smean).powi(2)).sum();
    let (moran, geary) = if sp.len() < 2 || den == 0.0 {
        (f64::NAN, f64::NAN)
    } else {
        (
            m / wsum * num_i / den,
            (m - 1.0) * num_c / (2.0 * wsum * den),
        )
    };
    out.put("morph_moran_i", AGG_3D, moran);
    out.put("morph_geary_c", AGG_3D, geary);
}
