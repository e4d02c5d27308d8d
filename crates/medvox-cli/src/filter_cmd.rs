//! `medvox filter NAME [params] IN OUT`: runs one filter of `medvox-filters`.
//!
//! The option structs here are the one command-line form of each filter's
//! parameters: `medvox bench NAME [params]` uses the same [`FilterOp`] with no
//! input/output positionals, so the two never drift apart.

use std::path::PathBuf;

use anyhow::Context;
use medvox::core::PixelType;
use medvox::filters::DistanceParams;
use medvox::filters::{BilateralParams, DiffusionParams, FillHolesParams, TophatParams};
use medvox::filters::{CastParams, LaplacianParams, MeanParams, RecursiveGaussianParams};
use medvox::filters::{ClaheParams, EqualizeParams};
use medvox::filters::{ClampParams, RescaleParams, WindowParams, ZscoreParams};
use medvox::filters::{Filter, GaussianParams, GradientMagnitudeParams, MedianParams, Sigma};
use medvox::filters::{GridSpec, Interpolation, ResampleParams};
use medvox::filters::{Kernel, MorphOp, MorphologyParams};

use crate::Ctx;

/// A filter and its options, followed by `X` (the input/output paths for `medvox
/// filter`, nothing for `medvox bench`).
#[derive(Debug, Clone, clap::Subcommand)]
pub enum FilterOp<X: clap::Args> {
    /// Gaussian: exact sampled kernel (scipy's gaussian_filter, truncated at 4σ) or --method recursive (ITK's IIR); edge replicate; f32 out (f64 for f64 in).
    Gaussian {
        #[command(flatten)]
        params: GaussianArgs,
        /// exact: sampled kernel (scipy); recursive: ITK's Deriche IIR (SimpleITK SmoothingRecursiveGaussian), cost independent of σ.
        #[arg(long, value_enum, default_value = "exact")]
        method: GaussianMethod,
        #[command(flatten)]
        extra: X,
    },
    /// Median over a (2r+1)³ box (radius per axis), edge replicate; keeps the pixel type.
    Median {
        #[command(flatten)]
        params: MedianArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Gradient magnitude by central differences (HU/mm with the voxel spacing), edge replicate; f32 out.
    GradientMagnitude {
        #[command(flatten)]
        params: GradientArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Erosion (minimum over the structuring element; --binary: the element fits in the mask); keeps the pixel type.
    Erode {
        #[command(flatten)]
        params: MorphArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Dilation (maximum over the structuring element; --binary: the element touches the mask); keeps the pixel type.
    Dilate {
        #[command(flatten)]
        params: MorphArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Opening: erode, then dilate; keeps the pixel type.
    Open {
        #[command(flatten)]
        params: MorphArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Closing: dilate, then erode; keeps the pixel type.
    Close {
        #[command(flatten)]
        params: MorphArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Window/level: [C−W/2, C+W/2] mapped linearly to [output-min, output-max] (default 0..1), clamped; f32 out.
    Window {
        #[command(flatten)]
        params: WindowArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Linear rescale of the volume's [min, max] to [--min, --max] (default 0..1); f32 out.
    Rescale {
        #[command(flatten)]
        params: RescaleArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Clamp to [--lower, --upper] (either may be left out); keeps the pixel type.
    Clamp {
        #[command(flatten)]
        params: ClampArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Z-score (x − mean)/std, population std, over the volume or inside --mask; f32 out.
    Zscore {
        #[command(flatten)]
        params: ZscoreArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Exact Euclidean distance (mm) of each voxel ≠ 0 to the nearest 0 voxel; --signed: SimpleITK SignedMaurerDistanceMap (inside negative); f32 out.
    Distance {
        #[command(flatten)]
        params: DistanceArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Resample onto a new grid (--spacing, --size or --reference), nearest/linear/bspline/label interpolation as SimpleITK Resample; default linear, f32 out (nearest/label keep the type).
    Resample {
        #[command(flatten)]
        params: ResampleArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Bilateral filter (SimpleITK Bilateral: Gaussian in space times ITK's range-Gaussian table in intensity), edge replicate; f32 out (f64 for f64 in).
    Bilateral {
        #[command(flatten)]
        params: BilateralArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Gradient anisotropic diffusion (Perona–Malik; SimpleITK GradientAnisotropicDiffusion), edge replicate; f32 out (f64 for f64 in).
    GradientDiffusion {
        #[command(flatten)]
        params: DiffusionArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Curvature anisotropic diffusion (SimpleITK CurvatureAnisotropicDiffusion), edge replicate; f32 out (f64 for f64 in).
    CurvatureDiffusion {
        #[command(flatten)]
        params: DiffusionArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Fill holes: regions ≠ --foreground not connected (by faces) to the border become --foreground; --grey: grey-level fill (SimpleITK GrayscaleFillhole); keeps the pixel type.
    FillHoles {
        #[command(flatten)]
        params: FillHolesArgs,
        #[command(flatten)]
        extra: X,
    },
    /// White top-hat f − open(f) (SimpleITK WhiteTopHat, safe border); keeps the pixel type.
    WhiteTophat {
        #[command(flatten)]
        params: TophatArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Black top-hat close(f) − f (SimpleITK BlackTopHat, safe border); keeps the pixel type.
    BlackTophat {
        #[command(flatten)]
        params: TophatArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Global histogram equalisation (skimage equalize_hist: cdf of the histogram, optionally inside --mask); f32 out in [0,1] (f64 for f64 in).
    Equalize {
        #[command(flatten)]
        params: EqualizeArgs,
        #[command(flatten)]
        extra: X,
    },
    /// CLAHE (skimage equalize_adapthist: tiled, clipped, interpolated histogram equalisation; 2D or 3D); f32 out in [0,1] (f64 for f64 in).
    Clahe {
        #[command(flatten)]
        params: ClaheArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Box mean over a (2r+1)³ window (radius per axis), edge replicate; f32 out (f64 for f64 in).
    Mean {
        #[command(flatten)]
        params: MeanArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Sobel gradient magnitude (scipy's separable 3D Sobel, voxel units), edge replicate; f32 out.
    Sobel {
        #[command(flatten)]
        extra: X,
    },
    /// Laplacian by second differences (per mm² with the voxel spacing), edge replicate; f32 out.
    Laplacian {
        #[command(flatten)]
        params: GradientArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Laplacian of Gaussian (scipy's gaussian_laplace; per mm² with --sigma, per voxel² with --sigma-voxels); f32 out.
    Log {
        #[command(flatten)]
        params: GaussianArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Gradient magnitude of Gaussian (scipy's gaussian_gradient_magnitude; per mm with --sigma, per voxel with --sigma-voxels); f32 out.
    GradientMagnitudeGaussian {
        #[command(flatten)]
        params: GaussianArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Convert to another pixel type (integers: round half away from zero, clamp; NaN → 0).
    Cast {
        #[command(flatten)]
        params: CastArgs,
        #[command(flatten)]
        extra: X,
    },
}

impl<X: clap::Args> FilterOp<X> {
    /// The library filter with its parameters, and the rest of the arguments.
    pub fn split(&self) -> (Filter, &X) {
        match self {
            FilterOp::Gaussian {
                params,
                method,
                extra,
            } => {
                let p = params.to_params();
                let f = match method {
                    GaussianMethod::Exact => Filter::Gaussian(p),
                    GaussianMethod::Recursive => {
                        Filter::GaussianRecursive(RecursiveGaussianParams { sigma: p.sigma })
                    }
                };
                (f, extra)
            }
            FilterOp::Median { params, extra } => {
                (Filter::Median(MedianParams::new(params.radius.0)), extra)
            }
            FilterOp::GradientMagnitude { params, extra } => (
                Filter::GradientMagnitude(GradientMagnitudeParams {
                    use_spacing: !params.voxel_units,
                }),
                extra,
            ),
            FilterOp::Erode { params, extra } => (params.to_filter(MorphOp::Erode), extra),
            FilterOp::Dilate { params, extra } => (params.to_filter(MorphOp::Dilate), extra),
            FilterOp::Open { params, extra } => (params.to_filter(MorphOp::Open), extra),
            FilterOp::Close { params, extra } => (params.to_filter(MorphOp::Close), extra),
            FilterOp::Window { params: p, extra } => (
                Filter::Window(WindowParams {
                    center: p.center,
                    width: p.width,
                    output_min: p.output_min,
                    output_max: p.output_max,
                }),
                extra,
            ),
            FilterOp::Rescale { params: p, extra } => (
                Filter::Rescale(RescaleParams {
                    min: p.min,
                    max: p.max,
                }),
                extra,
            ),
            FilterOp::Clamp { params: p, extra } => (
                Filter::Clamp(ClampParams {
                    lower: p.lower,
                    upper: p.upper,
                }),
                extra,
            ),
            FilterOp::Zscore { params: p, extra } => (
                Filter::Zscore(ZscoreParams {
                    mask: p.mask.clone(),
                }),
                extra,
            ),
            FilterOp::Distance { params: p, extra } => (
                Filter::Distance(DistanceParams {
                    signed: p.signed,
                    use_spacing: !p.voxel_units,
                }),
                extra,
            ),
            FilterOp::Resample { params, extra } => (Filter::Resample(params.to_params()), extra),
            FilterOp::Bilateral { params: p, extra } => (
                Filter::Bilateral(BilateralParams {
                    domain_sigma: p.domain_sigma.0,
                    range_sigma: p.range_sigma,
                    radius: p.radius.map(|r| r.0),
                    range_samples: p.range_samples,
                }),
                extra,
            ),
            FilterOp::GradientDiffusion { params: p, extra } => {
                (Filter::GradientDiffusion(p.to_params()), extra)
            }
            FilterOp::CurvatureDiffusion { params: p, extra } => {
                (Filter::CurvatureDiffusion(p.to_params()), extra)
            }
            FilterOp::FillHoles { params: p, extra } => (
                Filter::FillHoles(FillHolesParams {
                    grey: p.grey,
                    foreground: p.foreground,
                }),
                extra,
            ),
            FilterOp::WhiteTophat { params: p, extra } => {
                (Filter::WhiteTophat(p.to_params()), extra)
            }
            FilterOp::BlackTophat { params: p, extra } => {
                (Filter::BlackTophat(p.to_params()), extra)
            }
            FilterOp::Equalize { params: p, extra } => (
                Filter::Equalize(EqualizeParams {
                    bins: p.bins,
                    mask: p.mask.clone(),
                }),
                extra,
            ),
            FilterOp::Clahe { params: p, extra } => (
                Filter::Clahe(ClaheParams {
                    kernel_size: p.kernel_size.map(|k| k.0),
                    clip_limit: p.clip_limit,
                    bins: p.bins,
                    slice_by_slice: p.slices,
                }),
                extra,
            ),
            FilterOp::Mean { params, extra } => {
                (Filter::Mean(MeanParams::new(params.radius.0)), extra)
            }
            FilterOp::Sobel { extra } => (Filter::Sobel, extra),
            FilterOp::Laplacian { params, extra } => (
                Filter::Laplacian(LaplacianParams {
                    use_spacing: !params.voxel_units,
                }),
                extra,
            ),
            FilterOp::Log { params, extra } => (Filter::Log(params.to_params()), extra),
            FilterOp::GradientMagnitudeGaussian { params, extra } => {
                (Filter::GradientMagnitudeGaussian(params.to_params()), extra)
            }
            FilterOp::Cast { params, extra } => (
                Filter::Cast(CastParams {
                    pixel_type: params.pixel_type,
                }),
                extra,
            ),
        }
    }
}

/// Nothing: the filter options alone (`medvox bench`).
#[derive(Debug, Clone, clap::Args)]
pub struct NoArgs {}

/// Input and output images (`medvox filter`).
#[derive(Debug, Clone, clap::Args)]
pub struct InOut {
    /// Input image.
    #[arg(value_name = "IN")]
    input: PathBuf,
    /// Output image; the format follows the extension (.nii, .nii.gz, .nrrd, .mha…).
    #[arg(value_name = "OUT")]
    output: PathBuf,
}

/// One value for every axis or three values `x,y,z`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Triple<T>(pub [T; 3]);

impl<T: std::str::FromStr + Copy> std::str::FromStr for Triple<T>
where
    T::Err: std::fmt::Display,
{
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let v = s
            .split(',')
            .map(|p| p.trim().parse::<T>().map_err(|e| format!("`{p}`: {e}")))
            .collect::<Result<Vec<T>, String>>()?;
        match v[..] {
            [a] => Ok(Triple([a; 3])),
            [x, y, z] => Ok(Triple([x, y, z])),
            _ => Err(format!(
                "expected one value or three (x,y,z), got {}",
                v.len()
            )),
        }
    }
}

/// Options of `gaussian`.
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct GaussianArgs {
    /// σ in millimetres: one value or x,y,z (divided by the voxel spacing).
    #[arg(long, value_name = "MM", allow_negative_numbers = true)]
    sigma: Option<Triple<f64>>,
    /// σ in voxels: one value or x,y,z (spacing ignored).
    #[arg(long, value_name = "VOXELS", allow_negative_numbers = true)]
    sigma_voxels: Option<Triple<f64>>,
}

impl GaussianArgs {
    fn to_params(&self) -> GaussianParams {
        let sigma = match (self.sigma, self.sigma_voxels) {
            (Some(s), _) => Sigma::Mm(s.0),
            (None, Some(s)) => Sigma::Voxels(s.0),
            (None, None) => unreachable!("clap requires one of --sigma, --sigma-voxels"),
        };
        GaussianParams {
            sigma,
            ..GaussianParams::mm(0.0)
        }
    }
}

/// `gaussian --method`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum GaussianMethod {
    /// Sampled Gaussian kernel truncated at 4σ (scipy's gaussian_filter).
    Exact,
    /// ITK's recursive (IIR) Gaussian, as SimpleITK SmoothingRecursiveGaussian.
    Recursive,
}

/// Options of `mean`.
#[derive(Debug, Clone, clap::Args)]
pub struct MeanArgs {
    /// Radius in voxels: one value or x,y,z (the box is 2r+1 wide).
    #[arg(long, value_name = "R", default_value = "1")]
    radius: Triple<usize>,
}

/// Options of `cast`.
#[derive(Debug, Clone, clap::Args)]
pub struct CastArgs {
    /// Output pixel type: u8, i8, u16, i16, u32, i32, f32, f64.
    #[arg(long, value_name = "TYPE")]
    pixel_type: PixelType,
}

/// Options of `median`.
#[derive(Debug, Clone, clap::Args)]
pub struct MedianArgs {
    /// Radius in voxels: one value or x,y,z (the box is 2r+1 wide).
    #[arg(long, value_name = "R", default_value = "1")]
    radius: Triple<usize>,
}

/// Options of `gradient-magnitude`.
#[derive(Debug, Clone, clap::Args)]
pub struct GradientArgs {
    /// Ignore the voxel spacing (differences per voxel instead of per mm).
    #[arg(long)]
    voxel_units: bool,
}

/// Options of `erode`, `dilate`, `open`, `close`.
#[derive(Debug, Clone, clap::Args)]
pub struct MorphArgs {
    /// Radius in voxels: one value or x,y,z (0 allowed on an axis).
    #[arg(long, value_name = "R", default_value = "1")]
    radius: Triple<usize>,
    /// Structuring element: ball (ITK's ellipsoid, as SimpleITK sitkBall) or box.
    #[arg(long, value_enum, default_value = "ball")]
    kernel: KernelArg,
    /// Binary morphology of the mask `voxel == --foreground`; output foreground/0.
    #[arg(long)]
    binary: bool,
    /// Foreground value for --binary.
    #[arg(
        long,
        value_name = "V",
        default_value = "1",
        allow_negative_numbers = true
    )]
    foreground: f64,
}

/// Structuring element names on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum KernelArg {
    /// ITK's ball: offsets with Σ(d/(r+½))² <= 1 (radius 2: 81 voxels).
    Ball,
    /// The full (2r+1)³ box.
    Box,
}

impl MorphArgs {
    fn to_filter(&self, op: MorphOp) -> Filter {
        let kernel = match self.kernel {
            KernelArg::Ball => Kernel::Ball,
            KernelArg::Box => Kernel::Box,
        };
        let mut p = MorphologyParams::new(self.radius.0, kernel);
        if self.binary {
            p = p.binary(self.foreground);
        }
        match op {
            MorphOp::Erode => Filter::Erode(p),
            MorphOp::Dilate => Filter::Dilate(p),
            MorphOp::Open => Filter::Open(p),
            MorphOp::Close => Filter::Close(p),
        }
    }
}

/// Options of `window`.
#[derive(Debug, Clone, clap::Args)]
pub struct WindowArgs {
    /// Window centre (level), input units.
    #[arg(long, allow_negative_numbers = true)]
    center: f64,
    /// Window width (> 0), input units.
    #[arg(long)]
    width: f64,
    /// Output value at the bottom of the window.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    output_min: f64,
    /// Output value at the top of the window (255 for display bytes).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    output_max: f64,
}

/// Options of `rescale`.
#[derive(Debug, Clone, clap::Args)]
pub struct RescaleArgs {
    /// Output value of the volume's minimum.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    min: f64,
    /// Output value of the volume's maximum.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    max: f64,
}

/// Options of `clamp`.
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = true)]
pub struct ClampArgs {
    /// Smallest output value.
    #[arg(long, allow_negative_numbers = true)]
    lower: Option<f64>,
    /// Largest output value.
    #[arg(long, allow_negative_numbers = true)]
    upper: Option<f64>,
}

/// Options of `zscore`.
#[derive(Debug, Clone, clap::Args)]
pub struct ZscoreArgs {
    /// Mask image (same size): mean and std over its voxels ≠ 0.
    #[arg(long, value_name = "MASK")]
    mask: Option<PathBuf>,
}

/// Options of `distance`.
#[derive(Debug, Clone, clap::Args)]
pub struct DistanceArgs {
    /// Signed map: + outside, − inside (to the contour), as SimpleITK SignedMaurerDistanceMap(insideIsPositive=False).
    #[arg(long)]
    signed: bool,
    /// Ignore the voxel spacing (distances in voxels instead of mm).
    #[arg(long)]
    voxel_units: bool,
}

/// The output grid of `resample` (exactly one).
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct ResampleGridArgs {
    /// Output spacing in mm: one value (isotropic) or x,y,z; origin kept, n = floor((n_in−1)·s_in/s)+1.
    #[arg(long, value_name = "MM", allow_negative_numbers = true)]
    spacing: Option<Triple<f64>>,
    /// Output size in voxels: one value or x,y,z; first and last voxel centres kept.
    #[arg(long, value_name = "N")]
    size: Option<Triple<usize>>,
    /// Reference image: its size, spacing, origin and direction.
    #[arg(long, value_name = "FILE")]
    reference: Option<PathBuf>,
}

/// Options of `resample`.
#[derive(Debug, Clone, clap::Args)]
pub struct ResampleArgs {
    #[command(flatten)]
    grid: ResampleGridArgs,
    /// Interpolation: nearest, linear, bspline (cubic, exact prefilter) or label (per-label linear voting).
    #[arg(long, value_enum, default_value = "linear")]
    interpolation: InterpolationArg,
    /// Label map: same as --interpolation label (never invents a label).
    #[arg(long, conflicts_with = "interpolation")]
    labels: bool,
    /// Value of output voxels outside the input.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    default_value: f64,
    /// Keep the physical extent (voxel corners; SimpleITK/Slicer resize convention) instead of the first/last voxel centres.
    #[arg(long)]
    preserve_extent: bool,
    /// Convert linear/bspline results back to the input pixel type (rounded, clamped).
    #[arg(long)]
    keep_type: bool,
}

/// Interpolation names on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum InterpolationArg {
    /// Nearest voxel (keeps the pixel type).
    Nearest,
    /// Trilinear.
    Linear,
    /// Cubic B-spline (SimpleITK sitkBSpline).
    Bspline,
    /// Per-label linear voting (SimpleITK sitkLabelLinear; keeps the pixel type).
    Label,
}

impl ResampleArgs {
    fn to_params(&self) -> ResampleParams {
        let g = &self.grid;
        let grid = match (&g.spacing, &g.size, &g.reference) {
            (Some(s), _, _) => GridSpec::Spacing(s.0),
            (None, Some(n), _) => GridSpec::Size(n.0),
            (None, None, Some(p)) => GridSpec::Reference(p.clone()),
            _ => unreachable!("clap requires one of --spacing, --size, --reference"),
        };
        let interpolation = match (self.labels, self.interpolation) {
            (true, _) | (_, InterpolationArg::Label) => Interpolation::Label,
            (_, InterpolationArg::Nearest) => Interpolation::Nearest,
            (_, InterpolationArg::Linear) => Interpolation::Linear,
            (_, InterpolationArg::Bspline) => Interpolation::BSpline,
        };
        ResampleParams {
            grid,
            interpolation,
            default_value: self.default_value,
            preserve_extent: self.preserve_extent,
            keep_type: self.keep_type,
        }
    }
}

/// Options of `bilateral`.
#[derive(Debug, Clone, clap::Args)]
pub struct BilateralArgs {
    /// σ of the spatial Gaussian in mm: one value or x,y,z.
    #[arg(
        long,
        value_name = "MM",
        default_value = "4",
        allow_negative_numbers = true
    )]
    domain_sigma: Triple<f64>,
    /// σ of the intensity Gaussian (intensity units).
    #[arg(
        long,
        value_name = "V",
        default_value_t = 50.0,
        allow_negative_numbers = true
    )]
    range_sigma: f64,
    /// Kernel radius in voxels: one value or x,y,z (default ⌈2.5·σ/spacing⌉).
    #[arg(long, value_name = "R")]
    radius: Option<Triple<usize>>,
    /// Samples of ITK's range-Gaussian lookup table.
    #[arg(long, value_name = "N", default_value_t = 100)]
    range_samples: usize,
}

/// Options of `gradient-diffusion` and `curvature-diffusion`.
#[derive(Debug, Clone, clap::Args)]
pub struct DiffusionArgs {
    /// Time step (default as SimpleITK: 0.125 gradient, 0.0625 curvature; stable up to min spacing/16).
    #[arg(long, value_name = "DT", allow_negative_numbers = true)]
    time_step: Option<f64>,
    /// Conductance parameter (larger smooths more across edges).
    #[arg(
        long,
        value_name = "K",
        default_value_t = 3.0,
        allow_negative_numbers = true
    )]
    conductance: f64,
    /// Number of iterations.
    #[arg(long, value_name = "N", default_value_t = 5)]
    iterations: usize,
    /// Iterations between updates of the mean gradient that scales the conductance.
    #[arg(long, value_name = "N", default_value_t = 1)]
    conductance_update_interval: usize,
    /// Ignore the voxel spacing (differences per voxel instead of per mm).
    #[arg(long)]
    voxel_units: bool,
}

impl DiffusionArgs {
    fn to_params(&self) -> DiffusionParams {
        DiffusionParams {
            time_step: self.time_step,
            conductance: self.conductance,
            iterations: self.iterations,
            conductance_update_interval: self.conductance_update_interval,
            use_spacing: !self.voxel_units,
        }
    }
}

/// Options of `fill-holes`.
#[derive(Debug, Clone, clap::Args)]
pub struct FillHolesArgs {
    /// Grey-level filling (reconstruction by erosion from the border) instead of binary.
    #[arg(long)]
    grey: bool,
    /// Foreground value of binary filling.
    #[arg(
        long,
        value_name = "V",
        default_value = "1",
        allow_negative_numbers = true
    )]
    foreground: f64,
}

/// Options of `white-tophat` and `black-tophat`.
#[derive(Debug, Clone, clap::Args)]
pub struct TophatArgs {
    /// Radius in voxels: one value or x,y,z (0 allowed on an axis).
    #[arg(long, value_name = "R", default_value = "1")]
    radius: Triple<usize>,
    /// Structuring element: ball (ITK's ellipsoid, as SimpleITK sitkBall) or box.
    #[arg(long, value_enum, default_value = "ball")]
    kernel: KernelArg,
    /// Edge replicate instead of ITK's safe border (= SimpleITK safeBorder=False, scipy mode='nearest').
    #[arg(long)]
    no_safe_border: bool,
}

impl TophatArgs {
    fn to_params(&self) -> TophatParams {
        let kernel = match self.kernel {
            KernelArg::Ball => Kernel::Ball,
            KernelArg::Box => Kernel::Box,
        };
        TophatParams {
            safe_border: !self.no_safe_border,
            ..TophatParams::new(self.radius.0, kernel)
        }
    }
}

/// Options of `equalize`.
#[derive(Debug, Clone, clap::Args)]
pub struct EqualizeArgs {
    /// Histogram bins for float images (integer images: one bin per value, as skimage).
    #[arg(long, default_value_t = 256)]
    bins: usize,
    /// Mask image (same size): the histogram is taken over its voxels ≠ 0.
    #[arg(long, value_name = "MASK")]
    mask: Option<PathBuf>,
}

/// Options of `clahe`.
#[derive(Debug, Clone, clap::Args)]
pub struct ClaheArgs {
    /// Tile (contextual region) size in voxels: one value or x,y,z (default 1/8 of each axis).
    #[arg(long, value_name = "K")]
    kernel_size: Option<Triple<usize>>,
    /// Clip limit in [0, 1] (0: no clipping, plain AHE).
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    clip_limit: f64,
    /// Number of grey bins (1..=16384).
    #[arg(long, default_value_t = 256)]
    bins: usize,
    /// Equalise every z-slice on its own (2D CLAHE per slice).
    #[arg(long = "2d")]
    slices: bool,
}

/// Arguments of `medvox filter`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    op: FilterOp<InOut>,
}

/// Runs `medvox filter`.
pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let (filter, io) = a.op.split();
    // Fail on an unwritable extension before the (possibly long) read.
    medvox::io::writer_for(&io.output)?;
    let image = crate::input::read_input(ctx, &io.input, None)?;
    if image.volumes.len() > 1 && !ctx.quiet {
        eprintln!(
            "medvox: note: {} holds {} volumes; filtering volume 0",
            io.input.display(),
            image.volumes.len()
        );
    }
    let vol = image.into_first();
    if !ctx.quiet {
        for w in filter.warnings(&vol) {
            eprintln!("medvox: warning: {w}");
        }
    }
    let out = crate::gpu_cmd::apply(ctx, &filter, &vol)
        .with_context(|| format!("{} failed", filter.name()))?;
    crate::progress::spin(
        ctx.chatty,
        format!("writing {}", io.output.display()),
        || medvox::io::write(&io.output, &out),
    )
    .with_context(|| format!("cannot write {}", io.output.display()))?;
    Ok(())
}
