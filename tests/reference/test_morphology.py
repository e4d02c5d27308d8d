"""Morphology (`medvox filter erode|dilate|open|close`) against SimpleITK and scipy.ndimage.

Input: a float32 CT-like phantom (air, a soft-tissue ellipsoid with bone-like
spheres, noise, anisotropic spacing) built here with numpy and written with
SimpleITK as .nii.gz; outputs are written by medvox and read back with SimpleITK.

Tolerance: identical (exact) everywhere — min/max return input values.
Structuring element: ITK's ball (radius 2 = the 81 offsets with d·d <= 6, SimpleITK
sitkBall) or the box; out-of-image voxels ignored (= scipy mode='nearest').
"""
import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from conftest import medvox

SPACING = (0.9, 1.2, 2.0)  # x, y, z in mm (morphology radii are in voxels)


def phantom(shape_zyx=(24, 40, 48), seed=11):
    rng = np.random.default_rng(seed)
    z, y, x = np.indices(shape_zyx).astype(np.float64)
    nz, ny, nx = shape_zyx
    a = np.full(shape_zyx, -1000.0)
    body = ((z - nz / 2) / (0.4 * nz)) ** 2 + ((y - ny / 2) / (0.4 * ny)) ** 2 + ((x - nx / 2) / (0.4 * nx)) ** 2
    a[body <= 1] = 40
    for cz, cy, cx, r, v in [(0.5, 0.5, 0.4, 3.5, 700), (0.45, 0.6, 0.6, 2.2, 900), (0.6, 0.4, 0.55, 1.4, 500),
                             (0.5, 0.35, 0.35, 0.9, 800)]:
        d = (z - cz * nz) ** 2 + (y - cy * ny) ** 2 + (x - cx * nx) ** 2
        a[d <= r * r] = v
    a += rng.standard_normal(shape_zyx) * 20
    return np.rint(a).astype(np.float32)


def ball(r):
    """ITK's ball as a scipy footprint (z, y, x): Σ (d_a / (r_a + 1/2))² <= 1."""
    rx, ry, rz = r
    dz, dy, dx = np.mgrid[-rz:rz + 1, -ry:ry + 1, -rx:rx + 1]
    return (dx / (rx + 0.5)) ** 2 + (dy / (ry + 0.5)) ** 2 + (dz / (rz + 0.5)) ** 2 <= 1


def write(tmp_path, arr, name):
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(SPACING)
    p = tmp_path / name
    sitk.WriteImage(img, str(p))
    return p, img


def run(tmp_path, src, *args, name="out.nii.gz"):
    out = tmp_path / name
    medvox("--quiet", "filter", *args, src, out)
    return sitk.GetArrayFromImage(sitk.ReadImage(str(out)))


@pytest.fixture
def f32(tmp_path):
    arr = phantom()
    p, img = write(tmp_path, arr, "f32.nii.gz")
    return p, img, arr


def test_ball2_is_81_voxels():
    assert ball((2, 2, 2)).sum() == 81
    one = np.zeros((7, 7, 7), np.float32)
    one[3, 3, 3] = 1
    d = sitk.GetArrayFromImage(sitk.GrayscaleDilate(sitk.GetImageFromArray(one), [2, 2, 2], sitk.sitkBall))
    assert np.array_equal(d[1:-1, 1:-1, 1:-1] > 0, ball((2, 2, 2)))


@pytest.mark.parametrize("op", ["erode", "dilate"])
def test_grey_ball2_matches_sitk_and_scipy(tmp_path, f32, op):
    p, img, arr = f32
    got = run(tmp_path, p, op, "--radius", "2", "--kernel", "ball")
    assert got.dtype == np.float32
    sitk_f = sitk.GrayscaleErode if op == "erode" else sitk.GrayscaleDilate
    want_sitk = sitk.GetArrayFromImage(sitk_f(img, [2, 2, 2], sitk.sitkBall))
    sp_f = ndimage.grey_erosion if op == "erode" else ndimage.grey_dilation
    want_sp = sp_f(arr, footprint=ball((2, 2, 2)), mode="nearest")
    assert np.array_equal(want_sitk, want_sp)
    assert np.array_equal(got, want_sitk)


@pytest.mark.parametrize("op", ["erode", "dilate"])
def test_grey_box_matches_sitk_and_scipy(tmp_path, f32, op):
    p, img, arr = f32
    got = run(tmp_path, p, op, "--radius", "2", "--kernel", "box")
    sitk_f = sitk.GrayscaleErode if op == "erode" else sitk.GrayscaleDilate
    want_sitk = sitk.GetArrayFromImage(sitk_f(img, [2, 2, 2], sitk.sitkBox))
    sp_f = ndimage.grey_erosion if op == "erode" else ndimage.grey_dilation
    want_sp = sp_f(arr, size=(5, 5, 5), mode="nearest")
    assert np.array_equal(got, want_sitk)
    assert np.array_equal(got, want_sp)


@pytest.mark.parametrize("r", [(2, 1, 3), (3, 0, 1), (1, 2, 0)])
def test_anisotropic_ball_matches_sitk(tmp_path, f32, r):
    p, img, arr = f32
    got = run(tmp_path, p, "erode", "--radius", ",".join(map(str, r)), "--kernel", "ball")
    want = sitk.GetArrayFromImage(sitk.GrayscaleErode(img, list(r), sitk.sitkBall))
    assert np.array_equal(got, want)
    assert np.array_equal(got, ndimage.grey_erosion(arr, footprint=ball(r), mode="nearest"))


@pytest.mark.parametrize("op", ["open", "close"])
def test_grey_open_close_match_scipy(tmp_path, f32, op):
    p, img, arr = f32
    got = run(tmp_path, p, op, "--radius", "2", "--kernel", "ball")
    sp_f = ndimage.grey_opening if op == "open" else ndimage.grey_closing
    assert np.array_equal(got, sp_f(arr, footprint=ball((2, 2, 2)), mode="nearest"))


def test_int16_keeps_type(tmp_path, f32):
    _, _, arr = f32
    p, img = write(tmp_path, arr.astype(np.int16), "i16.nii.gz")
    got = run(tmp_path, p, "dilate", "--radius", "1,2,1", "--kernel", "box")
    assert got.dtype == np.int16
    want = sitk.GetArrayFromImage(sitk.GrayscaleDilate(img, [1, 2, 1], sitk.sitkBox))
    assert np.array_equal(got, want)


def test_binary_open_bone_mask_matches_sitk_and_scipy(tmp_path, f32):
    _, _, arr = f32
    mask = (arr > 300).astype(np.uint8)
    assert mask[0].sum() == mask[-1].sum() == 0  # the mask does not touch the border
    p, img = write(tmp_path, mask, "bone.nii.gz")
    got = run(tmp_path, p, "open", "--radius", "2", "--kernel", "ball", "--binary")
    assert got.dtype == np.uint8
    want = sitk.GetArrayFromImage(sitk.BinaryMorphologicalOpening(img, [2, 2, 2], sitk.sitkBall, 0, 1))
    assert np.array_equal(got, want)
    assert np.array_equal(got, ndimage.binary_opening(mask.astype(bool), structure=ball((2, 2, 2))).astype(np.uint8))
    assert 0 < got.sum() < mask.sum()


@pytest.mark.parametrize("op", ["erode", "dilate"])
def test_binary_erode_dilate_with_foreground(tmp_path, f32, op):
    _, _, arr = f32
    mask = np.where(arr > 300, 5, 0).astype(np.int16)
    p, img = write(tmp_path, mask, "bone5.nii.gz")
    got = run(tmp_path, p, op, "--radius", "1", "--binary", "--foreground", "5")
    f = sitk.BinaryErode if op == "erode" else sitk.BinaryDilate
    want = sitk.GetArrayFromImage(f(img, [1, 1, 1], sitk.sitkBall, 0, 5))
    assert np.array_equal(got, want)


def test_bad_parameters_are_errors(tmp_path, f32):
    p, _, arr = f32
    r = medvox("--quiet", "filter", "erode", "--radius", "1,2", p, tmp_path / "x.nii.gz", check=False)
    assert r.returncode != 0
    p, _ = write(tmp_path, arr.astype(np.int16), "i16.nii.gz")  # 0.5 is no int16 value
    r = medvox("--quiet", "filter", "erode", "--binary", "--foreground", "0.5", p, tmp_path / "y.nii.gz", check=False)
    assert r.returncode != 0 and "foreground" in r.stderr
    assert not (tmp_path / "y.nii.gz").exists()
