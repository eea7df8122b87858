#!/usr/bin/env bash
# Configures and builds the whole project (library, CLI, tests, benches) against a CUDA LibTorch with the CUDA
# toolkit: by default the pinned CUDA wheel (scripts/requirements/torch-cuda.txt) in .venv-cuda, or a LibTorch you
# downloaded or a CUDA PyTorch you already have. CI runs it as a compile-and-link check; on a GPU node
# scripts/gpu_check.sh builds the same way and runs the tests labelled `cuda`.
#   scripts/build_cuda.sh [--torch-dir DIR | --torch-python PY] [--cuda-home DIR] [--build-dir DIR] [--no-install]
#                         [--configure-only]
#     --torch-dir DIR     LibTorch's share/cmake/Torch (a downloaded libtorch-*-cu*.zip: libtorch/share/cmake/Torch)
#     --torch-python PY   a Python whose torch is a CUDA build (its torch.utils.cmake_prefix_path is used)
#     --cuda-home DIR     the CUDA toolkit with nvcc (default $CUDA_HOME, else /usr/local/cuda)
#     --build-dir DIR     default build-cuda
#     --no-install        use .venv-cuda as it is (no pip)
#     --configure-only    stop after CMake's configure step (scripts/gpu_check.sh checks the paths it found)
# Environment: EFM_JOBS (default nproc), EFM_CMAKE_ARGS (extra configure arguments), EFM_CUDA_VENV (.venv-cuda).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

torch_dir="" torch_python="" cuda_home="${CUDA_HOME:-/usr/local/cuda}" build_dir=build-cuda install=1 configure_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --torch-dir) torch_dir="$2"; shift 2 ;;
    --torch-python) torch_python="$2"; shift 2 ;;
    --cuda-home) cuda_home="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --no-install) install=0; shift ;;
    --configure-only) configure_only=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "build_cuda.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [ ! -x "$cuda_home/bin/nvcc" ]; then
  echo "build_cuda.sh: no nvcc in $cuda_home/bin: give --cuda-home (the CUDA toolkit LibTorch's CMake needs)" >&2
  exit 2
fi

venv="${EFM_CUDA_VENV:-.venv-cuda}"
if [ -z "$torch_dir" ] && [ -z "$torch_python" ]; then
  if [ "$install" = 1 ]; then
    bash scripts/setup.sh --no-build  # Debian packages (C++ libraries, build tools)
    if [ ! -x "$venv/bin/python" ]; then "${EFM_PYTHON:-python3}" -m venv "$venv"; fi
    want=$(sed -n 's/^torch==//p' scripts/requirements/torch-cuda.txt)
    have=$("$venv/bin/python" -W ignore::UserWarning -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null || true)
    if [ "$have" != "$want" ]; then
      echo "[build_cuda] installing torch $want (CUDA wheel, several GB) into $venv"
      "$venv/bin/python" -m pip install -q --disable-pip-version-check -r scripts/requirements/torch-cuda.txt
    fi
  fi
  torch_python="$venv/bin/python"
fi

nvidia_root=""
if [ -n "$torch_python" ]; then
  torch_prefix="$("$torch_python" -W ignore::UserWarning -c 'import torch; print(torch.utils.cmake_prefix_path)')"
  cuda_version="$("$torch_python" -W ignore::UserWarning -c 'import torch; print(torch.version.cuda or "")')"
  if [ -z "$cuda_version" ]; then
    echo "build_cuda.sh: $torch_python has a CPU-only torch; give a CUDA build (--torch-python or --torch-dir)" >&2
    exit 2
  fi
  # pip's CUDA wheels keep cuDNN, NCCL and the CUDA libraries in site-packages/nvidia/*.
  nvidia_root="$(cd "$torch_prefix/../../.." && pwd)/nvidia"
else
  torch_prefix="$(cd "$torch_dir/../.." && pwd)"
fi

args=(-DCMAKE_PREFIX_PATH="$torch_prefix" -DCMAKE_CUDA_COMPILER="$cuda_home/bin/nvcc" -DCUDAToolkit_ROOT="$cuda_home")
if [ -n "$torch_python" ]; then args+=(-DEFM_TORCH_PYTHON="$torch_python"); fi
if [ -n "$nvidia_root" ] && [ -d "$nvidia_root" ]; then
  # nccl.h: cmake/EfmDistributed.cmake looks in $nvidia_root/nccl/include itself.
  # The linker resolves libtorch_cuda's own dependencies (cuBLAS, cuDNN, NCCL...) from the wheels' lib folders;
  # at run time libtorch_cuda finds them through its RPATH.
  link_dirs=$(ls -d "$nvidia_root"/*/lib 2>/dev/null | sed 's/^/-Wl,-rpath-link,/' | tr '\n' ' ')
  args+=(-DCMAKE_EXE_LINKER_FLAGS="$link_dirs" -DCMAKE_SHARED_LINKER_FLAGS="$link_dirs")
fi

export CUDA_HOME="$cuda_home" PATH="$cuda_home/bin:$PATH"
# LibTorch's CMake otherwise compiles and runs a probe to list the GPUs of this machine (none on a build host); the
# project compiles no CUDA code, so the architecture list only silences that probe. 9.0: H100/H200.
export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
mkdir -p "$build_dir"
# shellcheck disable=SC2086
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${args[@]}" ${EFM_CMAKE_ARGS:-} \
  > "$build_dir.configure.log" 2>&1 || { cat "$build_dir.configure.log"; exit 1; }
grep -E "^-- epilepsyfm |PyTorch: CUDA detected|cuDNN" "$build_dir.configure.log" || true
if ! grep -q "cuda=ON" "$build_dir.configure.log"; then
  echo "build_cuda.sh: the LibTorch at $torch_prefix has no CUDA (torch_cuda target missing); see $build_dir.configure.log" >&2
  exit 1
fi
if [ "$configure_only" = 1 ]; then echo "[build_cuda] configured $build_dir (--configure-only)"; exit 0; fi
jobs="${EFM_JOBS:-$(nproc)}"
echo "[build_cuda] building $build_dir with $jobs jobs"
cmake --build "$build_dir" -j "$jobs"
echo "[build_cuda] built $build_dir against $("$build_dir/epilepsyfm-torch" version 2>/dev/null | grep -E '^(LibTorch|CUDA)' | tr -s ' ' | tr '\n' ';' || echo "CUDA LibTorch")"
