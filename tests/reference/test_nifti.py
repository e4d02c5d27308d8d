"""NIfTI and Analyze 7.5: medvox against SimpleITK (ITK 5.4 NiftiImageIO) and nibabel on every
NIfTI/Analyze file in the real data set.

For each file SimpleITK reads:
  * `medvox info --json` agrees with SimpleITK on size, pixel type (scl_slope promotes integers to
    f32 as in ITK), spacing, origin, direction and statistics;
  * `medvox convert` to .mha, .nii, .nii.gz and .hdr/.img gives files SimpleITK reads as the same
    image (geometry 1e-4, voxels exact), and nibabel reads medvox's .nii.gz with the affine that
    SimpleITK's geometry implies.
4D files: `info` describes volume 0 and counts the volumes; `convert --volume 0` writes volume 0
(with a note on stderr), so both are compared with SimpleITK's volume 0 (whole-4D conversion is
checked in test_io_hardening.py).
5D vector files: medvox reads one volume per component, compared with SimpleITK's component 0.
Files SimpleITK cannot read are checked against nibabel (affine and voxels) instead.
"""
import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from conftest import DATA, assert_same_image, info, medvox, real
from test_nrrd import check_info

READABLE = [
    "analyze/converted_real/anatomical_analyze75_bigendian.hdr",  # Analyze 7.5, big-endian
    "analyze/converted_real/aniso_vox_analyze75.hdr",
    "metaimage/itk_examples/KmeansTest_T1UCharRaw.nii.gz",  # qform 2 + sform 1: sform wins
    "nifti/dipy/aniso_vox.nii.gz",
    "nifti/dipy/small_101D.nii.gz",  # 4D, 102 volumes
    "nifti/nibabel/anatomical.nii",  # big-endian
    "nifti/nibabel/example4d.nii.gz",  # 4D
    "nifti/nibabel/functional.nii",  # 4D, scl_slope: int16 -> f32
    "nifti/nibabel/reoriented_anat_moved.nii",
    "nifti/nibabel/standard.nii.gz",
    "nifti/nifti_reader_js/5D_zeros.nii.gz",  # 5D vector (intent VECTOR): 3 components
    "nifti/nifti_reader_js/air.hdr.gz",  # NIfTI-1 pair, both gzipped
    "nifti/nifti_reader_js/avg152T1_LR_nifti.nii.gz",
    "nifti/nifti_reader_js/big.nii.gz",  # big-endian
    "nifti/nifti_reader_js/little.nii.gz",
    "nifti/nifti_reader_js/with_extension.nii.gz",  # header extension before the data
    "nifti/nimh_test_data/avg152T1_RL_nifti.hdr.gz",  # big-endian pair
    "nifti/nimh_test_data/minimal.hdr.gz",  # no qform, no sform
    "nifti/nimh_test_data/zstat1.nii.gz",
    "nifti/templates_mni152_nilearn/mni_icbm152_gm_tal_nlin_sym_09a_converted.nii.gz",
    "nifti/templates_mni152_nilearn/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz",
    "nifti/totalsegmentator_ct/example_ct_sm.nii.gz",
    "nifti/totalsegmentator_ct/example_seg.nii.gz",
]
ORIENTATION = sorted(f"nifti/orientation_niivue/{c}.nii.gz" for c in (
    "ALS", "ASL", "ASR", "ILA", "IRP", "LAS", "LPI", "LPS", "PIL", "PIR", "PRS", "RAI", "RAS", "RPI", "SAL", "SPR"))
READABLE += ORIENTATION

# NaN voxels: nifti_clib (SimpleITK) reads them as 0, medvox keeps them as nibabel does;
# checked against nibabel in test_io_hardening.py.
NAN_FILES = {"nifti/nibabel/resampled_anat_moved.nii"}

# Files SimpleITK 2.5.7 cannot read, checked against nibabel. File -> why.
NIBABEL_ONLY = {
    "nifti/nibabel/example_nifti2.nii.gz": "NIfTI-2: ITK 5.4's NiftiImageIO is built on nifti1_io",
    "nifti/nifti_reader_js/air2.hdr.gz": "NIfTI-2 pair",
    "nifti/nifti_reader_js/avg152T1_LR_nifti2.nii.gz": "NIfTI-2",
    "nifti/nifti_reader_js/5D_small.nii": "segfaults SimpleITK 2.5.7: never opened with it",
    "nifti/dipy/S0_10slices.nii.gz": (
        "sheared sform (sform_code 2) and no qform: ITK throws 'ITK only supports orthonormal "
        "direction cosines'; medvox keeps the exact sform affine, as nibabel does"),
}

# File -> (words medvox's error must contain, why).
UNREADABLE = {
    "nifti/nifti_reader_js/not-nifti.nii": ("not a NIfTI", "random bytes (negative test); nibabel and SimpleITK refuse it too"),
}

# Voxel data files of pairs: read through their header.
COMPANIONS = {
    "analyze/converted_real/anatomical_analyze75_bigendian.img",
    "analyze/converted_real/aniso_vox_analyze75.img",
    "nifti/nifti_reader_js/air.img.gz",
    "nifti/nifti_reader_js/air2.img.gz",
    "nifti/nimh_test_data/avg152T1_RL_nifti.img.gz",
    "nifti/nimh_test_data/minimal.img.gz",
}

LPS = np.diag([-1.0, -1.0, 1.0])  # RAS <-> LPS


def fmt(rel):
    return "analyze" if rel.startswith("analyze/") else "nifti"


def reference(rel):
    """SimpleITK's reading of a file, reduced to what medvox's volume 0 is."""
    img = sitk.ReadImage(str(real(rel)))
    if img.GetDimension() == 4:
        img = img[:, :, :, 0]
    if img.GetNumberOfComponentsPerPixel() > 1:
        img = sitk.VectorIndexSelectionCast(img, 0)
    return img


def volume_count(rel):
    """How many 3D volumes medvox must return: the product of the dimensions after the third."""
    dim = nib.load(str(real(rel))).header["dim"]
    return int(np.prod(dim[4 : dim[0] + 1])) if dim[0] > 3 else 1


def vol0(rel):
    """`convert` options that write volume 0 only of a 4D file (convert writes every volume by default)."""
    return ["--volume", "0"] if volume_count(rel) > 1 else []


def ras_affine(direction, spacing, origin):
    """NIfTI's RAS affine of an LPS geometry (direction row-major, 3x3)."""
    a = np.eye(4)
    a[:3, :3] = LPS @ np.asarray(direction, float).reshape(3, 3) @ np.diag(spacing)
    a[:3, 3] = LPS @ np.asarray(origin, float)
    return a


def sitk_affine(img):
    return ras_affine(img.GetDirection(), img.GetSpacing(), img.GetOrigin())


def nib_volume0(rel):
    """nibabel's scaled voxels of volume 0, as an [x, y, z] float64 array."""
    data = np.asanyarray(nib.load(str(real(rel))).dataobj).astype(np.float64)
    return data.reshape(data.shape[:3] + (-1,), order="F")[..., 0]


@pytest.mark.parametrize("rel", READABLE)
def test_info_matches_simpleitk(rel):
    meta = info(real(rel))
    check_info(meta, reference(rel), fmt(rel))
    assert meta["volumes"] == volume_count(rel)


@pytest.mark.parametrize("rel", READABLE)
@pytest.mark.parametrize("out", ["x.mha", "x.nii", "x.nii.gz", "x.hdr"])
def test_convert_reads_back_in_simpleitk(rel, out, tmp_path):
    dst = tmp_path / out
    r = medvox("convert", real(rel), dst, *vol0(rel))
    if volume_count(rel) > 1:
        assert "writing volume 0" in r.stderr
    if out == "x.hdr":
        assert (tmp_path / "x.img").exists()
    assert_same_image(sitk.ReadImage(str(dst)), reference(rel))


@pytest.mark.parametrize("rel", READABLE)
def test_nibabel_reads_medvox_nifti_like_simpleitk(rel, tmp_path):
    """nibabel's affine of medvox's output is the one SimpleITK's geometry of the input implies,
    and its voxels are SimpleITK's; the header carries ITK's codes and units."""
    ref = reference(rel)
    dst = tmp_path / "x.nii.gz"
    medvox("convert", real(rel), dst, *vol0(rel))
    out = nib.load(str(dst))
    np.testing.assert_allclose(out.affine, sitk_affine(ref), atol=1e-4)
    np.testing.assert_array_equal(np.asanyarray(out.dataobj).T, sitk.GetArrayViewFromImage(ref))
    h = out.header
    assert (int(h["qform_code"]), int(h["sform_code"]), int(h["xyzt_units"])) == (1, 1, 10)
    np.testing.assert_allclose(h.get_qform(), h.get_sform(), atol=1e-4)


@pytest.mark.parametrize("rel", sorted(NIBABEL_ONLY))
def test_files_simpleitk_cannot_read_match_nibabel(rel, tmp_path):
    path = real(rel)
    meta = info(path)
    assert meta["format"] == "nifti"
    assert meta["volumes"] == volume_count(rel)
    src = nib.load(str(path))
    np.testing.assert_allclose(ras_affine(meta["direction"], meta["spacing"], meta["origin"]), src.affine, atol=1e-4)
    ref = nib_volume0(rel)
    assert meta["size"] == list(ref.shape)
    for k, v in [("min", ref.min()), ("max", ref.max()), ("mean", ref.mean()), ("std", ref.std())]:
        np.testing.assert_allclose(meta[k], v, rtol=1e-6, atol=1e-6, err_msg=k)
    # What medvox writes, nibabel reads back with the same affine and voxels (scaled
    # voxels are f32 in medvox, as in ITK, hence the relative tolerance).
    dst = tmp_path / "x.nii.gz"
    medvox("convert", path, dst, *vol0(rel))
    out = nib.load(str(dst))
    np.testing.assert_allclose(out.affine, src.affine, atol=1e-4)
    np.testing.assert_allclose(np.asanyarray(out.dataobj).astype(np.float64), ref, rtol=1e-6, atol=0)


@pytest.mark.parametrize("rel", sorted(UNREADABLE))
def test_unreadable_files_are_clear_errors(rel):
    words, why = UNREADABLE[rel]
    r = medvox("info", real(rel), "--json", check=False)
    assert r.returncode != 0, f"medvox read {rel}: {why}"
    assert words in r.stderr, r.stderr
    assert "panicked" not in r.stderr
    with pytest.raises(Exception):
        nib.load(str(real(rel)))


@pytest.mark.parametrize("rel", sorted(COMPANIONS))
def test_pairs_read_through_the_img_name(rel):
    """Naming the .img (or .img.gz) of a pair reads the same image as naming its header."""
    header = rel.replace(".img", ".hdr")
    assert real(header).exists()
    assert info(real(rel)) == info(real(header))


def test_orientation_files_hold_one_anatomy(tmp_path):
    """The 16 niivue files store one head in 16 axis orders/flips: after medvox reads each (and
    writes it as .mha), resampling onto the RAS file's grid with nearest neighbour gives
    identical arrays, i.e. each anatomical point has the same intensity."""
    images = {}
    for rel in ORIENTATION:
        dst = tmp_path / (rel.split("/")[-1].replace(".nii.gz", ".mha"))
        medvox("convert", real(rel), dst)
        images[rel] = sitk.ReadImage(str(dst))
    ref = images["nifti/orientation_niivue/RAS.nii.gz"]
    expected = sitk.GetArrayFromImage(ref)
    assert expected.any()
    for rel, img in images.items():
        if img.GetSize() != ref.GetSize():
            assert sorted(img.GetSize()) == sorted(ref.GetSize()), rel
        moved = sitk.Resample(img, ref, sitk.Transform(), sitk.sitkNearestNeighbor, -1.0)
        np.testing.assert_array_equal(sitk.GetArrayViewFromImage(moved), expected, err_msg=rel)


def test_mirrored_templates_agree(tmp_path):
    """avg152T1 stored right-to-left (big-endian pair) and left-to-right (.nii.gz): the arrays are
    mirrored, the anatomy is the same once medvox's geometry is applied."""
    rl, lr = tmp_path / "rl.mha", tmp_path / "lr.mha"
    medvox("convert", real("nifti/nimh_test_data/avg152T1_RL_nifti.hdr.gz"), rl)
    medvox("convert", real("nifti/nifti_reader_js/avg152T1_LR_nifti.nii.gz"), lr)
    rl, lr = sitk.ReadImage(str(rl)), sitk.ReadImage(str(lr))
    a, b = sitk.GetArrayFromImage(rl), sitk.GetArrayFromImage(lr)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a[:, :, ::-1], b)
    moved = sitk.Resample(rl, lr, sitk.Transform(), sitk.sitkNearestNeighbor, 255)
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(moved), b)


def test_every_nifti_and_analyze_file_is_covered():
    """The lists above hold every NIfTI/Analyze file of the data set."""
    real("nifti")
    found = {str(p.relative_to(DATA)) for d in ("nifti", "analyze") for p in (DATA / d).rglob("*") if p.is_file()}
    found.add("metaimage/itk_examples/KmeansTest_T1UCharRaw.nii.gz")
    assert found == set(READABLE) | set(NIBABEL_ONLY) | set(UNREADABLE) | COMPANIONS | NAN_FILES
