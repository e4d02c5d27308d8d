//! Unsharp masking: `x + amount · (x − G_σ * x)`, with `G_σ * x` the
//! [`gaussian`](crate::gaussian()) (sampled kernel truncated at 4σ, edge
//! replicate). f32 out (f64 for f64 in). Matches
//! `x + amount * (x - scipy.ndimage.gaussian_filter(x, σ/spacing, mode='nearest', truncate=4))`
//! (skimage `unsharp_mask(preserve_range=True)` with `mode='nearest'` blurring).
//!
//! This op is the registry's worked example: this one file plus one line in
//! [`register`](crate::register).

use medvox_core::{AnyVolume, Executor, PixelType, Volume};
use medvox_ops::{Bound, Inputs, Kind, Op, OpsError, Output, OutputType, Triple, VolumeInfo};

use crate::pixel::FilterPixel;
use crate::{GaussianParams, Result, Sigma};

/// Unsharp mask of a volume: the plain function (library API).
pub fn unsharp_mask<T: FilterPixel>(
    vol: &Volume<T>,
    sigma: &GaussianParams,
    amount: f64,
    exec: &Executor,
) -> Result<Volume<T::Float>> {
    let blurred = crate::gaussian(vol, sigma, exec)?;
    let a = <T::Float as medvox_core::Pixel>::from_f64(amount);
    let mut out = blurred;
    exec.install(|| {
        use rayon::prelude::*;
        out.as_slice_mut()
            .par_iter_mut()
            .zip(vol.as_slice().par_iter())
            .for_each(|(b, &x)| {
                let x = <T::Float as medvox_core::Pixel>::from_f64(x.to_f64());
                *b = x + a * (x - *b);
            });
    });
    Ok(out)
}

medvox_ops::params! {
    /// Parameters of `unsharp-mask`.
    pub struct UnsharpParams {
        /// σ of the blur in millimetres: one value or x,y,z. One of sigma, sigma_voxels is required.
        sigma: Option<Triple<f64>> = None,
        /// σ of the blur in voxels: one value or x,y,z (spacing ignored).
        sigma_voxels: Option<Triple<f64>> = None,
        /// Gain of the detail added back (0: the input unchanged).
        amount: f64 = 1.0,
    }
}

impl UnsharpParams {
    fn gaussian(&self) -> medvox_ops::Result<GaussianParams> {
        let sigma = match (self.sigma, self.sigma_voxels) {
            (Some(s), None) => Sigma::Mm(s.0),
            (None, Some(s)) => Sigma::Voxels(s.0),
            _ => {
                return Err(OpsError::invalid(
                    "unsharp-mask",
                    "exactly one of --sigma (mm) and --sigma-voxels is required",
                ))
            }
        };
        if !self.amount.is_finite() {
            return Err(OpsError::invalid("unsharp-mask", "--amount must be finite"));
        }
        Ok(GaussianParams {
            sigma,
            ..GaussianParams::mm(0.0)
        })
    }
}

/// The registered op `unsharp-mask`.
pub struct UnsharpMask;

impl Op for UnsharpMask {
    type Params = UnsharpParams;
    type Report = ();
    fn name(&self) -> &'static str {
        "unsharp-mask"
    }
    fn group(&self) -> &'static str {
        "filter"
    }
    fn doc(&self) -> &'static str {
        "Unsharp mask x + amount·(x − Gaussian(x)) (Gaussian as `gaussian`: truncated at 4σ, edge replicate); f32 out (f64 for f64 in)."
    }
    fn bind(&self, p: &UnsharpParams, input: &VolumeInfo) -> medvox_ops::Result<Bound> {
        let halo = p.gaussian()?.radius(&input.geometry)?;
        let out = if input.pixel_type == PixelType::F64 {
            PixelType::F64
        } else {
            PixelType::F32
        };
        Ok(Bound::same_grid(
            Kind::local(halo),
            OutputType::Volume(out),
            input,
        ))
    }
    fn run(
        &self,
        p: &UnsharpParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> medvox_ops::Result<Output<()>> {
        let g = p.gaussian()?;
        let out: AnyVolume = medvox_core::with_volume!(inputs.main, v =>
            FilterPixel::into_any(unsharp_mask(v, &g, p.amount, exec)?));
        Ok(Output::volume(out))
    }
}
