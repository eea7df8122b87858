"""Reference for bench/loader: shuffled, z-score-normalised 4-s windows read with h5py from an epilepsyfm store, one
thread, page-cached, as a Python training loader would read them. Prints "windows_per_s <x> windows <n>".

    python3 h5py_windows.py STORE --seconds 3 --seed 7
"""
import argparse
import csv
import os
import time

import h5py
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    with open(os.path.join(args.store, "manifest.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    files = {}
    recs = []
    for row in rows:
        shard = row["shard"]
        if shard not in files:
            files[shard] = h5py.File(os.path.join(args.store, shard), "r")
        g = files[shard]["recordings"][row["recording_id"]]
        mean = g["mean_uv"][()].astype(np.float32)[:, None]
        std = g["std_uv"][()]
        inv = np.where(std > 0, 1.0 / np.where(std > 0, std, 1.0), 0.0).astype(np.float32)[:, None]
        length = int(g["windows"].attrs["length_samples"])
        recs.append((g["signal"], mean, inv, length))
    windows = [(r, int(s)) for r, rec in enumerate(rows)
               for s in files[rec["shard"]]["recordings"][rec["recording_id"]]["windows"]["start_sample"][()]]
    order = np.random.default_rng(args.seed).permutation(len(windows))
    n = 0
    t0 = time.perf_counter()
    for i in order:
        r, s = windows[i]
        ds, mean, inv, length = recs[r]
        x = (ds[:, s:s + length].astype(np.float32) - mean) * inv
        n += 1
        if n % 64 == 0 and time.perf_counter() - t0 >= args.seconds:
            break
    dt = time.perf_counter() - t0
    assert x.shape[1] == length
    print(f"windows_per_s {n / dt:.1f} windows {n}")


if __name__ == "__main__":
    main()
