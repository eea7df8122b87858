#!/usr/bin/env bash
# Installs whatever is missing on Debian 12 (apt-get) and builds Release into build/. Idempotent: a second run
# installs nothing and rebuilds only what changed.
#   scripts/setup.sh [--no-install] [--no-build]
# Environment: EFM_BUILD_DIR (default build), EFM_CMAKE_ARGS (extra configure arguments), EFM_JOBS (default nproc).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

install=1 build=1
for arg in "$@"; do
  case "$arg" in
    --no-install) install=0 ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

# Build tools, the C++ libraries (third_party/README.md lists versions and licences), and Debian's Python
# packages used by golden tests and reference benchmarks. libopenblas0-pthread replaces the reference BLAS that
# LibTorch would otherwise load (~20x slower). libdnnl-dev: headers of oneDNN, which LibTorch loads anyway; its sgemm
# runs the models' Linear products. libbiosig-dev (GPL-3+) enables the tolerant reader. chromium renders
# report.html headless in the heads integration test (a screenshot; skipped loudly without it).
packages=(
  git cmake g++ ninja-build ccache pkg-config
  libtorch-dev libeigen3-dev libhdf5-dev libedf-dev libfmt-dev libspdlog-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libopenblas0-pthread libgloo-dev libbiosig-dev libdnnl-dev
  python3 python3-numpy python3-mne python3-scipy python3-h5py python3-torch python3-sklearn
  chromium
)

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
fi

if [ "$build" = 1 ]; then
  build_dir="${EFM_BUILD_DIR:-build}"
  jobs="${EFM_JOBS:-$(nproc)}"
  biosig=OFF
  if [ -f /usr/include/biosig.h ]; then biosig=ON; fi
  # shellcheck disable=SC2086
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEFM_WITH_BIOSIG=$biosig ${EFM_CMAKE_ARGS:-} \
    > "$build_dir.configure.log" 2>&1 || { cat "$build_dir.configure.log"; exit 1; }
  echo "[setup] building $build_dir with $jobs jobs (first build takes several minutes; ccache speeds up later ones)"
  cmake --build "$build_dir" -j "$jobs"
  echo "[setup] built $build_dir/epilepsyfm"
fi
