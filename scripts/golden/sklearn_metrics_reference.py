#!/usr/bin/python3
"""Reference values for the eval/ classification and forecasting metrics, made by scikit-learn / numpy / scipy.

Used by tests/unit/eval/sklearn_golden_test.cpp (ctest label `golden`):
    /usr/bin/python3 scripts/golden/sklearn_metrics_reference.py --out cases.txt

Generates seeded random inputs (numpy default_rng), computes the reference metrics, and writes both to a plain
text file the C++ test parses: blocks of lines

    case <name> <binary|multiclass|labels|forecast>
    <key> <value> <value> ...
    end

Floats are written with repr(), which round-trips exactly through strtod. Tested with Debian bookworm's
python3-sklearn 1.2.1, python3-numpy 1.24, python3-scipy 1.10.
"""
import argparse
import sys
import warnings

import numpy as np
import scipy.stats
import sklearn
from sklearn import metrics


def fmt(values):
    return " ".join(repr(float(v)) if isinstance(v, (float, np.floating)) else str(int(v)) for v in values)


class Writer:
    def __init__(self, stream):
        self.stream = stream

    def case(self, name, kind):
        self.stream.write(f"case {name} {kind}\n")

    def put(self, key, values):
        values = np.atleast_1d(np.asarray(values)).ravel()
        self.stream.write(f"{key} {fmt(values.tolist())}\n")

    def end(self):
        self.stream.write("end\n")


def binary_case(w, name, y, s):
    w.case(name, "binary")
    w.put("y_true", y)
    w.put("scores", s.astype(float))
    w.put("roc_auc", metrics.roc_auc_score(y, s))
    w.put("average_precision", metrics.average_precision_score(y, s))
    precision, recall, thresholds = metrics.precision_recall_curve(y, s)
    w.put("pr_auc_trapezoid", metrics.auc(recall, precision))
    w.put("pr_precision", precision)
    w.put("pr_recall", recall)
    w.put("pr_thresholds", thresholds.astype(float))
    fpr, tpr, thr = metrics.roc_curve(y, s)
    w.put("roc_fpr", fpr)
    w.put("roc_tpr", tpr)
    w.put("roc_thresholds_after_first", thr[1:].astype(float))  # thr[0] is max+1 in sklearn 1.2, inf from 1.3
    fpr_all, tpr_all, _ = metrics.roc_curve(y, s, drop_intermediate=False)
    w.put("roc_fpr_all", fpr_all)
    w.put("roc_tpr_all", tpr_all)
    pred = (s >= 0.5).astype(int)
    w.put("confusion", metrics.confusion_matrix(y, pred, labels=[0, 1]))
    w.put("balanced_accuracy", metrics.balanced_accuracy_score(y, pred))
    w.put("cohen_kappa", metrics.cohen_kappa_score(y, pred))
    w.put("f1_binary", metrics.f1_score(y, pred, zero_division=0))
    w.put("f1_weighted", metrics.f1_score(y, pred, average="weighted", zero_division=0))
    w.put("recall_positive", metrics.recall_score(y, pred, zero_division=0))
    w.put("recall_negative", metrics.recall_score(y, pred, pos_label=0, zero_division=0))
    w.put("precision_positive", metrics.precision_score(y, pred, zero_division=0))
    w.end()


def labels_case(w, name, k, y, pred, probs=None):
    w.case(name, "multiclass" if probs is not None else "labels")
    w.put("n_classes", [k])
    w.put("y_true", y)
    w.put("y_pred", pred)
    if probs is not None:
        w.put("probs", probs)
        w.put("roc_auc_ovr_macro", metrics.roc_auc_score(y, probs, multi_class="ovr", average="macro"))
        w.put("roc_auc_ovr_per_class", metrics.roc_auc_score(y, probs, multi_class="ovr", average=None))
    w.put("confusion", metrics.confusion_matrix(y, pred, labels=list(range(k))))
    w.put("accuracy", metrics.accuracy_score(y, pred))
    w.put("balanced_accuracy", metrics.balanced_accuracy_score(y, pred))
    w.put("cohen_kappa", metrics.cohen_kappa_score(y, pred))
    w.put("f1_weighted", metrics.f1_score(y, pred, average="weighted", zero_division=0))
    w.put("f1_macro", metrics.f1_score(y, pred, average="macro", zero_division=0))
    p, r, f, sup = metrics.precision_recall_fscore_support(y, pred, labels=list(range(k)), zero_division=0)
    w.put("precision_per_class", p)
    w.put("recall_per_class", r)
    w.put("f1_per_class", f)
    w.put("support", sup)
    w.end()


def forecast_case(w, name, rng, batch, channels, times):
    target = rng.standard_normal((batch, channels, times))
    prediction = 0.6 * target + 0.5 * rng.standard_normal((batch, channels, times)) + 0.1
    w.case(name, "forecast")
    w.put("shape", [batch, channels, times])
    w.put("prediction", prediction)
    w.put("target", target)
    w.put("mae", np.mean(np.abs(prediction - target)))
    w.put("mse", np.mean((prediction - target) ** 2))
    w.put("pearson", scipy.stats.pearsonr(prediction.ravel(), target.ravel())[0])
    per_channel = [
        scipy.stats.pearsonr(prediction[:, c, :].ravel(), target[:, c, :].ravel())[0] for c in range(channels)
    ]
    w.put("pearson_per_channel", per_channel)
    w.put("mae_per_channel", np.mean(np.abs(prediction - target), axis=(0, 2)))
    w.end()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="output text file")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # sklearn's zero-division warnings are expected in some cases
    rng = np.random.default_rng(20250611)

    with open(args.out, "w") as stream:
        w = Writer(stream)
        stream.write(f"# sklearn {sklearn.__version__} numpy {np.__version__}\n")
        # Binary: continuous scores with a signal, heavy ties (1 decimal), strong imbalance, tiny.
        for i, (n, prevalence, decimals) in enumerate([(200, 0.3, None), (300, 0.4, 1), (500, 0.03, 2), (7, 0.5, 1),
                                                        (1000, 0.2, 3)]):
            y = (rng.random(n) < prevalence).astype(int)
            y[0], y[1] = 0, 1  # both classes present
            s = 1 / (1 + np.exp(-(1.5 * y + rng.standard_normal(n) - 1.0)))
            if decimals is not None:
                s = np.round(s, decimals)
            binary_case(w, f"binary_{i}", y, s)
        # All scores equal: AUROC 0.5, AP = prevalence.
        y = np.array([0, 1, 0, 0, 1, 0])
        binary_case(w, "binary_all_tied", y, np.full(6, 0.7))

        # Multi-class with probabilities (softmax of noisy one-hot logits): 4 and 6 classes.
        for i, (n, k) in enumerate([(300, 4), (400, 6)]):
            y = rng.integers(0, k, n)
            y[:k] = np.arange(k)  # every class present (required by sklearn's OvR AUROC)
            logits = 1.2 * np.eye(k)[y] + rng.standard_normal((n, k))
            probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
            labels_case(w, f"multiclass_{i}", k, y, probs.argmax(axis=1), probs)
        # Hard labels: class 4 never in y_true (dropped from balanced accuracy), class 3 never predicted.
        n, k = 250, 5
        y = rng.integers(0, 4, n)
        pred = np.where(rng.random(n) < 0.6, y, rng.integers(0, 5, n))
        pred[pred == 3] = 2
        labels_case(w, "labels_missing_classes", k, y, pred)

        forecast_case(w, "forecast_0", rng, batch=3, channels=4, times=50)
        forecast_case(w, "forecast_1", rng, batch=1, channels=2, times=400)
    return 0


if __name__ == "__main__":
    sys.exit(main())
