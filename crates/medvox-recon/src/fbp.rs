//! Filtered backprojection: FBP (parallel and fan beam) and FDK (cone beam).
//!
//! For projection `k` with angular weight `w_k` ([`ScanGeometry::angular_weights`]):
//!
//! 1. cosine pre-weighting (divergent beams): `p · sdd / sqrt(sdd² + u_c² + v_c²)` with
//!    `(u_c, v_c)` relative to the principal point (`v_c = 0` for fan beams);
//! 2. ramp filtering of each detector row along u ([`crate::filter`], zero-padded FFT),
//!    divided by the pixel spacing so that values are in physical units;
//! 3. voxel-driven backprojection with bilinear detector interpolation (zero outside):
//!    `f(x) += w_k · M₀ · (sid / (sid − q_z))² · q_k(u(x), v(x))` with `M₀ = sdd/sid`
//!    (parallel beam: `f(x) += w_k · q_k(u(x), v(x))`).
//!
//! This is Feldkamp–Davis–Kress for cone beams and the exact fan-beam formula for a flat
//! detector in the central plane (Kak & Slaney ch. 3); for parallel beam it is
//! scikit-image's `iradon` (same filters, padding and linear interpolation).
//! Full scans only: a short divergent scan needs Parker weights, which are not applied.
//!
//! The volume is cut into tiles of 16 × 16 rows along y and z (all of x); every tile
//! sums the projections in order, so results do not depend on the thread count.

use medvox_core::{Geometry, Volume};
use rayon::prelude::*;

use crate::error::{ReconError, Result};
use crate::filter::{Filter, RowFilter};
use crate::geometry::{Beam, Detector, ScanGeometry};

/// Options of [`reconstruct`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FbpOptions {
    /// Ramp filter window.
    pub filter: Filter,
}

/// Filtered projections, each padded with one zero row/column on every side.
pub(crate) struct Filtered {
    pub(crate) data: Vec<f32>,
    pub(crate) pw: usize,
    pub(crate) ph: usize,
}

fn check_stack(proj: &Volume<f32>, geom: &ScanGeometry) -> Result<Detector> {
    geom.validate()?;
    let size = proj.size();
    if size[2] != geom.projections.len() {
        return Err(ReconError::Shape(format!(
            "the projection stack holds {} projections but the geometry describes {}",
            size[2],
            geom.projections.len()
        )));
    }
    let det = Detector::from_stack(size, proj.geometry());
    det.validate()?;
    Ok(det)
}

/// Weighted and ramp-filtered projections (steps 1–2), scaled by each projection's constant.
pub(crate) fn filter_projections(
    proj: &Volume<f32>,
    geom: &ScanGeometry,
    det: &Detector,
    filter: Filter,
) -> Filtered {
    let [nu, nv] = det.size;
    let (pw, ph) = (nu + 2, nv + 2);
    let beam = geom.beam();
    let weights = geom.angular_weights();
    let rf = RowFilter::new(nu, filter, 1.0 / det.spacing[0]);
    let mut data = vec![0.0f32; pw * ph * geom.projections.len()];
    data.par_chunks_mut(pw * ph)
        .zip(proj.as_slice().par_chunks(nu * nv))
        .enumerate()
        .for_each(|(k, (out, inp))| {
            let p = &geom.projections[k];
            let c = match beam {
                Beam::Parallel => weights[k],
                _ => weights[k] * p.sdd / p.sid,
            } as f32;
            // principal point (u, v) where the central ray meets the detector
            let (uc, vc) = (
                p.source_offset_x - p.projection_offset_x,
                p.source_offset_y - p.projection_offset_y,
            );
            let mut rows = vec![0.0f32; 2 * nu];
            let mut filt = vec![0.0f32; 2 * nu];
            let mut buf = rf.scratch();
            let mut iv = 0;
            while iv < nv {
                let two = iv + 1 < nv;
                for r in 0..(1 + two as usize) {
                    let j = iv + r;
                    let v = det.origin[1] + j as f64 * det.spacing[1] - vc;
                    for i in 0..nu {
                        let x = inp[j * nu + i];
                        rows[r * nu + i] = match beam {
                            Beam::Parallel => x * c,
                            Beam::Fan | Beam::Cone => {
                                let u = det.origin[0] + i as f64 * det.spacing[0] - uc;
                                let vv = if beam == Beam::Cone { v } else { 0.0 };
                                let cw = p.sdd / (p.sdd * p.sdd + u * u + vv * vv).sqrt();
                                x * (cw as f32) * c
                            }
                        };
                    }
                }
                let (ra, rb) = rows.split_at(nu);
                let (fa, fb) = filt.split_at_mut(nu);
                if two {
                    rf.filter_pair(&mut buf, ra, Some(rb), fa, Some(fb));
                } else {
                    rf.filter_pair(&mut buf, ra, None, fa, None);
                }
                for r in 0..(1 + two as usize) {
                    let row = &mut out[(iv + r + 1) * pw + 1..(iv + r + 1) * pw + 1 + nu];
                    row.copy_from_slice(&filt[r * nu..(r + 1) * nu]);
                }
                iv += 2;
            }
        });
    Filtered { data, pw, ph }
}

/// Per-projection affine map from voxel index to what the inner loop needs, in detector pixels.
#[derive(Clone, Copy)]
struct Coef {
    /// q = Q · (i, j, k) + q0, rows x, y, z of the gantry frame.
    q: [[f64; 3]; 3],
    q0: [f64; 3],
}

fn coefs(geom: &ScanGeometry, grid: &Geometry) -> Vec<Coef> {
    let m = grid.index_to_physical_matrix();
    (0..geom.projections.len())
        .map(|k| {
            let g = geom.world_to_gantry(k);
            let q = crate::geometry::mul3(&g, &m);
            let o = grid.origin;
            let q0 = [
                g[0][0] * o[0] + g[0][1] * o[1] + g[0][2] * o[2],
                g[1][0] * o[0] + g[1][1] * o[1] + g[1][2] * o[2],
                g[2][0] * o[0] + g[2][1] * o[1] + g[2][2] * o[2],
            ];
            Coef { q, q0 }
        })
        .collect()
}

/// Backprojects filtered projections onto a grid (step 3).
pub(crate) fn backproject(
    f: &Filtered,
    geom: &ScanGeometry,
    det: &Detector,
    size: [usize; 3],
    grid: Geometry,
) -> Result<Volume<f32>> {
    let [nx, ny, nz] = size;
    let mut out = Volume::<f32>::zeros(size, grid)?;
    if out.is_empty() {
        return Ok(out);
    }
    let coefs = coefs(geom, &grid);
    let beam = geom.beam();
    const T: usize = 16;
    let (tj, tk) = (ny.div_ceil(T), nz.div_ceil(T));
    let tiles: Vec<(usize, usize)> = (0..tk)
        .flat_map(|a| (0..tj).map(move |b| (b * T, a * T)))
        .collect();
    let bufs: Vec<Vec<f32>> = tiles
        .par_iter()
        .map(|&(j0, k0)| {
            let (j1, k1) = ((j0 + T).min(ny), (k0 + T).min(nz));
            let mut acc = vec![0.0f32; (j1 - j0) * (k1 - k0) * nx];
            for (p, c) in coefs.iter().enumerate() {
                let plane = &f.data[p * f.pw * f.ph..(p + 1) * f.pw * f.ph];
                let pr = &geom.projections[p];
                let mut row = 0;
                for k in k0..k1 {
                    for j in j0..j1 {
                        let dst = &mut acc[row * nx..(row + 1) * nx];
                        row += 1;
                        let start =
                            |r: usize| c.q0[r] + c.q[r][1] * j as f64 + c.q[r][2] * k as f64;
                        let q = [start(0), start(1), start(2)];
                        let dq = [c.q[0][0], c.q[1][0], c.q[2][0]];
                        backproject_row(dst, plane, f.pw, f.ph, det, pr, beam, q, dq);
                    }
                }
            }
            acc
        })
        .collect();
    let data = out.as_slice_mut();
    for (&(j0, k0), buf) in tiles.iter().zip(&bufs) {
        let (j1, k1) = ((j0 + T).min(ny), (k0 + T).min(nz));
        let mut row = 0;
        for k in k0..k1 {
            for j in j0..j1 {
                let o = (k * ny + j) * nx;
                data[o..o + nx].copy_from_slice(&buf[row * nx..(row + 1) * nx]);
                row += 1;
            }
        }
    }
    Ok(out)
}

/// Adds one projection to one row of voxels (x = i, gantry-frame q affine in i).
#[allow(clippy::too_many_arguments)]
#[inline]
fn backproject_row(
    dst: &mut [f32],
    plane: &[f32],
    pw: usize,
    ph: usize,
    det: &Detector,
    p: &crate::geometry::Projection,
    beam: Beam,
    q: [f64; 3],
    dq: [f64; 3],
) {
    let (du, dv) = (det.spacing[0], det.spacing[1]);
    // padded detector index = (u - origin)/spacing + 1
    let ou = 1.0 - det.origin[0] / du;
    let ov = 1.0 - det.origin[1] / dv;
    let (xmax, ymax) = ((pw - 1) as f32, (ph - 1) as f32);
    let sample = |x: f32, y: f32| -> f32 {
        if x >= 0.0 && x < xmax && y >= 0.0 && y < ymax {
            let (ix, iy) = (x as usize, y as usize);
            let (fx, fy) = (x - ix as f32, y - iy as f32);
            let b = iy * pw + ix;
            let (a0, a1, b0, b1) = (plane[b], plane[b + 1], plane[b + pw], plane[b + pw + 1]);
            let top = a0 + fx * (a1 - a0);
            let bot = b0 + fx * (b1 - b0);
            top + fy * (bot - top)
        } else {
            0.0
        }
    };
    match beam {
        Beam::Parallel => {
            // u = q_x - px, v = q_y - py
            let x0 = ((q[0] - p.projection_offset_x) / du + ou) as f32;
            let y0 = ((q[1] - p.projection_offset_y) / dv + ov) as f32;
            let (dx, dy) = ((dq[0] / du) as f32, (dq[1] / dv) as f32);
            for (i, d) in dst.iter_mut().enumerate() {
                let t = i as f32;
                *d += sample(x0 + t * dx, y0 + t * dy);
            }
        }
        Beam::Cone | Beam::Fan => {
            let (sx, sy) = (p.source_offset_x, p.source_offset_y);
            // u index = cu + nu/den, den = sid - q_z
            let cu = ((sx - p.projection_offset_x) / du + ou) as f32;
            let nu0 = (p.sdd * (q[0] - sx) / du) as f32;
            let dnu = (p.sdd * dq[0] / du) as f32;
            let den0 = (p.sid - q[2]) as f32;
            let dden = (-dq[2]) as f32;
            let sid = p.sid as f32;
            if beam == Beam::Cone {
                let cv = ((sy - p.projection_offset_y) / dv + ov) as f32;
                let nv0 = (p.sdd * (q[1] - sy) / dv) as f32;
                let dnv = (p.sdd * dq[1] / dv) as f32;
                for (i, d) in dst.iter_mut().enumerate() {
                    let t = i as f32;
                    let r = 1.0 / (den0 + t * dden);
                    let w = sid * r;
                    *d += w * w * sample(cu + (nu0 + t * dnu) * r, cv + (nv0 + t * dnv) * r);
                }
            } else {
                let y0 = ((q[1] - p.projection_offset_y) / dv + ov) as f32;
                let dy = (dq[1] / dv) as f32;
                for (i, d) in dst.iter_mut().enumerate() {
                    let t = i as f32;
                    let r = 1.0 / (den0 + t * dden);
                    let w = sid * r;
                    *d += w * w * sample(cu + (nu0 + t * dnu) * r, y0 + t * dy);
                }
            }
        }
    }
}

/// Reconstructs a volume of `size` voxels on `grid` from a projection stack (FBP / FDK).
///
/// The stack's size must be `[nu, nv, geometry.projections.len()]`; its x/y origin and
/// spacing give the detector.
pub fn reconstruct(
    proj: &Volume<f32>,
    geom: &ScanGeometry,
    size: [usize; 3],
    grid: Geometry,
    opts: FbpOptions,
) -> Result<Volume<f32>> {
    let det = check_stack(proj, geom)?;
    grid.validate()?;
    if proj.as_slice().iter().any(|v| !v.is_finite()) {
        return Err(ReconError::Shape(
            "projections hold NaN or infinite values".into(),
        ));
    }
    let f = filter_projections(proj, geom, &det, opts.filter);
    backproject(&f, geom, &det, size, grid)
}
