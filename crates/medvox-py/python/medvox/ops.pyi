"""Type stubs of medvox.ops, generated from the op registry by
`python -m medvox._stubgen` (do not edit)."""

import builtins
from typing import Any, Literal, TypeVar

import numpy as np

from ._image import Image, Table

_T = TypeVar("_T", Image, np.ndarray)
_Aux = Image | np.ndarray
_Device = Literal["cpu", "gpu", "auto"]

def list() -> builtins.list[dict[str, Any]]: ...
def info(name: str) -> dict[str, Any]: ...

__all__ = ['list', 'info', 'add', 'bilateral', 'black_tophat', 'brain_extract', 'canny', 'cast', 'clahe', 'clamp', 'close', 'components', 'confidence_connected', 'curvature_diffusion', 'dilate', 'distance', 'divide', 'equalize', 'erode', 'fbp', 'fdk', 'fill_holes', 'gaussian', 'gradient_diffusion', 'gradient_magnitude', 'gradient_magnitude_gaussian', 'huang', 'infer', 'isodata', 'keep_largest', 'label_compare', 'label_fill_holes', 'label_stats', 'laplacian', 'li', 'log', 'mask', 'max', 'mean', 'median', 'min', 'multi_otsu', 'multiply', 'neighborhood_connected', 'open', 'otsu', 'project', 'radiomics', 'region_grow', 'register', 'relabel', 'resample', 'rescale', 'sobel', 'subtract', 'threshold', 'threshold_mean', 'triangle', 'unsharp_mask', 'warp', 'watershed', 'white_tophat', 'window', 'yen', 'zscore']

def add(input: _T, /, *, value: float | None = ..., image: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> _T:
    """Voxel-wise x + (--value or --image); f32 out (f64 for f64 in). fslmaths -add, c3d -add."""
    ...

def bilateral(input: _T, /, *, domain_sigma: float | tuple[float, float, float] = ..., range_sigma: float = ..., radius: int | tuple[int, int, int] | None = ..., range_samples: int = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Bilateral filter (SimpleITK Bilateral: Gaussian in space times ITK's range-Gaussian table), edge replicate; f32 out (f64 for f64 in)."""
    ...

def black_tophat(input: _T, /, *, radius: int | tuple[int, int, int] = ..., kernel: Literal['ball', 'box'] = ..., no_safe_border: bool = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Black top-hat close(f) − f (SimpleITK BlackTopHat, safe border); keeps the pixel type."""
    ...

def brain_extract(input: _T, /, *, models: str | None = ..., device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """deepbet brain extraction of a T1 MR volume (two pretrained networks, the original pipeline's pre- and post-processing); u8 mask (1 = brain) on the input's grid; report: quantiles, box, voxel counts, TIV (cm³). Dice ≥ 0.999 with the original PyTorch pipeline on the MNI152 T1."""
    ...

def canny(input: _T, /, *, variance: float = ..., lower: float | None = ..., upper: float | None = ..., connectivity: int = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Canny edges as ITK's CannyEdgeDetection (Gaussian variance in mm², hysteresis on |∇|); u8 out."""
    ...

def cast(input: _T, /, *, pixel_type: Literal['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'f64'] | None = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Convert to another pixel type (integers: round half away from zero, clamp; NaN → 0). SimpleITK Cast."""
    ...

def clahe(input: _T, /, *, kernel_size: int | tuple[int, int, int] | None = ..., clip_limit: float = ..., bins: int = ..., slice_by_slice: bool = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """CLAHE (skimage equalize_adapthist: tiled, clipped, interpolated histogram equalisation; 2D or 3D); f32 out in [0,1] (f64 for f64 in)."""
    ...

def clamp(input: _T, /, *, lower: float | None = ..., upper: float | None = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Clamp to [--lower, --upper] (either may be left out); keeps the pixel type. numpy clip."""
    ...

def close(input: _T, /, *, radius: int | tuple[int, int, int] = ..., kernel: Literal['ball', 'box'] = ..., binary: bool = ..., foreground: float = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Closing: dilate, then erode; keeps the pixel type."""
    ...

def components(input: _T, /, *, connectivity: int = ..., order: Literal['raster', 'size'] = ..., min_size: int = ..., keep_largest: bool = ..., device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """Connected components of the non-zero voxels (u32 labels; parallel over blocks, merged by union–find). scipy label, cc3d."""
    ...

def confidence_connected(input: _T, /, *, seed: builtins.list[int | tuple[int, int, int]] | tuple[int | tuple[int, int, int], ...] = ..., seed_mm: builtins.list[float | tuple[float, float, float]] | tuple[float | tuple[float, float, float], ...] = ..., connectivity: int = ..., lower: float | None = ..., upper: float | None = ..., multiplier: float = ..., iterations: int = ..., radius: int | tuple[int, int, int] = ..., device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """Confidence connected region growing (SimpleITK ConfidenceConnected); reports the final interval."""
    ...

def curvature_diffusion(input: _T, /, *, time_step: float | None = ..., conductance: float = ..., iterations: int = ..., conductance_update_interval: int = ..., voxel_units: bool = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Curvature anisotropic diffusion (SimpleITK CurvatureAnisotropicDiffusion), edge replicate; f32 out (f64 for f64 in)."""
    ...

def dilate(input: _T, /, *, radius: int | tuple[int, int, int] = ..., kernel: Literal['ball', 'box'] = ..., binary: bool = ..., foreground: float = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Dilation (maximum over the structuring element; --binary: the element touches the mask); keeps the pixel type."""
    ...

def distance(input: _T, /, *, signed: bool = ..., voxel_units: bool = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Exact Euclidean distance (mm) of each voxel ≠ 0 to the nearest 0 voxel; --signed: SimpleITK SignedMaurerDistanceMap (inside negative); f32 out. scipy distance_transform_edt."""
    ...

def divide(input: _T, /, *, value: float | None = ..., image: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> _T:
    """Voxel-wise x / (--value or --image), IEEE division (x/0 = ±inf, 0/0 = NaN) as numpy; f32 out (f64 for f64 in). fslmaths -div."""
    ...

def equalize(input: _T, /, *, bins: int = ..., mask: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> _T:
    """Global histogram equalisation (skimage equalize_hist: cdf of the histogram, optionally inside --mask); f32 out in [0,1] (f64 for f64 in)."""
    ...

def erode(input: _T, /, *, radius: int | tuple[int, int, int] = ..., kernel: Literal['ball', 'box'] = ..., binary: bool = ..., foreground: float = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Erosion (minimum over the structuring element; --binary: the element fits in the mask); keeps the pixel type."""
    ...

def fbp(input: _T, /, *, geometry: str = ..., angles: int | None = ..., arc: float | None = ..., start: float = ..., sid: float = ..., sdd: float = ..., axis: Literal['y', 'z'] | None = ..., filter: Literal['ram-lak', 'shepp-logan', 'cosine', 'hamming', 'hann'] = ..., size: int | tuple[int, int, int] | None = ..., spacing: float | tuple[float, float, float] | None = ..., origin: float | tuple[float, float, float] | None = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Filtered backprojection (parallel or fan beam): projection stack [nu, nv, n] → volume; f32 out."""
    ...

def fdk(input: _T, /, *, geometry: str = ..., angles: int | None = ..., arc: float | None = ..., start: float = ..., sid: float = ..., sdd: float = ..., axis: Literal['y', 'z'] | None = ..., filter: Literal['ram-lak', 'shepp-logan', 'cosine', 'hamming', 'hann'] = ..., size: int | tuple[int, int, int] | None = ..., spacing: float | tuple[float, float, float] | None = ..., origin: float | tuple[float, float, float] | None = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """FDK cone-beam reconstruction: projection stack [nu, nv, n] → volume; f32 out."""
    ...

def fill_holes(input: _T, /, *, grey: bool = ..., foreground: float = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Fill holes: regions ≠ --foreground not connected (by faces) to the border become --foreground; --grey: grey-level fill (SimpleITK GrayscaleFillhole); keeps the pixel type. SimpleITK BinaryFillhole, scipy binary_fill_holes."""
    ...

def gaussian(input: _T, /, *, sigma: float | tuple[float, float, float] | None = ..., sigma_voxels: float | tuple[float, float, float] | None = ..., method: Literal['exact', 'recursive'] = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Gaussian: exact sampled kernel (scipy gaussian_filter, truncated at 4σ) or --method recursive (ITK's IIR, SimpleITK SmoothingRecursiveGaussian); edge replicate; f32 out (f64 for f64 in)."""
    ...

def gradient_diffusion(input: _T, /, *, time_step: float | None = ..., conductance: float = ..., iterations: int = ..., conductance_update_interval: int = ..., voxel_units: bool = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Gradient anisotropic diffusion (Perona–Malik; SimpleITK GradientAnisotropicDiffusion), edge replicate; f32 out (f64 for f64 in)."""
    ...

def gradient_magnitude(input: _T, /, *, voxel_units: bool = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Gradient magnitude by central differences (per mm with the voxel spacing), edge replicate; f32 out (f64 for f64 in). SimpleITK GradientMagnitude."""
    ...

def gradient_magnitude_gaussian(input: _T, /, *, sigma: float | tuple[float, float, float] | None = ..., sigma_voxels: float | tuple[float, float, float] | None = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Gradient magnitude of Gaussian (scipy gaussian_gradient_magnitude; per mm with --sigma, per voxel with --sigma-voxels); f32 out (f64 for f64 in)."""
    ...

def huang(input: _T, /, *, bins: int = ..., mask: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """Huang's fuzzy threshold (SimpleITK HuangThreshold); mask = value > t."""
    ...

def infer(input: _T, /, *, model: str = ..., window: int | tuple[int, int, int] = ..., overlap: float = ..., blend: Literal['constant', 'gaussian'] = ..., sigma_scale: float = ..., batch: int = ..., axes: Literal['xyz', 'zyx'] = ..., reorient: Literal['none', 'RAS'] = ..., output: Literal['labels', 'probability'] = ..., channel: int = ..., softmax: bool = ..., device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """ONNX segmentation network over the volume with MONAI's sliding windows (window, overlap, constant/Gaussian blending, padding of small images); labels (u8 argmax) or one channel's probability (f32) on the input's grid. Equals MONAI sliding_window_inference within 1e-4 (tract vs the onnxruntime network MONAI ran)."""
    ...

def isodata(input: _T, /, *, bins: int = ..., mask: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """IsoData (Ridler–Calvard) threshold (SimpleITK IsoDataThreshold); mask = value > t."""
    ...

def keep_largest(input: _T, /, *, connectivity: int = ..., order: Literal['raster', 'size'] = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Keep only the largest connected component of every label; u32 out."""
    ...

def label_compare(input: _T, /, *, background: int = ..., no_distances: bool = ..., reference: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> dict[str, Any]:
    """Overlap of the input (e.g. a prediction) with the auxiliary input `reference`: per label and overall Dice, Jaccard, volume similarity, Hausdorff, HD95 and ASSD (mm). A report."""
    ...

def label_fill_holes(input: _T, /, *, connectivity: int = ..., order: Literal['raster', 'size'] = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Fill the holes (enclosed background) of every label; u32 out. `medvox segment fill-holes`."""
    ...

def label_stats(input: _T, /, *, background: int = ..., image: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> Table:
    """Per label: voxels, volume (mm³), centroid (mm, LPS), bounding box; with the auxiliary input `image`: mean, sample std, min, max, exact median, sum. A table. SimpleITK LabelShapeStatistics/LabelStatistics."""
    ...

def laplacian(input: _T, /, *, voxel_units: bool = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Laplacian by second differences (per mm² with the voxel spacing), edge replicate; f32 out (f64 for f64 in). SimpleITK Laplacian, scipy laplace(mode='nearest')."""
    ...

def li(input: _T, /, *, bins: int = ..., mask: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """Li's minimum cross-entropy threshold (SimpleITK LiThreshold); mask = value > t."""
    ...

def log(input: _T, /, *, sigma: float | tuple[float, float, float] | None = ..., sigma_voxels: float | tuple[float, float, float] | None = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Laplacian of Gaussian (scipy gaussian_laplace; per mm² with --sigma, per voxel² with --sigma-voxels); f32 out (f64 for f64 in)."""
    ...

def mask(input: _T, /, *, outside: float = ..., mask: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> _T:
    """The input where --mask ≠ 0, --outside (default 0) elsewhere; keeps the pixel type. fslmaths -mas, SimpleITK Mask."""
    ...

def max(input: _T, /, *, value: float | None = ..., image: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> _T:
    """Voxel-wise maximum of x and (--value or --image) (NaN if either is NaN, as numpy.maximum); f32 out (f64 for f64 in). fslmaths -max."""
    ...

def mean(input: _T, /, *, radius: int | tuple[int, int, int] = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Box mean over a (2r+1)³ window (radius per axis), edge replicate; f32 out (f64 for f64 in). SimpleITK Mean, scipy uniform_filter(mode='nearest')."""
    ...

def median(input: _T, /, *, radius: int | tuple[int, int, int] = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Median over a (2r+1)³ box (radius per axis), edge replicate; keeps the pixel type. SimpleITK Median, scipy median_filter(mode='nearest')."""
    ...

def min(input: _T, /, *, value: float | None = ..., image: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> _T:
    """Voxel-wise minimum of x and (--value or --image) (NaN if either is NaN, as numpy.minimum); f32 out (f64 for f64 in). fslmaths -min."""
    ...

def multi_otsu(input: _T, /, *, classes: int = ..., bins: int = ..., mask: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """Multi-Otsu: K classes, labels 0..K-1 (SimpleITK OtsuMultipleThresholds); u8 out; reports the thresholds."""
    ...

def multiply(input: _T, /, *, value: float | None = ..., image: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> _T:
    """Voxel-wise x · (--value or --image); f32 out (f64 for f64 in). fslmaths -mul, c3d -scale."""
    ...

def neighborhood_connected(input: _T, /, *, seed: builtins.list[int | tuple[int, int, int]] | tuple[int | tuple[int, int, int], ...] = ..., seed_mm: builtins.list[float | tuple[float, float, float]] | tuple[float | tuple[float, float, float], ...] = ..., connectivity: int = ..., lower: float | None = ..., upper: float | None = ..., multiplier: float = ..., iterations: int = ..., radius: int | tuple[int, int, int] = ..., device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """Neighbourhood connected region growing: the whole box of --radius lies in [lower, upper] (SimpleITK NeighborhoodConnected)."""
    ...

def open(input: _T, /, *, radius: int | tuple[int, int, int] = ..., kernel: Literal['ball', 'box'] = ..., binary: bool = ..., foreground: float = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Opening: erode, then dilate; keeps the pixel type."""
    ...

def otsu(input: _T, /, *, bins: int = ..., mask: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """Otsu threshold (SimpleITK OtsuThreshold bins); mask = value > t (u8); reports t."""
    ...

def project(input: _T, /, *, geometry: str = ..., angles: int | None = ..., arc: float | None = ..., start: float = ..., sid: float = ..., sdd: float = ..., axis: Literal['y', 'z'] | None = ..., detector: builtins.list[int] | tuple[int, ...] | None = ..., detector_spacing: builtins.list[float] | tuple[float, ...] | None = ..., detector_origin: builtins.list[float] | tuple[float, ...] | None = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """CT forward projection (Joseph): volume → projection stack [nu, nv, projections]; f32 out."""
    ...

def radiomics(input: _T, /, *, labels: builtins.list[int] | tuple[int, ...] = ..., bin_width: float = ..., bin_lower_bound: float | None = ..., bin_count: int = ..., image: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> Table:
    """IBSI radiomics features of every label (main input: the label map; input `image`: the intensities on its grid). A table: label, voxels, family, feature, IBSI code, aggregation, key, value. `medvox features`."""
    ...

def region_grow(input: _T, /, *, seed: builtins.list[int | tuple[int, int, int]] | tuple[int | tuple[int, int, int], ...] = ..., seed_mm: builtins.list[float | tuple[float, float, float]] | tuple[float | tuple[float, float, float], ...] = ..., connectivity: int = ..., lower: float | None = ..., upper: float | None = ..., multiplier: float = ..., iterations: int = ..., radius: int | tuple[int, int, int] = ..., device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """Connected threshold region growing from seeds (SimpleITK ConnectedThreshold); u8 out."""
    ...

def register(input: _T, /, *, transform: Literal['rigid', 'affine', 'translation'] = ..., metric: Literal['mi', 'ncc', 'mse'] = ..., levels: builtins.list[int] | tuple[int, ...] = ..., init: Literal['geometry', 'moments', 'none'] = ..., initial_transform: str | None = ..., bins: int = ..., max_samples: int = ..., iterations: int = ..., learning_rate: float = ..., min_step: float = ..., out_transform: str | None = ..., interpolation: Literal['linear', 'nearest', 'bspline', 'label'] = ..., moving: _Aux | None = None, mask: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """Rigid/affine registration (Mattes MI, NCC or MSE; multi-resolution regular-step gradient descent, ITK conventions) of the auxiliary input `moving` to the main input (fixed); output: moving resampled onto the fixed grid (f32 for linear); report: the fixed → moving ITK transform (Euler3DTransform/AffineTransform parameters, centre) and the metric per level. As SimpleITK ImageRegistrationMethod / elastix."""
    ...

def relabel(input: _T, /, *, connectivity: int = ..., order: Literal['raster', 'size'] = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Renumber the labels of a label map 1..K (by first voxel, or --order size); u32 out."""
    ...

def resample(input: _T, /, *, spacing: float | tuple[float, float, float] | None = ..., size: int | tuple[int, int, int] | None = ..., interpolation: Literal['nearest', 'linear', 'bspline', 'label'] = ..., labels: bool = ..., default_value: float = ..., preserve_extent: bool = ..., keep_type: bool = ..., reference: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> _T:
    """Resample onto a new grid (--spacing, --size or --reference), nearest/linear/bspline/label interpolation as SimpleITK Resample; default linear, f32 out (nearest/label keep the type)."""
    ...

def rescale(input: _T, /, *, min: float = ..., max: float = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Linear rescale of the volume's [min, max] to [--min, --max]; f32 out. SimpleITK RescaleIntensity."""
    ...

def sobel(input: _T, /, *, device: _Device | None = None, threads: int | None = None) -> _T:
    """Sobel gradient magnitude (scipy's separable 3D Sobel, voxel units), edge replicate; f32 out (f64 for f64 in)."""
    ...

def subtract(input: _T, /, *, value: float | None = ..., image: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> _T:
    """Voxel-wise x − (--value or --image); f32 out (f64 for f64 in). fslmaths -sub."""
    ...

def threshold(input: _T, /, *, lower: float | None = ..., upper: float | None = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Binary threshold: 1 where lower <= value <= upper (inclusive), else 0; u8 out."""
    ...

def threshold_mean(input: _T, /, *, bins: int = ..., mask: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """Mean of the (masked) voxels as threshold (scikit-image threshold_mean); mask = value > t. `medvox segment mean`."""
    ...

def triangle(input: _T, /, *, bins: int = ..., mask: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """Triangle threshold (SimpleITK TriangleThreshold); mask = value > t."""
    ...

def unsharp_mask(input: _T, /, *, sigma: float | tuple[float, float, float] | None = ..., sigma_voxels: float | tuple[float, float, float] | None = ..., amount: float = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Unsharp mask x + amount·(x − Gaussian(x)) (Gaussian as `gaussian`: truncated at 4σ, edge replicate); f32 out (f64 for f64 in)."""
    ...

def warp(input: _T, /, *, transform: builtins.list[str] | tuple[str, ...] = ..., invert: bool = ..., interpolation: Literal['linear', 'nearest', 'bspline', 'label'] = ..., default_value: float = ..., reference: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """Resample the main input (moving) through fixed → moving ITK .tfm transform(s) onto the grid of the auxiliary input `reference` (default: its own grid), as SimpleITK Resample(moving, reference, transform); linear/bspline give f32, nearest/label keep the type."""
    ...

def watershed(input: _T, /, *, level: float | None = ..., lines: bool = ..., connectivity: int = ..., markers: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> _T:
    """Watershed: from --markers (priority flood) or from regional minima after h-minima --level; u32 labels. SimpleITK MorphologicalWatershed(FromMarkers)."""
    ...

def white_tophat(input: _T, /, *, radius: int | tuple[int, int, int] = ..., kernel: Literal['ball', 'box'] = ..., no_safe_border: bool = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """White top-hat f − open(f) (SimpleITK WhiteTopHat, safe border); keeps the pixel type."""
    ...

def window(input: _T, /, *, center: float | None = ..., width: float | None = ..., output_min: float = ..., output_max: float = ..., device: _Device | None = None, threads: int | None = None) -> _T:
    """Window/level: [C−W/2, C+W/2] mapped linearly to [output-min, output-max], clamped; f32 out. SimpleITK IntensityWindowing."""
    ...

def yen(input: _T, /, *, bins: int = ..., mask: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> tuple[_T, dict[str, Any]]:
    """Yen threshold (SimpleITK YenThreshold); mask = value > t."""
    ...

def zscore(input: _T, /, *, bins: int = ..., mask: _Aux | None = None, device: _Device | None = None, threads: int | None = None) -> _T:
    """Z-score (x − mean)/std, population std, over the volume or inside --mask; f32 out. (bins: unused.)"""
    ...
