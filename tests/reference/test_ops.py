"""The op registry from the command line (issue 12): `medvox ops`, `medvox run`
(same bytes as the `filter`/`segment` aliases), pipelines (same bytes as one
command at a time; bad files name step and key and write nothing), and the
registry's worked example `unsharp-mask` against scipy."""
import json

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

from conftest import medvox
from test_filters import SPACING, phantom, write


def test_ops_lists_every_op_with_parameters():
    ops = json.loads(medvox("ops", "--json").stdout)
    names = [o["name"] for o in ops]
    assert len(names) == len(set(names)) >= 45
    g = next(o for o in ops if o["name"] == "gaussian")
    assert {p["name"] for p in g["params"]} == {"sigma", "sigma_voxels", "method"}
    assert "gpu" in g["devices"]
    m = next(o for o in ops if o["name"] == "median")
    assert m["params"][0]["default"] == [1, 1, 1]


def test_run_and_aliases_write_the_same_bytes(tmp_path):
    src = write(tmp_path, phantom())
    for alias, run in [
        (["filter", "gaussian", "--sigma", "1.5"], ["run", "gaussian", "--sigma", "1.5"]),
        (["filter", "clahe", "--2d"], ["run", "clahe", "--slice-by-slice"]),
        (["segment", "mean"], ["run", "threshold-mean"]),
        (["segment", "components", "--connectivity", "6"], ["run", "components", "--connectivity", "6"]),
    ]:
        a, b = tmp_path / "a.nii.gz", tmp_path / "b.nii.gz"
        if alias[0] == "segment" and alias[1] == "components":
            medvox("--quiet", "segment", "otsu", src, tmp_path / "m.nii.gz")
            s = tmp_path / "m.nii.gz"
        else:
            s = src
        medvox("--quiet", *alias, s, a)
        medvox("--quiet", *run, s, b)
        assert a.read_bytes() == b.read_bytes(), alias


def test_unsharp_mask_matches_scipy(tmp_path):
    arr = phantom()
    src = write(tmp_path, arr)
    out = tmp_path / "u.nii.gz"
    medvox("--quiet", "run", "unsharp-mask", "--sigma", "1.5", "--amount", "0.7", src, out)
    got = sitk.GetArrayFromImage(sitk.ReadImage(str(out)))
    sig = [1.5 / s for s in SPACING[::-1]]  # z, y, x
    x = arr.astype(np.float64)
    want = x + 0.7 * (x - ndimage.gaussian_filter(x, sig, mode="nearest", truncate=4.0))
    # f32 output; the blur is exact to ~1e-6 of the range.
    np.testing.assert_allclose(got, want, atol=2e-4 * np.abs(want).max())


PIPELINE = """
[input]
ct = "in.nii.gz"
[[step]]
op = "gaussian"
input = "ct"
output = "smooth"
sigma = 1.0
[[step]]
op = "otsu"
input = "smooth"
output = "mask"
[[step]]
op = "components"
input = "mask"
output = "labels"
connectivity = 26
[[step]]
op = "label-stats"
input = "labels"
image = "ct"
output = "stats"
[output]
labels = "labels.nii.gz"
stats = "stats.csv"
"""


def test_pipeline_equals_one_command_at_a_time(tmp_path):
    src = write(tmp_path, phantom())
    p = tmp_path / "p.toml"
    p.write_text(PIPELINE)
    medvox("pipeline", "check", p)
    plan = medvox("pipeline", "run", p, "--dry-run").stdout
    assert "gaussian" in plan and "local" in plan and "global-with-merge" in plan
    assert not (tmp_path / "labels.nii.gz").exists()
    medvox("--quiet", "pipeline", "run", p, "--report", tmp_path / "run.json")
    rep = json.loads((tmp_path / "run.json").read_text())
    assert [s["op"] for s in rep["steps"]] == ["gaussian", "otsu", "components", "label-stats"]
    assert "threshold" in rep["steps"][1]["report"] and all(s["seconds"] >= 0 for s in rep["steps"])
    medvox("--quiet", "filter", "gaussian", "--sigma", "1.0", src, tmp_path / "s.nii.gz")
    medvox("--quiet", "segment", "otsu", tmp_path / "s.nii.gz", tmp_path / "m.nii.gz")
    medvox("--quiet", "segment", "components", "--connectivity", "26", tmp_path / "m.nii.gz", tmp_path / "l.nii.gz")
    assert (tmp_path / "l.nii.gz").read_bytes() == (tmp_path / "labels.nii.gz").read_bytes()
    assert (tmp_path / "stats.csv").read_text().count("\n") >= 2


def test_bad_pipeline_names_step_and_key_and_writes_nothing(tmp_path):
    write(tmp_path, phantom())
    for old, new, words in [
        ('op = "otsu"', 'op = "otsuu"', ["step 2", "otsu"]),
        ("sigma = 1.0", "sigmaa = 1.0", ["step 1", "sigmaa", "sigma_voxels"]),
        ("connectivity = 26", 'connectivity = "many"', ["step 3", "connectivity", "expected"]),
        ('input = "mask"', 'input = "nope"', ["step 3", "input"]),
    ]:
        p = tmp_path / "bad.toml"
        p.write_text(PIPELINE.replace(old, new))
        for cmd in (["pipeline", "check", p], ["pipeline", "run", p]):
            r = medvox(*cmd, check=False)
            assert r.returncode == 1 and "panicked" not in r.stderr, r.stderr
            assert r.stderr.startswith("medvox: error:"), r.stderr
            for w in words:
                assert w in r.stderr, (w, r.stderr)
        assert not (tmp_path / "labels.nii.gz").exists()
