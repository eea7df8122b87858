#!/usr/bin/env python3
"""Loads an epilepsyfm state-dict file with PyTorch's own torch.load and prints what it finds, one line per entry,
for the C++ test (tests/unit/models/checkpoint_io_test.cpp) to compare with the saved module:

    <name> <dtype> <shape as d0xd1x...> <sum as float64 %.9e> <first element %.9e>
    config <hex of the UTF-8 config text>
    format <format version>

Usage: .venv/bin/python scripts/golden/read_state_dict.py model.pt
torch.load runs with its default weights_only=True (PyTorch >= 2.6): our files must load without trusting pickled
code.
"""
import sys

import torch


def main(path):
    sd = torch.load(path, map_location="cpu")
    if not isinstance(sd, dict):
        raise SystemExit(f"{path}: expected a dict, got {type(sd).__name__}")
    config = sd.pop("_efm.config_yaml").numpy().tobytes().decode("utf-8")
    version = int(sd.pop("_efm.format_version"))
    for name in sorted(sd):
        t = sd[name]
        shape = "x".join(str(s) for s in t.shape) or "scalar"
        flat = t.reshape(-1).double()
        first = flat[0].item() if flat.numel() else 0.0
        print(f"{name} {str(t.dtype).replace('torch.', '')} {shape} {flat.sum().item():.9e} {first:.9e}")
    print(f"config {config.encode('utf-8').hex()}")
    print(f"format {version}")


if __name__ == "__main__":
    main(sys.argv[1])
