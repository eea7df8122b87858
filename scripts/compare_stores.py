#!/usr/bin/python3
"""Compares two stores (e.g. the same input ingested by two builds): every HDF5 dataset and attribute of every shard,
and the text files beside them. Attributes named in --ignore (default: tool_version) are skipped, and the tool version
("epilepsyfm 0.1.0 (b7b81a0e2c57)") inside texts (the manifest rows) is compared as one placeholder.

  scripts/compare_stores.py STORE_A STORE_B [--ignore tool_version,...]
Prints one line per difference and a summary; exit code 0 when the stores are equal, 1 otherwise."""
import argparse
import pathlib
import re
import sys

import h5py
import numpy as np

TOOL_VERSION = re.compile(rb"epilepsyfm \d+\.\d+\.\d+ \([0-9a-f]+(-dirty)?\)")


def without_version(value):
    if isinstance(value, bytes):
        return TOOL_VERSION.sub(b"epilepsyfm <version>", value)
    if isinstance(value, str):
        return TOOL_VERSION.sub(b"epilepsyfm <version>", value.encode()).decode()
    return value


def attrs_equal(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    return without_version(a) == without_version(b)


def compare_h5(fa, fb, ignore, out):
    names_a, names_b = [], []
    fa.visit(names_a.append)
    fb.visit(names_b.append)
    if sorted(names_a) != sorted(names_b):
        out.append(f"objects differ: only in A {sorted(set(names_a) - set(names_b))[:5]}, "
                   f"only in B {sorted(set(names_b) - set(names_a))[:5]}")
    n_datasets = n_attrs = 0
    for name in [""] + sorted(set(names_a) & set(names_b)):
        oa, ob = (fa[name], fb[name]) if name else (fa, fb)
        keys = set(oa.attrs) | set(ob.attrs)
        for k in sorted(keys - set(ignore)):
            n_attrs += 1
            if k not in oa.attrs or k not in ob.attrs or not attrs_equal(oa.attrs[k], ob.attrs[k]):
                out.append(f"/{name} attribute {k}: {oa.attrs.get(k)!r} vs {ob.attrs.get(k)!r}")
        if isinstance(oa, h5py.Dataset):
            n_datasets += 1
            if oa.shape != ob.shape or oa.dtype != ob.dtype:
                out.append(f"/{name}: {oa.shape} {oa.dtype} vs {ob.shape} {ob.dtype}")
            elif not np.array_equal(oa[()], ob[()], equal_nan=oa.dtype.kind == "f"):
                out.append(f"/{name}: values differ")
    return n_datasets, n_attrs


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a", type=pathlib.Path)
    p.add_argument("b", type=pathlib.Path)
    p.add_argument("--ignore", default="tool_version")
    args = p.parse_args()
    ignore = [x for x in args.ignore.split(",") if x]
    out = []
    files_a = sorted(x.name for x in args.a.iterdir() if x.is_file())
    files_b = sorted(x.name for x in args.b.iterdir() if x.is_file())
    if files_a != files_b:
        out.append(f"files differ: {files_a} vs {files_b}")
    n_datasets = n_attrs = 0
    for name in sorted(set(files_a) & set(files_b)):
        fa, fb = args.a / name, args.b / name
        if name.endswith(".h5"):
            with h5py.File(fa, "r") as ha, h5py.File(fb, "r") as hb:
                d, a = compare_h5(ha, hb, ignore, out)
                n_datasets, n_attrs = n_datasets + d, n_attrs + a
        elif name.endswith(".log"):
            continue  # timings and paths
        elif without_version(fa.read_bytes()) != without_version(fb.read_bytes()):
            out.append(f"{name}: contents differ")
    for line in out:
        print(line)
    print(f"compared {len(files_a)} files, {n_datasets} datasets, {n_attrs} attributes (ignored: {', '.join(ignore)}): "
          f"{'equal' if not out else f'{len(out)} difference(s)'}")
    return 0 if not out else 1


if __name__ == "__main__":
    sys.exit(main())
