#!/usr/bin/env bash
# GPU benchmark on a machine with a real GPU: medvox kernels (--device gpu) and CuPy's
# cupyx.scipy.ndimage (../shared/bench/gpu-peers/run_cupy.py) on the same smooth_512 volume.
# Usage: bash bench/gpu/run_gpu_bench.sh [MEDVOX_BIN] [OUT_DIR]
# Prints JSON lines: medvox's (kernel_seconds, end_to_end_seconds, bytes_per_voxel,
# gb_per_second) and CuPy's (device_s, end_to_end_s, device copy bandwidth).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release/medvox}
OUT=${2:-/tmp/medvox-gpu-bench}
mkdir -p "$OUT"
"$BIN" gpu info
[ -f "$OUT/smooth_512.nrrd" ] || python3 bench/gpu/make_volumes.py "$OUT" --size 512
for op in "gaussian --sigma-voxels 2" "median --radius 1" "erode --radius 2 --kernel ball" \
          "erode --radius 2 --kernel box" "sobel" "gradient-magnitude" "mean --radius 2" \
          "window --center 40 --width 400"; do
  # shellcheck disable=SC2086
  "$BIN" --device gpu bench $op --input "$OUT/smooth_512.nrrd" --repeat 20 --json | tee -a "$OUT/medvox.jsonl"
done
PEERS=${PEERS:-../shared/bench/gpu-peers/run_cupy.py}
[ -f "$PEERS" ] && python3 "$PEERS" --size 512 --reps 20 --out "$OUT/cupy.jsonl"
