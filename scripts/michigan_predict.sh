#!/usr/bin/env bash
# Streaming seizure detection on the held-out University of Michigan scalp recording (README, "Michigan"):
#   scripts/michigan_predict.sh --init PRETRAINED_RUN [--out DIR] [--seed N] [--quantile Q]
# 1. simulate the demo cohort (configs/simulate/demo.yaml: 10 subjects, 19-channel 10-20 scalp EEG with seizures);
# 2. ingest it together with the real scalp recordings that are not Michigan (eegio clinical scalp seizure,
#    EEGMMIDB S001 R03/R04) into one store;
# 3. fine-tune seizure_detection from PRETRAINED_RUN (a `pretrain` run dir, e.g. runs/pt_tiny of docs/training.md)
#    on the simulated subjects; the real recordings are the validation split (checkpoint selection);
# 4. threshold: the Q-quantile (default 0.99) of the detector's per-second probability over the validation
#    recordings' background seconds (>= 4 s away from an annotated seizure) -- chosen without the Michigan file;
# 5. `predict` on Michigan with that threshold, scored against its seizures.csv (onset ~350 s).
# Needs the real data ($EPILEPSYFM_DATA, default ../shared/data) and a built tree (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=michigan_out init="" seed=0 quantile=0.99
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --init) init="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --quantile) quantile="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "michigan_predict.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$init" ]; then echo "michigan_predict.sh: --init PRETRAINED_RUN is required (see --help)" >&2; exit 2; fi
data="${EPILEPSYFM_DATA:-../shared/data}"
for d in michigan_malow_scalp_seizure eegio_clinical_scalp_seizure eegmmidb_S001; do
  if [ ! -d "$data/$d" ]; then echo "michigan_predict.sh: $data/$d not found (set EPILEPSYFM_DATA)" >&2; exit 2; fi
done
efm=build/epilepsyfm
mich="$data/michigan_malow_scalp_seizure"
eegio="$data/eegio_clinical_scalp_seizure"
start=$(date +%s)
stage() { echo; echo "[michigan] ($(( $(date +%s) - start )) s) $*"; }

rm -rf "$out"
mkdir -p "$out"
stage "1/5 simulate the demo cohort -> $out/sim"
$efm simulate --config configs/simulate/demo.yaml --out "$out/sim"

stage "2/5 ingest simulated + real scalp recordings (not Michigan) -> $out/store"
$efm ingest --config configs/ingest/default.yaml --input "$out/sim" --input "$eegio" --input "$data/eegmmidb_S001" \
  --labels "$out/sim/seizures.csv" --labels "$eegio/seizures.csv" --out "$out/store" --no-progress
# Split: simulated subjects (sub-*) train, the real recordings validate.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; print "recording_id,subject,split"; next }
         { s = $col["subject"]; print $col["recording_id"] "," s "," (s ~ /^sub-/ ? "train" : "val") }' \
  "$out/store/manifest.csv" > "$out/splits.csv"

stage "3/5 fine-tune seizure_detection from $init -> $out/detector"
$efm finetune --config configs/finetune/seizure_detection.yaml --store "$out/store" --init "$init" \
  --out "$out/detector" --no-progress --set split.file="$out/splits.csv" --set split.seed="$seed" \
  --set run.seed="$seed" --set train.epochs=12 --set train.batch_size=32 --set train.warmup_epochs=1

stage "4/5 threshold from the validation recordings' background (quantile $quantile)"
for f in "$eegio/scalp_test.edf" "$data/eegmmidb_S001/S001R03.edf" "$data/eegmmidb_S001/S001R04.edf"; do
  $efm predict --checkpoint "$out/detector" --input "$f" --out "$out/val_predictions" --no-progress > /dev/null
done
threshold=$(awk -F, -v margin=4 '
  FNR == 1 { next }
  FILENAME ~ /seizures\.csv$/ { n = split($1, p, "/"); rec = p[n]; sub(/\.[^.]*$/, "", rec);
                                 k = ++nsz[rec]; on[rec, k] = $2; off[rec, k] = $3; next }
  { rec = FILENAME; sub(/.*\//, "", rec); sub(/_probabilities\.csv$/, "", rec); t = $1; bg = 1;
    for (k = 1; k <= nsz[rec]; k++) if (t + 1 >= on[rec, k] - margin && t <= off[rec, k] + margin) bg = 0;
    if (bg) print $2 }' "$eegio/seizures.csv" "$out"/val_predictions/*_probabilities.csv |
  sort -g | awk -v q="$quantile" '{ v[NR] = $1 } END { if (NR == 0) { print "none"; exit }
    i = int(q * NR + 0.5); if (i < 1) i = 1; if (i > NR) i = NR; printf "%.4f\n", v[i] }')
if [ "$threshold" = "none" ]; then echo "michigan_predict.sh: no background seconds in the validation predictions" >&2; exit 1; fi
echo "threshold $threshold (quantile $quantile of the validation background probabilities)"

stage "5/5 predict on Michigan (held out) -> $out/michigan"
$efm predict --checkpoint "$out/detector" --input "$mich/malow_umich_scalp_seizure_31ch_100hz.edf" \
  --labels "$mich/seizures.csv" --out "$out/michigan" --no-progress --set predict.threshold="$threshold"
stage "done"
