"""Bilateral, anisotropic diffusion, fill holes and top-hats (`medvox filter …`)
against SimpleITK and scipy.ndimage on the same files.

Inputs: a CT-like float32 phantom built here (anisotropic spacing, a non-identity
direction), the real CT `nifti/totalsegmentator_ct/example_ct_sm.nii.gz` (int16,
3 mm, flipped axes) and its label map `example_seg.nii.gz`.

Tolerances (relative to the largest |value| of the reference):
* bilateral: 1e-5 (same f64 sums in the same order, ITK's range lookup table
  reproduced; float rounding of the f32 output only);
* gradient/curvature diffusion: 1e-5 (ITK's arithmetic followed step by step; the
  mean gradient is summed in another order, and exp() may differ by an ulp);
* fill holes and top-hats: exact.
"""
import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from conftest import assert_same_geometry, medvox, real

SPACING = (0.9, 1.2, 2.0)
DIRECTION = (0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0)


def phantom(shape_zyx=(14, 30, 34), seed=5):
    rng = np.random.default_rng(seed)
    z, y, x = np.indices(shape_zyx).astype(np.float64)
    nz, ny, nx = shape_zyx
    a = np.full(shape_zyx, -1000.0)
    body = ((z - nz / 2) / (0.45 * nz)) ** 2 + ((y - ny / 2) / (0.4 * ny)) ** 2 + ((x - nx / 2) / (0.4 * nx)) ** 2
    a[body <= 1] = 40
    for cz, cy, cx, r, v in [(0.5, 0.5, 0.4, 3.5, 700), (0.45, 0.6, 0.62, 2.2, 300), (0.55, 0.35, 0.55, 1.5, -200)]:
        d = (z - cz * nz) ** 2 + (y - cy * ny) ** 2 + (x - cx * nx) ** 2
        a[d <= r * r] = v
    a += rng.standard_normal(shape_zyx) * 25
    return a.astype(np.float32)


def write(tmp_path, arr, name, spacing=SPACING, direction=DIRECTION):
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(spacing)
    img.SetDirection(direction)
    img.SetOrigin((10.0, -4.5, 3.25))
    p = tmp_path / name
    sitk.WriteImage(img, str(p))
    return p, sitk.ReadImage(str(p))


def run(tmp_path, src, *args, name="out.nii.gz"):
    out = tmp_path / name
    r = medvox("--quiet", "filter", *args, src, out)
    img = sitk.ReadImage(str(out))
    return img, sitk.GetArrayFromImage(img), r


def close(got, want, tol):
    scale = max(1.0, float(np.abs(want).max()))
    err = float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max())
    assert err <= tol * scale, f"max |diff| {err} > {tol} × {scale}"


@pytest.fixture
def f32(tmp_path):
    return write(tmp_path, phantom(), "f32.nii.gz")


@pytest.fixture
def ct(tmp_path):
    img = sitk.ReadImage(str(real("nifti/totalsegmentator_ct/example_ct_sm.nii.gz")))
    return real("nifti/totalsegmentator_ct/example_ct_sm.nii.gz"), img


# ------------------------------------------------------------------ bilateral

@pytest.mark.parametrize("ds,rs", [(1.5, 60.0), (3.0, 200.0), (2.0, 10.0)])
def test_bilateral_matches_sitk(tmp_path, f32, ds, rs):
    p, img = f32
    out, got, _ = run(tmp_path, p, "bilateral", "--domain-sigma", ds, "--range-sigma", rs)
    assert got.dtype == np.float32
    want = sitk.GetArrayFromImage(sitk.Bilateral(img, ds, rs, 100))
    assert_same_geometry(out, img)
    close(got, want, 1e-5)


def test_bilateral_real_ct_matches_sitk(tmp_path, ct):
    p, img = ct
    _, got, _ = run(tmp_path, p, "bilateral", "--domain-sigma", "4", "--range-sigma", "50")
    want = sitk.GetArrayFromImage(sitk.Bilateral(sitk.Cast(img, sitk.sitkFloat32), 4.0, 50.0, 100))
    close(got, want, 1e-5)


# ------------------------------------------------------------------ diffusion

@pytest.mark.parametrize("op", ["gradient-diffusion", "curvature-diffusion"])
@pytest.mark.parametrize("args", [(), ("--time-step", "0.03", "--conductance", "1.5", "--iterations", "8")])
def test_diffusion_matches_sitk(tmp_path, f32, op, args):
    p, img = f32
    out, got, _ = run(tmp_path, p, op, *args)
    assert got.dtype == np.float32
    kw = dict(zip(args[::2], args[1::2]))
    grad = op == "gradient-diffusion"
    dt = float(kw.get("--time-step", 0.125 if grad else 0.0625))
    k = float(kw.get("--conductance", 3.0))
    n = int(kw.get("--iterations", 5))
    f = sitk.GradientAnisotropicDiffusion if grad else sitk.CurvatureAnisotropicDiffusion
    want = sitk.GetArrayFromImage(f(img, dt, k, 1, n))
    assert_same_geometry(out, img)
    close(got, want, 1e-5)
    assert np.abs(got - sitk.GetArrayFromImage(img)).max() > 1.0, "the filter did something"


@pytest.mark.parametrize("op", ["gradient-diffusion", "curvature-diffusion"])
def test_diffusion_real_ct_matches_sitk(tmp_path, ct, op):
    p, img = ct
    _, got, _ = run(tmp_path, p, op, "--time-step", "0.1", "--iterations", "4")
    f = sitk.GradientAnisotropicDiffusion if op == "gradient-diffusion" else sitk.CurvatureAnisotropicDiffusion
    want = sitk.GetArrayFromImage(f(sitk.Cast(img, sitk.sitkFloat32), 0.1, 3.0, 1, 4))
    close(got, want, 1e-5)


def test_diffusion_unstable_time_step_warns(tmp_path, f32):
    p, _ = f32
    out = tmp_path / "o.nii.gz"
    r = medvox("filter", "gradient-diffusion", p, out)  # 0.125 > 0.9 mm / 16
    assert "medvox: warning:" in r.stderr and "unstable" in r.stderr
    r = medvox("filter", "curvature-diffusion", "--time-step", "0.05", p, out)
    assert "warning" not in r.stderr


# ------------------------------------------------------------------ fill holes

def label_mask(tmp_path):
    seg = sitk.ReadImage(str(real("nifti/totalsegmentator_ct/example_seg.nii.gz")))
    arr = sitk.GetArrayFromImage(seg)
    # Organs as one mask, with some labels punched out as holes.
    mask = (arr > 0).astype(np.uint8)
    mask[(arr % 5) == 1] = 0
    img = sitk.GetImageFromArray(mask)
    img.CopyInformation(seg)
    p = tmp_path / "mask.nii.gz"
    sitk.WriteImage(img, str(p))
    return p, img, mask


def test_binary_fill_real_mask_matches_sitk_and_scipy(tmp_path):
    p, img, mask = label_mask(tmp_path)
    _, got, _ = run(tmp_path, p, "fill-holes")
    assert got.dtype == np.uint8
    want = sitk.GetArrayFromImage(sitk.BinaryFillhole(img, fullyConnected=False, foregroundValue=1))
    assert np.array_equal(got, want)
    assert np.array_equal(got, ndimage.binary_fill_holes(mask).astype(np.uint8))
    assert (got != mask).sum() > 0, "the mask has holes"


def test_binary_fill_other_foreground_and_values(tmp_path):
    rng = np.random.default_rng(3)
    a = (rng.random((12, 20, 22)) < 0.45).astype(np.int16) * 7
    a[rng.random(a.shape) < 0.05] = 3  # other values: background for fg 7
    p, img = write(tmp_path, a, "i16.nii.gz")
    _, got, _ = run(tmp_path, p, "fill-holes", "--foreground", "7")
    want = sitk.GetArrayFromImage(sitk.BinaryFillhole(img, fullyConnected=False, foregroundValue=7))
    assert got.dtype == np.int16
    assert np.array_equal(got, want)
    assert (got != a).sum() > 0


def test_grey_fill_matches_sitk(tmp_path, f32, ct):
    p, img = f32
    _, got, _ = run(tmp_path, p, "fill-holes", "--grey")
    want = sitk.GetArrayFromImage(sitk.GrayscaleFillhole(img, fullyConnected=False))
    assert np.array_equal(got, want)
    p, img = ct
    _, got, _ = run(tmp_path, p, "fill-holes", "--grey", name="ct.nii.gz")
    want = sitk.GetArrayFromImage(sitk.GrayscaleFillhole(img, fullyConnected=False))
    assert got.dtype == np.int16
    assert np.array_equal(got, want)
    assert (got != sitk.GetArrayFromImage(img)).sum() > 0


# ------------------------------------------------------------------ top-hats

def ball(r):
    rx, ry, rz = r
    dz, dy, dx = np.mgrid[-rz:rz + 1, -ry:ry + 1, -rx:rx + 1]
    return (dx / (rx + 0.5)) ** 2 + (dy / (ry + 0.5)) ** 2 + (dz / (rz + 0.5)) ** 2 <= 1


@pytest.mark.parametrize("white", [True, False])
@pytest.mark.parametrize("kernel,r", [("ball", (2, 2, 2)), ("box", (2, 1, 1)), ("ball", (3, 1, 0))])
def test_tophat_matches_sitk_safe_border(tmp_path, f32, white, kernel, r):
    p, img = f32
    op = "white-tophat" if white else "black-tophat"
    _, got, _ = run(tmp_path, p, op, "--radius", ",".join(map(str, r)), "--kernel", kernel)
    kt = sitk.sitkBall if kernel == "ball" else sitk.sitkBox
    f = sitk.WhiteTopHat if white else sitk.BlackTopHat
    want = sitk.GetArrayFromImage(f(img, list(r), kt, True))
    assert got.dtype == np.float32
    assert np.array_equal(got, want)


@pytest.mark.parametrize("white", [True, False])
def test_tophat_no_safe_border_matches_scipy_and_sitk(tmp_path, f32, white):
    p, img = f32
    arr = sitk.GetArrayFromImage(img)
    op = "white-tophat" if white else "black-tophat"
    _, got, _ = run(tmp_path, p, op, "--radius", "2", "--no-safe-border")
    f = sitk.WhiteTopHat if white else sitk.BlackTopHat
    want = sitk.GetArrayFromImage(f(img, [2, 2, 2], sitk.sitkBall, False))
    sp = ndimage.white_tophat if white else ndimage.black_tophat
    assert np.array_equal(got, want)
    assert np.array_equal(got, sp(arr, footprint=ball((2, 2, 2)), mode="nearest"))


def test_tophat_real_ct_int16(tmp_path, ct):
    p, img = ct
    for white, f in [(True, sitk.WhiteTopHat), (False, sitk.BlackTopHat)]:
        op = "white-tophat" if white else "black-tophat"
        _, got, _ = run(tmp_path, p, op, "--radius", "2", name=f"{op}.nii.gz")
        assert got.dtype == np.int16
        assert np.array_equal(got, sitk.GetArrayFromImage(f(img, [2, 2, 2], sitk.sitkBall, True)))


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("args", [
    ("bilateral", "--range-sigma", "nan"),
    ("bilateral", "--domain-sigma", "-1"),
    ("gradient-diffusion", "--time-step", "-0.1"),
    ("curvature-diffusion", "--conductance", "nan"),
    ("fill-holes", "--foreground", "nan"),
    ("white-tophat", "--radius", "100000"),
])
def test_bad_parameters_fail_cleanly(tmp_path, f32, args):
    p, _ = f32
    out = tmp_path / "bad.nii.gz"
    r = medvox("filter", *args, p, out, check=False)
    assert r.returncode == 1
    assert r.stderr.startswith("medvox: error:"), r.stderr
    assert "panicked" not in r.stderr
    assert not out.exists()
