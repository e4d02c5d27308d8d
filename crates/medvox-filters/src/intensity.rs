//! Pointwise intensity transforms: window/level, rescale, clamp and z-score.
//!
//! | op | formula | output |
//! | --- | --- | --- |
//! | `window` | `lo = C − W/2`, `hi = C + W/2`; `y = o_min + (o_max − o_min)·clamp((x − lo)/W, 0, 1)` | f32, default range **[0, 1]** |
//! | `rescale` | `y = min + (max − min)·(x − x_min)/(x_max − x_min)` (x_min/x_max over the volume) | f32 |
//! | `clamp` | `y = min(max(x, lower), upper)` | input type |
//! | `zscore` | `y = (x − mean)/std`, population std (ddof = 0), over the volume or the voxels of a mask ≠ 0 | f32 |
//!
//! * `window` is SimpleITK's `IntensityWindowing(img, windowMinimum=C−W/2,
//!   windowMaximum=C+W/2, outputMinimum, outputMaximum)` (W > 0); the output range
//!   defaults to f32 [0, 1] (give `output_max = 255` for display bytes).
//! * `rescale` of a constant volume gives `min` everywhere (ITK's filter divides by
//!   zero there); NaN voxels are ignored by the statistics and stay NaN.
//! * `clamp` works in f64 and converts back to the input type (integers: bounds
//!   rounded half away from zero and saturated to the type's range). NaN stays NaN.
//! * `zscore` uses the deterministic reductions of [`medvox_core::stats`] (the
//!   result never depends on the thread count); with a mask, mean and std are over
//!   the voxels where the mask is ≠ 0 but every voxel is transformed. std = 0 gives
//!   `x − mean`. With no voxel to average, every output is 0.
//! * Computation in f64, rounded once to the output type. Blocks: halo 0.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::intensity::{window, WindowParams};
//! let v = Volume::from_vec([4, 1, 1], vec![-100i16, 0, 40, 500], Geometry::default()).unwrap();
//! let w = window(&v, &WindowParams::new(40.0, 80.0), &Executor::default()).unwrap();
//! assert_eq!(w.as_slice(), &[0.0f32, 0.0, 0.5, 1.0]);
//! ```

use std::path::PathBuf;

use medvox_core::{AnyVolume, BlockPlan, Executor, Pixel, Volume};

use crate::error::{FilterError, Result};
use crate::pixel::FilterPixel;
use crate::plan::check_plan;

/// Halo of every pointwise op.
pub const HALO: [usize; 3] = [0, 0, 0];

fn param(op: &'static str, name: &'static str, reason: impl Into<String>) -> FilterError {
    FilterError::Parameter {
        op,
        name,
        reason: reason.into(),
    }
}

fn finite(op: &'static str, name: &'static str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(param(op, name, format!("must be finite, got {v}")))
    }
}

/// Applies `f` to every voxel on the block engine (halo 0).
fn pointwise<T: Pixel, U: Pixel>(
    op: &'static str,
    vol: &Volume<T>,
    exec: &Executor,
    plan: &BlockPlan,
    f: impl Fn(T) -> U + Sync + Send,
) -> Result<Volume<U>> {
    check_plan(op, vol, plan, HALO)?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    Ok(exec.map_blocks(vol, plan, |bi, mut out| {
        let src = bi.data.view();
        ndarray::Zip::from(&mut out)
            .and(&src)
            .for_each(|o, &x| *o = f(x));
    }))
}

// ---------------------------------------------------------------- window

/// Parameters of [`window`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WindowParams {
    /// Window centre (level), input units.
    pub center: f64,
    /// Window width (> 0), input units.
    pub width: f64,
    /// Output value at and below `center − width/2` (default 0).
    #[serde(default)]
    pub output_min: f64,
    /// Output value at and above `center + width/2` (default 1).
    #[serde(default = "one")]
    pub output_max: f64,
}

fn one() -> f64 {
    1.0
}

impl WindowParams {
    /// Centre and width, output range [0, 1].
    pub fn new(center: f64, width: f64) -> Self {
        WindowParams {
            center,
            width,
            output_min: 0.0,
            output_max: 1.0,
        }
    }

    fn check(&self) -> Result<()> {
        finite("window", "center", self.center)?;
        finite("window", "width", self.width)?;
        finite("window", "output-min", self.output_min)?;
        finite("window", "output-max", self.output_max)?;
        if self.width <= 0.0 {
            return Err(param(
                "window",
                "width",
                format!("must be > 0, got {}", self.width),
            ));
        }
        Ok(())
    }
}

/// Window/level to f32 (see the module docs).
pub fn window<T: Pixel>(
    vol: &Volume<T>,
    params: &WindowParams,
    exec: &Executor,
) -> Result<Volume<f32>> {
    window_with_plan(vol, params, exec, &exec.plan(vol.size(), HALO))
}

/// [`window`] on a given block plan.
pub fn window_with_plan<T: Pixel>(
    vol: &Volume<T>,
    params: &WindowParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<f32>> {
    params.check()?;
    let lo = params.center - params.width / 2.0;
    let hi = params.center + params.width / 2.0;
    let (omin, omax) = (params.output_min, params.output_max);
    let scale = (omax - omin) / (hi - lo);
    pointwise("window", vol, exec, plan, move |x: T| {
        let x = x.to_f64();
        let y = if x.is_nan() {
            f64::NAN
        } else if x <= lo {
            omin
        } else if x >= hi {
            omax
        } else {
            omin + (x - lo) * scale
        };
        y as f32
    })
}

/// [`window`] on a volume of any pixel type.
pub fn window_any(vol: &AnyVolume, params: &WindowParams, exec: &Executor) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(AnyVolume::from(window(v, params, exec)?)))
}

// ---------------------------------------------------------------- rescale

/// Parameters of [`rescale`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RescaleParams {
    /// Output value of the volume's minimum (default 0).
    #[serde(default)]
    pub min: f64,
    /// Output value of the volume's maximum (default 1).
    #[serde(default = "one")]
    pub max: f64,
}

impl Default for RescaleParams {
    fn default() -> Self {
        RescaleParams { min: 0.0, max: 1.0 }
    }
}

/// Linear rescale of the volume's [min, max] to `[params.min, params.max]`, f32 out.
pub fn rescale<T: Pixel>(
    vol: &Volume<T>,
    params: &RescaleParams,
    exec: &Executor,
) -> Result<Volume<f32>> {
    rescale_with_plan(vol, params, exec, &exec.plan(vol.size(), HALO))
}

/// [`rescale`] on a given block plan.
pub fn rescale_with_plan<T: Pixel>(
    vol: &Volume<T>,
    params: &RescaleParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<f32>> {
    finite("rescale", "min", params.min)?;
    finite("rescale", "max", params.max)?;
    check_plan("rescale", vol, plan, HALO)?;
    let (xmin, xmax) = match medvox_core::stats::stats(vol, exec) {
        Some(s) => (s.min, s.max),
        None => (0.0, 0.0),
    };
    let (a, b) = (params.min, params.max);
    let scale = if xmax > xmin {
        (b - a) / (xmax - xmin)
    } else {
        0.0
    };
    pointwise("rescale", vol, exec, plan, move |x: T| {
        (a + (x.to_f64() - xmin) * scale) as f32
    })
}

/// [`rescale`] on a volume of any pixel type.
pub fn rescale_any(vol: &AnyVolume, params: &RescaleParams, exec: &Executor) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(AnyVolume::from(rescale(v, params, exec)?)))
}

// ---------------------------------------------------------------- clamp

/// Parameters of [`clamp`]: either bound may be absent.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct ClampParams {
    /// Smallest output value.
    #[serde(default)]
    pub lower: Option<f64>,
    /// Largest output value.
    #[serde(default)]
    pub upper: Option<f64>,
}

/// Clamps every voxel to `[lower, upper]`, keeping the pixel type.
pub fn clamp<T: Pixel>(
    vol: &Volume<T>,
    params: &ClampParams,
    exec: &Executor,
) -> Result<Volume<T>> {
    clamp_with_plan(vol, params, exec, &exec.plan(vol.size(), HALO))
}

/// [`clamp`] on a given block plan.
pub fn clamp_with_plan<T: Pixel>(
    vol: &Volume<T>,
    params: &ClampParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T>> {
    let lo = params.lower.unwrap_or(f64::NEG_INFINITY);
    let hi = params.upper.unwrap_or(f64::INFINITY);
    if lo.is_nan() || hi.is_nan() {
        return Err(param("clamp", "lower/upper", "must not be NaN"));
    }
    if lo > hi {
        return Err(param(
            "clamp",
            "lower",
            format!("lower {lo} is above upper {hi}"),
        ));
    }
    pointwise("clamp", vol, exec, plan, move |x: T| {
        let v = x.to_f64();
        if v < lo {
            T::from_f64(lo)
        } else if v > hi {
            T::from_f64(hi)
        } else {
            x
        }
    })
}

/// [`clamp`] on a volume of any pixel type (the output keeps it).
pub fn clamp_any(vol: &AnyVolume, params: &ClampParams, exec: &Executor) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(clamp(v, params, exec)?)))
}

// ---------------------------------------------------------------- zscore

/// Parameters of [`zscore`] as a registered op: the optional mask is a file
/// (any format medvox reads, same size as the input; voxels ≠ 0 are inside).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct ZscoreParams {
    /// Mask image: mean and std are computed over its voxels ≠ 0.
    #[serde(default)]
    pub mask: Option<PathBuf>,
}

/// Mean and population std of the voxels of `vol` where `mask` (if any) is ≠ 0,
/// deterministic for every thread count. `None` when no voxel counts.
pub fn masked_mean_std<T: Pixel, M: Pixel>(
    vol: &Volume<T>,
    mask: Option<&Volume<M>>,
    exec: &Executor,
) -> Option<(f64, f64)> {
    let Some(mask) = mask else {
        return medvox_core::stats::stats(vol, exec).map(|s| (s.mean, s.std));
    };
    let data = vol.as_slice();
    let m = mask.as_slice();
    let base = data.as_ptr() as usize;
    let sz = std::mem::size_of::<T>().max(1);
    let offset = |c: &[T]| (c.as_ptr() as usize - base) / sz;
    let inside = |i: usize, x: f64| m[i].to_f64() != 0.0 && !x.is_nan();
    // Pass 1: count and sum over fixed chunks, merged in memory order.
    let (n, sum) = exec.reduce_chunks(
        data,
        |c| {
            let o = offset(c);
            let (mut n, mut s) = (0u64, 0.0f64);
            for (k, v) in c.iter().enumerate() {
                let x = v.to_f64();
                if inside(o + k, x) {
                    n += 1;
                    s += x;
                }
            }
            (n, s)
        },
        |a, b| (a.0 + b.0, a.1 + b.1),
    )?;
    if n == 0 {
        return None;
    }
    let mean = sum / n as f64;
    // Pass 2: sum of squared deviations.
    let m2 = exec.reduce_chunks(
        data,
        |c| {
            let o = offset(c);
            c.iter()
                .enumerate()
                .map(|(k, v)| (k, v.to_f64()))
                .filter(|&(k, x)| inside(o + k, x))
                .map(|(_, x)| (x - mean) * (x - mean))
                .sum::<f64>()
        },
        |a, b| a + b,
    )?;
    Some((mean, (m2 / n as f64).sqrt()))
}

/// Z-score normalisation `(x − mean)/std` over the whole volume, f32 out.
pub fn zscore<T: Pixel>(vol: &Volume<T>, exec: &Executor) -> Result<Volume<f32>> {
    zscore_with_plan::<T, u8>(vol, None, exec, &exec.plan(vol.size(), HALO))
}

/// Z-score normalisation with mean and std taken inside `mask` (voxels ≠ 0; same size).
pub fn zscore_masked<T: Pixel, M: Pixel>(
    vol: &Volume<T>,
    mask: &Volume<M>,
    exec: &Executor,
) -> Result<Volume<f32>> {
    zscore_with_plan(vol, Some(mask), exec, &exec.plan(vol.size(), HALO))
}

/// [`zscore`] / [`zscore_masked`] on a given block plan.
pub fn zscore_with_plan<T: Pixel, M: Pixel>(
    vol: &Volume<T>,
    mask: Option<&Volume<M>>,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<f32>> {
    if let Some(m) = mask {
        if m.size() != vol.size() {
            return Err(param(
                "zscore",
                "mask",
                format!(
                    "mask size {:?} differs from image size {:?}",
                    m.size(),
                    vol.size()
                ),
            ));
        }
    }
    check_plan("zscore", vol, plan, HALO)?;
    let ms = masked_mean_std(vol, mask, exec);
    let empty = ms.is_none();
    let (mean, std) = ms.unwrap_or((0.0, 0.0));
    let inv = if std > 0.0 { 1.0 / std } else { 1.0 };
    pointwise("zscore", vol, exec, plan, move |x: T| {
        if empty {
            0.0
        } else {
            ((x.to_f64() - mean) * inv) as f32
        }
    })
}

/// [`zscore`] on a volume of any pixel type; reads `params.mask` if given.
pub fn zscore_any(vol: &AnyVolume, params: &ZscoreParams, exec: &Executor) -> Result<AnyVolume> {
    let mask = match &params.mask {
        Some(p) => Some(crate::inputs::read_image("zscore", "mask", p)?),
        None => None,
    };
    medvox_core::with_volume!(vol, v => {
        let out = match &mask {
            None => zscore(v, exec)?,
            Some(m) => medvox_core::with_volume!(m, mv => zscore_masked(v, mv, exec)?),
        };
        Ok(AnyVolume::from(out))
    })
}
