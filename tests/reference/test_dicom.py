"""DICOM reading checked against pydicom, SimpleITK (GDCM) and dcm2niix references.

Tolerances: geometry 1e-4 mm against SimpleITK, 1e-3 mm against dcm2niix NIfTI
(float32 sform); voxels exact for lossless data; lossy codecs within the HU
bounds of ../shared/data/real/MANIFEST.md (max / mean absolute HU difference).
"""

import json
import shutil

import numpy as np
import pytest

from conftest import assert_same_geometry, medvox, real

sitk = pytest.importorskip("SimpleITK")
pydicom = pytest.importorskip("pydicom")
nib = pytest.importorskip("nibabel")

CODEC = "dicom/ct_codec_matrix/CTImage.dcm"


def read_mha(tmp_path, src, *args, name="out.mha"):
    """medvox convert SRC -> .mha, read back with SimpleITK."""
    out = tmp_path / name
    medvox("convert", src, out, *args)
    return sitk.ReadImage(str(out))


def pydicom_hu(path):
    """Stored values (masked/sign-extended by pydicom) times slope plus intercept."""
    ds = pydicom.dcmread(str(path))
    a = ds.pixel_array.astype(np.float64)
    return a * float(getattr(ds, "RescaleSlope", 1)) + float(getattr(ds, "RescaleIntercept", 0))


LOSSLESS = [
    "LittleEndianImplicitTransferSyntax_1.2.840.10008.1.2",
    "LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1",
    "BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2",
    "DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99",
    "RLELosslessTransferSyntax_1.2.840.10008.1.2.5",
    "JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57",
    "JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70",
    "JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80",
    "JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90",
]


@pytest.mark.parametrize("ts", LOSSLESS)
def test_codec_matrix_lossless_bit_exact(tmp_path, ts):
    ref = pydicom_hu(real(CODEC))
    img = read_mha(tmp_path, real(f"{CODEC}_{ts}.dcm"))
    got = sitk.GetArrayFromImage(img)[0].astype(np.float64)
    np.testing.assert_array_equal(got, ref)
    assert_same_geometry(img, read_mha(tmp_path, real(CODEC), name="ref.mha"))


# (syntax, max |HU diff|, mean |HU diff|) from MANIFEST.md, with a small margin for rounding.
LOSSY = [
    ("JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50", 64.5, 20.5),
    ("JPEG2000TransferSyntax_1.2.840.10008.1.2.4.91", 5.5, 0.7),
    ("JPEGLSLossyTransferSyntax_1.2.840.10008.1.2.4.81", 1.5, 1.0),
]


@pytest.mark.parametrize("ts,max_hu,mean_hu", LOSSY)
def test_codec_matrix_lossy_within_manifest_hu(tmp_path, ts, max_hu, mean_hu):
    ref = pydicom_hu(real(CODEC))
    got = sitk.GetArrayFromImage(read_mha(tmp_path, real(f"{CODEC}_{ts}.dcm")))[0]
    d = np.abs(got.astype(np.float64) - ref)
    assert d.max() <= max_hu and d.mean() <= mean_hu, (d.max(), d.mean())
    assert d.max() > 0  # really lossy: the test compares decoded data, not a copy


@pytest.mark.parametrize(
    "ts,name",
    [
        ("JPEGProcess6_8TransferSyntax_1.2.840.10008.1.2.4.53", "1.2.840.10008.1.2.4.53"),
        ("JPEGProcess10_12TransferSyntax_1.2.840.10008.1.2.4.55", "1.2.840.10008.1.2.4.55"),
        # 12-bit JPEG extended: jpeg-decoder has no 12-bit precision (documented gap).
        ("JPEGProcess2_4TransferSyntax_1.2.840.10008.1.2.4.51", "JPEG Extended"),
    ],
)
def test_undecodable_syntax_error_names_it(tmp_path, ts, name):
    src = real(f"{CODEC}_{ts}.dcm")
    r = medvox("info", src, check=False)
    assert r.returncode == 1
    assert "medvox: error:" in r.stderr and name in r.stderr and src.name in r.stderr
    assert "panicked" not in r.stderr


# (file, its uncompressed original for pydicom, which has no JPEG/J2K plugins here)
SINGLE = [
    ("dicom/pydicom_test_files/CT_small.dcm", None),
    ("dicom/pydicom_test_files/MR_small.dcm", None),
    ("dicom/pydicom_test_files/MR_small_implicit.dcm", None),
    ("dicom/pydicom_test_files/MR_small_bigendian.dcm", None),
    ("dicom/pydicom_test_files/MR_small_RLE.dcm", None),
    ("dicom/pydicom_test_files/MR_small_jp2klossless.dcm", "dicom/pydicom_test_files/MR_small.dcm"),
    ("dicom/pydicom_test_files/MR_small_jpeg_ls_lossless.dcm", "dicom/pydicom_test_files/MR_small.dcm"),
    ("dicom/ct_codec_matrix/CT2_J2KR", None),
]


@pytest.mark.parametrize("rel,original", SINGLE)
def test_single_file_matches_simpleitk_and_pydicom(tmp_path, rel, original):
    src = real(rel)
    img = read_mha(tmp_path, src)
    ref = sitk.ReadImage(str(src))
    np.testing.assert_allclose(img.GetOrigin(), ref.GetOrigin(), atol=1e-4)
    np.testing.assert_allclose(img.GetDirection(), ref.GetDirection(), atol=1e-4)
    np.testing.assert_allclose(img.GetSpacing()[:2], ref.GetSpacing()[:2], atol=1e-4)
    got = sitk.GetArrayFromImage(img)[0].astype(np.float64)
    np.testing.assert_array_equal(got, sitk.GetArrayFromImage(ref).reshape(got.shape))
    if not rel.endswith("J2KR"):
        np.testing.assert_array_equal(got, pydicom_hu(real(original or rel)))


@pytest.mark.parametrize("folder", ["dicom/series_mr_ge_epi_i2nii", "dicom/series_mr_tcia_cptac_sar"])
def test_series_matches_simpleitk_series_reader(tmp_path, folder):
    src = real(folder)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(src)))
    ref = reader.Execute()
    img = read_mha(tmp_path, src)
    assert_same_geometry(img, ref, tol=1e-4)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(img), sitk.GetArrayFromImage(ref))


def canonical_nii(path):
    i = nib.as_closest_canonical(nib.load(str(path)))
    return i.affine, np.asanyarray(i.dataobj).astype(np.float64)


def compare_with_dcm2niix(tmp_path, src, ref_nii, volumes, args=()):
    ref_aff, ref = canonical_nii(ref_nii)
    if ref.ndim == 3:
        ref = ref[..., None]
    assert ref.shape[3] == volumes
    for t in range(volumes):
        out = tmp_path / f"v{t}.nii"
        medvox("convert", src, out, "--volume", t, *args)
        aff, got = canonical_nii(out)
        np.testing.assert_allclose(aff, ref_aff, atol=1e-3)
        np.testing.assert_array_equal(got, ref[..., t])


def ls(path):
    return json.loads(medvox("dicom", "ls", path, "--json").stdout)


def test_fmri_4d_series_matches_dcm2niix(tmp_path):
    src = real("dicom/series_mr_ge_fmri_nih")
    (s,) = ls(src)["series"]
    assert s["size"] == [64, 64, 15] and s["volumes"] == 10 and s["files"] == 150
    compare_with_dcm2niix(
        tmp_path, src, real("dicom/series_mr_ge_fmri_nih/reference/DCM2NIIX_regression_test_4.nii"), 10
    )


@pytest.mark.parametrize("n,name", [(1, "EPI_PE=AP_3"), (2, "EPI_PE=PA_4"), (3, "EPI_PE=RL_5"), (4, "EPI_PE=LR_6")])
def test_siemens_mosaic_matches_dcm2niix(tmp_path, n, name):
    src = real("dicom/series_mr_siemens_mosaic_nih")
    ref = real(f"dicom/series_mr_siemens_mosaic_nih/reference/{name}.nii")
    compare_with_dcm2niix(tmp_path, src, ref, 2, args=("--series", n))


def test_enhanced_siemens_multiframe_matches_dcm2niix(tmp_path):
    src = real("dicom/enhanced_mr")
    ref = real("dicom/enhanced_mr/reference/Siemens_REST1_w_SMS_PF7-8_6.nii")
    compare_with_dcm2niix(tmp_path, src, ref, 4, args=("--series", 1))


def test_enhanced_philips_geometry_matches_dcm2niix_and_values_pydicom(tmp_path):
    src = real("dicom/enhanced_mr/IM_0027_fMAP.dcm")
    ref_aff, _ = canonical_nii(real("dicom/enhanced_mr/reference/Philips_WIP_B0_NS_801_e1.nii"))
    out = tmp_path / "v.nii"
    medvox("convert", src, out)
    aff, _ = canonical_nii(out)
    np.testing.assert_allclose(aff, ref_aff, atol=1e-3)
    # Values: frame by frame, pydicom's stored values with each frame's own rescale.
    ds = pydicom.dcmread(str(src))
    px = ds.pixel_array.astype(np.float64)
    got = [sitk.GetArrayFromImage(read_mha(tmp_path, src, "--volume", t, name=f"{t}.mha")) for t in (0, 1)]
    got = np.concatenate(got).astype(np.float64)
    expect = []
    for k, fg in enumerate(ds.PerFrameFunctionalGroupsSequence):
        tr = fg.PixelValueTransformationSequence[0]
        expect.append(px[k] * float(tr.RescaleSlope) + float(tr.RescaleIntercept))
    got_sorted = np.sort(got.reshape(len(expect), -1).sum(axis=1))
    exp_sorted = np.sort(np.array(expect).reshape(len(expect), -1).sum(axis=1))
    np.testing.assert_allclose(got_sorted, exp_sorted, rtol=1e-5)


@pytest.mark.parametrize("name", ["12bitSigned_0x0F0F.dcm", "12bitUnsigned.dcm", "12bitUnsigned_0x0F0F.dcm"])
def test_twelve_bit_masking_matches_pydicom(tmp_path, name):
    src = real(f"dicom/twelve_bit/{name}")
    ds = pydicom.dcmread(str(src))
    assert ds.BitsStored == 12
    got = sitk.GetArrayFromImage(read_mha(tmp_path, src)).astype(np.float64)
    # pydicom masks to BitsStored and sign-extends; a mosaic holds its slices as tiles.
    ref = pydicom_hu(src)
    n = int(np.ceil(np.sqrt(got.shape[0])))
    tiles = ref.reshape(n, got.shape[1], n, got.shape[2]).transpose(0, 2, 1, 3).reshape(n * n, *got.shape[1:])
    np.testing.assert_array_equal(got, tiles[: got.shape[0]])


MALFORMED = [
    "dicom/pydicom_test_files/MR_truncated.dcm",
    "dicom/pydicom_test_files/no_meta.dcm",
    "dicom/pydicom_test_files/meta_missing_tsyntax.dcm",
    "dicom/pydicom_test_files/badVR.dcm",
    "dicom/pydicom_test_files/ExplVR_BigEndNoMeta.dcm",
    "dicom/pydicom_test_files/ExplVR_LitEndNoMeta.dcm",
    "dicom/pydicom_test_files/JPEG-lossy.dcm",
    "dicom/pydicom_test_files/JPEG2000-embedded-sequence-delimiter.dcm",
]


@pytest.mark.parametrize("rel", MALFORMED)
def test_malformed_file_error_names_file(tmp_path, rel):
    src = real(rel)
    r = medvox("convert", src, tmp_path / "x.nii", check=False)
    assert r.returncode == 1, r.stdout
    assert "medvox: error:" in r.stderr and src.name in r.stderr
    assert "panicked" not in r.stderr
    assert not (tmp_path / "x.nii").exists()


def test_missing_final_sequence_delimiter_is_tolerated_and_exact(tmp_path):
    # emri_small_jpeg_2k_lossless_too_short.dcm lacks only the pixel data's closing
    # delimiter (pydicom warns "End of file reached before delimiter"); every frame is
    # present, so medvox decodes it, and it must equal the uncompressed original.
    short = read_mha(tmp_path, real("dicom/pydicom_data/emri_small_jpeg_2k_lossless_too_short.dcm"))
    ds = pydicom.dcmread(str(real("dicom/pydicom_data/emri_small.dcm")))
    assert int(ds.NumberOfFrames) == 10
    np.testing.assert_array_equal(sitk.GetArrayFromImage(short), ds.pixel_array)


def test_folder_with_bad_file_reports_it_and_reads_the_rest(tmp_path):
    import shutil

    d = tmp_path / "mixed"
    d.mkdir()
    for f in sorted(real("dicom/series_mr_ge_epi_i2nii").glob("*.dcm")):
        shutil.copy(f, d / f.name)
    shutil.copy(real("dicom/pydicom_test_files/no_meta.dcm"), d / "zz_bad.dcm")
    listing = ls(d)
    assert [b["path"].endswith("zz_bad.dcm") for b in listing["bad_files"]] == [True]
    (s,) = listing["series"]
    assert s["size"] == [64, 64, 37]
    r = medvox("info", d)
    assert "zz_bad.dcm" in r.stderr


def test_dicomdir_and_several_series(tmp_path):
    dd = real("dicom/pydicom_test_files/dicomdirtests/DICOMDIR")
    listing = ls(dd)
    assert len(listing["series"]) > 1
    r = medvox("info", dd, check=False)
    assert r.returncode == 1 and "--series" in r.stderr
    for s in listing["series"][:3]:
        assert s["uid"] in r.stderr or s["id"] in r.stderr
    # Choosing one by index or id reads it, with SimpleITK agreeing on the file it holds.
    meta = json.loads(medvox("info", dd, "--series", "2", "--json").stdout)
    meta2 = json.loads(medvox("info", dd, "--series", listing["series"][1]["id"], "--json").stdout)
    assert meta == meta2 and meta["format"] == "dicom"
    assert medvox("info", dd, "--series", "999", check=False).returncode == 1


# Attributes the basic profile removes or replaces (PS3.15 Table E.1-1, pydicom keywords).
PROFILE = [
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "PatientAge", "PatientWeight",
    "PatientSize", "PatientAddress", "OtherPatientIDs", "OtherPatientNames", "AccessionNumber",
    "StudyID", "ReferringPhysicianName", "InstitutionName", "InstitutionAddress", "StationName",
    "OperatorsName", "PerformingPhysicianName", "StudyDescription", "SeriesDescription",
    "ProtocolName", "DeviceSerialNumber", "ImageComments", "StudyDate", "StudyTime",
    "SeriesDate", "AcquisitionDate", "ContentDate", "InstanceCreationDate",
]
UIDS = ["StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID"]


def test_deid_series_profile_uids_pixels_and_geometry(tmp_path):
    src = real("dicom/series_mr_ge_epi_i2nii")
    out = tmp_path / "deid"
    r = medvox("dicom", "deid", src, out, "--salt", "s1", "--json")
    summary = json.loads(r.stdout)
    files = sorted(src.glob("*.dcm"))
    assert summary["files"] == len(files) and summary["uids"] > 0
    new_uids = {k: set() for k in UIDS}
    for f in files:
        a = pydicom.dcmread(str(f))
        b = pydicom.dcmread(str(out / f.name))
        for kw in PROFILE:
            if kw in a and str(a.get(kw, "")).strip():
                assert str(b.get(kw, "")) != str(a.get(kw)), (f.name, kw)
        for kw in UIDS:
            if kw in a:
                assert b.get(kw) != a.get(kw), kw
                assert str(b.get(kw)).startswith("2.25.")
                new_uids[kw].add(str(b.get(kw)))
        assert b.file_meta.MediaStorageSOPInstanceUID == b.SOPInstanceUID
        assert not any(e.tag.is_private for e in b.iterall())
        assert b.PatientIdentityRemoved == "YES"
        np.testing.assert_array_equal(b.pixel_array, a.pixel_array)
        for kw in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing"):
            assert list(b.get(kw)) == list(a.get(kw))
    # Study and series stay together; instances stay distinct.
    assert len(new_uids["StudyInstanceUID"]) == 1 and len(new_uids["SeriesInstanceUID"]) == 1
    assert len(new_uids["SOPInstanceUID"]) == len(files)
    # The same salt gives the same UIDs; the de-identified series reads as the original.
    out2 = tmp_path / "deid2"
    medvox("dicom", "deid", src, out2, "--salt", "s1")
    f0 = files[0].name
    assert pydicom.dcmread(str(out2 / f0)).SOPInstanceUID == pydicom.dcmread(str(out / f0)).SOPInstanceUID
    a = read_mha(tmp_path, src, name="a.mha")
    b = read_mha(tmp_path, out, name="b.mha")
    assert_same_geometry(a, b, tol=0)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(a), sitk.GetArrayFromImage(b))


def test_deid_keep_dates_and_refuses_to_write_into_input(tmp_path):
    src = real("dicom/pydicom_test_files/CT_small.dcm")
    out = tmp_path / "ct.dcm"
    medvox("dicom", "deid", src, out, "--keep-dates")
    a, b = pydicom.dcmread(str(src)), pydicom.dcmread(str(out))
    assert b.StudyDate == a.StudyDate and not b.PatientBirthDate
    assert b.PatientName != a.PatientName
    medvox("dicom", "deid", src, tmp_path / "ct2.dcm")
    assert not pydicom.dcmread(str(tmp_path / "ct2.dcm")).StudyDate
    # Output inside the input, reached through a symbolic link, and not existing yet.
    indir = tmp_path / "in"
    indir.mkdir()
    shutil.copy(src, indir / "ct.dcm")
    (tmp_path / "link").symlink_to(indir)
    r = medvox("dicom", "deid", indir, tmp_path / "link" / "sub", check=False)
    assert r.returncode == 1 and "medvox: error:" in r.stderr
    assert not (indir / "sub").exists()


def test_deid_uids_are_sha256_of_salt_and_uid(tmp_path):
    """New UID = 2.25.<int of the first 16 bytes of SHA-256(salt + UID)>, computed here with hashlib."""
    import hashlib

    src = real("dicom/pydicom_test_files/CT_small.dcm")
    out = tmp_path / "ct.dcm"
    medvox("dicom", "deid", src, out, "--salt", "medvox-salt")
    a, b = pydicom.dcmread(str(src)), pydicom.dcmread(str(out))
    for kw in UIDS:
        old = str(a.get(kw))
        digest = hashlib.sha256(b"medvox-salt" + old.encode()).digest()
        assert str(b.get(kw)) == f"2.25.{int.from_bytes(digest[:16], 'big')}", kw


# ---- DICOM export (medvox convert VOLUME DIR --to dicom) ----


def sitk_series(folder):
    """SimpleITK ImageSeriesReader (GDCM) on an exported folder."""
    files = sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder))
    r = sitk.ImageSeriesReader()
    r.SetFileNames(files)
    return r.Execute()


def pydicom_series(folder):
    """pydicom: files by InstanceNumber -> (values z,y,x as float64, datasets)."""
    dss = sorted((pydicom.dcmread(str(f)) for f in folder.glob("*.dcm")), key=lambda d: int(d.InstanceNumber))
    vals = np.stack([d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in dss])
    return vals, dss


def export_tolerance(ref):
    """Integer input: exact; float input: half a quantisation step (span / 65535 / 2) plus float32 rounding."""
    a = sitk.GetArrayViewFromImage(ref).astype(np.float64)
    if np.all(a == np.round(a)) and a.min() >= -32768 and a.max() - min(a.min(), 0) <= 65535:
        return 0.0
    span = float(a.max() - a.min())
    return span / 65535 / 2 * 1.0001 + 4 * np.finfo(np.float32).eps * float(np.abs(a).max())


def check_export(tmp_path, ref, src, *args, name="series"):
    """medvox convert SRC DIR --to dicom; SimpleITK and pydicom read DIR back like `ref`."""
    out = tmp_path / name
    r = medvox("convert", src, out, "--to", "dicom", *args)
    assert "wrote" in r.stderr
    tol = export_tolerance(ref)
    # A left-handed direction comes back with the slice axis reversed (same physical image).
    d = np.array(ref.GetDirection()).reshape(3, 3)
    expect = sitk.Flip(ref, [False, False, True]) if np.linalg.det(d) < 0 else ref
    got = sitk_series(out)
    assert_same_geometry(got, expect, tol=1e-4)
    x = sitk.GetArrayFromImage(expect).astype(np.float64)
    y = sitk.GetArrayFromImage(got).astype(np.float64)
    np.testing.assert_allclose(y, x, atol=tol, rtol=0)
    vals, dss = pydicom_series(out)
    if np.linalg.det(d) < 0:
        vals = vals[::-1]
    np.testing.assert_allclose(vals, x, atol=tol, rtol=0)
    # pydicom: geometry tags slice by slice (in the written order).
    sx, sy, sz = ref.GetSpacing()
    for k, ds in enumerate(dss):
        p = ref.TransformContinuousIndexToPhysicalPoint((0.0, 0.0, float(k)))
        np.testing.assert_allclose([float(v) for v in ds.ImagePositionPatient], p, atol=1e-4)
        np.testing.assert_allclose([float(v) for v in ds.PixelSpacing], [sy, sx], atol=1e-6)
        np.testing.assert_allclose(float(ds.SpacingBetweenSlices), sz, atol=1e-6)
        np.testing.assert_allclose([float(v) for v in ds.ImageOrientationPatient], d[:, :2].T.ravel(), atol=1e-6)
        assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
        assert ds.SOPInstanceUID.startswith("2.25.") and ds.SeriesInstanceUID.startswith("2.25.")
    assert len({ds.SOPInstanceUID for ds in dss}) == len(dss)
    assert len({ds.SeriesInstanceUID for ds in dss}) == 1
    return dss


def synthetic(dtype, size, spacing, origin, direction, f):
    a = np.fromfunction(f, size[::-1]).astype(dtype)
    img = sitk.GetImageFromArray(a)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    img.SetDirection(direction)
    return img


def rotation(a, b):
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    return tuple((rx @ rz).ravel())


EXPORT_CASES = {
    "i16_ct_oblique": (np.int16, (9, 7, 5), (0.7, 0.9, 2.5), (-120.5, 33.25, 400.0), rotation(0.3, -0.2),
                       lambda z, y, x: (x * 37 + y * 101 + z * 513) % 4000 - 1024, ()),
    "u8_one_slice": (np.uint8, (6, 4, 1), (0.5, 0.25, 3.0), (1.0, 2.0, 3.0), rotation(0, 0),
                     lambda z, y, x: (x * 11 + y * 3) % 256, ()),
    "f32_mr": (np.float32, (8, 6, 4), (1.0, 1.2, 1.5), (5.0, -5.0, 0.0), rotation(-0.5, 0.1),
               lambda z, y, x: np.sin(x * 0.37 + y * 0.2 + z) * 3.25, ("--modality", "MR")),
    "f32_integral_ot": (np.float32, (5, 5, 3), (2.0, 2.0, 2.0), (0.0, 0.0, 0.0), rotation(1.0, 0.5),
                        lambda z, y, x: x * 100 - y * 7 + z, ("--modality", "OT")),
    "u16_wide_ct": (np.uint16, (4, 3, 2), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), rotation(0, 0),
                    lambda z, y, x: x * 20000 + y * 10 + z, ("--modality", "CT")),
    "i32_offset": (np.int32, (4, 3, 3), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), rotation(0, 0),
                   lambda z, y, x: 1_000_000 + x * 9000 + y * 100 + z, ()),
}


@pytest.mark.parametrize("case", sorted(EXPORT_CASES))
def test_export_reads_back_in_simpleitk_and_pydicom(tmp_path, case):
    dtype, size, spacing, origin, direction, f, args = EXPORT_CASES[case]
    ref = synthetic(dtype, size, spacing, origin, direction, f)
    src = tmp_path / "in.mha"
    sitk.WriteImage(ref, str(src))
    dss = check_export(tmp_path, ref, src, *args)
    if args:
        assert dss[0].Modality == args[1]
    if case == "i16_ct_oblique":
        assert dss[0].Modality == "CT" and dss[0].SOPClassUID == "1.2.840.10008.5.1.4.1.1.2"
        assert str(dss[0].PatientName) == "medvox^export"


# Real NIfTI volumes (orthonormal directions; the niivue set includes left-handed ones).
REAL_NIFTI = [
    "nifti/totalsegmentator_ct/example_ct_sm.nii.gz",
    "nifti/totalsegmentator_ct/example_seg.nii.gz",
    "nifti/templates_mni152_nilearn/mni_icbm152_gm_tal_nlin_sym_09a_converted.nii.gz",
    "nifti/nifti_reader_js/avg152T1_LR_nifti.nii.gz",
    "nifti/nibabel/anatomical.nii",
    "nifti/dipy/aniso_vox.nii.gz",
    "nifti/orientation_niivue/LAS.nii.gz",
    "nifti/orientation_niivue/RAS.nii.gz",
    "nifti/orientation_niivue/PIL.nii.gz",
    "nifti/orientation_niivue/SAL.nii.gz",
]


@pytest.mark.parametrize("rel", REAL_NIFTI)
def test_export_real_nifti(tmp_path, rel):
    src = real(rel)
    ref = sitk.ReadImage(str(src))
    check_export(tmp_path, ref, src, "--patient-name", "Test^Name")


def test_export_refuses_non_empty_folder_and_bad_input(tmp_path):
    ref = synthetic(np.int16, (3, 3, 2), (1, 1, 1), (0, 0, 0), rotation(0, 0), lambda z, y, x: x + y + z)
    src = tmp_path / "in.mha"
    sitk.WriteImage(ref, str(src))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    r = medvox("convert", src, out, "--to", "dicom", check=False)
    assert r.returncode == 1 and "--force" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mha", "out"]
    medvox("convert", src, out, "--to", "dicom", "--force")
    assert sorted(p.name for p in out.iterdir()) == ["IM0001.dcm", "IM0002.dcm"]
    # NaN: refused, nothing written.
    a = np.zeros((2, 2, 2), np.float32)
    a[1, 1, 1] = np.nan
    sitk.WriteImage(sitk.GetImageFromArray(a), str(tmp_path / "nan.mha"))
    r = medvox("convert", tmp_path / "nan.mha", tmp_path / "nan", "--to", "dicom", check=False)
    assert r.returncode == 1 and "NaN" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mha", "nan.mha", "out"]
