//! Pixel types: the [`Pixel`] trait over u8, i8, u16, i16, u32, i32, f32, f64 and
//! the runtime tag [`PixelType`].
//!
//! Conversions go through `f64`, which holds every value of every supported type
//! exactly. Converting to an integer type rounds to nearest with ties away from
//! zero (`f64::round`), clamps to the type's range, and maps NaN to 0. Converting
//! to a float type is Rust's `as` (round to nearest even for f64 → f32).

use std::fmt;
use std::str::FromStr;

use crate::error::CoreError;

/// The runtime tag of a pixel type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PixelType {
    /// unsigned 8-bit
    U8,
    /// signed 8-bit
    I8,
    /// unsigned 16-bit
    U16,
    /// signed 16-bit (CT in HU)
    I16,
    /// unsigned 32-bit
    U32,
    /// signed 32-bit (labels)
    I32,
    /// 32-bit float
    F32,
    /// 64-bit float
    F64,
}

impl PixelType {
    /// Every pixel type, smallest first.
    pub const ALL: [PixelType; 8] = [
        PixelType::U8,
        PixelType::I8,
        PixelType::U16,
        PixelType::I16,
        PixelType::U32,
        PixelType::I32,
        PixelType::F32,
        PixelType::F64,
    ];

    /// Bytes per voxel.
    pub fn size(self) -> usize {
        match self {
            PixelType::U8 | PixelType::I8 => 1,
            PixelType::U16 | PixelType::I16 => 2,
            PixelType::U32 | PixelType::I32 | PixelType::F32 => 4,
            PixelType::F64 => 8,
        }
    }

    /// Short name used on the command line and in JSON (`u8`, `i16`, `f32`…).
    pub fn name(self) -> &'static str {
        match self {
            PixelType::U8 => "u8",
            PixelType::I8 => "i8",
            PixelType::U16 => "u16",
            PixelType::I16 => "i16",
            PixelType::U32 => "u32",
            PixelType::I32 => "i32",
            PixelType::F32 => "f32",
            PixelType::F64 => "f64",
        }
    }

    /// True for f32 and f64.
    pub fn is_float(self) -> bool {
        matches!(self, PixelType::F32 | PixelType::F64)
    }

    /// True for the signed integer and float types.
    pub fn is_signed(self) -> bool {
        !matches!(self, PixelType::U8 | PixelType::U16 | PixelType::U32)
    }
}

impl fmt::Display for PixelType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PixelType {
    type Err = CoreError;
    /// Accepts the short names and the usual long ones (`uint8`, `int16`, `float32`, `float`, `double`).
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "u8" | "uint8" | "uchar" => PixelType::U8,
            "i8" | "int8" | "char" => PixelType::I8,
            "u16" | "uint16" | "ushort" => PixelType::U16,
            "i16" | "int16" | "short" => PixelType::I16,
            "u32" | "uint32" | "uint" => PixelType::U32,
            "i32" | "int32" | "int" => PixelType::I32,
            "f32" | "float32" | "float" => PixelType::F32,
            "f64" | "float64" | "double" => PixelType::F64,
            _ => return Err(CoreError::UnknownPixelType(s.to_string())),
        })
    }
}

/// A voxel value type. Implemented for exactly the eight types of [`PixelType`].
pub trait Pixel:
    Copy + Default + PartialOrd + Send + Sync + fmt::Debug + bytemuck::Pod + 'static
{
    /// The runtime tag of this type.
    const TYPE: PixelType;
    /// Smallest value, as f64.
    const MIN: f64;
    /// Largest value, as f64.
    const MAX: f64;
    /// Exact conversion to f64.
    fn to_f64(self) -> f64;
    /// Conversion from f64: integers round half away from zero, clamp, NaN → 0.
    fn from_f64(v: f64) -> Self;
}

macro_rules! int_pixel {
    ($t:ty, $tag:ident) => {
        impl Pixel for $t {
            const TYPE: PixelType = PixelType::$tag;
            const MIN: f64 = <$t>::MIN as f64;
            const MAX: f64 = <$t>::MAX as f64;
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                // `as` saturates and maps NaN to 0; round first for nearest.
                v.round() as $t
            }
        }
    };
}
int_pixel!(u8, U8);
int_pixel!(i8, I8);
int_pixel!(u16, U16);
int_pixel!(i16, I16);
int_pixel!(u32, U32);
int_pixel!(i32, I32);

impl Pixel for f32 {
    const TYPE: PixelType = PixelType::F32;
    const MIN: f64 = f32::MIN as f64;
    const MAX: f64 = f32::MAX as f64;
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl Pixel for f64 {
    const TYPE: PixelType = PixelType::F64;
    const MIN: f64 = f64::MIN;
    const MAX: f64 = f64::MAX;
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v
    }
}

/// Reverses the byte order of every element in place (big ↔ little endian).
pub fn swap_bytes_in_place<T: Pixel>(data: &mut [T]) {
    let n = std::mem::size_of::<T>();
    if n > 1 {
        for c in bytemuck::cast_slice_mut::<T, u8>(data).chunks_exact_mut(n) {
            c.reverse();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_and_clamping() {
        assert_eq!(u8::from_f64(2.5), 3);
        assert_eq!(u8::from_f64(-3.0), 0);
        assert_eq!(u8::from_f64(300.0), 255);
        assert_eq!(i16::from_f64(-2.5), -3);
        assert_eq!(i16::from_f64(f64::NAN), 0);
        assert_eq!(i32::from_f64(1e300), i32::MAX);
        assert_eq!(f32::from_f64(0.1), 0.1f32);
    }

    #[test]
    fn names_round_trip() {
        for t in PixelType::ALL {
            assert_eq!(t.name().parse::<PixelType>().unwrap(), t);
        }
        assert!("complex".parse::<PixelType>().is_err());
    }

    #[test]
    fn swap() {
        let mut v = [0x0102u16, 0x0304];
        swap_bytes_in_place(&mut v);
        assert_eq!(v, [0x0201, 0x0403]);
    }
}
