"""Side-by-side CT reconstruction: medvox FBP vs scikit-image `iradon` (and RTK FDK if installed).

Build first: `cargo build --release -p medvox-recon --example recon_bench`
(the `medvox reconstruct` CLI is not hooked yet; this drives the library through the example).

    .venv/bin/python bench/compare_recon.py [--size 512] [--angles 720] [--fdk]

FBP case: scikit-image's Shepp-Logan (rescaled to SIZE², zero outside the inscribed circle),
sinogram = skimage.transform.radon(circle=True), both reconstruct it (ramp filter, linear
interpolation); prints times, the ratio, medvox-vs-iradon difference and each RMSE vs the
phantom inside the circle. --fdk also runs medvox's FDK case (RTK's Shepp-Logan, 256^3 from
360 x 256^2 analytic projections; compare with ../shared/bench/peers2 RESULTS: RTK 21.2 s,
RMSE 0.107).
"""
import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from skimage.data import shepp_logan_phantom
from skimage.transform import iradon, radon, rescale

REPO = Path(__file__).resolve().parents[1]
BIN = Path(os.environ.get("MEDVOX_RECON_BENCH", REPO / "target/release/examples/recon_bench"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--angles", type=int, default=720)
    ap.add_argument("--fdk", action="store_true")
    a = ap.parse_args()
    img = shepp_logan_phantom()
    if a.size != img.shape[0]:
        img = rescale(img, a.size / img.shape[0], anti_aliasing=False)
    n = img.shape[0]
    yy, xx = np.mgrid[:n, :n]
    inside = (xx - n // 2) ** 2 + (yy - n // 2) ** 2 <= (n // 2) ** 2
    img = np.where(inside, img, 0.0)
    theta = np.linspace(0, 180, a.angles, endpoint=False)
    sino = radon(img, theta=theta, circle=True)
    with tempfile.TemporaryDirectory() as d:
        sp, op = Path(d) / "sino.f64", Path(d) / "rec.f32"
        sino.astype("<f8").tofile(sp)
        t0 = time.perf_counter()
        ref = iradon(sino, theta=theta, filter_name="ramp", interpolation="linear", circle=True)
        t_sk = time.perf_counter() - t0
        r = subprocess.run([str(BIN), "sino", str(sp), str(n), str(a.angles), str(op)],
                           capture_output=True, text=True, check=True)
        t_mv = json.loads(r.stdout)["seconds"]
        mine = np.fromfile(op, "<f4").reshape(n, n).astype(np.float64)
    d = (mine - ref)[inside]
    rm = lambda x: float(np.sqrt(((x - img)[inside] ** 2).mean()))
    print(json.dumps(dict(case=f"fbp {n}^2 from {a.angles} angles", medvox_s=round(t_mv, 4),
                          skimage_s=round(t_sk, 4), ratio=round(t_sk / t_mv, 2),
                          rmse_medvox=round(rm(mine), 6), rmse_skimage=round(rm(ref), 6),
                          rms_diff_vs_iradon=float(np.sqrt((d ** 2).mean())),
                          max_abs_diff_vs_iradon=float(np.abs(d).max()),
                          load=os.getloadavg()[0])))
    if a.fdk:
        r = subprocess.run([str(BIN), "fdk"], capture_output=True, text=True, check=True)
        print(r.stdout.strip(), "(RTK, peers2: 21.15 s, RMSE 0.10745)")


if __name__ == "__main__":
    main()
