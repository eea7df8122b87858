#!/usr/bin/env bash
# README's main-job command: installs and builds if needed, then runs the pipeline on the default input.
#   scripts/demo.sh [--out DIR]
# Currently: the foundation (build, environment report). Each stage extends this script as it lands.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=demo_out
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh
mkdir -p "$out"
build/epilepsyfm version | tee "$out/environment.txt"
echo "[demo] environment report written to $out/environment.txt"
