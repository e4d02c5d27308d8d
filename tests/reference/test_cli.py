"""The phantom medvox writes in every format reads the same in SimpleITK, and
`medvox info --json` agrees with SimpleITK's geometry and numpy's statistics."""
import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

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


def test_demo_pipeline_stages_match_scipy(demo):
    # The demo's pipeline (demo.toml): median r=1 -> bone >= 300 HU -> 26-connected
    # components >= 50 voxels ordered by size -> label statistics; each stage
    # recomputed independently with scipy from the phantom file.
    ct = sitk.GetArrayFromImage(sitk.ReadImage(str(demo / "phantom.nii.gz")))
    den = ndimage.median_filter(ct, size=3, mode="nearest")
    got_den = sitk.GetArrayFromImage(sitk.ReadImage(str(demo / "denoised.nii.gz")))
    np.testing.assert_array_equal(got_den, den)
    bone = sitk.GetArrayFromImage(sitk.ReadImage(str(demo / "bone_mask.nii.gz")))
    np.testing.assert_array_equal(bone, (den >= 300).astype(np.uint8))
    lab, n = ndimage.label(bone, structure=np.ones((3, 3, 3)))
    sizes = np.bincount(lab.ravel())[1:]
    kept = sorted((s for s in sizes if s >= 50), reverse=True)
    labels = sitk.GetArrayFromImage(sitk.ReadImage(str(demo / "bone_labels.nii.gz")))
    assert labels.max() == len(kept)
    np.testing.assert_array_equal(np.bincount(labels.ravel())[1:], kept)
    rows = (demo / "bone_stats.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + len(kept)
    head = rows[0].split(",")
    assert [int(r.split(",")[head.index("voxels")]) for r in rows[1:]] == kept
    # Every bone has its radiomics rows; the mean HU row equals numpy's mean.
    import csv
    with open(demo / "bone_features.csv", newline="") as f:
        feats = list(csv.DictReader(f))
    for k in range(1, len(kept) + 1):
        mean = [r for r in feats if r["label"] == str(k) and r["key"] == "stat_mean"]
        assert len(mean) == 1
        np.testing.assert_allclose(float(mean[0]["value"]), ct[labels == k].mean(), rtol=1e-6)


def test_demo_print_pipeline_is_the_pipeline_it_runs(demo, tmp_path):
    text = medvox("demo", "--print-pipeline").stdout
    p = tmp_path / "demo.toml"
    p.write_text(text)
    medvox("pipeline", "check", p)
    medvox("--quiet", "pipeline", "run", p, "--input", f"ct={demo / 'phantom.nii.gz'}")
    for name in ("bone_labels.nii.gz", "bone_stats.csv", "bone_features.csv"):
        assert (tmp_path / name).read_bytes() == (demo / name).read_bytes(), name


def test_convert_pixel_type_matches_numpy_rounding(demo, tmp_path):
    out = tmp_path / "f.nii"
    medvox("convert", demo / "phantom.nii.gz", out, "--pixel-type", "u8")
    ct = sitk.GetArrayFromImage(sitk.ReadImage(str(demo / "phantom.nii.gz"))).astype(np.float64)
    got = sitk.GetArrayFromImage(sitk.ReadImage(str(out)))
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, np.clip(ct, 0, 255).astype(np.uint8))
