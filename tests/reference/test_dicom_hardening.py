"""Malformed and hostile DICOM (issue 19): every crafted file below is built at
test time from a small real seed, and medvox must answer with exactly one
`medvox: error:` line, exit status 1, no panic text, and a peak RSS under
256 MB (measured with getrusage in a fresh parent process).
"""

import json
import resource  # noqa: F401  (used by the child wrapper; Unix only)
import shutil
import struct
import subprocess
import sys
import zlib

import pytest

from conftest import _bin, medvox, real

pydicom = pytest.importorskip("pydicom")

RSS_LIMIT_KB = 256 * 1024

# Runs medvox in a fresh Python parent so that RUSAGE_CHILDREN is medvox's peak RSS only.
WRAPPER = (
    "import json, resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60)\n"
    "print(json.dumps([r.returncode, r.stderr, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n"
)


def run_bounded(*args, env=None):
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(_bin()), *map(str, args)],
        capture_output=True, text=True, timeout=90, env=env,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def assert_clean_error(rc, err, rss, name=None):
    assert rc == 1, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("medvox: error:"), err
    assert "panicked" not in err and "RUST_BACKTRACE" not in err
    assert rss < RSS_LIMIT_KB, f"peak RSS {rss} KB"
    if name:
        assert name in err


def seed(rel):
    return pydicom.dcmread(str(real(rel)))


def save(ds, path):
    ds.save_as(str(path), enforce_file_format=True)
    return path


def patch(data, needle, offset, value, count=1):
    """Overwrites 4 bytes at `offset` after the count-th occurrence of `needle`."""
    at = -1
    for _ in range(count):
        at = data.index(needle, at + 1)
    b = bytearray(data)
    b[at + offset: at + offset + 4] = struct.pack("<I", value)
    return bytes(b)


def crafted(tmp_path):
    """name -> path of each crafted input."""
    out = {}
    ct = "dicom/pydicom_test_files/CT_small.dcm"

    ds = seed(ct)
    ds.Rows = ds.Columns = 65535
    ds.NumberOfFrames = 65535
    out["dims_65535_cubed"] = save(ds, tmp_path / "dims.dcm")

    ds = seed(ct)
    ds.Rows = ds.Columns = 4096
    ds.NumberOfFrames = 65535
    out["frames_65535_of_4096sq"] = save(ds, tmp_path / "frames.dcm")

    # Native PixelData length 0xFFFFFFF0 in a 39 KB file.
    raw = real(ct).read_bytes()
    out["pixel_length_4g"] = tmp_path / "pixlen.dcm"
    out["pixel_length_4g"].write_bytes(patch(raw, b"\xe0\x7f\x10\x00OW\x00\x00", 8, 0xFFFFFFF0))

    # A UN element whose length is 0xFFFFFFF0.
    ds = seed(ct)
    ds.add_new(0x00091001, "UN", b"abcd")
    p = save(ds, tmp_path / "un_tmp.dcm")
    out["un_length_4g"] = tmp_path / "unlen.dcm"
    out["un_length_4g"].write_bytes(patch(p.read_bytes(), b"\x09\x00\x01\x10UN\x00\x00", 8, 0xFFFFFFF0))

    # RLE: segment count 0xFFFFFFFF in the first frame's header (item 2 = first fragment).
    rle = real("dicom/pydicom_test_files/MR_small_RLE.dcm").read_bytes()
    out["rle_segments_ffffffff"] = tmp_path / "rleseg.dcm"
    out["rle_segments_ffffffff"].write_bytes(patch(rle, b"\xfe\xff\x00\xe0", 8, 0xFFFFFFFF, count=2))

    ds = seed("dicom/pydicom_test_files/MR_small_RLE.dcm")
    ds.NumberOfFrames = 1000000
    out["rle_1e6_frames"] = save(ds, tmp_path / "rleframes.dcm")

    # JPEG-LS data relabelled as RLE.
    ds = seed("dicom/pydicom_test_files/MR_small_jpeg_ls_lossless.dcm")
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.5"
    out["jpegls_as_rle"] = save(ds, tmp_path / "lsrle.dcm")

    # JPEG lossless (.70) CT slice with Columns 512 -> 3 (a decoder panic before).
    ds = seed("dicom/ct_codec_matrix/CTImage.dcm_JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70.dcm")
    ds.Columns = 3
    out["jpeg_columns_3"] = save(ds, tmp_path / "jpegcols.dcm")

    # JPEG 2000 single frame declaring 65535 frames.
    ds = seed("dicom/pydicom_test_files/MR_small_jp2klossless.dcm")
    ds.NumberOfFrames = 65535
    out["j2k_65535_frames"] = save(ds, tmp_path / "j2kframes.dcm")

    # JPEG 2000 with Rows/Columns smaller than its codestream.
    ds = seed("dicom/pydicom_test_files/MR_small_jp2klossless.dcm")
    ds.Rows = ds.Columns = 8
    out["j2k_larger_than_frame"] = save(ds, tmp_path / "j2ksmall.dcm")

    # Deflated data set whose PixelData inflates to 100 MB (run with a 64 MB budget).
    ds = seed(ct)
    ds.Rows = ds.Columns = 4096
    ds.NumberOfFrames = 3
    ds.PixelData = bytes(4096 * 4096 * 2 * 3)
    ds["PixelData"].VR = "OW"
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1.99"
    out["deflate_bomb"] = save(ds, tmp_path / "deflate.dcm")
    assert out["deflate_bomb"].stat().st_size < 1 << 20
    return out


CASES = [
    "dims_65535_cubed", "frames_65535_of_4096sq", "pixel_length_4g", "un_length_4g",
    "rle_segments_ffffffff", "rle_1e6_frames", "jpegls_as_rle", "jpeg_columns_3",
    "j2k_65535_frames", "j2k_larger_than_frame", "deflate_bomb",
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return crafted(tmp_path_factory.mktemp("crafted"))


@pytest.mark.parametrize("case", CASES)
def test_crafted_dicom_clean_error_bounded_memory(inputs, case, tmp_path):
    import os

    env = dict(os.environ)
    if case == "deflate_bomb":
        env["MEDVOX_MAX_BYTES"] = str(64 << 20)
    src = inputs[case]
    rc, err, rss = run_bounded("convert", src, tmp_path / "x.nii", env=env)
    assert_clean_error(rc, err, rss, src.name)
    assert not (tmp_path / "x.nii").exists()
    # Listing reads headers only: it may list the file or report it, never crash.
    rc, err, rss = run_bounded("dicom", "ls", src, env=env)
    assert rc in (0, 1) and "panicked" not in err and rss < RSS_LIMIT_KB, err


def test_un_sequence_ls_bounded(tmp_path):
    src = real("dicom/pydicom_test_files/UN_sequence.dcm")
    rc, err, rss = run_bounded("dicom", "ls", src)
    assert "panicked" not in err and rss < RSS_LIMIT_KB, (rss, err)


# Real files dicom-rs could not write back before (its writer hit `unreachable!`
# on sequences and encapsulated pixel data whose header VR was not SQ / OB).
DEID_FILES = [
    "dicom/pydicom_data/liver.dcm",
    "dicom/pydicom_data/liver_deflate.dcm",
    "dicom/pydicom_data/liver_expb.dcm",
    "dicom/pydicom_data/liver_nonbyte_aligned.dcm",
    "dicom/pydicom_data/liver_nonbyte_aligned_deflate.dcm",
    "dicom/pydicom_data/vlut_04.dcm",
    "dicom/pydicom_data/explicit_VR-UN.dcm",
    "dicom/pydicom_test_files/image_dfl.dcm",
    "dicom/pydicom_test_files/liver_1frame.dcm",
    "dicom/pydicom_test_files/liver_expb_1frame.dcm",
    "dicom/pydicom_test_files/rtdose_rle.dcm",
]


@pytest.mark.parametrize("rel", DEID_FILES)
def test_deid_real_files_written_and_readable(tmp_path, rel):
    src = real(rel)
    out = tmp_path / "anon.dcm"
    r = medvox("dicom", "deid", src, out, "--salt", "t")
    assert "panicked" not in r.stderr
    a, b = pydicom.dcmread(str(src)), pydicom.dcmread(str(out))
    assert b.PatientIdentityRemoved == "YES"
    assert b.SOPInstanceUID != a.SOPInstanceUID and b.SOPInstanceUID.startswith("2.25.")
    assert b.file_meta.MediaStorageSOPInstanceUID == b.SOPInstanceUID
    if "PixelData" in a:
        assert b.PixelData == a.PixelData


def test_deid_unreadable_file_fails_unless_skipped(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(real("dicom/pydicom_test_files/CT_small.dcm"), d / "a.dcm")
    (d / "b.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\x00")
    r = medvox("dicom", "deid", d, tmp_path / "out", check=False)
    assert r.returncode == 1 and r.stderr.count("medvox: error:") == 1 and "b.dcm" in r.stderr
    r = medvox("dicom", "deid", d, tmp_path / "out2", "--skip-unreadable")
    assert "b.dcm" in r.stderr and (tmp_path / "out2" / "a.dcm").exists()
