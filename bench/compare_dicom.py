#!/usr/bin/env python3
"""DICOM series read: medvox vs SimpleITK ImageSeriesReader (GDCM) and pydicom, in one run.

    python bench/compare_dicom.py                      # exports ct_512 (512x512x200 i16) first
    python bench/compare_dicom.py --folder DIR --repeat 5

Without --folder, /tmp/bench-data/ct_512_i16.nii.gz is written as a DICOM series with
`medvox convert ... --to dicom` into a temporary folder (one file per slice, explicit VR
little endian). Each reader reads the whole folder into one array (file listing, headers,
sorting, pixel decoding, rescale); each is timed as the median of --repeat runs after a
warm-up, and the rounds alternate (medvox, SimpleITK, pydicom, medvox, ...) so every
tool sees the same machine load. medvox is timed in-process by `medvox bench read --json`.
The ratio is peer seconds / medvox seconds (> 1: medvox is faster).
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
BIN = Path(os.environ.get("MEDVOX_BIN", REPO / "target" / "release" / "medvox"))


def medvox_read(folder, repeat):
    r = subprocess.run(
        [str(BIN), "bench", "read", "--input", str(folder), "--repeat", str(repeat), "--json"],
        capture_output=True, text=True, check=True,
    )
    return json.loads(r.stdout)["seconds"]


def sitk_read(folder):
    import SimpleITK as sitk

    files = sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder))
    r = sitk.ImageSeriesReader()
    r.SetFileNames(files)
    return sitk.GetArrayViewFromImage(r.Execute()).shape


def pydicom_read(folder):
    import pydicom

    dss = [pydicom.dcmread(str(f)) for f in sorted(Path(folder).iterdir())]
    n = np.array([float(x) for x in dss[0].ImageOrientationPatient[:3]])
    m = np.array([float(x) for x in dss[0].ImageOrientationPatient[3:]])
    normal = np.cross(n, m)
    dss.sort(key=lambda d: float(np.dot(normal, [float(x) for x in d.ImagePositionPatient])))
    out = np.empty((len(dss), int(dss[0].Rows), int(dss[0].Columns)), np.float32)
    for k, d in enumerate(dss):
        out[k] = d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept)
    return out.shape


def timed(f, folder, repeat):
    f(folder)  # warm-up
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        f(folder)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path, help="DICOM series folder (default: export ct_512)")
    ap.add_argument("--source", type=Path, default=Path("/tmp/bench-data/ct_512_i16.nii.gz"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds; the best median counts")
    ap.add_argument("--no-pydicom", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = a.folder
        if folder is None:
            folder = Path(tmp) / "series"
            subprocess.run([str(BIN), "-q", "convert", str(a.source), str(folder), "--to", "dicom"], check=True)
        n = len(list(Path(folder).iterdir()))
        res = {"medvox": [], "SimpleITK": [], "pydicom": []}
        for _ in range(a.rounds):
            res["medvox"].append(medvox_read(folder, a.repeat))
            res["SimpleITK"].append(timed(sitk_read, folder, a.repeat))
            if not a.no_pydicom:
                res["pydicom"].append(timed(pydicom_read, folder, a.repeat))
        best = {k: min(v) for k, v in res.items() if v}
        print(f"{folder}: {n} files, median of {a.repeat} after a warm-up, best of {a.rounds} alternating rounds")
        for k, s in best.items():
            ratio = s / best["medvox"]
            print(f"  {k:10s} {s:8.3f} s   {'' if k == 'medvox' else f'{ratio:5.2f}x medvox'}")
        print(json.dumps({"files": n, "seconds": best, "all": res}))


if __name__ == "__main__":
    main()
