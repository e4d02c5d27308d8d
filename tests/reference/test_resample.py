"""Resampling (`medvox filter resample`) against SimpleITK `Resample` and scipy.

Same output grid on both sides (medvox's output grid, checked against its
definition), identity transform, default value as given:
* linear: SimpleITK `sitkLinear` and `scipy.ndimage.affine_transform(order=1,
  mode='nearest', prefilter=False)` (the peers' `resample_iso` definition),
  |Δ| <= 1e-5 × max|reference| (both interpolate in double; medvox stores f32).
* nearest: SimpleITK `sitkNearestNeighbor`, identical (grids chosen so that no
  sample falls exactly half-way between two voxels, where rounding of the mapped
  position decides).
* bspline: SimpleITK `sitkBSpline` (cubic, exact prefilter, mirror boundary),
  |Δ| <= 1e-4 × max|reference|.
* label (`--labels`): SimpleITK `sitkLabelLinear` (per-label linear voting);
  labels with exactly equal votes may be resolved differently after rounding,
  so at most 0.1 % of voxels may differ; no label outside the input's set.
Inputs: a synthetic int16 phantom (anisotropic spacing, and an oblique
direction with an oblique reference grid) and the real TotalSegmentator CT and
label map (nifti/totalsegmentator_ct).
"""
import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from conftest import medvox, real
from test_filters import phantom

SPACING = (0.8, 1.1, 2.5)


def write(tmp_path, arr, name="in.nrrd", spacing=SPACING, origin=(0.0, 0.0, 0.0), direction=None):
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    if direction is not None:
        img.SetDirection(direction)
    p = tmp_path / name
    sitk.WriteImage(img, str(p))
    return p, img


def resample(tmp_path, src, *args, name="out.nrrd"):
    out = tmp_path / name
    medvox("--quiet", "filter", "resample", *args, src, out)
    return sitk.ReadImage(str(out))


def sitk_resample(img, size, spacing, origin, direction, interp, default=0.0, pixel=sitk.sitkFloat32):
    return sitk.Resample(img, [int(n) for n in size], sitk.Transform(3, sitk.sitkIdentity), interp,
                         tuple(origin), tuple(spacing), tuple(direction), float(default), pixel)


def sitk_like(img, out, interp, default=0.0, pixel=sitk.sitkFloat32):
    return sitk_resample(img, out.GetSize(), out.GetSpacing(), out.GetOrigin(), out.GetDirection(),
                         interp, default, pixel)


def arr(img):
    return sitk.GetArrayFromImage(img).astype(np.float64)


def assert_close(got, want, rel):
    assert got.shape == want.shape
    scale = max(1.0, np.abs(want).max())
    err = np.abs(got - want).max()
    assert err <= rel * scale, f"max |diff| {err} > {rel} x {scale}"


def rot(ax, az):
    ca, sa, cz, sz = np.cos(ax), np.sin(ax), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, ca, -sa], [0, sa, ca]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return tuple((rz @ rx).ravel())


@pytest.fixture
def src(tmp_path):
    return write(tmp_path, phantom(), origin=(-12.0, 4.0, 30.0), direction=rot(0.0, 0.4))


def test_spacing_grid_definition_and_linear(tmp_path, src):
    p, img = src
    s_out = (0.7312, 1.0234, 1.7777)
    out = resample(tmp_path, p, "--spacing", ",".join(map(str, s_out)))
    assert out.GetPixelID() == sitk.sitkFloat32
    n_in = img.GetSize()
    want_size = tuple(int(np.floor((n - 1) * s / so + 1e-6)) + 1 for n, s, so in zip(n_in, SPACING, s_out))
    assert out.GetSize() == want_size
    np.testing.assert_allclose(out.GetSpacing(), s_out, rtol=1e-12)
    np.testing.assert_allclose(out.GetOrigin(), img.GetOrigin(), atol=1e-9)
    np.testing.assert_allclose(out.GetDirection(), img.GetDirection(), atol=1e-12)
    ref = sitk_resample(img, want_size, s_out, img.GetOrigin(), img.GetDirection(), sitk.sitkLinear)
    assert_close(arr(out), arr(ref), 1e-5)
    # scipy: output index (k, j, i) samples input index (k·sz'/sz, j·sy'/sy, i·sx'/sx).
    f32 = sitk.GetArrayFromImage(img).astype(np.float32)
    m = [so / s for so, s in zip(s_out[::-1], SPACING[::-1])]
    sp = ndimage.affine_transform(f32, matrix=m, output_shape=want_size[::-1], order=1, mode="nearest", prefilter=False)
    assert_close(arr(out), sp.astype(np.float64), 1e-5)


def test_peers_resample_iso_definition(tmp_path):
    # ct_512's geometry on a smaller volume: 0.7 x 0.7 x 2.5 mm -> 1 mm iso.
    a = phantom((24, 40, 48), seed=3).astype(np.float32)
    p, img = write(tmp_path, a, spacing=(0.7, 0.7, 2.5))
    out = resample(tmp_path, p, "--spacing", "1")
    n = a.shape[::-1]
    assert out.GetSize() == tuple(int(np.floor((k - 1) * s)) + 1 for k, s in zip(n, (0.7, 0.7, 2.5)))
    sp = ndimage.affine_transform(a, matrix=[2.5 ** -1 * 1.0, 1 / 0.7, 1 / 0.7], output_shape=out.GetSize()[::-1],
                                  order=1, mode="nearest", prefilter=False)
    assert_close(arr(out), sp.astype(np.float64), 1e-5)
    ref = sitk_like(img, out, sitk.sitkLinear, default=-1000)
    assert_close(arr(out), arr(ref), 1e-5)


def test_nearest_and_bspline_vs_sitk(tmp_path, src):
    p, img = src
    s = "0.7312,1.0234,1.7777"
    out = resample(tmp_path, p, "--spacing", s, "--interpolation", "nearest", name="n.nrrd")
    assert out.GetPixelID() == sitk.sitkInt16
    ref = sitk_like(img, out, sitk.sitkNearestNeighbor, pixel=sitk.sitkInt16)
    np.testing.assert_array_equal(arr(out), arr(ref))
    out = resample(tmp_path, p, "--spacing", s, "--interpolation", "bspline", name="b.nrrd")
    ref = sitk_like(img, out, sitk.sitkBSpline)
    assert_close(arr(out), arr(ref), 1e-4)
    # --keep-type: back to int16, rounded.
    out = resample(tmp_path, p, "--spacing", s, "--keep-type", name="k.nrrd")
    assert out.GetPixelID() == sitk.sitkInt16
    lin = sitk_like(img, out, sitk.sitkLinear)
    assert np.abs(arr(out) - np.round(arr(lin))).max() <= 1


def test_size_grids(tmp_path, src):
    p, img = src
    n_in = np.array(img.GetSize())
    out = resample(tmp_path, p, "--size", "40,31,9")
    want = np.array(SPACING) * (n_in - 1) / (np.array([40, 31, 9]) - 1)
    np.testing.assert_allclose(out.GetSpacing(), want, rtol=1e-12)
    np.testing.assert_allclose(out.GetOrigin(), img.GetOrigin(), atol=1e-9)
    assert_close(arr(out), arr(sitk_like(img, out, sitk.sitkLinear)), 1e-5)
    # Extent-preserving: corners of voxel 0 coincide, same physical extent.
    out = resample(tmp_path, p, "--size", "40,31,9", "--preserve-extent", name="e.nrrd")
    s_out = np.array(SPACING) * n_in / np.array([40, 31, 9])
    np.testing.assert_allclose(out.GetSpacing(), s_out, rtol=1e-12)
    d = np.array(img.GetDirection()).reshape(3, 3)
    np.testing.assert_allclose(out.GetOrigin(), np.array(img.GetOrigin()) + d @ ((s_out - SPACING) / 2), atol=1e-9)
    assert_close(arr(out), arr(sitk_like(img, out, sitk.sitkLinear)), 1e-5)


def test_oblique_reference(tmp_path, src):
    p, img = src
    ref_img = sitk.Image([37, 29, 23], sitk.sitkUInt8)
    ref_img.SetSpacing((1.3, 0.9, 1.7))
    ref_img.SetOrigin((-20.0, 0.0, 25.0))
    ref_img.SetDirection(rot(0.35, -0.6))
    rp = tmp_path / "ref.nrrd"
    sitk.WriteImage(ref_img, str(rp))
    for interp, name, pixel in [("linear", sitk.sitkLinear, sitk.sitkFloat32), ("nearest", sitk.sitkNearestNeighbor, sitk.sitkInt16),
                                ("bspline", sitk.sitkBSpline, sitk.sitkFloat32)]:
        out = resample(tmp_path, p, "--reference", rp, "--interpolation", interp, "--default-value", "-1024", name=f"{interp}.nrrd")
        assert out.GetSize() == ref_img.GetSize()
        np.testing.assert_allclose(out.GetDirection(), ref_img.GetDirection(), atol=1e-12)
        np.testing.assert_allclose(out.GetOrigin(), ref_img.GetOrigin(), atol=1e-9)
        ref = sitk.Resample(img, ref_img, sitk.Transform(3, sitk.sitkIdentity), name, -1024.0, pixel)
        g, w = arr(out), arr(ref)
        assert (w == -1024).any() and (w != -1024).sum() > 1000, "grid must be partly outside"
        if interp == "nearest":
            np.testing.assert_array_equal(g, w)
        else:
            assert_close(g, w, 1e-5 if interp == "linear" else 1e-4)


def test_real_ct_and_labels(tmp_path):
    ct = real("nifti/totalsegmentator_ct/example_ct_sm.nii.gz")
    seg = real("nifti/totalsegmentator_ct/example_seg.nii.gz")
    img = sitk.ReadImage(str(ct))
    out = resample(tmp_path, ct, "--spacing", "2", "--default-value", "-1024", name="ct.nrrd")
    assert_close(arr(out), arr(sitk_like(img, out, sitk.sitkLinear, default=-1024)), 1e-5)
    out = resample(tmp_path, ct, "--spacing", "2", "--interpolation", "bspline", name="ctb.nrrd")
    assert_close(arr(out), arr(sitk_like(img, out, sitk.sitkBSpline)), 1e-4)

    lab = sitk.ReadImage(str(seg))
    labels_in = set(np.unique(sitk.GetArrayViewFromImage(lab)))
    out = resample(tmp_path, seg, "--spacing", "2", "--interpolation", "nearest", name="n.nrrd")
    assert out.GetPixelID() == lab.GetPixelID()
    np.testing.assert_array_equal(arr(out), arr(sitk_like(lab, out, sitk.sitkNearestNeighbor, pixel=lab.GetPixelID())))
    out = resample(tmp_path, seg, "--spacing", "2", "--labels", name="l.nrrd")
    assert out.GetPixelID() == lab.GetPixelID()
    got = arr(out)
    ref = arr(sitk_like(lab, out, sitk.sitkLabelLinear, pixel=lab.GetPixelID()))
    assert set(np.unique(got)) <= labels_in
    differ = (got != ref).mean()
    assert differ <= 1e-3, f"{differ:.2e} of the voxels differ from sitkLabelLinear"
    # An oblique reference: same checks through the general affine path.
    ref_img = sitk.Image([80, 70, 30], sitk.sitkUInt8)
    ref_img.SetSpacing((2.5, 2.5, 3.5))
    ref_img.SetOrigin(lab.GetOrigin())
    ref_img.SetDirection(rot(0.2, 0.3))
    rp = tmp_path / "ref.nrrd"
    sitk.WriteImage(ref_img, str(rp))
    out = resample(tmp_path, seg, "--reference", rp, "--labels", name="lo.nrrd")
    ref = arr(sitk.Resample(lab, ref_img, sitk.Transform(3, sitk.sitkIdentity), sitk.sitkLabelLinear, 0.0, lab.GetPixelID()))
    got = arr(out)
    assert set(np.unique(got)) <= labels_in
    assert (got != ref).mean() <= 1e-3


@pytest.mark.parametrize("args", [
    ["--spacing", "0"], ["--spacing", "-1"], ["--spacing", "nan"], ["--spacing", "1,1e-12,1"],
    ["--size", "0,4,4"], ["--size", "2000000,2000000,2000000"], ["--reference", "/nonexistent.nii"],
    ["--spacing", "1", "--interpolation", "nearest", "--default-value", "nan"],
])
def test_bad_parameters(tmp_path, src, args):
    p, _ = src
    out = tmp_path / "bad.nrrd"
    r = medvox("filter", "resample", *args, p, out, check=False)
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith("medvox: error:"), r.stderr
    assert "panicked" not in r.stderr
    assert not out.exists()


def test_bench_runs(tmp_path, src):
    p, _ = src
    r = medvox("bench", "resample", "--spacing", "1.5", "--input", p, "--repeat", "1", "--json")
    assert '"op":"resample"' in r.stdout
