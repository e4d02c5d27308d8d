//! `medvox infer` (an ONNX segmentation network over a volume with MONAI's sliding
//! windows) and `medvox brain-extract` (deepbet). CPU only for now (tract).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use medvox::core::{AnyVolume, Volume};
use medvox_dl::infer::{AxisOrder, InferOutput, Reorient};
use medvox_dl::{
    find_models, infer_volume, Blend, BrainExtraction, InferParams, OnnxModel, OutputKind,
    SlidingWindow,
};

use crate::gpu_cmd::DeviceArg;
use crate::Ctx;

fn parse_triple(s: &str) -> Result<[usize; 3], String> {
    let v: Vec<&str> = s.split(',').map(str::trim).collect();
    let n = |t: &str| {
        t.parse::<usize>()
            .map_err(|_| format!("{t:?} is not a whole number"))
    };
    match v.as_slice() {
        [a] => Ok([n(a)?; 3]),
        [a, b, c] => Ok([n(a)?, n(b)?, n(c)?]),
        _ => Err(format!("expected N or X,Y,Z, got {s:?}")),
    }
}

fn parse_overlap(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("overlap must be in [0, 1), got {v}"))
    }
}

/// What `medvox infer` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutputArg {
    /// The network output per channel (f32).
    Probabilities,
    /// The index of the largest channel (u8).
    Labels,
}

/// Arguments of `medvox infer`.
#[derive(Debug, clap::Args)]
pub struct InferArgs {
    /// ONNX model taking (N, C, D, H, W) float32 and giving (N, K, D, H, W).
    model: PathBuf,
    /// Input image (a 4D file's volumes are the input channels).
    input: PathBuf,
    /// Output: probabilities (float32, one volume per class: 4D NIfTI when K > 1) or labels (u8).
    output: PathBuf,
    /// Window size per volume axis x,y,z in voxels (one number: all axes; 0 = the whole axis).
    #[arg(long = "window", alias = "roi", value_name = "X,Y,Z", value_parser = parse_triple, default_value = "96,96,96")]
    roi: [usize; 3],
    /// Overlap of neighbouring windows (MONAI `overlap`).
    #[arg(long, default_value_t = 0.25, value_parser = parse_overlap)]
    overlap: f64,
    /// Blending of overlapping windows: constant or gaussian (MONAI `mode`).
    #[arg(long, default_value = "constant")]
    blend: Blend,
    /// σ of the Gaussian blend as a fraction of the window (MONAI `sigma_scale`).
    #[arg(long, default_value_t = 0.125)]
    sigma_scale: f64,
    /// Windows per model call (MONAI `sw_batch_size`).
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Order in which the network's spatial axes take the volume's axes: xyz (nibabel/MONAI) or zyx.
    #[arg(long, default_value = "xyz", value_parser = ["xyz", "zyx"])]
    axes: String,
    /// Reorient to the closest canonical orientation first (and back after): none or RAS.
    #[arg(long, default_value = "none", value_parser = ["none", "RAS", "ras"])]
    reorient: String,
    /// What to write: probabilities (the blended network output, f32, one volume per
    /// channel) or labels (u8, the index of the largest channel).
    #[arg(
        long = "output",
        id = "output_kind",
        value_enum,
        default_value = "probabilities"
    )]
    output_kind: OutputArg,
    /// Shorthand for --output labels.
    #[arg(long)]
    argmax: bool,
    /// Apply a softmax over the output channels first (for networks that output logits).
    #[arg(long)]
    softmax: bool,
    /// Print a JSON report on stdout.
    #[arg(long)]
    json: bool,
}

fn check_device(ctx: &Ctx, what: &str) -> anyhow::Result<()> {
    match ctx.device {
        DeviceArg::Cpu => Ok(()),
        DeviceArg::Gpu => anyhow::bail!(
            "{what} runs on the CPU only (GPU inference is not implemented yet); use --device cpu"
        ),
        DeviceArg::Auto => {
            if !ctx.quiet {
                eprintln!("medvox: note: {what} runs on the CPU (no GPU inference yet)");
            }
            Ok(())
        }
    }
}

fn window_bar(chatty: bool, what: &str) -> impl FnMut(usize, usize) {
    let mut bar: Option<indicatif::ProgressBar> = None;
    let what = what.to_string();
    move |done, total| {
        if !chatty {
            return;
        }
        let b = bar.get_or_insert_with(|| {
            let pb = indicatif::ProgressBar::new(total as u64).with_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {msg} [{bar:30}] {pos}/{len} windows ({elapsed})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            pb.set_message(what.clone());
            pb
        });
        b.set_position(done as u64);
        if done >= total {
            b.finish_and_clear();
        }
    }
}

fn write_one(path: &Path, v: AnyVolume) -> anyhow::Result<()> {
    medvox::io::write(path, &v).with_context(|| format!("cannot write {}", path.display()))
}

/// Runs `medvox infer`.
pub fn run_infer(ctx: &Ctx, a: InferArgs) -> anyhow::Result<()> {
    check_device(ctx, "infer")?;
    anyhow::ensure!(a.batch >= 1, "--batch must be at least 1");
    anyhow::ensure!(
        a.sigma_scale > 0.0 && a.sigma_scale.is_finite(),
        "--sigma-scale must be > 0"
    );
    let t0 = Instant::now();
    let model = OnnxModel::load(&a.model)?;
    let image = crate::input::read_input(ctx, &a.input, None)?;
    let channels: Vec<Volume<f32>> = image.volumes.iter().map(|v| v.to_volume()).collect();
    let params = InferParams {
        window: SlidingWindow {
            roi: a.roi,
            overlap: [a.overlap; 3],
            blend: a.blend,
            sigma_scale: [a.sigma_scale; 3],
            batch: a.batch,
            cval: 0.0,
        },
        axes: if a.axes == "zyx" {
            AxisOrder::Zyx
        } else {
            AxisOrder::Xyz
        },
        reorient: if a.reorient.eq_ignore_ascii_case("ras") {
            Reorient::Ras
        } else {
            Reorient::None
        },
        output: if a.argmax || a.output_kind == OutputArg::Labels {
            OutputKind::Argmax
        } else if a.softmax {
            OutputKind::Softmax
        } else {
            OutputKind::Raw
        },
    };
    // The network axes follow the window axes: permute the x,y,z window accordingly.
    let mut params = params;
    if params.axes == AxisOrder::Zyx {
        params.window.roi.reverse();
    }
    let mut bar = window_bar(ctx.chatty, "infer");
    let t_inf = Instant::now();
    let out = infer_volume(&model, &channels, &params, &mut bar)?;
    let infer_s = t_inf.elapsed().as_secs_f64();
    let classes = match out {
        InferOutput::Labels(l) => {
            write_one(&a.output, AnyVolume::from(l))?;
            0
        }
        InferOutput::Channels(vols) => {
            let k = vols.len();
            if k == 1 {
                write_one(
                    &a.output,
                    AnyVolume::from(vols.into_iter().next().expect("one")),
                )?;
            } else {
                let name = a.output.to_string_lossy().to_lowercase();
                anyhow::ensure!(
                    name.ends_with(".nii") || name.ends_with(".nii.gz"),
                    "the model gives {k} output channels: write them to a 4D .nii/.nii.gz, or use --argmax for labels"
                );
                let vols: Vec<AnyVolume> = vols.into_iter().map(AnyVolume::from).collect();
                medvox::io::nifti::write_volumes(&a.output, &vols, &Default::default())
                    .with_context(|| format!("cannot write {}", a.output.display()))?;
            }
            k
        }
    };
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "model": a.model.display().to_string(),
                "input": a.input.display().to_string(),
                "output": a.output.display().to_string(),
                "channels_out": classes,
                "inference_seconds": infer_s,
                "total_seconds": t0.elapsed().as_secs_f64(),
            })
        );
    }
    Ok(())
}

/// Arguments of `medvox brain-extract`.
#[derive(Debug, clap::Args)]
pub struct BrainArgs {
    /// T1-weighted MR image.
    t1: PathBuf,
    /// Brain mask to write (u8, 1 = brain, on the T1's grid).
    mask: PathBuf,
    /// Also write the skull-stripped T1 (T1 × mask, the T1's pixel type).
    #[arg(long, value_name = "OUT")]
    brain: Option<PathBuf>,
    /// Print the total intracranial volume (cm³).
    #[arg(long)]
    tiv: bool,
    /// Folder with deepbet's bbox_model.onnx and model.onnx (default: $MEDVOX_MODELS).
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Print a JSON report (stage values, voxel count, TIV, seconds) on stdout.
    #[arg(long)]
    json: bool,
}

/// Runs `medvox brain-extract`.
pub fn run_brain(ctx: &Ctx, a: BrainArgs) -> anyhow::Result<()> {
    check_device(ctx, "brain-extract")?;
    let t0 = Instant::now();
    let dir = find_models(a.models.as_deref())?;
    let bet = BrainExtraction::load(&dir)?;
    let image = crate::input::read_input(ctx, &a.t1, None)?;
    anyhow::ensure!(
        image.volumes.len() == 1,
        "brain-extract needs one 3D T1 volume, {} holds {}",
        a.t1.display(),
        image.volumes.len()
    );
    let t1 = image.into_first();
    let x: Volume<f32> = t1.to_volume();
    let out = crate::progress::spin(ctx.chatty, "deepbet brain extraction".into(), || {
        bet.run(&x, &ctx.exec)
    })?;
    if let Some(bp) = &a.brain {
        let data: Vec<f32> = x
            .as_slice()
            .iter()
            .zip(out.mask.as_slice())
            .map(|(&v, &m)| if m != 0 { v } else { 0.0 })
            .collect();
        let brain = Volume::from_vec(x.size(), data, *x.geometry())?;
        let b = AnyVolume::from(brain).cast(t1.pixel_type());
        write_one(bp, b)?;
    }
    write_one(&a.mask, AnyVolume::from(out.mask.clone()))?;
    let s = &out.stages;
    if a.tiv && !a.json {
        println!("{:.3}", s.tiv_cm3);
    }
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "t1": a.t1.display().to_string(),
                "mask": a.mask.display().to_string(),
                "canonical_shape_xyz": s.canonical_shape,
                "quantile_low_0.005": s.low,
                "quantile_high_0.995": s.high,
                "bbox_xyz_half_open": s.bbox,
                "prob_voxels_gt_0.5_before_postprocess": s.prob_voxels,
                "mask_voxels": s.mask_voxels,
                "tiv_cm3": s.tiv_cm3,
                "bbox_model_seconds": s.seconds[0],
                "model_seconds": s.seconds[1],
                "pipeline_seconds": s.seconds[2],
                "total_seconds": t0.elapsed().as_secs_f64(),
            })
        );
    }
    Ok(())
}
