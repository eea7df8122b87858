#!/usr/bin/env bash
# README's test command (and what CI runs): installs and builds via setup.sh, then runs every test except those
# labelled `slow`, printing failures in full. Real-EEG tests read $EPILEPSYFM_DATA (default ../shared/data) and
# are skipped with a loud message when it is absent.
#   scripts/test.sh [extra ctest arguments, e.g. -L unit or -R Config]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$(date +%s)
bash scripts/setup.sh
if [ -z "${EPILEPSYFM_DATA:-}" ] && [ -d ../shared/data ]; then
  EPILEPSYFM_DATA="$(cd ../shared/data && pwd)"
fi
export EPILEPSYFM_DATA="${EPILEPSYFM_DATA:-}"
if [ -z "$EPILEPSYFM_DATA" ] || [ ! -d "$EPILEPSYFM_DATA" ]; then
  echo "*** WARNING: real EEG data not found (set EPILEPSYFM_DATA); tests that need it will be SKIPPED ***"
fi
build_dir="${EFM_BUILD_DIR:-build}"
# ctest runs two test binaries at once on two cores, each with LibTorch's OpenMP threads: idle workers sleep instead
# of spinning against the other test process (a policy set by the caller is kept).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
set +e
ctest --test-dir "$build_dir" -LE slow --output-on-failure -j "${EFM_JOBS:-$(nproc)}" "$@" | tee "$build_dir/ctest.log"
rc=${PIPESTATUS[0]}
set -e
# A GoogleTest suite with skipped tests still passes; list every skip and its reason loudly.
skips=$(grep -h -B1 "\[  SKIPPED \]" "$build_dir/Testing/Temporary/LastTest.log" 2>/dev/null \
        | grep -v "^--$" | grep -v "\[  SKIPPED \] [0-9]* test" | sort -u || true)
if [ -n "$skips" ]; then
  echo "*** SKIPPED tests (reason on the line before each) ***"
  echo "$skips"
fi
echo "[test] total $(( $(date +%s) - start )) s (setup + build + tests), ctest exit code $rc"
exit "$rc"
