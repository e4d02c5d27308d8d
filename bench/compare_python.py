#!/usr/bin/env python3
"""The Python module against the peers users call from Python, in one run.

    python bench/compare_python.py [--data /tmp/bench-data] [--repeat 5]

Needs `import medvox` (pip install ./crates/medvox-py), SimpleITK, scipy, cc3d,
nibabel, and the phantom from ../shared/bench/peers/make_data.py
(`python ../shared/bench/peers/make_data.py /tmp/bench-data --only phantom_256`).
Prints one table:

* per-call overhead of a trivial op (clamp) on a 1-voxel array and Image;
* gaussian (σ = 2 voxels), median (r = 1), connected components (26) on the
  256³ phantom as numpy arrays, against scipy / SimpleITK / cc3d called the same
  way, and `medvox bench` (the CLI, in-process, same op) to show what the binding costs;
* reading a .nii.gz and a DICOM series into numpy, against SimpleITK and nibabel.

Every figure is the best of --repeat runs after a warm-up, all in this process
(the CLI row: `medvox bench`'s own median). Ratios = peer seconds / medvox seconds.
"""
import argparse
import json
import os
import subprocess
import time
import timeit
from pathlib import Path

import numpy as np

import medvox

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def best(f, repeat):
    f()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def cli_bench(args, path, repeat):
    exe = os.environ.get("MEDVOX_BIN", str(REPO / "target/release/medvox"))
    r = subprocess.run([exe, "--quiet", "bench", *args, "--input", str(path), "--repeat", str(repeat), "--json"],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])["seconds"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/tmp/bench-data")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    data = Path(a.data)
    rows = []

    # Per-call overhead.
    one = np.zeros((1, 1, 1), np.float32)
    img1 = medvox.Image(one)
    n = 20000
    for x, what in ((one, "1-voxel array"), (img1, "1-voxel Image")):
        medvox.ops.clamp(x, lower=0.0)
        t = timeit.timeit(lambda: medvox.ops.clamp(x, lower=0.0), number=n) / n
        rows.append((f"overhead clamp ({what})", t, None, None))

    import cc3d
    import scipy.ndimage as ndi
    import SimpleITK as sitk

    f32 = np.load(data / "phantom_256_f32.npy")
    body = np.load(data / "phantom_256_body_u8.npy")
    nii = data / "phantom_256_f32.nii.gz"
    sitk_f32 = sitk.GetImageFromArray(f32)
    cases = [
        ("gaussian σ=2 vox", lambda: medvox.ops.gaussian(f32, sigma_voxels=2.0),
         ("scipy gaussian_filter", lambda: ndi.gaussian_filter(f32, 2.0, mode="nearest", truncate=4.0)),
         ["gaussian", "--sigma-voxels", "2"]),
        ("median r=1", lambda: medvox.ops.median(f32, radius=1),
         ("SimpleITK Median", lambda: sitk.GetArrayViewFromImage(sitk.Median(sitk_f32, (1, 1, 1)))),
         ["median", "--radius", "1"]),
        ("components 26", lambda: medvox.ops.components(body, connectivity=26),
         ("cc3d connected_components", lambda: cc3d.connected_components(body, connectivity=26)),
         None),
    ]
    for name, ours, (peer_name, peer), cli in cases:
        t = best(ours, a.repeat)
        p = best(peer, max(2, a.repeat // 2))
        rows.append((f"{name} (numpy in/out)", t, peer_name, p))
        if cli:
            rows.append((f"{name} (CLI medvox bench)", cli_bench(cli, nii, a.repeat), None, None))

    # Reading into numpy.
    import nibabel as nib

    i16 = data / "phantom_256_i16.nii.gz"
    t = best(lambda: medvox.read(i16).array, a.repeat)
    ps = best(lambda: sitk.GetArrayFromImage(sitk.ReadImage(str(i16))), a.repeat)
    pn = best(lambda: np.asanyarray(nib.load(str(i16)).dataobj), a.repeat)
    rows.append(("read .nii.gz 256³ i16", t, "SimpleITK", ps))
    rows.append(("read .nii.gz 256³ i16", t, "nibabel", pn))
    series = SHARED / "data/real/dicom/series_mr_tcia_cptac_sar"
    if series.is_dir():
        def sitk_series():
            r = sitk.ImageSeriesReader()
            r.SetFileNames(r.GetGDCMSeriesFileNames(str(series)))
            return sitk.GetArrayFromImage(r.Execute())
        t = best(lambda: medvox.read(series).array, a.repeat)
        rows.append(("read DICOM series (CPTAC MR)", t, "SimpleITK ImageSeriesReader", best(sitk_series, a.repeat)))

    print(f"medvox {medvox.__version__}, {os.cpu_count()} CPUs, best of {a.repeat}")
    print(f"{'case':40} {'medvox s':>11} {'peer':>30} {'peer s':>10} {'ratio':>7}")
    for name, t, peer, p in rows:
        if peer is None:
            unit = f"{t * 1e6:9.2f} µs" if t < 1e-3 else f"{t:11.4f}"
            print(f"{name:40} {unit:>11}")
        else:
            print(f"{name:40} {t:11.4f} {peer:>30} {p:10.4f} {p / t:6.2f}x")


if __name__ == "__main__":
    main()
