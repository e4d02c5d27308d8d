//! `medvox bench`: times an operation in-process (load once, warm up, median of N runs).
//!
//! Operations so far: `read` (read `--input` fully into memory) and `write`
//! (write the loaded `--input` to `--output`, default a file beside the system
//! temp folder with the input's extension). Filters join as they are built.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;

use crate::Ctx;

/// Operations `medvox bench` can time.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Op {
    /// Read the input file fully into memory.
    Read,
    /// Write the loaded input to `--output`.
    Write,
}

/// Arguments of `medvox bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Operation to time.
    op: Op,
    /// Input image.
    #[arg(long)]
    input: PathBuf,
    /// Output path for `write` (format from the extension; default: temp folder, input's extension).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Timed runs after one warm-up run.
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    op: String,
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
    let vol = medvox::io::read(&a.input)
        .with_context(|| format!("cannot read {}", a.input.display()))?
        .into_first();
    let out = a.output.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "medvox-bench-{}{}",
            std::process::id(),
            extension_of(&a.input)
        ))
    });
    let once = || -> anyhow::Result<f64> {
        let t = Instant::now();
        match a.op {
            Op::Read => {
                std::hint::black_box(medvox::io::read(&a.input)?);
            }
            Op::Write => medvox::io::write(&out, &vol)?,
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
        op: format!("{:?}", a.op).to_lowercase(),
        input: a.input.display().to_string(),
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
