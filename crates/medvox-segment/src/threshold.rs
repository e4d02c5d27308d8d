//! Binary threshold: 1 where `lower ≤ value ≤ upper` (both inclusive; either
//! bound may be left open), 0 elsewhere and for NaN; `u8` out, any pixel type
//! in. Matches SimpleITK `BinaryThreshold(lower, upper, insideValue=1,
//! outsideValue=0)`, including its conversion of the bounds to the pixel type
//! ([`to_pixel`]: f32 rounding, toward zero for integer types, saturating).

use medvox_core::{AnyVolume, Executor, Pixel, Volume};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, SegmentError};

/// Parameters of [`threshold`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThresholdParams {
    /// Smallest value inside (none: no lower bound).
    pub lower: Option<f64>,
    /// Largest value inside (none: no upper bound).
    pub upper: Option<f64>,
}

impl ThresholdParams {
    /// Checks the bounds (not NaN, lower ≤ upper, at least one given).
    pub fn validate(&self, op: &'static str) -> Result<(f64, f64)> {
        let bad = |name, reason: String| SegmentError::Parameter { op, name, reason };
        if self.lower.is_none() && self.upper.is_none() {
            return Err(bad("lower", "give --lower, --upper or both".into()));
        }
        let lo = self.lower.unwrap_or(f64::NEG_INFINITY);
        let hi = self.upper.unwrap_or(f64::INFINITY);
        if lo.is_nan() || hi.is_nan() {
            return Err(bad("lower", "bounds must not be NaN".into()));
        }
        if lo > hi {
            return Err(bad("lower", format!("lower {lo} is above upper {hi}")));
        }
        Ok((lo, hi))
    }
}

/// A value converted to pixel type `T` as ITK's `static_cast` does (f32
/// rounding; integers truncated toward zero and saturated), back as f64.
pub fn to_pixel<T: Pixel>(v: f64) -> f64 {
    if T::TYPE.is_float() {
        T::from_f64(v).to_f64()
    } else {
        T::from_f64(v.trunc()).to_f64()
    }
}

/// `out[i] = f(vol[i])` in parallel (element-wise, so independent of threads).
pub(crate) fn map_mask<T: Pixel>(
    vol: &Volume<T>,
    exec: &Executor,
    f: impl Fn(f64) -> u8 + Sync + Send,
) -> Volume<u8> {
    let mut out = vol.zeros_like::<u8>();
    let src = vol.as_slice();
    exec.install(|| {
        out.as_slice_mut()
            .par_chunks_mut(1 << 16)
            .zip(src.par_chunks(1 << 16))
            .for_each(|(o, s)| {
                for (o, &v) in o.iter_mut().zip(s) {
                    *o = f(v.to_f64());
                }
            })
    });
    out
}

/// Binary threshold of a typed volume.
pub fn threshold<T: Pixel>(
    vol: &Volume<T>,
    p: &ThresholdParams,
    exec: &Executor,
) -> Result<Volume<u8>> {
    let (lo, hi) = p.validate("threshold")?;
    let (lo, hi) = (to_pixel::<T>(lo), to_pixel::<T>(hi));
    Ok(map_mask(vol, exec, |v| u8::from(v >= lo && v <= hi)))
}

/// Binary threshold of a volume of any pixel type.
pub fn threshold_any(vol: &AnyVolume, p: &ThresholdParams, exec: &Executor) -> Result<Volume<u8>> {
    medvox_core::with_volume!(vol, v => threshold(v, p, exec))
}

/// 1 where a voxel of `vol` is non-zero (NaN counts as non-zero), else 0.
pub fn nonzero(vol: &AnyVolume, exec: &Executor) -> Volume<u8> {
    medvox_core::with_volume!(vol, v => map_mask(v, exec, |x| u8::from(x != 0.0)))
}
