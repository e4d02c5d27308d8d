//! Pixel-type plumbing shared by the filters: the float type a filter computes
//! in ([`FilterPixel::Float`]: f64 for f64 input, f32 for every other type) and
//! the conversion of a typed result back to an [`AnyVolume`].

use std::ops::{Add, AddAssign, Mul, Sub};

use medvox_core::{AnyVolume, Pixel, Volume};

/// A pixel type the filters accept (all eight medvox pixel types).
pub trait FilterPixel: Pixel {
    /// The float type filters compute in and return: f64 for f64 input, f32 otherwise.
    type Float: Real;
    /// Conversion to [`Self::Float`] (`as`: exact for 8/16-bit integers, rounded for
    /// 32-bit integers beyond 2^24).
    fn to_real(self) -> Self::Float;
    /// Wraps a volume of this type in the matching [`AnyVolume`] variant.
    fn into_any(v: Volume<Self>) -> AnyVolume;
}

/// The float types filters compute in (f32, f64).
pub trait Real:
    FilterPixel<Float = Self> + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + AddAssign
{
    /// Zero.
    const ZERO: Self;
    /// Square root.
    fn sqrt(self) -> Self;
}

macro_rules! filter_pixel {
    ($($t:ty => $f:ty),*) => {$(
        impl FilterPixel for $t {
            type Float = $f;
            #[inline(always)]
            fn to_real(self) -> $f {
                self as $f
            }
            fn into_any(v: Volume<Self>) -> AnyVolume {
                AnyVolume::from(v)
            }
        }
    )*};
}
filter_pixel!(u8 => f32, i8 => f32, u16 => f32, i16 => f32, u32 => f32, i32 => f32, f32 => f32, f64 => f64);

impl Real for f32 {
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
}
