//! Pixel-type conversion.
//!
//! The result is that of going through f64 (exact for every medvox type) and then to
//! the target type by [`Pixel::from_f64`]: integers round half away from zero, clamp
//! to the type's range and map NaN to 0; f64 → f32 rounds to nearest. Geometry is
//! kept. The loops take shortcuts with the same result: integer and float sources
//! convert with one saturating `as` when the value is already whole or the target is
//! a float, f32 → 8/16-bit integers clamp then round in f32/i32 (exact: the bounds
//! are f32 values), f32 → 32-bit integers round as `trunc(x + ½·sign x)` in f64
//! (exact for f32); only f64 → integer calls `from_f64` per voxel.
//!
//! SimpleITK `Cast` (a C++ `static_cast`) agrees wherever the value is already
//! representable (in-range integers, integer → float, float → float); it differs
//! for fractional or out-of-range values: ITK truncates towards zero and does not
//! clamp (out-of-range is undefined behaviour in C++), medvox rounds and saturates.
//!
//! * **Types**: any pixel type in, the chosen one out; casting to the same type is a copy.
//! * **Blocks**: halo 0; identical results for every plan and thread count.
//!
//! ```
//! use medvox_core::{Executor, Geometry, PixelType, Volume};
//! use medvox_filters::cast::{cast, CastParams};
//! let v = Volume::from_vec([4, 1, 1], vec![-2.5f32, 0.4, 254.6, 1e9], Geometry::default()).unwrap();
//! let c = cast(&v.into(), &CastParams { pixel_type: PixelType::U8 }, &Executor::default()).unwrap();
//! assert_eq!(c.to_volume::<u8>().as_slice(), &[0, 0, 255, 255]);
//! ```

use medvox_core::{AnyVolume, BlockPlan, Executor, Pixel, PixelType, Volume};

use crate::error::Result;
use crate::plan::check_plan;

const OP: &str = "cast";

/// Parameters of [`cast`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CastParams {
    /// The output pixel type.
    pub pixel_type: PixelType,
}

/// Converts `vol` to `U` on a given block plan (halo 0 is enough).
pub fn cast_with_plan<T: Pixel, U: Pixel>(
    vol: &Volume<T>,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<U>> {
    check_plan(OP, vol, plan, [0; 3])?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    Ok(exec.map_blocks(vol, plan, |bi, mut out| {
        match (bi.data.as_slice(), out.as_slice_mut()) {
            (Some(src), Some(dst)) => convert(src, dst),
            _ => ndarray::Zip::from(&mut out)
                .and(&bi.data)
                .for_each(|o, &x| *o = U::from_f64(x.to_f64())),
        }
    }))
}

/// `dst[i] = U::from_f64(src[i].to_f64())`, by the shortcuts of the module docs.
fn convert<T: Pixel, U: Pixel>(src: &[T], dst: &mut [U]) {
    let int = |t: PixelType| !matches!(t, PixelType::F32 | PixelType::F64);
    match (T::TYPE, int(U::TYPE)) {
        (PixelType::F64, true) => {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = U::from_f64(s.to_f64());
            }
        }
        (PixelType::F32, true) if U::TYPE.size() <= 2 => {
            // The bounds of 8- and 16-bit types are f32 values: clamp, truncate and
            // round in f32 and i32 (exact; vectorises).
            let (lo, hi) = (U::MIN as f32, U::MAX as f32);
            for (d, &s) in dst.iter_mut().zip(src) {
                let x = s.to_f64() as f32;
                let c = if x.is_nan() { 0.0 } else { x.clamp(lo, hi) };
                // SAFETY: c is finite and within an 8/16-bit range.
                let t: i32 = unsafe { c.to_int_unchecked() };
                let f = c - t as f32;
                *d = small(t + i32::from(f >= 0.5) - i32::from(f <= -0.5));
            }
        }
        (PixelType::F32, true) => {
            for (d, &s) in dst.iter_mut().zip(src) {
                let v = s.to_f64();
                *d = whole(v + 0.5f64.copysign(v));
            }
        }
        _ => {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = whole(s.to_f64());
            }
        }
    }
}

/// `match U::TYPE` with one arm per listed type giving `v as $t` reinterpreted as
/// `U`, then the caller's remaining arms.
macro_rules! as_pixel {
    ($v:expr => $U:ty { $($tag:ident: $t:ty),* } $($rest:tt)*) => {
        match <$U as Pixel>::TYPE {
            $(PixelType::$tag => {
                assert_eq!(std::mem::size_of::<$t>(), std::mem::size_of::<$U>());
                // SAFETY: same size, and `U: Pixel` is `Pod`: every bit pattern is a `U`.
                unsafe { std::mem::transmute_copy::<$t, $U>(&($v as $t)) }
            })*
            $($rest)*
        }
    };
}

/// `v as U`: truncates towards zero and saturates for integers (NaN → 0), rounds to
/// nearest for f32; equal to `U::from_f64(v)` for a whole `v` or a float `U`.
#[inline(always)]
fn whole<U: Pixel>(v: f64) -> U {
    as_pixel!(v => U { U8: u8, I8: i8, U16: u16, I16: i16, U32: u32, I32: i32, F32: f32, F64: f64 })
}

/// `v as U` for an 8- or 16-bit integer `U` and a `v` in its range.
#[inline(always)]
fn small<U: Pixel>(v: i32) -> U {
    as_pixel!(v => U { U8: u8, I8: i8, U16: u16, I16: i16 }
        _ => unreachable!("small() is only called for 8- and 16-bit types"))
}

/// Converts a volume of any pixel type to `params.pixel_type` (see the module docs).
pub fn cast(vol: &AnyVolume, params: &CastParams, exec: &Executor) -> Result<AnyVolume> {
    if vol.pixel_type() == params.pixel_type {
        return Ok(vol.clone());
    }
    medvox_core::with_volume!(vol, v => {
        let plan = exec.plan(v.size(), [0; 3]);
        medvox_core::for_pixel_type!(params.pixel_type, U => Ok(AnyVolume::from(cast_with_plan::<_, U>(v, exec, &plan)?)))
    })
}
