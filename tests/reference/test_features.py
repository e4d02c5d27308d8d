"""`medvox features` (IBSI radiomics, issue 21) against numpy on a real CT.

The IBSI digital-phantom values themselves are checked in Rust
(crates/medvox-radiomics/tests/ibsi_phantom.rs, 480/482 matched). Here the CLI's
plumbing is checked on the TotalSegmentator CT and its label map, read by
SimpleITK: per label the voxel count and the intensity statistics (IBSI 3.3:
mean, variance with 1/N, min, max, median, 10th/90th percentiles as numpy's
linear interpolation, energy, RMS), relative tolerance 1e-9 (1e-6 for
variance, which is a difference of sums).
"""

import json

import numpy as np
import SimpleITK as sitk

from conftest import medvox, real

CT = "nifti/totalsegmentator_ct/example_ct_sm.nii.gz"
SEG = "nifti/totalsegmentator_ct/example_seg.nii.gz"


def test_intensity_statistics_match_numpy():
    ct, seg = real(CT), real(SEG)
    img = sitk.GetArrayFromImage(sitk.ReadImage(str(ct))).astype(np.float64)
    lab = sitk.GetArrayFromImage(sitk.ReadImage(str(seg)))
    labels = [int(v) for v in np.unique(lab) if v != 0][:6]
    rows = json.loads(medvox("features", ct, seg, "--labels", ",".join(map(str, labels)), "--json").stdout)
    got = {(r["label"], r["key"]): r for r in rows}
    assert {r["label"] for r in rows} == set(labels)
    for lbl in labels:
        x = img[lab == lbl]
        assert got[(lbl, "stat_mean")]["voxels"] == x.size
        want = {
            "stat_mean": x.mean(), "stat_min": x.min(), "stat_max": x.max(), "stat_median": np.median(x),
            "stat_p10": np.percentile(x, 10), "stat_p90": np.percentile(x, 90),
            "stat_energy": np.sum(x * x), "stat_rms": np.sqrt(np.mean(x * x)),
        }
        for key, w in want.items():
            np.testing.assert_allclose(got[(lbl, key)]["value"], w, rtol=1e-9, atol=1e-9, err_msg=f"label {lbl} {key}")
        np.testing.assert_allclose(got[(lbl, "stat_var")]["value"], x.var(), rtol=1e-6, err_msg=f"label {lbl} var")


def test_bad_inputs_are_one_line_errors(tmp_path):
    ct, seg = real(CT), real(SEG)
    for args in (["--labels", "99999"], []):
        r = medvox("features", ct, tmp_path / "missing.nii.gz" if not args else seg, *args, check=False)
        assert r.returncode == 1
        lines = [l for l in r.stderr.splitlines() if l.startswith("medvox: error:")]
        assert len(lines) == 1 and "panicked" not in r.stderr, r.stderr
