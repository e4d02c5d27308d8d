//! First-order families: intensity statistics (IBSI 3.3), intensity histogram
//! (3.4), intensity–volume histogram (3.5) and local intensity (3.2).

use crate::roi::Roi;
use crate::{Out, AGG_3D};

/// Percentile with linear interpolation between order statistics (numpy's default).
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let pos = p / 100.0 * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The 18 statistics shared by the intensity statistics and histogram families,
/// written with `prefix` ("stat" or "ih").
fn moments(out: &mut Out, prefix: &str, v: &mut [f64]) {
    let n = v.len() as f64;
    v.sort_by(|a, b| a.total_cmp(b));
    let mean = v.iter().sum::<f64>() / n;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for &x in v.iter() {
        let d = x - mean;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
    }
    m2 /= n;
    m3 /= n;
    m4 /= n;
    let (skew, kurt) = if m2 > 0.0 {
        (m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0)
    } else {
        (0.0, 0.0)
    };
    let median = percentile(v, 50.0);
    let p10 = percentile(v, 10.0);
    let p90 = percentile(v, 90.0);
    let p25 = percentile(v, 25.0);
    let p75 = percentile(v, 75.0);
    let min = v[0];
    let max = v[v.len() - 1];
    let mad = v.iter().map(|x| (x - mean).abs()).sum::<f64>() / n;
    let robust: Vec<f64> = v
        .iter()
        .copied()
        .filter(|&x| x >= p10 && x <= p90)
        .collect();
    let rmean = robust.iter().sum::<f64>() / robust.len() as f64;
    let rmad = robust.iter().map(|x| (x - rmean).abs()).sum::<f64>() / robust.len() as f64;
    let medad = v.iter().map(|x| (x - median).abs()).sum::<f64>() / n;
    let energy = v.iter().map(|x| x * x).sum::<f64>();
    let p = |s: &str| format!("{prefix}_{s}");
    out.put(&p("mean"), AGG_3D, mean);
    out.put(&p("var"), AGG_3D, m2);
    out.put(&p("skew"), AGG_3D, skew);
    out.put(&p("kurt"), AGG_3D, kurt);
    out.put(&p("median"), AGG_3D, median);
    out.put(&p("min"), AGG_3D, min);
    out.put(&p("p10"), AGG_3D, p10);
    out.put(&p("p90"), AGG_3D, p90);
    out.put(&p("max"), AGG_3D, max);
    out.put(&p("iqr"), AGG_3D, p75 - p25);
    out.put(&p("range"), AGG_3D, max - min);
    out.put(&p("mad"), AGG_3D, mad);
    out.put(&p("rmad"), AGG_3D, rmad);
    out.put(&p("medad"), AGG_3D, medad);
    out.put(&p("cov"), AGG_3D, m2.sqrt() / mean);
    out.put(&p("qcod"), AGG_3D, (p75 - p25) / (p75 + p25));
    if prefix == "stat" {
        out.put("stat_energy", AGG_3D, energy);
        out.put("stat_rms", AGG_3D, (energy / n).sqrt());
    }
}

/// Intensity statistics on the region's intensities.
pub fn intensity_statistics(roi: &Roi, out: &mut Out) {
    let mut v = roi.values();
    moments(out, "stat", &mut v);
}

/// Intensity histogram features on the discretised grey levels `1..=Ng`.
pub fn intensity_histogram(roi: &Roi, out: &mut Out) {
    let mut v: Vec<f64> = roi
        .levels
        .iter()
        .filter(|&&l| l > 0)
        .map(|&l| l as f64)
        .collect();
    let n = v.len() as f64;
    moments(out, "ih", &mut v);
    let ng = roi.ng as usize;
    let mut h = vec![0f64; ng + 1];
    for &l in &roi.levels {
        if l > 0 {
            h[l as usize] += 1.0;
        }
    }
    let mean = v.iter().sum::<f64>() / n;
    // Mode: the most frequent level; ties go to the level nearest the mean.
    let mut mode = 1usize;
    for i in 1..=ng {
        if h[i] > h[mode]
            || (h[i] == h[mode] && (i as f64 - mean).abs() < (mode as f64 - mean).abs())
        {
            mode = i;
        }
    }
    out.put("ih_mode", AGG_3D, mode as f64);
    let mut entropy = 0.0;
    let mut uniformity = 0.0;
    for &c in &h[1..] {
        if c > 0.0 {
            let p = c / n;
            entropy -= p * p.log2();
            uniformity += p * p;
        }
    }
    out.put("ih_entropy", AGG_3D, entropy);
    out.put("ih_uniformity", AGG_3D, uniformity);
    // Histogram gradient: forward difference at the first bin, backward at the
    // last, central differences between.
    let grad = |i: usize| -> f64 {
        if ng == 1 {
            0.0
        } else if i == 1 {
            h[2] - h[1]
        } else if i == ng {
            h[ng] - h[ng - 1]
        } else {
            (h[i + 1] - h[i - 1]) / 2.0
        }
    };
    let (mut gmax, mut imax, mut gmin, mut imin) = (f64::NEG_INFINITY, 1, f64::INFINITY, 1);
    for i in 1..=ng {
        let g = grad(i);
        if g > gmax {
            gmax = g;
            imax = i;
        }
        if g < gmin {
            gmin = g;
            imin = i;
        }
    }
    out.put("ih_max_grad", AGG_3D, gmax);
    out.put("ih_max_grad_g", AGG_3D, imax as f64);
    out.put("ih_min_grad", AGG_3D, gmin);
    out.put("ih_min_grad_g", AGG_3D, imin as f64);
}

/// Intensity–volume histogram on the discretised levels `1..=Ng`: intensity
/// fraction `(i - 1) / (Ng - 1)`, volume fraction = share of voxels at level ≥ i.
pub fn intensity_volume_histogram(roi: &Roi, out: &mut Out) {
    let ng = roi.ng as usize;
    let mut h = vec![0f64; ng + 2];
    for &l in &roi.levels {
        if l > 0 {
            h[l as usize] += 1.0;
        }
    }
    let n = roi.count as f64;
    // v[i] = fraction of voxels with level >= i
    let mut v = vec![0f64; ng + 2];
    for i in (1..=ng).rev() {
        v[i] = v[i + 1] + h[i] / n;
    }
    let span = (ng as f64 - 1.0).max(1.0);
    let vol_at = |f: f64| -> f64 {
        (1..=ng)
            .find(|&i| (i as f64 - 1.0) / span >= f - 1e-12)
            .map_or(0.0, |i| v[i])
    };
    let int_at = |f: f64| -> f64 {
        (1..=ng)
            .find(|&i| v[i] <= f + 1e-12)
            .map_or(ng as f64 + 1.0, |i| i as f64)
    };
    let (v10, v90, i10, i90) = (vol_at(0.1), vol_at(0.9), int_at(0.1), int_at(0.9));
    out.put("ivh_v10", AGG_3D, v10);
    out.put("ivh_v90", AGG_3D, v90);
    out.put("ivh_i10", AGG_3D, i10);
    out.put("ivh_i90", AGG_3D, i90);
    out.put("ivh_diff_v10_v90", AGG_3D, v10 - v90);
    out.put("ivh_diff_i10_i90", AGG_3D, i10 - i90);
}

/// Radius (mm) of the 1 cm³ sphere of the intensity peaks.
pub const PEAK_RADIUS_MM: f64 = 6.203_504_908_994_001;

/// Local and global intensity peak: mean intensity in the 1 cm³ sphere around a
/// voxel (every image voxel whose centre is within the radius, in or out of the
/// region); local = around the region's brightest voxel(s), global = the largest
/// over all region voxels. The crop carries the margin the sphere needs.
pub fn local_intensity(roi: &Roi, out: &mut Out) {
    let [nx, ny, nz] = roi.dims;
    let s = roi.spacing;
    let r = PEAK_RADIUS_MM;
    // The sphere as x-segments for each (dy, dz).
    let ry = (r / s[1]).floor() as isize;
    let rz = (r / s[2]).floor() as isize;
    let mut segs = Vec::new();
    for dz in -rz..=rz {
        for dy in -ry..=ry {
            let rem = r * r - (dy as f64 * s[1]).powi(2) - (dz as f64 * s[2]).powi(2);
            if rem >= 0.0 {
                let hx = (rem.sqrt() / s[0] + 1e-9).floor() as isize;
                segs.push((dy, dz, hx));
            }
        }
    }
    // Row prefix sums of the intensity.
    let mut pre = vec![0f64; (nx + 1) * ny * nz];
    for z in 0..nz {
        for y in 0..ny {
            let row = (y + ny * z) * (nx + 1);
            for x in 0..nx {
                pre[row + x + 1] = pre[row + x] + roi.intensity[roi.idx(x, y, z)];
            }
        }
    }
    let mean_at = |x: usize, y: usize, z: usize| -> f64 {
        let (mut sum, mut cnt) = (0.0, 0usize);
        for &(dy, dz, hx) in &segs {
            let (yy, zz) = (y as isize + dy, z as isize + dz);
            if yy < 0 || zz < 0 || yy as usize >= ny || zz as usize >= nz {
                continue;
            }
            let x0 = (x as isize - hx).max(0) as usize;
            let x1 = ((x as isize + hx) as usize).min(nx - 1);
            let row = (yy as usize + ny * zz as usize) * (nx + 1);
            sum += pre[row + x1 + 1] - pre[row + x0];
            cnt += x1 + 1 - x0;
        }
        sum / cnt as f64
    };
    let mut vmax = f64::NEG_INFINITY;
    for (&v, &m) in roi.intensity.iter().zip(&roi.mask) {
        if m {
            vmax = vmax.max(v);
        }
    }
    let (mut local, mut global) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let i = roi.idx(x, y, z);
                if roi.mask[i] {
                    let m = mean_at(x, y, z);
                    global = global.max(m);
                    if roi.intensity[i] == vmax {
                        local = local.max(m);
                    }
                }
            }
        }
    }
    out.put("loc_peak_loc", AGG_3D, local);
    out.put("loc_peak_glob", AGG_3D, global);
}
