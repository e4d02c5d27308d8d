//! White and black top-hat: `f − open(f)` and `close(f) − f` with a flat ball or box.
//!
//! * **Definition**: the opening/closing of [`crate::morphology`] (ITK's ball or the
//!   box, radius in voxels per axis `[x, y, z]`), subtracted from / from the input.
//!   The white top-hat keeps bright details smaller than the element, the black
//!   top-hat dark ones; both are `>= 0`.
//! * **Boundary** (`safe_border`, on by default as in SimpleITK): the image is padded
//!   by the radius with the type's largest value before the opening (smallest before
//!   the closing), opened/closed, and cropped — ITK's `SafeBorder`, so the result
//!   equals SimpleITK `WhiteTopHat/BlackTopHat(img, radius, kernelType,
//!   safeBorder=True)` exactly. With `safe_border = false` both passes use edge
//!   replicate, which is SimpleITK `safeBorder=False` and `scipy.ndimage.white_tophat
//!   /black_tophat(x, footprint=…, mode='nearest')`. The two differ only within the
//!   radius of the image border.
//! * **Types**: every pixel type; the output keeps it. The difference is computed in
//!   f64 and rounded back (exact for every type except where a signed difference
//!   exceeds the type's range, which saturates; ITK wraps there).
//! * **Blocks**: the opening/closing runs on the block engine with halo = radius;
//!   results are identical for every plan and thread count.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::tophat::{tophat, TophatParams};
//! use medvox_filters::Kernel;
//! let v = Volume::from_vec([5, 1, 1], vec![1u8, 1, 9, 1, 1], Geometry::default()).unwrap();
//! let p = TophatParams::new([1, 0, 0], Kernel::Box);
//! let w = tophat(&v, true, &p, &Executor::default()).unwrap();
//! assert_eq!(w.as_slice(), &[0, 0, 8, 0, 0]);
//! ```

use medvox_core::{AnyVolume, BlockPlan, Executor, Pixel, Volume};
use ndarray::s;

use crate::error::Result;
use crate::morphology::{morphology_with_plan, Kernel, MorphOp, MorphologyParams};
use crate::pixel::FilterPixel;

/// Parameters of the top-hats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TophatParams {
    /// Radius in voxels per axis `[x, y, z]`.
    pub radius: [usize; 3],
    /// Structuring element (ball by default).
    #[serde(default)]
    pub kernel: Kernel,
    /// ITK's `SafeBorder` padding (default `true`); `false` = edge replicate (scipy).
    #[serde(default = "yes")]
    pub safe_border: bool,
}

fn yes() -> bool {
    true
}

impl TophatParams {
    /// A radius per axis `[x, y, z]` and an element, with ITK's safe border.
    pub fn new(radius: [usize; 3], kernel: Kernel) -> Self {
        TophatParams {
            radius,
            kernel,
            safe_border: true,
        }
    }

    fn morph(&self) -> MorphologyParams {
        MorphologyParams::new(self.radius, self.kernel)
    }
}

fn name(white: bool) -> MorphOp {
    // Errors name the underlying pass; the top-hat adds nothing to check.
    if white {
        MorphOp::Open
    } else {
        MorphOp::Close
    }
}

/// White (`white = true`: `f − open(f)`) or black (`close(f) − f`) top-hat on an
/// executor's default plan (see the module docs).
pub fn tophat<T: FilterPixel>(
    vol: &Volume<T>,
    white: bool,
    params: &TophatParams,
    exec: &Executor,
) -> Result<Volume<T>> {
    params.morph().check::<T>(name(white))?;
    let plan = exec.plan(vol.size(), params.radius);
    tophat_with_plan(vol, white, params, exec, &plan)
}

/// [`tophat`] on a given block plan (halo at least the radius); with the safe border
/// the plan's block extents are used on the padded volume.
pub fn tophat_with_plan<T: FilterPixel>(
    vol: &Volume<T>,
    white: bool,
    params: &TophatParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T>> {
    let op = name(white);
    let mp = params.morph();
    mp.check::<T>(op)?;
    crate::plan::check_plan(op.name(), vol, plan, params.radius)?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    let opened = if params.safe_border {
        let pad = if white { T::MAX } else { T::MIN };
        let padded = pad_constant(vol, params.radius, T::from_f64(pad))?;
        let pplan = BlockPlan::new(padded.size(), plan.block, plan.halo)?;
        let m = morphology_with_plan(&padded, op, &mp, exec, &pplan)?;
        crop(&m, params.radius)?
    } else {
        morphology_with_plan(vol, op, &mp, exec, plan)?
    };
    let mut out = opened;
    exec.install(|| {
        use rayon::prelude::*;
        out.as_slice_mut()
            .par_iter_mut()
            .zip(vol.as_slice().par_iter())
            .for_each(|(o, &f)| {
                let d = if white {
                    f.to_f64() - o.to_f64()
                } else {
                    o.to_f64() - f.to_f64()
                };
                *o = T::from_f64(d);
            })
    });
    Ok(out)
}

/// [`tophat`] on a volume of any pixel type (the output keeps it).
pub fn tophat_any(
    vol: &AnyVolume,
    white: bool,
    params: &TophatParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(tophat(v, white, params, exec)?)))
}

/// `vol` padded by `r` voxels per side with `value` (same spacing; origin unchanged,
/// which does not matter for the cropped result).
fn pad_constant<T: Pixel>(vol: &Volume<T>, r: [usize; 3], value: T) -> Result<Volume<T>> {
    let s = vol.size();
    let size = [0, 1, 2].map(|a| s[a] + 2 * r[a]);
    let n = medvox_core::volume::checked_voxels(size)?;
    let mut p = Volume::from_vec(size, vec![value; n], *vol.geometry())?;
    p.data_mut()
        .slice_mut(s![r[2]..r[2] + s[2], r[1]..r[1] + s[1], r[0]..r[0] + s[0]])
        .assign(&vol.data());
    Ok(p)
}

fn crop<T: Pixel>(p: &Volume<T>, r: [usize; 3]) -> Result<Volume<T>> {
    let s = p.size();
    let inner = p
        .data()
        .slice(s![r[2]..s[2] - r[2], r[1]..s[1] - r[1], r[0]..s[0] - r[0]])
        .to_owned();
    Ok(Volume::new(inner, *p.geometry())?)
}
