#!/usr/bin/env bash
# Downloads public seizure EEG corpora from PhysioNet, verifies every file against PhysioNet's SHA256SUMS.txt, and
# writes a ready-to-run ingest config for them. Needs internet access (nothing here is run by the tests, except
# --config-only on local annotation files).
#
#   scripts/download_public.sh [--dataset chbmit|siena|all] [--cases chb01,chb05|PN00,PN16] [--out DIR]
#   scripts/download_public.sh --config-only [--dataset ...] [--out DIR] [--labels-dir DIR]
#
#   --dataset      chbmit (CHB-MIT Scalp EEG, 24 cases, ~43 GB), siena (Siena Scalp EEG, 14 patients, ~20 GB),
#                  or all. Default: chbmit.
#   --cases        only these cases/patients (comma-separated), e.g. --cases chb01,chb05 (≈1.5 GB each).
#   --out          where data and configs go. Default: data/public. Files: DIR/<dataset>/... (PhysioNet layout),
#                  DIR/<dataset>.yaml (ingest config), DIR/<dataset>.sha256.log (verification).
#   --config-only  do not download; write DIR/<dataset>.yaml for files already there (or, with --labels-dir, for
#                  the annotation files in that folder).
#   --labels-dir   with --config-only: where the seizure annotation files are (default: DIR/<dataset>).
#
# Then:  build/epilepsyfm ingest --config DIR/chbmit.yaml --input DIR/chbmit --out stores/chbmit
# Terms: CHB-MIT (Shoeb 2009) is ODC-By 1.0, Siena (Detti et al. 2020) is CC BY 4.0; cite them (PhysioNet pages).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root=$(pwd)

dataset=chbmit out=data/public cases="" config_only=0 labels_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dataset) dataset="$2"; shift 2 ;;
    --cases) cases="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --config-only) config_only=1; shift ;;
    --labels-dir) labels_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "download_public.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$dataset" in
  chbmit|siena) datasets=("$dataset") ;;
  all) datasets=(chbmit siena) ;;
  *) echo "download_public.sh: --dataset must be chbmit, siena or all, not '$dataset'" >&2; exit 2 ;;
esac
mkdir -p "$out"
out=$(cd "$out" && pwd)

physionet_url() {  # PhysioNet project slug and version
  case "$1" in
    chbmit) echo "https://physionet.org/files/chbmit/1.0.0" ;;
    siena) echo "https://physionet.org/files/siena-scalp-eeg/1.0.0" ;;
  esac
}

fetch() {  # fetch URL FILE (resumes partial downloads)
  if command -v curl >/dev/null; then
    curl -fL --retry 5 --retry-delay 5 -C - -o "$2" "$1"
  elif command -v wget >/dev/null; then
    wget -q -c -O "$2" "$1"
  else
    echo "download_public.sh: needs curl or wget" >&2; exit 1
  fi
}

download() {  # download DATASET: every file of the selected cases listed in SHA256SUMS.txt, then verify
  local ds=$1 base dir sums selected
  base=$(physionet_url "$ds")
  dir="$out/$ds"
  mkdir -p "$dir"
  echo "[download] $ds from $base -> $dir"
  fetch "$base/SHA256SUMS.txt" "$dir/SHA256SUMS.txt"
  sums="$dir/SHA256SUMS.txt"
  selected="$dir/.selected.sha256"
  if [ -n "$cases" ]; then
    : > "$selected"
    IFS=',' read -r -a wanted <<< "$cases"
    for c in "${wanted[@]}"; do
      grep -E "  ${c}/" "$sums" >> "$selected" || { echo "download_public.sh: no files of '$c' in $ds" >&2; exit 2; }
    done
    # Top-level documentation and subject tables are small and always useful.
    grep -vE "  [^/]+/" "$sums" >> "$selected" || true
  else
    cp "$sums" "$selected"
  fi
  local n i=0
  n=$(wc -l < "$selected")
  while read -r _ rel; do
    i=$((i + 1))
    mkdir -p "$dir/$(dirname "$rel")"
    if [ -f "$dir/$rel" ] && (cd "$dir" && grep -F "  $rel" "$selected" | sha256sum -c --status -); then
      continue  # already complete
    fi
    echo "[download] ($i/$n) $rel"
    fetch "$base/$rel" "$dir/$rel"
  done < "$selected"
  echo "[download] verifying $n files against SHA256SUMS.txt"
  (cd "$dir" && sha256sum -c "$selected") > "$out/$ds.sha256.log" 2>&1 || {
    echo "download_public.sh: checksum mismatch, see $out/$ds.sha256.log" >&2; exit 1; }
  echo "[download] $ds: all $n files verified"
}

write_config() {  # write_config DATASET LABELS_DIR
  local ds=$1 labels=$2 cfg="$out/$1.yaml"
  case "$ds" in
    chbmit) cat > "$cfg" <<YAML
# CHB-MIT Scalp EEG (PhysioNet chbmit 1.0.0), written by scripts/download_public.sh.
# 256 Hz, bipolar channels as recorded (TCP 18 derivations taken as recorded), US mains: 60 Hz notch.
# Seizures from each case's chbNN-summary.txt; windows labelled by interval overlap (a window inside a long seizure
# is seizure). Subject = case (chbNN).
#   build/epilepsyfm ingest --config $cfg --input $out/chbmit --out stores/chbmit
config_version: 1
ingest:
  input:
    extensions: [.edf]
  preprocess:
    profile: epilepsyfm
    notch_hz: [60]
  channels:
    montage: tcp18
    missing: error
  windows: {length_s: 4, stride_s: 4}
  labels:
    sources:
      - {format: chbmit, paths: ["$labels"]}
    min_overlap: 0.5
  subjects: {from: regex, regex: "(chb\\\\d+)"}
YAML
    ;;
    siena) cat > "$cfg" <<YAML
# Siena Scalp EEG (PhysioNet siena-scalp-eeg 1.0.0), written by scripts/download_public.sh.
# 512 Hz, referential 10-20 EEG (plus EKG and other channels, dropped), Italian mains: 50 Hz notch.
# Seizures from each patient's Seizures-list-PNxx.txt. Subject = patient (PNxx).
#   build/epilepsyfm ingest --config $cfg --input $out/siena --out stores/siena
config_version: 1
ingest:
  input:
    extensions: [.edf]
  preprocess:
    profile: epilepsyfm
    notch_hz: [50]
  channels:
    montage: referential
    missing: error
  windows: {length_s: 4, stride_s: 4}
  labels:
    sources:
      - {format: siena, paths: ["$labels"]}
    min_overlap: 0.5
  subjects: {from: regex, regex: "(PN\\\\d+)"}
YAML
    ;;
  esac
  echo "[config] wrote $cfg"
  echo "[config] next: build/epilepsyfm ingest --config $cfg --input $out/$ds --out stores/$ds"
}

for ds in "${datasets[@]}"; do
  if [ "$config_only" = 0 ]; then
    download "$ds"
  fi
  labels="${labels_dir:-$out/$ds}"
  if [ ! -d "$labels" ]; then
    echo "download_public.sh: annotation folder $labels does not exist" >&2; exit 2
  fi
  labels=$(cd "$labels" && pwd)
  write_config "$ds" "$labels"
done
