//! [`ComputeBackend`]: one interface for the CPU (rayon) and GPU paths, and the
//! [`Device`] choice `cpu | gpu | auto`.
//!
//! The CPU backend runs [`Filter::apply`] (the reference). The GPU backend runs the
//! kernels of [`crate::ops`]; a volume larger than one storage binding is processed
//! in z-slab tiles planned by [`BlockPlan::slabs`] with the op's halo (the CPU
//! engine's plan), streamed two at a time (`stream`): tile `i + 1` computes while
//! tile `i`'s interior is read back.

use std::time::Instant;

use medvox_core::{AnyVolume, BlockPlan, Executor, Geometry, Pixel, PixelType};
use medvox_filters::{Filter, MorphOp};

use crate::context::GpuContext;
use crate::error::{GpuError, Result};
use crate::ops;
use crate::stream::{stream, Produced};
use crate::volume::{check_type, from_f32, slab_f32, GpuVolume};

/// Registry op names with a GPU kernel (for some or all parameters: see
/// [`GpuBackend::check`]); `medvox ops` lists `gpu` among their devices.
pub const KERNELS: &[&str] = &[
    "gaussian",
    "mean",
    "median",
    "gradient-magnitude",
    "sobel",
    "erode",
    "dilate",
    "open",
    "close",
    "window",
    "rescale",
    "clamp",
    "cast",
    "resample",
    "equalize",
    "otsu",
    "components",
];

/// A device that runs filters on host volumes.
pub trait ComputeBackend {
    /// `cpu` or `gpu`.
    fn name(&self) -> &'static str;
    /// Whether `filter` runs here on a volume of pixel type `ty`.
    fn supports(&self, filter: &Filter, ty: PixelType) -> bool;
    /// Runs `filter` on `vol`.
    fn apply(&self, filter: &Filter, vol: &AnyVolume) -> Result<AnyVolume>;
}

/// The CPU reference: [`Filter::apply`] on an [`Executor`].
#[derive(Debug, Clone, Default)]
pub struct CpuBackend {
    /// Thread pool and block plans.
    pub exec: Executor,
}

impl ComputeBackend for CpuBackend {
    fn name(&self) -> &'static str {
        "cpu"
    }
    fn supports(&self, _: &Filter, _: PixelType) -> bool {
        true
    }
    fn apply(&self, filter: &Filter, vol: &AnyVolume) -> Result<AnyVolume> {
        Ok(filter.apply(vol, &self.exec)?)
    }
}

/// Which device runs an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    /// The CPU reference.
    #[default]
    Cpu,
    /// The GPU; an error when there is no adapter or no kernel for the op.
    Gpu,
    /// The GPU when an adapter exists and the op has a kernel, else the CPU.
    Auto,
}

impl std::str::FromStr for Device {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "cpu" => Ok(Device::Cpu),
            "gpu" => Ok(Device::Gpu),
            "auto" => Ok(Device::Auto),
            _ => Err(format!("unknown device {s:?} (cpu, gpu, auto)")),
        }
    }
}

/// Picks the backend for `filter` on `vol`; the string says which and why.
pub fn select(
    device: Device,
    filter: &Filter,
    vol: &AnyVolume,
    exec: &Executor,
) -> Result<(Box<dyn ComputeBackend>, String)> {
    let cpu = || Box::new(CpuBackend { exec: exec.clone() }) as Box<dyn ComputeBackend>;
    match device {
        Device::Cpu => Ok((cpu(), "device: cpu".into())),
        Device::Gpu => {
            let gpu = GpuBackend::new()?;
            gpu.check(filter, vol)?;
            let note = format!("device: gpu ({})", gpu.ctx.info().name);
            Ok((Box::new(gpu), note))
        }
        Device::Auto => match GpuBackend::new() {
            Err(e) => Ok((cpu(), format!("device: cpu ({e})"))),
            Ok(gpu) => match gpu.check(filter, vol) {
                Err(e) => Ok((cpu(), format!("device: cpu ({e})"))),
                Ok(()) => {
                    let note = format!("device: gpu ({})", gpu.ctx.info().name);
                    Ok((Box::new(gpu), note))
                }
            },
        },
    }
}

/// The GPU backend: a [`GpuContext`] and the kernels of [`crate::ops`].
#[derive(Debug)]
pub struct GpuBackend {
    ctx: GpuContext,
}

/// Kernel and end-to-end times of one op (see [`GpuBackend::time`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct GpuTiming {
    /// Median seconds of the op on resident data (GPU timestamps when the adapter
    /// has them, else submit until the device is idle; NaN when the volume needs tiles).
    pub kernel_seconds: f64,
    /// Median seconds of upload + op + download.
    pub end_to_end_seconds: f64,
    /// Every kernel time.
    pub kernel_times: Vec<f64>,
    /// Every end-to-end time.
    pub end_to_end_times: Vec<f64>,
    /// How kernel time was measured.
    pub kernel_timer: &'static str,
    /// Bytes the op reads and writes per voxel (ideal caching), for GB/s.
    pub bytes_per_voxel: u64,
    /// Tiles per run (1 when the volume fits one binding).
    pub tiles: usize,
}

/// Kernel time from GPU timestamps: start of the first pass to end of the last.
const TIMESTAMPS: &str = "gpu timestamps (first pass start to last pass end), data resident";
/// Kernel time by the host clock.
const WALL: &str = "wall clock of submit + wait, data resident";

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

impl GpuBackend {
    /// Opens the preferred adapter ([`GpuContext::new`]).
    pub fn new() -> Result<Self> {
        Ok(GpuBackend {
            ctx: GpuContext::new()?,
        })
    }

    /// A backend on a given context.
    pub fn from_context(ctx: GpuContext) -> Self {
        GpuBackend { ctx }
    }

    /// The context (adapter, limits, pipelines).
    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    /// Whether `filter` has a GPU kernel (for these parameters).
    pub fn has_kernel(filter: &Filter) -> bool {
        match filter {
            Filter::Gaussian(_)
            | Filter::Mean(_)
            | Filter::GradientMagnitude(_)
            | Filter::Sobel
            | Filter::Erode(_)
            | Filter::Dilate(_)
            | Filter::Open(_)
            | Filter::Close(_)
            | Filter::Window(_)
            | Filter::Rescale(_)
            | Filter::Clamp(_)
            | Filter::Cast(_) => true,
            Filter::Median(p) => ops::median::supported(p),
            Filter::Resample(p) => ops::resample::supported(p),
            Filter::Equalize(p) => ops::equalize::supported(p),
            _ => false,
        }
    }

    /// Errors unless `filter` has a kernel and `vol`'s pixel type fits the GPU.
    pub fn check(&self, filter: &Filter, vol: &AnyVolume) -> Result<()> {
        if !Self::has_kernel(filter) {
            return Err(GpuError::Unsupported {
                op: filter.name().into(),
                reason: match filter {
                    Filter::Median(_) => ": the GPU median handles windows up to 125 voxels".into(),
                    Filter::Resample(_) => {
                        ": the GPU resamples with nearest and linear only".into()
                    }
                    Filter::Equalize(_) => ": the GPU equalises without a mask".into(),
                    _ => " (use --device cpu or auto)".into(),
                },
            });
        }
        if let Filter::Equalize(_) = filter {
            ops::equalize::check_type(vol.pixel_type())?;
        }
        check_type(vol)
    }

    /// Bytes moved per voxel by `filter` (documented in each op file), for GB/s.
    pub fn bytes_per_voxel(filter: &Filter, g: &Geometry) -> u64 {
        use ops::*;
        let passes = |r: [usize; 3]| r.iter().filter(|&&x| x > 0).count().max(1) as u64;
        match filter {
            Filter::Gaussian(p) => {
                separable::BYTES_PER_VOXEL_PASS * passes(p.radius(g).unwrap_or([1; 3]))
            }
            Filter::Mean(p) => separable::BYTES_PER_VOXEL_PASS * passes(p.radius),
            Filter::Median(_) => median::BYTES_PER_VOXEL,
            Filter::GradientMagnitude(_) => gradient::BYTES_PER_VOXEL,
            Filter::Sobel => sobel::BYTES_PER_VOXEL,
            Filter::Erode(p) | Filter::Dilate(p) | Filter::Open(p) | Filter::Close(p) => {
                let per = match p.kernel {
                    medvox_filters::Kernel::Box => passes(p.radius),
                    medvox_filters::Kernel::Ball => 1,
                };
                let twice = matches!(filter, Filter::Open(_) | Filter::Close(_));
                morphology::BYTES_PER_VOXEL_PASS * per * if twice { 2 } else { 1 }
                    + if p.binary { 16 } else { 0 }
            }
            Filter::Rescale(_) => pointwise::BYTES_PER_VOXEL + 4,
            Filter::Resample(_) => resample::BYTES_PER_VOXEL,
            Filter::Equalize(_) => equalize::BYTES_PER_VOXEL,
            _ => pointwise::BYTES_PER_VOXEL,
        }
    }

    /// Halo (voxels per axis) a tile needs for `filter`.
    pub fn halo(filter: &Filter, g: &Geometry) -> Result<[usize; 3]> {
        Ok(match filter {
            Filter::Gaussian(p) => p.radius(g)?,
            Filter::Mean(p) => p.halo()?,
            Filter::Median(p) => p.radius,
            Filter::GradientMagnitude(_) | Filter::Sobel => [1; 3],
            Filter::Erode(p) => ops::morphology::halo(MorphOp::Erode, p),
            Filter::Dilate(p) => ops::morphology::halo(MorphOp::Dilate, p),
            Filter::Open(p) => ops::morphology::halo(MorphOp::Open, p),
            Filter::Close(p) => ops::morphology::halo(MorphOp::Close, p),
            _ => [0; 3],
        })
    }

    /// Runs `filter` on a device-resident volume (one submit; rescale reads its
    /// min/max back first). `range` overrides rescale's min/max (tiles use the
    /// whole volume's).
    pub fn run_with(
        &self,
        filter: &Filter,
        v: &GpuVolume,
        range: Option<Option<(f64, f64)>>,
    ) -> Result<GpuVolume> {
        let ctx = &self.ctx;
        let range = match (filter, range) {
            (Filter::Rescale(p), None) => {
                check_rescale(p)?;
                let (enc, r) = ops::pointwise::min_max(ctx, ctx.encoder(), v)?;
                drop(enc);
                Some(r)
            }
            (_, r) => r,
        };
        let mut enc = ctx.encoder();
        let out = self.record(filter, &mut enc, v, range)?;
        ctx.queue.submit([enc.finish()]);
        Ok(out)
    }

    /// Records `filter`'s passes on `v` into `enc` (rescale needs `range`: the
    /// min/max it maps from).
    fn record(
        &self,
        filter: &Filter,
        enc: &mut wgpu::CommandEncoder,
        v: &GpuVolume,
        range: Option<Option<(f64, f64)>>,
    ) -> Result<GpuVolume> {
        let ctx = &self.ctx;
        Ok(match filter {
            Filter::Gaussian(p) => ops::separable::gaussian(ctx, enc, v, p)?,
            Filter::Mean(p) => ops::separable::mean(ctx, enc, v, p)?,
            Filter::Median(p) => ops::median::median(ctx, enc, v, p)?,
            Filter::GradientMagnitude(p) => ops::gradient::gradient_magnitude(ctx, enc, v, p),
            Filter::Sobel => ops::sobel::sobel(ctx, enc, v),
            Filter::Erode(p) => ops::morphology::morphology(ctx, enc, v, MorphOp::Erode, p)?,
            Filter::Dilate(p) => ops::morphology::morphology(ctx, enc, v, MorphOp::Dilate, p)?,
            Filter::Open(p) => ops::morphology::morphology(ctx, enc, v, MorphOp::Open, p)?,
            Filter::Close(p) => ops::morphology::morphology(ctx, enc, v, MorphOp::Close, p)?,
            Filter::Window(p) => ops::pointwise::window(ctx, enc, v, p)?,
            Filter::Clamp(p) => ops::pointwise::clamp(ctx, enc, v, p)?,
            Filter::Cast(p) => ops::pointwise::cast(ctx, enc, v, p.pixel_type),
            Filter::Rescale(p) => {
                check_rescale(p)?;
                let range = range.expect("rescale is recorded with its range");
                ops::pointwise::rescale_with_range(ctx, enc, v, p, range)
            }
            _ => {
                return Err(GpuError::Unsupported {
                    op: filter.name().into(),
                    reason: String::new(),
                })
            }
        })
    }

    /// [`GpuBackend::run_with`] with the volume's own statistics.
    pub fn run(&self, filter: &Filter, v: &GpuVolume) -> Result<GpuVolume> {
        self.run_with(filter, v, None)
    }

    /// Voxels per tile and the plan, or `None` when the volume fits one binding.
    fn tiles(&self, filter: &Filter, vol: &AnyVolume) -> Result<Option<BlockPlan>> {
        let cap = (self.ctx.max_binding() / 4) as usize;
        if vol.len() <= cap {
            return Ok(None);
        }
        let s = vol.size();
        let plane = s[0] * s[1];
        let halo = Self::halo(filter, vol.geometry())?;
        let planes = cap / plane.max(1);
        if planes < 2 * halo[2] + 1 {
            return Err(GpuError::TooLarge {
                what: format!(
                    "{}: a z-slab of {} planes of {}×{} voxels",
                    filter.name(),
                    2 * halo[2] + 1,
                    s[0],
                    s[1]
                ),
                bytes: ((2 * halo[2] + 1) * plane * 4) as u64,
                limit: self.ctx.max_binding(),
            });
        }
        let depth = planes - 2 * halo[2];
        Ok(Some(BlockPlan::slabs(s, depth, [0, 0, halo[2]])?))
    }

    /// Runs on the host volume with a timing of every phase; returns the result.
    fn apply_timed(&self, filter: &Filter, vol: &AnyVolume) -> Result<(AnyVolume, usize)> {
        self.check(filter, vol)?;
        let ctx = &self.ctx;
        if let Filter::Resample(p) = filter {
            return ops::resample::resample(ctx, vol, p);
        }
        if let Filter::Equalize(p) = filter {
            return Ok((ops::equalize::equalize(ctx, vol, p)?, 1));
        }
        let Some(plan) = self.tiles(filter, vol)? else {
            let v = GpuVolume::upload(ctx, vol)?;
            let out = self.run(filter, &v)?;
            return Ok((out.download(ctx)?, 1));
        };
        let range = match filter {
            Filter::Rescale(_) => Some(host_range(vol)),
            _ => None,
        };
        let s = vol.size();
        let plane = s[0] * s[1];
        let mut out = vec![0f32; vol.len()];
        let mut ty = PixelType::F32;
        let blocks = plan.blocks();
        let record = |i: usize, enc: &mut wgpu::CommandEncoder| {
            let b = &blocks[i];
            let (z0, zs) = (b.padded.start[2], b.padded.size[2]);
            let tile = GpuVolume::from_f32(
                ctx,
                [s[0], s[1], zs],
                &slab_f32(vol, z0, z0 + zs),
                *vol.geometry(),
                vol.pixel_type(),
            )?;
            let r = self.record(filter, enc, &tile, range)?;
            ty = r.pixel_type();
            let off = ((b.interior.start[2] - z0) * plane * 4) as u64;
            let len = (b.interior.size[2] * plane * 4) as u64;
            Ok(Produced {
                buffer: r.buffer,
                bytes: off..off + len,
            })
        };
        stream(ctx, blocks.len(), record, |i, res: &[f32]| {
            let b = &blocks[i].interior;
            out[b.start[2] * plane..(b.start[2] + b.size[2]) * plane].copy_from_slice(res);
            Ok(())
        })?;
        Ok((from_f32(s, out, *vol.geometry(), ty)?, blocks.len()))
    }

    /// Times `filter` on `vol`: `repeat` runs on resident data (kernel time: submit
    /// until idle, wall clock) and `repeat` full upload + op + download runs, each
    /// after one warm-up.
    pub fn time(&self, filter: &Filter, vol: &AnyVolume, repeat: usize) -> Result<GpuTiming> {
        let repeat = repeat.max(1);
        let ctx = &self.ctx;
        let (_, tiles) = self.apply_timed(filter, vol)?; // warm-up, pipelines compiled
        let mut e2e = Vec::with_capacity(repeat);
        for _ in 0..repeat {
            let t = Instant::now();
            std::hint::black_box(self.apply_timed(filter, vol)?);
            e2e.push(t.elapsed().as_secs_f64());
        }
        let mut kernel = Vec::with_capacity(repeat);
        let mut timer = WALL;
        // The op on resident data (resample: its kernel over the whole output).
        let resample = match filter {
            Filter::Resample(p) => Some(ops::resample::resampler(vol, p)?),
            _ => None,
        };
        let resident = |v: &GpuVolume| match &resample {
            Some(r) => {
                let mut enc = ctx.encoder();
                let out = r.record(ctx, &mut enc, v, 0, 0, r.grid().size[2]);
                ctx.queue.submit([enc.finish()]);
                Ok(out)
            }
            None => self.run(filter, v),
        };
        // Equalize runs host-driven steps (histogram read back): end-to-end only.
        let resident_op = !matches!(filter, Filter::Equalize(_));
        if resident_op && tiles == 1 && vol.len() as u64 * 4 <= ctx.max_binding() {
            let v = GpuVolume::upload(ctx, vol)?;
            ctx.wait()?;
            for _ in 0..repeat {
                let timed = ctx.start_timer();
                let t = Instant::now();
                let out = resident(&v)?;
                ctx.wait()?;
                let wall = t.elapsed().as_secs_f64();
                let gpu = if timed { ctx.stop_timer()? } else { None };
                timer = if gpu.is_some() { TIMESTAMPS } else { WALL };
                kernel.push(gpu.unwrap_or(wall));
                drop(out);
            }
        }
        Ok(GpuTiming {
            kernel_seconds: if kernel.is_empty() {
                f64::NAN
            } else {
                median(&kernel)
            },
            end_to_end_seconds: median(&e2e),
            kernel_times: kernel,
            end_to_end_times: e2e,
            kernel_timer: timer,
            bytes_per_voxel: Self::bytes_per_voxel(filter, vol.geometry()),
            tiles,
        })
    }
}

/// Errors unless rescale's output bounds are finite.
fn check_rescale(p: &medvox_filters::RescaleParams) -> Result<()> {
    for (name, x) in [("min", p.min), ("max", p.max)] {
        if !x.is_finite() {
            return Err(medvox_filters::FilterError::Parameter {
                op: "rescale",
                name,
                reason: format!("must be finite, got {x}"),
            }
            .into());
        }
    }
    Ok(())
}

/// Min and max of the non-NaN voxels as f32 (the GPU reduction's result on one tile).
fn host_range(vol: &AnyVolume) -> Option<(f64, f64)> {
    let (lo, hi) = medvox_core::with_volume!(vol, v => v.as_slice().iter().fold(
        (f32::INFINITY, f32::NEG_INFINITY),
        |(l, h), x| {
            let x = x.to_f64() as f32;
            if x.is_nan() { (l, h) } else { (l.min(x), h.max(x)) }
        },
    ));
    (lo <= hi).then_some((f64::from(lo), f64::from(hi)))
}

impl ComputeBackend for GpuBackend {
    fn name(&self) -> &'static str {
        "gpu"
    }
    fn supports(&self, filter: &Filter, ty: PixelType) -> bool {
        let float_ok = !matches!(filter, Filter::Equalize(_));
        Self::has_kernel(filter) && ty != PixelType::F64 && (float_ok || !ty.is_float())
    }
    fn apply(&self, filter: &Filter, vol: &AnyVolume) -> Result<AnyVolume> {
        Ok(self.apply_timed(filter, vol)?.0)
    }
}
