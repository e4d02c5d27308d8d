"""MetaImage: medvox against SimpleITK (MetaImageIO) on every MetaImage file in the real data set.

For each readable file:
  * `medvox info --json` agrees with SimpleITK on size, pixel type, spacing, origin,
    direction (TransformMatrix element order included) and statistics;
  * `medvox convert` to .mha / .mhd (raw and zlib) and to .nrrd gives files that
    SimpleITK reads as the same image (geometry 1e-4, voxels exact).
Files medvox does not read are expected errors, with the reason.
"""
import zlib

import numpy as np
import pytest
import SimpleITK as sitk

from conftest import assert_same_image, info, real
from refhelpers import check_clear_error, check_covered, check_info, convert

READABLE = [
    "metaimage/i2nii/mha.mha",  # inline zlib, flipped y
    "metaimage/itkelastix/CT_2D_head_fixed.mha",
    "metaimage/itkelastix/CT_2D_head_fixed_mask.mha",
    "metaimage/itkelastix/CT_2D_head_moving.mha",
    "metaimage/itkelastix/CT_2D_head_moving_mask.mha",
    "metaimage/itkelastix/CT_3D_lung_fixed_mask.mha",
    "metaimage/itkelastix/CT_3D_lung_moving_mask.mha",
    "metaimage/itk_examples/BrainProtonDensity3Slices.mha",  # .mha with external raw
    "metaimage/itk_examples/BrainProtonDensitySliceBorder20.mhd",
    "metaimage/itk_examples/BrainProtonDensitySliceBorder20DirectionPlus30.mhd",  # .zraw, 30 degrees
    "metaimage/itk_examples/BrainProtonDensitySliceShifted13x17y.mhd",
    "metaimage/itk_examples/BrainProtonDensitySliceShifted13x17yDirectionPlus30.mhd",
    "metaimage/itk_examples/BrainT1SliceBorder20DirectionPlus30.mhd",
    "metaimage/itk_examples/CorpusCallosumMeanShape.mha",  # float, inline zlib
    "metaimage/itk_examples/RatLungSlice1.mha",
    "metaimage/itk_examples/RatLungSlice2.mha",
    "metaimage/itk_examples/itkBrainSliceComplexMagnitude.mha",
    "metaimage/itk_examples/itkBrainSliceComplexPhase.mha",
    "metaimage/vtk/HeadMRVolume.mhd",  # minimal header, no ObjectType, ElementSize
    "metaimage/vtk/foot.mha",  # 3 spacings for NDims 2
    "metaimage/vtk/frogtissue.mhd",  # .zraw
]

# File -> (words medvox's error must contain, why).
UNREADABLE = {
    "metaimage/itk_examples/itkBrainSliceComplex.mha": (
        "ElementNumberOfChannels = 2",
        "complex pixels (2 channels); medvox volumes are scalar (SimpleITK reads a 2-component vector image)",
    ),
}


# SimpleITK (MetaIO) inflates only `CompressedDataSize` bytes of a .zraw. frogtissue.mhd says
# 260020 but its .zraw holds one complete, checksummed zlib stream of 262087 bytes, so SimpleITK
# leaves the last 996715 voxels 0 (2670 of them are label 13). medvox inflates the whole
# stream. For this file the reference is SimpleITK's geometry with the voxels Python's zlib
# inflates; test_simpleitk_truncates_frogtissue checks that this is the only difference.
SHORT_COMPRESSED_SIZE = {"metaimage/vtk/frogtissue.mhd": ("metaimage/vtk/frogtissue.zraw", 260020)}


def reference(rel):
    """SimpleITK's reading of a file (with the correction above)."""
    img = sitk.ReadImage(str(real(rel)))
    if rel in SHORT_COMPRESSED_SIZE:
        view = sitk.GetArrayViewFromImage(img)
        full = zlib.decompress(real(SHORT_COMPRESSED_SIZE[rel][0]).read_bytes())
        fixed = sitk.GetImageFromArray(np.frombuffer(full, view.dtype).reshape(view.shape))
        fixed.CopyInformation(img)
        img = fixed
    return img


@pytest.mark.parametrize("rel", READABLE)
def test_info_matches_simpleitk(rel):
    check_info(info(real(rel)), reference(rel), "metaimage")


@pytest.mark.parametrize("rel", sorted(SHORT_COMPRESSED_SIZE))
def test_simpleitk_truncates_frogtissue(rel):
    zraw, declared = SHORT_COMPRESSED_SIZE[rel]
    packed = real(zraw).read_bytes()
    assert len(packed) > declared
    d = zlib.decompressobj()
    head = d.decompress(packed[:declared])
    assert not d.eof  # the declared size cuts the stream short
    itk = sitk.GetArrayFromImage(sitk.ReadImage(str(real(rel)))).ravel()
    full = sitk.GetArrayFromImage(reference(rel)).ravel()
    n = len(head)
    np.testing.assert_array_equal(itk[:n], full[:n])
    assert not itk[n:].any() and full[n:].any()
    assert info(real(rel))["max"] == float(full.max())


@pytest.mark.parametrize("rel", READABLE)
@pytest.mark.parametrize("out", ["x.mha", "x.mhd", "x.nrrd"])
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "compressed"])
def test_convert_reads_back_in_simpleitk(rel, out, compress, tmp_path):
    dst = tmp_path / out
    convert(rel, dst, compress)
    assert_same_image(sitk.ReadImage(str(dst)), reference(rel))
    if out != "x.nrrd":
        head = dst.read_bytes()[:800].decode("latin-1")
        assert (f"CompressedData = {compress}") in head
        for key in ("TransformMatrix = ", "Offset = ", "CenterOfRotation = ", "ElementSpacing = ", "ElementByteOrderMSB = False"):
            assert key in head, key
        if out == "x.mhd":
            data = "x.zraw" if compress else "x.raw"
            assert f"ElementDataFile = {data}" in head and (tmp_path / data).exists()


@pytest.mark.parametrize("rel", sorted(UNREADABLE))
def test_unreadable_files_are_clear_errors(rel):
    path = real(rel)
    words, why = UNREADABLE[rel]
    assert sitk.ReadImage(str(path)).GetNumberOfComponentsPerPixel() == 2
    check_clear_error(rel, words, f"has {why}")


def test_every_metaimage_file_is_covered():
    """The lists above hold every MetaImage header of the data set."""
    check_covered("metaimage", (".mha", ".mhd"), READABLE, UNREADABLE)


def test_direction_plus_30_element_order():
    """TransformMatrix `0.866 0.5 -0.5 0.866` is stored axis by axis: SimpleITK reports
    (0.866, -0.5, 0.5, 0.866) row-major, and medvox must too (not the transpose)."""
    path = real("metaimage/itk_examples/BrainProtonDensitySliceBorder20DirectionPlus30.mhd")
    d = np.array(info(path)["direction"]).reshape(3, 3)
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    np.testing.assert_allclose(d, [[c, -s, 0], [s, c, 0], [0, 0, 1]], atol=1e-7)
    np.testing.assert_allclose(sitk.ReadImage(str(path)).GetDirection(), [c, -s, s, c], atol=1e-7)


def test_mha_and_nrrd_of_one_acquisition_agree():
    """i2nii's mha.mha (LPS) and nrrd.nhdr (RAS) hold the same EPI volume."""
    a, b = info(real("metaimage/i2nii/mha.mha")), info(real("nrrd/i2nii/nrrd.nhdr"))
    for k in ("size", "pixel_type", "min", "max", "mean", "std"):
        assert a[k] == b[k], k
    for k in ("spacing", "origin", "direction"):
        np.testing.assert_allclose(a[k], b[k], atol=1e-3)
