"""mean, sobel, laplacian, log, gradient-magnitude-gaussian, gaussian --method
recursive and cast (`medvox filter`) against scipy.ndimage and SimpleITK on the
same input (the int16 phantom of test_filters.py with anisotropic spacing, one-slice
images, a real NIfTI file).

Tolerances (|Δ| <= tol × max(1, max|reference|)):
* exact kernels (mean, sobel, laplacian, log, gradient-magnitude-gaussian) vs scipy
  and SimpleITK Mean/Laplacian: 1e-5 (float rounding only: medvox sums in f64, scipy
  stores f32 between 1D passes).
* gaussian --method recursive vs SimpleITK SmoothingRecursiveGaussian: 1e-6 (the same
  IIR and coefficients; measured ~1.2e-7: ITK stores f32 between the axes).
* log / gradient-magnitude-gaussian vs SimpleITK's recursive (IIR) versions: looser,
  5e-2 / 2e-2 (measured 1.2e-2 / 0.7e-2 at σ = 2.5 mm), because ITK approximates the
  Gaussian derivatives with Deriche filters; below ~1 voxel σ ITK's IIR derivatives
  break down (σ = 1 mm, 0.4 voxel on z: LoG differs by 130 % of the range).
* cast: identical to SimpleITK Cast where both definitions agree (values already
  representable); they differ on fractional and out-of-range values (ITK truncates
  and does not clamp; medvox rounds half away from zero and saturates).
"""
import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from conftest import medvox, real
from test_filters import assert_close, phantom, run_filter, write


@pytest.fixture
def src(tmp_path):
    return write(tmp_path, phantom())


def load(path):
    img = sitk.ReadImage(str(path))
    return img, sitk.GetArrayFromImage(img).astype(np.float32)


def arr(img):
    return sitk.GetArrayFromImage(img)


@pytest.mark.parametrize("radius", [[1, 1, 1], [2, 1, 3]])
def test_mean_vs_scipy_and_sitk(tmp_path, src, radius):
    inp, f32 = load(src)
    out = run_filter(tmp_path, src, "mean", "--radius", ",".join(map(str, radius)))
    assert out.GetPixelID() == sitk.sitkFloat32
    size = [2 * r + 1 for r in radius[::-1]]  # z, y, x
    assert_close(arr(out), ndimage.uniform_filter(f32, size=size, mode="nearest"), 1e-5)
    ref = sitk.Mean(sitk.Cast(inp, sitk.sitkFloat32), radius)
    assert_close(arr(out), arr(ref), 1e-5)


def test_sobel_vs_scipy(tmp_path, src):
    _, f32 = load(src)
    out = run_filter(tmp_path, src, "sobel")
    g = [ndimage.sobel(f32, axis=a, mode="nearest") for a in range(3)]
    assert_close(arr(out), np.hypot(np.hypot(g[0], g[1]), g[2]), 1e-5)


def test_sobel_differs_from_itk_kernel(tmp_path):
    # A unit ramp along x: scipy's separable kernel gives 2·4·4 = 32, ITK's 3D
    # SobelEdgeDetection 44 — the documented reason it is not offered.
    a = np.tile(np.arange(8, dtype=np.float32), (6, 7, 1))
    src = write(tmp_path, a, spacing=(1, 1, 1))
    out = arr(run_filter(tmp_path, src, "sobel"))
    assert out[3, 3, 4] == pytest.approx(32.0)
    itk = arr(sitk.SobelEdgeDetection(sitk.ReadImage(str(src))))
    assert itk[3, 3, 4] == pytest.approx(44.0)


def test_laplacian_vs_sitk_and_scipy(tmp_path, src):
    inp, f32 = load(src)
    out = run_filter(tmp_path, src, "laplacian")
    assert out.GetPixelID() == sitk.sitkFloat32
    ref = sitk.Laplacian(sitk.Cast(inp, sitk.sitkFloat32), useImageSpacing=True)
    assert_close(arr(out), arr(ref), 1e-5)
    out = run_filter(tmp_path, src, "laplacian", "--voxel-units", name="v.nii.gz")
    assert_close(arr(out), ndimage.laplace(f32, mode="nearest"), 1e-5)


def test_log_vs_scipy(tmp_path, src):
    inp, f32 = load(src)
    out = run_filter(tmp_path, src, "log", "--sigma-voxels", "1.5")
    assert_close(arr(out), ndimage.gaussian_laplace(f32, 1.5, mode="nearest", truncate=4.0), 1e-5)
    # σ in mm: each second derivative per mm² (scipy terms divided by spacing²).
    sp = inp.GetSpacing()[::-1]  # z, y, x
    sv = [2.0 / s for s in sp]
    want = sum(
        ndimage.gaussian_filter(f32.astype(np.float64), sv, order=[2 if b == a else 0 for b in range(3)], mode="nearest") / sp[a] ** 2
        for a in range(3)
    )
    out = run_filter(tmp_path, src, "log", "--sigma", "2", name="mm.nii.gz")
    assert_close(arr(out), want, 1e-5)


def test_log_vs_sitk_recursive_loosely(tmp_path, src):
    inp, _ = load(src)
    out = run_filter(tmp_path, src, "log", "--sigma", "2.5")
    ref = sitk.LaplacianRecursiveGaussian(sitk.Cast(inp, sitk.sitkFloat32), 2.5, normalizeAcrossScale=False)
    assert_close(arr(out), arr(ref), 5e-2)


def test_gradient_magnitude_gaussian_vs_scipy(tmp_path, src):
    inp, f32 = load(src)
    out = run_filter(tmp_path, src, "gradient-magnitude-gaussian", "--sigma-voxels", "1.5")
    assert_close(arr(out), ndimage.gaussian_gradient_magnitude(f32, 1.5, mode="nearest", truncate=4.0), 1e-5)
    sp = inp.GetSpacing()[::-1]
    sv = [2.0 / s for s in sp]
    g = [
        ndimage.gaussian_filter(f32.astype(np.float64), sv, order=[1 if b == a else 0 for b in range(3)], mode="nearest") / sp[a]
        for a in range(3)
    ]
    out = run_filter(tmp_path, src, "gradient-magnitude-gaussian", "--sigma", "2", name="mm.nii.gz")
    assert_close(arr(out), np.sqrt(sum(x**2 for x in g)), 1e-5)
    ref = sitk.GradientMagnitudeRecursiveGaussian(sitk.Cast(inp, sitk.sitkFloat32), 2.0, normalizeAcrossScale=False)
    assert_close(arr(out), arr(ref), 2e-2)


@pytest.mark.parametrize("sigma", ["1", "2.5", "0.8,1.5,4"])
def test_recursive_gaussian_vs_sitk(tmp_path, src, sigma):
    inp, _ = load(src)
    out = run_filter(tmp_path, src, "gaussian", "--method", "recursive", "--sigma", sigma)
    assert out.GetPixelID() == sitk.sitkFloat32
    s = [float(x) for x in sigma.split(",")]
    s = s * 3 if len(s) == 1 else s
    ref = sitk.SmoothingRecursiveGaussian(sitk.Cast(inp, sitk.sitkFloat32), s, normalizeAcrossScale=False)
    assert_close(arr(out), arr(ref), 1e-6)


def test_recursive_gaussian_voxels_and_f64(tmp_path):
    a = phantom((12, 30, 25), seed=5).astype(np.float64) * 0.1
    src = write(tmp_path, a)
    inp = sitk.ReadImage(str(src))
    out = run_filter(tmp_path, src, "gaussian", "--method", "recursive", "--sigma-voxels", "2")
    assert out.GetPixelID() == sitk.sitkFloat64
    ref = sitk.SmoothingRecursiveGaussian(inp, [2 * s for s in inp.GetSpacing()], normalizeAcrossScale=False)
    assert_close(arr(out), arr(ref), 1e-6)


def test_cast_vs_sitk_where_defined_alike(tmp_path, src):
    inp, _ = load(src)
    for t, st in [("f32", sitk.sitkFloat32), ("f64", sitk.sitkFloat64), ("i32", sitk.sitkInt32)]:
        out = run_filter(tmp_path, src, "cast", "--pixel-type", t, name=f"{t}.nrrd")
        assert out.GetPixelID() == st
        np.testing.assert_array_equal(arr(out), arr(sitk.Cast(inp, st)))
    # In-range integers: int16 -> uint8 after clipping to 0..255.
    clipped = write(tmp_path, np.clip(arr(inp), 0, 255).astype(np.int16), name="c.nii.gz")
    out = run_filter(tmp_path, clipped, "cast", "--pixel-type", "u8", name="u8.nii.gz")
    assert out.GetPixelID() == sitk.sitkUInt8
    np.testing.assert_array_equal(arr(out), arr(sitk.Cast(sitk.ReadImage(str(clipped)), sitk.sitkUInt8)))


def test_cast_rounds_and_clamps_unlike_itk(tmp_path):
    a = np.array([[[2.7, -2.7, 2.5, 300.0, -5.0]]], dtype=np.float32)
    src = write(tmp_path, a)
    out = arr(run_filter(tmp_path, src, "cast", "--pixel-type", "u8"))
    np.testing.assert_array_equal(out.ravel(), [3, 0, 3, 255, 0])
    itk = arr(sitk.Cast(sitk.ReadImage(str(src)), sitk.sitkInt16)).ravel()
    np.testing.assert_array_equal(itk[:3], [2, -2, 2])  # ITK truncates towards zero
    out = arr(run_filter(tmp_path, src, "cast", "--pixel-type", "i16", name="i16.nii.gz")).ravel()
    np.testing.assert_array_equal(out[:3], [3, -3, 3])


def test_one_slice_image(tmp_path):
    a = phantom((1, 40, 50), seed=3)
    src = write(tmp_path, a)
    f32 = a.astype(np.float32)
    out = run_filter(tmp_path, src, "mean", "--radius", "2", name="m.nii.gz")
    assert_close(arr(out).reshape(a.shape), ndimage.uniform_filter(f32, size=5, mode="nearest"), 1e-5)
    out = run_filter(tmp_path, src, "sobel", name="s.nii.gz")
    g = [ndimage.sobel(f32, axis=k, mode="nearest") for k in range(3)]
    assert_close(arr(out).reshape(a.shape), np.hypot(np.hypot(g[0], g[1]), g[2]), 1e-5)
    out = run_filter(tmp_path, src, "laplacian", "--voxel-units", name="l.nii.gz")
    assert_close(arr(out).reshape(a.shape), ndimage.laplace(f32, mode="nearest"), 1e-5)
    out = run_filter(tmp_path, src, "log", "--sigma-voxels", "1.2", name="g.nii.gz")
    assert_close(arr(out).reshape(a.shape), ndimage.gaussian_laplace(f32, 1.2, mode="nearest"), 1e-5)
    out = run_filter(tmp_path, src, "gradient-magnitude-gaussian", "--sigma-voxels", "1.2", name="gg.nii.gz")
    assert_close(arr(out).reshape(a.shape), ndimage.gaussian_gradient_magnitude(f32, 1.2, mode="nearest"), 1e-5)


def test_real_file(tmp_path):
    src = real("nifti/nibabel/anatomical.nii")
    inp, f32 = load(src)
    out = run_filter(tmp_path, src, "mean", "--radius", "2")
    ref = sitk.Mean(sitk.Cast(inp, sitk.sitkFloat32), [2, 2, 2])
    assert_close(arr(out), arr(ref), 1e-5)
    out = run_filter(tmp_path, src, "log", "--sigma-voxels", "2", name="l.nii.gz")
    assert_close(arr(out), ndimage.gaussian_laplace(f32, 2.0, mode="nearest"), 1e-5)
    out = run_filter(tmp_path, src, "gaussian", "--method", "recursive", "--sigma", "3", name="r.nii.gz")
    ref = sitk.SmoothingRecursiveGaussian(sitk.Cast(inp, sitk.sitkFloat32), 3.0, normalizeAcrossScale=False)
    assert_close(arr(out), arr(ref), 1e-6)


@pytest.mark.parametrize(
    "args",
    [
        ["mean", "--radius", "-1"],
        ["mean", "--radius", "99999999999"],
        ["log", "--sigma", "0"],
        ["log", "--sigma", "nan"],
        ["gradient-magnitude-gaussian", "--sigma-voxels", "-2"],
        ["gaussian", "--method", "recursive", "--sigma", "-1"],
        ["gaussian", "--method", "fast", "--sigma", "1"],
        ["cast", "--pixel-type", "u9"],
        ["cast"],
    ],
)
def test_bad_parameters_fail_cleanly(tmp_path, src, args):
    out = tmp_path / "bad.nii.gz"
    r = medvox("filter", *args, src, out, check=False)
    assert r.returncode != 0
    assert "panicked" not in r.stderr
    assert not out.exists()
