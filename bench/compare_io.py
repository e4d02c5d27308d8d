#!/usr/bin/env python3
"""Side-by-side NIfTI read/write benchmark: medvox vs nibabel vs SimpleITK, one run.

Data: the 256^3 int16 phantom of ../shared/bench/peers/make_data.py (phantom_256_i16.nii.gz,
generated if missing). Peers are timed exactly as ../shared/bench/peers/run_peers.py does
(io_nifti_read / io_nifti_write: 1 warm-up + 3 calls, best, inputs in memory, output to a
temp folder, page cache, no fsync). medvox is timed in-process by `medvox bench` (median
of N after a warm-up). Prints one table: op, peer, seconds, ratio.

Usage: .venv/bin/python bench/compare_io.py [--data /tmp/bench-data] [--medvox target/release/medvox]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEERS = REPO.parent / "shared" / "bench" / "peers"


def best_of(fn, reps=3):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/tmp/bench-data")
    ap.add_argument("--medvox", default=str(REPO / "target" / "release" / "medvox"))
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()

    data = Path(a.data)
    src = data / "phantom_256_i16.nii.gz"
    if not src.exists():
        data.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(PEERS / "make_data.py"), str(data), "--only", "phantom_256",
                        "--no-derived"], check=True)

    import nibabel as nib
    import numpy as np
    import SimpleITK as sitk

    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(os.cpu_count())
    out = Path(tempfile.mkdtemp(prefix="medvox-io-bench-"))
    rows = []

    # read
    rows.append(("read", "nibabel.load", best_of(lambda: np.asarray(nib.load(str(src)).dataobj))))
    rows.append(("read", "SimpleITK.ReadImage", best_of(lambda: sitk.ReadImage(str(src)))))
    # write
    img = nib.load(str(src))
    arr = np.asarray(img.dataobj)
    nimg = nib.Nifti1Image(arr, img.affine, img.header)
    simg = sitk.ReadImage(str(src))
    rows.append(("write", "nibabel.save", best_of(lambda: nib.save(nimg, str(out / "nib.nii.gz")))))
    rows.append(("write", "SimpleITK.WriteImage",
                 best_of(lambda: sitk.WriteImage(simg, str(out / "sitk.nii.gz"), useCompression=True))))

    for op in ("read", "write"):
        cmd = [a.medvox, "bench", op, "--input", str(src), "--repeat", str(a.repeat), "--json"]
        if op == "write":
            cmd += ["--output", str(out / "medvox.nii.gz")]
        r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        rows.append((op, f"medvox ({r['threads']} threads)", r["seconds"]))

    sizes = {p.name: p.stat().st_size for p in out.glob("*.nii.gz")}
    print(f"\nNIfTI .nii.gz, 256^3 int16 phantom ({src}), {os.cpu_count()} cores\n")
    print("| op | tool | seconds | best peer / medvox |")
    print("| --- | --- | --- | --- |")
    for op in ("read", "write"):
        peers = [r for r in rows if r[0] == op and not r[1].startswith("medvox")]
        best = min(p[2] for p in peers)
        for r in rows:
            if r[0] == op:
                ratio = f"{best / r[2]:.2f}x" if r[1].startswith("medvox") else ""
                print(f"| {op} | {r[1]} | {r[2]:.4f} | {ratio} |")
    print("\nwritten file sizes (bytes):", json.dumps(sizes))


if __name__ == "__main__":
    main()
