"""DICOM encodings that medvox used to read wrongly or refuse (issue 18), checked
against pydicom (stored values with the modality LUT / rescale applied) and
SimpleITK (GDCM) for geometry.

Tolerances: voxels exact (all cases are lossless or compare the same decoded
codestream); geometry 1e-4 mm.
"""

import gzip
import json
import shutil
import struct

import numpy as np
import pytest

from conftest import medvox, real

sitk = pytest.importorskip("SimpleITK")
pydicom = pytest.importorskip("pydicom")


def read_mha(tmp_path, src, *args, name="out.mha"):
    out = tmp_path / name
    medvox("convert", src, out, *args)
    return sitk.ReadImage(str(out))


def modality_values(ds):
    """pydicom's pixel_array with RescaleSlope/Intercept applied (float64)."""
    a = ds.pixel_array.astype(np.float64)
    return a * float(getattr(ds, "RescaleSlope", 1)) + float(getattr(ds, "RescaleIntercept", 0))


def test_explicit_vr_un_elements_decoded_by_dictionary_vr(tmp_path):
    # explicit_VR-UN.dcm stores every element with VR UN; pydicom (like GDCM) decodes
    # them by the dictionary VR: RescaleSlope 1, intercept -1024, the real origin and spacing.
    src = real("dicom/pydicom_data/explicit_VR-UN.dcm")
    ds = pydicom.dcmread(str(src))
    img = read_mha(tmp_path, src)
    got = sitk.GetArrayFromImage(img)[0].astype(np.float64)
    np.testing.assert_array_equal(got, modality_values(ds))
    np.testing.assert_allclose(img.GetOrigin(), [float(v) for v in ds.ImagePositionPatient], atol=1e-4)
    np.testing.assert_allclose(img.GetSpacing()[:2], [float(v) for v in ds.PixelSpacing][::-1], atol=1e-6)
    (s,) = json.loads(medvox("dicom", "ls", src, "--json").stdout)["series"]
    assert s["modality"] == ds.Modality


@pytest.mark.parametrize(
    "name",
    ["rtdose.dcm", "rtdose_1frame.dcm", "rtdose_rle.dcm", "rtdose_rle_1frame.dcm", "rtdose_expb.dcm",
     "rtdose_expb_1frame.dcm"],
)
def test_rtdose_32bit_rle_and_big_endian_match_pydicom(tmp_path, name):
    # 32-bit unsigned dose grid: RLE with four byte segments per sample, and
    # Explicit VR Big Endian (each 32-bit sample byte-swapped as a whole).
    src = real(f"dicom/pydicom_test_files/{name}")
    ds = pydicom.dcmread(str(src))
    ref = modality_values(ds).reshape(-1, ds.Rows, ds.Columns)
    got = sitk.GetArrayFromImage(read_mha(tmp_path, src)).astype(np.float64)
    assert got.shape == ref.shape
    # medvox stacks frames along the slice normal by GridFrameOffsetVector (ascending here).
    np.testing.assert_array_equal(got, ref)
    (s,) = json.loads(medvox("dicom", "ls", src, "--json").stdout)["series"]
    assert s["modality"] == "RTDOSE"


def test_gzip_wrapped_dicom(tmp_path):
    src = real("dicom/pydicom_test_files/CT_small.dcm")
    gz = tmp_path / "ct.dcm.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    a = sitk.GetArrayFromImage(read_mha(tmp_path, src, name="a.mha"))
    b = sitk.GetArrayFromImage(read_mha(tmp_path, gz, name="b.mha"))
    np.testing.assert_array_equal(a, b)
    # pydicom's zipMR.gz (gzip without a .dcm.gz name, found by its content).
    zsrc = real("dicom/pydicom_test_files/zipMR.gz")
    ds = pydicom.dcmread(gzip.open(zsrc))
    z = shutil.copy(zsrc, tmp_path / "zipMR.gz")
    got = sitk.GetArrayFromImage(read_mha(tmp_path, z, name="z.mha"))[0].astype(np.float64)
    np.testing.assert_array_equal(got, modality_values(ds))


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm"])
def test_dicom_without_preamble_and_meta(tmp_path, name):
    # The bare data set of a real file (its 128-byte preamble, DICM and meta group cut
    # off), as pydicom reads with force=True; medvox guesses implicit/explicit VR and
    # the byte order from the first element.
    src = real(f"dicom/pydicom_test_files/{name}")
    raw = src.read_bytes()
    assert raw[128:132] == b"DICM" and raw[132:136] == b"\x02\x00\x00\x00"
    meta_end = 144 + struct.unpack("<I", raw[140:144])[0]
    bare = tmp_path / "bare.dcm"
    bare.write_bytes(raw[meta_end:])
    ref = modality_values(pydicom.dcmread(str(src)))
    got = sitk.GetArrayFromImage(read_mha(tmp_path, bare))[0].astype(np.float64)
    np.testing.assert_array_equal(got, ref)


def test_un_sequence_listed_quickly_and_read_by_tag(tmp_path):
    # UN_sequence.dcm: a UN element of undefined length (implicit-VR items inside an
    # explicit-VR file). It used to take 5 s and 3.6 GB in `dicom ls`.
    src = real("dicom/pydicom_test_files/UN_sequence.dcm")
    r = medvox("dicom", "ls", src, "--json", check=False)
    assert "panicked" not in r.stderr
    assert r.returncode in (0, 1)
    if r.returncode == 1:
        assert r.stderr.count("medvox: error:") == 1
