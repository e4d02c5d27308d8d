#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ on stable Rust (SanitizerCoverage through
# -C passes / -C llvm-args, which stable rustc accepts; no cargo-fuzz or nightly
# needed) and runs each for SECONDS (default 900), seeded from the real images.
#   bash scripts/fuzz_io.sh [SECONDS] [TARGET...]     targets: nifti nrrd metaimage analyze
# Crashes land in fuzz/artifacts/TARGET/; copy them to fuzz/regressions/TARGET/,
# which `cargo test -p medvox-io --test hardening` replays.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-900}
shift || true
targets=("${@:-nifti nrrd metaimage analyze}")
read -r -a targets <<<"${targets[*]}"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/medvox-fuzz-target}
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
# --target: RUSTFLAGS then reach only the fuzzed code, not build scripts (as cargo-fuzz does).
triple=$(rustc -vV | sed -n "s/^host: //p")
cargo build --release --manifest-path fuzz/Cargo.toml --bins --target "$triple"
data=${MEDVOX_DATA:-../shared/data/real}
for t in "${targets[@]}"; do
  corpus=/tmp/medvox-fuzz-corpus/$t
  mkdir -p "$corpus" "fuzz/artifacts/$t"
  case $t in
    nifti) pat='.*\.nii(\.gz)?$' ;;
    nrrd) pat='.*\.n(rrd|hdr)$' ;;
    metaimage) pat='.*\.m(ha|hd)$' ;;
    analyze) pat='.*\.hdr$' ;;
  esac
  if [ -d "$data" ]; then
    find "$data" -regextype posix-extended -regex "$pat" -size -1024k -exec cp -n {} "$corpus/" \; 2>/dev/null || true
  fi
  cp -n fuzz/regressions/"$t"/* "$corpus/" 2>/dev/null || true
  echo "== $t: $secs s, corpus $(ls "$corpus" | wc -l) files"
  "$CARGO_TARGET_DIR/$triple/release/$t" "$corpus" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 \
    -max_len=1048576 -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 2>&1 | \
    grep -E "^(#[0-9]+ +DONE|stat::|==[0-9]+== ERROR|SUMMARY|artifact)" || true
done
