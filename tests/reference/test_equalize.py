"""Histogram equalisation and CLAHE (`medvox filter equalize|clahe`) against scikit-image 0.26.

References: `skimage.exposure.equalize_hist(image, nbins, mask)` and
`skimage.exposure.equalize_adapthist(image, kernel_size, clip_limit, nbins)` on the
same arrays (real CT, real 2D MetaImage slices, random data with NaN-free floats).

Tolerances (stated per test):
* medvox reproduces skimage's arithmetic step by step (numpy's bin edges and bin
  assignment in the input's float type, np.interp in f64; CLAHE's integer grey
  levels, clip/redistribute, f32 interpolation sums), so f32/f64 inputs agree to
  EXACT_F (1 f32 ulp at 1.0 allowed, none expected);
* for integer inputs skimage returns float64 and medvox f32: |Δ| <= 6e-8 (one f32
  rounding of a value in [0, 1]).
CLAHE on data skimage cannot take as is (negative values, floats above 1) is
compared with skimage on x01 = (x − min)/(max − min) computed as the peers do.
"""
import numpy as np
import pytest
import SimpleITK as sitk
from skimage.exposure import equalize_adapthist, equalize_hist

from conftest import assert_same_geometry, medvox, real

EXACT_F = 6e-8  # one f32 ulp at 1.0
F32_ROUND = 6e-8  # f64 reference rounded once to f32

CT = "nifti/totalsegmentator_ct/example_ct_sm.nii.gz"
SLICE_2D = "metaimage/itk_examples/BrainProtonDensitySliceBorder20.mhd"
SLICE_2D_ROT = "metaimage/itk_examples/BrainT1SliceBorder20DirectionPlus30.mhd"
THREE_SLICES = "metaimage/itk_examples/BrainProtonDensity3Slices.mha"


def arr(path):
    return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))


def write(tmp_path, a, name, like=None, spacing=None):
    img = sitk.GetImageFromArray(a)
    if like is not None:
        img.CopyInformation(like)
    if spacing is not None:
        img.SetSpacing(spacing)
    p = tmp_path / name
    sitk.WriteImage(img, str(p))
    return p


def run(tmp_path, op, src, *args, name="out.nii.gz"):
    out = tmp_path / name
    medvox("--quiet", "filter", op, *args, src, out)
    img = sitk.ReadImage(str(out))
    return img, sitk.GetArrayFromImage(img)


def maxdiff(got, want):
    assert got.shape == want.shape, (got.shape, want.shape)
    return float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max())


def x01(a):
    """The peers' scaling: (f32 − min)/(max − min) in f32 (numpy weak-scalar rules)."""
    a = a.astype(np.float32)
    lo, hi = float(a.min()), float(a.max())
    return ((a - lo) / (hi - lo)).astype(np.float32)


# ------------------------------------------------------------------ equalize


def test_equalize_int16_ct_each_value_its_bin(tmp_path):
    src = real(CT)
    a = arr(src)
    assert a.dtype == np.int16 and a.min() < 0
    img, got = run(tmp_path, "equalize", src)
    assert img.GetPixelID() == sitk.sitkFloat32
    assert_same_geometry(img, sitk.ReadImage(str(src)))
    want = equalize_hist(a, nbins=256)  # nbins ignored for integers (skimage)
    assert maxdiff(got, want) <= F32_ROUND


@pytest.mark.parametrize("bins", [256, 100, 7])
def test_equalize_float32_hu(tmp_path, bins):
    a = arr(real(CT)).astype(np.float32) + np.float32(0.25)
    src = write(tmp_path, a, "f.nii.gz", spacing=(0.7, 0.9, 2.5))
    img, got = run(tmp_path, "equalize", src, "--bins", bins)
    assert img.GetPixelID() == sitk.sitkFloat32
    want = equalize_hist(a, nbins=bins)
    assert want.dtype == np.float32
    assert maxdiff(got, want) <= EXACT_F


def test_equalize_float64_random(tmp_path):
    rng = np.random.default_rng(3)
    a = rng.gamma(2.0, 50.0, size=(9, 31, 40)) - 80.0
    src = write(tmp_path, a, "d.nrrd")
    img, got = run(tmp_path, "equalize", src, "--bins", "64", name="o.nrrd")
    assert img.GetPixelID() == sitk.sitkFloat64
    assert maxdiff(got, equalize_hist(a, nbins=64)) <= 1e-15


def test_equalize_mask(tmp_path):
    src = real(CT)
    a = arr(src)
    seg = np.zeros(a.shape, np.uint8)
    seg[5:25, 20:80, 30:100] = 1
    m = write(tmp_path, seg, "mask.nii.gz", like=sitk.ReadImage(str(src)))
    _, got = run(tmp_path, "equalize", src, "--mask", m)
    want = equalize_hist(a, nbins=256, mask=seg.astype(bool))
    assert maxdiff(got, want) <= F32_ROUND
    f = a.astype(np.float32)
    fs = write(tmp_path, f, "f.nii.gz")
    _, got = run(tmp_path, "equalize", fs, "--mask", m, name="o2.nii.gz")
    assert maxdiff(got, equalize_hist(f, nbins=256, mask=seg.astype(bool))) <= EXACT_F


def test_equalize_2d_uint8_rotated(tmp_path):
    src = real(SLICE_2D_ROT)
    a = arr(src)
    img, got = run(tmp_path, "equalize", src, name="o.mha")
    assert_same_geometry(img, sitk.ReadImage(str(src)))
    assert maxdiff(got, equalize_hist(a)) <= F32_ROUND


# ------------------------------------------------------------------ clahe


@pytest.mark.parametrize("rel", [SLICE_2D, SLICE_2D_ROT, "metaimage/itk_examples/RatLungSlice1.mha"])
def test_clahe_2d_uint8_default(tmp_path, rel):
    src = real(rel)
    a = arr(src)
    img, got = run(tmp_path, "clahe", src, name="o.mha")
    assert_same_geometry(img, sitk.ReadImage(str(src)))
    assert img.GetPixelID() == sitk.sitkFloat32
    assert maxdiff(got, equalize_adapthist(a)) <= F32_ROUND


@pytest.mark.parametrize(
    "args,kw",
    [
        (["--kernel-size", "16", "--clip-limit", "0.03", "--bins", "128"], dict(kernel_size=16, clip_limit=0.03, nbins=128)),
        (["--kernel-size", "40,25,1", "--clip-limit", "0"], dict(kernel_size=(25, 40), clip_limit=0.0)),
        (["--kernel-size", "7", "--bins", "1000", "--clip-limit", "0.5"], dict(kernel_size=7, nbins=1000, clip_limit=0.5)),
    ],
)
def test_clahe_2d_options(tmp_path, args, kw):
    src = real(SLICE_2D)
    a = arr(src)
    _, got = run(tmp_path, "clahe", src, *args, name="o.mha")
    assert maxdiff(got, equalize_adapthist(a, **kw)) <= F32_ROUND


def test_clahe_3d_uint8(tmp_path):
    src = real(THREE_SLICES)
    a = arr(src)
    _, got = run(tmp_path, "clahe", src, "--kernel-size", "30,20,2", name="o.mha")
    assert maxdiff(got, equalize_adapthist(a, kernel_size=(2, 20, 30))) <= F32_ROUND


def test_clahe_3d_ct_int16_negative_uses_x01(tmp_path):
    src = real(CT)
    a = arr(src)
    img, got = run(tmp_path, "clahe", src)
    assert_same_geometry(img, sitk.ReadImage(str(src)))
    lo, hi = float(a.min()), float(a.max())
    ref = equalize_adapthist((a.astype(np.float64) - lo) / (hi - lo))
    assert maxdiff(got, ref) <= F32_ROUND
    # Non-negative int16 is skimage's own integer path.
    b = (a.astype(np.int32) + 1100).astype(np.int16)
    bs = write(tmp_path, b, "b.nii.gz")
    _, got = run(tmp_path, "clahe", bs, "--kernel-size", "10,12,4", name="b_out.nii.gz")
    assert maxdiff(got, equalize_adapthist(b, kernel_size=(4, 12, 10))) <= F32_ROUND


def test_clahe_peers_definition_3d_and_slice(tmp_path):
    """Peers' `clahe`: x01 of the f32 volume, kernel 64, clip 0.01, 256 bins."""
    a = arr(real(CT)).astype(np.float32)
    x = x01(a)
    raw = write(tmp_path, a, "hu.nii.gz", spacing=(0.8, 0.8, 2.5))
    img, got = run(tmp_path, "clahe", raw, "--kernel-size", "64")
    assert img.GetPixelID() == sitk.sitkFloat32
    want = equalize_adapthist(x, kernel_size=64, clip_limit=0.01, nbins=256)
    assert want.dtype == np.float32
    assert maxdiff(got, want) <= EXACT_F
    sl = x[15]
    src = write(tmp_path, sl[None], "slice.nii.gz")
    _, got = run(tmp_path, "clahe", src, "--kernel-size", "64", name="s_out.nii.gz")
    want = equalize_adapthist(sl, kernel_size=64, clip_limit=0.01, nbins=256)
    assert maxdiff(got[0], want) <= EXACT_F


def test_clahe_2d_per_slice(tmp_path):
    src = real(CT)
    a = arr(src)
    f = x01(a)
    fs = write(tmp_path, f, "x.nii.gz")
    _, got = run(tmp_path, "clahe", fs, "--2d", "--kernel-size", "24")
    want = np.stack([equalize_adapthist(s, kernel_size=24) for s in f])
    assert maxdiff(got, want) <= EXACT_F


def test_clahe_float64_in_unit_range(tmp_path):
    rng = np.random.default_rng(5)
    a = rng.beta(2.0, 5.0, size=(6, 37, 29))
    src = write(tmp_path, a, "d.nrrd")
    img, got = run(tmp_path, "clahe", src, "--kernel-size", "5,9,3", name="o.nrrd")
    assert img.GetPixelID() == sitk.sitkFloat64
    assert maxdiff(got, equalize_adapthist(a, kernel_size=(3, 9, 5))) <= 1e-15


def test_clahe_constant_image(tmp_path):
    a = np.zeros((1, 20, 30), np.float32)
    src = write(tmp_path, a, "c.nii.gz")
    _, got = run(tmp_path, "clahe", src)
    assert maxdiff(got[0], equalize_adapthist(a[0])) == 0.0


@pytest.mark.parametrize(
    "op,args,needle",
    [
        ("equalize", ["--bins", "0"], "bins"),
        ("clahe", ["--bins", "0"], "bins"),
        ("clahe", ["--clip-limit", "NaN"], "clip-limit"),
        ("clahe", ["--clip-limit", "-1"], "clip-limit"),
        ("clahe", ["--kernel-size", "0"], "kernel-size"),
        ("clahe", ["--kernel-size", "100000"], "kernel-size"),
    ],
)
def test_bad_parameters(tmp_path, op, args, needle):
    src = real(SLICE_2D)
    out = tmp_path / "bad.mha"
    r = medvox("--quiet", "filter", op, *args, src, out, check=False)
    assert r.returncode == 1, r.stderr
    assert "medvox: error:" in r.stderr and needle in r.stderr, r.stderr
    assert not out.exists()
