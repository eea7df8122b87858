#!/usr/bin/python3
"""Reads a simulator EDF+ file with MNE and compares it with what was meant to be written.

Used by tests/unit/data/golden/simulate_mne_test.cpp (reference: Debian python3-mne 1.3, numpy 1.24):
    simulate_mne_check.py FILE.edf EXPECTED.f64 N_CHANNELS
EXPECTED.f64 holds the microvolt values the simulator produced, float64, channel-major [N_CHANNELS][n_samples].
Prints one `key value...` line per fact: sfreq, channel names, sample count, the annotations, the largest absolute
difference between MNE's values and the expected ones, and the largest half-step (LSB/2) of the channels; then the
angle between each electrode position of the simulator's lead field (passed on stdin as `NAME x y z` lines) and
MNE's standard_1020 montage.
"""
import sys

import mne
import numpy as np


def main():
    path, expected_path, n_ch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
    data_uv = raw.get_data() * 1e6  # MNE returns volts for "uV" channels
    expected = np.fromfile(expected_path, dtype=np.float64).reshape(n_ch, -1)
    print("sfreq", raw.info["sfreq"])
    print("channels", " ".join(raw.ch_names))
    print("n_times", raw.n_times)
    for a in raw.annotations:
        print("annotation", repr(float(a["onset"])), repr(float(a["duration"])), a["description"])
    print("max_abs_err_uv", repr(float(np.max(np.abs(data_uv - expected)))))

    # One digital step: MNE 1.3's EDF reader keeps (physical range / digital range) per channel in
    # _raw_extras[0]["cal"] (physical units) and the unit factor to volts in _raw_extras[0]["units"].
    extras = raw._raw_extras[0]
    cals = [float(c) * float(u) * 1e6 for c, u in zip(extras["cal"], extras["units"])]
    print("max_half_lsb_uv", repr(float(max(cals) / 2)))
    montage = mne.channels.make_standard_montage("standard_1020")
    pos = {k.upper(): np.asarray(v) for k, v in montage.get_positions()["ch_pos"].items()}
    for line in sys.stdin:
        name, x, y, z = line.split()
        ours = np.array([float(x), float(y), float(z)])
        theirs = pos[name] / np.linalg.norm(pos[name])
        angle = np.degrees(np.arccos(np.clip(ours @ theirs, -1, 1)))
        print("angle", name, repr(float(angle)))


if __name__ == "__main__":
    main()
