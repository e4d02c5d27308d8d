#!/usr/bin/env python3
"""Deterministic mutation run of the medvox-io readers through the release binary (issue 19).

Seeds: every NIfTI, Analyze, NRRD and MetaImage file under ../shared/data/real up to --max-seed-bytes
(detached headers with their data files). Mutants: bit flips, random bytes, truncation, appended
junk, chunk duplication, and header-aware edits (numbers in text headers or NIfTI header fields
replaced by extreme values, lines duplicated or dropped, data-file names pointed at FIFOs, devices
and outside paths). Each mutant runs `medvox info` and `medvox convert` under `prlimit --as` and
`timeout`, and is classed:

  ok        exit 0, or exit 1 with exactly one `medvox: error:` line
  panic     exit 101 or "panicked" on stderr
  abort     killed by SIGABRT/SIGSEGV/SIGBUS/SIGKILL (allocation failure, stack overflow…)
  timeout   over --timeout seconds
  unclean   any other exit status or stderr shape (several lines, control characters)

Inputs of every class but ok are copied to --findings. Exit status 1 if any was found.

    python3 scripts/mutate_io.py --count 10000 --jobs 2
"""
import argparse
import collections
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXTS = (".nii", ".nii.gz", ".hdr", ".hdr.gz", ".nrrd", ".nhdr", ".mha", ".mhd")
EXTREME = ["0", "-1", "1", "65535", "65536", "2147483647", "4294967296", "9223372036854775807",
           "-9223372036854775808", "1e308", "nan", "inf", "-0", "3.5", "99999999999999999999", ""]
DATA_TARGETS = ["/dev/zero", "/dev/urandom", "fifo", "../../etc/passwd", "/etc/passwd", "x.%65536d 1 2 1",
                "x.%d 1 99999999 1", "LIST", "x.%0255d -5 5 1"]


def seeds(root, max_bytes):
    out = []
    for p in sorted(root.rglob("*")):
        name = p.name.lower()
        if not p.is_file() or not name.endswith(EXTS) or "dicom" in p.parts:
            continue
        if p.stat().st_size > max_bytes:
            continue
        out.append(p)
    return out


def companions(seed):
    """Files a detached header names (copied beside every mutant)."""
    extra = []
    if seed.name.lower().endswith((".nhdr", ".mhd", ".mha")):
        text = seed.read_bytes()[:65536].decode("latin-1")
        for m in re.finditer(r"^(?:data file|datafile|ElementDataFile)\s*[:=]\s*(\S+)", text, re.M | re.I):
            name = m.group(1)
            if name not in ("LOCAL", "LIST") and "%" not in name:
                extra.append(seed.parent / name)
    if seed.name.lower().endswith((".hdr", ".hdr.gz")):
        stem = seed.name[: -len(".hdr.gz")] if seed.name.lower().endswith(".gz") else seed.name[:-4]
        for e in (".img", ".img.gz", ".IMG"):
            extra.append(seed.parent / (stem + e))
    return [e for e in extra if e.is_file() and e.stat().st_size < 64 << 20]


def mutate(data, rng):
    b = bytearray(data)
    kind = rng.randrange(9)
    text_end = b.find(b"\n\n") if b[:4] in (b"NRRD", b"Obje", b"NDim") or b"ObjectType" in b[:200] else -1
    if kind == 0 and b:  # bit flips
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == 1 and b:  # random bytes in the first 1 KB (headers)
        for _ in range(rng.randint(1, 6)):
            b[rng.randrange(min(len(b), 1024))] = rng.randrange(256)
    elif kind == 2 and b:  # truncation
        del b[rng.randrange(len(b)):]
    elif kind == 3:  # appended junk
        b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 4096)))
    elif kind == 4 and len(b) > 8:  # duplicate a chunk
        i = rng.randrange(len(b))
        j = min(len(b), i + rng.randint(1, 512))
        b[i:i] = b[i:j]
    elif kind in (5, 6, 7):  # header-aware: numbers replaced by extreme values
        head_len = text_end if text_end > 0 else min(len(b), 2048)
        head = b[:head_len].decode("latin-1")
        nums = list(re.finditer(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", head))
        if kind == 7 and text_end > 0:
            lines = head.split("\n")
            if rng.random() < 0.5 and lines:
                i = rng.randrange(len(lines))
                lines.insert(i, lines[i])
            elif lines:
                del lines[rng.randrange(len(lines))]
            if rng.random() < 0.3:
                key = "data file: " if b[:4] == b"NRRD" else "ElementDataFile = "
                lines.append(key + rng.choice(DATA_TARGETS))
            head = "\n".join(lines)
        elif nums:
            for _ in range(rng.randint(1, 3)):
                m = rng.choice(nums)
                head = head[: m.start()] + rng.choice(EXTREME) + head[m.end():]
                nums = list(re.finditer(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", head))
                if not nums:
                    break
        elif len(b) >= 348:  # binary NIfTI/Analyze header fields
            for _ in range(rng.randint(1, 3)):
                off = rng.choice([0, 40, 42, 44, 46, 48, 56, 68, 70, 72, 76, 80, 84, 88, 108, 112, 116,
                                  252, 254, 256, 280, 344])
                width = rng.choice([2, 4, 8])
                val = rng.choice([0, 1, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 2**63 - 1])
                b[off : off + width] = (val & ((1 << (8 * width)) - 1)).to_bytes(width, rng.choice(["little", "big"]))
            return bytes(b)
        b[:head_len] = head.encode("latin-1")
    else:  # zero a run
        if b:
            i = rng.randrange(len(b))
            b[i : i + rng.randint(1, 64)] = bytes(min(len(b) - i, 64))
    return bytes(b)


def classify(rc, err):
    if rc == 124:
        return "timeout"
    if rc == 101 or "panicked" in err:
        return "panic"
    if rc < 0 or rc in (134, 137, 139, 135):
        return "abort"
    if rc == 0:
        return "ok"
    lines = [line for line in err.splitlines() if line.strip()]
    if rc == 1 and len(lines) == 1 and lines[0].startswith("medvox: error:") and \
            not any(ord(c) < 32 and c != "\t" for c in lines[0]):
        return "ok"
    return "unclean"


def run_one(binary, case_dir, mutant, args, as_bytes, timeout):
    cmd = ["prlimit", f"--as={as_bytes}", "timeout", "-s", "KILL", "-k", "1", str(timeout), str(binary), *args]
    t = time.monotonic()
    r = subprocess.run(cmd, cwd=case_dir, capture_output=True)
    rc = r.returncode
    if rc == -9 and time.monotonic() - t >= timeout:
        rc = 124
    return classify(rc, r.stderr.decode("utf-8", "replace")), r.stderr.decode("utf-8", "replace")[-500:]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(REPO / "target/release/medvox"))
    ap.add_argument("--data", default=str(REPO.parent / "shared/data/real"))
    ap.add_argument("--count", type=int, default=10000, help="mutants (each run with info and convert)")
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--as-bytes", type=int, default=8 << 30, help="prlimit --as cap")
    ap.add_argument("--max-seed-bytes", type=int, default=4 << 20)
    ap.add_argument("--findings", default="/tmp/medvox-mutate-findings")
    ap.add_argument("--no-convert", action="store_true", help="run info only")
    a = ap.parse_args()
    seed_files = seeds(Path(a.data), a.max_seed_bytes)
    if not seed_files:
        sys.exit(f"no seeds under {a.data}")
    print(f"{len(seed_files)} seeds, {a.count} mutants, binary {a.bin}", flush=True)
    findings = Path(a.findings)
    findings.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="medvox-mutate-"))
    counts = collections.Counter()
    per_ext = collections.Counter()
    cache = {}

    def job(i):
        rng = random.Random(a.seed * 1_000_003 + i)
        seed = seed_files[i % len(seed_files)]
        data = cache.get(seed)
        if data is None:
            data = cache.setdefault(seed, seed.read_bytes())
        case = work / f"c{i}"
        case.mkdir()
        for c in companions(seed):
            shutil.copy(c, case / c.name)
        os.mkfifo(case / "fifo")
        mutant = case / seed.name
        mutant.write_bytes(mutate(data, rng))
        results = []
        runs = [["info", mutant.name]]
        if not a.no_convert:
            runs.append(["convert", mutant.name, "out.nii.gz"])
        for args in runs:
            cls, tail = run_one(a.bin, case, mutant, args, a.as_bytes, a.timeout)
            results.append((args[0], cls, tail))
        bad = [(c, cls, tail) for c, cls, tail in results if cls != "ok"]
        if bad:
            keep = findings / f"{i:06d}-{bad[0][1]}-{seed.name}"
            shutil.copytree(case, keep, dirs_exist_ok=True, ignore=lambda d, names: [n for n in names if n == "fifo"])
            (keep / "why.txt").write_text("\n".join(f"{c}: {cls}: {tail}" for c, cls, tail in bad))
        shutil.rmtree(case, ignore_errors=True)
        return seed, results

    t0 = time.monotonic()
    with ThreadPoolExecutor(a.jobs) as ex:
        for n, (seed, results) in enumerate(ex.map(job, range(a.count)), 1):
            for _, cls, _ in results:
                counts[cls] += 1
            per_ext[Path(seed.name.lower().removesuffix(".gz")).suffix] += 1
            if n % 500 == 0:
                print(f"{n} mutants, {time.monotonic() - t0:.0f} s: {dict(counts)}", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    runs = sum(counts.values())
    print(f"done: {a.count} mutants, {runs} runs in {time.monotonic() - t0:.0f} s; seeds by type {dict(per_ext)}")
    print("classes: " + ", ".join(f"{k} {counts[k]}" for k in ("ok", "panic", "abort", "timeout", "unclean")))
    bad = runs - counts["ok"]
    if bad:
        print(f"findings in {findings}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
