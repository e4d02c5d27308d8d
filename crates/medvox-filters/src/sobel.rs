//! Sobel gradient magnitude (scipy's separable 3D Sobel).
//!
//! Per axis a, `g_a` = correlation with `[-1, 0, 1]` along a and with the smoothing
//! `[1, 2, 1]` along each of the other two axes (`scipy.ndimage.sobel(f, axis=a,
//! mode='nearest')`); the output is `sqrt(g_x² + g_y² + g_z²)`. The voxel spacing is
//! ignored (voxel units), as in the peers' `sobel` benchmark.
//!
//! * **Boundary**: edge replicate (scipy `mode='nearest'`); a one-voxel-thick axis
//!   contributes 0.
//! * **Types**: any pixel type in; computed in f64, f32 out (f64 for f64 input).
//! * **Blocks**: halo 1; identical results for every plan and thread count.
//!
//! ITK's `SobelEdgeDetectionImageFilter` uses a different, non-separable 3D kernel
//! (smoothing `[[1,3,1],[3,6,3],[1,3,1]]`, a unit ramp gives 44 instead of 32 here)
//! and is not offered.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::sobel::sobel;
//! // A unit ramp along x: g_x = 2 · (1+2+1)·(1+2+1) = 32.
//! let v = Volume::from_vec([3, 3, 3], (0..27).map(|i| (i % 3) as f32).collect(), Geometry::default()).unwrap();
//! let g = sobel(&v, &Executor::default()).unwrap();
//! assert_eq!(g.get([1, 1, 1]), Some(32.0));
//! ```

use medvox_core::{AnyVolume, BlockInput, BlockPlan, Executor, Pixel, Volume};
use ndarray::{s, ArrayViewMut3};

use crate::error::Result;
use crate::gaussian::row;
use crate::pixel::FilterPixel;
use crate::plan::{check_plan, clamp_index};

const OP: &str = "sobel";

/// Halo of the operation.
pub const HALO: [usize; 3] = [1, 1, 1];

/// Sobel gradient magnitude on an executor's default plan (see the module docs).
pub fn sobel<T: FilterPixel>(vol: &Volume<T>, exec: &Executor) -> Result<Volume<T::Float>> {
    sobel_with_plan(vol, exec, &exec.plan(vol.size(), HALO))
}

/// [`sobel`] on a given block plan (halo at least 1 on every axis).
pub fn sobel_with_plan<T: FilterPixel>(
    vol: &Volume<T>,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T::Float>> {
    check_plan(OP, vol, plan, HALO)?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    Ok(exec.map_blocks(vol, plan, sobel_block::<T>))
}

/// [`sobel`] on a volume of any pixel type.
pub fn sobel_any(vol: &AnyVolume, exec: &Executor) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(sobel(v, exec)?)))
}

fn sobel_block<T: FilterPixel>(bi: &BlockInput<'_, T>, mut out: ArrayViewMut3<'_, T::Float>) {
    let data = bi.data.view();
    let (pz, py, px) = data.dim();
    let (iz, iy, ix) = out.dim();
    let o = bi.interior_offset();
    // Per plane: z difference (dz) and z smoothing (sz) of every padded row.
    let mut dz = vec![0.0f64; py * px];
    let mut sz = vec![0.0f64; py * px];
    // Per row: the three y-combinations still to be filtered along x.
    let mut a = vec![0.0f64; px]; // dz smoothed in y  -> g_z
    let mut b = vec![0.0f64; px]; // sz differenced in y -> g_y
    let mut c = vec![0.0f64; px]; // sz smoothed in y  -> g_x
    for z in 0..iz {
        let zc = z + o[2];
        let (zm, zp) = (clamp_index(zc, -1, pz), clamp_index(zc, 1, pz));
        for y in 0..py {
            let (m, c0, p) = (row(&data, zm, y), row(&data, zc, y), row(&data, zp, y));
            let (d, s) = (&mut dz[y * px..][..px], &mut sz[y * px..][..px]);
            for x in 0..px {
                let (m, c0, p) = (m[x].to_f64(), c0[x].to_f64(), p[x].to_f64());
                d[x] = p - m;
                s[x] = m + 2.0 * c0 + p;
            }
        }
        for y in 0..iy {
            let yc = y + o[1];
            let (ym, yp) = (clamp_index(yc, -1, py), clamp_index(yc, 1, py));
            let (m0, c0, p0) = (ym * px, yc * px, yp * px);
            for x in 0..px {
                a[x] = dz[m0 + x] + 2.0 * dz[c0 + x] + dz[p0 + x];
                b[x] = sz[p0 + x] - sz[m0 + x];
                c[x] = sz[m0 + x] + 2.0 * sz[c0 + x] + sz[p0 + x];
            }
            let dst = out
                .slice_mut(s![z, y, ..])
                .into_slice()
                .expect("rows of standard-layout arrays are contiguous");
            for (x, d) in dst.iter_mut().enumerate().take(ix) {
                let xc = x + o[0];
                let (xm, xp) = (clamp_index(xc, -1, px), clamp_index(xc, 1, px));
                let gz = a[xm] + 2.0 * a[xc] + a[xp];
                let gy = b[xm] + 2.0 * b[xc] + b[xp];
                let gx = c[xp] - c[xm];
                *d = <T::Float as Pixel>::from_f64((gx * gx + gy * gy + gz * gz).sqrt());
            }
        }
    }
}
