//! Laplacian by second differences.
//!
//! `Δf = Σ_a (f[i+1] − 2f[i] + f[i−1]) / s_a²` along each axis a, `s_a` the voxel
//! spacing in mm (or 1 with `use_spacing = false`), so the result is in intensity
//! units per mm². Matches SimpleITK `Laplacian(img, useImageSpacing=True)` (ITK's
//! `LaplacianOperator` scaled by 1/spacing², ZeroFluxNeumann boundary, computed in
//! f64) and `scipy.ndimage.laplace(f, mode='nearest')` for unit spacing.
//!
//! * **Boundary**: edge replicate, so a one-voxel-thick axis contributes 0.
//! * **Types**: any pixel type in; computed in f64, f32 out (f64 for f64 input).
//! * **Blocks**: halo 1; identical results for every plan and thread count.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::laplacian::{laplacian, LaplacianParams};
//! let g = Geometry { spacing: [2.0, 1.0, 1.0], ..Geometry::default() };
//! let v = Volume::from_vec([3, 1, 1], vec![0i16, 4, 16], g).unwrap();
//! let l = laplacian(&v, &LaplacianParams::default(), &Executor::default()).unwrap();
//! assert_eq!(l.as_slice(), &[1.0f32, 2.0, -3.0]);
//! ```

use medvox_core::{AnyVolume, BlockPlan, Executor, Volume};

use crate::error::Result;
use crate::faces::{map_faces, DerivativeParams};
use crate::pixel::FilterPixel;

pub use crate::faces::HALO;

const OP: &str = "laplacian";

/// Parameters of [`laplacian`]: `use_spacing` divides by the voxel spacing squared (mm²; `false`: voxel units).
pub type LaplacianParams = DerivativeParams;

/// Laplacian on an executor's default plan (see the module docs).
pub fn laplacian<T: FilterPixel>(
    vol: &Volume<T>,
    params: &LaplacianParams,
    exec: &Executor,
) -> Result<Volume<T::Float>> {
    laplacian_with_plan(vol, params, exec, &exec.plan(vol.size(), HALO))
}

/// [`laplacian`] on a given block plan (halo at least 1 on every axis).
pub fn laplacian_with_plan<T: FilterPixel>(
    vol: &Volume<T>,
    params: &LaplacianParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T::Float>> {
    // ITK's derivative scalings 1/s².
    let c = params.spacing(vol.geometry()).map(|s| 1.0 / (s * s));
    map_faces(OP, vol, exec, plan, |f| {
        let l = |a: usize| f.m[a] - 2.0 * f.c + f.p[a];
        c[0] * l(0) + c[1] * l(1) + c[2] * l(2)
    })
}

/// [`laplacian`] on a volume of any pixel type.
pub fn laplacian_any(
    vol: &AnyVolume,
    params: &LaplacianParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(laplacian(v, params, exec)?)))
}
