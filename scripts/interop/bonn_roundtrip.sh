#!/usr/bin/env bash
# LaBraM-architecture weights through the whole chain on the shared Bonn store (docs/interop.md):
#   braindecode Labram weights -> epilepsyfm import -> ingest Bonn with the labram profile -> finetune seizure
#   detection from the import -> epilepsyfm export --format braindecode -> braindecode (strict load) on the store's
#   test windows gives the probabilities epilepsyfm wrote (max |dP| <= 1e-5).
# The weights are a braindecode Labram (base size, random weights from scripts/interop/labram_reference.py); with
# LaBraM's published checkpoint give it instead: WEIGHTS=labram-base.pth scripts/interop/bonn_roundtrip.sh
#   scripts/interop/bonn_roundtrip.sh [OUT_DIR]     (default runs/interop_bonn; about 2 min on 2 cores)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out="${1:-runs/interop_bonn}"
data="${EPILEPSYFM_DATA:-../shared/data}"
py=.venv-ref/bin/python
efm=build/epilepsyfm
ref=scripts/interop/labram_reference.py
mkdir -p "$out"
weights="${WEIGHTS:-}"
if [ -z "$weights" ]; then
  "$py" "$ref" make "$out/reference" --n-chans 1 --n-times 800 --depth 12 --n-outputs 1
  weights="$out/reference/weights.pt"
fi
"$efm" import "$weights" "$out/labram" --overwrite
EPILEPSYFM_DATA="$data" "$efm" ingest --config configs/ingest/bonn.yaml --set ingest.preprocess.profile=labram \
  --out "$out/store" --overwrite
# Bonn's one channel is labelled "EEG", which LaBraM has no position for: it starts from the mean electrode row.
"$efm" finetune --config configs/finetune/seizure_detection_bonn.yaml --store "$out/store" --init "$out/labram" \
  --set init.unknown_channels=mean --set train.epochs=2 --set train.warmup_epochs=1 --out "$out/finetune" \
  --overwrite --no-progress
"$efm" export --format braindecode "$out/finetune" "$out/seizure_detection_braindecode.pt" --channel-as EEG=CZ
"$py" "$ref" compare-run "$out/store" "$out/finetune" "$out/seizure_detection_braindecode.pt"
