//! Otsu threshold on the GPU, identical to [`medvox_segment::auto_threshold`]
//! with [`Method::Otsu`](medvox_segment::Method::Otsu) (no mask).
//!
//! 1. Range: u8/i8 bin `[type min − ½, type max + ½]`; other types the voxels'
//!    min/max from the GPU reduction ([`super::pointwise::min_max`], NaN skipped),
//!    `hi = max + (max − min)/bins/100` — the CPU's (SimpleITK's) bounds.
//! 2. Bins: the CPU's bounds (`w = (f32(hi) − f32(lo))/bins` in f32, `lo + f32(j·w)`,
//!    last bound `hi`), counted on the GPU ([`super::histogram`]) with exact edges.
//! 3. Threshold: [`medvox_segment::auto_threshold::otsu_multiple`] on the host
//!    from those bins, converted to the pixel type by
//!    [`medvox_segment::threshold::to_pixel`] — the CPU's functions.
//! 4. Mask `v > t` (u8 0/1) by the threshold kernel with the lower bound the
//!    smallest f32 above `t` (exact for f32 voxels; NaN gives 0).
//!
//! Volumes larger than one binding run in z-slabs: the range and the histogram
//! are summed over the slabs before the threshold (each slab uploaded once per
//! step); one slab is uploaded once.
//!
//! Bytes moved per voxel: 16 (min/max 4, histogram 4, threshold 8).

use medvox_core::{AnyVolume, Geometry, PixelType, Volume};
use medvox_segment::auto_threshold::{otsu_multiple, Histogram};
use medvox_segment::{SegmentError, Thresholded};

use super::{histogram, pointwise};
use crate::context::GpuContext;
use crate::error::{GpuError, Result};
use crate::stream::{stream, Produced};
use crate::volume::{to_f32, GpuVolume};

/// Bytes read and written per voxel by the three steps.
pub const BYTES_PER_VOXEL: u64 = 16;

fn bad(name: &'static str, reason: impl Into<String>) -> GpuError {
    SegmentError::Parameter {
        op: "threshold",
        name,
        reason: reason.into(),
    }
    .into()
}

/// The CPU's (ITK's) bin bounds: width `(f32(hi) − f32(lo))/bins` in f32.
fn bounds(bins: usize, lo: f64, hi: f64) -> Histogram {
    let w = (hi as f32 - lo as f32) / bins as f32;
    let min: Vec<f64> = (0..bins).map(|j| lo + f64(j as f32 * w)).collect();
    let mut max: Vec<f64> = (0..bins).map(|j| lo + f64((j + 1) as f32 * w)).collect();
    max[bins - 1] = hi;
    Histogram {
        min,
        max,
        counts: vec![0; bins],
    }
}

fn f64(x: f32) -> f64 {
    f64::from(x)
}

/// Planes per z-slab so that one slab fits a binding.
pub(crate) fn slab_planes(ctx: &GpuContext, size: [usize; 3], what: &str) -> Result<usize> {
    let plane = (size[0] * size[1]).max(1);
    let planes = (ctx.max_binding() / 4) as usize / plane;
    if planes == 0 {
        return Err(GpuError::TooLarge {
            what: format!("{what}: one {}×{} plane", size[0], size[1]),
            bytes: plane as u64 * 4,
            limit: ctx.max_binding(),
        });
    }
    Ok(planes.min(size[2].max(1)))
}

/// A z-slab on the device: the resident whole volume, or one uploaded for a step.
pub(crate) enum Slab<'a> {
    Resident(&'a GpuVolume),
    Uploaded(GpuVolume),
}

impl std::ops::Deref for Slab<'_> {
    type Target = GpuVolume;
    fn deref(&self) -> &GpuVolume {
        match self {
            Slab::Resident(v) => v,
            Slab::Uploaded(v) => v,
        }
    }
}

/// A host volume cut into z-slabs that fit one binding, for ops that pass over
/// the whole volume more than once: one slab is uploaded once and stays
/// resident, several are uploaded again for each pass.
pub(crate) struct HostSlabs {
    voxels: Vec<f32>,
    size: [usize; 3],
    ty: PixelType,
    /// `(z0, z1)` of every slab.
    pub slabs: Vec<(usize, usize)>,
    resident: Option<GpuVolume>,
}

impl HostSlabs {
    /// Converts `vol` to f32 and plans its slabs (`what` names the op in errors).
    pub fn new(ctx: &GpuContext, vol: &AnyVolume, what: &str) -> Result<Self> {
        let size = vol.size();
        let planes = slab_planes(ctx, size, what)?;
        let mut h = HostSlabs {
            voxels: to_f32(vol)?,
            size,
            ty: vol.pixel_type(),
            slabs: (0..size[2])
                .step_by(planes)
                .map(|z| (z, (z + planes).min(size[2])))
                .collect(),
            resident: None,
        };
        if let [one] = h.slabs[..] {
            h.resident = Some(h.upload(ctx, one)?);
        }
        Ok(h)
    }

    fn upload(&self, ctx: &GpuContext, (z0, z1): (usize, usize)) -> Result<GpuVolume> {
        let plane = self.size[0] * self.size[1];
        GpuVolume::from_f32(
            ctx,
            [self.size[0], self.size[1], z1 - z0],
            &self.voxels[z0 * plane..z1 * plane],
            Geometry::default(),
            self.ty,
        )
    }

    /// The slab `s` on the device.
    pub fn get(&self, ctx: &GpuContext, s: (usize, usize)) -> Result<Slab<'_>> {
        Ok(match &self.resident {
            Some(v) => Slab::Resident(v),
            None => Slab::Uploaded(self.upload(ctx, s)?),
        })
    }
}

/// Otsu threshold of a host volume with `bins` bins: the mask and the threshold.
pub fn otsu(ctx: &GpuContext, vol: &AnyVolume, bins: usize) -> Result<Thresholded> {
    check_bins(bins)?;
    let h = HostSlabs::new(ctx, vol, "otsu")?;
    let slab = |s| h.get(ctx, s);
    let ty = vol.pixel_type();
    run(ctx, ty, vol.size(), *vol.geometry(), bins, &h.slabs, slab)
}

/// Otsu threshold of a device volume (one slab, no upload; the mask is downloaded).
pub fn otsu_device(ctx: &GpuContext, v: &GpuVolume, bins: usize) -> Result<Thresholded> {
    check_bins(bins)?;
    let s = v.size();
    let slab = |_| -> Result<Slab<'_>> { Ok(Slab::Resident(v)) };
    run(
        ctx,
        v.pixel_type(),
        s,
        *v.geometry(),
        bins,
        &[(0, s[2])],
        slab,
    )
}

fn check_bins(bins: usize) -> Result<()> {
    if !(2..=1 << 20).contains(&bins) {
        return Err(bad("bins", format!("must be 2..=1048576, got {bins}")));
    }
    Ok(())
}

/// Min and max of the non-NaN voxels of all slabs (GPU reduction per slab).
pub(crate) fn range<'a>(
    ctx: &GpuContext,
    slabs: &[(usize, usize)],
    slab: impl Fn((usize, usize)) -> Result<Slab<'a>>,
) -> Result<Option<(f64, f64)>> {
    let (mut mn, mut mx) = (f64::INFINITY, f64::NEG_INFINITY);
    for &s in slabs {
        let (_, r) = pointwise::min_max(ctx, ctx.encoder(), &*slab(s)?)?;
        if let Some((a, b)) = r {
            (mn, mx) = (mn.min(a), mx.max(b));
        }
    }
    Ok((mn <= mx).then_some((mn, mx)))
}

/// The three steps over the z-slabs `slabs`, each given on the device by `slab`.
fn run<'a>(
    ctx: &GpuContext,
    ty: PixelType,
    size: [usize; 3],
    geometry: Geometry,
    bins: usize,
    slabs: &[(usize, usize)],
    slab: impl Fn((usize, usize)) -> Result<Slab<'a>>,
) -> Result<Thresholded> {
    let (lo, hi) = match ty {
        PixelType::U8 => (-0.5, 255.5),
        PixelType::I8 => (-128.5, 127.5),
        _ => {
            let Some((mn, mx)) = range(ctx, slabs, &slab)? else {
                return Err(bad(
                    "mask",
                    "no voxel to take a histogram of (empty mask or all NaN)",
                ));
            };
            (mn, mx + (mx - mn) / bins as f64 / 100.0)
        }
    };
    let mut h = bounds(bins, lo, hi);
    let mut edges: Vec<f32> = h.min.iter().map(|&b| histogram::f32_edge(b)).collect();
    edges.push(histogram::f32_edge(hi));
    for &s in slabs {
        let c = histogram::counts(ctx, ctx.encoder(), &*slab(s)?, &edges)?;
        h.counts.iter_mut().zip(c).for_each(|(a, b)| *a += b);
    }
    if h.total() == 0 {
        return Err(bad("mask", "the histogram is empty"));
    }
    let t = otsu_multiple(&h, 1)[0];
    let t = medvox_core::for_pixel_type!(ty, T => medvox_segment::threshold::to_pixel::<T>(t));
    let above = {
        let f = t as f32;
        if f64(f) > t {
            f
        } else {
            histogram::next_up(f)
        }
    };
    let mut mask: Vec<u8> = Vec::with_capacity(size.iter().product());
    let record = |i: usize, enc: &mut wgpu::CommandEncoder| {
        let v = slab(slabs[i])?;
        let (lo, hi) = (f64(above), f64::INFINITY);
        let m = pointwise::threshold(ctx, enc, &v, lo, hi, 1.0, 0.0, PixelType::U8);
        Ok(Produced::all(m))
    };
    stream(ctx, slabs.len(), record, |_, m: &[f32]| {
        mask.extend(m.iter().map(|&x| x as u8));
        Ok(())
    })?;
    Ok(Thresholded {
        mask: Volume::from_vec(size, mask, geometry)?,
        thresholds: vec![t],
    })
}
