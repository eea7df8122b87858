#!/usr/bin/python3
"""Golden references for epilepsyfm's signal/ DSP (tests/golden/signal_dsp_test.cpp).

Run with Debian's python3 (MNE 1.3, SciPy 1.10, NumPy 1.24):

    /usr/bin/python3 scripts/golden/dsp_reference.py --out DIR

Writes, for every case, the input and the reference output as raw little-endian float64 files
(<case>.in.f64, <case>.ref.f64, row-major [channels, samples]) and one line per case to DIR/manifest.txt:

    <case> <kind> key=value key=value ...

Kinds:
  kernel    the FIR kernel MNE designs (mne.filter.create_filter / the notch kernel of notch_filter); no input
  filter    mne.filter.filter_data(x, sfreq, l_freq, h_freq)            (defaults: FIR, zero phase, reflect_limited)
  notch     mne.filter.notch_filter(x, sfreq, freqs)                    (defaults: FIR, zero phase, reflect_limited)
  resample  scipy.signal.resample_poly(x, up, down, axis=-1)            (defaults: Kaiser 5.0, zero padding)
  pipeline  filter_data -> notch_filter -> resample_poly, the "epilepsyfm" profile done the MNE way
Inputs are generated from fixed seeds (numpy.random.default_rng), so the output is deterministic.
"""
import argparse
import os
import sys
from fractions import Fraction

import mne
import numpy as np
import scipy
import scipy.signal

mne.set_log_level("ERROR")


def signal(kind, n_channels, n, sfreq, seed):
    """Test input in microvolts: white noise plus a drift and line noise, or pure sines."""
    t = np.arange(n) / sfreq
    rng = np.random.default_rng(seed)
    if kind == "random":
        x = 20.0 * rng.standard_normal((n_channels, n))
        x += 50.0 * np.sin(2 * np.pi * 0.2 * t + rng.uniform(0, 2 * np.pi, (n_channels, 1)))  # slow drift
        if sfreq / 2 > 51:
            x += 15.0 * np.sin(2 * np.pi * 50.0 * t)  # line noise
        return x
    if kind == "sine":
        f = [3.0, 10.0, 50.0, 22.5][:n_channels]
        return np.stack([40.0 * np.sin(2 * np.pi * fk * t + 0.3 * k) for k, fk in enumerate(f)])
    raise ValueError(kind)


class Writer:
    def __init__(self, out):
        self.out = out
        os.makedirs(out, exist_ok=True)
        self.lines = []

    def case(self, name, kind, x=None, ref=None, **params):
        items = " ".join(f"{k}={v}" for k, v in params.items())
        if x is not None:
            np.ascontiguousarray(x, dtype="<f8").tofile(os.path.join(self.out, name + ".in.f64"))
            items += f" channels={x.shape[0]} samples={x.shape[1]}"
        if ref is not None:
            ref = np.atleast_2d(ref)
            np.ascontiguousarray(ref, dtype="<f8").tofile(os.path.join(self.out, name + ".ref.f64"))
            items += f" ref_channels={ref.shape[0]} ref_samples={ref.shape[1]}"
        self.lines.append(f"{name} {kind} {items}".strip())

    def close(self):
        header = f"# mne {mne.__version__} scipy {scipy.__version__} numpy {np.__version__}"
        with open(os.path.join(self.out, "manifest.txt"), "w") as f:
            f.write(header + "\n" + "\n".join(self.lines) + "\n")


def fmt(v):
    return repr(float(v))


def harmonics(base, sfreq, trans=1.0):
    """The harmonics of `base` whose notch stop band fits below Nyquist (same rule as signal::notch_frequencies)."""
    out, k = [], 1
    while True:
        f = base * k
        if f + f / 200.0 / 2 + trans / 2 >= sfreq / 2:
            return out
        out.append(f)
        k += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--kinds", default="kernel,filter,notch,resample,pipeline",
                    help="comma-separated subset of the kinds to write")
    args = ap.parse_args()
    kinds = set(args.kinds.split(","))
    w = Writer(args.out)

    if "kernel" in kinds:
        write_kernels(w)
    if kinds & {"filter", "notch"}:
        write_filters(w, kinds)
    if "resample" in kinds:
        write_resample(w)
    if "pipeline" in kinds:
        write_pipeline(w)
    w.close()
    print(f"wrote {len(w.lines)} cases to {args.out}")


def write_kernels(w):
    kernel_specs = [
        (160.0, 0.5, 70.0), (250.0, 0.5, 70.0), (256.0, 0.5, 70.0), (173.61, 0.5, 70.0), (1000.0, 0.5, 70.0),
        (256.0, 0.1, 75.0), (250.0, 0.3, 75.0), (100.0, 0.5, None), (512.0, None, 40.0), (200.0, 30.0, 10.0),
    ]
    for i, (sf, lo, hi) in enumerate(kernel_specs):
        h = mne.filter.create_filter(None, sf, lo, hi, method="fir", phase="zero", fir_design="firwin")
        w.case(f"kernel_bp{i}", "kernel", ref=h, sfreq=fmt(sf), l=fmt(lo) if lo else "none",
               h=fmt(hi) if hi else "none")
    notch_specs = [(160.0, [50.0]), (250.0, [50.0, 100.0]), (256.0, [60.0]), (173.61, [50.0]),
                   (1000.0, harmonics(50.0, 1000.0))]
    for i, (sf, freqs) in enumerate(notch_specs):
        # notch_filter's kernel: the same band-stop specification it passes to filter_data (MNE 1.3 filter.py).
        freqs = np.asarray(freqs)
        nw = freqs / 200.0
        tb2 = 0.5
        lows, highs = freqs - nw / 2 - tb2, freqs + nw / 2 + tb2
        h = mne.filter.create_filter(None, sf, highs, lows, l_trans_bandwidth=tb2, h_trans_bandwidth=tb2,
                                     method="fir", phase="zero", fir_design="firwin")
        w.case(f"kernel_notch{i}", "kernel", ref=h, sfreq=fmt(sf), notch="/".join(fmt(f) for f in freqs))



def write_filters(w, kinds):
    rates = [160.0, 250.0, 256.0, 173.61]
    for sf in rates:
        for kind, seed in (("random", 1), ("sine", 2)):
            n = int(round(20 * sf))
            x = signal(kind, 2 if kind == "random" else 4, n, sf, seed)
            tag = str(sf).replace(".", "p")
            if "filter" in kinds:
                y = mne.filter.filter_data(x, sf, 0.5, 70.0)
                w.case(f"filter_{kind}_{tag}", "filter", x, y, sfreq=fmt(sf), l=fmt(0.5), h=fmt(70.0))
            if "notch" in kinds:
                freqs = harmonics(50.0, sf)
                y = mne.filter.notch_filter(x, sf, freqs)
                w.case(f"notch_{kind}_{tag}", "notch", x, y, sfreq=fmt(sf), notch="/".join(fmt(f) for f in freqs))
    # Signals shorter than the kernel (MNE pads min(len(h), n) - 1 samples): n < L and n < (L - 1) / 2.
    for n in (700, 300):
        if "filter" not in kinds:
            break
        x = signal("random", 2, n, 160.0, 3 + n)
        y = mne.filter.filter_data(x, 160.0, 0.5, 70.0)
        w.case(f"filter_short{n}", "filter", x, y, sfreq=fmt(160.0), l=fmt(0.5), h=fmt(70.0))



def write_resample(w):
    for sf in (100.0, 160.0, 173.61, 250.0, 256.0, 500.0, 512.0, 1000.0, 1700000.0 / 1701.0):
        frac = Fraction(200.0 / sf).limit_denominator(100000) if sf != 173.61 else Fraction(20000, 17361)
        if sf == 1700000.0 / 1701.0:
            frac = Fraction(1701, 8500)
        up, down = frac.numerator, frac.denominator
        n = int(round(12 * sf)) + 7
        x = signal("random", 3, n, sf, 11)
        y = scipy.signal.resample_poly(x, up, down, axis=-1)
        tag = ("%.3f" % sf).replace(".", "p")
        w.case(f"resample_{tag}", "resample", x, y, sfreq=fmt(sf), up=up, down=down)



def write_pipeline(w):
    """The epilepsyfm profile done with MNE/SciPy calls one after the other."""
    for sf, up, down in ((160.0, 5, 4), (256.0, 25, 32), (250.0, 4, 5)):
        n = int(round(30 * sf))
        x = signal("random", 3, n, sf, 21)
        y = mne.filter.filter_data(x, sf, 0.5, 70.0)
        y = mne.filter.notch_filter(y, sf, harmonics(50.0, sf))
        z = scipy.signal.resample_poly(y, up, down, axis=-1)
        w.case(f"pipeline_{int(sf)}", "pipeline", x, z, sfreq=fmt(sf), up=up, down=down)


if __name__ == "__main__":
    sys.exit(main())
