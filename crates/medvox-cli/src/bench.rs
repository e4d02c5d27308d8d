//! `medvox bench`: times an operation in-process (load once, warm up, median of N runs).
//!
//! Operations: `read` (read `--input` fully into memory; a DICOM file or folder
//! reads its only series), `write` (write the
//! loaded `--input` to `--output`, default a file in the system temp folder with
//! the input's extension) and every filter of `medvox filter` with the same
//! options (`medvox bench gaussian --sigma-voxels 2 --input FILE`), run on the
//! loaded volume.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;

use crate::run_cmd::{BenchFilters, BenchSegments, OpCommand};
use crate::Ctx;

/// Operations `medvox bench` can time.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Op {
    /// Read the input file fully into memory.
    Read,
    /// Write the loaded input to `--output`.
    Write,
    #[command(flatten)]
    Filter(OpCommand<BenchFilters>),
    /// A segmentation op: `medvox bench segment NAME [options]` (auxiliary images read before timing).
    Segment {
        #[command(subcommand)]
        op: OpCommand<BenchSegments>,
    },
    /// Label statistics of the --input label map (with --image: intensity too; read before timing).
    LabelStats {
        /// Intensity image on the label map's grid.
        #[arg(long)]
        image: Option<PathBuf>,
    },
    /// Overlap metrics (with distances) of the --input label map vs --reference (read before timing).
    LabelCompare {
        /// Reference label map on the same grid.
        #[arg(long)]
        reference: PathBuf,
    },
}

/// Arguments of `medvox bench` (the options may follow the operation's own).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Operation to time.
    #[command(subcommand)]
    op: Op,
    /// Input image (required).
    #[arg(long, global = true)]
    input: Option<PathBuf>,
    /// Output path for `write` (format from the extension; default: temp folder, input's extension).
    #[arg(long, global = true)]
    output: Option<PathBuf>,
    /// Timed runs after one warm-up run.
    #[arg(long, global = true, default_value_t = 5)]
    repeat: usize,
    /// Print one JSON object.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    op: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<serde_json::Value>,
    input: String,
    seconds: f64,
    times: Vec<f64>,
    voxels: usize,
    voxels_per_second: f64,
    gb_per_second: f64,
    threads: usize,
}

fn extension_of(p: &std::path::Path) -> String {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.find('.') {
        Some(i) => name[i..].to_string(),
        None => ".nii".into(),
    }
}

/// Runs `medvox bench`.
pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    anyhow::ensure!(a.repeat >= 1, "--repeat must be at least 1");
    let input = a
        .input
        .clone()
        .ok_or_else(|| anyhow::anyhow!("--input FILE is required"))?;
    let vol = crate::input::read_quiet(&input)
        .with_context(|| format!("cannot read {}", input.display()))?
        .into_first();
    let out = a.output.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "medvox-bench-{}{}",
            std::process::id(),
            extension_of(&input)
        ))
    });
    // No progress bars inside timed runs; the global pool honours --threads.
    let exec = medvox::core::Executor::default();
    let registry = medvox_engine::registry();
    let (spec, aux_files) = match &a.op {
        Op::Filter(c) => (Some(registry.normalize(&c.spec)?), c.aux.clone()),
        Op::Segment { op: c } => (Some(registry.normalize(&c.spec)?), c.aux.clone()),
        _ => (None, Default::default()),
    };
    let quiet = Ctx {
        quiet: true,
        chatty: false,
        ..ctx.clone()
    };
    let op_aux = crate::run_cmd::read_aux(&quiet, &aux_files)?;
    if let Some(spec) = &spec {
        registry.bind(spec, &medvox_ops::VolumeInfo::of(&vol))?;
    }
    let filter = match (&a.op, &spec) {
        (Op::Filter(_), Some(s)) if op_aux.is_empty() => {
            medvox::filters::ops::library_filter(s).transpose()?
        }
        _ => None,
    };
    if ctx.device != crate::gpu_cmd::DeviceArg::Cpu {
        match (&a.op, &filter, &spec) {
            (Op::Filter(_), Some(f), _) => {
                return crate::gpu_cmd::bench(ctx, f, &vol, &input, a.repeat, a.json)
            }
            (Op::Segment { .. }, _, Some(s)) if op_aux.is_empty() => {
                return crate::gpu_cmd::bench_segment(ctx, s, &vol, &input, a.repeat, a.json)
            }
            (Op::Filter(_) | Op::Segment { .. }, _, Some(s)) => {
                anyhow::bail!("{}: no GPU kernel (use --device cpu or auto)", s.op)
            }
            _ => {}
        }
    }
    let aux = match &a.op {
        Op::LabelStats { image: Some(p) } | Op::LabelCompare { reference: p } => Some(
            medvox::io::read(p)
                .with_context(|| format!("cannot read {}", p.display()))?
                .into_first(),
        ),
        _ => None,
    };
    let once = || -> anyhow::Result<f64> {
        let t = Instant::now();
        match (&a.op, &spec) {
            (Op::Read, _) => {
                std::hint::black_box(crate::input::read_quiet(&input)?);
            }
            (Op::Write, _) => medvox::io::write(&out, &vol)?,
            (Op::Filter(_) | Op::Segment { .. }, Some(s)) => {
                let inputs = medvox_ops::Inputs {
                    main: &vol,
                    aux: &op_aux,
                };
                std::hint::black_box(registry.run(s, &inputs, &exec)?);
            }
            (Op::Filter(_) | Op::Segment { .. }, None) => unreachable!("spec set above"),
            (Op::LabelStats { .. }, _) => {
                let p = medvox::segment::labelstats::LabelStatsParams { background: 0 };
                let s = medvox::segment::labelstats::label_stats_any(&vol, aux.as_ref(), &p, &exec);
                std::hint::black_box(s?);
            }
            (Op::LabelCompare { .. }, _) => {
                let p = medvox::segment::overlap::OverlapParams {
                    background: 0,
                    distances: true,
                };
                let b = aux.as_ref().expect("read above");
                std::hint::black_box(medvox::segment::overlap::overlap_any(&vol, b, &p, &exec)?);
            }
        }
        Ok(t.elapsed().as_secs_f64())
    };
    once()?; // warm-up
    let mut times = (0..a.repeat)
        .map(|_| once())
        .collect::<anyhow::Result<Vec<f64>>>()?;
    if a.output.is_none() && matches!(a.op, Op::Write) {
        std::fs::remove_file(&out).ok();
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    times.shrink_to_fit();
    let r = Report {
        op: match (&a.op, &spec) {
            (_, Some(s)) => s.op.clone(),
            (Op::Write, _) => "write".into(),
            (Op::LabelStats { .. }, _) => "label-stats".into(),
            (Op::LabelCompare { .. }, _) => "label-compare".into(),
            _ => "read".into(),
        },
        params: spec.map(|s| serde_json::Value::Object(s.params)),
        input: input.display().to_string(),
        seconds: median,
        times,
        voxels: vol.len(),
        voxels_per_second: vol.len() as f64 / median,
        gb_per_second: vol.nbytes() as f64 / median / 1e9,
        threads: ctx.exec.threads(),
    };
    if a.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!(
            "{} {}: {:.4} s median of {} ({:.1} Mvoxel/s, {:.2} GB/s, {} threads)",
            r.op,
            r.input,
            r.seconds,
            a.repeat,
            r.voxels_per_second / 1e6,
            r.gb_per_second,
            r.threads
        );
    }
    Ok(())
}
