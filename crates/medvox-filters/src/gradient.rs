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

use medvox_core::{AnyVolume, BlockInput, BlockPlan, Executor, Pixel, Volume};
use ndarray::{s, ArrayViewMut3};

use crate::error::Result;
use crate::gaussian::row;
use crate::pixel::FilterPixel;
use crate::plan::{check_plan, clamp_index, extend_row};

const OP: &str = "gradient-magnitude";

/// Parameters of [`gradient_magnitude`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GradientMagnitudeParams {
    /// Divide differences by the voxel spacing (mm); `false` gives voxel units.
    #[serde(default = "yes")]
    pub use_spacing: bool,
}

fn yes() -> bool {
    true
}

impl Default for GradientMagnitudeParams {
    fn default() -> Self {
        GradientMagnitudeParams { use_spacing: true }
    }
}

/// Halo of the operation.
pub const HALO: [usize; 3] = [1, 1, 1];

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
    check_plan(OP, vol, plan, HALO)?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    let sp = if params.use_spacing {
        vol.geometry().spacing
    } else {
        [1.0; 3]
    };
    // ITK scales the operator [-0.5, 0, 0.5] by 1/spacing.
    let c = sp.map(|s| 0.5 * (1.0 / s));
    Ok(exec.map_blocks(vol, plan, |bi, out| gradient_block::<T>(bi, out, c)))
}

/// [`gradient_magnitude`] on a volume of any pixel type.
pub fn gradient_magnitude_any(
    vol: &AnyVolume,
    params: &GradientMagnitudeParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(gradient_magnitude(v, params, exec)?)))
}

fn gradient_block<T: FilterPixel>(
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
            let xm = &ext[o[0]..];
            let xp = &ext[o[0] + 2..];
            let dst = out
                .slice_mut(s![z, y, ..])
                .into_slice()
                .expect("rows of standard-layout arrays are contiguous");
            for (i, d) in dst.iter_mut().enumerate() {
                let gx = c[0] * xp[i] - c[0] * xm[i];
                let gy = c[1] * yp[i].to_f64() - c[1] * ym[i].to_f64();
                let gz = c[2] * zp[i].to_f64() - c[2] * zm[i].to_f64();
                *d = <T::Float as Pixel>::from_f64((gx * gx + gy * gy + gz * gz).sqrt());
            }
        }
    }
}
