//! `medvox pipeline run|check FILE.toml`: TOML pipelines (see
//! `medvox_engine::pipeline` for the file's shape).

use std::path::PathBuf;

use anyhow::Context;
use medvox_engine::pipeline::Pipeline;

use crate::Ctx;

/// Arguments of `medvox pipeline`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Validate, run every step in memory, write the [output] files.
    Run {
        /// The pipeline file.
        file: PathBuf,
        /// Bind or override an input: NAME=PATH (repeatable).
        #[arg(long = "input", value_name = "NAME=PATH", value_parser = name_path)]
        inputs: Vec<(String, PathBuf)>,
        /// Bind or override an output: NAME=PATH (repeatable).
        #[arg(long = "output", value_name = "NAME=PATH", value_parser = name_path)]
        outputs: Vec<(String, PathBuf)>,
        /// Print the plan (each step's kind, halo, output type, estimated peak memory) and stop.
        #[arg(long)]
        dry_run: bool,
        /// Write the run report (each step's parameters, report and seconds) as JSON.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// Validate the file (ops, keys, types, names) without reading any image.
    Check {
        /// The pipeline file.
        file: PathBuf,
    },
}

fn name_path(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((n, p)) if !n.is_empty() && !p.is_empty() => Ok((n.to_string(), PathBuf::from(p))),
        _ => Err(format!("expected NAME=PATH, got `{s}`")),
    }
}

/// Runs `medvox pipeline`.
pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let r = medvox_engine::registry();
    match a.cmd {
        Cmd::Check { file } => {
            let p = Pipeline::load(r, &file, &[], &[])?;
            println!(
                "{}: {} inputs, {} steps, {} outputs: ok",
                file.display(),
                p.inputs.len(),
                p.steps.len(),
                p.outputs.len()
            );
            Ok(())
        }
        Cmd::Run {
            file,
            inputs,
            outputs,
            dry_run,
            report,
        } => {
            let p = Pipeline::load(r, &file, &inputs, &outputs)?;
            let vols = p.read_inputs()?;
            if dry_run {
                let infos = vols
                    .iter()
                    .map(|(k, v)| (k.clone(), medvox_ops::VolumeInfo::of(v)))
                    .collect();
                let plan = p.plan(r, &infos)?;
                println!("step  op                      kind                halo      output        size             peak MB");
                for s in &plan {
                    let kind = serde_json::to_value(s.kind)?;
                    let out = serde_json::to_value(s.output_type)?;
                    println!(
                        "{:<5} {:<23} {:<19} {:<9} {:<13} {:<16} {:.1}",
                        s.step,
                        s.op,
                        kind["kind"].as_str().unwrap_or("?"),
                        format!("{:?}", s.halo),
                        out.get("pixel_type")
                            .and_then(|t| t.as_str())
                            .or(out["output"].as_str())
                            .unwrap_or("?"),
                        format!("{:?}", s.size),
                        s.peak_bytes as f64 / 1e6
                    );
                }
                return Ok(());
            }
            let runner: &medvox_engine::pipeline::Runner<'_> = &|spec, inputs| {
                let out = crate::gpu_cmd::run_spec(ctx, spec, inputs.main, inputs.aux)
                    .map_err(|e| medvox_ops::OpsError::Failed(e.into()))?;
                Ok((out, format!("{:?}", ctx.device).to_lowercase()))
            };
            let rep = p.run(r, vols, runner)?;
            if let Some(path) = report {
                let text = serde_json::to_string_pretty(&rep)? + "\n";
                medvox::io::atomic::write_bytes_atomic(&path, text.as_bytes())
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            if !ctx.quiet {
                for s in &rep.steps {
                    eprintln!(
                        "step {} {} → {}: {:.3} s",
                        s.step, s.op, s.output, s.seconds
                    );
                }
            }
            Ok(())
        }
    }
}
