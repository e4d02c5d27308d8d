#!/usr/bin/env bash
# Runs every medvox test on a fresh machine: installs what the tests need
# (system packages when run as root, a Python venv with the reference tools),
# builds in release mode, runs the Rust tests, then the reference cross-checks
# against SimpleITK / nibabel / pynrrd. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. System packages (Debian/Ubuntu, root only).
APT_PACKAGES=(python3-venv g++ mesa-vulkan-drivers chromium)  # g++: CharLS (JPEG-LS, compiled by vendor/charls-sys with the cc crate); mesa-vulkan-drivers: lavapipe for the GPU tests; chromium: headless check of report.html (tests/reference/test_view.py)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" || \
      echo "warning: could not install ${missing[*]} (continuing; python3 may already have venv)"
  fi
fi

# 2. Python venv with the reference implementations.
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r tests/reference/requirements.txt

# 3. Rust: format, lints, build, tests (release: numeric tests run fast).
# The build must not need cmake (issue 20: a fresh machine has only Rust and
# gcc/g++): a `cmake` that always fails goes first on PATH for every cargo step,
# and no build dependency may pull in the cmake crate.
nocmake=$(mktemp -d)
trap 'rm -rf "$nocmake"' EXIT
printf '#!/bin/sh\necho "cmake must not be needed to build medvox" >&2\nexit 1\n' >"$nocmake/cmake"
chmod +x "$nocmake/cmake"
export PATH="$nocmake:$PATH"
unset CMAKE
if cargo tree -q -e build,normal -i cmake >/dev/null 2>&1; then
  echo "error: a dependency needs the cmake crate (cargo tree -i cmake)" >&2; exit 1
fi
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --release -q -- -D warnings
cargo build --workspace --release
cargo test --workspace --release -q

# 4. The Python module (crates/medvox-py): an abi3 wheel built by maturin from the
# same target/ (only the extension crate relinks), installed into the venv.
rm -rf target/wheels
.venv/bin/maturin build --release -q -m crates/medvox-py/Cargo.toml --out target/wheels
.venv/bin/python -m pip install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/medvox-*.whl

# 5. Reference cross-checks with the release binary and the Python module.
MEDVOX_BIN="$PWD/target/release/medvox" .venv/bin/python -m pytest tests/reference -q
echo "all tests passed"
