//! Typed voxel buffers from raw bytes and back: the part every format shares.

use std::borrow::Cow;
use std::path::Path;

use medvox_core::budget;
use medvox_core::pixel::swap_bytes_in_place;
use medvox_core::{for_pixel_type, with_volume, AnyVolume, Geometry, Pixel, PixelType, Volume};

use crate::error::{IoError, Result, WithPath};

/// Builds `count` volumes of `size` and `pt` from one contiguous voxel buffer
/// (volume after volume, x fastest): allocates the typed buffer, lets `fill`
/// write its bytes, fixes the byte order, and splits it into volumes sharing `geometry`.
pub fn decode_volumes(
    path: &Path,
    pt: PixelType,
    size: [usize; 3],
    count: usize,
    geometry: Geometry,
    big_endian: bool,
    fill: impl FnOnce(&mut [u8]) -> Result<()>,
) -> Result<Vec<AnyVolume>> {
    for_pixel_type!(pt, T => decode_typed::<T>(path, size, count, geometry, big_endian, fill))
}

fn decode_typed<T: Pixel>(
    path: &Path,
    size: [usize; 3],
    count: usize,
    geometry: Geometry,
    big_endian: bool,
    fill: impl FnOnce(&mut [u8]) -> Result<()>,
) -> Result<Vec<AnyVolume>>
where
    AnyVolume: From<Volume<T>>,
{
    let per = size.iter().product::<usize>();
    let n = per.checked_mul(count).ok_or_else(|| IoError::Header {
        path: path.to_path_buf(),
        format: "raw",
        reason: "voxel count overflows".into(),
    })?;
    let mut buf: Vec<T> = budget::try_zeroed_vec(n).map_err(|source| IoError::Memory {
        path: path.to_path_buf(),
        source,
    })?;
    fill(bytemuck::cast_slice_mut(&mut buf))?;
    if big_endian != cfg!(target_endian = "big") {
        swap_bytes_in_place(&mut buf);
    }
    if count == 1 {
        return Ok(vec![Volume::from_vec(size, buf, geometry).at(path)?.into()]);
    }
    buf.chunks_exact(per.max(1))
        .take(count)
        .map(|c| {
            let mut v = budget::try_vec_with_capacity(c.len(), "one volume").map_err(|source| {
                IoError::Memory {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
            v.extend_from_slice(c);
            Ok(Volume::from_vec(size, v, geometry).at(path)?.into())
        })
        .collect()
}

/// The voxels of a volume as little-endian bytes (borrowed on little-endian hosts).
pub fn le_bytes(v: &AnyVolume) -> Cow<'_, [u8]> {
    with_volume!(v, v => le_bytes_typed(v.as_slice()))
}

fn le_bytes_typed<T: Pixel>(s: &[T]) -> Cow<'_, [u8]> {
    if cfg!(target_endian = "little") {
        Cow::Borrowed(bytemuck::cast_slice(s))
    } else {
        let mut o = s.to_vec();
        swap_bytes_in_place(&mut o);
        Cow::Owned(bytemuck::cast_slice(&o).to_vec())
    }
}
