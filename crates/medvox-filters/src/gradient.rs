//! Gradient magnitude by central differences.
//!
//! `|∇f| = sqrt(g_x² + g_y² + g_z²)` with `g_a = (f[i+1] − f[i−1]) / (2·s_a)` along
//! axis a, `s_a` the voxel spacing in mm (or 1 with `use_spacing = false`), so the
//! result is in intensity units per mm. Matches SimpleITK
//! `GradientMagnitude(img, useImageSpacing=True)` (computed in f64 as ITK does,
//! then rounded to the output type) and `scipy.ndimage.correlate1d(f, [-0.5, 0,
//! 0.5]/s_a, axis, mode='nearest')` per axis.
//!
//! * **Boundary**: edge replicate (ITK ZeroFluxNeumann = scipy `mode='nearest'`), so
//!   the border voxel gets the one-sided difference halved; a one-voxel-thick axis
//!   contributes 0.
//! * **Types**: any pixel type in; f32 out (f64 for f64 input).
//! * **Blocks**: halo 1 on every axis; results are identical for every plan and
//!   thread count.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::gradient::{gradient_magnitude, GradientMagnitudeParams};
//! let g = Geometry { spacing: [2.0, 1.0, 1.0], ..Geometry::default() };
//! let v = Volume::from_vec([3, 1, 1], vec![0i16, 4, 8], g).unwrap();
//! let m = gradient_magnitude(&v, &GradientMagnitudeParams::default(), &Executor::default()).unwrap();
//! assert_eq!(m.as_slice(), &[1.0f32, 2.0, 1.0]);
//! ```

use medvox_core::{AnyVolume, BlockPlan, Executor, Volume};

use crate::error::Result;
use crate::faces::{map_faces, DerivativeParams};
use crate::pixel::FilterPixel;

pub use crate::faces::HALO;

const OP: &str = "gradient-magnitude";

/// Parameters of [`gradient_magnitude`]: `use_spacing` divides by the voxel spacing (mm; `false`: voxel units).
pub type GradientMagnitudeParams = DerivativeParams;

/// Gradient magnitude on an executor's default plan (see the module docs).
pub fn gradient_magnitude<T: FilterPixel>(
    vol: &Volume<T>,
    params: &GradientMagnitudeParams,
    exec: &Executor,
) -> Result<Volume<T::Float>> {
    gradient_magnitude_with_plan(vol, params, exec, &exec.plan(vol.size(), HALO))
}

/// [`gradient_magnitude`] on a given block plan (halo at least 1 on every axis).
pub fn gradient_magnitude_with_plan<T: FilterPixel>(
    vol: &Volume<T>,
    params: &GradientMagnitudeParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T::Float>> {
    // ITK scales the operator [-0.5, 0, 0.5] by 1/spacing.
    let c = params.spacing(vol.geometry()).map(|s| 0.5 * (1.0 / s));
    map_faces(OP, vol, exec, plan, |f| {
        let g = |a: usize| c[a] * f.p[a] - c[a] * f.m[a];
        let (gx, gy, gz) = (g(0), g(1), g(2));
        (gx * gx + gy * gy + gz * gz).sqrt()
    })
}

/// [`gradient_magnitude`] on a volume of any pixel type.
pub fn gradient_magnitude_any(
    vol: &AnyVolume,
    params: &GradientMagnitudeParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(gradient_magnitude(v, params, exec)?)))
}
