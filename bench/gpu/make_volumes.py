#!/usr/bin/env python3
"""Writes the GPU benchmark volumes as raw float32 NRRD files (numpy only, no nibabel).

smooth_N: the volume ../shared/bench/gpu-peers/run_cupy.py generates (seed 7 normal noise,
Gaussian sigma 3 voxels, z-scored, x400), made with scipy (or CuPy when present) so medvox
and CuPy time the same data. Usage: make_volumes.py OUT_DIR [--size 512]
"""
import argparse
import os

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--size", type=int, default=512)
args = ap.parse_args()
os.makedirs(args.out, exist_ok=True)


def smooth(n):
    rng = np.random.default_rng(7)
    v = rng.standard_normal((n, n, n), dtype=np.float32)
    try:
        import cupy as cp
        import cupyx.scipy.ndimage as cndi
        v = cp.asnumpy(cndi.gaussian_filter(cp.asarray(v), 3.0))
    except ImportError:
        import scipy.ndimage as ndi
        v = ndi.gaussian_filter(v, 3.0)
    v = (v - v.mean()) / (v.std() + 1e-6) * 400.0
    return v.astype(np.float32)


def write_nrrd(path, a, spacing=(1.0, 1.0, 1.0)):
    """Raw little-endian NRRD; numpy (z,y,x) order = NRRD fastest axis x."""
    z, y, x = a.shape
    hdr = (
        "NRRD0004\n"
        "type: float\n"
        "dimension: 3\n"
        "space: left-posterior-superior\n"
        f"sizes: {x} {y} {z}\n"
        f"space directions: ({spacing[0]},0,0) (0,{spacing[1]},0) (0,0,{spacing[2]})\n"
        "space origin: (0,0,0)\n"
        "endian: little\n"
        "encoding: raw\n\n"
    )
    with open(path, "wb") as f:
        f.write(hdr.encode())
        f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())


n = args.size
write_nrrd(os.path.join(args.out, f"smooth_{n}.nrrd"), smooth(n))
print(f"wrote {args.out}/smooth_{n}.nrrd")
