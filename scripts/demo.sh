#!/usr/bin/env bash
# README's main-job command: installs and builds if needed, then runs the whole pipeline with the tiny configs:
#   simulate a synthetic epileptic cohort -> ingest -> VQ tokenizer -> masked pretraining -> fine-tune every task
#   head -> evaluate -> one report (DIR/report.html) listing each task with its metrics.
#   scripts/demo.sh [--out DIR] [--data EDF_DIR [--labels FILE_OR_DIR]...] [--asm-labels CSV] [--rftc-labels CSV]
# --data runs the same pipeline on your recordings instead of the simulated cohort (seizure labels from the files'
# EDF+ annotations and any --labels files). The patient-level heads (ASM efficacy, RFTC outcome) need a label CSV
# `subject,label` each; without one they are skipped with a message. Default DIR: demo_out (replaced each run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=demo_out data="" asm="" rftc="" labels=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --labels) labels+=(--labels "$2"); shift 2 ;;
    --asm-labels) asm="$2"; shift 2 ;;
    --rftc-labels) rftc="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -n "$data" ] && [ ! -d "$data" ]; then echo "demo.sh: --data '$data' is not a directory" >&2; exit 2; fi

bash scripts/setup.sh
efm=build/epilepsyfm
start=$(date +%s)
stage() { echo; echo "[demo] ($(( $(date +%s) - start )) s) $*"; }

rm -rf "$out"
mkdir -p "$out/runs"
$efm version > "$out/environment.txt"

if [ -z "$data" ]; then
  stage "1/7 simulate: synthetic cohort (configs/simulate/demo.yaml) -> $out/sim"
  $efm simulate --config configs/simulate/demo.yaml --out "$out/sim"
  data="$out/sim"
  labels=(--labels "$out/sim/seizures.csv")
  asm="$out/sim/labels_asm_response.csv"
  rftc="$out/sim/labels_rftc_outcome.csv"
else
  stage "1/7 using your recordings in $data (no simulation)"
fi

stage "2/7 ingest -> $out/store"
$efm ingest --config configs/ingest/default.yaml --input "$data" "${labels[@]}" --out "$out/store" --keep-going
$efm inspect "$out/store" --summary

stage "3/7 VQ tokenizer (tiny) -> $out/runs/tokenizer"
$efm tokenizer --config configs/tokenizer/tiny.yaml --config configs/demo/tokenizer.yaml --store "$out/store" \
  --out "$out/runs/tokenizer"

stage "4/7 masked pretraining (tiny, region masks) -> $out/runs/pretrain"
$efm pretrain --config configs/pretrain/tiny.yaml --config configs/demo/pretrain.yaml --store "$out/store" \
  --tokenizer "$out/runs/tokenizer" --out "$out/runs/pretrain"

stage "5/7 fine-tune the task heads from the pretrained backbone"
runs=("$out/runs/tokenizer" "$out/runs/pretrain")
for head in seizure_detection seizure_type forecast_short forecast_long frequency_phase asm_efficacy rftc_outcome; do
  extra=()
  case "$head" in
    asm_efficacy) [ -n "$asm" ] && extra=(--set "finetune.labels_csv=$asm") ;;
    rftc_outcome) [ -n "$rftc" ] && extra=(--set "finetune.labels_csv=$rftc") ;;
  esac
  if { [ "$head" = asm_efficacy ] || [ "$head" = rftc_outcome ]; } && [ ${#extra[@]} -eq 0 ]; then
    echo "[demo] skipping $head: no label CSV (give --${head%%_*}-labels CSV; format in configs/finetune/labels/)"
    continue
  fi
  echo "[demo] --- $head"
  overlays=(--config "configs/finetune/$head.yaml" --config configs/demo/finetune.yaml)
  [ -f "configs/demo/finetune_$head.yaml" ] && overlays+=(--config "configs/demo/finetune_$head.yaml")
  $efm finetune "${overlays[@]}" --store "$out/store" --init "$out/runs/pretrain" --out "$out/runs/$head" \
    "${extra[@]}"
  runs+=("$out/runs/$head")
done

stage "6/7 evaluate: re-score the seizure detector on its test split (metrics.csv/json, report.html)"
$efm evaluate --run "$out/runs/seizure_detection"

stage "7/7 report"
report_args=()
for r in "${runs[@]}"; do report_args+=(--run "$r"); done
$efm report "${report_args[@]}" --out "$out/report.html" --title "epilepsyfm demo ($(basename "$data"))"
echo
echo "[demo] finished in $(( $(date +%s) - start )) s (after the build)"
echo "[demo] report: $out/report.html  (per-task reports: $out/runs/<task>/report.html)"
