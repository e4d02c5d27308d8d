//! [`AnyVolume`]: a volume whose pixel type is known only at run time.
//!
//! File readers return it and the CLI passes it around; [`with_volume!`] runs
//! generic code on whichever concrete `Volume<T>` is inside.

use crate::geometry::Geometry;
use crate::pixel::{Pixel, PixelType};
use crate::volume::Volume;

/// A volume of any supported pixel type.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum AnyVolume {
    U8(Volume<u8>),
    I8(Volume<i8>),
    U16(Volume<u16>),
    I16(Volume<i16>),
    U32(Volume<u32>),
    I32(Volume<i32>),
    F32(Volume<f32>),
    F64(Volume<f64>),
}

/// Runs `$body` with `$v` bound to the concrete `&Volume<T>` (or the owned value)
/// inside an [`AnyVolume`] expression.
///
/// ```
/// use medvox_core::{with_volume, AnyVolume, Geometry, Volume};
/// let any: AnyVolume = Volume::<i16>::zeros([2, 2, 1], Geometry::default()).unwrap().into();
/// let n = with_volume!(&any, v => v.len());
/// assert_eq!(n, 4);
/// ```
#[macro_export]
macro_rules! with_volume {
    ($any:expr, $v:ident => $body:expr) => {
        match $any {
            $crate::AnyVolume::U8($v) => $body,
            $crate::AnyVolume::I8($v) => $body,
            $crate::AnyVolume::U16($v) => $body,
            $crate::AnyVolume::I16($v) => $body,
            $crate::AnyVolume::U32($v) => $body,
            $crate::AnyVolume::I32($v) => $body,
            $crate::AnyVolume::F32($v) => $body,
            $crate::AnyVolume::F64($v) => $body,
        }
    };
}

/// Builds the right [`AnyVolume`] variant for a pixel type: `$make` is a generic
/// expression evaluated with the type alias `$t` set to the concrete type.
#[macro_export]
macro_rules! for_pixel_type {
    ($pt:expr, $t:ident => $body:expr) => {
        match $pt {
            $crate::PixelType::U8 => {
                type $t = u8;
                $body
            }
            $crate::PixelType::I8 => {
                type $t = i8;
                $body
            }
            $crate::PixelType::U16 => {
                type $t = u16;
                $body
            }
            $crate::PixelType::I16 => {
                type $t = i16;
                $body
            }
            $crate::PixelType::U32 => {
                type $t = u32;
                $body
            }
            $crate::PixelType::I32 => {
                type $t = i32;
                $body
            }
            $crate::PixelType::F32 => {
                type $t = f32;
                $body
            }
            $crate::PixelType::F64 => {
                type $t = f64;
                $body
            }
        }
    };
}

macro_rules! impl_from {
    ($($t:ty => $var:ident),*) => {$(
        impl From<Volume<$t>> for AnyVolume {
            fn from(v: Volume<$t>) -> Self {
                AnyVolume::$var(v)
            }
        }
    )*};
}
impl_from!(u8 => U8, i8 => I8, u16 => U16, i16 => I16, u32 => U32, i32 => I32, f32 => F32, f64 => F64);

impl AnyVolume {
    /// The pixel type inside.
    pub fn pixel_type(&self) -> PixelType {
        with_volume!(self, v => pixel_type_of(v))
    }

    /// Size `[nx, ny, nz]`.
    pub fn size(&self) -> [usize; 3] {
        with_volume!(self, v => v.size())
    }

    /// Number of voxels.
    pub fn len(&self) -> usize {
        with_volume!(self, v => v.len())
    }

    /// True when there is no voxel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Spacing, origin and direction.
    pub fn geometry(&self) -> &Geometry {
        with_volume!(self, v => v.geometry())
    }

    /// Replaces the geometry (validated).
    pub fn set_geometry(&mut self, g: Geometry) -> crate::Result<()> {
        with_volume!(self, v => v.set_geometry(g))
    }

    /// Bytes of voxel memory.
    pub fn nbytes(&self) -> usize {
        with_volume!(self, v => v.nbytes())
    }

    /// The voxels converted to `T` (see [`crate::pixel`] for rounding and clamping).
    pub fn to_volume<T: Pixel>(&self) -> Volume<T> {
        with_volume!(self, v => v.cast::<T>())
    }

    /// Converts to a pixel type; a no-op move when it already has that type.
    pub fn cast(self, to: PixelType) -> AnyVolume {
        if self.pixel_type() == to {
            return self;
        }
        for_pixel_type!(to, T => AnyVolume::from(self.to_volume::<T>()))
    }
}

fn pixel_type_of<T: Pixel>(_: &Volume<T>) -> PixelType {
    T::TYPE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast_every_type() {
        let v =
            Volume::from_vec([3, 1, 1], vec![-1.0f64, 2.6, 300.0], Geometry::default()).unwrap();
        let any = AnyVolume::from(v);
        for t in PixelType::ALL {
            let c = any.clone().cast(t);
            assert_eq!(c.pixel_type(), t);
            assert_eq!(c.size(), [3, 1, 1]);
        }
        assert_eq!(
            any.clone()
                .cast(PixelType::U8)
                .to_volume::<f64>()
                .as_slice(),
            &[0.0, 3.0, 255.0]
        );
        assert_eq!(
            any.cast(PixelType::I8).to_volume::<f64>().as_slice(),
            &[-1.0, 3.0, 127.0]
        );
    }
}
