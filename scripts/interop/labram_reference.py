"""braindecode's Labram as the reference of `epilepsyfm import` / `export` (tests/integration/interop_test.cpp).

  make DIR --n-chans C --n-times N [--mean-pooling] [--qkv-bias] [--n-outputs K] [--seed S] [--layout L]
      A Labram with random weights (every parameter drawn, norms and layer scales included) in eval mode, a random
      input, and its outputs: DIR/weights.pt (in braindecode's names, or with --layout labram-finetune /
      labram-pretrain in LaBraM's original ones: names from github.com/935963004/LaBraM modeling_finetune.py and
      modeling_pretrain.py), DIR/io.pt {x, pooled, logits[, tokens]} and DIR/ch_names.txt.
      --perturb NAME adds 1e-3 to one tensor of weights.pt after the outputs are computed (the tests must then fail).
  check DIR EXPORTED.pt
      Builds Labram from EXPORTED.json, loads EXPORTED.pt with load_state_dict(strict=True) and compares its output
      on DIR/io.pt's input with DIR/io.pt (`pooled` when the export has no head, else `logits`).
  compare-run STORE RUN EXPORTED.pt [--max-windows N]
      The exported fine-tuned window classifier in braindecode on the store's windows (read with h5py as
      docs/store.md shows) against RUN/predictions_test.csv, the probabilities epilepsyfm computed for them.
  channels
      Prints LABRAM_CHANNEL_ORDER, one name per line.
Relative error = max |a - b| / max |b|; the bound is 1e-5 (float32, CPU). Exit 1 when it is exceeded.

braindecode imports torchaudio at package import; where the installed torchaudio does not match torch (or is
absent), a stand-in module is registered and a line says so: Labram itself does not use torchaudio.
"""
import argparse
import json
import sys
import types
from pathlib import Path

import torch

TOLERANCE = 1e-5


def import_labram():
    try:
        import torchaudio  # noqa: F401
    except Exception as e:  # a wheel built for another torch fails with OSError, not ImportError
        print(f"[labram_reference] torchaudio unusable ({type(e).__name__}); registering a stand-in "
              "(Labram does not use it)", file=sys.stderr)

        class _Stand(types.ModuleType):
            def __getattr__(self, name):
                if name.startswith("__"):
                    raise AttributeError(name)
                return type(name, (), {})

        for name in ("torchaudio", "torchaudio.functional", "torchaudio.transforms"):
            sys.modules[name] = _Stand(name)
        sys.modules["torchaudio"].__path__ = []
        sys.modules["torchaudio"].functional = sys.modules["torchaudio.functional"]
        sys.modules["torchaudio"].transforms = sys.modules["torchaudio.transforms"]
    import warnings
    warnings.filterwarnings("ignore")
    from braindecode.models import labram
    return labram


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            if name.endswith("weight") and p.dim() == 1:  # LayerNorm / GroupNorm scales around 1
                p.copy_(1.0 + 0.2 * noise)
            elif "gamma" in name:
                p.copy_(0.5 + 0.2 * noise)
            else:
                p.copy_(0.05 * noise)


def labram_names(sd, layout):
    """braindecode's names -> LaBraM's (modeling_finetune.NeuralTransformer / modeling_pretrain student)."""
    rules = [("position_embedding", "pos_embed"), ("temporal_embedding", "time_embed"),
             ("patch_embed.temporal_conv.", "patch_embed."), (".mlp.0.", ".mlp.fc1."), (".mlp.2.", ".mlp.fc2."),
             ("final_layer.", "head.")]
    out = {}
    for k, v in sd.items():
        for a, b in rules:
            if a in k:
                k = k.replace(a, b, 1)
                break
        out[k] = v
    t = out["time_embed"]  # LaBraM keeps 16 rows
    out["time_embed"] = torch.cat([t, torch.zeros(1, 16 - t.shape[1], t.shape[2])], 1)
    if layout == "labram-finetune":
        return {"model": out, "epoch": 7}
    student = {"student." + k: v for k, v in out.items() if not k.startswith("head.")}
    student["student.mask_token"] = torch.zeros(1, 1, t.shape[2])
    student["student.lm_head.weight"] = torch.zeros(8192, t.shape[2])
    student["lm_head.weight"] = torch.zeros(8192, t.shape[2])
    return {"model": student, "epoch": 7}


def make(a):
    labram = import_labram()
    order = labram.LABRAM_CHANNEL_ORDER
    g = torch.Generator().manual_seed(a.seed + 1)
    # Distinct 10-10 names (no legacy aliases T3..T6, whose rows epilepsyfm resolves to T7/P7/T8/P8).
    pool = [n for n in order if n.upper() not in ("T3", "T4", "T5", "T6")]
    ch_names = [pool[int(i)] for i in torch.randperm(len(pool), generator=g)[: a.n_chans]]
    model = labram.Labram(n_chans=a.n_chans, n_times=a.n_times, n_outputs=a.n_outputs, sfreq=200,
                          qkv_bias=a.qkv_bias, use_mean_pooling=a.mean_pooling, num_layers=a.depth)
    randomize(model, a.seed)
    model.eval()
    x = torch.randn(3, a.n_chans, a.n_times, generator=g)
    with torch.no_grad():
        chans = torch.tensor([0] + [order.index(n) + 1 for n in ch_names])
        io = {"x": x, "pooled": model.forward_features(x, input_chans=chans),
              "logits": model(x, ch_names=ch_names)}
        if not a.mean_pooling:
            io["tokens"] = model.forward_features(x, input_chans=chans, return_all_tokens=True)
    sd = {k: v.clone() for k, v in model.state_dict().items()}
    if a.perturb:
        sd[a.perturb] += 1e-3
    out = Path(a.dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(sd if a.layout == "braindecode" else labram_names(sd, a.layout), out / "weights.pt")
    torch.save(io, out / "io.pt")
    (out / "ch_names.txt").write_text("\n".join(ch_names) + "\n")
    print(f"[labram_reference] {out}: {len(sd)} tensors, channels {','.join(ch_names)}")


def rel_error(a, b):
    return float((a - b).abs().max() / b.abs().max())


def check(a):
    labram = import_labram()
    exported = Path(a.exported)
    model, ch_names, kw = load_exported(labram, exported)
    io = torch.load(Path(a.dir) / "io.pt")
    names = ch_names or (Path(a.dir) / "ch_names.txt").read_text().split()
    with torch.no_grad():
        y = model(io["x"], ch_names=names)
    want = io["logits"] if kw["n_outputs"] > 0 else io["pooled"]
    err = rel_error(y, want)
    print(f"[labram_reference] braindecode on {exported.name} (strict load): relative error {err:.2e}")
    return 0 if err <= TOLERANCE else 1


def load_exported(labram, exported):
    kw = json.loads(Path(exported).with_suffix(".json").read_text())
    ch_names = kw.pop("ch_names")
    kw["qk_norm"] = torch.nn.LayerNorm if kw["qk_norm"] else None
    model = labram.Labram(**kw)
    model.load_state_dict(torch.load(exported), strict=True)
    return model.eval(), ch_names, kw


def store_window(store, manifest, recording_id, start_s, n_times):
    import h5py
    import numpy as np
    row = manifest[recording_id]
    with h5py.File(f"{store}/{row['shard']}", "r") as f:
        g = f["recordings"][recording_id]
        seg = g["segments"]
        onsets, starts, sizes = seg["onset_s"][:], seg["start_sample"][:], seg["n_samples"][:]
        rate = float(g.attrs["sfreq_hz"])
        k = int(np.searchsorted(onsets, start_s + 1e-9) - 1)
        at = int(starts[k] + round((start_s - onsets[k]) * rate))
        assert at + n_times <= starts[k] + sizes[k], (recording_id, start_s)
        x = g["signal"][:, at:at + n_times].astype(np.float64)
        if g.attrs["normalization"] == "zscore":
            x = (x - g["mean_uv"][:][:, None]) / np.maximum(g["std_uv"][:][:, None], 1e-3)
        elif g.attrs["normalization"] == "scale":
            x = x * g.attrs["scale"]
    return torch.from_numpy(x).float()


def compare_run(a):
    import csv
    labram = import_labram()
    model, ch_names, kw = load_exported(labram, a.exported)
    manifest = {r["recording_id"]: r for r in csv.DictReader(open(f"{a.store}/manifest.csv"))}
    rows = list(csv.DictReader(open(f"{a.run}/predictions_test.csv")))[: a.max_windows]
    classes = [k for k in rows[0] if k.startswith("p_")]
    x = torch.stack([store_window(a.store, manifest, r["recording_id"], float(r["start_s"]), kw["n_times"])
                     for r in rows])
    with torch.no_grad():
        z = model(x, ch_names=ch_names)
    p = torch.sigmoid(z[:, 0]) if kw["n_outputs"] == 1 else torch.softmax(z, -1)[:, -1]
    want = torch.tensor([float(r[classes[-1]]) for r in rows])
    err = float((p - want).abs().max())
    print(f"[labram_reference] braindecode vs {a.run}/predictions_test.csv on {len(rows)} windows: max |dP| {err:.2e}")
    return 0 if err <= TOLERANCE else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("dir")
    m.add_argument("--n-chans", type=int, required=True)
    m.add_argument("--n-times", type=int, required=True)
    m.add_argument("--n-outputs", type=int, default=2)
    m.add_argument("--depth", type=int, default=2)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--mean-pooling", action="store_true")
    m.add_argument("--qkv-bias", action="store_true")
    m.add_argument("--layout", default="braindecode", choices=["braindecode", "labram-finetune", "labram-pretrain"])
    m.add_argument("--perturb", default="")
    c = sub.add_parser("check")
    c.add_argument("dir")
    c.add_argument("exported")
    r = sub.add_parser("compare-run")
    r.add_argument("store")
    r.add_argument("run")
    r.add_argument("exported")
    r.add_argument("--max-windows", type=int, default=100000)
    sub.add_parser("channels")
    a = p.parse_args()
    if a.cmd == "make":
        make(a)
        return 0
    if a.cmd == "check":
        return check(a)
    if a.cmd == "compare-run":
        return compare_run(a)
    print("\n".join(import_labram().LABRAM_CHANNEL_ORDER))
    return 0


if __name__ == "__main__":
    sys.exit(main())
