"""Shared helpers for the reference cross-checks (pytest).

These tests run the `medvox` binary and compare what it reads and writes with
independent implementations (SimpleITK, nibabel, pynrrd) on the same files.

Environment:
  MEDVOX_BIN   path of the medvox binary (default: target/release/medvox, then target/debug/medvox)
  MEDVOX_DATA  folder of the real test images (default: ../shared/data/real beside the repo)
"""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def _bin():
    env = os.environ.get("MEDVOX_BIN")
    if env:
        return Path(env)
    for p in (REPO / "target/release/medvox", REPO / "target/debug/medvox"):
        if p.exists():
            return p
    raise RuntimeError("medvox binary not found: run `cargo build --release` or set MEDVOX_BIN")


DATA = Path(os.environ.get("MEDVOX_DATA", REPO.parent / "shared" / "data" / "real"))


def real(rel):
    """Path of a real test file; skips the test (saying why) only when the data folder is absent."""
    if not DATA.is_dir():
        pytest.skip(f"real test data folder {DATA} is absent")
    p = DATA / rel
    assert p.exists(), f"{p} missing although the data folder exists"
    return p


def medvox(*args, check=True):
    """Runs medvox; returns the CompletedProcess (text mode)."""
    r = subprocess.run([str(_bin()), *map(str, args)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"medvox {' '.join(map(str, args))} failed ({r.returncode}):\n{r.stderr}")
    return r


def info(path):
    """`medvox info PATH --json` as a dict."""
    return json.loads(medvox("info", path, "--json").stdout)


def assert_same_geometry(a, b, tol=1e-4):
    """Two SimpleITK images have the same size, spacing, origin and direction (abs tolerance)."""
    assert a.GetSize() == b.GetSize(), (a.GetSize(), b.GetSize())
    np.testing.assert_allclose(a.GetSpacing(), b.GetSpacing(), atol=tol, rtol=0)
    np.testing.assert_allclose(a.GetOrigin(), b.GetOrigin(), atol=tol, rtol=0)
    np.testing.assert_allclose(a.GetDirection(), b.GetDirection(), atol=tol, rtol=0)


def assert_same_image(a, b, tol=1e-4, value_tol=0.0):
    """Same geometry (see above) and the same voxels (exact unless value_tol > 0, relative to the range)."""
    import SimpleITK as sitk

    assert_same_geometry(a, b, tol)
    x = sitk.GetArrayViewFromImage(a).astype(np.float64)
    y = sitk.GetArrayViewFromImage(b).astype(np.float64)
    assert x.shape == y.shape
    if value_tol == 0.0:
        np.testing.assert_array_equal(x, y)
    else:
        scale = max(1.0, float(np.nanmax(np.abs(x))) if x.size else 1.0)
        np.testing.assert_allclose(x, y, atol=value_tol * scale, rtol=0)


def assert_info_matches_sitk(meta, img, tol=1e-4):
    """`medvox info --json` agrees with a SimpleITK image on geometry and statistics."""
    import SimpleITK as sitk

    size = list(img.GetSize()) + [1] * (3 - img.GetDimension())
    assert meta["size"][: len(size)] == size[:3]
    sp = list(img.GetSpacing()) + [1.0] * (3 - img.GetDimension())
    np.testing.assert_allclose(meta["spacing"], sp[:3], atol=tol)
    if img.GetDimension() == 3:
        np.testing.assert_allclose(meta["origin"], img.GetOrigin(), atol=tol)
        np.testing.assert_allclose(meta["direction"], img.GetDirection(), atol=tol)
    arr = sitk.GetArrayViewFromImage(img).astype(np.float64)
    np.testing.assert_allclose(meta["min"], arr.min(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(meta["max"], arr.max(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(meta["mean"], arr.mean(), rtol=1e-6, atol=1e-6)
