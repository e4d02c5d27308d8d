#!/usr/bin/env python3
"""medvox.dask against dask-image, same Dask arrays, same scheduler, one run.

    python bench/compare_dask.py [--size 1024,1024,512] [--chunks 128] [--cluster]

Gaussian σ = 2 voxels on an int16 volume (x, y, z sizes) in `--chunks`³ chunks,
computed into memory (`da.store` to a numpy array; best of 2, the first warms up); connected components
(26-connectivity) of a boolean volume of the same size. Threaded scheduler, or a
2-worker LocalCluster with processes (`--cluster`). Prints seconds and ratios
(dask-image / medvox); dask-image's label is skipped above --max-label voxels
(its graph runs out of memory on large volumes, dask-image #386).
"""
import argparse
import time

import dask
import dask.array as da
import numpy as np

import medvox.dask as mdask


def timed(f, repeat=1):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="1024,1024,512")
    ap.add_argument("--chunks", type=int, default=128)
    ap.add_argument("--cluster", action="store_true")
    ap.add_argument("--max-label", type=float, default=1.5e8)
    a = ap.parse_args()
    nx, ny, nz = map(int, a.size.split(","))
    rng = np.random.default_rng(0)
    vol = (rng.standard_normal((nz, ny, nx), dtype=np.float32) * 200).astype(np.int16)
    d = da.from_array(vol, chunks=a.chunks)
    out = np.empty(vol.shape, np.float32)
    client = None
    if a.cluster:
        from distributed import Client, LocalCluster

        client = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None))
    sched = {} if client else {"scheduler": "threads"}
    from dask_image import ndfilters, ndmeasure

    rows = []
    with dask.config.set(**sched):
        ours = timed(lambda: da.store(mdask.apply(d, "gaussian", sigma_voxels=2.0), out, lock=False), 2)
        theirs = timed(lambda: da.store(ndfilters.gaussian_filter(d.astype(np.float32), 2.0, mode="nearest", truncate=4.0),
                                        out, lock=False), 2)
        rows.append(("gaussian σ=2 vox", ours, theirs))
        mask = d > 150
        lab = np.empty(vol.shape, np.uint32)
        ours = timed(lambda: da.store(mdask.label(mask, connectivity=26), lab, lock=False))
        if vol.size <= a.max_label:
            s = np.ones((3, 3, 3), bool)
            theirs = timed(lambda: ndmeasure.label(mask, structure=s)[0].compute())
        else:
            theirs = float("nan")
        rows.append(("components 26", ours, theirs))
    where = "2-worker LocalCluster (processes)" if client else "threaded scheduler"
    print(f"{nx}x{ny}x{nz} int16, {a.chunks}^3 chunks, {where}")
    print(f"{'op':22} {'medvox.dask s':>14} {'dask-image s':>13} {'ratio':>7}")
    for name, o, t in rows:
        print(f"{name:22} {o:14.3f} {t:13.3f} {t / o:6.2f}x")
    if client:
        client.close()


if __name__ == "__main__":
    main()
