//! [`GpuVolume`]: a device-resident volume (f32 voxels, x fastest) with its size,
//! geometry and logical pixel type.
//!
//! Every voxel lives on the device as an f32. Upload converts the host volume on
//! the CPU: u8, i8, u16, i16 and f32 are exact; u32 and i32 are accepted when every
//! value is within ±2²⁴ (exact in f32), else refused; f64 is refused (the CPU
//! reference computes f64 input in f64). Download converts back to the logical pixel
//! type with the core's rules ([`medvox_core::Pixel::from_f64`]: round half away
//! from zero, saturate, NaN → 0), so results equal the CPU's casts.
//!
//! A chain of ops on `GpuVolume`s uploads once and downloads once.

use medvox_core::{AnyVolume, Geometry, Pixel, PixelType, Volume};

use crate::context::GpuContext;
use crate::error::{GpuError, Result};

/// Largest integer magnitude an f32 holds exactly.
pub const F32_EXACT: f64 = 16_777_216.0;

/// A volume in device memory.
#[derive(Debug)]
pub struct GpuVolume {
    pub(crate) buffer: wgpu::Buffer,
    size: [usize; 3],
    geometry: Geometry,
    pixel: PixelType,
}

impl GpuVolume {
    /// Size `[nx, ny, nz]`.
    pub fn size(&self) -> [usize; 3] {
        self.size
    }

    /// Number of voxels.
    pub fn len(&self) -> usize {
        self.size.iter().product()
    }

    /// True when the volume has no voxel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Spacing, origin, direction.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Pixel type the volume downloads to.
    pub fn pixel_type(&self) -> PixelType {
        self.pixel
    }

    /// Bytes of device memory.
    pub fn nbytes(&self) -> u64 {
        self.len() as u64 * 4
    }

    /// A new device buffer of the same size and geometry, with another logical type.
    pub(crate) fn like(ctx: &GpuContext, of: &GpuVolume, pixel: PixelType) -> GpuVolume {
        GpuVolume::empty(ctx, of.size, of.geometry, pixel)
    }

    /// An uninitialised device volume.
    pub(crate) fn empty(
        ctx: &GpuContext,
        size: [usize; 3],
        geometry: Geometry,
        pixel: PixelType,
    ) -> GpuVolume {
        let n: usize = size.iter().product();
        GpuVolume {
            buffer: ctx.storage(n as u64 * 4),
            size,
            geometry,
            pixel,
        }
    }

    /// Same buffer, another logical pixel type (ops whose values are already of it).
    pub(crate) fn with_pixel(mut self, pixel: PixelType) -> GpuVolume {
        self.pixel = pixel;
        self
    }

    /// Uploads f32 voxels (x fastest) of size `size`.
    pub fn from_f32(
        ctx: &GpuContext,
        size: [usize; 3],
        voxels: &[f32],
        geometry: Geometry,
        pixel: PixelType,
    ) -> Result<GpuVolume> {
        let bytes = voxels.len() as u64 * 4;
        if bytes > ctx.max_binding() {
            return Err(GpuError::TooLarge {
                what: format!("volume of size {size:?}"),
                bytes,
                limit: ctx.max_binding(),
            });
        }
        let v = GpuVolume::empty(ctx, size, geometry, pixel);
        if !voxels.is_empty() {
            ctx.queue
                .write_buffer(&v.buffer, 0, bytemuck::cast_slice(voxels));
        }
        Ok(v)
    }

    /// Uploads a host volume (see the module docs for the accepted pixel types).
    pub fn upload(ctx: &GpuContext, vol: &AnyVolume) -> Result<GpuVolume> {
        let voxels = to_f32(vol)?;
        GpuVolume::from_f32(ctx, vol.size(), &voxels, *vol.geometry(), vol.pixel_type())
    }

    /// The voxels as f32, x fastest.
    pub fn download_f32(&self, ctx: &GpuContext) -> Result<Vec<f32>> {
        let bytes = ctx.read(&self.buffer, self.nbytes())?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Downloads to a host volume of the logical pixel type.
    pub fn download(&self, ctx: &GpuContext) -> Result<AnyVolume> {
        let v = self.download_f32(ctx)?;
        from_f32(self.size, v, self.geometry, self.pixel)
    }
}

/// The planes `z0..z1` of a host volume as f32 (x fastest).
pub fn slab_f32(vol: &AnyVolume, z0: usize, z1: usize) -> Vec<f32> {
    let plane = vol.size()[0] * vol.size()[1];
    medvox_core::with_volume!(vol, v => v.as_slice()[z0 * plane..z1 * plane]
        .iter()
        .map(|x| x.to_f64() as f32)
        .collect())
}

/// A host volume's voxels as f32 (see the module docs for the accepted types).
pub fn to_f32(vol: &AnyVolume) -> Result<Vec<f32>> {
    check_type(vol)?;
    Ok(slab_f32(vol, 0, vol.size()[2]))
}

/// Refuses the pixel types and values an f32 buffer cannot hold exactly.
pub fn check_type(vol: &AnyVolume) -> Result<()> {
    let ty = vol.pixel_type();
    fn big(it: impl Iterator<Item = f64>) -> bool {
        it.into_iter().any(|x| x.abs() > F32_EXACT)
    }
    match vol {
        AnyVolume::F64(_) => Err(GpuError::PixelType {
            ty,
            reason: "f64 volumes are filtered in f64 on the CPU (use --device cpu)".into(),
        }),
        AnyVolume::U32(v) if big(v.as_slice().iter().map(|x| f64::from(*x))) => {
            Err(GpuError::PixelType {
                ty,
                reason: "values above 2^24 are not exact in f32".into(),
            })
        }
        AnyVolume::I32(v) if big(v.as_slice().iter().map(|x| f64::from(*x))) => {
            Err(GpuError::PixelType {
                ty,
                reason: "values beyond ±2^24 are not exact in f32".into(),
            })
        }
        _ => Ok(()),
    }
}

/// f32 voxels to a host volume of `pixel` with the core's conversion rules.
pub fn from_f32(
    size: [usize; 3],
    v: Vec<f32>,
    geometry: Geometry,
    pixel: PixelType,
) -> Result<AnyVolume> {
    fn make<T: Pixel>(size: [usize; 3], v: Vec<f32>, g: Geometry) -> Result<Volume<T>> {
        let data = v.into_iter().map(|x| T::from_f64(f64::from(x))).collect();
        Ok(Volume::from_vec(size, data, g)?)
    }
    Ok(match pixel {
        PixelType::F32 => AnyVolume::from(Volume::from_vec(size, v, geometry)?),
        _ => {
            medvox_core::for_pixel_type!(pixel, T => AnyVolume::from(make::<T>(size, v, geometry)?))
        }
    })
}
