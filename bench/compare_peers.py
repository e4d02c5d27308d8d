#!/usr/bin/env python3
"""medvox vs the peers (SimpleITK, scipy, scikit-image, cc3d, edt) on the same data, in one run.

    python bench/compare_peers.py                                 # phantom_256, every op
    python bench/compare_peers.py --ops gaussian,median --datasets phantom_256,ct_512
    python bench/compare_peers.py --recorded                      # peers from ../shared RESULTS (no peer runs)

Data and op definitions come from ../shared/bench/peers/: `make_data.py` makes the
volumes (run it first, or pass --make-data), `run_peers.py` times each peer call in its
own process (best of 3 after a warm-up, the call only), `README.md` defines every op
exactly. medvox is timed in-process by `medvox bench OP ... --json` (median of
--repeat runs after a warm-up, the op only, I/O excluded), on the same voxels written
as NIfTI. The table gives, per (op, dataset): medvox seconds, the fastest peer and its
seconds, and the ratio peer/medvox (> 1: medvox is faster). Timings of one run on one
machine: compare ratios, not absolute seconds, across machines.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PEERS = REPO.parent / "shared" / "bench" / "peers"


def medvox_cases(meta):
    """op -> (input key, medvox bench arguments) for the peers' op definitions."""
    nx, ny, nz = meta["size_xyz"]
    cx, cy, cz = meta.get("centre_voxel_xyz", [nx // 2, ny // 2, nz // 2])
    return {
        "gaussian": ("f32", ["gaussian", "--sigma-voxels", "2"]),
        "median": ("f32", ["median", "--radius", "1"]),
        "grey_erode": ("f32", ["erode", "--radius", "2", "--kernel", "ball"]),
        "grey_dilate": ("f32", ["dilate", "--radius", "2", "--kernel", "ball"]),
        "grey_erode_box": ("f32", ["erode", "--radius", "2", "--kernel", "box"]),
        "binary_open": ("bone_u8", ["open", "--radius", "2", "--kernel", "ball", "--binary"]),
        "gradient_magnitude": ("f32", ["gradient-magnitude"]),
        "sobel": ("f32", ["sobel"]),
        "distance_transform": ("body_u8", ["distance"]),
        "hist_equalize": ("f32", ["equalize", "--bins", "256"]),
        "clahe": ("x01", ["clahe", "--kernel-size", "64", "--clip-limit", "0.01", "--bins", "256"]),
        "resample_iso": ("f32", ["resample", "--spacing", "1", "--interpolation", "linear"]),
        "otsu": ("f32", ["segment", "otsu", "--bins", "256"]),
        "connected_components": ("bone_u8", ["segment", "components", "--connectivity", "26"]),
        "region_grow": ("f32", ["segment", "region-grow", "--seed", f"{cx},{cy},{cz}",
                                "--lower", "0", "--upper", "100"]),
        "watershed": ("wsgrad_f32", ["segment", "watershed", "--markers", "{wsmarkers_i32}"]),
        "watershed_level": ("wsgrad_f32", ["segment", "watershed", "--level", "2"]),
        "io_nifti_read": ("i16", ["read"]),
        "io_nifti_write": ("i16", ["write"]),
    }


def nifti_of(data, cache, dataset, key, meta):
    """Path of `dataset`'s input `key` as NIfTI (writing .npy inputs once into `cache`)."""
    if key in ("f32", "i16"):
        p = data / f"{dataset}_{key}.nii.gz"
        if p.exists():
            return p
    p = cache / f"{dataset}_{key}.nii.gz"
    if p.exists():
        return p
    import nibabel as nib
    if key == "x01":    # the CLAHE input: (f32 - min) / (max - min) over the whole volume
        a = np.load(data / f"{dataset}_f32.npy")
        a = ((a - a.min()) / (a.max() - a.min())).astype(np.float32)
    else:
        src = data / f"{dataset}_{key}.npy"
        if not src.exists():
            raise FileNotFoundError(f"{src} (run make_data.py without --no-derived)")
        a = np.load(src)
    sx, sy, sz = meta["spacing_xyz_mm"]
    affine = np.diag([-sx, -sy, sz, 1.0])       # as make_data.py writes its NIfTI files
    img = nib.Nifti1Image(a.T, affine)
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    nib.save(img, str(p))
    return p


def run_medvox(binary, args, inp, repeat, threads):
    cmd = [str(binary), "--quiet", "bench", *args, "--input", str(inp), "--repeat", str(repeat),
           "--json"]
    if threads:
        cmd[1:1] = ["--threads", str(threads)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        lines = r.stderr.strip().splitlines()
        return None, next((x for x in lines if "error" in x), lines[-1] if lines else "failed")
    return json.loads(r.stdout), None


def run_peers(python, data, op, dataset):
    """The peers' JSON lines for (op, dataset), timed now by ../shared run_peers.py."""
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as f:
        out = f.name
    cmd = [str(python), str(PEERS / "run_peers.py"), "--data", str(data), "--out", out,
           "--ops", op, "--datasets", dataset, "--skip-bandwidth", "--quiet-wait", "5"]
    subprocess.run(cmd, capture_output=True, text=True, cwd=PEERS)
    rows = [json.loads(line) for line in open(out) if line.strip()]
    os.unlink(out)
    return rows


def recorded_peers(op, dataset):
    rows = [json.loads(line) for line in open(PEERS / "results.jsonl") if line.strip()]
    return [r for r in rows if r.get("op") == op and r.get("dataset") == dataset]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/tmp/bench-data", type=Path)
    ap.add_argument("--datasets", default="phantom_256")
    ap.add_argument("--ops", default="", help="comma list (default: every op)")
    ap.add_argument("--medvox", default=REPO / "target" / "release" / "medvox", type=Path)
    ap.add_argument("--peer-python", default=None,
                    help="python with the peers installed (default /tmp/peers-venv, else .venv)")
    ap.add_argument("--recorded", action="store_true",
                    help="take the peers' times from ../shared/bench/peers/results.jsonl")
    ap.add_argument("--make-data", action="store_true", help="run make_data.py for missing datasets")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="medvox threads (default: all cores)")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON lines here")
    a = ap.parse_args()

    python = a.peer_python or next(
        (p for p in ("/tmp/peers-venv/bin/python", str(REPO / ".venv/bin/python"))
         if Path(p).exists()), sys.executable)
    cache = a.data / "medvox-inputs"
    cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for dataset in a.datasets.split(","):
        meta_path = a.data / f"{dataset}.json"
        if not meta_path.exists():
            if not a.make_data:
                sys.exit(f"{meta_path} missing: run {PEERS / 'make_data.py'} {a.data} "
                         f"--only {dataset} (or pass --make-data)")
            subprocess.run([python, str(PEERS / "make_data.py"), str(a.data), "--only", dataset],
                           check=True)
        meta = json.load(open(meta_path))
        cases = medvox_cases(meta)
        ops = a.ops.split(",") if a.ops else list(cases)
        for op in ops:
            key, args = cases[op]
            try:
                inp = nifti_of(a.data, cache, dataset, key, meta)
                args = [s.format(**{k: nifti_of(a.data, cache, dataset, k, meta)
                                    for k in ("wsmarkers_i32",)}) if "{" in s else s
                        for s in args]
            except FileNotFoundError as e:
                print(f"skip {op} {dataset}: {e}", file=sys.stderr)
                continue
            mv, err = run_medvox(a.medvox, args, inp, a.repeat, a.threads)
            peers = recorded_peers(op, dataset) if a.recorded else run_peers(python, a.data, op,
                                                                              dataset)
            peers = [p for p in peers if p.get("seconds")]
            best = min(peers, key=lambda p: p["seconds"]) if peers else None
            row = dict(op=op, dataset=dataset,
                       medvox_s=mv["seconds"] if mv else None,
                       medvox_threads=mv["threads"] if mv else None,
                       medvox_error=err,
                       best_peer=best["peer"] if best else None,
                       best_peer_s=best["seconds"] if best else None,
                       peers={p["peer"]: p["seconds"] for p in peers},
                       ratio=(best["seconds"] / mv["seconds"]) if best and mv else None)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    print(f"\n{'op':22s} {'dataset':12s} {'medvox s':>9s}  {'best peer':42s} {'peer s':>8s} "
          f"{'ratio':>6s}")
    for r in rows:
        mv = f"{r['medvox_s']:.4f}" if r["medvox_s"] is not None else "n/a"
        ps = f"{r['best_peer_s']:.4f}" if r["best_peer_s"] is not None else "n/a"
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else ""
        print(f"{r['op']:22s} {r['dataset']:12s} {mv:>9s}  {str(r['best_peer']):42s} {ps:>8s} "
              f"{ratio:>6s}" + (f"  ({r['medvox_error']})" if r["medvox_error"] else ""))
    if a.json:
        with open(a.json, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
