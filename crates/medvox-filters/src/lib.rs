//! medvox-filters: image filters on the block engine.
//!
//! Every filter is a plain function on [`Volume`](medvox_core::Volume)s that runs
//! block by block on an [`Executor`](medvox_core::Executor) with the halo its
//! parameters need, so results never depend on the thread count or the block plan.
//! Each takes a parameter struct that serde can read; [`Filter`] names them all so
//! the CLI, pipelines and later bindings call them the same way.
//!
//! | op | module | output type | reference |
//! | --- | --- | --- | --- |
//! | `gaussian` | [`gaussian`] | f32 (f64 for f64 input) | `scipy.ndimage.gaussian_filter(mode='nearest', truncate=4)` |
//! | `median` | [`median`] | input type | SimpleITK `Median`, `scipy.ndimage.median_filter(mode='nearest')` |
//! | `gradient-magnitude` | [`gradient`] | f32 (f64 for f64 input) | SimpleITK `GradientMagnitude(useImageSpacing=True)` |
//! | `erode`, `dilate`, `open`, `close` | [`morphology`] | input type | SimpleITK `GrayscaleErode`/`BinaryMorphologicalOpening`…, `scipy.ndimage.grey_erosion(mode='nearest')` |
//! | `window`, `rescale`, `zscore` | [`intensity`] | f32 | SimpleITK `IntensityWindowing`, `RescaleIntensity`; numpy |
//! | `clamp` | [`intensity`] | input type | numpy `clip` |
//! | `equalize` | [`equalize`] | f32 (f64 for f64 input) | `skimage.exposure.equalize_hist(nbins, mask)` |
//! | `clahe` | [`clahe`] | f32 (f64 for f64 input) | `skimage.exposure.equalize_adapthist(kernel_size, clip_limit, nbins)` |
//! | `distance` | [`distance`] | f32 | `scipy.ndimage.distance_transform_edt(sampling=…)`; SimpleITK `SignedMaurerDistanceMap` (`--signed`) |
//! | `resample` | [`resample`] | input type (nearest, label); f32/f64 (linear, bspline) | SimpleITK `Resample` (`sitkNearestNeighbor`, `sitkLinear`, `sitkBSpline`, `sitkLabelLinear`); `scipy.ndimage.affine_transform(order=1, mode='nearest')` |
//! | `mean` | [`mean`] | f32 (f64 for f64 input) | SimpleITK `Mean`, `scipy.ndimage.uniform_filter(mode='nearest')` |
//! | `sobel` | [`sobel`] | f32 (f64 for f64 input) | `scipy.ndimage.sobel(mode='nearest')` per axis, magnitude |
//! | `laplacian` | [`laplacian`] | f32 (f64 for f64 input) | SimpleITK `Laplacian(useImageSpacing=True)`, `scipy.ndimage.laplace(mode='nearest')` |
//! | `log` | [`log`] | f32 (f64 for f64 input) | `scipy.ndimage.gaussian_laplace(mode='nearest', truncate=4)` |
//! | `gradient-magnitude-gaussian` | [`gradient_gaussian`] | f32 (f64 for f64 input) | `scipy.ndimage.gaussian_gradient_magnitude(mode='nearest', truncate=4)` |
//! | `gaussian-recursive` | [`recursive_gaussian`] | f32 (f64 for f64 input) | SimpleITK `SmoothingRecursiveGaussian(normalizeAcrossScale=False)` |
//! | `cast` | [`cast`] | chosen type | SimpleITK `Cast` where values are representable |
//! | `bilateral` | [`bilateral`] | f32 (f64 for f64 input) | SimpleITK `Bilateral` (ITK's range lookup table) |
//! | `gradient-diffusion`, `curvature-diffusion` | [`diffusion`] | f32 (f64 for f64 input) | SimpleITK `GradientAnisotropicDiffusion`, `CurvatureAnisotropicDiffusion` |
//! | `fill-holes` | [`fill_holes`] | input type | SimpleITK `BinaryFillhole`/`GrayscaleFillhole`, `scipy.ndimage.binary_fill_holes` |
//! | `white-tophat`, `black-tophat` | [`tophat`] | input type | SimpleITK `WhiteTopHat`/`BlackTopHat(safeBorder=True)`; scipy `white_tophat(mode='nearest')` without it |
//!
//! Boundary rule everywhere: edge replicate (ITK ZeroFluxNeumann = scipy `nearest`).

pub mod arith;
pub mod bilateral;
pub mod cast;
pub mod clahe;
pub mod diffusion;
pub mod distance;
pub mod equalize;
pub mod error;
pub mod faces;
pub mod fill_holes;
pub mod gaussian;
mod gaussian_derivative;
pub mod gradient;
pub mod gradient_gaussian;
mod inputs;
pub mod intensity;
pub mod interpolate;
pub mod laplacian;
pub mod log;
pub mod mean;
pub mod median;
pub mod morphology;
pub mod ops;
pub mod pixel;
mod plan;
pub mod recursive_gaussian;
pub mod resample;
pub mod sobel;
pub mod structuring;
pub mod tophat;
pub mod unsharp;

pub use bilateral::{bilateral, BilateralParams};
pub use cast::CastParams;
pub use clahe::{clahe, ClaheParams};
pub use diffusion::{diffusion, DiffusionKind, DiffusionParams};
pub use distance::{distance, DistanceParams};
pub use equalize::{equalize, EqualizeParams};
pub use error::{FilterError, Result};
pub use fill_holes::{fill_holes, FillHolesParams};
pub use gaussian::{gaussian, GaussianParams, Sigma};
pub use gradient::{gradient_magnitude, GradientMagnitudeParams};
pub use intensity::{ClampParams, RescaleParams, WindowParams, ZscoreParams};
pub use interpolate::Interpolation;
pub use laplacian::LaplacianParams;
pub use mean::MeanParams;
pub use median::{median, MedianParams};
pub use morphology::{Kernel, MorphOp, MorphologyParams};
pub use ops::register;
pub use pixel::{FilterPixel, Real};
pub use recursive_gaussian::RecursiveGaussianParams;
pub use resample::{GridSpec, ResampleParams};
pub use tophat::{tophat, TophatParams};

use medvox_core::{AnyVolume, Executor};

/// A filter with its parameters: the one place ops are registered by name.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Filter {
    /// [`gaussian()`]
    Gaussian(GaussianParams),
    /// [`median()`]
    Median(MedianParams),
    /// [`gradient_magnitude()`]
    GradientMagnitude(GradientMagnitudeParams),
    /// [`morphology::erode()`]
    Erode(MorphologyParams),
    /// [`morphology::dilate()`]
    Dilate(MorphologyParams),
    /// [`morphology::open()`]
    Open(MorphologyParams),
    /// [`morphology::close()`]
    Close(MorphologyParams),
    /// [`intensity::window()`]
    Window(WindowParams),
    /// [`intensity::rescale()`]
    Rescale(RescaleParams),
    /// [`intensity::clamp()`]
    Clamp(ClampParams),
    /// [`intensity::zscore()`]
    Zscore(ZscoreParams),
    /// [`distance()`]
    Distance(DistanceParams),
    /// [`equalize()`]
    Equalize(EqualizeParams),
    /// [`clahe()`]
    Clahe(ClaheParams),
    /// [`resample::resample()`]
    Resample(ResampleParams),
    /// [`bilateral()`]
    Bilateral(BilateralParams),
    /// [`diffusion()`] with [`DiffusionKind::Gradient`]
    GradientDiffusion(DiffusionParams),
    /// [`diffusion()`] with [`DiffusionKind::Curvature`]
    CurvatureDiffusion(DiffusionParams),
    /// [`fill_holes()`]
    FillHoles(FillHolesParams),
    /// [`tophat()`] (white: `f − open(f)`)
    WhiteTophat(TophatParams),
    /// [`tophat()`] (black: `close(f) − f`)
    BlackTophat(TophatParams),
    /// [`mean::mean()`]
    Mean(MeanParams),
    /// [`sobel::sobel()`]
    Sobel,
    /// [`laplacian::laplacian()`]
    Laplacian(LaplacianParams),
    /// [`log::laplacian_of_gaussian()`]
    Log(GaussianParams),
    /// [`gradient_gaussian::gradient_magnitude_gaussian()`]
    GradientMagnitudeGaussian(GaussianParams),
    /// [`recursive_gaussian::recursive_gaussian()`]
    GaussianRecursive(RecursiveGaussianParams),
    /// [`cast::cast()`]
    Cast(CastParams),
}

impl Filter {
    /// The op's name (`gaussian`, `median`, `gradient-magnitude`).
    pub fn name(&self) -> &'static str {
        match self {
            Filter::Gaussian(_) => "gaussian",
            Filter::Median(_) => "median",
            Filter::GradientMagnitude(_) => "gradient-magnitude",
            Filter::Erode(_) => "erode",
            Filter::Dilate(_) => "dilate",
            Filter::Open(_) => "open",
            Filter::Close(_) => "close",
            Filter::Window(_) => "window",
            Filter::Rescale(_) => "rescale",
            Filter::Clamp(_) => "clamp",
            Filter::Zscore(_) => "zscore",
            Filter::Distance(_) => "distance",
            Filter::Equalize(_) => "equalize",
            Filter::Clahe(_) => "clahe",
            Filter::Resample(_) => "resample",
            Filter::Bilateral(_) => "bilateral",
            Filter::GradientDiffusion(_) => "gradient-diffusion",
            Filter::CurvatureDiffusion(_) => "curvature-diffusion",
            Filter::FillHoles(_) => "fill-holes",
            Filter::WhiteTophat(_) => "white-tophat",
            Filter::BlackTophat(_) => "black-tophat",
            Filter::Mean(_) => "mean",
            Filter::Sobel => "sobel",
            Filter::Laplacian(_) => "laplacian",
            Filter::Log(_) => "log",
            Filter::GradientMagnitudeGaussian(_) => "gradient-magnitude-gaussian",
            Filter::GaussianRecursive(_) => "gaussian-recursive",
            Filter::Cast(_) => "cast",
        }
    }

    /// Runs the filter on a volume of any pixel type.
    pub fn apply(&self, vol: &AnyVolume, exec: &Executor) -> Result<AnyVolume> {
        match self {
            Filter::Gaussian(p) => gaussian::gaussian_any(vol, p, exec),
            Filter::Median(p) => median::median_any(vol, p, exec),
            Filter::GradientMagnitude(p) => gradient::gradient_magnitude_any(vol, p, exec),
            Filter::Erode(p) => morphology::morphology_any(vol, MorphOp::Erode, p, exec),
            Filter::Dilate(p) => morphology::morphology_any(vol, MorphOp::Dilate, p, exec),
            Filter::Open(p) => morphology::morphology_any(vol, MorphOp::Open, p, exec),
            Filter::Close(p) => morphology::morphology_any(vol, MorphOp::Close, p, exec),
            Filter::Window(p) => intensity::window_any(vol, p, exec),
            Filter::Rescale(p) => intensity::rescale_any(vol, p, exec),
            Filter::Clamp(p) => intensity::clamp_any(vol, p, exec),
            Filter::Zscore(p) => intensity::zscore_any(vol, p, exec),
            Filter::Distance(p) => distance::distance_any(vol, p, exec),
            Filter::Equalize(p) => equalize::equalize_any(vol, p, exec),
            Filter::Clahe(p) => clahe::clahe_any(vol, p, exec),
            Filter::Resample(p) => resample::resample_any(vol, p, exec),
            Filter::Bilateral(p) => bilateral::bilateral_any(vol, p, exec),
            Filter::GradientDiffusion(p) => {
                diffusion::diffusion_any(vol, DiffusionKind::Gradient, p, exec)
            }
            Filter::CurvatureDiffusion(p) => {
                diffusion::diffusion_any(vol, DiffusionKind::Curvature, p, exec)
            }
            Filter::FillHoles(p) => fill_holes::fill_holes_any(vol, p, exec),
            Filter::WhiteTophat(p) => tophat::tophat_any(vol, true, p, exec),
            Filter::BlackTophat(p) => tophat::tophat_any(vol, false, p, exec),
            Filter::Mean(p) => mean::mean_any(vol, p, exec),
            Filter::Sobel => sobel::sobel_any(vol, exec),
            Filter::Laplacian(p) => laplacian::laplacian_any(vol, p, exec),
            Filter::Log(p) => log::laplacian_of_gaussian_any(vol, p, exec),
            Filter::GradientMagnitudeGaussian(p) => {
                gradient_gaussian::gradient_magnitude_gaussian_any(vol, p, exec)
            }
            Filter::GaussianRecursive(p) => {
                recursive_gaussian::recursive_gaussian_any(vol, p, exec)
            }
            Filter::Cast(p) => cast::cast(vol, p, exec),
        }
    }
}

impl Filter {
    /// Warnings the filter raises for a volume without failing (ITK's unstable
    /// diffusion time step); empty for most filters.
    pub fn warnings(&self, vol: &AnyVolume) -> Vec<String> {
        let g = vol.geometry();
        match self {
            Filter::GradientDiffusion(p) => p.stability_warning(DiffusionKind::Gradient, g),
            Filter::CurvatureDiffusion(p) => p.stability_warning(DiffusionKind::Curvature, g),
            _ => None,
        }
        .into_iter()
        .collect()
    }
}
