"""medvox deep-learning inference side by side with onnxruntime (same machine, same run).

Times, on the deepbet models (../shared/models/deepbet) and the MNI152 T1:
  * one forward pass of model.onnx on a 256^3 input: onnxruntime (CPU provider) vs
    `medvox infer` with one 256^3 window (tract), each median of --repeat runs
    (medvox's figure is its `inference_seconds`, which includes building the plan);
  * the whole brain extraction: `medvox brain-extract` (read, both networks,
    post-processing, write) — the original PyTorch pipeline took 2.3 s on this machine kind —
    and its mask against deepbet's reference mask (Dice, voxel counts, TIV);
  * max |medvox − onnxruntime| on the 256^3 pass (same random N(0,1) input).

Usage: .venv/bin/python bench/compare_dl.py [--repeat 3] [--threads 2] [--skip-ort]
Needs onnxruntime and nibabel in the venv and target/release/medvox.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEEPBET = SHARED / "models" / "deepbet"
T1 = SHARED / "data/real/nifti/templates_mni152_nilearn/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
BIN = Path(os.environ.get("MEDVOX_BIN", REPO / "target/release/medvox"))
SW = SHARED / "models" / "sliding_window"


def ort_sliding_window(sess, x, case):
    """MONAI 1.6.1 sliding_window_inference semantics with onnxruntime as the network (numpy)."""
    import itertools
    roi, ov = case["roi"], case["overlap"]
    size = list(x.shape)
    padded = [max(a, b) for a, b in zip(size, roi)]
    before = [(p - s) // 2 for p, s in zip(padded, size)]
    xp = np.zeros(padded, np.float32)
    xp[tuple(slice(b, b + s) for b, s in zip(before, size))] = x

    def starts(n, r, o):
        step = r if r == n else max(int(r * (1 - o)), 1)
        num = int(np.ceil(n / step))
        sd = next((d for d in range(num) if d * step + r >= n), None)
        return [i * step - max(i * step + r - n, 0) for i in range(sd + 1 if sd is not None else 1)]

    st = [starts(padded[a], roi[a], ov) for a in range(3)]
    if case["mode"] == "gaussian":
        g = []
        for a in range(3):
            sig = roi[a] * case["sigma_scale"]
            t = np.arange(-(roi[a] - 1) / 2.0, (roi[a] - 1) / 2.0 + 1, dtype=np.float32)
            g.append(np.exp(t**2 / np.float32(-2 * sig**2)).astype(np.float32))
        w = (g[0][:, None, None] * g[1][None, :, None]) * g[2][None, None, :]
        w = np.maximum(w, max(w.min(), 1e-3)).astype(np.float32)
    else:
        w = np.ones(roi, np.float32)
    out, cnt = None, np.zeros(padded, np.float32)
    name = sess.get_inputs()[0].name
    for i, j, k in itertools.product(*st):
        sl = (slice(i, i + roi[0]), slice(j, j + roi[1]), slice(k, k + roi[2]))
        p = sess.run(None, {name: xp[sl][None, None]})[0][0]
        if out is None:
            out = np.zeros([p.shape[0]] + padded, np.float32)
        out[(slice(None),) + sl] += p * w
        cnt[sl] += w
    out /= cnt
    return out[(slice(None),) + tuple(slice(b, b + s) for b, s in zip(before, size))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-ort", action="store_true")
    a = ap.parse_args()
    rows = []
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 256, 256)).astype(np.float32)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        # Tiny 3D U-Net, MONAI case g25 (roi 24^3, overlap 0.25, Gaussian, batch 4).
        xs = np.load(SW / "input_xyz.npy")
        nib.save(nib.Nifti1Image(xs, np.eye(4)), d / "sw.nii")
        case = next(c for c in json.loads((SW / "cases.json").read_text())["cases"] if c["name"] == "g25")
        monai = np.load(SW / case["output"])
        if not a.skip_ort:
            import onnxruntime as ort
            so = ort.SessionOptions()
            so.intra_op_num_threads = a.threads
            s = ort.InferenceSession(str(SW / "tiny_unet3d.onnx"), so, providers=["CPUExecutionProvider"])
            ts = []
            for _ in range(a.repeat):
                t = time.perf_counter()
                o = ort_sliding_window(s, xs, case)
                ts.append(time.perf_counter() - t)
            print(f"tiny U-Net g25: max |onnxruntime+numpy - MONAI| = {np.abs(o - monai).max():.2e}")
            rows.append(("tiny U-Net 50x59x48, 24^3 windows (g25)", "onnxruntime + numpy loop", statistics.median(ts)))
        ts = []
        for _ in range(a.repeat):
            r = subprocess.run([str(BIN), "--quiet", "--threads", str(a.threads), "infer",
                                str(SW / "tiny_unet3d.onnx"), str(d / "sw.nii"), str(d / "sw_out.nii"),
                                "--window", "24,24,24", "--overlap", "0.25", "--blend", "gaussian",
                                "--batch", "4", "--json"], capture_output=True, text=True, check=True)
            ts.append(json.loads(r.stdout)["inference_seconds"])
        got = np.moveaxis(np.asarray(nib.load(d / "sw_out.nii").dataobj, dtype=np.float32), -1, 0)
        print(f"tiny U-Net g25: max |medvox - MONAI| = {np.abs(got - monai).max():.2e}")
        rows.append(("tiny U-Net 50x59x48, 24^3 windows (g25)", "medvox (tract)", statistics.median(ts)))
        nib.save(nib.Nifti1Image(x, np.eye(4)), d / "x.nii")
        if not a.skip_ort:
            import onnxruntime as ort
            so = ort.SessionOptions()
            so.intra_op_num_threads = a.threads
            s = ort.InferenceSession(str(DEEPBET / "model.onnx"), so, providers=["CPUExecutionProvider"])
            s.run(None, {"image": x[None, None]})
            ts = []
            for _ in range(a.repeat):
                t = time.perf_counter()
                want = s.run(None, {"image": x[None, None]})[0][0]
                ts.append(time.perf_counter() - t)
            rows.append(("deepbet model.onnx 256^3 forward", "onnxruntime", statistics.median(ts)))
        ts = []
        for _ in range(a.repeat):
            r = subprocess.run([str(BIN), "--quiet", "--threads", str(a.threads), "infer",
                                str(DEEPBET / "model.onnx"), str(d / "x.nii"), str(d / "y.nii"),
                                "--roi", "256,256,256", "--json"], capture_output=True, text=True, check=True)
            ts.append(json.loads(r.stdout)["inference_seconds"])
        rows.append(("deepbet model.onnx 256^3 forward", "medvox (tract)", statistics.median(ts)))
        if not a.skip_ort:
            got = np.moveaxis(np.asarray(nib.load(d / "y.nii").dataobj, dtype=np.float32), -1, 0)
            print(f"max |medvox - onnxruntime| on the 256^3 pass: {np.abs(got - want).max():.2e}")
        ts = []
        for _ in range(a.repeat):
            t = time.perf_counter()
            r = subprocess.run([str(BIN), "--quiet", "--threads", str(a.threads), "brain-extract", str(T1),
                                str(d / "mask.nii.gz"), "--models", str(DEEPBET), "--json"],
                               capture_output=True, text=True, check=True)
            ts.append(time.perf_counter() - t)
        rows.append(("deepbet brain extraction, MNI152 T1 (whole command)", "medvox (tract)", statistics.median(ts)))
        rep = json.loads(r.stdout)
        print(rep)
        ref = np.asarray(nib.load(DEEPBET / "reference" / "mni152_t1_deepbet_mask.nii.gz").dataobj) > 0
        got = np.asarray(nib.load(d / "mask.nii.gz").dataobj) > 0
        dice = 2 * (got & ref).sum() / (got.sum() + ref.sum())
        stages = json.loads((DEEPBET / "reference" / "mni152_t1_stages.json").read_text())
        print(f"brain-extract vs deepbet reference mask: Dice {dice:.6f}, voxels {int(got.sum())} "
              f"(reference {int(ref.sum())}), TIV {rep['tiv_cm3']:.3f} cm3 (reference {stages['tiv_cm3']}), "
              f"box {rep['bbox_xyz_half_open']} (reference {stages['bbox_xyz_half_open']})")
    print(f"| case | engine | seconds (median of {a.repeat}, {a.threads} threads) |")
    print("|---|---|---|")
    for c, e, t in rows:
        print(f"| {c} | {e} | {t:.2f} |")


if __name__ == "__main__":
    main()
