//! Anisotropic diffusion (edge-preserving smoothing): ITK's gradient (Perona–Malik)
//! and curvature (modified curvature diffusion, Whitaker) equations, one engine.
//!
//! Each of `iterations` explicit steps replaces `f` by `f + Δt·u(f)` where `u` is
//! ITK's update at every voxel:
//!
//! * **gradient** (`GradientNDAnisotropicDiffusionFunction`): `u = Σ_i
//!   [∂⁺_i f · C(|∇f|²₊ᵢ) − ∂⁻_i f · C(|∇f|²₋ᵢ)]`, with forward/backward differences
//!   along i, the other gradient components averaged at the half-voxel face, and
//!   conductance `C(g) = exp(−g / (2K²·a))`;
//! * **curvature** (`CurvatureNDAnisotropicDiffusionFunction`): the same fluxes
//!   normalised by the face gradient magnitude, times `|∇f|` by an upwind scheme
//!   (`u = |∇f|·∇·(C ∇f/|∇f|)`).
//!
//! Here `K` is the conductance parameter and `a` the mean over all voxels of the
//! squared central-difference gradient magnitude, recomputed every
//! `conductance_update_interval` iterations (ITK's conductance scaling). Differences
//! are divided by the voxel spacing (ITK 5's `UseImageSpacing`, the default), and ITK's
//! float arithmetic is followed step by step (differences in the pixel type, sums in
//! f64, `K` and each update rounded to the pixel type), so results match SimpleITK
//! `GradientAnisotropicDiffusion(img, timeStep=0.125, conductanceParameter=3,
//! conductanceScalingUpdateInterval=1, numberOfIterations=5)` and
//! `CurvatureAnisotropicDiffusion(img, 0.0625, 3, 1, 5)` (the defaults here) to float
//! rounding (the tests allow 1e-5 of the image range).
//!
//! * **Stability**: ITK warns when `Δt > min spacing / 2^(N+1)` (N = 3: 1/16 of the
//!   smallest spacing, so SimpleITK's gradient default 0.125 warns on a 1 mm grid);
//!   [`DiffusionParams::stability_warning`] returns the same message and the CLI
//!   prints it. The computation runs regardless, as ITK's does.
//! * **Boundary**: edge replicate (ITK ZeroFluxNeumann).
//! * **Types**: any pixel type in, cast to f32 (f64 for f64) first as ITK's
//!   `CopyInputToOutput`; f32 out (f64 for f64 input).
//! * **Blocks**: each iteration is a block-parallel stencil (halo 1) and the mean
//!   gradient a per-plane reduction merged in plane order, so results are identical
//!   for every plan and thread count.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::diffusion::{diffusion, DiffusionKind, DiffusionParams};
//! let v = Volume::from_vec([4, 1, 1], vec![0.0f32, 0.0, 8.0, 8.0], Geometry::default()).unwrap();
//! let p = DiffusionParams::default_for(DiffusionKind::Gradient);
//! let d = diffusion(&v, DiffusionKind::Gradient, &p, &Executor::default()).unwrap();
//! assert!(d.as_slice()[1] > 0.0 && d.as_slice()[1] < 4.0);
//! ```

use medvox_core::{AnyVolume, BlockInput, BlockPlan, Executor, Geometry, Pixel, Volume};
use ndarray::{s, ArrayViewMut3};
use rayon::prelude::*;

use crate::bilateral::replicated_block;
use crate::error::{FilterError, Result};
use crate::pixel::{FilterPixel, Real};
use crate::plan::check_plan;

/// Halo of one iteration.
pub const HALO: [usize; 3] = [1, 1, 1];

/// Largest number of iterations accepted.
pub const MAX_ITERATIONS: usize = 1 << 20;

/// ITK's `m_MIN_NORM` added under the square root of the curvature function.
const MIN_NORM: f64 = 1.0e-10;

/// Which diffusion equation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffusionKind {
    /// Perona–Malik gradient diffusion (`GradientAnisotropicDiffusion`).
    Gradient,
    /// Modified curvature diffusion (`CurvatureAnisotropicDiffusion`).
    Curvature,
}

impl DiffusionKind {
    /// `gradient-diffusion` or `curvature-diffusion`.
    pub fn name(&self) -> &'static str {
        match self {
            DiffusionKind::Gradient => "gradient-diffusion",
            DiffusionKind::Curvature => "curvature-diffusion",
        }
    }

    /// SimpleITK's default time step: 0.125 (gradient), 0.0625 (curvature).
    pub fn default_time_step(&self) -> f64 {
        match self {
            DiffusionKind::Gradient => 0.125,
            DiffusionKind::Curvature => 0.0625,
        }
    }
}

/// Parameters of [`diffusion`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DiffusionParams {
    /// Time step Δt; `None`: the kind's SimpleITK default.
    #[serde(default)]
    pub time_step: Option<f64>,
    /// Conductance parameter K (3 by default; larger smooths more across edges).
    #[serde(default = "default_conductance")]
    pub conductance: f64,
    /// Number of iterations (5 by default).
    #[serde(default = "default_iterations")]
    pub iterations: usize,
    /// Iterations between recomputations of the mean squared gradient (1 by default).
    #[serde(default = "one")]
    pub conductance_update_interval: usize,
    /// Differences per mm (default, as ITK 5); `false`: per voxel.
    #[serde(default = "yes")]
    pub use_spacing: bool,
}

fn default_conductance() -> f64 {
    3.0
}
fn default_iterations() -> usize {
    5
}
fn one() -> usize {
    1
}
fn yes() -> bool {
    true
}

impl Default for DiffusionParams {
    fn default() -> Self {
        DiffusionParams {
            time_step: None,
            conductance: default_conductance(),
            iterations: default_iterations(),
            conductance_update_interval: 1,
            use_spacing: true,
        }
    }
}

impl DiffusionParams {
    /// SimpleITK's defaults for a kind (explicit time step).
    pub fn default_for(kind: DiffusionKind) -> Self {
        DiffusionParams {
            time_step: Some(kind.default_time_step()),
            ..Self::default()
        }
    }

    /// The time step for a kind.
    pub fn time_step(&self, kind: DiffusionKind) -> f64 {
        self.time_step.unwrap_or(kind.default_time_step())
    }

    /// Checks the parameters.
    pub fn check(&self, kind: DiffusionKind) -> Result<()> {
        let bad = |name, reason| {
            Err(FilterError::Parameter {
                op: kind.name(),
                name,
                reason,
            })
        };
        let dt = self.time_step(kind);
        if !(dt.is_finite() && dt > 0.0) {
            return bad("time-step", format!("{dt} must be a finite number > 0"));
        }
        let c = self.conductance;
        if !(c.is_finite() && c > 0.0) {
            return bad("conductance", format!("{c} must be a finite number > 0"));
        }
        if self.iterations > MAX_ITERATIONS {
            return bad(
                "iterations",
                format!("{} is more than {MAX_ITERATIONS}", self.iterations),
            );
        }
        if self.conductance_update_interval == 0 {
            return bad("conductance-update-interval", "must be at least 1".into());
        }
        Ok(())
    }

    /// ITK's stability limit of the time step: smallest spacing (1 without spacing) / 16.
    pub fn stability_limit(&self, g: &Geometry) -> f64 {
        let min = if self.use_spacing {
            g.spacing.iter().copied().fold(f64::INFINITY, f64::min)
        } else {
            1.0
        };
        min / 16.0
    }

    /// ITK's "unstable time step" warning, when it applies to a grid (`None` also for
    /// parameters that [`DiffusionParams::check`] rejects).
    pub fn stability_warning(&self, kind: DiffusionKind, g: &Geometry) -> Option<String> {
        self.check(kind).ok()?;
        let dt = self.time_step(kind);
        let limit = self.stability_limit(g);
        (dt > limit).then(|| {
            format!(
                "{}: time step {dt} may be unstable; a stable time step for this grid is at most {limit}",
                kind.name()
            )
        })
    }
}

/// Anisotropic diffusion on an executor's default plan (see the module docs).
pub fn diffusion<T: FilterPixel>(
    vol: &Volume<T>,
    kind: DiffusionKind,
    params: &DiffusionParams,
    exec: &Executor,
) -> Result<Volume<T::Float>> {
    diffusion_with_plan(vol, kind, params, exec, &exec.plan(vol.size(), HALO))
}

/// [`diffusion`] on a given block plan (halo at least 1 on every axis).
pub fn diffusion_with_plan<T: FilterPixel>(
    vol: &Volume<T>,
    kind: DiffusionKind,
    params: &DiffusionParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T::Float>> {
    params.check(kind)?;
    check_plan(kind.name(), vol, plan, HALO)?;
    let mut cur: Volume<T::Float> = exec.install(|| vol.map(T::to_real));
    if vol.is_empty() {
        return Ok(cur);
    }
    let scale = if params.use_spacing {
        vol.geometry().spacing.map(|s| 1.0 / s)
    } else {
        [1.0; 3]
    };
    let dt = params.time_step(kind);
    let mut avg = 0.0;
    for it in 0..params.iterations {
        if it % params.conductance_update_interval == 0 {
            avg = mean_gradient_squared(&cur, scale, exec);
        }
        let k = <T::Float as Pixel>::from_f64(avg * params.conductance * params.conductance * -2.0);
        cur = exec.map_blocks(&cur, plan, |bi, out| {
            step_block(bi, out, kind, scale, k, dt)
        });
    }
    Ok(cur)
}

/// [`diffusion`] on a volume of any pixel type.
pub fn diffusion_any(
    vol: &AnyVolume,
    kind: DiffusionKind,
    params: &DiffusionParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(diffusion(v, kind, params, exec)?)))
}

/// Mean over all voxels of `Σ_a ((f[+a] − f[−a]) / −2 · scale_a)²` (edge replicate),
/// ITK's `CalculateAverageGradientMagnitudeSquared`; summed per z-plane in f64 and
/// merged in plane order.
fn mean_gradient_squared<F: Real>(v: &Volume<F>, scale: [f64; 3], exec: &Executor) -> f64 {
    let [nx, ny, nz] = v.size();
    let d = v.as_slice();
    let plane = nx * ny;
    let sums: Vec<f64> = exec.install(|| {
        (0..nz)
            .into_par_iter()
            .map(|z| {
                let zm = z.saturating_sub(1);
                let zp = (z + 1).min(nz - 1);
                let mut acc = 0.0f64;
                for y in 0..ny {
                    let ym = y.saturating_sub(1);
                    let yp = (y + 1).min(ny - 1);
                    for x in 0..nx {
                        let xm = x.saturating_sub(1);
                        let xp = (x + 1).min(nx - 1);
                        let at = |x: usize, y: usize, z: usize| d[z * plane + y * nx + x];
                        let pairs = [
                            (at(xp, y, z), at(xm, y, z)),
                            (at(x, yp, z), at(x, ym, z)),
                            (at(x, y, zp), at(x, y, zm)),
                        ];
                        for (a, (p, m)) in pairs.into_iter().enumerate() {
                            let val = (p - m).to_f64() / -2.0 * scale[a];
                            acc += val * val;
                        }
                    }
                }
                acc
            })
            .collect()
    });
    sums.into_iter().sum::<f64>() / v.len() as f64
}

/// `std::min`/`std::max` as C++ defines them (first argument unless the second wins).
#[inline(always)]
fn cmin(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}
#[inline(always)]
fn cmax(a: f64, b: f64) -> f64 {
    if a < b {
        b
    } else {
        a
    }
}

fn step_block<F: Real>(
    bi: &BlockInput<'_, F>,
    mut out: ArrayViewMut3<'_, F>,
    kind: DiffusionKind,
    scale: [f64; 3],
    k: F,
    dt: f64,
) {
    let (iz, iy, ix) = out.dim();
    let (buf, e) = replicated_block(bi, [ix, iy, iz], HALO, |v| v);
    let st = [1isize, e[0] as isize, (e[0] * e[1]) as isize];
    let half = F::from_f64(0.5);
    let kf = k.to_f64();
    for z in 0..iz {
        for y in 0..iy {
            let dst = out
                .slice_mut(s![z, y, ..])
                .into_slice()
                .expect("rows of standard-layout arrays are contiguous");
            for (x, d) in dst.iter_mut().enumerate() {
                let ci = (((z + 1) * e[1] + y + 1) * e[0] + x + 1) as isize;
                let p = |o: isize| buf[(ci + o) as usize];
                let c = p(0);
                let u = match kind {
                    DiffusionKind::Gradient => gradient_update(&p, st, scale, half, kf),
                    DiffusionKind::Curvature => curvature_update(&p, st, scale, kf),
                };
                *d = c + F::from_f64(u.to_f64() * dt);
            }
        }
    }
}

/// ITK's `GradientNDAnisotropicDiffusionFunction::ComputeUpdate`.
#[inline(always)]
fn gradient_update<F: Real>(
    p: &impl Fn(isize) -> F,
    st: [isize; 3],
    scale: [f64; 3],
    half: F,
    k: f64,
) -> F {
    let c = p(0);
    let cd = |at: isize, j: usize| ((p(at + st[j]) - p(at - st[j])) * half).to_f64() * scale[j];
    let dx = [cd(0, 0), cd(0, 1), cd(0, 2)];
    let mut delta = 0.0f64;
    for i in 0..3 {
        let fwd = (p(st[i]) - c).to_f64() * scale[i];
        let bwd = (c - p(-st[i])).to_f64() * scale[i];
        let (mut acc, mut acc_d) = (0.0f64, 0.0f64);
        for j in (0..3).filter(|&j| j != i) {
            let aug = cd(st[i], j);
            let dim = cd(-st[i], j);
            acc += 0.25 * ((dx[j] + aug) * (dx[j] + aug));
            acc_d += 0.25 * ((dx[j] + dim) * (dx[j] + dim));
        }
        let (cx, cxd) = if k != 0.0 {
            (
                ((fwd * fwd + acc) / k).exp(),
                ((bwd * bwd + acc_d) / k).exp(),
            )
        } else {
            (0.0, 0.0)
        };
        delta += fwd * cx - bwd * cxd;
    }
    F::from_f64(delta)
}

/// ITK's `CurvatureNDAnisotropicDiffusionFunction::ComputeUpdate`.
#[inline(always)]
fn curvature_update<F: Real>(
    p: &impl Fn(isize) -> F,
    st: [isize; 3],
    scale: [f64; 3],
    k: f64,
) -> F {
    let c = p(0);
    // ITK's derivative operator inner product: f64 sum of [0.5, 0, −0.5]·slice, rounded to F.
    let deriv = |at: isize, j: usize| {
        let mut sum = 0.0f64;
        sum += 0.5 * p(at - st[j]).to_f64();
        sum += 0.0 * p(at).to_f64();
        sum += -0.5 * p(at + st[j]).to_f64();
        F::from_f64(sum).to_f64() * scale[j]
    };
    let mut fwd = [0.0f64; 3];
    let mut bwd = [0.0f64; 3];
    let mut dx = [0.0f64; 3];
    for i in 0..3 {
        fwd[i] = (p(st[i]) - c).to_f64() * scale[i];
        bwd[i] = (c - p(-st[i])).to_f64() * scale[i];
        dx[i] = deriv(0, i);
    }
    let mut speed = 0.0f64;
    for i in 0..3 {
        let mut g = fwd[i] * fwd[i];
        let mut g_d = bwd[i] * bwd[i];
        for j in (0..3).filter(|&j| j != i) {
            let aug = deriv(st[i], j);
            let dim = deriv(-st[i], j);
            g += 0.25 * (dx[j] + aug) * (dx[j] + aug);
            g_d += 0.25 * (dx[j] + dim) * (dx[j] + dim);
        }
        let mag = (MIN_NORM + g).sqrt();
        let mag_d = (MIN_NORM + g_d).sqrt();
        let (cx, cxd) = if k != 0.0 {
            ((g / k).exp(), (g_d / k).exp())
        } else {
            (0.0, 0.0)
        };
        speed += (fwd[i] / mag) * cx - (bwd[i] / mag_d) * cxd;
    }
    let mut prop = 0.0f64;
    for i in 0..3 {
        let sq = |v: f64| v * v;
        prop += if speed > 0.0 {
            sq(cmin(bwd[i], 0.0)) + sq(cmax(fwd[i], 0.0))
        } else {
            sq(cmax(bwd[i], 0.0)) + sq(cmin(fwd[i], 0.0))
        };
    }
    F::from_f64(prop.sqrt() * speed)
}
