"""NRRD: medvox against SimpleITK (NrrdImageIO) and pynrrd on every NRRD file in the real data set.

For each readable file:
  * `medvox info --json` agrees with SimpleITK on size, pixel type, spacing, origin,
    direction and statistics;
  * `medvox convert` to .nrrd / .nhdr (raw and gzip) and to .mha gives files that
    SimpleITK reads as the same image (geometry 1e-4, voxels exact);
  * pynrrd reads medvox's NRRD output with the same voxels, space directions and origin.
Files SimpleITK cannot read are expected medvox errors, with the reason.
"""
import nrrd
import numpy as np
import pytest
import SimpleITK as sitk

from conftest import assert_same_image, info, real
from refhelpers import check_clear_error, check_covered, check_info, convert

READABLE = [
    "nrrd/pyradiomics/brain1_image.nrrd",
    "nrrd/pyradiomics/brain1_label.nrrd",
    "nrrd/pyradiomics/breast1_image.nrrd",
    "nrrd/pyradiomics/breast1_label.nrrd",
    "nrrd/pyradiomics/prostate_phantom_subvolume.nrrd",
    "nrrd/pyradiomics/prostate_phantom_subvolume-label.nrrd",
    "nrrd/i2nii/nrrd.nhdr",  # detached gzip, RAS space
    "nrrd/vtk_headsq/quarter_fixed.nhdr",  # 93 files via `data file: quarter.%d 1 93 1`
    "metaimage/itk_examples/BrainProtonDensitySliceBorder20.nhdr",  # 2D, detached raw
    "metaimage/itk_examples/BrainProtonDensitySliceBorder20DirectionPlus30.nhdr",
    "metaimage/itk_examples/BrainProtonDensitySliceShifted13x17y.nhdr",
    "metaimage/itk_examples/BrainProtonDensitySliceShifted13x17yDirectionPlus30.nhdr",
    "metaimage/itk_examples/BrainT1SliceBorder20DirectionPlus30.nhdr",
]

# File -> (words medvox's error must contain, why).
UNREADABLE = {
    "nrrd/vtk_headsq/quarter.nhdr": (
        "spacings",
        "malformed: `space` together with `spacings` (the NRRD spec forbids it; ITK refuses it too)",
    ),
}

def check_pynrrd(path, ref):
    """pynrrd reads a medvox-written NRRD as SimpleITK reads the source."""
    data, header = nrrd.read(str(path))
    dim = ref.GetDimension()
    assert data.shape == ref.GetSize()
    # pynrrd indexes [x, y, z]; SimpleITK's array is [z, y, x].
    np.testing.assert_array_equal(data.T, sitk.GetArrayViewFromImage(ref))
    expected = np.array(ref.GetDirection()).reshape(dim, dim) * np.array(ref.GetSpacing())
    np.testing.assert_allclose(header["space directions"], expected.T, atol=1e-9)
    np.testing.assert_allclose(header["space origin"], ref.GetOrigin(), atol=1e-9)
    assert header["endian"] == "little"
    assert list(header["kinds"]) == ["domain"] * dim
    if dim == 3:
        assert header["space"] == "left-posterior-superior"


@pytest.mark.parametrize("rel", READABLE)
def test_info_matches_simpleitk(rel):
    path = real(rel)
    check_info(info(path), sitk.ReadImage(str(path)), "nrrd")


@pytest.mark.parametrize("rel", READABLE)
@pytest.mark.parametrize("out", ["x.nrrd", "x.nhdr", "x.mha"])
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "compressed"])
def test_convert_reads_back_in_simpleitk(rel, out, compress, tmp_path):
    dst = tmp_path / out
    path = convert(rel, dst, compress)
    ref = sitk.ReadImage(str(path))
    assert_same_image(sitk.ReadImage(str(dst)), ref)
    if out != "x.mha":
        check_pynrrd(dst, ref)
        head = dst.read_bytes()[:600].decode("latin-1")
        assert ("encoding: gzip" in head) == compress
        if out == "x.nhdr":
            assert (tmp_path / ("x.raw.gz" if compress else "x.raw")).exists()


@pytest.mark.parametrize("rel", sorted(UNREADABLE))
def test_unreadable_files_are_clear_errors(rel):
    path = real(rel)
    words, why = UNREADABLE[rel]
    with pytest.raises(RuntimeError):
        sitk.ReadImage(str(path))  # the reference refuses it too
    check_clear_error(rel, words, f"is {why}")


def test_every_nrrd_file_is_covered():
    """The lists above hold every NRRD header of the data set."""
    check_covered("nrrd", (".nrrd", ".nhdr"), READABLE, UNREADABLE)


def test_same_data_through_nhdr_and_mhd():
    """SimpleITK and medvox agree that the .nhdr and the .mhd over one slice are one image."""
    base = "metaimage/itk_examples/BrainProtonDensitySliceBorder20"
    a, b = info(real(base + ".nhdr")), info(real(base + ".mhd"))
    assert a["format"] == "nrrd" and b["format"] == "metaimage"
    for k in ("size", "pixel_type", "spacing", "origin", "direction", "min", "max", "mean", "std"):
        assert a[k] == b[k], k


def test_ras_space_is_converted_to_lps():
    """nrrd.nhdr is in RAS: SimpleITK negates x and y of origin and directions; so must medvox."""
    path = real("nrrd/i2nii/nrrd.nhdr")
    meta = info(path)
    raw = nrrd.read_header(str(path))
    assert raw["space"] == "right-anterior-superior"
    np.testing.assert_allclose(meta["origin"], raw["space origin"] * [-1, -1, 1], atol=1e-9)
    cols = raw["space directions"] * [-1, -1, 1]
    np.testing.assert_allclose(
        np.array(meta["direction"]).reshape(3, 3), (cols / np.linalg.norm(cols, axis=1)[:, None]).T, atol=1e-12
    )
