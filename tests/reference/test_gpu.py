"""`--device gpu` (wgpu; Mesa's lavapipe software Vulkan in CI) against independent
references and against the CPU run of medvox on the same input.

Tolerances:
* components: the same partition as cc3d; labels identical to `--device cpu`.
* gaussian: float rounding only — |Δ| <= 1e-5 × max|reference| vs scipy
  `gaussian_filter(mode='nearest', truncate=4)`.
* erode (ball r=2, grey): identical to SimpleITK `GrayscaleErode(kernelType=Ball)`.
* otsu: threshold and mask identical to `--device cpu`; threshold within one bin
  width of scikit-image `threshold_otsu` (different bin convention).
* resample: nearest identical to `--device cpu`, also in several z-slabs
  (MEDVOX_GPU_MAX_BINDING); linear within 1e-5 of the value range.
* equalize (integer input): identical to `--device cpu`, one and several z-slabs;
  within f32 rounding (2^-24 relative) of scikit-image `equalize_hist`. Float input,
  or an int32 range wider than the GPU histogram: `--device gpu` errors, `auto`
  runs on the CPU (result identical to `--device cpu`, vs skimage as above).
"""
import json

import cc3d
import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage
from skimage import filters
from skimage.exposure import equalize_hist

from conftest import medvox

SPACING = (0.8, 0.9, 1.7)


def phantom(shape_zyx=(20, 36, 44), seed=5):
    rng = np.random.default_rng(seed)
    z, y, x = np.indices(shape_zyx).astype(np.float64)
    nz, ny, nx = shape_zyx
    a = np.full(shape_zyx, -1000.0)
    body = ((z - nz / 2) / (0.4 * nz)) ** 2 + ((y - ny / 2) / (0.4 * ny)) ** 2 + ((x - nx / 2) / (0.42 * nx)) ** 2
    a[body <= 1] = 40
    for cz, cy, cx, r, v in [(0.5, 0.5, 0.35, 3.5, 700), (0.45, 0.6, 0.62, 2.2, 900), (0.6, 0.35, 0.55, 1.6, 500)]:
        a[(z - cz * nz) ** 2 + (y - cy * ny) ** 2 + (x - cx * nx) ** 2 <= r * r] = v
    a += rng.standard_normal(shape_zyx) * 20
    return np.rint(a).astype(np.int16)


def write(tmp_path, arr, name="in.nii.gz"):
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(SPACING)
    p = tmp_path / name
    sitk.WriteImage(img, str(p))
    return p


def run(tmp_path, device, kind, *args, name=None):
    out = tmp_path / (name or f"{device}.nii.gz")
    r = medvox("--quiet", "--device", device, kind, *args, out)
    return sitk.GetArrayFromImage(sitk.ReadImage(str(out))), r.stdout


@pytest.fixture(scope="module")
def gpu_available():
    r = medvox("gpu", "info", "--json", check=False)
    assert r.returncode == 0, f"no GPU adapter (install mesa-vulkan-drivers for lavapipe): {r.stderr}"
    return json.loads(r.stdout)


@pytest.fixture
def src(tmp_path):
    return write(tmp_path, phantom())


@pytest.mark.parametrize("conn", ["6", "26"])
def test_components_gpu_vs_cc3d(tmp_path, gpu_available, conn):
    mask = (phantom() > 300).astype(np.uint8)
    mask[::3, ::5, ::4] ^= 1  # many small components
    p = write(tmp_path, mask, "mask.nii.gz")
    got, out = run(tmp_path, "gpu", "segment", "components", "--connectivity", conn, "--json", p)
    ref = cc3d.connected_components(mask, connectivity=int(conn))
    assert json.loads(out)["components"] == ref.max()
    a, b = got.ravel().astype(np.int64), ref.ravel().astype(np.int64)
    assert ((a == 0) == (b == 0)).all()
    pairs = np.unique(np.stack([a, b]), axis=1)
    assert len(np.unique(pairs[0])) == pairs.shape[1] == len(np.unique(pairs[1]))
    cpu, _ = run(tmp_path, "cpu", "segment", "components", "--connectivity", conn, p)
    assert np.array_equal(got, cpu)


def test_gaussian_gpu_vs_scipy(tmp_path, gpu_available, src):
    got, _ = run(tmp_path, "gpu", "filter", "gaussian", "--sigma-voxels", "2", src)
    ref = ndimage.gaussian_filter(phantom().astype(np.float32), 2.0, mode="nearest", truncate=4.0)
    err = np.abs(got.astype(np.float64) - ref).max()
    assert err <= 1e-5 * np.abs(ref).max(), err


def test_erode_ball_gpu_vs_sitk(tmp_path, gpu_available, src):
    got, _ = run(tmp_path, "gpu", "filter", "erode", "--radius", "2", "--kernel", "ball", src)
    img = sitk.ReadImage(str(src))
    ref = sitk.GetArrayFromImage(sitk.GrayscaleErode(img, [2, 2, 2], sitk.sitkBall))
    assert np.array_equal(got, ref)


@pytest.mark.parametrize("bins", [64, 256])
def test_otsu_gpu_vs_cpu_and_skimage(tmp_path, gpu_available, src, bins):
    got, out_g = run(tmp_path, "gpu", "segment", "otsu", "--bins", bins, "--json", src)
    cpu, out_c = run(tmp_path, "cpu", "segment", "otsu", "--bins", bins, "--json", src)
    tg, tc = json.loads(out_g)["threshold"], json.loads(out_c)["threshold"]
    assert tg == tc
    assert np.array_equal(got, cpu)
    a = phantom()
    ref = filters.threshold_otsu(a.astype(np.float64), nbins=bins)
    assert abs(tg - ref) <= (a.max() - a.min()) / bins + 1


@pytest.mark.parametrize("binding", [None, "40000"])
def test_resample_gpu_vs_cpu(tmp_path, gpu_available, src, monkeypatch, binding):
    if binding:
        monkeypatch.setenv("MEDVOX_GPU_MAX_BINDING", binding)  # several z-slabs
    for interp in ["nearest", "linear"]:
        args = ["filter", "resample", "--spacing", "0.4,0.6,0.85", "--interpolation", interp, src]
        got, _ = run(tmp_path, "gpu", *args, name=f"g_{interp}.nii.gz")
        cpu, _ = run(tmp_path, "cpu", *args, name=f"c_{interp}.nii.gz")
        assert got.shape == cpu.shape
        if interp == "nearest":
            assert got.dtype == cpu.dtype and np.array_equal(got, cpu)
        else:
            assert np.abs(got.astype(np.float64) - cpu).max() <= 1e-5 * 2000


@pytest.mark.parametrize("binding", [None, "40000"])
def test_equalize_gpu_vs_cpu_and_skimage(tmp_path, gpu_available, src, monkeypatch, binding):
    if binding:
        monkeypatch.setenv("MEDVOX_GPU_MAX_BINDING", binding)  # several z-slabs
    got, _ = run(tmp_path, "gpu", "filter", "equalize", src)
    cpu, _ = run(tmp_path, "cpu", "filter", "equalize", src)
    assert got.dtype == np.float32 and np.array_equal(got, cpu)
    ref = equalize_hist(phantom())
    assert np.abs(got.astype(np.float64) - ref).max() <= 2.0**-24


def test_equalize_float_on_gpu_is_an_error_auto_falls_back(tmp_path, gpu_available):
    f = write(tmp_path, phantom().astype(np.float32), "f.nii.gz")
    out = tmp_path / "eq.nii.gz"
    r = medvox("--device", "gpu", "filter", "equalize", f, out, check=False)
    assert r.returncode != 0 and "only integer pixel types" in r.stderr
    assert not out.exists()
    r = medvox("--device", "auto", "filter", "equalize", f, out)
    assert "device: cpu" in r.stderr and out.exists()


def test_equalize_wide_int32_range_auto_falls_back_at_run_time(tmp_path, gpu_available):
    a = phantom().astype(np.int32)
    a[0, 0, :3] = [-3_000_000, 2_500_000, 7]  # range > 2^22 distinct values
    f = write(tmp_path, a, "wide.nii.gz")
    out = tmp_path / "eq.nii.gz"
    r = medvox("--device", "gpu", "filter", "equalize", f, out, check=False)
    assert r.returncode != 0 and "exceed the GPU histogram" in r.stderr
    assert not out.exists()
    r = medvox("--device", "auto", "filter", "equalize", f, out)
    assert "device: gpu" in r.stderr and "device: cpu" in r.stderr  # chosen, then turned down
    got = sitk.GetArrayFromImage(sitk.ReadImage(str(out)))
    cpu, _ = run(tmp_path, "cpu", "filter", "equalize", f)
    assert np.array_equal(got, cpu)
    ref = equalize_hist(a, nbins=int(a.max()) - int(a.min()) + 1)
    assert np.abs(got.astype(np.float64) - ref).max() <= 2.0**-24


def test_device_errors_and_auto_fallback(tmp_path, gpu_available, src):
    r = medvox("--device", "gpu", "segment", "li", src, tmp_path / "li.nii.gz", check=False)
    assert r.returncode != 0 and "no GPU kernel" in r.stderr
    assert not (tmp_path / "li.nii.gz").exists()
    r = medvox("--device", "auto", "segment", "li", src, tmp_path / "li.nii.gz")
    assert "device: cpu" in r.stderr
