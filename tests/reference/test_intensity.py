"""Intensity ops (`medvox filter window|rescale|clamp|zscore`) against numpy formulas and SimpleITK.

Input: a small int16 phantom (anisotropic spacing) written with SimpleITK; medvox
writes NIfTI, read back with SimpleITK.

Tolerances: f32 outputs are computed in f64 and rounded once, so |Δ| <= 1e-6
relative to the output range against the f64 numpy formula (zscore: 1e-5 in
standard deviations); clamp keeps the int16 type and is exact.
Definitions: window = [C−W/2, C+W/2] → [0, 1] (default) clamped (= SimpleITK
IntensityWindowing); zscore uses the population std (numpy ddof=0), optionally
over the voxels of a mask ≠ 0.
"""
import numpy as np
import pytest
import SimpleITK as sitk

from conftest import medvox
from test_filters import phantom, run_filter, write


@pytest.fixture
def src(tmp_path):
    return write(tmp_path, phantom())


def arr(img):
    return sitk.GetArrayFromImage(img).astype(np.float64)


def test_window_vs_formula_and_sitk(tmp_path, src):
    x = arr(sitk.ReadImage(str(src)))
    out = run_filter(tmp_path, src, "window", "--center", "40", "--width", "400")
    assert out.GetPixelID() == sitk.sitkFloat32
    want = np.clip((x - (40 - 200)) / 400, 0, 1)
    np.testing.assert_allclose(arr(out), want, atol=1e-6, rtol=0)
    out = run_filter(tmp_path, src, "window", "--center", "-600", "--width", "1500", "--output-max", "255", name="w2.nii.gz")
    ref = sitk.IntensityWindowing(sitk.Cast(sitk.ReadImage(str(src)), sitk.sitkFloat64), -600 - 750, -600 + 750, 0, 255)
    np.testing.assert_allclose(arr(out), arr(ref), atol=255e-6, rtol=0)


def test_rescale_vs_formula_and_sitk(tmp_path, src):
    x = arr(sitk.ReadImage(str(src)))
    out = run_filter(tmp_path, src, "rescale", "--min", "-1", "--max", "1")
    want = -1 + 2 * (x - x.min()) / (x.max() - x.min())
    np.testing.assert_allclose(arr(out), want, atol=2e-6, rtol=0)
    ref = sitk.RescaleIntensity(sitk.Cast(sitk.ReadImage(str(src)), sitk.sitkFloat64), -1, 1)
    np.testing.assert_allclose(arr(out), arr(ref), atol=2e-6, rtol=0)


def test_clamp_exact_keeps_type(tmp_path, src):
    inp = sitk.ReadImage(str(src))
    out = run_filter(tmp_path, src, "clamp", "--lower", "-200", "--upper", "300")
    assert out.GetPixelID() == inp.GetPixelID()
    np.testing.assert_array_equal(sitk.GetArrayFromImage(out), np.clip(sitk.GetArrayFromImage(inp), -200, 300))
    out = run_filter(tmp_path, src, "clamp", "--upper", "0", name="c2.nii.gz")
    np.testing.assert_array_equal(sitk.GetArrayFromImage(out), np.minimum(sitk.GetArrayFromImage(inp), 0))


def test_zscore_whole_and_masked(tmp_path, src):
    x = arr(sitk.ReadImage(str(src)))
    out = run_filter(tmp_path, src, "zscore")
    np.testing.assert_allclose(arr(out), (x - x.mean()) / x.std(ddof=0), atol=1e-5, rtol=0)
    mask = (x > -500).astype(np.uint8)
    m = sitk.GetImageFromArray(mask)
    m.CopyInformation(sitk.ReadImage(str(src)))
    mp = tmp_path / "mask.nii.gz"
    sitk.WriteImage(m, str(mp))
    out = run_filter(tmp_path, src, "zscore", "--mask", mp, name="z2.nii.gz")
    inside = x[mask != 0]
    np.testing.assert_allclose(arr(out), (x - inside.mean()) / inside.std(ddof=0), atol=1e-5, rtol=0)


@pytest.mark.parametrize("args", [["window", "--center", "0", "--width", "0"], ["clamp"], ["clamp", "--lower", "5", "--upper", "1"], ["zscore", "--mask", "/nonexistent.nii"]])
def test_bad_parameters_fail_cleanly(tmp_path, src, args):
    out = tmp_path / "bad.nii.gz"
    r = medvox("--quiet", "filter", *args, src, out, check=False)
    assert r.returncode != 0 and "panicked" not in r.stderr
    assert not out.exists()
