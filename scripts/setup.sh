#!/usr/bin/env bash
# Installs whatever is missing and builds Release into build/. Idempotent: a second run installs nothing and
# rebuilds only what changed.
#   1. Debian 12 packages (apt-get): compiler, build tools, the C++ libraries, Python references for the tests;
#   2. LibTorch: the pinned pip torch wheel (scripts/requirements/torch-cpu.txt) in the project's virtual
#      environment .venv; CMake finds it through torch.utils.cmake_prefix_path; the interop tests' Python references
#      (braindecode, scripts/requirements/reference*.txt) in a second one, .venv-ref;
#   3. configure (build.configure.log) and build.
#   scripts/setup.sh [--no-install] [--no-build]
# Environment: EFM_BUILD_DIR (default build), EFM_CMAKE_ARGS (extra configure arguments), EFM_JOBS (default nproc),
# EFM_VENV (default .venv), EFM_REF_VENV (default .venv-ref), EFM_PYTHON (the Python that creates the venvs, default
# python3).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

install=1 build=1
for arg in "$@"; do
  case "$arg" in
    --no-install) install=0 ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

# Build tools, the C++ libraries (third_party/README.md lists versions and licences), and Debian's Python packages
# used by golden tests and reference benchmarks (MNE, SciPy, h5py, scikit-learn). libbiosig-dev (GPL-3+) enables the
# tolerant reader. chromium renders report.html headless in the heads integration test (a screenshot; skipped loudly
# without it).
packages=(
  git cmake g++ ninja-build ccache pkg-config python3 python3-venv python3-pip
  libeigen3-dev libhdf5-dev libedf-dev libfmt-dev libspdlog-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbiosig-dev
  python3-numpy python3-mne python3-scipy python3-h5py python3-sklearn
  chromium
)
venv="${EFM_VENV:-.venv}"
ref_venv="${EFM_REF_VENV:-.venv-ref}"
requirements=scripts/requirements/torch-cpu.txt

# ensure_requirements VENV FILE [pip options]: creates VENV if needed and installs FILE unless every name in it is
# installed at its pinned version.
ensure_requirements() {
  local env="$1" req="$2"
  shift 2
  if [ ! -x "$env/bin/python" ]; then
    echo "[setup] creating the virtual environment $env"
    "${EFM_PYTHON:-python3}" -m venv "$env"
  fi
  if "$env/bin/python" - "$req" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, _, pinned = line.partition("==")
    have = version(name.split(">")[0]).split("+")[0]
    if pinned and have != pinned:
        sys.exit(1)
PY
    echo "[setup] $env has $(grep -v '^#' "$req" | tr '\n' ' ')"
  else
    echo "[setup] installing $req into $env (pip $*)"
    "$env/bin/python" -m pip install -q --disable-pip-version-check "$@" -r "$req"
  fi
}

if [ "$install" = 1 ]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "[setup] installing ${#missing[@]} missing Debian packages: ${missing[*]}"
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
  else
    echo "[setup] all ${#packages[@]} Debian packages present"
  fi
  # LibTorch from the pinned wheel in $venv; the interop tests' Python references (braindecode's Labram and what
  # it imports, MNE, SciPy and scikit-learn among them) in $ref_venv with the same torch, so that the golden tests
  # keep Debian's MNE, SciPy and scikit-learn as their references. A venv whose installed set already satisfies a
  # requirements file is left alone.
  ensure_requirements "$venv" "$requirements"
  ensure_requirements "$ref_venv" "$requirements"
  ensure_requirements "$ref_venv" scripts/requirements/reference.txt
  ensure_requirements "$ref_venv" scripts/requirements/reference-nodeps.txt --no-deps
fi

if [ "$build" = 1 ]; then
  build_dir="${EFM_BUILD_DIR:-build}"
  jobs="${EFM_JOBS:-$(nproc)}"
  if [ ! -x "$venv/bin/python" ]; then
    echo "setup.sh: $venv/bin/python not found: run scripts/setup.sh without --no-install first" >&2
    exit 1
  fi
  torch_prefix="$("$venv/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
  biosig=OFF
  if [ -f /usr/include/biosig.h ]; then biosig=ON; fi
  # shellcheck disable=SC2086
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEFM_WITH_BIOSIG=$biosig \
    -DCMAKE_PREFIX_PATH="$torch_prefix" -DEFM_TORCH_PYTHON="$PWD/$venv/bin/python" \
    -DEFM_REFERENCE_PYTHON="$PWD/$ref_venv/bin/python" ${EFM_CMAKE_ARGS:-} \
    > "$build_dir.configure.log" 2>&1 || { cat "$build_dir.configure.log"; exit 1; }
  grep -E "^-- epilepsyfm " "$build_dir.configure.log" || true
  echo "[setup] building $build_dir with $jobs jobs (first build takes several minutes; ccache speeds up later ones)"
  cmake --build "$build_dir" -j "$jobs"
  echo "[setup] built $build_dir/epilepsyfm"
fi
