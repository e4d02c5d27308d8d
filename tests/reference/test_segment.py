"""Segmentation (`medvox segment …`) against SimpleITK, scikit-image, scipy and cc3d.

* automatic thresholds: SimpleITK `OtsuThreshold`, `LiThreshold`, `TriangleThreshold`,
  `YenThreshold`, `HuangThreshold`, `IsoDataThreshold`, `OtsuMultipleThresholds` with the same
  `numberOfHistogramBins` → the same threshold (|Δ| ≤ 1e-9 relative; both are the same f32/i16
  value) and the identical mask (medvox writes value > t = SimpleITK insideValue 0, outsideValue 1).
  scikit-image `threshold_otsu(nbins)` bins without ITK's margin: its threshold lies within one bin
  width of ours and the masks agree on ≥ 99.9 % of voxels; `threshold_mean` equals `mean` (1e-9).
* connected components: cc3d and scipy `label` give the identical label image (raster numbering);
  SimpleITK `ConnectedComponent` the same partition; `--order size`, `--min-size` equal
  SimpleITK `RelabelComponent`. Same output for 1 and 2 threads.
* region growing: SimpleITK `ConnectedThreshold`, `ConfidenceConnected`, `NeighborhoodConnected`
  and scikit-image `flood` → identical masks.
* watershed: SimpleITK `MorphologicalWatershedFromMarkers` (with/without lines, 6/26) and
  `MorphologicalWatershed(level)` → identical label images; scikit-image `watershed` → same
  partition except on plateau ties (≥ 99.9 %).
* post-processing: SimpleITK `BinaryFillhole` per label, `RelabelComponent` → identical.
"""
import json

import cc3d
import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage
from skimage import filters, segmentation

from conftest import assert_same_geometry, medvox, real

CT = "nifti/totalsegmentator_ct/example_ct_sm.nii.gz"
SEG = "nifti/totalsegmentator_ct/example_seg.nii.gz"
BRAIN = "nrrd/pyradiomics/brain1_image.nrrd"
PROSTATE_LABEL = "nrrd/pyradiomics/prostate_phantom_subvolume-label.nrrd"
FROG = "metaimage/vtk/frogtissue.mhd"


def seg(tmp_path, *args, name="out.nii.gz"):
    out = tmp_path / name
    r = medvox("--quiet", "segment", *args, out)
    return sitk.ReadImage(str(out)), r.stdout


def arr(img):
    return sitk.GetArrayFromImage(img)


def write(tmp_path, a, name, like=None, spacing=None, direction=None):
    img = sitk.GetImageFromArray(a)
    if like is not None:
        img.CopyInformation(like)
    if spacing is not None:
        img.SetSpacing(spacing)
    if direction is not None:
        img.SetDirection(direction)
    p = tmp_path / name
    sitk.WriteImage(img, str(p))
    return p, img


def same_partition(a, b):
    """Label images a and b are equal up to a one-to-one renumbering (0 stays 0)."""
    a = a.ravel().astype(np.int64)
    b = b.ravel().astype(np.int64)
    assert ((a == 0) == (b == 0)).all()
    pairs = np.unique(np.stack([a, b]), axis=1)
    assert len(np.unique(pairs[0])) == pairs.shape[1] == len(np.unique(pairs[1]))


@pytest.fixture(scope="module")
def ct_float(tmp_path_factory):
    """The real CT as float32 with a non-identity direction and anisotropic spacing."""
    img = sitk.Cast(sitk.ReadImage(str(real(CT))), sitk.sitkFloat32)
    img.SetSpacing((0.9, 1.3, 2.1))
    img.SetDirection((0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0))
    p = tmp_path_factory.mktemp("ct") / "ct_f32.nii.gz"
    sitk.WriteImage(img, str(p))
    return p, sitk.ReadImage(str(p))


SITK_METHODS = {
    "otsu": sitk.OtsuThresholdImageFilter,
    "li": sitk.LiThresholdImageFilter,
    "triangle": sitk.TriangleThresholdImageFilter,
    "yen": sitk.YenThresholdImageFilter,
    "huang": sitk.HuangThresholdImageFilter,
    "isodata": sitk.IsoDataThresholdImageFilter,
}


@pytest.mark.parametrize("method", list(SITK_METHODS))
@pytest.mark.parametrize("source,bins", [(CT, 256), (BRAIN, 128), ("ct_float", 64)])
def test_auto_threshold_vs_sitk(tmp_path, method, source, bins, ct_float):
    if source == "ct_float":
        path, img = ct_float
    else:
        path = real(source)
        img = sitk.ReadImage(str(path))
    out, stdout = seg(tmp_path, method, "--bins", bins, "--json", path)
    t = json.loads(stdout)["threshold"]
    f = SITK_METHODS[method]()
    f.SetInsideValue(0)
    f.SetOutsideValue(1)
    f.SetNumberOfHistogramBins(bins)
    ref = f.Execute(img)
    assert t == pytest.approx(f.GetThreshold(), rel=1e-9, abs=1e-9), (t, f.GetThreshold())
    np.testing.assert_array_equal(arr(out), arr(ref))
    assert out.GetPixelID() == sitk.sitkUInt8
    assert_same_geometry(out, img)


@pytest.mark.parametrize("classes", [2, 3, 4])
def test_multi_otsu_vs_sitk(tmp_path, classes):
    path = real(BRAIN)
    img = sitk.ReadImage(str(path))
    out, stdout = seg(tmp_path, "multi-otsu", "--classes", classes, "--bins", 64, "--json", path)
    ts = json.loads(stdout)["thresholds"]
    f = sitk.OtsuMultipleThresholdsImageFilter()
    f.SetNumberOfThresholds(classes - 1)
    f.SetNumberOfHistogramBins(64)
    ref = f.Execute(img)
    np.testing.assert_allclose(ts, f.GetThresholds(), rtol=1e-9)
    np.testing.assert_array_equal(arr(out), arr(ref))


def test_otsu_with_mask_vs_sitk(tmp_path):
    path = real(CT)
    img = sitk.ReadImage(str(path))
    body = sitk.Cast(img > -500, sitk.sitkUInt8)
    mp = tmp_path / "mask.nii.gz"
    sitk.WriteImage(body, str(mp))
    out, stdout = seg(tmp_path, "otsu", "--mask", mp, "--json", path)
    f = sitk.OtsuThresholdImageFilter()
    f.SetInsideValue(0)
    f.SetOutsideValue(1)
    f.SetNumberOfHistogramBins(256)
    f.SetMaskValue(1)
    ref = f.Execute(img, body)
    assert json.loads(stdout)["threshold"] == pytest.approx(f.GetThreshold(), rel=1e-9)
    np.testing.assert_array_equal(arr(out), arr(ref))


def test_otsu_and_mean_vs_skimage(tmp_path, ct_float):
    path, img = ct_float
    a = arr(img)
    bins = 256
    out, stdout = seg(tmp_path, "otsu", "--bins", bins, "--json", path)
    t = json.loads(stdout)["threshold"]
    ts = filters.threshold_otsu(a, nbins=bins)
    width = (a.max() - a.min()) / bins
    assert abs(t - ts) <= width, (t, ts, width)
    assert np.mean(arr(out) == (a > ts)) >= 0.999
    out, stdout = seg(tmp_path, "mean", "--json", path)
    tm = json.loads(stdout)["threshold"]
    assert tm == pytest.approx(float(np.mean(a, dtype=np.float64)), rel=1e-9)
    np.testing.assert_array_equal(arr(out), (a > tm).astype(np.uint8))


def label_inputs():
    return [SEG, PROSTATE_LABEL, FROG]


@pytest.mark.parametrize("source", label_inputs())
@pytest.mark.parametrize("conn", [6, 18, 26])
def test_components_vs_cc3d_scipy_sitk(tmp_path, source, conn):
    img = sitk.ReadImage(str(real(source)))
    mask = (arr(img) != 0).astype(np.uint8)
    p, mimg = write(tmp_path, mask, "mask.nii.gz", like=img)
    out, stdout = seg(tmp_path, "components", "--connectivity", conn, "--json", p)
    got = arr(out)
    assert out.GetPixelID() == sitk.sitkUInt32
    ref = cc3d.connected_components(mask, connectivity=conn)
    np.testing.assert_array_equal(got, ref)
    structure = ndimage.generate_binary_structure(3, {6: 1, 18: 2, 26: 3}[conn])
    lab, n = ndimage.label(mask, structure=structure)
    np.testing.assert_array_equal(got, lab)
    assert json.loads(stdout)["components"] == n
    if conn != 18:
        f = sitk.ConnectedComponentImageFilter()
        f.SetFullyConnected(conn == 26)
        cc = f.Execute(mimg)
        same_partition(got, arr(cc))
        # Size order and minimum size: RelabelComponent.
        out, _ = seg(tmp_path, "components", "--connectivity", conn, "--order", "size", p, name="size.nii.gz")
        np.testing.assert_array_equal(arr(out), arr(sitk.RelabelComponent(cc, sortByObjectSize=True)))
        out, _ = seg(tmp_path, "components", "--connectivity", conn, "--order", "size", "--min-size", 20, p, name="min.nii.gz")
        np.testing.assert_array_equal(arr(out), arr(sitk.RelabelComponent(cc, minimumObjectSize=20, sortByObjectSize=True)))
    assert_same_geometry(out, img)


def test_components_same_for_any_thread_count(tmp_path):
    rng = np.random.default_rng(3)
    m = (rng.random((37, 45, 29)) < 0.4).astype(np.uint8)
    p, _ = write(tmp_path, m, "m.nii.gz", spacing=(0.7, 0.7, 2.5))
    outs = []
    for t in (1, 2, 3):
        o = tmp_path / f"o{t}.nii.gz"
        medvox("--quiet", "--threads", t, "segment", "components", "--connectivity", 26, p, o)
        outs.append(arr(sitk.ReadImage(str(o))))
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])
    np.testing.assert_array_equal(outs[0], cc3d.connected_components(m, connectivity=26))


def test_keep_largest_and_2d(tmp_path):
    rng = np.random.default_rng(9)
    m = (rng.random((1, 60, 70)) < 0.45).astype(np.uint8)
    p, _ = write(tmp_path, m, "m2d.nii.gz")
    for conn, c2 in ((6, 4), (26, 8)):
        out, _ = seg(tmp_path, "components", "--connectivity", conn, p)
        np.testing.assert_array_equal(arr(out)[0], cc3d.connected_components(m[0], connectivity=c2))
    out, _ = seg(tmp_path, "components", "--connectivity", 26, "--keep-largest", p)
    f = sitk.ConnectedComponentImageFilter()
    f.SetFullyConnected(True)
    ref = arr(sitk.RelabelComponent(f.Execute(sitk.GetImageFromArray(m)), sortByObjectSize=True))
    np.testing.assert_array_equal(arr(out), (ref == 1).astype(np.uint32))


def ct_seed(img):
    a = arr(img)
    size = img.GetSize()
    return (size[0] // 2, size[1] // 2, size[2] // 2), a


@pytest.mark.parametrize("conn", [6, 26])
def test_region_grow_vs_sitk_and_skimage(tmp_path, conn, ct_float):
    path, img = ct_float
    seed, a = ct_seed(img)
    lo, hi = float(a[seed[::-1]]) - 150, float(a[seed[::-1]]) + 150
    out, _ = seg(tmp_path, "region-grow", "--seed", ",".join(map(str, seed)), "--lower", lo, "--upper", hi, "--connectivity", conn, path)
    f = sitk.ConnectedThresholdImageFilter()
    f.SetSeedList([seed])
    f.SetLower(lo)
    f.SetUpper(hi)
    f.SetConnectivity(f.FaceConnectivity if conn == 6 else f.FullConnectivity)
    ref = arr(f.Execute(img))
    np.testing.assert_array_equal(arr(out), ref)
    fl = segmentation.flood((a >= lo) & (a <= hi), seed[::-1], connectivity=1 if conn == 6 else 3)
    np.testing.assert_array_equal(arr(out).astype(bool), fl)
    assert_same_geometry(out, img)
    # The same seed given in mm (non-identity direction, anisotropic spacing).
    mm = img.TransformIndexToPhysicalPoint(seed)
    out2, _ = seg(tmp_path, "region-grow", "--seed-mm", ",".join(map(str, mm)), "--lower", lo, "--upper", hi, "--connectivity", conn, path, name="mm.nii.gz")
    np.testing.assert_array_equal(arr(out2), ref)


def test_confidence_and_neighborhood_connected_vs_sitk(tmp_path):
    path = real(BRAIN)
    img = sitk.ReadImage(str(path))
    lab = arr(sitk.ReadImage(str(real("nrrd/pyradiomics/brain1_label.nrrd"))))
    z, y, x = [int(np.median(c)) for c in np.nonzero(lab)]
    seeds = [(x, y, z), (x + 1, y, z)]
    sargs = []
    for s in seeds:
        sargs += ["--seed", ",".join(map(str, s))]
    for mult, it, rad in ((2.5, 4, 1), (1.5, 2, 2), (3.0, 0, 0)):
        out, stdout = seg(tmp_path, "confidence-connected", *sargs, "--multiplier", mult, "--iterations", it, "--radius", rad, "--json", path)
        ref = sitk.ConfidenceConnected(img, seedList=seeds, numberOfIterations=it, multiplier=mult, initialNeighborhoodRadius=rad, replaceValue=1)
        np.testing.assert_array_equal(arr(out), arr(ref))
    a = arr(img).astype(np.float64)
    v = a[z, y, x]
    lo, hi = v - 0.3 * abs(v) - 20, v + 0.3 * abs(v) + 20
    for rad in (1, 2):
        out, _ = seg(tmp_path, "neighborhood-connected", *sargs, "--lower", lo, "--upper", hi, "--radius", rad, path)
        ref = sitk.NeighborhoodConnected(img, seedList=seeds, lower=lo, upper=hi, radius=[rad] * 3, replaceValue=1)
        np.testing.assert_array_equal(arr(out), arr(ref))


@pytest.fixture(scope="module")
def ws_inputs(tmp_path_factory):
    """Gradient of the real CT and markers from its low-gradient regions (like the benchmark)."""
    d = tmp_path_factory.mktemp("ws")
    ct = sitk.Cast(sitk.ReadImage(str(real(CT))), sitk.sitkFloat32)
    grad = sitk.GradientMagnitudeRecursiveGaussian(ct, sigma=1.5)
    g = arr(grad)
    low = g < np.percentile(g, 15)
    lab, n = ndimage.label(low)
    sizes = np.bincount(lab.ravel())
    keep = np.nonzero(sizes >= 30)[0]
    keep = keep[keep != 0]
    markers = np.zeros_like(lab, dtype=np.uint32)
    for k, l in enumerate(keep, 1):
        markers[lab == l] = k
    gp = d / "grad.nii.gz"
    sitk.WriteImage(grad, str(gp))
    mimg = sitk.GetImageFromArray(markers)
    mimg.CopyInformation(grad)
    mp = d / "markers.nii.gz"
    sitk.WriteImage(mimg, str(mp))
    return gp, mp, grad, mimg


@pytest.mark.parametrize("lines", [False, True])
@pytest.mark.parametrize("conn", [6, 26])
def test_watershed_from_markers_vs_sitk(tmp_path, ws_inputs, lines, conn):
    gp, mp, grad, mimg = ws_inputs
    extra = ["--lines"] if lines else []
    out, _ = seg(tmp_path, "watershed", "--markers", mp, "--connectivity", conn, *extra, gp)
    ref = sitk.MorphologicalWatershedFromMarkers(grad, mimg, markWatershedLine=lines, fullyConnected=conn == 26)
    np.testing.assert_array_equal(arr(out), arr(ref))
    assert out.GetPixelID() == sitk.sitkUInt32
    if not lines:
        sk = segmentation.watershed(arr(grad), arr(mimg).astype(np.int32), connectivity=1 if conn == 6 else 3)
        assert np.mean(arr(out) == sk) >= 0.999


@pytest.mark.parametrize("level,conn", [(0.0, 6), (5.0, 6), (20.0, 26)])
def test_watershed_level_vs_sitk(tmp_path, ws_inputs, level, conn):
    gp, _, grad, _ = ws_inputs
    out, _ = seg(tmp_path, "watershed", "--level", level, "--connectivity", conn, gp)
    ref = sitk.MorphologicalWatershed(grad, level=level, markWatershedLine=False, fullyConnected=conn == 26)
    same_partition(arr(out), arr(ref))


@pytest.mark.parametrize("source", [PROSTATE_LABEL, FROG])
def test_fill_holes_vs_sitk(tmp_path, source):
    img = sitk.ReadImage(str(real(source)))
    a = arr(img).astype(np.uint32)
    # Punch holes into every label so there is something to fill.
    holes = a.copy()
    for l in np.unique(a)[1:]:
        z, y, x = [int(np.median(c)) for c in np.nonzero(a == l)]
        if a[z, y, x] == l:
            holes[z, y, x] = 0
    p, himg = write(tmp_path, holes, "holes.nii.gz", like=img)
    out, _ = seg(tmp_path, "fill-holes", p)
    want = holes.copy()
    for l in np.unique(holes)[1:]:
        f = arr(sitk.BinaryFillhole(sitk.Cast(himg == int(l), sitk.sitkUInt8), fullyConnected=False, foregroundValue=1))
        want[(f == 1) & (holes == 0)] = l
    np.testing.assert_array_equal(arr(out), want)


def test_relabel_and_keep_largest_per_label(tmp_path):
    img = sitk.ReadImage(str(real(SEG)))
    a = arr(img).astype(np.uint32)
    p, _ = write(tmp_path, a, "seg.nii.gz", like=img)
    out, _ = seg(tmp_path, "relabel", "--order", "size", p)
    np.testing.assert_array_equal(arr(out), arr(sitk.RelabelComponent(sitk.Cast(img, sitk.sitkUInt32), sortByObjectSize=True)))
    out, _ = seg(tmp_path, "keep-largest", p, name="kl.nii.gz")
    want = np.zeros_like(a)
    for l in np.unique(a)[1:]:
        cc = cc3d.connected_components((a == l).astype(np.uint8), connectivity=6)
        sizes = np.bincount(cc.ravel())
        sizes[0] = 0
        want[cc == np.argmax(sizes)] = l
    np.testing.assert_array_equal(arr(out), want)


@pytest.mark.parametrize(
    "args,msg",
    [
        (["otsu", "--bins", "1"], "bins"),
        (["components", "--connectivity", "7"], "connectivity"),
        (["region-grow", "--seed", "9999,0,0", "--lower", "0", "--upper", "1"], "outside"),
        (["region-grow", "--seed", "0,0,0", "--lower", "5", "--upper", "1"], "lower"),
        (["multi-otsu", "--classes", "1"], "classes"),
        (["watershed", "--level", "-1"], "level"),
    ],
)
def test_bad_parameters_are_clear_errors(tmp_path, args, msg):
    p = real(CT)
    r = medvox("segment", *args, p, tmp_path / "o.nii.gz", check=False)
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith("medvox: error:") and msg in r.stderr, r.stderr
    assert not (tmp_path / "o.nii.gz").exists()
