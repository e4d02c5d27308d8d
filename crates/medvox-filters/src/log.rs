//! Laplacian of Gaussian (LoG) with exact sampled kernels.
//!
//! `LoG f = Σ_a ∂²/∂a² (G_σ * f)`: for each axis a the volume is correlated with the
//! sampled second-derivative-of-Gaussian kernel along a and the sampled Gaussian
//! along the other two axes (kernels of [`crate::gaussian_derivative`], radius
//! `⌊truncate·σ + 0.5⌋`), and the three terms are summed — exactly
//! `scipy.ndimage.gaussian_laplace(f, σ, mode='nearest', truncate=4)`.
//!
//! * **Units**: σ in mm ([`Sigma::Mm`](crate::gaussian::Sigma), divided by the
//!   spacing; the result is per mm², each term divided by `s_a²`) or in voxels
//!   (spacing ignored, per voxel²: scipy's result). σ must be > 0 on every axis.
//! * **Boundary**: edge replicate (scipy `mode='nearest'`). As in scipy, the sampled
//!   second-derivative kernel does not sum to exactly 0 for small σ, so a constant
//!   (or one-voxel-thick) axis gives a small non-zero term.
//! * **Types**: any pixel type in; computed in f64, f32 out (f64 for f64 input).
//! * **Blocks**: halo = kernel radius; identical results for every plan and thread count.
//!
//! SimpleITK's `LaplacianRecursiveGaussian` approximates the same operator with
//! Deriche IIR filters (σ in mm, per mm²); it differs from this by a few percent of
//! the range near sharp edges.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::{log::laplacian_of_gaussian, GaussianParams};
//! // x² along x: the Laplacian is 2 away from the borders.
//! let v = Volume::from_vec([31, 1, 1], (0..31).map(|i| ((i - 15) * (i - 15)) as f64).collect(), Geometry::default()).unwrap();
//! let l = laplacian_of_gaussian(&v, &GaussianParams::voxels(1.0), &Executor::default()).unwrap();
//! assert!((l.get([15, 0, 0]).unwrap() - 2.0).abs() < 0.1);
//! ```

use medvox_core::{AnyVolume, BlockInput, BlockPlan, Executor, Pixel, Volume};
use ndarray::{s, ArrayViewMut3};

use crate::error::Result;
use crate::gaussian::GaussianParams;
use crate::gaussian_derivative::{run_derivative, Kernel1d};
use crate::pixel::FilterPixel;

const OP: &str = "log";

/// Laplacian of Gaussian on an executor's default plan (see the module docs).
pub fn laplacian_of_gaussian<T: FilterPixel>(
    vol: &Volume<T>,
    params: &GaussianParams,
    exec: &Executor,
) -> Result<Volume<T::Float>> {
    run_derivative(OP, 2, vol, params, exec, None, log_block::<T>)
}

/// [`laplacian_of_gaussian`] on a given block plan (halo at least the kernel radius).
pub fn laplacian_of_gaussian_with_plan<T: FilterPixel>(
    vol: &Volume<T>,
    params: &GaussianParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T::Float>> {
    run_derivative(OP, 2, vol, params, exec, Some(plan), log_block::<T>)
}

/// [`laplacian_of_gaussian`] on a volume of any pixel type.
pub fn laplacian_of_gaussian_any(
    vol: &AnyVolume,
    params: &GaussianParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(laplacian_of_gaussian(v, params, exec)?)))
}

fn log_block<T: FilterPixel>(
    bi: &BlockInput<'_, T>,
    mut out: ArrayViewMut3<'_, T::Float>,
    k0: &[Kernel1d; 3],
    k2: &[Kernel1d; 3],
    c: [f64; 3],
) {
    let data = bi.data.view();
    let (_, py, px) = data.dim();
    let (iz, iy, ix) = out.dim();
    let o = bi.interior_offset();
    let (mut z0, mut z2) = (vec![0.0; py * px], vec![0.0; py * px]);
    let (mut y00, mut y20, mut y02) = (vec![0.0; px], vec![0.0; px], vec![0.0; px]);
    let (mut xa, mut xb) = (vec![0.0; ix], vec![0.0; ix]);
    let mut ext = Vec::new();
    for z in 0..iz {
        let zc = z + o[2];
        k0[2].z_plane(&data, zc, &mut z0);
        k2[2].z_plane(&data, zc, &mut z2);
        for y in 0..iy {
            let yc = y + o[1];
            k0[1].y_row(&z0, px, yc, &mut y00);
            k2[1].y_row(&z0, px, yc, &mut y20);
            k0[1].y_row(&z2, px, yc, &mut y02);
            // Terms z and y share the x smoothing.
            for (a, &b) in y02.iter_mut().zip(&y20) {
                *a = c[2] * *a + c[1] * b;
            }
            k0[0].x_row(&y02, o[0], &mut ext, &mut xa);
            k2[0].x_row(&y00, o[0], &mut ext, &mut xb);
            let dst = out
                .slice_mut(s![z, y, ..])
                .into_slice()
                .expect("rows of standard-layout arrays are contiguous");
            for ((d, &a), &b) in dst.iter_mut().zip(&xa).zip(&xb) {
                *d = <T::Float as Pixel>::from_f64(a + c[0] * b);
            }
        }
    }
}
