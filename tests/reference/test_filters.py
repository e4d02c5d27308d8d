"""Filters (`medvox filter`) against scipy.ndimage and SimpleITK on the same input.

Input: a small synthetic int16 phantom (spheres + noise, anisotropic spacing)
written here with SimpleITK, one-slice images, and a real NIfTI file. Outputs are
written by medvox as NIfTI and read back with SimpleITK.

Tolerances (stated per test):
* gaussian: float rounding only — |Δ| <= 1e-5 × max|reference| (medvox sums in f32,
  scipy in f64 with f32 storage between passes; same kernel, same axis order).
* median: identical (exact) to scipy and SimpleITK.
* gradient magnitude: |Δ| <= 1e-5 × max|reference| against SimpleITK.
Boundary rule everywhere: edge replicate (scipy mode='nearest' = ITK ZeroFluxNeumann).
"""
import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from conftest import medvox, real

SPACING = (0.8, 1.1, 2.5)  # x, y, z in mm


def phantom(shape_zyx=(20, 48, 64), seed=7):
    rng = np.random.default_rng(seed)
    z, y, x = np.indices(shape_zyx).astype(np.float64)
    a = np.full(shape_zyx, -1000.0)
    nz, ny, nx = shape_zyx
    for cz, cy, cx, r, v in [(0.5, 0.5, 0.5, 0.45, 40), (0.4, 0.3, 0.6, 0.15, 700), (0.6, 0.7, 0.3, 0.2, 10)]:
        d = ((z - cz * nz) / (r * nz + 1)) ** 2 + ((y - cy * ny) / (r * ny)) ** 2 + ((x - cx * nx) / (r * nx)) ** 2
        a[d <= 1] = v
    a += rng.standard_normal(shape_zyx) * 20
    return np.rint(a).astype(np.int16)


def write(tmp_path, arr, name="in.nii.gz", spacing=SPACING):
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(spacing)
    p = tmp_path / name
    sitk.WriteImage(img, str(p))
    return p


def run_filter(tmp_path, src, *args, name="out.nii.gz"):
    out = tmp_path / name
    medvox("--quiet", "filter", *args, src, out)
    return sitk.ReadImage(str(out))


def assert_close(got, want, rel):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape
    scale = max(1.0, np.abs(want).max())
    err = np.abs(got - want).max()
    assert err <= rel * scale, f"max |diff| {err} > {rel} x {scale}"


@pytest.fixture
def src(tmp_path):
    return write(tmp_path, phantom())


def test_gaussian_voxels_vs_scipy(tmp_path, src):
    inp = sitk.ReadImage(str(src))
    f32 = sitk.GetArrayFromImage(inp).astype(np.float32)
    out = run_filter(tmp_path, src, "gaussian", "--sigma-voxels", "2")
    assert out.GetPixelID() == sitk.sitkFloat32
    np.testing.assert_allclose(out.GetSpacing(), inp.GetSpacing(), rtol=1e-6)
    ref = ndimage.gaussian_filter(f32, 2.0, mode="nearest", truncate=4.0)
    assert_close(sitk.GetArrayFromImage(out), ref, 1e-5)


def test_gaussian_mm_anisotropic_vs_scipy(tmp_path, src):
    inp = sitk.ReadImage(str(src))
    f32 = sitk.GetArrayFromImage(inp).astype(np.float32)
    sx, sy, sz = inp.GetSpacing()
    out = run_filter(tmp_path, src, "gaussian", "--sigma", "2")
    ref = ndimage.gaussian_filter(f32, (2 / sz, 2 / sy, 2 / sx), mode="nearest", truncate=4.0)
    assert_close(sitk.GetArrayFromImage(out), ref, 1e-5)
    # Per-axis σ in voxels (x,y,z on the command line; z,y,x in numpy).
    out = run_filter(tmp_path, src, "gaussian", "--sigma-voxels", "1.5,0.7,0", name="o2.nii.gz")
    ref = ndimage.gaussian_filter(f32, (0, 0.7, 1.5), mode="nearest", truncate=4.0)
    assert_close(sitk.GetArrayFromImage(out), ref, 1e-5)


def test_median_vs_scipy_and_sitk_exact(tmp_path, src):
    inp = sitk.ReadImage(str(src))
    arr = sitk.GetArrayFromImage(inp)
    out = run_filter(tmp_path, src, "median", "--radius", "1")
    assert out.GetPixelID() == inp.GetPixelID()  # keeps int16
    got = sitk.GetArrayFromImage(out)
    np.testing.assert_array_equal(got, ndimage.median_filter(arr, size=3, mode="nearest"))
    np.testing.assert_array_equal(got, sitk.GetArrayFromImage(sitk.Median(inp, [1, 1, 1])))
    # Radius per axis x,y,z, on float input.
    fsrc = write(tmp_path, arr.astype(np.float32), name="f.nii.gz")
    out = run_filter(tmp_path, fsrc, "median", "--radius", "2,1,0", name="o2.nii.gz")
    finp = sitk.ReadImage(str(fsrc))
    np.testing.assert_array_equal(sitk.GetArrayFromImage(out), sitk.GetArrayFromImage(sitk.Median(finp, [2, 1, 0])))


def test_gradient_magnitude_vs_sitk(tmp_path, src):
    inp = sitk.ReadImage(str(src))
    out = run_filter(tmp_path, src, "gradient-magnitude")
    assert out.GetPixelID() == sitk.sitkFloat32
    ref = sitk.GradientMagnitude(sitk.Cast(inp, sitk.sitkFloat32), useImageSpacing=True)
    assert_close(sitk.GetArrayFromImage(out), sitk.GetArrayFromImage(ref), 1e-5)
    # The peers' scipy definition too.
    f32 = sitk.GetArrayFromImage(inp).astype(np.float32)
    sx, sy, sz = inp.GetSpacing()
    g = [ndimage.correlate1d(f32, np.array([-0.5, 0, 0.5]) / s, axis=a, mode="nearest") for a, s in enumerate((sz, sy, sx))]
    assert_close(sitk.GetArrayFromImage(out), np.sqrt(sum(x.astype(np.float64) ** 2 for x in g)), 1e-5)


def test_one_slice_image(tmp_path):
    arr = phantom((1, 40, 50), seed=3)
    src = write(tmp_path, arr)
    f32 = arr.astype(np.float32)
    out = run_filter(tmp_path, src, "gaussian", "--sigma-voxels", "1.5", name="g.nii.gz")
    assert_close(sitk.GetArrayFromImage(out).reshape(arr.shape), ndimage.gaussian_filter(f32, 1.5, mode="nearest"), 1e-5)
    out = run_filter(tmp_path, src, "median", "--radius", "1", name="m.nii.gz")
    np.testing.assert_array_equal(sitk.GetArrayFromImage(out).reshape(arr.shape), ndimage.median_filter(arr, size=3, mode="nearest"))


def test_real_file(tmp_path):
    src = real("nifti/nibabel/anatomical.nii")
    inp = sitk.ReadImage(str(src))
    f32 = sitk.GetArrayFromImage(inp).astype(np.float32)
    out = run_filter(tmp_path, src, "gaussian", "--sigma-voxels", "1")
    assert_close(sitk.GetArrayFromImage(out), ndimage.gaussian_filter(f32, 1.0, mode="nearest"), 1e-5)
    out = run_filter(tmp_path, src, "median", "--radius", "1", name="m.nii.gz")
    np.testing.assert_array_equal(sitk.GetArrayFromImage(out), sitk.GetArrayFromImage(sitk.Median(inp, [1, 1, 1])))
    out = run_filter(tmp_path, src, "gradient-magnitude", name="d.nii.gz")
    ref = sitk.GradientMagnitude(sitk.Cast(inp, sitk.sitkFloat32), useImageSpacing=True)
    assert_close(sitk.GetArrayFromImage(out), sitk.GetArrayFromImage(ref), 1e-5)


@pytest.mark.parametrize("args", [["gaussian", "--sigma", "-1"], ["gaussian", "--sigma", "nan"], ["median", "--radius", "-1"], ["gaussian"]])
def test_bad_parameters_fail_cleanly(tmp_path, src, args):
    out = tmp_path / "bad.nii.gz"
    r = medvox("filter", *args, src, out, check=False)
    assert r.returncode != 0
    assert "panicked" not in r.stderr
    assert not out.exists()
