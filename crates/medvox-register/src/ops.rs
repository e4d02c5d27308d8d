//! Registry ops (`medvox-ops`): `register` and `warp`, thin layers over
//! [`register`](crate::register::register) and [`warp_any`](crate::warp::warp_any).
//!
//! | op | main input | aux inputs | output | report |
//! | --- | --- | --- | --- | --- |
//! | `register` | FIXED (the output grid) | `moving` (required), `mask` (fixed mask, optional) | moving resampled onto the fixed grid | transform (ITK name, parameters, fixed parameters, centre), metric per level, seconds |
//! | `warp` | MOVING | `reference` (optional; default the moving grid) | moving resampled through the `.tfm` transform(s) | the transform applied |
//!
//! Transforms are given as `.tfm` paths (parameters `transform`, `initial_transform`),
//! so a pipeline can `register` in one step and `warp` label maps with the same file
//! in another: `register` writes its result where `out_transform` says.

use std::collections::BTreeMap;

use medvox_core::{Executor, PixelType};
use medvox_filters::resample::Grid;
use medvox_filters::Interpolation;
use medvox_ops::{
    AuxInfo, Bound, Data, Inputs, Kind, Op, OpsError, Output, OutputType, ParamKind, ParamType,
    Result, VolumeInfo,
};

use crate::error::RegisterError;
use crate::metric::MetricKind;
use crate::register::{
    register as register_images, Init, LevelReport, RegisterParams, TransformKind,
};
use crate::tfm::{read_tfm, write_tfm};
use crate::transform::Transform;
use crate::warp::warp_any;

impl From<RegisterError> for OpsError {
    fn from(e: RegisterError) -> Self {
        OpsError::Failed(Box::new(e))
    }
}

impl ParamType for TransformKind {
    fn kind() -> ParamKind {
        ParamKind::Choice(vec!["rigid", "affine", "translation"])
    }
}

impl ParamType for MetricKind {
    fn kind() -> ParamKind {
        ParamKind::Choice(vec!["mi", "ncc", "mse"])
    }
}

impl ParamType for Init {
    fn kind() -> ParamKind {
        ParamKind::Choice(vec!["geometry", "moments", "none"])
    }
}

medvox_ops::choice! {
    /// Interpolation of the warped image.
    pub enum InterpArg {
        /// Trilinear (f32 out).
        Linear = "linear",
        /// Nearest neighbour (keeps the pixel type).
        Nearest = "nearest",
        /// Cubic B-spline (f32 out).
        Bspline = "bspline",
        /// Label maps: per-label linear weights, no mixed labels (keeps the type).
        Label = "label",
    }
}

impl InterpArg {
    fn kind(self) -> Interpolation {
        match self {
            InterpArg::Linear => Interpolation::Linear,
            InterpArg::Nearest => Interpolation::Nearest,
            InterpArg::Bspline => Interpolation::BSpline,
            InterpArg::Label => Interpolation::Label,
        }
    }
}

fn out_type(i: InterpArg, input: PixelType) -> PixelType {
    if i.kind().keeps_type() {
        input
    } else if input == PixelType::F64 {
        PixelType::F64
    } else {
        PixelType::F32
    }
}

medvox_ops::params! {
    /// Parameters of the `register` op (defaults as `medvox register`).
    pub struct RegisterOpParams {
        /// Transform family: rigid (Euler 3D), affine (rigid, then 12-parameter affine) or translation.
        transform: TransformKind = TransformKind::Rigid,
        /// Similarity metric: mi (Mattes mutual information), ncc, mse.
        metric: MetricKind = MetricKind::Mi,
        /// Pyramid shrink factors, coarsest first.
        levels: Vec<usize> = vec![4, 2, 1],
        /// Initialisation: geometric centres, centres of mass, or identity.
        init: Init = Init::Geometry,
        /// Start from this transform (.tfm path) instead of `init`.
        initial_transform: Option<String> = None,
        /// Mattes MI histogram bins.
        bins: usize = 50,
        /// Most fixed sample points per level.
        max_samples: usize = 300_000,
        /// Most iterations per level.
        iterations: usize = 200,
        /// First step of a level, in units of the level's spacing.
        learning_rate: f64 = 1.0,
        /// Smallest step at full resolution (mm).
        min_step: f64 = 0.001,
        /// Write the fixed → moving transform (ITK .tfm) here.
        out_transform: Option<String> = None,
        /// Interpolation of the warped moving image (the op's output).
        interpolation: InterpArg = InterpArg::Linear,
    }
}

impl RegisterOpParams {
    /// The library parameters.
    pub fn to_params(&self) -> RegisterParams {
        RegisterParams {
            transform: self.transform,
            metric: self.metric,
            levels: self.levels.clone(),
            bins: self.bins,
            max_samples: self.max_samples,
            iterations: self.iterations,
            learning_rate: self.learning_rate,
            min_step: self.min_step,
            init: self.init,
            ..Default::default()
        }
    }
}

/// What `register` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RegisterReport {
    /// The fixed → moving transform.
    pub transform: Transform,
    /// ITK class name (`Euler3DTransform_double_3_3`…).
    pub itk_name: &'static str,
    /// Parameters in ITK's order.
    pub parameters: Vec<f64>,
    /// ITK fixed parameters (centre…).
    pub fixed_parameters: Vec<f64>,
    /// The starting transform.
    pub initial: Transform,
    /// `mi`, `ncc`, `mse`.
    pub metric: &'static str,
    /// Metric at the start of the first level.
    pub metric_initial: f64,
    /// Metric at the end of the last level.
    pub metric_final: f64,
    /// Per stage and level.
    pub levels: Vec<LevelReport>,
    /// Seconds in total (registration only).
    pub seconds: f64,
}

/// `register`: rigid/affine registration of aux `moving` to the main input.
pub struct RegisterOp;

impl Op for RegisterOp {
    type Params = RegisterOpParams;
    type Report = RegisterReport;
    fn name(&self) -> &'static str {
        "register"
    }
    fn group(&self) -> &'static str {
        "register"
    }
    fn doc(&self) -> &'static str {
        "Rigid/affine registration (Mattes MI, NCC or MSE; multi-resolution regular-step gradient descent, ITK conventions) of the auxiliary input `moving` to the main input (fixed); output: moving resampled onto the fixed grid (f32 for linear); report: the fixed → moving ITK transform (Euler3DTransform/AffineTransform parameters, centre) and the metric per level. As SimpleITK ImageRegistrationMethod / elastix."
    }
    fn aux(&self) -> Vec<AuxInfo> {
        vec![
            AuxInfo {
                name: "moving",
                required: true,
                doc: "the moving image (any grid), registered to the main input",
            },
            AuxInfo {
                name: "mask",
                required: false,
                doc: "fixed mask on the main input's grid: only non-zero voxels are sampled",
            },
        ]
    }
    fn bind(&self, p: &RegisterOpParams, input: &VolumeInfo) -> Result<Bound> {
        p.to_params()
            .validate()
            .map_err(|e| OpsError::invalid("register", e.to_string()))?;
        Ok(Bound::same_grid(
            Kind::WholeVolume,
            OutputType::Volume(out_type(p.interpolation, PixelType::F32)),
            input,
        ))
    }
    fn run(
        &self,
        p: &RegisterOpParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<RegisterReport>> {
        let moving_any = inputs.require("register", "moving")?;
        let initial = match &p.initial_transform {
            Some(path) => Some(read_tfm(std::path::Path::new(path))?),
            None => None,
        };
        let mask = match inputs.aux("mask") {
            Some(m) => {
                if m.size() != inputs.main.size() {
                    return Err(OpsError::Input {
                        op: "register".into(),
                        reason: format!(
                            "mask size {:?} differs from the fixed image's {:?}",
                            m.size(),
                            inputs.main.size()
                        ),
                    });
                }
                Some(m.to_volume::<f64>().map(|v| u8::from(v != 0.0)))
            }
            None => None,
        };
        let fixed = exec.install(|| inputs.main.to_volume::<f32>());
        let moving = exec.install(|| moving_any.to_volume::<f32>());
        let r = register_images(
            &fixed,
            &moving,
            &p.to_params(),
            initial,
            mask.as_ref(),
            exec,
        )?;
        if let Some(path) = &p.out_transform {
            write_tfm(std::path::Path::new(path), &r.transform)?;
        }
        let warped = warp_any(
            moving_any,
            &Grid::of(&fixed),
            &r.transform,
            p.interpolation.kind(),
            0.0,
            exec,
        )?;
        let report = RegisterReport {
            transform: r.transform,
            itk_name: r.transform.itk_name(),
            parameters: r.transform.params(),
            fixed_parameters: r.transform.fixed_params(),
            initial: r.initial,
            metric: r.metric,
            metric_initial: r.levels.first().map_or(f64::NAN, |l| l.metric_initial),
            metric_final: r.levels.last().map_or(f64::NAN, |l| l.metric_final),
            levels: r.levels,
            seconds: r.seconds,
        };
        Ok(Output {
            data: Data::Volume(warped),
            report,
        })
    }
}

medvox_ops::params! {
    /// Parameters of the `warp` op.
    pub struct WarpOpParams {
        /// Fixed → moving transform files (ITK .tfm); several are composed as ITK does (the last is applied first).
        transform: Vec<String> = Vec::new(),
        /// Use the inverse of the (composed) transform.
        invert: bool = false,
        /// Interpolation: linear/bspline give f32 (f64 for f64 input); nearest/label keep the pixel type.
        interpolation: InterpArg = InterpArg::Linear,
        /// Value of output voxels that map outside the moving image.
        default_value: f64 = 0.0,
    }
}

impl WarpOpParams {
    /// The composed (and possibly inverted) transform of the files.
    pub fn load(&self) -> Result<Transform> {
        if self.transform.is_empty() {
            return Err(OpsError::invalid("warp", "--transform is required"));
        }
        if !self.default_value.is_finite() {
            return Err(OpsError::invalid("warp", "--default-value must be finite"));
        }
        let ts = self
            .transform
            .iter()
            .map(|p| read_tfm(std::path::Path::new(p)))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut t = ts[1..].iter().fold(ts[0], |acc, next| acc.compose(next));
        if self.invert {
            t = t.inverse()?;
        }
        Ok(t)
    }
}

/// What `warp` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WarpReport {
    /// The transform applied (composed, inverted if asked).
    pub transform: Transform,
}

/// `warp`: resample the main input through `.tfm` transforms onto a reference grid.
pub struct WarpOp;

impl Op for WarpOp {
    type Params = WarpOpParams;
    type Report = WarpReport;
    fn name(&self) -> &'static str {
        "warp"
    }
    fn group(&self) -> &'static str {
        "register"
    }
    fn doc(&self) -> &'static str {
        "Resample the main input (moving) through fixed → moving ITK .tfm transform(s) onto the grid of the auxiliary input `reference` (default: its own grid), as SimpleITK Resample(moving, reference, transform); linear/bspline give f32, nearest/label keep the type."
    }
    fn aux(&self) -> Vec<AuxInfo> {
        vec![AuxInfo {
            name: "reference",
            required: false,
            doc: "image whose size, spacing, origin and direction are the output grid",
        }]
    }
    fn bind(&self, p: &WarpOpParams, input: &VolumeInfo) -> Result<Bound> {
        if p.transform.is_empty() {
            return Err(OpsError::invalid("warp", "--transform is required"));
        }
        // The reference's grid is known at run time only (bind sees the main input).
        Ok(Bound::same_grid(
            Kind::WholeVolume,
            OutputType::Volume(out_type(p.interpolation, input.pixel_type)),
            input,
        ))
    }
    fn run(
        &self,
        p: &WarpOpParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<WarpReport>> {
        let t = p.load()?;
        let r = inputs.aux("reference").unwrap_or(inputs.main);
        let grid = Grid {
            size: r.size(),
            geometry: *r.geometry(),
        };
        let out = warp_any(
            inputs.main,
            &grid,
            &t,
            p.interpolation.kind(),
            p.default_value,
            exec,
        )?;
        Ok(Output {
            data: Data::Volume(out),
            report: WarpReport { transform: t },
        })
    }
}

/// Adds `register` and `warp` to the registry: this crate's registration line
/// (`medvox_register::ops::register`, also re-exported as
/// `medvox_register::register_ops`, since the crate root's `register` is the
/// registration function itself).
pub fn register(r: &mut medvox_ops::Registry) {
    r.add(RegisterOp);
    r.add(WarpOp);
}

/// [`register`] under a name that does not clash with [`crate::register()`].
pub fn register_ops(r: &mut medvox_ops::Registry) {
    register(r);
}

/// Aux inputs by name (a small helper for callers and tests).
pub fn aux<'a>(
    items: impl IntoIterator<Item = (&'a str, medvox_core::AnyVolume)>,
) -> BTreeMap<String, medvox_core::AnyVolume> {
    items.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use medvox_core::{AnyVolume, Geometry, Volume};
    use medvox_ops::{OpSpec, Registry};

    fn blob(n: usize, shift: f64) -> Volume<f32> {
        let c = (n as f64 - 1.0) / 2.0;
        let v = (0..n * n * n)
            .map(|i| {
                let (x, y, z) = (
                    (i % n) as f64 - c - shift,
                    ((i / n) % n) as f64 - c,
                    (i / (n * n)) as f64 - c,
                );
                (100.0 * (-(x * x / 20.0 + y * y / 12.0 + z * z / 16.0)).exp()) as f32
            })
            .collect();
        Volume::from_vec([n, n, n], v, Geometry::default()).unwrap()
    }

    #[test]
    fn registered_ops_equal_plain_functions() {
        let mut reg = Registry::new();
        crate::ops::register(&mut reg);
        let exec = Executor::default();
        let (fixed, moving) = (blob(24, 0.0), blob(24, 1.5));
        let main: AnyVolume = fixed.clone().into();
        let aux_r = aux([("moving", AnyVolume::from(moving.clone()))]);
        let dir = tempfile::tempdir().unwrap();
        let tfm = dir.path().join("t.tfm");
        let spec = OpSpec::new("register")
            .with("levels", serde_json::json!([2, 1]))
            .with("metric", "mse")
            .with("out_transform", tfm.to_str().unwrap());
        let out = reg
            .run(
                &spec,
                &Inputs {
                    main: &main,
                    aux: &aux_r,
                },
                &exec,
            )
            .unwrap();
        let params = RegisterParams {
            levels: vec![2, 1],
            metric: MetricKind::Mse,
            ..Default::default()
        };
        let r = register_images(&fixed, &moving, &params, None, None, &exec).unwrap();
        assert_eq!(
            out.report["parameters"],
            serde_json::json!(r.transform.params())
        );
        assert_eq!(read_tfm(&tfm).unwrap(), r.transform);
        let plain = warp_any(
            &moving.clone().into(),
            &Grid::of(&fixed),
            &r.transform,
            Interpolation::Linear,
            0.0,
            &exec,
        )
        .unwrap();
        let Data::Volume(v) = &out.data else {
            panic!("register gives a volume")
        };
        assert_eq!(v, &plain);
        // warp through the registry with the written file == the plain warp.
        let spec =
            OpSpec::new("warp").with("transform", serde_json::json!([tfm.to_str().unwrap()]));
        let aux_w = aux([("reference", AnyVolume::from(fixed.clone()))]);
        let mv: AnyVolume = moving.into();
        let w = reg
            .run(
                &spec,
                &Inputs {
                    main: &mv,
                    aux: &aux_w,
                },
                &exec,
            )
            .unwrap();
        let Data::Volume(wv) = &w.data else {
            panic!("warp gives a volume")
        };
        assert_eq!(wv, &plain);
        // Errors: no moving input, bad parameter.
        assert!(reg
            .run(&OpSpec::new("register"), &Inputs::main(&main), &exec)
            .is_err());
        assert!(reg
            .run(
                &OpSpec::new("register").with("levels", serde_json::json!([0])),
                &Inputs {
                    main: &main,
                    aux: &aux_r
                },
                &exec
            )
            .is_err());
        assert!(reg
            .run(&OpSpec::new("warp"), &Inputs::main(&mv), &exec)
            .is_err());
    }
}
