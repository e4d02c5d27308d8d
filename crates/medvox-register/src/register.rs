//! Rigid and affine registration on a multi-resolution pyramid.
//!
//! Finds the transform `T` (fixed → moving physical space, see
//! [`crate::transform`]) that optimises a [`MetricKind`] between the fixed image and
//! the moving image resampled through `T`.
//!
//! * **Initialisation** ([`Init`]): the centre of rotation is the fixed image's
//!   geometric centre and the translation moves it onto the moving image's centre
//!   (`geometry`, ITK `CenteredTransformInitializer(GEOMETRY)`), onto its centre of
//!   mass (`moments`, intensities shifted to a zero minimum), or is zero (`none`);
//!   or an initial transform is given.
//! * **Pyramid**: level `l` with shrink factor `s` works at the spacing
//!   `h = s · min(spacing)`: both images are smoothed with a Gaussian of σ = h/2 mm
//!   ([`medvox_filters::gaussian`]; none at `s = 1`), the moving image is resampled
//!   onto a grid of spacing `max(spacing, h)` per axis
//!   ([`medvox_filters::resample`]), and the fixed sample points are a regular grid
//!   with a step of about `h` (coarsened evenly until there are at most
//!   `max_samples`), each point jittered within its grid cell by a hash of its
//!   index (deterministic; as ITK's REGULAR sampling), fixed values trilinear,
//!   optionally restricted to a fixed mask.
//! * **Optimiser**: regular-step gradient ascent (ITK `RegularStepGradientDescent`):
//!   parameters are scaled so that a unit step moves the fixed image's corners by at
//!   most 1 mm (ITK `RegistrationParameterScalesFromPhysicalShift`); each iteration
//!   moves `step` mm along the normalised scaled gradient; the step is multiplied by
//!   `relaxation` whenever the gradient turns back (negative dot product with the
//!   previous one); a level ends when the step is below `min_step · s` mm, after
//!   `iterations` iterations, or when the gradient vanishes. The first step of a
//!   level is `learning_rate · h` mm.
//! * `affine` runs the rigid pyramid first, then the affine one from its result.
//!
//! Every sum is deterministic ([`crate::metric`]), so the transform is identical for
//! any thread count.

#![allow(clippy::needless_range_loop)] // parallel arrays indexed together read better

use std::borrow::Cow;
use std::time::Instant;

use medvox_core::{Executor, Volume};
use medvox_filters::resample::{resample_float, Grid};
use medvox_filters::{gaussian, GaussianParams, Interpolation};

use crate::error::{param, RegisterError, Result};
use crate::metric::{LevelMetric, MetricKind, MovingImage, Samples};
use crate::transform::Transform;

const OP: &str = "register";

/// The transform family to optimise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransformKind {
    /// Translation only.
    Translation,
    /// Euler 3D rotation + translation.
    #[default]
    Rigid,
    /// Rigid, then a full affine (12 parameters).
    Affine,
}

/// How the transform starts (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    /// Geometric centres aligned.
    #[default]
    Geometry,
    /// Centres of mass aligned.
    Moments,
    /// Identity (centre of rotation at the fixed image's centre).
    None,
}

fn default_levels() -> Vec<usize> {
    vec![4, 2, 1]
}
fn default_bins() -> usize {
    50
}
fn default_max_samples() -> usize {
    300_000
}
fn default_iterations() -> usize {
    200
}
fn default_learning_rate() -> f64 {
    1.0
}
fn default_min_step() -> f64 {
    0.001
}
fn default_relaxation() -> f64 {
    0.5
}

/// Parameters of [`register`] (module docs); serde defaults are the CLI's.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RegisterParams {
    /// Transform family.
    #[serde(default)]
    pub transform: TransformKind,
    /// Similarity metric.
    #[serde(default)]
    pub metric: MetricKind,
    /// Shrink factors, coarsest first (default 4, 2, 1).
    #[serde(default = "default_levels")]
    pub levels: Vec<usize>,
    /// Mattes MI histogram bins (default 50).
    #[serde(default = "default_bins")]
    pub bins: usize,
    /// Most fixed sample points per level (default 300 000).
    #[serde(default = "default_max_samples")]
    pub max_samples: usize,
    /// Most iterations per level (default 200).
    #[serde(default = "default_iterations")]
    pub iterations: usize,
    /// First step of a level, in units of the level's spacing (default 1).
    #[serde(default = "default_learning_rate")]
    pub learning_rate: f64,
    /// Smallest step at full resolution, mm (default 0.001).
    #[serde(default = "default_min_step")]
    pub min_step: f64,
    /// Step factor when the gradient turns back (default 0.5).
    #[serde(default = "default_relaxation")]
    pub relaxation: f64,
    /// Initialisation.
    #[serde(default)]
    pub init: Init,
}

impl Default for RegisterParams {
    fn default() -> Self {
        RegisterParams {
            transform: TransformKind::default(),
            metric: MetricKind::default(),
            levels: default_levels(),
            bins: default_bins(),
            max_samples: default_max_samples(),
            iterations: default_iterations(),
            learning_rate: default_learning_rate(),
            min_step: default_min_step(),
            relaxation: default_relaxation(),
            init: Init::default(),
        }
    }
}

impl RegisterParams {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<()> {
        if self.levels.is_empty() || self.levels.iter().any(|&s| s == 0 || s > 64) {
            return Err(param(
                OP,
                "levels",
                format!(
                    "need one or more shrink factors in 1..=64, got {:?}",
                    self.levels
                ),
            ));
        }
        if !(5..=1024).contains(&self.bins) {
            return Err(param(
                OP,
                "bins",
                format!("must be in 5..=1024, got {}", self.bins),
            ));
        }
        if self.max_samples < 100 {
            return Err(param(
                OP,
                "max-samples",
                format!("must be at least 100, got {}", self.max_samples),
            ));
        }
        for (name, v) in [
            ("learning-rate", self.learning_rate),
            ("min-step", self.min_step),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(param(OP, name, format!("must be finite and > 0, got {v}")));
            }
        }
        if !(self.relaxation > 0.0 && self.relaxation < 1.0) {
            return Err(param(
                OP,
                "relaxation",
                format!("must be in (0, 1), got {}", self.relaxation),
            ));
        }
        Ok(())
    }
}

/// What happened at one level of one stage.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LevelReport {
    /// `translation`, `rigid` or `affine`.
    pub stage: &'static str,
    /// Shrink factor.
    pub shrink: usize,
    /// Spacing of the level's moving image (mm).
    pub spacing: [f64; 3],
    /// Fixed sample points.
    pub samples: usize,
    /// Of which mapped inside the moving image at the end.
    pub valid_samples: usize,
    /// Iterations run.
    pub iterations: usize,
    /// Metric value at the start of the level.
    pub metric_initial: f64,
    /// Metric value at the end of the level.
    pub metric_final: f64,
    /// Why the level stopped.
    pub stop: String,
    /// Wall-clock seconds of the level (optimisation only).
    pub seconds: f64,
}

/// The result of [`register`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Registration {
    /// Fixed → moving transform.
    pub transform: Transform,
    /// The starting transform.
    pub initial: Transform,
    /// The metric (`mi`, `ncc`, `mse`).
    pub metric: &'static str,
    /// Per stage and level.
    pub levels: Vec<LevelReport>,
    /// Wall-clock seconds of the pyramid construction.
    pub pyramid_seconds: f64,
    /// Wall-clock seconds in total.
    pub seconds: f64,
}

fn check_finite(name: &'static str, v: &Volume<f32>) -> Result<()> {
    if v.is_empty() {
        return Err(param(OP, name, "the image is empty"));
    }
    if v.as_slice().iter().any(|x| !x.is_finite()) {
        return Err(param(OP, name, "the image has NaN or infinite voxels"));
    }
    Ok(())
}

/// Geometric centre of a volume (physical).
fn centre(v: &Volume<f32>) -> [f64; 3] {
    let n = v.size();
    v.geometry()
        .index_to_physical([0, 1, 2].map(|a| (n[a] as f64 - 1.0) / 2.0))
}

/// Centre of mass with intensities shifted to a zero minimum (the geometric centre if flat).
fn centre_of_mass(v: &Volume<f32>, exec: &Executor) -> [f64; 3] {
    let lo = v.as_slice().iter().fold(f32::INFINITY, |a, &b| a.min(b)) as f64;
    let [nx, ny, _] = v.size();
    let plane = nx * ny;
    let parts: Vec<[f64; 4]> = exec.install(|| {
        use rayon::prelude::*;
        v.as_slice()
            .par_chunks(plane)
            .enumerate()
            .map(|(z, sl)| {
                let mut s = [0.0f64; 4];
                for (i, &x) in sl.iter().enumerate() {
                    let w = x as f64 - lo;
                    s[0] += w * (i % nx) as f64;
                    s[1] += w * (i / nx) as f64;
                    s[2] += w * z as f64;
                    s[3] += w;
                }
                s
            })
            .collect()
    });
    let s = parts
        .iter()
        .fold([0.0; 4], |a, p| std::array::from_fn(|k| a[k] + p[k]));
    if s[3] <= 0.0 {
        return centre(v);
    }
    v.geometry()
        .index_to_physical([s[0] / s[3], s[1] / s[3], s[2] / s[3]])
}

/// The starting transform of `params.init`.
pub fn initial_transform(
    fixed: &Volume<f32>,
    moving: &Volume<f32>,
    init: Init,
    exec: &Executor,
) -> Transform {
    let c = centre(fixed);
    let t = match init {
        Init::Geometry => {
            let m = centre(moving);
            [m[0] - c[0], m[1] - c[1], m[2] - c[2]]
        }
        Init::Moments => {
            let (f, m) = (centre_of_mass(fixed, exec), centre_of_mass(moving, exec));
            return Transform::euler([0.0; 3], [m[0] - f[0], m[1] - f[1], m[2] - f[2]], f);
        }
        Init::None => [0.0; 3],
    };
    Transform::euler([0.0; 3], t, c)
}

/// One pyramid level: fixed samples and the prepared moving image.
struct Level {
    shrink: usize,
    /// The level's working spacing (mm).
    h: f64,
    spacing: [f64; 3],
    samples: Samples,
    moving: MovingImage,
}

/// `v` smoothed with σ = h/2 mm when `shrink > 1`, else `v` itself.
fn smoothed<'a>(
    v: &'a Volume<f32>,
    shrink: usize,
    h: f64,
    exec: &Executor,
) -> Result<Cow<'a, Volume<f32>>> {
    Ok(if shrink > 1 {
        Cow::Owned(gaussian(v, &GaussianParams::mm(h / 2.0), exec)?)
    } else {
        Cow::Borrowed(v)
    })
}

fn build_level(
    fixed: &Volume<f32>,
    moving: &Volume<f32>,
    mask: Option<&Volume<u8>>,
    shrink: usize,
    max_samples: usize,
    exec: &Executor,
) -> Result<Level> {
    let hmin = |v: &Volume<f32>| {
        v.geometry()
            .spacing
            .iter()
            .fold(f64::INFINITY, |a, &b| a.min(b))
    };
    let h = shrink as f64 * hmin(fixed).min(hmin(moving));
    // Moving: smoothed, then resampled to spacing max(spacing, h).
    let ms = smoothed(moving, shrink, h, exec)?;
    let g = moving.geometry();
    let spacing: [f64; 3] = std::array::from_fn(|a| g.spacing[a].max(h));
    let moving_l: Cow<'_, Volume<f32>> = if spacing != g.spacing {
        let grid = Grid::with_spacing(moving.size(), g, spacing, false)?;
        let plan = exec.plan(grid.size, [0; 3]);
        Cow::Owned(resample_float(
            &ms,
            &grid,
            Interpolation::Linear,
            0.0,
            exec,
            &plan,
        )?)
    } else {
        ms
    };
    let mov = MovingImage::new(&moving_l, exec)?;
    drop(moving_l);
    // Fixed: smoothed, sampled on a regular grid of step ≈ h.
    let fs = smoothed(fixed, shrink, h, exec)?;
    let n = fixed.size();
    let fsp = fixed.geometry().spacing;
    let mut stride: [usize; 3] = std::array::from_fn(|a| ((h / fsp[a]).round() as usize).max(1));
    let count = |s: &[usize; 3]| -> usize { (0..3).map(|a| n[a].div_ceil(s[a])).product() };
    let masked_fraction = match mask {
        Some(m) => {
            let on = m.as_slice().iter().filter(|&&v| v != 0).count();
            if on == 0 {
                return Err(param(OP, "fixed-mask", "the mask has no voxel set"));
            }
            on as f64 / m.len() as f64
        }
        None => 1.0,
    };
    let mut k = 1usize;
    let base = stride;
    while (count(&stride) as f64 * masked_fraction) > max_samples as f64 {
        k += 1;
        stride = base.map(|s| s * k);
    }
    let start: [usize; 3] = std::array::from_fn(|a| ((n[a] - 1) % stride[a]) / 2);
    // Sample points: the grid points jittered within their cell (ITK's REGULAR
    // sampling does the same), deterministically (a hash of the voxel index), so they
    // do not all sit on voxel centres: with the exact trilinear gradient, points that
    // all map onto the moving grid's nodes (an integer translation) put a kink into
    // the metric that stalls the optimiser. Fixed values: trilinear at the points.
    let fint = MovingImage::new(&fs, exec)?;
    let geom = fixed.geometry();
    let mut pts = Vec::new();
    let mut vals = Vec::new();
    for z in (start[2]..n[2]).step_by(stride[2]) {
        for y in (start[1]..n[1]).step_by(stride[1]) {
            for x in (start[0]..n[0]).step_by(stride[0]) {
                let i = (z * n[1] + y) * n[0] + x;
                if mask.is_some_and(|m| m.as_slice()[i] == 0) {
                    continue;
                }
                let j = jitter(i as u64);
                let g = [x, y, z];
                let c: [f64; 3] = std::array::from_fn(|a| {
                    (g[a] as f64 + j[a] * stride[a] as f64).clamp(0.0, (n[a] - 1) as f64)
                });
                let Some(v) = fint.value(c) else { continue };
                pts.push(geom.index_to_physical(c));
                vals.push(v);
            }
        }
    }
    if pts.is_empty() {
        return Err(param(OP, "fixed-mask", "no sample point lies in the mask"));
    }
    Ok(Level {
        shrink,
        h,
        spacing,
        samples: Samples { pts, vals },
        moving: mov,
    })
}

/// Three offsets in `[−0.5, 0.5)` from a hash of `i` (splitmix64).
fn jitter(i: u64) -> [f64; 3] {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    std::array::from_fn(|a| ((z >> (a * 21)) & 0x1F_FFFF) as f64 / 2_097_152.0 - 0.5)
}

/// Parameter scales (ITK physical shift): the largest squared displacement of the
/// fixed image's corners for a unit change of each parameter (1 when none moves).
fn scales(t: &Transform, fixed: &Volume<f32>) -> Vec<f64> {
    let n = fixed.size();
    let np = t.n_params();
    let jac = t.jacobian();
    let mut s = vec![0.0f64; np];
    let mut col = [[0.0f64; 12]; 3];
    for k in 0..8 {
        let idx = [0, 1, 2].map(|a| {
            if (k >> a) & 1 == 1 {
                n[a] as f64 - 1.0
            } else {
                0.0
            }
        });
        let x = fixed.geometry().index_to_physical(idx);
        for (r, c) in col.iter_mut().enumerate() {
            let mut e = [0.0; 3];
            e[r] = 1.0;
            jac.dot(x, e, &mut c[..np]);
        }
        for i in 0..np {
            let d2: f64 = (0..3).map(|r| col[r][i] * col[r][i]).sum();
            s[i] = s[i].max(d2);
        }
    }
    s.iter().map(|&v| if v > 1e-12 { v } else { 1.0 }).collect()
}

struct Stage<'a> {
    name: &'static str,
    params: &'a RegisterParams,
}

fn optimise_level(
    stage: &Stage<'_>,
    li: usize,
    level: &Level,
    t: &mut Transform,
    sc: &[f64],
    exec: &Executor,
) -> Result<LevelReport> {
    let p = stage.params;
    let clock = Instant::now();
    let metric = LevelMetric::new(p.metric, p.bins, &level.samples, &level.moving);
    let total = level.samples.pts.len();
    let check = |valid: usize| -> Result<()> {
        if valid < (total / 20).max(16).min(total) {
            return Err(RegisterError::TooFewSamples {
                valid,
                total,
                level: li,
            });
        }
        Ok(())
    };
    let mut step = p.learning_rate * level.h;
    let min_step = p.min_step * level.shrink as f64;
    let root: Vec<f64> = sc.iter().map(|v| v.sqrt()).collect();
    let mut e = metric.evaluate(t, exec);
    check(e.valid)?;
    let initial = e.value;
    let mut prev: Option<Vec<f64>> = None;
    let mut iterations = 0;
    let stop;
    loop {
        // Gradient in scaled coordinates u = p·√s.
        let gu: Vec<f64> = e.grad.iter().zip(&root).map(|(g, r)| g / r).collect();
        let norm = gu.iter().map(|v| v * v).sum::<f64>().sqrt();
        if !(norm.is_finite() && norm > 1e-300) {
            stop = "gradient vanished".to_string();
            break;
        }
        if let Some(pg) = &prev {
            let dot: f64 = pg.iter().zip(&gu).map(|(a, b)| a * b).sum();
            if dot < 0.0 {
                step *= p.relaxation;
            }
        }
        if step < min_step {
            stop = format!("step below {min_step} mm");
            break;
        }
        if iterations >= p.iterations {
            stop = format!("{} iterations", p.iterations);
            break;
        }
        let mut params = t.params();
        for i in 0..params.len() {
            params[i] += step * gu[i] / norm / root[i];
        }
        t.set_params(&params)?;
        iterations += 1;
        e = metric.evaluate(t, exec);
        check(e.valid)?;
        prev = Some(gu);
    }
    Ok(LevelReport {
        stage: stage.name,
        shrink: level.shrink,
        spacing: level.spacing,
        samples: total,
        valid_samples: e.valid,
        iterations,
        metric_initial: initial,
        metric_final: e.value,
        stop,
        seconds: clock.elapsed().as_secs_f64(),
    })
}

/// Registers `moving` to `fixed` (module docs): returns the fixed → moving transform
/// and a report. `initial` overrides `params.init`; `fixed_mask` (same grid as
/// `fixed`, non-zero = use) restricts the sample points.
pub fn register(
    fixed: &Volume<f32>,
    moving: &Volume<f32>,
    params: &RegisterParams,
    initial: Option<Transform>,
    fixed_mask: Option<&Volume<u8>>,
    exec: &Executor,
) -> Result<Registration> {
    let clock = Instant::now();
    params.validate()?;
    check_finite("fixed", fixed)?;
    check_finite("moving", moving)?;
    if let Some(m) = fixed_mask {
        if m.size() != fixed.size() {
            return Err(param(
                OP,
                "fixed-mask",
                format!(
                    "size {:?} differs from the fixed image's {:?}",
                    m.size(),
                    fixed.size()
                ),
            ));
        }
    }
    if let Some(t) = &initial {
        t.validate()?;
    }
    let start = initial.unwrap_or_else(|| initial_transform(fixed, moving, params.init, exec));
    let levels = params
        .levels
        .iter()
        .map(|&s| build_level(fixed, moving, fixed_mask, s, params.max_samples, exec))
        .collect::<Result<Vec<_>>>()?;
    let pyramid_seconds = clock.elapsed().as_secs_f64();
    let as_rigid = |t: Transform| -> Result<Transform> {
        Ok(match t {
            Transform::Translation { offset } => Transform::euler([0.0; 3], offset, centre(fixed)),
            Transform::Euler3d { .. } => t,
            Transform::Affine {
                matrix,
                translation,
                center,
            } => {
                let angles = crate::transform::euler_angles(&matrix, false);
                let r = Transform::euler(angles, translation, center);
                let m = r.matrix();
                let off = (0..3)
                    .flat_map(|i| (0..3).map(move |j| (i, j)))
                    .fold(0.0f64, |a, (i, j)| a.max((m[i][j] - matrix[i][j]).abs()));
                if off > 1e-6 {
                    return Err(param(
                        OP,
                        "initial",
                        "an affine initial transform that is not a rotation needs the affine transform kind",
                    ));
                }
                r
            }
        })
    };
    let stages: Vec<(&'static str, Transform)> = match params.transform {
        TransformKind::Translation => vec![(
            "translation",
            Transform::Translation {
                offset: start.offset(),
            },
        )],
        TransformKind::Rigid => vec![("rigid", as_rigid(start)?)],
        TransformKind::Affine => match start {
            Transform::Affine { .. } => vec![("affine", start)],
            _ => vec![("rigid", as_rigid(start)?), ("affine", start)],
        },
    };
    let mut reports = Vec::new();
    let mut current = stages[0].1;
    for (k, &(name, _)) in stages.iter().enumerate() {
        if k > 0 {
            current = current.to_affine();
        }
        let sc = scales(&current, fixed);
        let stage = Stage { name, params };
        for (li, level) in levels.iter().enumerate() {
            reports.push(optimise_level(&stage, li, level, &mut current, &sc, exec)?);
        }
    }
    Ok(Registration {
        transform: current,
        initial: start,
        metric: params.metric.name(),
        levels: reports,
        pyramid_seconds,
        seconds: clock.elapsed().as_secs_f64(),
    })
}
