"""The phantom medvox writes in every format reads the same in SimpleITK, and
`medvox info --json` agrees with SimpleITK's geometry and numpy's statistics."""
import numpy as np
import pytest
import SimpleITK as sitk

from conftest import assert_info_matches_sitk, assert_same_image, info, medvox


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo")
    medvox("--quiet", "demo", "--out", d, "--size", "64,48,20")
    return d


def test_formats_agree_in_simpleitk(demo):
    ref = sitk.ReadImage(str(demo / "phantom.nii.gz"))
    assert ref.GetPixelID() == sitk.sitkInt16
    # the phantom grid is centred on the origin, identity direction, 0.8 x 0.8 x 2.5 mm
    np.testing.assert_allclose(ref.GetSpacing(), (0.8, 0.8, 2.5), atol=1e-6)
    np.testing.assert_allclose(ref.GetOrigin(), (-31.5 * 0.8, -23.5 * 0.8, -9.5 * 2.5), atol=1e-4)
    for name in ("phantom.nrrd", "phantom.mha"):
        assert_same_image(ref, sitk.ReadImage(str(demo / name)))


def test_info_matches_simpleitk(demo):
    for name in ("phantom.nii.gz", "phantom.nrrd", "phantom.mha", "bone_mask.nii.gz"):
        meta = info(demo / name)
        img = sitk.ReadImage(str(demo / name))
        assert_info_matches_sitk(meta, img)
        arr = sitk.GetArrayViewFromImage(img).astype(np.float64)
        np.testing.assert_allclose(meta["std"], arr.std(), rtol=1e-6)


def test_bone_mask_is_threshold(demo):
    ct = sitk.GetArrayFromImage(sitk.ReadImage(str(demo / "phantom.nii.gz")))
    bone = sitk.GetArrayFromImage(sitk.ReadImage(str(demo / "bone_mask.nii.gz")))
    np.testing.assert_array_equal(bone, (ct > 300).astype(np.uint8))


def test_convert_pixel_type_matches_numpy_rounding(demo, tmp_path):
    out = tmp_path / "f.nii"
    medvox("convert", demo / "phantom.nii.gz", out, "--pixel-type", "u8")
    ct = sitk.GetArrayFromImage(sitk.ReadImage(str(demo / "phantom.nii.gz"))).astype(np.float64)
    got = sitk.GetArrayFromImage(sitk.ReadImage(str(out)))
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, np.clip(ct, 0, 255).astype(np.uint8))
