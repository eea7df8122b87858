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
set +e
ctest --test-dir "$build_dir" -LE slow --output-on-failure -j "${EFM_JOBS:-$(nproc)}" "$@" | tee "$build_dir/ctest.log"
rc=${PIPESTATUS[0]}
set -e
skipped=$(grep -c "Skipped" "$build_dir/ctest.log" || true)
if [ "$skipped" != 0 ]; then
  echo "*** $skipped test(s) SKIPPED (see '***Skipped' lines above for the reason) ***"
fi
echo "[test] total $(( $(date +%s) - start )) s (setup + build + tests), ctest exit code $rc"
exit "$rc"
