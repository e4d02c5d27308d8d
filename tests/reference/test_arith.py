"""Voxel-wise arithmetic (`add`, `subtract`, `multiply`, `divide`, `min`, `max`
with --value or --image) and `mask`, through the CLI, against numpy (computed in
float64, rounded once to float32) and SimpleITK's Mask, on a real CT and its
segmentation; plus the error cases (both or neither operand, NaN, another grid)."""
import numpy as np
import pytest
import SimpleITK as sitk

from conftest import medvox, real

CT = "nifti/totalsegmentator_ct/example_ct_sm.nii.gz"
SEG = "nifti/totalsegmentator_ct/example_seg.nii.gz"
NUMPY = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": np.divide,
    "min": np.minimum,
    "max": np.maximum,
}


def arr(path):
    return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))


@pytest.mark.parametrize("op", sorted(NUMPY))
def test_value_and_image_operands_equal_numpy(tmp_path, op):
    ct, seg = real(CT), real(SEG)
    a = arr(ct).astype(np.float64)
    b = arr(seg).astype(np.float64)
    out = tmp_path / "v.mha"  # MetaImage keeps ±inf/NaN (NIfTI readers zero them)
    medvox("run", op, "--value", "-2.5", ct, out)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(arr(out), NUMPY[op](a, -2.5).astype(np.float32))
        out2 = tmp_path / "i.mha"
        medvox("run", op, "--image", seg, ct, out2)
        np.testing.assert_array_equal(arr(out2), NUMPY[op](a, b).astype(np.float32))
    ref = sitk.ReadImage(str(ct))
    got = sitk.ReadImage(str(out2))
    assert got.GetPixelID() == sitk.sitkFloat32
    np.testing.assert_allclose(got.GetOrigin(), ref.GetOrigin(), atol=1e-4)
    np.testing.assert_allclose(got.GetDirection(), ref.GetDirection(), atol=1e-6)


def test_mask_equals_simpleitk(tmp_path):
    ct, seg = real(CT), real(SEG)
    out = tmp_path / "m.nii.gz"
    medvox("run", "mask", "--mask", seg, "--outside", "-1024", ct, out)
    img, m = sitk.ReadImage(str(ct)), sitk.ReadImage(str(seg))
    m.CopyInformation(img)
    want = sitk.Mask(img, sitk.Cast(m, sitk.sitkUInt8), outsideValue=-1024)
    got = sitk.ReadImage(str(out))
    assert got.GetPixelID() == img.GetPixelID()
    np.testing.assert_array_equal(sitk.GetArrayFromImage(got), sitk.GetArrayFromImage(want))


def fails(*args, says):
    r = medvox(*args, check=False)
    assert r.returncode == 1 and r.stderr.count("medvox: error:") == 1, r.stderr
    assert says in r.stderr, r.stderr


def test_errors(tmp_path):
    ct, seg = real(CT), real(SEG)
    out = tmp_path / "x.nii.gz"
    fails("run", "add", ct, out, says="exactly one of --value and --image")
    fails("run", "add", "--value", "1", "--image", seg, ct, out, says="exactly one of --value and --image")
    fails("run", "add", "--value", "nan", ct, out, says="value")
    small = tmp_path / "small.nii.gz"
    medvox("run", "resample", "--spacing", "7", seg, small)
    fails("run", "multiply", "--image", small, ct, out, says="resample")
    fails("run", "mask", "--mask", small, ct, out, says="mask size")
    assert not out.exists()
