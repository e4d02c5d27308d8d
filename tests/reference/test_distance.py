"""Distance transform (`medvox filter distance [--signed]`) against scipy and SimpleITK.

* unsigned: `scipy.ndimage.distance_transform_edt(mask, sampling=(sz, sy, sx))`
  (outside the image is not background), |Δ| <= 1e-4 mm (medvox: f64 inside,
  f32 out; scipy: f64).
* signed: SimpleITK `SignedMaurerDistanceMap(mask, insideIsPositive=False,
  squaredDistance=False, useImageSpacing=True)` (float32), |Δ| <= 1e-4 mm.
  Convention checked here: background voxels get + the distance to the nearest
  foreground voxel; foreground voxels get − the distance to the nearest contour
  voxel (foreground with a background voxel among its 26 neighbours; voxels
  outside the image are not background), so contour voxels are 0.
* The peers' benchmark form: `SignedMaurerDistanceMap(1 − mask, …)` whose
  positive part is the unsigned EDT of the mask.
"""
import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from test_filters import phantom, run_filter

SPACING = (0.8, 1.1, 2.5)


def write_mask(tmp_path, m, spacing=SPACING, direction=None, name="mask.nii.gz"):
    img = sitk.GetImageFromArray(m.astype(np.uint8))
    img.SetSpacing(spacing)
    if direction is not None:
        img.SetDirection(direction)
    p = tmp_path / name
    sitk.WriteImage(img, str(p))
    return p, img


@pytest.fixture
def body():
    # Touches the image border on some faces (the phantom fills most of it).
    return phantom() > -500


def test_unsigned_vs_scipy(tmp_path, body):
    p, img = write_mask(tmp_path, body)
    out = run_filter(tmp_path, p, "distance")
    assert out.GetPixelID() == sitk.sitkFloat32
    sx, sy, sz = img.GetSpacing()
    ref = ndimage.distance_transform_edt(body, sampling=(sz, sy, sx))
    got = sitk.GetArrayFromImage(out)
    np.testing.assert_allclose(got, ref, atol=1e-4, rtol=0)
    # The peers' SimpleITK form: positive part of SignedMaurer(1 - mask).
    inv = sitk.Cast(img == 0, sitk.sitkUInt8)
    sm = sitk.GetArrayFromImage(sitk.SignedMaurerDistanceMap(inv, insideIsPositive=False, squaredDistance=False, useImageSpacing=True))
    np.testing.assert_allclose(got, np.maximum(sm, 0), atol=1e-4, rtol=0)


def test_unsigned_random_mask_non_identity_direction(tmp_path):
    rng = np.random.default_rng(5)
    m = rng.random((12, 17, 23)) > 0.08
    d = (0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0)
    p, img = write_mask(tmp_path, m, spacing=(0.6, 1.7, 1.2), direction=d)
    out = run_filter(tmp_path, p, "distance")
    ref = ndimage.distance_transform_edt(m, sampling=(1.2, 1.7, 0.6))
    np.testing.assert_allclose(sitk.GetArrayFromImage(out), ref, atol=1e-4, rtol=0)
    np.testing.assert_allclose(out.GetDirection(), d, atol=1e-6)
    out = run_filter(tmp_path, p, "distance", "--voxel-units", name="v.nii.gz")
    np.testing.assert_allclose(sitk.GetArrayFromImage(out), ndimage.distance_transform_edt(m), atol=1e-4, rtol=0)


def test_signed_vs_sitk(tmp_path, body):
    p, img = write_mask(tmp_path, body)
    out = run_filter(tmp_path, p, "distance", "--signed")
    ref = sitk.SignedMaurerDistanceMap(img, insideIsPositive=False, squaredDistance=False, useImageSpacing=True)
    np.testing.assert_allclose(sitk.GetArrayFromImage(out), sitk.GetArrayFromImage(ref), atol=1e-4, rtol=0)
    rng = np.random.default_rng(9)
    m = ndimage.binary_opening(rng.random((15, 20, 18)) > 0.4)
    p, img = write_mask(tmp_path, m, spacing=(0.7, 1.3, 2.0), name="r.nii.gz")
    out = run_filter(tmp_path, p, "distance", "--signed", name="s2.nii.gz")
    ref = sitk.SignedMaurerDistanceMap(img, insideIsPositive=False, squaredDistance=False, useImageSpacing=True)
    np.testing.assert_allclose(sitk.GetArrayFromImage(out), sitk.GetArrayFromImage(ref), atol=1e-4, rtol=0)


def test_one_slice(tmp_path):
    m = phantom((1, 40, 50), seed=3) > -500
    p, img = write_mask(tmp_path, m)
    out = run_filter(tmp_path, p, "distance")
    ref = ndimage.distance_transform_edt(m[0], sampling=(1.1, 0.8))
    np.testing.assert_allclose(sitk.GetArrayFromImage(out).reshape(m.shape)[0], ref, atol=1e-4, rtol=0)
