#!/usr/bin/env bash
# GPU check on a machine without network access (an HPC compute node) that has an NVIDIA GPU, a CUDA PyTorch, CMake,
# ninja, g++ and nvcc, but not epilepsyfm's C++ libraries: extracts the packages scripts/deps_bundle.sh downloaded
# into a private prefix (no root, nothing installed), builds the project against that PyTorch's LibTorch through
# scripts/build_cuda.sh, runs the tests labelled `cuda`, and runs bench_train_step on the GPU (base and large, bf16,
# batch sized to the card) next to the Python reference step on the same GPU, then bench_loader (store to pinned
# batches, per loader thread).
#   scripts/gpu_check.sh --deps DIR [--torch-python PY] [--prefix DIR] [--out DIR] [--build-dir DIR]
#                        [--cuda-home DIR] [--configure-only] [--no-bench] [--batch-base N] [--batch-large N]
#     --deps DIR          the folder deps_bundle.sh wrote (MANIFEST and the .deb files)
#     --torch-python PY   a Python whose torch is a CUDA build (default: python3)
#     --prefix DIR        where the packages are extracted (default DIR/prefix)
#     --out DIR           gpu_check.log, bench_base.txt, bench_large.txt, bench_loader.txt, summary.txt
#                         (default gpu_check_out)
#     --build-dir DIR     default build-cuda
#     --cuda-home DIR     the CUDA toolkit (default $CUDA_HOME, /usr/local/cuda, else the nvcc on PATH)
#     --configure-only    stop after configuring (bundle, toolchain, what CMake found)
#     --no-bench          build and test only (no bench_train_step, no bench_loader)
#     --batch-base N, --batch-large N   benchmark batch instead of the one sized to the GPU's free memory
# Exit codes: 0 every step passed on a GPU; 1 a step failed; 2 usage error; 3 no GPU visible: the steps that need
# none passed, the `cuda` tests were skipped and the benchmark did not run.
set -euo pipefail

deps="" py=python3 prefix="" out=gpu_check_out build_dir=build-cuda cuda_home="" configure_only=0 bench=1
batch_base="" batch_large=""
while [ $# -gt 0 ]; do
  case "$1" in
    --deps) deps="$2"; shift 2 ;;
    --torch-python) py="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --cuda-home) cuda_home="$2"; shift 2 ;;
    --configure-only) configure_only=1; shift ;;
    --no-bench) bench=0; shift ;;
    --batch-base) batch_base="$2"; shift 2 ;;
    --batch-large) batch_large="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "gpu_check.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$deps" ]; then echo "gpu_check.sh: give --deps DIR (made by scripts/deps_bundle.sh)" >&2; exit 2; fi
# Paths are taken relative to where the script was started, then the script works from the repository root.
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
deps=$(absolute "$deps") out=$(absolute "$out") build_dir=$(absolute "$build_dir")
prefix=$(absolute "${prefix:-$deps/prefix}")
if [ -n "$cuda_home" ]; then cuda_home=$(absolute "$cuda_home"); fi
if [[ "$py" == */* ]]; then py=$(absolute "$py"); else py=$(command -v "$py" || echo "$py"); fi
# build_cuda.sh splits EFM_CMAKE_ARGS at blanks, and the prefix goes into sed replacements.
for p in "$prefix" "$build_dir"; do
  if [[ ! "$p" =~ ^[A-Za-z0-9_./+-]+$ ]]; then
    echo "gpu_check.sh: '$p' contains characters other than letters, digits and _ . / + -" >&2
    exit 2
  fi
done
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mkdir -p "$out"
log="$out/gpu_check.log"
exec > >(tee "$log") 2>&1
tee_pid=$!
step=start gpu="" passed=()
joined() { local s; s=$(printf '%s, ' "${passed[@]}"); s="${s%, }"; echo "${s:-nothing}"; }
finish() {
  local rc=$?
  if [ "$rc" = 0 ] && [ -z "$gpu" ]; then rc=3; fi
  local line
  case "$rc" in
    0) line="PASSED on $gpu: $(joined)" ;;
    3) line="NO GPU visible to $py; passed: $(joined); nothing ran on a GPU" ;;
    *) line="FAILED at step '$step' (exit $rc); passed before it: $(joined)" ;;
  esac
  echo "[gpu_check] SUMMARY: $line; log $log"
  echo "$line" >> "$out/summary.txt"
  exec 1>&- 2>&-
  wait "$tee_pid" 2>/dev/null || true
  exit "$rc"
}
trap finish EXIT
fail() { echo "gpu_check.sh: $*" >&2; exit 1; }
banner() {  # one line per argument, framed
  local rule
  rule=$(printf '!%.0s' {1..116})
  echo "$rule"
  printf '!! %s\n' "$@"
  echo "$rule"
}
deb_tar() {  # the data archive of the .deb $1, uncompressed, on stdout; without dpkg: a .deb is an ar archive
  if command -v dpkg-deb > /dev/null; then dpkg-deb --fsys-tarfile "$1"; return; fi
  local member
  member=$(ar t "$1" | grep '^data\.tar')
  case "$member" in
    *.xz) ar p "$1" "$member" | xz -dc ;;
    *.zst) ar p "$1" "$member" | zstd -dcq ;;
    *.gz) ar p "$1" "$member" | gzip -dc ;;
    *) ar p "$1" "$member" ;;
  esac
}
: > "$out/summary.txt"
echo "[gpu_check] $(date -u '+%F %T UTC') on $(uname -n); deps $deps, prefix $prefix, build $build_dir, out $out"

# ---- 1. the bundle: every file of MANIFEST present with its checksum, nothing else ----
step=bundle
manifest="$deps/MANIFEST"
[ -f "$manifest" ] || fail "$manifest not found: make the folder with scripts/deps_bundle.sh"
debs=() roles=()
while read -r role package version sha file; do
  case "$role" in \#*|"") continue ;; esac
  [ -f "$deps/$file" ] || fail "$file ($package $version) listed in MANIFEST is missing from $deps"
  [ "$(sha256sum < "$deps/$file" | cut -d' ' -f1)" = "$sha" ] || fail "$file: sha256 differs from MANIFEST"
  debs+=("$deps/$file") roles+=("$role")
done < "$manifest"
for f in "$deps"/*.deb; do
  grep -qF " $(basename "$f")" "$manifest" || fail "$f is not listed in MANIFEST"
done
requires=$(sed -n 's/^# requires: //p' "$manifest")
echo "[gpu_check] bundle: ${#debs[@]} packages, checksums match MANIFEST; they need $requires"
passed+=("bundle")

# ---- 2. the node: glibc and libstdc++ new enough for the bundle, compilers, CMake, ninja, the CUDA PyTorch ----
step=toolchain
# The torch Python's folder often holds the cmake and ninja of its pip packages.
PATH="$PATH:$(dirname "$py")"
for t in c++ cmake ninja ctest readelf sha256sum tar; do
  command -v "$t" > /dev/null || fail "'$t' not found on PATH"
done
need_glibc=$(grep -o 'GLIBC_[0-9.]*' <<< "$requires" | cut -d_ -f2 || true)
have_glibc=$(getconf GNU_LIBC_VERSION | awk '{print $2}')
oldest=$(printf '%s\n%s\n' "$need_glibc" "$have_glibc" | sort -V | head -1)
if [ -n "$need_glibc" ] && [ "$oldest" != "$need_glibc" ]; then
  fail "the bundle's libraries need glibc >= $need_glibc; this node has $have_glibc"
fi
need_glibcxx=$(grep -o 'GLIBCXX_[0-9.]*' <<< "$requires" || true)
libstdcxx=$(c++ -print-file-name=libstdc++.so.6)
if [ -n "$need_glibcxx" ] && ! grep -qaF "$need_glibcxx" "$(readlink -f "$libstdcxx")"; then
  fail "the bundle's libraries need $need_glibcxx; $libstdcxx lacks it (a g++ >= 12 runtime is needed)"
fi
if [ -z "$cuda_home" ] && [ -z "${CUDA_HOME:-}" ] && [ ! -x /usr/local/cuda/bin/nvcc ] \
   && command -v nvcc > /dev/null; then
  cuda_home=$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")
fi
nvcc_path="${cuda_home:-${CUDA_HOME:-/usr/local/cuda}}/bin/nvcc"
[ -x "$nvcc_path" ] || fail "no nvcc at $nvcc_path: give --cuda-home"
"$py" - > "$out/torch.txt" <<'PY' || fail "$py cannot import torch: give --torch-python"
import warnings
warnings.filterwarnings("ignore")  # e.g. "Failed to initialize NumPy" from a torch without numpy beside it
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda or "none")
if torch.cuda.is_available():
    free, total = torch.cuda.mem_get_info(0)
    print("gpu", torch.cuda.get_device_name(0).replace(" ", "_"), free, total, torch.cuda.device_count())
PY
read -r _ torch_version _ torch_cuda < <(head -1 "$out/torch.txt")
[ "$torch_cuda" != none ] || fail "$py has torch $torch_version without CUDA: give --torch-python of a CUDA build"
free_bytes=0
if read -r _ gpu free_bytes total_bytes gpu_count < <(grep '^gpu ' "$out/torch.txt"); then
  gpu="${gpu//_/ } ($((total_bytes >> 30)) GiB, $((free_bytes >> 30)) GiB free; $gpu_count visible)"
fi
echo "[gpu_check] glibc $have_glibc, $(c++ --version | head -1), $(cmake --version | head -1), ninja $(ninja --version)"
echo "[gpu_check] nvcc $("$nvcc_path" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p') ($nvcc_path)," \
     "torch $torch_version (CUDA $torch_cuda, $py)"
if [ -n "$gpu" ]; then
  echo "[gpu_check] GPU: $gpu"
else
  banner "NO GPU visible to $py (torch.cuda.is_available() is False):" \
         "the build still runs, the cuda tests skip, the benchmark does not run"
fi
passed+=("toolchain")

# ---- 3. extract into the prefix (once per MANIFEST) and make it usable from there ----
step=extract
stamp="$prefix/.efm_bundle"
want_stamp="$(sha256sum < "$manifest" | cut -d' ' -f1) $prefix"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want_stamp" ]; then
  if [ -d "$prefix" ] && [ -n "$(ls -A "$prefix")" ] && [ ! -f "$stamp" ]; then
    fail "--prefix $prefix is not empty and was not made by gpu_check.sh"
  fi
  rm -rf "$prefix"
  mkdir -p "$prefix"
  for deb in "${debs[@]}"; do
    if command -v dpkg-deb > /dev/null; then dpkg-deb -x "$deb" "$prefix"; else deb_tar "$deb" | tar -x -C "$prefix"; fi
  done
  # The packages expect to live in /. Symbolic links with absolute targets (zlib1g-dev's libz.so ->
  # /lib/x86_64-linux-gnu/libz.so.1.2.13) are pointed into the prefix. The CMake package files compute their paths
  # from their own location, except for blocks that compare it with the original "/usr/lib/x86_64-linux-gnu/cmake/..."
  # and then use "/usr" (fmt, spdlog, yaml-cpp, GTest); the pkg-config files name /usr outright. Both are rewritten
  # to the prefix, so that no file of the prefix points back to the node's /usr (checked below).
  while IFS= read -r -d '' link; do
    ln -sfn "$prefix$(readlink "$link")" "$link"
  done < <(find "$prefix" -type l -lname '/*' -print0)
  find "$prefix" -type f \( -name '*.cmake' -o -name '*.pc' \) -print0 \
    | xargs -0 -r sed -E -i "s#([\"'= ]|-I|-L)/usr([/\"' ]|\$)#\\1$prefix/usr\\2#g"
  echo "$want_stamp" > "$stamp"
  echo "[gpu_check] extracted ${#debs[@]} packages into $prefix"
else
  echo "[gpu_check] $prefix already holds this bundle"
fi
leaks=""
while IFS= read -r -d '' f; do
  if sed "s#$prefix/usr##g" "$f" | grep -qE "([\"'= ]|-I|-L)/usr([/\"' ]|\$)"; then leaks+=" $f"; fi
done < <(find "$prefix" -type f \( -name '*.cmake' -o -name '*.pc' \) -print0)
[ -z "$leaks" ] || fail "files of the prefix still name /usr:$leaks"

# The loader's path: the libraries epilepsyfm links (role lib) always come from the bundle, since their headers are
# the bundle's (HDF5 aborts on a header/library version mismatch); their dependencies (role dep: libcurl, OpenSSL,
# Kerberos...) only where the node has no library of that name, so that Python, CMake and the node's own tools keep
# the node's TLS stack. runtime-lib holds one link per library taken from the bundle.
runtime="$prefix/runtime-lib"
rm -rf "$runtime"
mkdir -p "$runtime"
ldconfig_bin=$(command -v ldconfig || echo /sbin/ldconfig)
host_sonames=" $("$ldconfig_bin" -p 2>/dev/null | awk '/x86-64/ {print $1}' | tr '\n' ' ') "
if [ "$host_sonames" = "  " ]; then
  echo "[gpu_check] ldconfig -p gave nothing: every library of the bundle is used"
fi
from_bundle=()
for i in "${!debs[@]}"; do
  [ "${roles[$i]}" = dev ] && continue
  for f in $(deb_tar "${debs[$i]}" | tar -t); do
    f="$prefix/${f#./}"
    # Libraries in the loader's folders only (not plugins such as krb5/plugins/preauth/spake.so).
    [[ -f "$f" && ! -L "$f" && "$f" =~ /lib/x86_64-linux-gnu/lib[^/]*\.so ]] || continue
    soname=$(readelf -d "$f" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ -n "$soname" ] || continue
    if [ "${roles[$i]}" = lib ] || [[ "$host_sonames" != *" $soname "* ]]; then
      ln -sfn "$f" "$runtime/$soname"
      from_bundle+=("$soname")
    fi
  done
done
echo "[gpu_check] libraries loaded from the bundle (${#from_bundle[@]}): ${from_bundle[*]}"
lib="$prefix/usr/lib/x86_64-linux-gnu"
export LD_LIBRARY_PATH="$runtime${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CMAKE_PREFIX_PATH="$prefix/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
export CMAKE_INCLUDE_PATH="$prefix/usr/include" CMAKE_LIBRARY_PATH="$lib"
export PKG_CONFIG_PATH="$lib/pkgconfig:$prefix/usr/share/pkgconfig"
export PATH="$prefix/usr/bin:$PATH"  # ccache, when bundled
# Every dependency named explicitly: a node without Debian's multiarch layout (CMAKE_LIBRARY_ARCHITECTURE empty)
# would not search lib/x86_64-linux-gnu, and a library the node happens to have must not be taken instead.
# BioSig (GPL, optional) is not bundled.
cmake_args="-Dfmt_DIR=$lib/cmake/fmt -Dspdlog_DIR=$lib/cmake/spdlog -Dyaml-cpp_DIR=$lib/cmake/yaml-cpp \
-DGTest_DIR=$lib/cmake/GTest -DEigen3_DIR=$prefix/usr/share/eigen3/cmake -DHDF5_ROOT=$lib/hdf5/serial \
-DEDFlib_INCLUDE_DIR=$prefix/usr/include -DEDFlib_LIBRARY=$lib/libedf.so -DZLIB_ROOT=$prefix/usr \
-DEFM_WITH_BIOSIG=OFF"
passed+=("extract")

# ---- 4. smoke test of the prefix: one program using every bundled library, built and run (seconds, before the
# long build) ----
step=smoke
smoke="$out/prefix_smoke"
rm -rf "$smoke"
mkdir -p "$smoke/src"
cat > "$smoke/src/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.22)
project(efm_prefix_smoke C CXX)
list(APPEND CMAKE_MODULE_PATH "$PWD/cmake")  # FindEDFlib
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(EDFlib REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(GTest REQUIRED)
find_package(ZLIB REQUIRED)
add_executable(smoke smoke.cpp)
target_link_libraries(smoke PRIVATE Eigen3::Eigen HDF5::HDF5 EDFlib::EDFlib fmt::fmt spdlog::spdlog yaml-cpp
                      GTest::gtest ZLIB::ZLIB)
EOF
cat > "$smoke/src/smoke.cpp" <<'EOF'
#include <Eigen/Core>
#include <edflib.h>
#include <gtest/gtest.h>
#include <hdf5.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>
#include <zlib.h>

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  const YAML::Node yaml = YAML::Load("answer: 42");
  spdlog::info("hdf5 {}.{}.{}, edflib {}, fmt {}, spdlog {}.{}.{}, yaml-cpp answer {}, zlib {}, eigen trace {}",
               major, minor, release, edflib_version(), FMT_VERSION, SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR,
               SPDLOG_VER_PATCH, yaml["answer"].as<int>(), zlibVersion(), Eigen::Matrix3d::Identity().trace());
  return 0;
}
EOF
# shellcheck disable=SC2086
cmake -S "$smoke/src" -B "$smoke/build" -G Ninja -DCMAKE_BUILD_TYPE=Release $cmake_args > "$smoke/configure.log" 2>&1 \
  || { cat "$smoke/configure.log"; fail "the prefix smoke test does not configure"; }
cmake --build "$smoke/build" > "$smoke/build.log" 2>&1 \
  || { cat "$smoke/build.log"; fail "the prefix smoke test does not build"; }
"$smoke/build/smoke" || fail "the prefix smoke test does not run"
echo "[gpu_check] smoke test's libraries:"
ldd "$smoke/build/smoke" | grep -E "hdf5|edf|fmt|spdlog|yaml|libz|curl|sz" | sed 's/^\s*/  /' || true
passed+=("smoke")

# ---- 5. configure and build with scripts/build_cuda.sh ----
build_args=(--no-install --torch-python "$py" --build-dir "$build_dir")
if [ -n "$cuda_home" ]; then build_args+=(--cuda-home "$cuda_home"); fi
step=configure
EFM_CMAKE_ARGS="$cmake_args ${EFM_CMAKE_ARGS:-}" bash scripts/build_cuda.sh "${build_args[@]}" --configure-only
cp "$build_dir.configure.log" "$out/configure.log"
# Where CMake found each dependency: all of them must be in the prefix.
outside=""
for key in fmt_DIR spdlog_DIR yaml-cpp_DIR GTest_DIR Eigen3_DIR HDF5_C_INCLUDE_DIR HDF5_hdf5_LIBRARY_RELEASE \
           EDFlib_INCLUDE_DIR EDFlib_LIBRARY ZLIB_INCLUDE_DIR ZLIB_LIBRARY_RELEASE EFM_FMT_INCLUDE_DIR; do
  value=$(sed -n "s|^$key:[A-Z]*=||p" "$build_dir/CMakeCache.txt")
  echo "  $key = ${value:-(not in the cache)}"
  if [ -n "$value" ] && [[ "$value" != "$prefix"/* ]]; then outside+=" $key=$value"; fi
done
[ -z "$outside" ] || fail "CMake took dependencies from outside the prefix:$outside"
passed+=("configure")
if [ "$configure_only" = 1 ]; then
  echo "[gpu_check] --configure-only: stopping here"
  exit 0
fi

step=build
start=$(date +%s)
EFM_CMAKE_ARGS="$cmake_args ${EFM_CMAKE_ARGS:-}" bash scripts/build_cuda.sh "${build_args[@]}"
missing=""
for exe in "$build_dir/epilepsyfm-torch" "$build_dir/bench/train_step/bench_train_step" \
           "$build_dir/bench/loader/bench_loader"; do
  if [ -x "$exe" ]; then missing+=$(ldd "$exe" 2>&1 | grep -E "not found" | sed "s|^|$exe: |" || true); fi
done
[ -z "$missing" ] || fail "libraries not found at run time: $missing"
passed+=("build ($(( $(date +%s) - start )) s)")

# ---- 6. the tests labelled cuda (one at a time: they share the GPU) ----
step=ctest
set +e
ctest --test-dir "$build_dir" -L cuda --no-tests=error --output-on-failure
rc=$?
set -e
cp "$build_dir/Testing/Temporary/LastTest.log" "$out/ctest_cuda.log" 2>/dev/null || true
[ "$rc" = 0 ] || fail "ctest -L cuda failed (exit $rc)"
n_tests=$(grep -c "^[0-9]*/[0-9]* Testing:" "$out/ctest_cuda.log" || true)
# GoogleTest prints a skipped test's reason on the line before its "[  SKIPPED ] Suite.Test (N ms)".
skipped=$(grep -h "^\[  SKIPPED \] [A-Za-z]" "$out/ctest_cuda.log" | sed 's/ ([0-9]* ms)$//' | sort -u || true)
n_skipped=$(grep -c . <<< "$skipped" || true)
if [ -n "$skipped" ]; then
  reasons=$(grep -h -B1 "^\[  SKIPPED \] [A-Za-z].* ([0-9]* ms)$" "$out/ctest_cuda.log" \
            | grep -v -e "^\[  SKIPPED \]" -e "^--$" | sort -u || true)
  mapfile -t reason_lines <<< "${reasons:-(no reason printed)}"
  banner "SKIPPED cuda tests: $n_skipped, because:" "${reason_lines[@]}"
  echo "$skipped"
fi
passed+=("cuda tests ($n_tests suites, $n_skipped tests skipped)")

# ---- 7. training step on the GPU against the Python reference, base and large, bf16 ----
step=bench
if [ "$bench" = 0 ]; then
  echo "[gpu_check] --no-bench: benchmark not run"
  exit 0
fi
if [ -z "$gpu" ]; then
  banner "NO GPU: bench_train_step not run (it needs a CUDA device)"
  exit 0
fi
# Batch sized to the card: a rough estimate of the activations the symmetric pre-training pass keeps per window in
# bf16 (2 passes x 93 tokens x layers x width x ~64 bytes: base 12 x 200 -> ~29 MB, large 24 x 400 -> ~114 MB, rounded
# up to 32 and 128 MiB), against half the free memory because the C++ side keeps its cached blocks while the Python
# reference runs as its child; a power of two, at most 1024. Halved on a CUDA out-of-memory error, twice at most.
auto_batch() {
  local per_window_mib=$1 b=1
  local n=$(( free_bytes / 2 / (per_window_mib << 20) ))
  while [ $(( b * 2 )) -le "$n" ] && [ $(( b * 2 )) -le 1024 ]; do b=$(( b * 2 )); done
  echo "$b"
}
bench_exe="$build_dir/bench/train_step/bench_train_step"
[ -x "$bench_exe" ] || fail "$bench_exe not built (EFM_BUILD_BENCH=OFF?)"
for size in base large; do
  if [ "$size" = base ]; then batch=${batch_base:-$(auto_batch 32)}; else batch=${batch_large:-$(auto_batch 128)}; fi
  for attempt in 1 2 3; do
    echo "[gpu_check] bench_train_step --device cuda --size $size --bf16 --batch $batch"
    set +e
    "$bench_exe" --device cuda --size "$size" --bf16 --batch "$batch" 2>&1 | tee "$out/bench_$size.txt"
    rc=${PIPESTATUS[0]}
    set -e
    if [ "$rc" != 0 ] && [ "$attempt" -lt 3 ] && grep -qi "out of memory" "$out/bench_$size.txt"; then
      batch=$(( batch / 2 ))
      echo "[gpu_check] CUDA out of memory: again with batch $batch"
      continue
    fi
    break
  done
  [ "$rc" = 0 ] || fail "bench_train_step ($size) failed (exit $rc); output in $out/bench_$size.txt"
  # Each workload's heading, the column names and its windows/s row (C++, then each Python reference and ratio).
  figures=$(grep -E "^[a-z]+ step \(batch|C\+\+ epilepsyfm|^  windows/s" "$out/bench_$size.txt" || true)
  [ -n "$figures" ] || fail "bench_train_step ($size) printed no windows/s line; output in $out/bench_$size.txt"
  while IFS= read -r line; do echo "  [$size] $line"; done <<< "$figures" | tee -a "$out/summary.txt"
  passed+=("bench $size (batch $batch, $out/bench_$size.txt)")
done

# ---- 8. the loader: windows/s from a store to pinned batches, per loader thread ----
loader_exe="$build_dir/bench/loader/bench_loader"
[ -x "$loader_exe" ] || fail "$loader_exe not built (EFM_BUILD_BENCH=OFF?)"
echo "[gpu_check] bench_loader --dtype float32 --workers 1,2,4,8 --seconds 2"
set +e
"$loader_exe" --dtype float32 --workers 1,2,4,8 --seconds 2 --python "$py" 2>&1 | tee "$out/bench_loader.txt"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || fail "bench_loader failed (exit $rc); output in $out/bench_loader.txt"
figures=$(grep -E "^  (Loader|h5py)|^target:" "$out/bench_loader.txt" || true)
[ -n "$figures" ] || fail "bench_loader printed no Loader line; output in $out/bench_loader.txt"
while IFS= read -r line; do echo "  [loader] $line"; done <<< "$figures" | tee -a "$out/summary.txt"
passed+=("bench loader ($out/bench_loader.txt)")
