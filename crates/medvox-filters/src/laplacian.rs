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

use medvox_core::{AnyVolume, BlockInput, BlockPlan, Executor, Pixel, Volume};
use ndarray::{s, ArrayViewMut3};

use crate::error::Result;
use crate::gaussian::row;
use crate::pixel::FilterPixel;
use crate::plan::{check_plan, clamp_index, extend_row};

const OP: &str = "laplacian";

/// Parameters of [`laplacian`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LaplacianParams {
    /// Divide second differences by the squared voxel spacing (mm²); `false` gives voxel units.
    #[serde(default = "yes")]
    pub use_spacing: bool,
}

fn yes() -> bool {
    true
}

impl Default for LaplacianParams {
    fn default() -> Self {
        LaplacianParams { use_spacing: true }
    }
}

/// Halo of the operation.
pub const HALO: [usize; 3] = [1, 1, 1];

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
    check_plan(OP, vol, plan, HALO)?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    let sp = if params.use_spacing {
        vol.geometry().spacing
    } else {
        [1.0; 3]
    };
    // ITK's derivative scalings 1/s².
    let c = sp.map(|s| 1.0 / (s * s));
    Ok(exec.map_blocks(vol, plan, |bi, out| laplacian_block::<T>(bi, out, c)))
}

/// [`laplacian`] on a volume of any pixel type.
pub fn laplacian_any(
    vol: &AnyVolume,
    params: &LaplacianParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(laplacian(v, params, exec)?)))
}

fn laplacian_block<T: FilterPixel>(
    bi: &BlockInput<'_, T>,
    mut out: ArrayViewMut3<'_, T::Float>,
    c: [f64; 3],
) {
    let data = bi.data.view();
    let (pz, py, px) = data.dim();
    let (iz, iy, _) = out.dim();
    let o = bi.interior_offset();
    let mut ext: Vec<f64> = Vec::with_capacity(px + 2);
    for z in 0..iz {
        let zc = z + o[2];
        for y in 0..iy {
            let yc = y + o[1];
            extend_row(row(&data, zc, yc), 1, &mut ext, T::to_f64);
            let ym = &row(&data, zc, clamp_index(yc, -1, py))[o[0]..];
            let yp = &row(&data, zc, clamp_index(yc, 1, py))[o[0]..];
            let zm = &row(&data, clamp_index(zc, -1, pz), yc)[o[0]..];
            let zp = &row(&data, clamp_index(zc, 1, pz), yc)[o[0]..];
            let xs = &ext[o[0]..];
            let dst = out
                .slice_mut(s![z, y, ..])
                .into_slice()
                .expect("rows of standard-layout arrays are contiguous");
            for (i, d) in dst.iter_mut().enumerate() {
                let f = xs[i + 1];
                let lx = xs[i] - 2.0 * f + xs[i + 2];
                let ly = ym[i].to_f64() - 2.0 * f + yp[i].to_f64();
                let lz = zm[i].to_f64() - 2.0 * f + zp[i].to_f64();
                *d = <T::Float as Pixel>::from_f64(c[0] * lx + c[1] * ly + c[2] * lz);
            }
        }
    }
}
