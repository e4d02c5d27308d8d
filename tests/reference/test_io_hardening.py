"""Issues 19 and 18, non-DICOM parts, through the `medvox` binary.

* Every crafted input class (NRRD/MetaImage pattern widths, long or control-character header values,
  FIFO and device data files, data files outside the header's folder, 8 GiB declared in a small
  raw / .nii.gz / gzip NRRD file, a tight --max-memory) is one `medvox: error:` line, exit 1, no panic
  text, peak RSS under 256 MB (os.wait4's ru_maxrss of the child), and finishes in seconds.
* SIGINT / SIGTERM during a .nii.gz write: exit 130 / 143 and no temporary left; a stale temporary of a
  dead process is removed by the next write to the folder.
* NaN: nibabel's resampled_anat_moved.nii keeps its 153 NaN through read, convert and write; `info`
  counts them and gives min/max/mean/std over the finite voxels (compared with nibabel + numpy nan*).
* 4D: `convert` writes every volume; NIfTI/NRRD/MetaImage outputs read back by SimpleITK / nibabel
  with the same voxels. NRRD with a time space (as SimpleITK writes 4D) and bzip2 (pynrrd) read.
"""
import gzip
import json
import os
import sys
import signal
import subprocess
import time

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from conftest import _bin, info, medvox, real

RSS_LIMIT_KB = 256 * 1024


_LAUNCH = (
    "import os, sys\n"
    "pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)\n"
    "_, st, ru = os.wait4(pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(ru.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(st))\n"
)


def run_rss(*args, timeout=30):
    """Runs medvox and measures its own peak RSS (os.wait4)."""
    t = time.monotonic()
    err_path = f"/tmp/medvox-hardening-{os.getpid()}.err"
    rss_path = f"/tmp/medvox-hardening-{os.getpid()}.rss"
    with open(err_path, "wb") as errf:
        # A small launcher spawns medvox: a child forked from pytest itself would
        # report pytest's own (large) peak RSS, which Linux carries across exec.
        p = subprocess.Popen([sys.executable, "-c", _LAUNCH, rss_path, str(_bin()), *map(str, args)],
                             stdout=subprocess.DEVNULL, stderr=errf)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                p.kill()
                raise AssertionError(f"medvox {args} hung")
            time.sleep(0.01)
    err = open(err_path, encoding="utf-8", errors="replace").read()
    os.unlink(err_path)
    p.returncode = os.waitstatus_to_exitcode(status)
    rss = int(open(rss_path).read())
    os.unlink(rss_path)
    return p.returncode, err, rss, time.monotonic() - t


def assert_clean_error(args, words=None):
    rc, err, rss, secs = run_rss(*args)
    assert rc == 1, (rc, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("medvox: error:"), err
    assert "panicked" not in err and "RUST_BACKTRACE" not in err
    assert not any(ord(c) < 32 and c not in "\n\t" for c in err), repr(err)
    assert len(err) < 4000, len(err)
    assert rss < RSS_LIMIT_KB, f"peak RSS {rss} KB"
    assert secs < 10, secs
    if words:
        assert words in err, err
    return err


NHDR = "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\n"
MHD = "ObjectType = Image\nNDims = 3\nDimSize = 2 3 4\nElementType = MET_UCHAR\n"


def crafted(tmp_path):
    """(name, file, words) for every crafted input class; files made here."""
    d = tmp_path
    cases = []

    def put(name, data, words):
        p = d / name
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
        cases.append((name, p, words))

    for w in ("65535", "65536", "99999999999999999999"):
        put(f"w{w}.nhdr", f"{NHDR}encoding: raw\ndata file: x.%{w}d 1 2 1\n", "too large")
        put(f"w{w}.mhd", f"{MHD}ElementDataFile = x.%{w}d 1 2 1\n", "too large")
    put("long.nrrd", "NRRD0004\ntype: " + "A" * 500_000 + "\n\n", None)
    put("esc.nrrd", "NRRD0004\ntype: \x1b]0;pwned\x07\x1b[31m\n\n", "\\x1b")
    os.mkfifo(d / "fifo.raw")
    os.symlink("/dev/zero", d / "zero.raw")
    os.symlink("/dev/urandom", d / "rand.raw")
    for enc in ("raw", "gzip", "bzip2"):
        for f in ("fifo.raw", "zero.raw", "rand.raw"):
            put(f"{enc}-{f}.nhdr", f"{NHDR}encoding: {enc}\ndata file: {f}\n", "not a regular file")
    for f in ("fifo.raw", "zero.raw", "rand.raw"):
        put(f"z-{f}.mhd", f"{MHD}CompressedData = True\nElementDataFile = {f}\n", "not a regular file")
    for spec in ("../../../etc/passwd", "/etc/passwd", "/etc/shadow"):
        tag = spec.replace("/", "_")
        put(f"out{tag}.nhdr", f"{NHDR}encoding: raw\ndata file: {spec}\n", "outside the header's folder")
        put(f"out{tag}.mhd", f"{MHD}ElementDataFile = {spec}\n", "outside the header's folder")
    big = b"NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2048 2048 2048\n"
    put("big-raw.nrrd", big + b"encoding: raw\n\n" + bytes(100), "bytes")
    put("big-gz.nrrd", big + b"encoding: gzip\n\n" + gzip.compress(bytes(1000)), "bytes")
    put("big-bz2.nrrd", big + b"encoding: bzip2\n\nBZh9" + bytes(100), None)
    hdr = bytearray(352)
    hdr[0:4] = (348).to_bytes(4, "little")
    for i, v in enumerate([3, 2048, 2048, 2048, 1, 1, 1, 1]):
        hdr[40 + 2 * i : 42 + 2 * i] = v.to_bytes(2, "little")
    hdr[70:72] = (2).to_bytes(2, "little")  # uint8
    hdr[72:74] = (8).to_bytes(2, "little")
    hdr[76:80] = np.float32(1).tobytes()
    for i in range(3):
        hdr[80 + 4 * i : 84 + 4 * i] = np.float32(1).tobytes()
    hdr[108:112] = np.float32(352).tobytes()
    hdr[344:348] = b"n+1\0"
    put("big.nii.gz", gzip.compress(bytes(hdr) + bytes(4096)), "bytes")
    put("big.nii", bytes(hdr) + bytes(64), "bytes")
    return cases


def test_crafted_inputs_are_one_line_errors_with_bounded_memory(tmp_path):
    for name, path, words in crafted(tmp_path):
        for cmd in (["info", path], ["convert", path, tmp_path / "o.nii.gz"]):
            try:
                assert_clean_error(cmd, words)
            except AssertionError as e:
                raise AssertionError(f"{name} {cmd[0]}: {e}") from None
    assert not (tmp_path / "o.nii.gz").exists()


def test_max_memory_and_allow_outside_data(tmp_path):
    inner = tmp_path / "in"
    inner.mkdir()
    np.arange(24, dtype=np.uint8).tofile(tmp_path / "d.raw")
    h = inner / "h.nhdr"
    h.write_text(f"{NHDR}encoding: raw\ndata file: ../d.raw\n")
    assert_clean_error(["info", h], "--allow-outside-data")
    meta = json.loads(medvox("--allow-outside-data", "info", h, "--json").stdout)
    assert meta["max"] == 23
    assert_clean_error(["--max-memory", "10", "--allow-outside-data", "info", h], "limit")
    assert_clean_error(["--max-memory", "lots", "info", h], "--max-memory")


def big_input(tmp_path):
    """A 4D float NRRD whose .nii.gz write at level 9 takes well over a second."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 64, 256, 256)).astype("<f4")
    p = tmp_path / "big.nrrd"
    with open(p, "wb") as f:
        f.write(b"NRRD0004\ntype: float\ndimension: 4\nsizes: 256 256 64 4\nendian: little\nencoding: raw\n\n")
        a.tofile(f)
    return p


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_write_leaves_nothing(tmp_path, sig, code):
    src = big_input(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    dst = out / "x.nii.gz"
    p = subprocess.Popen([str(_bin()), "convert", src, dst, "--level", "9"], stderr=subprocess.PIPE)
    # Wait until the temporary exists, then interrupt.
    deadline = time.monotonic() + 30
    while not any(".medvox-" in n for n in os.listdir(out)):
        assert p.poll() is None, p.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    p.send_signal(sig)
    p.wait(timeout=30)
    assert p.returncode == code, (p.returncode, p.stderr.read())
    assert os.listdir(out) == []


def test_stale_temporaries_are_removed_by_the_next_write(tmp_path):
    stale = tmp_path / ".x.nii.gz.medvox-2147483000-AbCdEf.tmp"
    stale.write_bytes(b"partial")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    unrelated = tmp_path / ".notes.tmp"
    unrelated.write_bytes(b"keep")
    src = real("nifti/nibabel/anatomical.nii")
    medvox("convert", src, tmp_path / "x.nii.gz")
    assert not stale.exists() and unrelated.exists()


NAN_FILE = "nifti/nibabel/resampled_anat_moved.nii"


def test_nan_kept_and_statistics_over_finite_voxels(tmp_path):
    src = real(NAN_FILE)
    ref = np.asanyarray(nib.load(str(src)).dataobj).astype(np.float64)
    n_nan = int(np.isnan(ref).sum())
    assert n_nan == 153
    meta = info(src)
    assert meta["nan_count"] == n_nan and meta["inf_count"] == 0
    for k, f in [("min", np.nanmin), ("max", np.nanmax), ("mean", np.nanmean), ("std", np.nanstd)]:
        np.testing.assert_allclose(meta[k], f(ref), rtol=1e-6, atol=1e-6, err_msg=k)
    for out in ("x.nii.gz", "x.nrrd", "x.mha"):
        dst = tmp_path / out
        medvox("convert", src, dst)
        assert info(dst)["nan_count"] == n_nan
        if out.endswith(".nii.gz"):
            back = np.asanyarray(nib.load(str(dst)).dataobj).astype(np.float64)
        else:
            back = sitk.GetArrayFromImage(sitk.ReadImage(str(dst))).T.astype(np.float64)
        np.testing.assert_array_equal(back, ref)  # NaN == NaN for assert_array_equal


@pytest.mark.parametrize("out", ["x.nii.gz", "x.nrrd", "x.nhdr", "x.mha", "x.mhd"])
def test_4d_convert_writes_every_volume(tmp_path, out):
    src = real("nifti/nibabel/example4d.nii.gz")
    ref = sitk.ReadImage(str(src))
    assert ref.GetDimension() == 4
    dst = tmp_path / out
    r = medvox("convert", src, dst)
    assert "writing volume" not in r.stderr
    got = sitk.ReadImage(str(dst))
    assert got.GetDimension() == 4 and got.GetSize() == ref.GetSize()
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(got), sitk.GetArrayViewFromImage(ref))
    np.testing.assert_allclose(got.GetSpacing()[:3], ref.GetSpacing()[:3], atol=1e-5)
    np.testing.assert_allclose(got.GetOrigin()[:3], ref.GetOrigin()[:3], atol=1e-4)
    d = np.array(got.GetDirection()).reshape(4, 4)[:3, :3]
    np.testing.assert_allclose(d, np.array(ref.GetDirection()).reshape(4, 4)[:3, :3], atol=1e-5)
    assert info(dst)["volumes"] == ref.GetSize()[3]


def test_nrrd_time_space_from_simpleitk_and_bzip2_from_pynrrd(tmp_path):
    nrrd = pytest.importorskip("nrrd")
    src = real("nifti/nibabel/example4d.nii.gz")
    ref = sitk.ReadImage(str(src))
    sitk_nrrd = tmp_path / "sitk.nrrd"
    sitk.WriteImage(ref, str(sitk_nrrd))
    assert b"space dimension: 4" in sitk_nrrd.read_bytes()[:1000]  # SimpleITK's 4D NRRD: space + time
    dst = tmp_path / "back.nii.gz"
    medvox("convert", sitk_nrrd, dst)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(sitk.ReadImage(str(dst))), sitk.GetArrayFromImage(ref))  # copies: a view of a temporary image dangles
    a = np.arange(5 * 6 * 7, dtype=np.int16).reshape(5, 6, 7) - 100
    bz = tmp_path / "bz.nrrd"
    nrrd.write(str(bz), a, {"encoding": "bzip2", "space": "left-posterior-superior",
                            "space directions": np.diag([0.5, 1.0, 2.0]), "space origin": [1.0, 2.0, 3.0]})
    meta = info(bz)
    assert meta["size"] == [5, 6, 7] and meta["spacing"] == [0.5, 1.0, 2.0]
    medvox("convert", bz, tmp_path / "bz.mha")
    np.testing.assert_array_equal(sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "bz.mha"))).T, a)
