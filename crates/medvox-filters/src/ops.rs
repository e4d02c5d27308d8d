//! The registry entries of this crate's filters ([`register`]): each op's
//! parameters as the command line writes them (`--voxel-units` is `voxel_units`,
//! with the CLI's defaults), its kind and halo, output type, and a thin call of
//! the plain function. See `medvox_ops` ("How to add an op").

use std::marker::PhantomData;

use medvox_core::{AnyVolume, Executor, PixelType};
use medvox_ops::{
    AuxInfo, Bound, Inputs, Kind, Op, OpsError, Output, OutputType, Registry, Result, Triple,
    VolumeInfo,
};

use crate::{
    BilateralParams, CastParams, ClaheParams, ClampParams, DiffusionKind, DiffusionParams,
    DistanceParams, FillHolesParams, Filter, GaussianParams, GradientMagnitudeParams, GridSpec,
    Interpolation, Kernel, LaplacianParams, MeanParams, MedianParams, MorphOp, MorphologyParams,
    RecursiveGaussianParams, ResampleParams, RescaleParams, Sigma, TophatParams, WindowParams,
};

impl From<crate::FilterError> for OpsError {
    fn from(e: crate::FilterError) -> Self {
        OpsError::Failed(Box::new(e))
    }
}

/// Registers every filter of this crate.
pub fn register(r: &mut Registry) {
    r.add(filter(
        "gaussian",
        GAUSSIAN_DOC,
        gaussian,
        gaussian_kind,
        real,
    ));
    r.add(filter("median", "Median over a (2r+1)³ box (radius per axis), edge replicate; keeps the pixel type. SimpleITK Median, scipy median_filter(mode='nearest').", |p: &RadiusParams| Ok(Filter::Median(MedianParams::new(p.radius.0))), |p, _| Ok(Kind::local(p.radius.0)), same));
    r.add(filter("mean", "Box mean over a (2r+1)³ window (radius per axis), edge replicate; f32 out (f64 for f64 in). SimpleITK Mean, scipy uniform_filter(mode='nearest').", |p: &RadiusParams| Ok(Filter::Mean(MeanParams::new(p.radius.0))), |p, _| Ok(Kind::local(p.radius.0)), real));
    r.add(filter("gradient-magnitude", "Gradient magnitude by central differences (per mm with the voxel spacing), edge replicate; f32 out (f64 for f64 in). SimpleITK GradientMagnitude.", |p: &SpacingParams| Ok(Filter::GradientMagnitude(GradientMagnitudeParams { use_spacing: !p.voxel_units })), |_, _| Ok(Kind::local([1; 3])), real));
    r.add(filter("laplacian", "Laplacian by second differences (per mm² with the voxel spacing), edge replicate; f32 out (f64 for f64 in). SimpleITK Laplacian, scipy laplace(mode='nearest').", |p: &SpacingParams| Ok(Filter::Laplacian(LaplacianParams { use_spacing: !p.voxel_units })), |_, _| Ok(Kind::local([1; 3])), real));
    r.add(filter("sobel", "Sobel gradient magnitude (scipy's separable 3D Sobel, voxel units), edge replicate; f32 out (f64 for f64 in).", |_: &NoParams| Ok(Filter::Sobel), |_, _| Ok(Kind::local([1; 3])), real));
    for a in crate::arith::ARITH {
        r.add(a);
    }
    r.add(crate::arith::MaskOp);
    for (name, op, doc) in [
        ("erode", MorphOp::Erode, "Erosion (minimum over the structuring element; --binary: the element fits in the mask); keeps the pixel type."),
        ("dilate", MorphOp::Dilate, "Dilation (maximum over the structuring element; --binary: the element touches the mask); keeps the pixel type."),
        ("open", MorphOp::Open, "Opening: erode, then dilate; keeps the pixel type."),
        ("close", MorphOp::Close, "Closing: dilate, then erode; keeps the pixel type."),
    ] {
        r.add(Morph { name, op, doc });
    }
    r.add(filter("window", "Window/level: [C−W/2, C+W/2] mapped linearly to [output-min, output-max], clamped; f32 out. SimpleITK IntensityWindowing.", window, |_, _| Ok(Kind::POINTWISE), f32_out));
    r.add(filter("rescale", "Linear rescale of the volume's [min, max] to [--min, --max]; f32 out. SimpleITK RescaleIntensity.", |p: &RescaleOpParams| Ok(Filter::Rescale(RescaleParams { min: p.min, max: p.max })), |_, _| Ok(Kind::ReduceThenLocal { halo: [0; 3] }), f32_out));
    r.add(filter(
        "clamp",
        "Clamp to [--lower, --upper] (either may be left out); keeps the pixel type. numpy clip.",
        clamp,
        |_, _| Ok(Kind::POINTWISE),
        same,
    ));
    r.add(filter("distance", "Exact Euclidean distance (mm) of each voxel ≠ 0 to the nearest 0 voxel; --signed: SimpleITK SignedMaurerDistanceMap (inside negative); f32 out. scipy distance_transform_edt.", |p: &DistanceOpParams| Ok(Filter::Distance(DistanceParams { signed: p.signed, use_spacing: !p.voxel_units })), |_, _| Ok(Kind::GlobalWithMerge), |_, _| PixelType::F32));
    r.add(filter("bilateral", "Bilateral filter (SimpleITK Bilateral: Gaussian in space times ITK's range-Gaussian table), edge replicate; f32 out (f64 for f64 in).", bilateral, |p, i| Ok(Kind::local(bilateral(p)?.bilateral_radius(i)?)), real));
    for (name, kind, doc) in [
        ("gradient-diffusion", DiffusionKind::Gradient, "Gradient anisotropic diffusion (Perona–Malik; SimpleITK GradientAnisotropicDiffusion), edge replicate; f32 out (f64 for f64 in)."),
        ("curvature-diffusion", DiffusionKind::Curvature, "Curvature anisotropic diffusion (SimpleITK CurvatureAnisotropicDiffusion), edge replicate; f32 out (f64 for f64 in)."),
    ] {
        r.add(Diffusion { name, kind, doc });
    }
    r.add(filter("fill-holes", "Fill holes: regions ≠ --foreground not connected (by faces) to the border become --foreground; --grey: grey-level fill (SimpleITK GrayscaleFillhole); keeps the pixel type. SimpleITK BinaryFillhole, scipy binary_fill_holes.", |p: &FillHolesOpParams| Ok(Filter::FillHoles(FillHolesParams { grey: p.grey, foreground: p.foreground })), |_, _| Ok(Kind::GlobalWithMerge), same));
    r.add(filter(
        "white-tophat",
        "White top-hat f − open(f) (SimpleITK WhiteTopHat, safe border); keeps the pixel type.",
        |p: &TophatOpParams| Ok(Filter::WhiteTophat(p.to_params())),
        |_, _| Ok(Kind::WholeVolume),
        same,
    ));
    r.add(filter(
        "black-tophat",
        "Black top-hat close(f) − f (SimpleITK BlackTopHat, safe border); keeps the pixel type.",
        |p: &TophatOpParams| Ok(Filter::BlackTophat(p.to_params())),
        |_, _| Ok(Kind::WholeVolume),
        same,
    ));
    r.add(filter("clahe", "CLAHE (skimage equalize_adapthist: tiled, clipped, interpolated histogram equalisation; 2D or 3D); f32 out in [0,1] (f64 for f64 in).", |p: &ClaheOpParams| Ok(Filter::Clahe(ClaheParams { kernel_size: p.kernel_size.map(|k| k.0), clip_limit: p.clip_limit, bins: p.bins, slice_by_slice: p.slice_by_slice })), |_, _| Ok(Kind::WholeVolume), real));
    r.add(filter("log", "Laplacian of Gaussian (scipy gaussian_laplace; per mm² with --sigma, per voxel² with --sigma-voxels); f32 out (f64 for f64 in).", |p: &SigmaParams| Ok(Filter::Log(p.gaussian()?)), |p, i| Ok(Kind::local(add1(p.gaussian()?.radius(&i.geometry)?))), real));
    r.add(filter("gradient-magnitude-gaussian", "Gradient magnitude of Gaussian (scipy gaussian_gradient_magnitude; per mm with --sigma, per voxel with --sigma-voxels); f32 out (f64 for f64 in).", |p: &SigmaParams| Ok(Filter::GradientMagnitudeGaussian(p.gaussian()?)), |p, i| Ok(Kind::local(add1(p.gaussian()?.radius(&i.geometry)?))), real));
    r.add(filter("cast", "Convert to another pixel type (integers: round half away from zero, clamp; NaN → 0). SimpleITK Cast.", cast, |_, _| Ok(Kind::POINTWISE), |p: &CastOpParams, t| p.pixel_type.unwrap_or(t)));
    r.add(Masked { name: "zscore" });
    r.add(Masked { name: "equalize" });
    r.add(Resample);
    r.add(crate::unsharp::UnsharpMask);
}

const GAUSSIAN_DOC: &str = "Gaussian: exact sampled kernel (scipy gaussian_filter, truncated at 4σ) or --method recursive (ITK's IIR, SimpleITK SmoothingRecursiveGaussian); edge replicate; f32 out (f64 for f64 in).";

/// Output type: f32, f64 for f64 input.
/// f64 for f64 input, else f32 (the output type of the real-valued filters).
pub(crate) fn real<P>(_: &P, t: PixelType) -> PixelType {
    if t == PixelType::F64 {
        PixelType::F64
    } else {
        PixelType::F32
    }
}

fn same<P>(_: &P, t: PixelType) -> PixelType {
    t
}

fn f32_out<P>(_: &P, _: PixelType) -> PixelType {
    PixelType::F32
}

fn add1(r: [usize; 3]) -> [usize; 3] {
    r.map(|x| x + 1)
}

/// A filter op defined by its [`Filter`] value: parameters → library filter, kind, output type.
struct FilterEntry<P> {
    name: &'static str,
    doc: &'static str,
    make: fn(&P) -> Result<Filter>,
    kind: fn(&P, &VolumeInfo) -> Result<Kind>,
    out: fn(&P, PixelType) -> PixelType,
    _p: PhantomData<fn() -> P>,
}

fn filter<P>(
    name: &'static str,
    doc: &'static str,
    make: fn(&P) -> Result<Filter>,
    kind: fn(&P, &VolumeInfo) -> Result<Kind>,
    out: fn(&P, PixelType) -> PixelType,
) -> FilterEntry<P> {
    FilterEntry {
        name,
        doc,
        make,
        kind,
        out,
        _p: PhantomData,
    }
}

/// The library [`Filter`] a registered filter op runs (the GPU backend
/// looks its kernels up from it); `None` for ops not expressed as one.
pub fn library_filter(spec: &medvox_ops::OpSpec) -> Option<Result<Filter>> {
    use medvox_ops::Describe;
    fn conv<P: Describe + serde::de::DeserializeOwned>(
        spec: &medvox_ops::OpSpec,
        make: fn(&P) -> Result<Filter>,
    ) -> Result<Filter> {
        let p: P = serde_json::from_value(serde_json::Value::Object(spec.params.clone()))
            .map_err(|e| OpsError::invalid(&spec.op, e.to_string()))?;
        make(&p)
    }
    Some(match spec.op.as_str() {
        "gaussian" => conv(spec, gaussian),
        "median" => conv(spec, |p: &RadiusParams| {
            Ok(Filter::Median(MedianParams::new(p.radius.0)))
        }),
        "mean" => conv(spec, |p: &RadiusParams| {
            Ok(Filter::Mean(MeanParams::new(p.radius.0)))
        }),
        "gradient-magnitude" => conv(spec, |p: &SpacingParams| {
            Ok(Filter::GradientMagnitude(GradientMagnitudeParams {
                use_spacing: !p.voxel_units,
            }))
        }),
        "sobel" => Ok(Filter::Sobel),
        "erode" | "dilate" | "open" | "close" => conv(spec, |p: &MorphOpParams| {
            Ok(Filter::Erode(p.to_params()))
        })
        .map(|f| match (f, spec.op.as_str()) {
            (Filter::Erode(m), "dilate") => Filter::Dilate(m),
            (Filter::Erode(m), "open") => Filter::Open(m),
            (Filter::Erode(m), "close") => Filter::Close(m),
            (f, _) => f,
        }),
        "window" => conv(spec, window),
        "rescale" => conv(spec, |p: &RescaleOpParams| {
            Ok(Filter::Rescale(RescaleParams {
                min: p.min,
                max: p.max,
            }))
        }),
        "clamp" => conv(spec, clamp),
        "cast" => conv(spec, cast),
        "equalize" => conv(spec, |p: &EqualizeOpParams| {
            Ok(Filter::Equalize(crate::EqualizeParams {
                bins: p.bins,
                mask: None,
            }))
        }),
        "resample" => {
            let p: Result<ResampleOpParams> =
                serde_json::from_value(serde_json::Value::Object(spec.params.clone()))
                    .map_err(|e| OpsError::invalid(&spec.op, e.to_string()));
            p.and_then(|p| Ok(Filter::Resample(p.to_params(None)?)))
        }
        _ => return None,
    })
}

impl<P> Op for FilterEntry<P>
where
    P: medvox_ops::Describe
        + serde::Serialize
        + serde::de::DeserializeOwned
        + Default
        + Clone
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    type Params = P;
    type Report = ();
    fn name(&self) -> &'static str {
        self.name
    }
    fn group(&self) -> &'static str {
        "filter"
    }
    fn doc(&self) -> &'static str {
        self.doc
    }
    fn bind(&self, p: &P, input: &VolumeInfo) -> Result<Bound> {
        (self.make)(p)?;
        let kind = (self.kind)(p, input)?;
        let out = OutputType::Volume((self.out)(p, input.pixel_type));
        Ok(Bound::same_grid(kind, out, input))
    }
    fn run(&self, p: &P, inputs: &Inputs<'_>, exec: &Executor) -> Result<Output<()>> {
        Ok(Output::volume((self.make)(p)?.apply(inputs.main, exec)?))
    }
}

medvox_ops::choice! {
    /// `gaussian --method`.
    pub enum GaussianMethod {
        /// Sampled Gaussian kernel truncated at 4σ (scipy's gaussian_filter).
        Exact = "exact",
        /// ITK's recursive (IIR) Gaussian, as SimpleITK SmoothingRecursiveGaussian; cost independent of σ.
        Recursive = "recursive",
    }
}

medvox_ops::params! {
    /// Parameters of `gaussian`.
    pub struct GaussianOpParams {
        /// σ in millimetres: one value or x,y,z (divided by the voxel spacing). One of sigma, sigma_voxels is required.
        sigma: Option<Triple<f64>> = None,
        /// σ in voxels: one value or x,y,z (spacing ignored).
        sigma_voxels: Option<Triple<f64>> = None,
        /// exact: sampled kernel (scipy); recursive: ITK's Deriche IIR (SimpleITK SmoothingRecursiveGaussian).
        method: GaussianMethod = GaussianMethod::Exact,
    }
}

medvox_ops::params! {
    /// Parameters of `log` and `gradient-magnitude-gaussian`.
    pub struct SigmaParams {
        /// σ in millimetres: one value or x,y,z (divided by the voxel spacing). One of sigma, sigma_voxels is required.
        sigma: Option<Triple<f64>> = None,
        /// σ in voxels: one value or x,y,z (spacing ignored).
        sigma_voxels: Option<Triple<f64>> = None,
    }
}

fn sigma_of(op: &str, mm: Option<Triple<f64>>, vox: Option<Triple<f64>>) -> Result<Sigma> {
    match (mm, vox) {
        (Some(s), None) => Ok(Sigma::Mm(s.0)),
        (None, Some(s)) => Ok(Sigma::Voxels(s.0)),
        _ => Err(OpsError::invalid(
            op,
            "exactly one of --sigma (mm) and --sigma-voxels is required",
        )),
    }
}

impl SigmaParams {
    fn gaussian(&self) -> Result<GaussianParams> {
        Ok(GaussianParams {
            sigma: sigma_of("log", self.sigma, self.sigma_voxels)?,
            ..GaussianParams::mm(0.0)
        })
    }
}

fn gaussian(p: &GaussianOpParams) -> Result<Filter> {
    let sigma = sigma_of("gaussian", p.sigma, p.sigma_voxels)?;
    Ok(match p.method {
        GaussianMethod::Exact => Filter::Gaussian(GaussianParams {
            sigma,
            ..GaussianParams::mm(0.0)
        }),
        GaussianMethod::Recursive => Filter::GaussianRecursive(RecursiveGaussianParams { sigma }),
    })
}

fn gaussian_kind(p: &GaussianOpParams, i: &VolumeInfo) -> Result<Kind> {
    Ok(match gaussian(p)? {
        Filter::Gaussian(g) => Kind::local(g.radius(&i.geometry)?),
        _ => Kind::WholeVolume,
    })
}

medvox_ops::params! {
    /// Parameters of `median` and `mean`.
    pub struct RadiusParams {
        /// Radius in voxels: one value or x,y,z (the box is 2r+1 wide).
        radius: Triple<usize> = Triple::all(1),
    }
}

medvox_ops::params! {
    /// Parameters of `gradient-magnitude` and `laplacian`.
    pub struct SpacingParams {
        /// Ignore the voxel spacing (differences per voxel instead of per mm).
        voxel_units: bool = false,
    }
}

medvox_ops::params! {
    /// No parameters.
    pub struct NoParams {}
}

medvox_ops::choice! {
    /// Structuring element.
    pub enum KernelArg {
        /// ITK's ball: offsets with Σ(d/(r+½))² <= 1 (as SimpleITK sitkBall).
        Ball = "ball",
        /// The full (2r+1)³ box.
        Box = "box",
    }
}

impl From<KernelArg> for Kernel {
    fn from(k: KernelArg) -> Kernel {
        match k {
            KernelArg::Ball => Kernel::Ball,
            KernelArg::Box => Kernel::Box,
        }
    }
}

medvox_ops::params! {
    /// Parameters of `erode`, `dilate`, `open`, `close`.
    pub struct MorphOpParams {
        /// Radius in voxels: one value or x,y,z (0 allowed on an axis).
        radius: Triple<usize> = Triple::all(1),
        /// Structuring element: ball (ITK's ellipsoid, as SimpleITK sitkBall) or box.
        kernel: KernelArg = KernelArg::Ball,
        /// Binary morphology of the mask `voxel == foreground`; output foreground/0.
        binary: bool = false,
        /// Foreground value for binary.
        foreground: f64 = 1.0,
    }
}

impl MorphOpParams {
    fn to_params(&self) -> MorphologyParams {
        let p = MorphologyParams::new(self.radius.0, self.kernel.into());
        if self.binary {
            p.binary(self.foreground)
        } else {
            p
        }
    }
}

struct Morph {
    name: &'static str,
    op: MorphOp,
    doc: &'static str,
}

impl Op for Morph {
    type Params = MorphOpParams;
    type Report = ();
    fn name(&self) -> &'static str {
        self.name
    }
    fn group(&self) -> &'static str {
        "filter"
    }
    fn doc(&self) -> &'static str {
        self.doc
    }
    fn bind(&self, p: &MorphOpParams, input: &VolumeInfo) -> Result<Bound> {
        let twice = matches!(self.op, MorphOp::Open | MorphOp::Close);
        let halo = p.radius.0.map(|r| if twice { 2 * r } else { r });
        Ok(Bound::same_grid(
            Kind::local(halo),
            OutputType::Volume(input.pixel_type),
            input,
        ))
    }
    fn run(&self, p: &MorphOpParams, inputs: &Inputs<'_>, exec: &Executor) -> Result<Output<()>> {
        Ok(Output::volume(crate::morphology::morphology_any(
            inputs.main,
            self.op,
            &p.to_params(),
            exec,
        )?))
    }
}

medvox_ops::params! {
    /// Parameters of `window`.
    pub struct WindowOpParams {
        /// Window centre (level), input units (required).
        center: Option<f64> = None,
        /// Window width (> 0), input units (required).
        width: Option<f64> = None,
        /// Output value at the bottom of the window.
        output_min: f64 = 0.0,
        /// Output value at the top of the window (255 for display bytes).
        output_max: f64 = 1.0,
    }
}

fn window(p: &WindowOpParams) -> Result<Filter> {
    let (Some(center), Some(width)) = (p.center, p.width) else {
        return Err(OpsError::invalid(
            "window",
            "--center and --width are required",
        ));
    };
    Ok(Filter::Window(WindowParams {
        center,
        width,
        output_min: p.output_min,
        output_max: p.output_max,
    }))
}

medvox_ops::params! {
    /// Parameters of `rescale`.
    pub struct RescaleOpParams {
        /// Output value of the volume's minimum.
        min: f64 = 0.0,
        /// Output value of the volume's maximum.
        max: f64 = 1.0,
    }
}

medvox_ops::params! {
    /// Parameters of `clamp`.
    pub struct ClampOpParams {
        /// Smallest output value.
        lower: Option<f64> = None,
        /// Largest output value.
        upper: Option<f64> = None,
    }
}

fn clamp(p: &ClampOpParams) -> Result<Filter> {
    if p.lower.is_none() && p.upper.is_none() {
        return Err(OpsError::invalid("clamp", "give --lower, --upper or both"));
    }
    Ok(Filter::Clamp(ClampParams {
        lower: p.lower,
        upper: p.upper,
    }))
}

medvox_ops::params! {
    /// Parameters of `distance`.
    pub struct DistanceOpParams {
        /// Signed map: + outside, − inside (to the contour), as SimpleITK SignedMaurerDistanceMap(insideIsPositive=False).
        signed: bool = false,
        /// Ignore the voxel spacing (distances in voxels instead of mm).
        voxel_units: bool = false,
    }
}

medvox_ops::params! {
    /// Parameters of `bilateral`.
    pub struct BilateralOpParams {
        /// σ of the spatial Gaussian in mm: one value or x,y,z.
        domain_sigma: Triple<f64> = Triple::all(4.0),
        /// σ of the intensity Gaussian (intensity units).
        range_sigma: f64 = 50.0,
        /// Kernel radius in voxels: one value or x,y,z (default ⌈2.5·σ/spacing⌉).
        radius: Option<Triple<usize>> = None,
        /// Samples of ITK's range-Gaussian lookup table.
        range_samples: usize = 100,
    }
}

fn bilateral(p: &BilateralOpParams) -> Result<Filter> {
    Ok(Filter::Bilateral(BilateralParams {
        domain_sigma: p.domain_sigma.0,
        range_sigma: p.range_sigma,
        radius: p.radius.map(|r| r.0),
        range_samples: p.range_samples,
    }))
}

impl Filter {
    fn bilateral_radius(&self, i: &VolumeInfo) -> Result<[usize; 3]> {
        match self {
            Filter::Bilateral(b) => Ok(b.radius(&i.geometry)?),
            _ => Ok([0; 3]),
        }
    }
}

medvox_ops::params! {
    /// Parameters of `gradient-diffusion` and `curvature-diffusion`.
    pub struct DiffusionOpParams {
        /// Time step (default as SimpleITK: 0.125 gradient, 0.0625 curvature; stable up to min spacing/16).
        time_step: Option<f64> = None,
        /// Conductance parameter (larger smooths more across edges).
        conductance: f64 = 3.0,
        /// Number of iterations.
        iterations: usize = 5,
        /// Iterations between updates of the mean gradient that scales the conductance.
        conductance_update_interval: usize = 1,
        /// Ignore the voxel spacing (differences per voxel instead of per mm).
        voxel_units: bool = false,
    }
}

impl DiffusionOpParams {
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

struct Diffusion {
    name: &'static str,
    kind: DiffusionKind,
    doc: &'static str,
}

impl Op for Diffusion {
    type Params = DiffusionOpParams;
    type Report = ();
    fn name(&self) -> &'static str {
        self.name
    }
    fn group(&self) -> &'static str {
        "filter"
    }
    fn doc(&self) -> &'static str {
        self.doc
    }
    fn bind(&self, p: &DiffusionOpParams, input: &VolumeInfo) -> Result<Bound> {
        // The conductance is scaled by the mean gradient over the whole volume.
        Ok(Bound::same_grid(
            Kind::WholeVolume,
            OutputType::Volume(real(p, input.pixel_type)),
            input,
        ))
    }
    fn run(
        &self,
        p: &DiffusionOpParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<()>> {
        Ok(Output::volume(crate::diffusion::diffusion_any(
            inputs.main,
            self.kind,
            &p.to_params(),
            exec,
        )?))
    }
    fn warnings(&self, p: &DiffusionOpParams, input: &VolumeInfo) -> Vec<String> {
        p.to_params()
            .stability_warning(self.kind, &input.geometry)
            .into_iter()
            .collect()
    }
}

medvox_ops::params! {
    /// Parameters of `fill-holes`.
    pub struct FillHolesOpParams {
        /// Grey-level filling (reconstruction by erosion from the border) instead of binary.
        grey: bool = false,
        /// Foreground value of binary filling.
        foreground: f64 = 1.0,
    }
}

medvox_ops::params! {
    /// Parameters of `white-tophat` and `black-tophat`.
    pub struct TophatOpParams {
        /// Radius in voxels: one value or x,y,z (0 allowed on an axis).
        radius: Triple<usize> = Triple::all(1),
        /// Structuring element: ball (ITK's ellipsoid, as SimpleITK sitkBall) or box.
        kernel: KernelArg = KernelArg::Ball,
        /// Edge replicate instead of ITK's safe border (= SimpleITK safeBorder=False, scipy mode='nearest').
        no_safe_border: bool = false,
    }
}

impl TophatOpParams {
    fn to_params(&self) -> TophatParams {
        TophatParams {
            safe_border: !self.no_safe_border,
            ..TophatParams::new(self.radius.0, self.kernel.into())
        }
    }
}

medvox_ops::params! {
    /// Parameters of `clahe`.
    pub struct ClaheOpParams {
        /// Tile (contextual region) size in voxels: one value or x,y,z (default 1/8 of each axis).
        kernel_size: Option<Triple<usize>> = None,
        /// Clip limit in [0, 1] (0: no clipping, plain AHE).
        clip_limit: f64 = 0.01,
        /// Number of grey bins (1..=16384).
        bins: usize = 256,
        /// Equalise every z-slice on its own (2D CLAHE per slice); `--2d` on the command line.
        [alias "2d"] slice_by_slice: bool = false,
    }
}

medvox_ops::params! {
    /// Parameters of `cast`.
    pub struct CastOpParams {
        /// Output pixel type: u8, i8, u16, i16, u32, i32, f32, f64 (required).
        pixel_type: Option<PixelType> = None,
    }
}

fn cast(p: &CastOpParams) -> Result<Filter> {
    let pixel_type = p
        .pixel_type
        .ok_or_else(|| OpsError::invalid("cast", "--pixel-type is required"))?;
    Ok(Filter::Cast(CastParams { pixel_type }))
}

medvox_ops::params! {
    /// Parameters of `zscore`.
    pub struct ZscoreOpParams {}
}

medvox_ops::params! {
    /// Parameters of `equalize`.
    pub struct EqualizeOpParams {
        /// Histogram bins for float images (integer images: one bin per value, as skimage).
        bins: usize = 256,
    }
}

/// `zscore` and `equalize`: a global reduction (moments or histogram, optionally
/// inside the auxiliary `mask`), then a pointwise map.
struct Masked {
    name: &'static str,
}

impl Op for Masked {
    type Params = EqualizeOpParams;
    type Report = ();
    fn name(&self) -> &'static str {
        self.name
    }
    fn group(&self) -> &'static str {
        "filter"
    }
    fn doc(&self) -> &'static str {
        match self.name {
            "zscore" => "Z-score (x − mean)/std, population std, over the volume or inside --mask; f32 out. (bins: unused.)",
            _ => "Global histogram equalisation (skimage equalize_hist: cdf of the histogram, optionally inside --mask); f32 out in [0,1] (f64 for f64 in).",
        }
    }
    fn aux(&self) -> Vec<AuxInfo> {
        vec![AuxInfo {
            name: "mask",
            required: false,
            doc: "mask on the same grid: statistics over its voxels ≠ 0",
        }]
    }
    fn bind(&self, p: &EqualizeOpParams, input: &VolumeInfo) -> Result<Bound> {
        let out = match self.name {
            "zscore" => PixelType::F32,
            _ => real(p, input.pixel_type),
        };
        Ok(Bound::same_grid(
            Kind::ReduceThenLocal { halo: [0; 3] },
            OutputType::Volume(out),
            input,
        ))
    }
    fn run(
        &self,
        p: &EqualizeOpParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<()>> {
        use crate::pixel::FilterPixel;
        let vol = inputs.main;
        let mask = inputs.aux("mask");
        let out: AnyVolume = if self.name == "zscore" {
            match mask {
                None => {
                    crate::intensity::zscore_any(vol, &crate::ZscoreParams { mask: None }, exec)?
                }
                Some(m) => medvox_core::with_volume!(vol, v => medvox_core::with_volume!(m, mv =>
                    AnyVolume::from(crate::intensity::zscore_masked(v, mv, exec)?))),
            }
        } else {
            match mask {
                None => crate::equalize::equalize_any(
                    vol,
                    &crate::EqualizeParams {
                        bins: p.bins,
                        mask: None,
                    },
                    exec,
                )?,
                Some(m) => medvox_core::with_volume!(vol, v => medvox_core::with_volume!(m, mv =>
                    FilterPixel::into_any(crate::equalize::equalize_masked(v, mv, p.bins, exec)?))),
            }
        };
        Ok(Output::volume(out))
    }
}

medvox_ops::choice! {
    /// Interpolation of `resample`.
    pub enum InterpolationArg {
        /// Nearest voxel (keeps the pixel type).
        Nearest = "nearest",
        /// Trilinear.
        Linear = "linear",
        /// Cubic B-spline (SimpleITK sitkBSpline).
        Bspline = "bspline",
        /// Per-label linear voting (SimpleITK sitkLabelLinear; keeps the pixel type).
        Label = "label",
    }
}

medvox_ops::params! {
    /// Parameters of `resample` (the grid: exactly one of spacing, size, or the auxiliary input `reference`).
    pub struct ResampleOpParams {
        /// Output spacing in mm: one value (isotropic) or x,y,z; origin kept, n = floor((n_in−1)·s_in/s)+1.
        spacing: Option<Triple<f64>> = None,
        /// Output size in voxels: one value or x,y,z; first and last voxel centres kept.
        size: Option<Triple<usize>> = None,
        /// Interpolation: nearest, linear, bspline (cubic, exact prefilter) or label (per-label linear voting).
        interpolation: InterpolationArg = InterpolationArg::Linear,
        /// Label map: same as interpolation label (never invents a label).
        labels: bool = false,
        /// Value of output voxels outside the input.
        default_value: f64 = 0.0,
        /// Keep the physical extent (voxel corners; SimpleITK/Slicer resize convention) instead of the first/last voxel centres.
        preserve_extent: bool = false,
        /// Convert linear/bspline results back to the input pixel type (rounded, clamped).
        keep_type: bool = false,
    }
}

impl ResampleOpParams {
    /// Library parameters; `reference` is the reference grid's presence (the
    /// grid itself is passed separately).
    fn to_params(&self, reference: Option<()>) -> Result<ResampleParams> {
        let grid = match (self.spacing, self.size, reference) {
            (Some(s), None, None) => GridSpec::Spacing(s.0),
            (None, Some(n), None) => GridSpec::Size(n.0),
            (None, None, Some(())) => GridSpec::Size([0; 3]),
            _ => {
                return Err(OpsError::invalid(
                    "resample",
                    "exactly one of --spacing, --size and --reference is required",
                ))
            }
        };
        let interpolation = match (self.labels, self.interpolation) {
            (true, _) | (_, InterpolationArg::Label) => Interpolation::Label,
            (_, InterpolationArg::Nearest) => Interpolation::Nearest,
            (_, InterpolationArg::Linear) => Interpolation::Linear,
            (_, InterpolationArg::Bspline) => Interpolation::BSpline,
        };
        Ok(ResampleParams {
            grid,
            interpolation,
            default_value: self.default_value,
            preserve_extent: self.preserve_extent,
            keep_type: self.keep_type,
        })
    }
}

/// `resample`: onto a spacing, a size, or the grid of the auxiliary input `reference`.
struct Resample;

impl Op for Resample {
    type Params = ResampleOpParams;
    type Report = ();
    fn name(&self) -> &'static str {
        "resample"
    }
    fn group(&self) -> &'static str {
        "filter"
    }
    fn doc(&self) -> &'static str {
        "Resample onto a new grid (--spacing, --size or --reference), nearest/linear/bspline/label interpolation as SimpleITK Resample; default linear, f32 out (nearest/label keep the type)."
    }
    fn aux(&self) -> Vec<AuxInfo> {
        vec![AuxInfo {
            name: "reference",
            required: false,
            doc: "image whose size, spacing, origin and direction are the output grid",
        }]
    }
    fn bind(&self, p: &ResampleOpParams, input: &VolumeInfo) -> Result<Bound> {
        // The reference's presence is checked at run time (bind sees only the main input).
        let rp = p.to_params(None).or_else(|_| p.to_params(Some(())))?;
        let size = match &rp.grid {
            GridSpec::Size([0, 0, 0]) => input.size,
            _ => crate::resample::output_grid(input.size, &input.geometry, &rp)?.size,
        };
        let out = if rp.interpolation.keeps_type() || p.keep_type {
            input.pixel_type
        } else {
            real(p, input.pixel_type)
        };
        Ok(Bound {
            kind: Kind::WholeVolume,
            output: OutputType::Volume(out),
            size,
        })
    }
    fn run(
        &self,
        p: &ResampleOpParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<()>> {
        let reference = inputs.aux("reference");
        let rp = p.to_params(reference.map(|_| ()))?;
        let vol = inputs.main;
        let out = match reference {
            None => crate::resample::resample_any(vol, &rp, exec)?,
            Some(r) => {
                let grid = crate::resample::Grid {
                    size: r.size(),
                    geometry: *r.geometry(),
                };
                medvox_core::with_volume!(vol, v => crate::resample::resample_with_plan(
                    v, &grid, &rp, exec, &exec.plan(grid.size, [0; 3]))?)
            }
        };
        Ok(Output::volume(out))
    }
}
