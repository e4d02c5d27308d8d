//! `medvox register` and `medvox warp`: rigid/affine registration, ITK `.tfm`
//! transforms and warping (`medvox_register`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use medvox::core::{AnyVolume, Volume};
use medvox::filters::resample::Grid;
use medvox::filters::Interpolation;
use medvox_register::{
    read_tfm, register, warp_any, write_tfm, Init, MetricKind, RegisterParams, Transform,
    TransformKind,
};

use crate::Ctx;

/// Arguments of `medvox register`.
#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
    /// Fixed (reference) image: the grid the result lives on.
    fixed: PathBuf,
    /// Moving image: the one that is transformed.
    moving: PathBuf,
    /// Transform family: rigid (Euler 3D), affine (rigid, then 12-parameter affine) or translation.
    #[arg(long, value_enum, default_value = "rigid")]
    transform: KindArg,
    /// Similarity metric: mi (Mattes mutual information, multi-modal), ncc, mse.
    #[arg(long, value_enum, default_value = "mi")]
    metric: MetricArg,
    /// Pyramid shrink factors, coarsest first.
    #[arg(long, value_delimiter = ',', default_value = "4,2,1")]
    levels: Vec<usize>,
    /// Initialisation: geometric centres, centres of mass, or identity.
    #[arg(long, value_enum, default_value = "geometry")]
    init: InitArg,
    /// Start from this transform (ITK .tfm) instead of --init.
    #[arg(long, value_name = "TFM")]
    initial_transform: Option<PathBuf>,
    /// Only fixed voxels where this mask (same grid as FIXED) is non-zero are sampled.
    #[arg(long, value_name = "MASK")]
    fixed_mask: Option<PathBuf>,
    /// Mattes MI histogram bins.
    #[arg(long, default_value_t = 50)]
    bins: usize,
    /// Most fixed sample points per level.
    #[arg(long, default_value_t = 300_000)]
    max_samples: usize,
    /// Most iterations per level.
    #[arg(long, default_value_t = 200)]
    iterations: usize,
    /// First step of a level in units of the level's spacing.
    #[arg(long, default_value_t = 1.0)]
    learning_rate: f64,
    /// Smallest step at full resolution (mm).
    #[arg(long, default_value_t = 0.001)]
    min_step: f64,
    /// Where to write the fixed → moving transform (ITK text .tfm, SimpleITK ReadTransform reads it).
    #[arg(long, value_name = "TFM")]
    out_transform: PathBuf,
    /// Also write the moving image resampled onto the fixed grid.
    #[arg(long, value_name = "IMAGE")]
    out: Option<PathBuf>,
    /// Interpolation of --out.
    #[arg(long, value_enum, default_value = "linear")]
    interpolation: InterpArg,
    /// Write the report (per level: samples, iterations, metric before/after, seconds) as JSON here.
    #[arg(long, value_name = "JSON")]
    report: Option<PathBuf>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Arguments of `medvox warp`.
#[derive(Debug, clap::Args)]
pub struct WarpArgs {
    /// Image to transform.
    moving: PathBuf,
    /// Output image (on the reference grid).
    output: PathBuf,
    /// Image whose grid (size, spacing, origin, direction) the output takes.
    #[arg(long, value_name = "FIXED")]
    reference: PathBuf,
    /// Fixed → moving transform(s), ITK .tfm; several are composed as ITK does (the last is applied first).
    #[arg(long = "transform", value_name = "TFM", required = true)]
    transforms: Vec<PathBuf>,
    /// Use the inverse of the (composed) transform.
    #[arg(long)]
    invert: bool,
    /// Interpolation: linear/bspline give f32 (f64 for f64 input); nearest/label keep the pixel type.
    #[arg(long, value_enum, default_value = "linear")]
    interpolation: InterpArg,
    /// Value of output voxels that map outside the moving image.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    default_value: f64,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum KindArg {
    Rigid,
    Affine,
    Translation,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum MetricArg {
    Mi,
    Ncc,
    Mse,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum InitArg {
    Geometry,
    Moments,
    None,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum InterpArg {
    Linear,
    Nearest,
    Bspline,
    Label,
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

fn read(ctx: &Ctx, path: &Path) -> anyhow::Result<AnyVolume> {
    Ok(crate::input::read_input(ctx, path, None)?.into_first())
}

fn check_writable(path: &Path) -> anyhow::Result<()> {
    medvox::io::writer_for(path)
        .with_context(|| format!("cannot write {}", path.display()))
        .map(|_| ())
}

/// Runs `medvox register`.
pub fn run_register(ctx: &Ctx, a: RegisterArgs) -> anyhow::Result<()> {
    if let Some(o) = &a.out {
        check_writable(o)?;
    }
    let params = RegisterParams {
        transform: match a.transform {
            KindArg::Rigid => TransformKind::Rigid,
            KindArg::Affine => TransformKind::Affine,
            KindArg::Translation => TransformKind::Translation,
        },
        metric: match a.metric {
            MetricArg::Mi => MetricKind::Mi,
            MetricArg::Ncc => MetricKind::Ncc,
            MetricArg::Mse => MetricKind::Mse,
        },
        levels: a.levels.clone(),
        bins: a.bins,
        max_samples: a.max_samples,
        iterations: a.iterations,
        learning_rate: a.learning_rate,
        min_step: a.min_step,
        init: match a.init {
            InitArg::Geometry => Init::Geometry,
            InitArg::Moments => Init::Moments,
            InitArg::None => Init::None,
        },
        ..Default::default()
    };
    params.validate()?;
    let initial = a.initial_transform.as_deref().map(read_tfm).transpose()?;
    let fixed_any = read(ctx, &a.fixed)?;
    let moving_any = read(ctx, &a.moving)?;
    let mask: Option<Volume<u8>> = match &a.fixed_mask {
        Some(p) => {
            let m = read(ctx, p)?;
            anyhow::ensure!(
                m.size() == fixed_any.size(),
                "--fixed-mask {} has size {:?}, the fixed image {:?}",
                p.display(),
                m.size(),
                fixed_any.size()
            );
            Some(m.to_volume::<f64>().map(|v| u8::from(v != 0.0)))
        }
        None => None,
    };
    let fixed = ctx.exec.install(|| fixed_any.to_volume::<f32>());
    let moving = ctx.exec.install(|| moving_any.to_volume::<f32>());
    let result = crate::progress::spin(ctx.chatty, "registering".to_string(), || {
        register(&fixed, &moving, &params, initial, mask.as_ref(), &ctx.exec)
    })?;
    write_tfm(&a.out_transform, &result.transform)?;
    if let Some(o) = &a.out {
        let warped = warp_any(
            &moving_any,
            &Grid::of(&fixed),
            &result.transform,
            a.interpolation.kind(),
            0.0,
            &ctx.exec,
        )?;
        medvox::io::write(o, &warped).with_context(|| format!("cannot write {}", o.display()))?;
    }
    let report = serde_json::json!({
        "transform": result.transform,
        "itk_name": result.transform.itk_name(),
        "parameters": result.transform.params(),
        "fixed_parameters": result.transform.fixed_params(),
        "initial": result.initial,
        "metric": result.metric,
        "levels": result.levels,
        "pyramid_seconds": result.pyramid_seconds,
        "seconds": result.seconds,
    });
    if let Some(p) = &a.report {
        std::fs::write(p, serde_json::to_string_pretty(&report)? + "\n")
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if !ctx.quiet {
        for l in &result.levels {
            println!(
                "{:<11} shrink {:>2}  {:>7} samples  {:>3} iterations  {} {:.6} -> {:.6}  ({}; {:.2} s)",
                l.stage,
                l.shrink,
                l.samples,
                l.iterations,
                result.metric,
                l.metric_initial,
                l.metric_final,
                l.stop,
                l.seconds
            );
        }
        let p: Vec<String> = result
            .transform
            .params()
            .iter()
            .map(|v| format!("{v:.6}"))
            .collect();
        println!(
            "{} parameters [{}], centre {:?}; {:.2} s",
            result.transform.itk_name(),
            p.join(", "),
            result.transform.center(),
            result.seconds
        );
    }
    Ok(())
}

/// Runs `medvox warp`.
pub fn run_warp(ctx: &Ctx, a: WarpArgs) -> anyhow::Result<()> {
    check_writable(&a.output)?;
    anyhow::ensure!(
        a.default_value.is_finite(),
        "--default-value must be finite, got {}",
        a.default_value
    );
    let mut ts = a
        .transforms
        .iter()
        .map(|p| read_tfm(p))
        .collect::<Result<Vec<Transform>, _>>()?
        .into_iter();
    let first = ts.next().context("no --transform given")?;
    let mut t = ts.fold(first, |acc, next| acc.compose(&next));
    if a.invert {
        t = t.inverse()?;
    }
    let reference = read(ctx, &a.reference)?;
    let grid = Grid {
        size: reference.size(),
        geometry: *reference.geometry(),
    };
    drop(reference);
    let moving = read(ctx, &a.moving)?;
    let out = warp_any(
        &moving,
        &grid,
        &t,
        a.interpolation.kind(),
        a.default_value,
        &ctx.exec,
    )?;
    medvox::io::write(&a.output, &out)
        .with_context(|| format!("cannot write {}", a.output.display()))
}
