//! `medvox`: the command-line tool.

mod bench;
mod convert;
mod demo;
mod dicom_cmd;
mod features_cmd;
mod gpu_cmd;
mod guard;
mod infer_cmd;
mod info;
mod input;
mod label_cmd;
mod ops_cmd;
mod pipeline_cmd;
mod progress;
mod recon_cmd;
mod register_cmd;
mod run_cmd;
mod snapshot;
mod snapshot_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Parallel and GPU-accelerated medical image processing.
#[derive(Debug, Parser)]
#[command(name = "medvox", version, about, propagate_version = true)]
struct Cli {
    /// Worker threads (default: all cores).
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    /// No progress bars or chatter on stderr.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Where filters run: cpu (reference), gpu, or auto (GPU when an adapter and a kernel exist).
    #[arg(long, global = true, value_enum, default_value = "cpu")]
    device: gpu_cmd::DeviceArg,
    /// Largest buffer a file may make medvox allocate (e.g. 4G, 512M); default: the
    /// smallest of physical memory, the process's rlimits and its cgroup limit.
    #[arg(long, global = true, value_name = "BYTES")]
    max_memory: Option<String>,
    /// Read detached data files (NRRD `data file`, MetaImage `ElementDataFile`) outside the header's folder.
    #[arg(long, global = true)]
    allow_outside_data: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print format, size, pixel type, geometry and statistics of an image.
    Info(info::Args),
    /// Convert an image between formats (NIfTI, NRRD, MetaImage; Analyze read-only).
    Convert(convert::Args),
    /// Write a PNG of the three orthogonal slices (radiological convention, true aspect ratio).
    Snapshot(snapshot_cmd::Args),
    /// Time an operation in-process (median of N runs after a warm-up).
    Bench(bench::Args),
    /// Run a filter: `medvox filter NAME [options] IN OUT` (gaussian, median, gradient-magnitude).
    Filter(run_cmd::Args<run_cmd::Filters>),
    /// Label analysis: `medvox label stats LABELS [--image IMG]`, `medvox label compare A B`.
    Label(label_cmd::Args),
    /// DICOM tools: `medvox dicom ls PATH` lists the series under a file, folder or DICOMDIR.
    Dicom(dicom_cmd::Args),
    /// IBSI radiomics features per label: `medvox features IMAGE LABELS [--labels 1,3] [--json|--csv]`.
    Features(features_cmd::Args),
    /// Segment: `medvox segment NAME [options] IN OUT` (otsu, threshold, region-grow, components, watershed…).
    Segment(run_cmd::Args<run_cmd::Segments>),
    /// Run any registered op: `medvox run OP [--param value…] IN OUT` (`medvox ops` lists them).
    Run(run_cmd::Args<run_cmd::All>),
    /// List every op: parameters (type, default, doc), auxiliary inputs, devices.
    Ops(ops_cmd::Args),
    /// TOML pipelines: `medvox pipeline run|check FILE.toml`.
    Pipeline(pipeline_cmd::Args),
    /// GPU tools: `medvox gpu info [--json]` prints the adapter, driver and limits.
    Gpu(gpu_cmd::Args),
    /// Rigid/affine registration: `medvox register FIXED MOVING --out-transform T.tfm [--out WARPED]`.
    Register(register_cmd::RegisterArgs),
    /// Resample an image through ITK .tfm transform(s): `medvox warp MOVING OUT --reference FIXED --transform T.tfm`.
    Warp(register_cmd::WarpArgs),
    /// Run an ONNX segmentation network over a volume (MONAI sliding windows): `medvox infer MODEL IN OUT`.
    Infer(infer_cmd::InferArgs),
    /// deepbet brain extraction of a T1 MR image: `medvox brain-extract T1 MASK [--brain OUT] [--tiv]`.
    BrainExtract(infer_cmd::BrainArgs),
    /// CT forward projection: `medvox project IN OUT --geometry parallel|fan|cone|GEOM.xml` (or `--phantom shepp-logan`).
    Project(recon_cmd::ProjectArgs),
    /// CT reconstruction: `medvox reconstruct fbp|fdk PROJ OUT --geometry GEOM.xml [--filter …]`.
    Reconstruct(recon_cmd::ReconArgs),
    /// Generate a synthetic CT phantom and run the main pipeline on it (no input needed).
    Demo(demo::Args),
}

/// Settings every subcommand gets.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Executor for block operations.
    pub exec: medvox::core::Executor,
    /// Show progress bars (stderr is a terminal and no `--quiet`).
    pub chatty: bool,
    /// No notes or warnings on stderr (`--quiet`).
    pub quiet: bool,
    /// Device chosen with `--device`.
    pub device: gpu_cmd::DeviceArg,
}

fn run(cli: Cli) -> anyhow::Result<()> {
    guard::apply(cli.max_memory.as_deref(), cli.allow_outside_data)?;
    if let Some(n) = cli.threads {
        anyhow::ensure!(n >= 1, "--threads must be at least 1");
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| anyhow::anyhow!("thread pool: {e}"))?;
    }
    let chatty = !cli.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let exec = medvox::core::Executor::default().with_progress(progress::block_progress(chatty));
    let ctx = Ctx {
        exec,
        chatty,
        quiet: cli.quiet,
        device: cli.device,
    };
    match cli.command {
        Command::Info(a) => info::run(&ctx, a),
        Command::Convert(a) => convert::run(&ctx, a),
        Command::Demo(a) => demo::run(&ctx, a),
        Command::Dicom(a) => dicom_cmd::run(&ctx, a),
        Command::Features(a) => features_cmd::run(&ctx, a),
        Command::Bench(a) => bench::run(&ctx, a),
        Command::Snapshot(a) => snapshot_cmd::run(&ctx, a),
        Command::Filter(a) => run_cmd::run(&ctx, a),
        Command::Segment(a) => run_cmd::run(&ctx, a),
        Command::Run(a) => run_cmd::run(&ctx, a),
        Command::Ops(a) => ops_cmd::run(&ctx, a),
        Command::Pipeline(a) => pipeline_cmd::run(&ctx, a),
        Command::Label(a) => label_cmd::run(&ctx, a),
        Command::Gpu(a) => gpu_cmd::run(&ctx, a),
        Command::Register(a) => register_cmd::run_register(&ctx, a),
        Command::Warp(a) => register_cmd::run_warp(&ctx, a),
        Command::Infer(a) => infer_cmd::run_infer(&ctx, a),
        Command::BrainExtract(a) => infer_cmd::run_brain(&ctx, a),
        Command::Project(a) => recon_cmd::run_project(&ctx, a),
        Command::Reconstruct(a) => recon_cmd::run_reconstruct(&ctx, a),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // A value that parses but is not valid (NaN, out of range): bad input, one line, exit 1.
        Err(e) if e.kind() == clap::error::ErrorKind::ValueValidation => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or_default();
            guard::error_line(first.strip_prefix("error: ").unwrap_or(first));
            return ExitCode::from(1);
        }
        Err(e) => e.exit(),
    };
    guard::run(|| run(cli))
}
