"""Helpers shared by the NRRD and MetaImage reference tests (test_nrrd.py, test_metaimage.py)."""
import numpy as np
import SimpleITK as sitk

from conftest import DATA, assert_info_matches_sitk, medvox, real

PIXEL = {
    sitk.sitkUInt8: "u8",
    sitk.sitkInt8: "i8",
    sitk.sitkUInt16: "u16",
    sitk.sitkInt16: "i16",
    sitk.sitkUInt32: "u32",
    sitk.sitkInt32: "i32",
    sitk.sitkFloat32: "f32",
    sitk.sitkFloat64: "f64",
}


def check_info(meta, img, fmt):
    """`info --json` against SimpleITK, including what conftest leaves out for 2D images and std."""
    assert meta["format"] == fmt
    assert meta["pixel_type"] == PIXEL[img.GetPixelID()]
    assert_info_matches_sitk(meta, img)
    arr = sitk.GetArrayViewFromImage(img).astype(np.float64)
    np.testing.assert_allclose(meta["std"], arr.std(), rtol=1e-6, atol=1e-6)
    if img.GetDimension() == 2:
        np.testing.assert_allclose(meta["origin"], [*img.GetOrigin(), 0.0], atol=1e-4)
        d = np.array(meta["direction"]).reshape(3, 3)
        np.testing.assert_allclose(d[:2, :2].ravel(), img.GetDirection(), atol=1e-4)
        np.testing.assert_allclose(d[2], [0, 0, 1], atol=0)


def convert(rel, dst, compress):
    """`medvox convert` of the real file `rel` to `dst` (with --compress when asked); returns the source path."""
    path = real(rel)
    medvox("convert", path, dst, *(["--compress"] if compress else []))
    return path


def check_clear_error(rel, words, why):
    """medvox refuses `rel` without panicking, with an error that contains `words`; `why` ends the message."""
    r = medvox("info", real(rel), "--json", check=False)
    assert r.returncode != 0, f"medvox read {rel}, which {why}"
    assert words in r.stderr, r.stderr
    assert "panicked" not in r.stderr


def check_covered(folder, suffixes, readable, unreadable):
    """`readable` and `unreadable` together list every file of the data set with one of `suffixes`."""
    real(folder)
    found = {str(p.relative_to(DATA)) for p in DATA.rglob("*") if p.suffix in suffixes}
    assert found == set(readable) | set(unreadable)
