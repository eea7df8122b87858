#!/usr/bin/python3
"""Reference values for eval/ event and sample scoring, made by SzCORE's `timescoring` package (esl-epfl).

Used by tests/unit/eval/timescoring_golden_test.cpp (ctest label `golden`), which skips loudly when
`import timescoring` fails: the package is not in Debian. To run it, make the package importable, e.g.
    PYTHONPATH=/path/to/timescoring/src ctest --test-dir build -R TimescoringGolden
    /usr/bin/python3 scripts/golden/timescoring_reference.py --out cases.txt

Generates seeded random label masks (reference = "seizures", hypothesis = jittered copies plus random false
alarms), scores them with timescoring's EventScoring (several parameter sets) and SampleScoring, and writes a
text file of blocks:

    case <name>
    fs <label rate Hz>
    n <number of mask samples>
    params <toleranceStart> <toleranceEnd> <minOverlap> <maxEventDuration> <minDurationBetweenEvents>
    ref <start index> <end index> ...        (runs of the reference mask, end exclusive)
    hyp <start index> <end index> ...
    event <refTrue> <tp> <fp> <sensitivity> <precision> <f1> <fpRate>
    sample <refTrue> <tp> <fp> <sensitivity> <precision> <f1> <fpRate>      (at fs)
    sample_1hz <refTrue> <tp> <fp> <sensitivity> <precision> <f1> <fpRate>  (resampled to 1 Hz)
    end
"""
import argparse
import sys

import numpy as np
from timescoring import scoring
from timescoring.annotations import Annotation

PARAMS = [
    (30, 60, 0, 300, 90),  # SzCORE defaults
    (0, 0, 0, 300, 0),
    (10, 20, 0.3, 120, 30),
    (30, 60, 0.6, 600, 5),
]


def runs(mask):
    edges = np.diff(np.r_[0, mask.astype(int), 0])
    return np.c_[np.where(edges == 1)[0], np.where(edges == -1)[0]].ravel()


def random_mask(rng, n, fs, n_events, min_s, max_s):
    mask = np.zeros(n, dtype=bool)
    for _ in range(n_events):
        length = int(rng.uniform(min_s, max_s) * fs)
        start = int(rng.integers(0, max(1, n - length)))
        mask[start:start + length] = True
    return mask


def jitter(rng, ref, fs, n):
    hyp = np.zeros(n, dtype=bool)
    edges = runs(ref).reshape(-1, 2)
    for start, end in edges:
        if rng.random() < 0.25:
            continue  # missed seizure
        shift = int(rng.normal(0, 40) * fs)
        stretch = rng.uniform(0.2, 1.5)
        a = int(np.clip(start + shift, 0, n))
        b = int(np.clip(a + max(1, int((end - start) * stretch)), 0, n))
        hyp[a:b] = True
    return hyp


def score_line(s):
    def num(v):
        return repr(float(v))
    return f"{int(s.refTrue)} {int(s.tp)} {int(s.fp)} {num(s.sensitivity)} {num(s.precision)} {num(s.f1)} " \
           f"{num(s.fpRate)}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    rng = np.random.default_rng(31415)
    with open(args.out, "w") as out:
        case = 0
        for fs in (1, 4, 10):
            for _ in range(12):
                n = int(rng.integers(600, 7200) * fs)
                ref = random_mask(rng, n, fs, int(rng.integers(0, 7)), 5, 700)
                hyp = jitter(rng, ref, fs, n) | random_mask(rng, n, fs, int(rng.integers(0, 8)), 1, 400)
                sample = scoring.SampleScoring(Annotation(ref, fs), Annotation(hyp, fs), fs)
                sample_1hz = scoring.SampleScoring(Annotation(ref, fs), Annotation(hyp, fs))  # SzCORE's 1 Hz
                for p in PARAMS:
                    param = scoring.EventScoring.Parameters(*p)
                    event = scoring.EventScoring(Annotation(ref, fs), Annotation(hyp, fs), param)
                    out.write(f"case c{case}\nfs {fs}\nn {n}\nparams {' '.join(repr(float(v)) for v in p)}\n")
                    out.write("ref " + " ".join(str(int(v)) for v in runs(ref)) + "\n")
                    out.write("hyp " + " ".join(str(int(v)) for v in runs(hyp)) + "\n")
                    out.write("event " + score_line(event) + "\n")
                    out.write("sample " + score_line(sample) + "\n")
                    out.write("sample_1hz " + score_line(sample_1hz) + "\n")
                    out.write("end\n")
                    case += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
