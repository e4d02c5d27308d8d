//! `medvox gpu info`, the global `--device cpu|gpu|auto` choice, and the GPU side
//! of `medvox filter` and `medvox bench`.

use std::collections::BTreeMap;

use medvox::core::AnyVolume;
use medvox::filters::Filter;
use medvox::gpu::{Device, GpuBackend};
use medvox_ops::{DynOutput, Inputs, OpSpec};
use serde::Serialize;

use crate::Ctx;

/// Where ops run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DeviceArg {
    /// The CPU (reference implementation).
    #[default]
    Cpu,
    /// The GPU (error without an adapter or a GPU kernel for the op).
    Gpu,
    /// The GPU when an adapter exists and the op has a GPU kernel, else the CPU.
    Auto,
}

impl From<DeviceArg> for Device {
    fn from(d: DeviceArg) -> Device {
        match d {
            DeviceArg::Cpu => Device::Cpu,
            DeviceArg::Gpu => Device::Gpu,
            DeviceArg::Auto => Device::Auto,
        }
    }
}

/// Arguments of `medvox gpu`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Adapter, backend, device type, driver and the limits tiles are planned with.
    Info {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `medvox gpu`.
pub fn run(_ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    match a.cmd {
        Cmd::Info { json } => {
            let gpu = GpuBackend::new()?;
            let i = gpu.context().info();
            if json {
                println!("{}", serde_json::to_string(i)?);
            } else {
                println!("adapter      {}", i.name);
                println!("backend      {}", i.backend);
                println!("device type  {}", i.device_type);
                println!("driver       {} ({})", i.driver, i.driver_info);
                println!(
                    "max storage binding  {} bytes",
                    i.max_storage_buffer_binding_size
                );
                println!("max buffer           {} bytes", i.max_buffer_size);
                println!(
                    "max workgroups/dim   {}",
                    i.max_compute_workgroups_per_dimension
                );
                println!(
                    "max invocations/workgroup {}, shared memory {} bytes",
                    i.max_compute_invocations_per_workgroup, i.max_compute_workgroup_storage_size
                );
                println!("timestamp queries    {}", i.timestamp_query);
                println!("tile binding         {} bytes", i.tile_binding_bytes);
                println!("adapters seen        {}", i.adapters.join("; "));
            }
            Ok(())
        }
    }
}

#[derive(Debug, Serialize)]
struct GpuReport {
    op: String,
    params: serde_json::Value,
    input: String,
    device: String,
    adapter: String,
    backend: String,
    /// Kernel time (= kernel_seconds), for tools that read `seconds`.
    seconds: f64,
    kernel_seconds: f64,
    end_to_end_seconds: f64,
    kernel_times: Vec<f64>,
    end_to_end_times: Vec<f64>,
    kernel_timer: String,
    tiles: usize,
    voxels: usize,
    bytes_per_voxel: u64,
    voxels_per_second: f64,
    /// bytes_per_voxel × voxels / kernel_seconds.
    gb_per_second: f64,
    /// Input bytes (host pixel type) / end_to_end_seconds.
    end_to_end_gb_per_second: f64,
}

/// `medvox bench FILTER --device gpu|auto`: kernel and end-to-end times.
pub fn bench(
    ctx: &Ctx,
    filter: &Filter,
    vol: &AnyVolume,
    input: &std::path::Path,
    repeat: usize,
    json: bool,
) -> anyhow::Result<()> {
    let (_, note) = medvox::gpu::select(ctx.device.into(), filter, vol, &ctx.exec)?;
    anyhow::ensure!(note.starts_with("device: gpu"), "{}: {note}", filter.name());
    let gpu = GpuBackend::new()?;
    let t = gpu.time(filter, vol, repeat)?;
    let info = gpu.context().info();
    let r = GpuReport {
        op: filter.name().into(),
        params: serde_json::to_value(filter)?,
        input: input.display().to_string(),
        device: "gpu".into(),
        adapter: info.name.clone(),
        backend: info.backend.clone(),
        seconds: t.kernel_seconds,
        kernel_seconds: t.kernel_seconds,
        end_to_end_seconds: t.end_to_end_seconds,
        kernel_times: t.kernel_times,
        end_to_end_times: t.end_to_end_times,
        kernel_timer: t.kernel_timer.into(),
        tiles: t.tiles,
        voxels: vol.len(),
        bytes_per_voxel: t.bytes_per_voxel,
        voxels_per_second: vol.len() as f64 / t.kernel_seconds,
        gb_per_second: (t.bytes_per_voxel * vol.len() as u64) as f64 / t.kernel_seconds / 1e9,
        end_to_end_gb_per_second: vol.nbytes() as f64 / t.end_to_end_seconds / 1e9,
    };
    if json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!(
            "{} {} on {}: kernel {:.5} s, end-to-end {:.5} s (median of {}; {:.1} GB/s kernel, {} tile(s))",
            r.op, r.input, r.adapter, r.kernel_seconds, r.end_to_end_seconds, repeat, r.gb_per_second, r.tiles
        );
    }
    Ok(())
}

/// Runs an op spec on the device chosen by `--device` (medvox-engine's device
/// runner: GPU kernels where an op has one); notes on stderr unless `--quiet`.
pub fn run_spec(
    ctx: &Ctx,
    spec: &OpSpec,
    vol: &AnyVolume,
    aux: &BTreeMap<String, AnyVolume>,
) -> anyhow::Result<DynOutput> {
    let inputs = Inputs { main: vol, aux };
    let name = spec.op.as_str();
    let mut note = |n: String| {
        if !ctx.quiet {
            eprintln!("medvox: note: {name}: {n}");
        }
    };
    let (out, _) =
        medvox_engine::device::run(spec, &inputs, &ctx.exec, ctx.device.into(), &mut note)?;
    Ok(out)
}

/// Bins of Otsu's spec.
fn bins(spec: &OpSpec) -> usize {
    spec.params
        .get("bins")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(256) as usize
}

/// The library parameters of a `components` spec.
fn components_params(
    spec: &OpSpec,
) -> anyhow::Result<medvox::segment::components::ComponentsParams> {
    let p: medvox::segment::ops::ComponentsOpParams =
        serde_json::from_value(serde_json::Value::Object(spec.params.clone()))?;
    Ok(p.to_params()?)
}

/// `medvox bench segment otsu|components --device gpu|auto`: end-to-end times
/// (upload, op, download, host numbering) and kernel times on a resident input
/// (Otsu: range, histogram, threshold and the mask's readback; components: the
/// union–find, the readback of the roots and the host numbering).
pub fn bench_segment(
    ctx: &Ctx,
    spec: &OpSpec,
    vol: &AnyVolume,
    input: &std::path::Path,
    repeat: usize,
    json: bool,
) -> anyhow::Result<()> {
    use medvox::gpu::ops;
    let name = spec.op.as_str();
    // Errors (or falls back under auto) as the command does; the first run is the warm-up.
    let none = BTreeMap::new();
    let inputs = Inputs {
        main: vol,
        aux: &none,
    };
    let (_, used) =
        medvox_engine::device::run(spec, &inputs, &ctx.exec, ctx.device.into(), &mut |_| {})?;
    anyhow::ensure!(used == "gpu", "{name}: no GPU run (device: cpu)");
    let gpu = GpuBackend::new()?;
    let c = gpu.context();
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let repeat = repeat.max(1);
    let (mut e2e, mut kernel) = (Vec::new(), Vec::new());
    for _ in 0..repeat {
        let t = std::time::Instant::now();
        std::hint::black_box(medvox_engine::device::segment_on(&gpu, spec, vol)?);
        e2e.push(t.elapsed().as_secs_f64());
    }
    let fits = vol.len() as u64 * 4 <= c.max_binding();
    if fits {
        let v = medvox::gpu::GpuVolume::upload(c, vol)?;
        c.wait()?;
        for _ in 0..repeat {
            let t = std::time::Instant::now();
            match name {
                "otsu" => drop(ops::otsu::otsu_device(c, &v, bins(spec))?),
                _ => drop(ops::components::components(
                    c,
                    &v,
                    &components_params(spec)?,
                )?),
            }
            kernel.push(t.elapsed().as_secs_f64());
        }
    }
    let bytes_per_voxel = match name {
        "otsu" => ops::otsu::BYTES_PER_VOXEL,
        _ => ops::components::BYTES_PER_VOXEL,
    };
    let info = c.info();
    let k = if fits {
        median(&mut kernel.clone())
    } else {
        f64::NAN
    };
    let e = median(&mut e2e.clone());
    let r = GpuReport {
        op: name.into(),
        params: serde_json::Value::Object(spec.params.clone()),
        input: input.display().to_string(),
        device: "gpu".into(),
        adapter: info.name.clone(),
        backend: info.backend.clone(),
        seconds: k,
        kernel_seconds: k,
        end_to_end_seconds: e,
        kernel_times: kernel,
        end_to_end_times: e2e,
        kernel_timer: "wall clock, input resident, result read back".into(),
        tiles: usize::from(!fits) + 1,
        voxels: vol.len(),
        bytes_per_voxel,
        voxels_per_second: vol.len() as f64 / k,
        gb_per_second: (bytes_per_voxel * vol.len() as u64) as f64 / k / 1e9,
        end_to_end_gb_per_second: vol.nbytes() as f64 / e / 1e9,
    };
    if json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!(
            "{} {} on {}: kernel {:.5} s, end-to-end {:.5} s (median of {repeat})",
            r.op, r.input, r.adapter, r.kernel_seconds, r.end_to_end_seconds
        );
    }
    Ok(())
}
