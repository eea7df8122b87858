#!/usr/bin/env bash
# clang-format over the project's C++ sources.  scripts/format.sh [--check]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.h' '*.hpp')
if [ "${1:-}" = "--check" ]; then
  clang-format --dry-run -Werror "${files[@]}"
  echo "[format] ${#files[@]} files formatted correctly"
else
  clang-format -i "${files[@]}"
fi
