#!/usr/bin/python3
"""Annotations of EDF/BDF/GDF files as MNE-Python (Debian python3-mne 1.3) reads them, for the ingest tests.

Usage: mne_annotations.py FILE...

Prints CSV on stdout with the header `file,kind,onset_s,duration_s,text`: one `annotation` row per annotation (onset =
MNE's raw.annotations.onset, seconds from the first sample, 17 significant digits), one `count` row per file (text =
the number of annotations), or one `error` row (text = MNE's error) when MNE cannot read the file. Files MNE cannot decode with its default
encoding are retried with encoding='latin1' (as MNE's documentation suggests for non-UTF-8 annotation bytes).
"""
import csv
import sys

import mne


def read(path):
    low = path.lower()
    reader = mne.io.read_raw_gdf if low.endswith(".gdf") else mne.io.read_raw_edf
    if low.endswith(".bdf"):
        reader = mne.io.read_raw_bdf
    try:
        raw = reader(path, preload=False, verbose="error")
    except Exception:  # noqa: BLE001 - retry once with the documented fallback encoding
        raw = reader(path, preload=False, verbose="error", encoding="latin1")
    a = raw.annotations
    return [[float(o), float(d), str(t)] for o, d, t in zip(a.onset, a.duration, a.description)]


def main():
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["file", "kind", "onset_s", "duration_s", "text"])
    for path in sys.argv[1:]:
        try:
            ann = read(path)
        except Exception as e:  # noqa: BLE001 - reported to the test, which decides
            w.writerow([path, "error", "", "", f"{type(e).__name__}: {e}"])
            continue
        for onset, duration, text in ann:
            w.writerow([path, "annotation", repr(onset), repr(duration), text])
        w.writerow([path, "count", "", "", str(len(ann))])


if __name__ == "__main__":
    main()
