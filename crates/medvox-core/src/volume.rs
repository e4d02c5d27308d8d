//! [`Volume<T>`]: a 3D voxel array with its physical space.
//!
//! Voxels live in an ndarray `Array3<T>` of shape `(nz, ny, nx)` in standard
//! (C) order, so x is fastest in memory as NIfTI, NRRD, MetaImage and ITK store
//! it. The public API speaks in `[x, y, z]` = `[i, j, k]` order; only
//! [`Volume::data`] exposes the `(z, y, x)` array.
//!
//! A 2D image is a volume with one slice (`nz = 1`). 4D data (fMRI, DWI) are read
//! as a `Vec<Volume<T>>` — one 3D volume per time point, all sharing the same
//! [`Geometry`] (the readers in `medvox-io` return them that way).

use ndarray::{Array3, ArrayView3, ArrayViewMut3};

use crate::error::{CoreError, Result};
use crate::geometry::Geometry;
use crate::pixel::Pixel;

/// A 3D voxel array of `T` with spacing, origin and direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume<T> {
    data: Array3<T>,
    geometry: Geometry,
}

/// Number of voxels of a size, or an error if the product overflows `usize`.
pub fn checked_voxels(size: [usize; 3]) -> Result<usize> {
    size.iter()
        .try_fold(1usize, |acc, &n| acc.checked_mul(n))
        .ok_or(CoreError::TooLarge {
            voxels: size.iter().map(|&n| n as u128).product(),
            bytes_per_voxel: 1,
        })
}

impl<T: Pixel> Volume<T> {
    /// A volume from an array of shape `(nz, ny, nx)`; the array is made standard-layout if needed.
    pub fn new(data: Array3<T>, geometry: Geometry) -> Result<Self> {
        geometry.validate()?;
        let data = if data.is_standard_layout() {
            data
        } else {
            data.as_standard_layout().into_owned()
        };
        Ok(Volume { data, geometry })
    }

    /// A volume from voxels in x-fastest order and a size `[nx, ny, nz]`.
    pub fn from_vec(size: [usize; 3], voxels: Vec<T>, geometry: Geometry) -> Result<Self> {
        let n = checked_voxels(size)?;
        if voxels.len() != n {
            return Err(CoreError::Shape(format!(
                "{} voxels given for size {:?} ({} expected)",
                voxels.len(),
                size,
                n
            )));
        }
        let data = Array3::from_shape_vec((size[2], size[1], size[0]), voxels)
            .map_err(|e| CoreError::Shape(e.to_string()))?;
        Self::new(data, geometry)
    }

    /// A zero-filled volume of size `[nx, ny, nz]` (zero pages are allocated lazily).
    pub fn zeros(size: [usize; 3], geometry: Geometry) -> Result<Self> {
        let n = checked_voxels(size)?;
        n.checked_mul(std::mem::size_of::<T>())
            .filter(|b| *b <= isize::MAX as usize)
            .ok_or(CoreError::TooLarge {
                voxels: n as u128,
                bytes_per_voxel: std::mem::size_of::<T>(),
            })?;
        Self::from_vec(size, zeroed_vec(n), geometry)
    }

    /// A volume with the same size and geometry as `self`, every voxel zero.
    pub fn zeros_like<U: Pixel>(&self) -> Volume<U> {
        Volume {
            data: Array3::from_shape_vec(self.data.raw_dim(), zeroed_vec(self.len()))
                .expect("same shape"),
            geometry: self.geometry,
        }
    }

    /// Size `[nx, ny, nz]`.
    pub fn size(&self) -> [usize; 3] {
        let s = self.data.shape();
        [s[2], s[1], s[0]]
    }

    /// Number of voxels.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the volume has no voxel.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Spacing, origin, direction.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Replaces the geometry (validated).
    pub fn set_geometry(&mut self, geometry: Geometry) -> Result<()> {
        geometry.validate()?;
        self.geometry = geometry;
        Ok(())
    }

    /// The voxel array, shape `(nz, ny, nx)`.
    pub fn data(&self) -> ArrayView3<'_, T> {
        self.data.view()
    }

    /// The voxel array, mutable, shape `(nz, ny, nx)`.
    pub fn data_mut(&mut self) -> ArrayViewMut3<'_, T> {
        self.data.view_mut()
    }

    /// All voxels, x fastest.
    pub fn as_slice(&self) -> &[T] {
        self.data.as_slice().expect("standard layout")
    }

    /// All voxels, x fastest, mutable.
    pub fn as_slice_mut(&mut self) -> &mut [T] {
        self.data.as_slice_mut().expect("standard layout")
    }

    /// Consumes the volume, returning the array and the geometry.
    pub fn into_parts(self) -> (Array3<T>, Geometry) {
        (self.data, self.geometry)
    }

    /// Voxel at index `[i, j, k]`, `None` outside.
    pub fn get(&self, index: [usize; 3]) -> Option<T> {
        self.data.get([index[2], index[1], index[0]]).copied()
    }

    /// Physical point of an integer index.
    pub fn index_to_physical(&self, index: [usize; 3]) -> [f64; 3] {
        self.geometry
            .index_to_physical([index[0] as f64, index[1] as f64, index[2] as f64])
    }

    /// Bytes of voxel memory.
    pub fn nbytes(&self) -> usize {
        self.len() * std::mem::size_of::<T>()
    }

    /// Applies `f` to every voxel in parallel (rayon), keeping the geometry.
    pub fn map<U: Pixel>(&self, f: impl Fn(T) -> U + Sync + Send) -> Volume<U> {
        let mut out = self.zeros_like::<U>();
        use rayon::prelude::*;
        out.as_slice_mut()
            .par_chunks_mut(1 << 16)
            .zip(self.as_slice().par_chunks(1 << 16))
            .for_each(|(o, i)| o.iter_mut().zip(i).for_each(|(o, &i)| *o = f(i)));
        out
    }

    /// Converts to another pixel type (see [`crate::pixel`] for rounding and clamping).
    pub fn cast<U: Pixel>(&self) -> Volume<U> {
        self.map(|v| U::from_f64(v.to_f64()))
    }
}

/// A zero-initialised vector allocated with `alloc_zeroed` (lazy zero pages).
pub fn zeroed_vec<T: bytemuck::Zeroable + Copy>(n: usize) -> Vec<T> {
    if std::mem::size_of::<T>() == 0 || n == 0 {
        return Vec::new();
    }
    let layout = std::alloc::Layout::array::<T>(n).expect("size checked by caller");
    // SAFETY: layout has non-zero size; T is Zeroable so all-zero bytes are a valid T;
    // the allocation is handed to Vec with the same layout (capacity n, align of T).
    unsafe {
        let ptr = std::alloc::alloc_zeroed(layout) as *mut T;
        if ptr.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        advise_huge_pages(ptr as *mut u8, layout.size());
        Vec::from_raw_parts(ptr, n, n)
    }
}

/// Asks Linux to back the 2 MiB-aligned part of a large, not yet touched
/// allocation with transparent huge pages (as numpy does for its arrays): 512×
/// fewer page faults when a fresh output volume is first written. A hint only;
/// nothing changes where THP is off.
fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
    if bytes < 2 * HUGE {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let start = (ptr as usize).next_multiple_of(HUGE);
        let end = (ptr as usize + bytes) / HUGE * HUGE;
        if end > start {
            // SAFETY: [start, end) lies inside the live allocation at `ptr`;
            // MADV_HUGEPAGE changes no contents, only how pages are backed.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = ptr;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Large zeroed buffers (advised for huge pages, with unaligned ends) read
    /// as zero and take writes everywhere.
    #[test]
    fn large_zeroed_vec_is_zero_and_writable() {
        for n in [(4 << 20) + 3, 5 << 20] {
            let mut v = zeroed_vec::<u16>(n);
            assert!(v.iter().all(|&x| x == 0));
            v.iter_mut().enumerate().for_each(|(i, x)| *x = i as u16);
            assert_eq!((v[0], v[n - 1]), (0, (n - 1) as u16));
        }
    }

    #[test]
    fn index_order_is_x_fastest() {
        let v = Volume::from_vec([3, 2, 2], (0..12u8).collect(), Geometry::default()).unwrap();
        assert_eq!(v.size(), [3, 2, 2]);
        assert_eq!(v.get([1, 0, 0]), Some(1));
        assert_eq!(v.get([0, 1, 0]), Some(3));
        assert_eq!(v.get([0, 0, 1]), Some(6));
        assert_eq!(v.get([3, 0, 0]), None);
    }

    #[test]
    fn too_large_is_an_error() {
        assert!(Volume::<f64>::zeros([usize::MAX, 2, 1], Geometry::default()).is_err());
        assert!(Volume::<u8>::from_vec([2, 2, 2], vec![0; 7], Geometry::default()).is_err());
    }

    #[test]
    fn cast_rounds_and_clamps() {
        let v = Volume::from_vec(
            [4, 1, 1],
            vec![-1.5f32, 0.5, 254.6, 1e9],
            Geometry::default(),
        )
        .unwrap();
        assert_eq!(v.cast::<u8>().as_slice(), &[0, 1, 255, 255]);
        assert_eq!(v.cast::<i16>().as_slice(), &[-2, 1, 255, i16::MAX]);
    }
}
