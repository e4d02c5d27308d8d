"""medvox-view: report.html in headless Chromium, orientation letters against
SimpleITK (DICOMOrient) and nibabel (aff2axcodes), snapshot and error behaviour.

Chromium (Debian package `chromium`) is installed by scripts/test.sh when run as
root; here it is also installed on demand when running as root. The Chromium
test is skipped (saying so) only when no Chromium exists and it cannot be installed.
"""
import html
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from conftest import medvox, info

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _chromium():
    for n in CHROMIUM_NAMES:
        p = shutil.which(n)
        if p:
            return p
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], capture_output=True, env=env)
        for n in CHROMIUM_NAMES:
            p = shutil.which(n)
            if p:
                return p
    pytest.skip("chromium is absent and could not be installed (apt-get install chromium as root)")


CHECK_SCRIPT = """<script>
window.addEventListener("load", () => {
  const r = [...document.images].map(i => ({complete: i.complete, w: i.naturalWidth, h: i.naturalHeight,
    aw: i.getAttribute("width"), ah: i.getAttribute("height"), alt: i.alt}));
  document.body.setAttribute("data-imgcheck", JSON.stringify(r));
});
</script>"""


def _images_in_chromium(page: Path):
    """Loads a copy of `page` (plus a load-time check script) in headless Chromium;
    returns what each <img> reported (natural size, declared size)."""
    exe = _chromium()
    with tempfile.TemporaryDirectory() as d:
        copy = Path(d) / "page.html"
        text = page.read_text(encoding="utf-8")
        assert text.count("</body>") == 1
        copy.write_text(text.replace("</body>", CHECK_SCRIPT + "</body>"), encoding="utf-8")
        profile = Path(d) / "profile"
        r = subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             f"--user-data-dir={profile}", "--virtual-time-budget=10000", "--dump-dom", copy.as_uri()],
            capture_output=True, text=True, timeout=120)
    m = re.search(r'data-imgcheck="([^"]*)"', r.stdout)
    assert m, f"the page did not finish loading in Chromium (rc {r.returncode}):\n{r.stderr[-2000:]}"
    return json.loads(html.unescape(m.group(1)))


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    medvox("--quiet", "demo", "--out", out, "--size", "64,56,24")
    return out


def test_demo_report_loads_in_chromium_with_all_images(demo_out):
    page = demo_out / "report.html"
    text = page.read_text(encoding="utf-8")
    n_img = text.count("<img ")
    # Two stage snapshots and the histogram, all embedded: nothing fetched from elsewhere.
    assert n_img >= 3, n_img
    assert text.count('src="data:image/png;base64,') == n_img
    assert not re.search(r'(src|href)="(https?:|file:|//)', text)
    for want in ("Timings", "label statistics", "Histogram", "phantom (window 40,400 HU)"):
        assert want in text, want
    imgs = _images_in_chromium(page)
    assert len(imgs) == n_img
    for im in imgs:
        assert im["complete"] and im["w"] > 0 and im["h"] > 0, im
        # Each PNG decodes to the size the page declares.
        assert (str(im["w"]), str(im["h"])) == (im["aw"], im["ah"]), im


def test_chromium_check_detects_a_broken_image(demo_out, tmp_path):
    # The check above is honest: a corrupt embedded PNG is reported with width 0.
    text = (demo_out / "report.html").read_text(encoding="utf-8")
    i = text.index("data:image/png;base64,") + len("data:image/png;base64,")
    bad = tmp_path / "bad.html"
    bad.write_text(text[:i] + "AAAA" + text[i + 4:], encoding="utf-8")
    imgs = _images_in_chromium(bad)
    assert imgs[0]["w"] == 0 and all(im["w"] > 0 for im in imgs[1:])


def test_demo_report_label_table_matches_the_mask(demo_out):
    # The label table's first row (the largest bone) has the voxel count of the
    # largest 26-connected component of the bone mask (scipy, read independently).
    bone = sitk.GetArrayFromImage(sitk.ReadImage(str(demo_out / "bone_mask.nii.gz")))
    lab, _ = ndimage.label(bone, structure=np.ones((3, 3, 3)))
    mask = lab == np.argmax(np.bincount(lab.ravel())[1:]) + 1
    text = (demo_out / "report.html").read_text(encoding="utf-8")
    table = text[text.index("label statistics"):]
    row = re.search(r"<tr><td class=\"n\">1</td><td class=\"n\">(\d+)</td>", table)
    assert row, table[:500]
    assert int(row.group(1)) == int(mask.sum())


def _png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def _rotation(rng):
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if rng.random() < 0.5:
        q[:, rng.integers(3)] *= -1  # reflections too (left-handed storage)
    return q


def _axcodes_lps(direction):
    """nibabel's aff2axcodes on the equivalent RAS affine, as LPS-'towards' letters."""
    aff = np.eye(4)
    aff[:3, :3] = np.diag([-1.0, -1.0, 1.0]) @ direction
    return "".join(nib.aff2axcodes(aff))


def _sitk_code(direction):
    return sitk.DICOMOrientImageFilter.GetOrientationFromDirectionCosines(
        [float(x) for x in direction.ravel()])


def test_orientation_letters_match_simpleitk_and_nibabel(tmp_path):
    rng = np.random.default_rng(12)
    perms = [np.eye(3)[:, p] for p in ([0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 2, 1])]
    dirs = [np.diag(s) @ p for p in perms for s in ([1, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1])]
    # Small and large obliquities (random rotations; some far from any axis).
    dirs += [_rotation(rng) for _ in range(14)]
    # 20° about z, then flipped: the classic tilted-gantry / oblique acquisitions.
    t = np.radians(20)
    rz = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    dirs += [rz, rz @ np.diag([-1, 1, -1])]
    n_sitk_valid = 0
    for n, d in enumerate(dirs):
        img = sitk.Image([3, 4, 5], sitk.sitkUInt8)
        img.SetDirection([float(x) for x in d.ravel()])
        p = tmp_path / f"o{n}.mha"
        sitk.WriteImage(img, str(p))
        got = info(p)["orientation"]
        assert got == _axcodes_lps(d), (d, got)
        code = _sitk_code(d)
        # ITK's letters are one per column's dominant axis; where that is a
        # permutation it must agree (and does for all non-degenerate directions).
        if sorted(c for c in code.replace("R", "L").replace("A", "P").replace("I", "S")) == ["L", "P", "S"]:
            n_sitk_valid += 1
            assert got == code, (d, got, code)
    assert n_sitk_valid >= 20


def test_degenerate_oblique_is_still_a_permutation(tmp_path):
    # Columns 0 and 1 both lean most on x: ITK repeats a letter ("RRS"); medvox
    # follows nibabel (the stronger axis j takes x, then i its best remaining axis).
    q = np.array([[-0.678993, -0.73126, 0.065016],
                  [0.59708, -0.601583, -0.530653],
                  [0.427158, -0.32149, 0.845092]])
    u, _, vt = np.linalg.svd(q)
    q = u @ vt  # exactly orthonormal
    assert np.argmax(abs(q[:, 0])) == np.argmax(abs(q[:, 1])) == 0
    # (ITK's own letters for this matrix vary across SimpleITK versions: "RRS" in
    # 2.5.7, "PRS" in the version installed here; nibabel's rule is the reference.)
    img = sitk.Image([3, 4, 5], sitk.sitkUInt8)
    img.SetDirection([float(x) for x in q.ravel()])
    p = tmp_path / "deg.mha"
    sitk.WriteImage(img, str(p))
    assert info(p)["orientation"] == _axcodes_lps(q) == "PRS"


def test_snapshot_aspect_and_errors(tmp_path):
    # 0.7 × 0.7 × 2.5 mm, 100 × 100 × 20: the coronal panel is 50/70 as tall as wide,
    # so the PNG is wider than the axial panel alone and about 512 + margins tall.
    arr = np.zeros((20, 100, 100), np.int16)
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing([0.7, 0.7, 2.5])
    p = tmp_path / "a.nii.gz"
    sitk.WriteImage(img, str(p))
    out = tmp_path / "a.png"
    medvox("snapshot", p, out, "--size", "200")
    w, h = _png_size(out)
    assert h == 4 + 22 + 200 + 40 + 22, (w, h)
    r = medvox("snapshot", p, tmp_path / "b.png", "--slice", "0,0,20", check=False)
    assert r.returncode == 1 and r.stderr.startswith("medvox: error:") and "outside the volume" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "b.png").exists()
    lab = sitk.GetImageFromArray(np.zeros((21, 100, 100), np.uint8))
    q = tmp_path / "l.nii.gz"
    sitk.WriteImage(lab, str(q))
    r = medvox("snapshot", p, tmp_path / "c.png", "--overlay", q, check=False)
    assert r.returncode == 1 and "does not match" in r.stderr, r.stderr
    assert not (tmp_path / "c.png").exists()
