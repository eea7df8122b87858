#!/usr/bin/python3
"""Reference timing for bench_dsp: the epilepsyfm preprocessing steps done with MNE 1.3 + SciPy 1.10.

    reference.py INPUT.f32 CHANNELS SFREQ UP DOWN NOTCH_FREQS(comma) L_FREQ H_FREQ

Reads the float32 [samples, channels] input bench_dsp wrote (not timed), then times
mne.filter.filter_data (band-pass) + mne.filter.notch_filter + scipy.signal.resample_poly + per-channel mean/std
(n_jobs=1, float64 as MNE works) and prints one line: "seconds=<t> mean=<m0,m1,...> std=<s0,s1,...>".
"""
import sys
import time

import mne
import numpy as np
import scipy.signal

mne.set_log_level("ERROR")


def main():
    path, channels, sfreq, up, down, notch, l_freq, h_freq = sys.argv[1:9]
    channels, sfreq, up, down = int(channels), float(sfreq), int(up), int(down)
    notch = [float(f) for f in notch.split(",") if f]
    x = np.fromfile(path, dtype="<f4").reshape(-1, channels).T.astype(np.float64)
    t0 = time.perf_counter()
    y = mne.filter.filter_data(x, sfreq, float(l_freq), float(h_freq))
    if notch:
        y = mne.filter.notch_filter(y, sfreq, notch)
    z = scipy.signal.resample_poly(y, up, down, axis=-1)
    mean = z.mean(axis=1)
    std = z.std(axis=1)
    seconds = time.perf_counter() - t0
    print("seconds=%.6f mean=%s std=%s" % (seconds, ",".join("%.9g" % v for v in mean),
                                            ",".join("%.9g" % v for v in std)))


if __name__ == "__main__":
    main()
