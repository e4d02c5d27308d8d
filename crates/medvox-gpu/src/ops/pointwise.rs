//! Pointwise kernels: window/level, rescale, clamp, binary threshold, cast, and the
//! 0/1 mask conversions binary morphology uses; the min/max reduction of rescale.
//!
//! Definitions are the CPU's ([`medvox_filters::intensity`], [`medvox_filters::cast`],
//! [`medvox_segment::threshold`]), evaluated in f32 (the CPU evaluates window and
//! rescale in f64 and rounds once to f32: results agree to a few f32 ulps). Clamp,
//! threshold and cast give identical values: clamp bounds are first converted to
//! the pixel type on the host as the CPU does, cast rounds half away from zero and
//! saturates like [`medvox_core::Pixel::from_f64`].
//!
//! Bytes moved per voxel: 8 (one f32 read, one f32 write). `min_max` reads 4.

use medvox_core::PixelType;
use medvox_filters::{ClampParams, RescaleParams, WindowParams};

use crate::context::{GpuContext, Uniform};
use crate::error::Result;
use crate::volume::GpuVolume;

const SRC: &str = include_str!("pointwise.wgsl");
const KEY: &str = "pointwise";

/// Bytes read and written per voxel by every pointwise kernel.
pub const BYTES_PER_VOXEL: u64 = 8;

fn run(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    entry: &'static str,
    src: &GpuVolume,
    out: PixelType,
    u: Uniform,
) -> GpuVolume {
    let dst = GpuVolume::like(ctx, src, out);
    let n = src.len() as u32;
    let u = Uniform {
        dims: [
            src.size()[0] as u32,
            src.size()[1] as u32,
            src.size()[2] as u32,
            n,
        ],
        ..u
    };
    let pipe = ctx.pipeline(KEY, SRC, entry);
    ctx.dispatch(enc, &pipe, &u, &src.buffer, &dst.buffer, None, u64::from(n));
    dst
}

/// Window/level to f32 ([`medvox_filters::intensity::window`]).
pub fn window(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    p: &WindowParams,
) -> Result<GpuVolume> {
    for (name, v) in [
        ("center", p.center),
        ("width", p.width),
        ("output-min", p.output_min),
        ("output-max", p.output_max),
    ] {
        if !v.is_finite() || (name == "width" && v <= 0.0) {
            return Err(medvox_filters::FilterError::Parameter {
                op: "window",
                name,
                reason: format!("must be finite (width > 0), got {v}"),
            }
            .into());
        }
    }
    let lo = p.center - p.width / 2.0;
    let hi = p.center + p.width / 2.0;
    let scale = (p.output_max - p.output_min) / (hi - lo);
    let u = Uniform {
        fa: [
            lo as f32,
            hi as f32,
            p.output_min as f32,
            p.output_max as f32,
        ],
        fb: [scale as f32, 0.0, 0.0, 0.0],
        ..Default::default()
    };
    Ok(run(ctx, enc, "window", src, PixelType::F32, u))
}

/// `y = a + (x − x0)·scale` to f32.
pub fn affine(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    a: f64,
    x0: f64,
    scale: f64,
) -> GpuVolume {
    let u = Uniform {
        fa: [a as f32, x0 as f32, scale as f32, 0.0],
        ..Default::default()
    };
    run(ctx, enc, "affine", src, PixelType::F32, u)
}

/// Linear rescale of `[xmin, xmax]` (the volume's range) to `[p.min, p.max]`, f32 out.
pub fn rescale_with_range(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    p: &RescaleParams,
    range: Option<(f64, f64)>,
) -> GpuVolume {
    let (xmin, xmax) = range.unwrap_or((0.0, 0.0));
    let scale = if xmax > xmin {
        (p.max - p.min) / (xmax - xmin)
    } else {
        0.0
    };
    affine(ctx, enc, src, p.min, xmin, scale)
}

/// Clamp keeping the pixel type ([`medvox_filters::intensity::clamp`]).
pub fn clamp(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    p: &ClampParams,
) -> Result<GpuVolume> {
    let ty = src.pixel_type();
    let conv = |v: f64| medvox_core::for_pixel_type!(ty, T => medvox_core::Pixel::to_f64(<T as medvox_core::Pixel>::from_f64(v)));
    let lo = p.lower.unwrap_or(f64::NEG_INFINITY);
    let hi = p.upper.unwrap_or(f64::INFINITY);
    if lo.is_nan() || hi.is_nan() || lo > hi {
        // The CPU op reports the parameter error.
        return Err(crate::error::GpuError::Unsupported {
            op: "clamp".into(),
            reason: format!(": invalid bounds [{lo}, {hi}]"),
        });
    }
    let u = Uniform {
        ia: [
            i32::from(p.lower.is_some()),
            i32::from(p.upper.is_some()),
            0,
            0,
        ],
        fa: [lo as f32, hi as f32, 0.0, 0.0],
        fb: [
            if lo.is_finite() { conv(lo) as f32 } else { 0.0 },
            if hi.is_finite() { conv(hi) as f32 } else { 0.0 },
            0.0,
            0.0,
        ],
        ..Default::default()
    };
    Ok(run(ctx, enc, "clamp_op", src, ty, u))
}

/// `inside` where `lo <= x <= hi`, else `outside`, as pixel type `out`.
#[allow(clippy::too_many_arguments)]
pub fn threshold(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    lo: f64,
    hi: f64,
    inside: f64,
    outside: f64,
    out: PixelType,
) -> GpuVolume {
    let u = Uniform {
        fa: [lo as f32, hi as f32, inside as f32, outside as f32],
        ..Default::default()
    };
    run(ctx, enc, "threshold", src, out, u)
}

/// Converts to pixel type `to` with the CPU's rounding and saturation.
pub fn cast(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    to: PixelType,
) -> GpuVolume {
    let (int, lo, hi) = match to {
        PixelType::U8 => (1, 0.0, 255.0),
        PixelType::I8 => (1, -128.0, 127.0),
        PixelType::U16 => (1, 0.0, 65535.0),
        PixelType::I16 => (1, -32768.0, 32767.0),
        PixelType::U32 => (1, 0.0, 4_294_967_295.0),
        PixelType::I32 => (1, -2_147_483_648.0, 2_147_483_647.0),
        _ => (0, 0.0, 0.0),
    };
    let u = Uniform {
        ia: [int, 0, 0, 0],
        fa: [lo as f32, hi as f32, 0.0, 0.0],
        ..Default::default()
    };
    run(ctx, enc, "cast_to", src, to, u)
}

/// 0/1 mask of `x == fg` (f32).
pub fn binarize(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    fg: f64,
) -> GpuVolume {
    let u = Uniform {
        fa: [fg as f32, 0.0, 0.0, 0.0],
        ..Default::default()
    };
    run(ctx, enc, "binarize", src, PixelType::F32, u)
}

/// A 0/1 mask to `0/fg` in pixel type `out`.
pub fn unbinarize(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    src: &GpuVolume,
    fg: f64,
    out: PixelType,
) -> GpuVolume {
    let u = Uniform {
        fa: [fg as f32, 0.0, 0.0, 0.0],
        ..Default::default()
    };
    run(ctx, enc, "unbinarize", src, out, u)
}

/// Minimum and maximum of the non-NaN voxels (`None` when there is none); submits
/// the pending work of `enc` and reads back one pair per workgroup.
pub fn min_max(
    ctx: &GpuContext,
    enc: wgpu::CommandEncoder,
    src: &GpuVolume,
) -> Result<(wgpu::CommandEncoder, Option<(f64, f64)>)> {
    let mut enc = enc;
    let n = src.len() as u64;
    let groups = n.div_ceil(256).clamp(1, 1024);
    let part = ctx.storage(groups * 8);
    let u = Uniform {
        dims: [groups as u32, 1, 1, n as u32],
        ..Default::default()
    };
    let pipe = ctx.pipeline(KEY, SRC, "min_max");
    ctx.dispatch(&mut enc, &pipe, &u, &src.buffer, &part, None, groups * 256);
    ctx.submit(enc)?;
    let v: Vec<f32> = bytemuck::pod_collect_to_vec(&ctx.read(&part, groups * 8)?);
    let (lo, hi) = v
        .chunks_exact(2)
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), c| {
            (l.min(c[0]), h.max(c[1]))
        });
    Ok((
        ctx.encoder(),
        (lo <= hi).then_some((f64::from(lo), f64::from(hi))),
    ))
}
