#!/usr/bin/python3
"""Reference values for the io golden tests, from MNE-Python (Debian python3-mne 1.3).

Usage: mne_read_reference.py FILE [--channels N] [--samples N] [--annotations-only] [--out CSV]
       mne_read_reference.py --batch LIST --out-dir DIR [--channels N] [--samples N]
         (one FILE per line of LIST; writes DIR/<line number>.csv, or DIR/<line number>.err with the error, so that
          MNE is imported once for many files)

Prints CSV on stdout (or into --out) with the header `kind,channel,index,value,text`:
  channel,<i>,<n_samples>,<sfreq_hz>,<name>     one line per data channel (file order, annotation signals excluded)
  stim,<i>,,,                                   channel i is a STIM channel (MNE masks its values: not comparable)
  sample,<i>,<index>,<value>,                   value of channel i at native sample `index`, in the FILE's physical
                                                unit (MNE's volts divided by MNE's unit scale), 17 significant digits
  annotation,,<onset_s>,<duration_s>,<text>     raw.annotations (or mne.read_annotations with --annotations-only)
  source,<i>,,,mne|native                       where channel i's samples come from (see below)

BrainVision (.vhdr): read_raw_brainvision; every sample of every channel is printed (small test files only).

Multi-rate files: MNE's read_raw_edf resamples every channel to the highest rate. Channels at the highest rate are
taken from raw.get_data() unchanged. Slower channels are decoded natively from MNE's own parsed header
(raw._raw_extras: data offset, samples per record, cal, offsets, unit scale) with numpy; this native decode is first
checked against MNE's data on every max-rate channel (exact to 1e-12 relative), and the script fails if it is not.
GDF files are read with read_raw_gdf (one rate in the test file).
"""
import argparse
import csv
import os
import sys

import numpy as np


def pick_indices(n, count):
    """The first and last 100 samples plus `count` evenly spaced ones, sorted and unique."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    head = np.arange(min(100, n))
    tail = np.arange(max(0, n - 100), n)
    mid = np.linspace(0, n - 1, num=min(count, n)).round().astype(np.int64)
    return np.unique(np.concatenate([head, tail, mid]))


def pick_channels(n, count):
    if n <= count:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, num=count).round().astype(int).tolist()))


def native_decode(raw, fname):
    """Per-channel native-rate physical values (file unit) decoded from MNE's parsed EDF/BDF header."""
    ex = raw._raw_extras[0]
    n_samps = np.asarray(ex['n_samps'], dtype=np.int64)  # per header signal (annotation signals included)
    sel = np.asarray(ex['sel'])  # header indices of the data channels
    n_records = int(ex['n_records'])
    dtype_byte = int(ex['dtype_byte'])
    record_samples = int(n_samps.sum())
    with open(fname, 'rb') as f:
        f.seek(int(ex['data_offset']))
        buf = np.frombuffer(f.read(n_records * record_samples * dtype_byte), dtype=np.uint8)
    if dtype_byte == 2:
        dig = buf.view('<i2').astype(np.int64)
    else:
        b = buf.reshape(-1, 3).astype(np.int64)
        dig = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        dig[dig >= (1 << 23)] -= (1 << 24)
    dig = dig.reshape(n_records, record_samples)
    starts = np.concatenate([[0], np.cumsum(n_samps)])
    out = []
    for k, hi in enumerate(sel):
        d = dig[:, starts[hi]:starts[hi + 1]].reshape(-1).astype(np.float64)
        out.append(d * ex['cal'][k] + ex['offsets'][k])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('file', nargs='?')
    ap.add_argument('--channels', type=int, default=8)
    ap.add_argument('--samples', type=int, default=800)
    ap.add_argument('--annotations-only', action='store_true')
    ap.add_argument('--out', help='write the CSV here instead of stdout')
    ap.add_argument('--batch', help='a file listing one input path per line')
    ap.add_argument('--out-dir', help='with --batch: where <line number>.csv files go')
    args = ap.parse_args()
    import mne
    mne.set_log_level('ERROR')
    if args.batch:
        with open(args.batch, encoding='utf-8') as f:
            files = [line.rstrip('\n') for line in f if line.strip()]
        for i, path in enumerate(files):
            args.file = path
            try:
                with open(os.path.join(args.out_dir, '%d.csv' % i), 'w', encoding='utf-8', newline='') as out:
                    write_reference(args, csv.writer(out, lineterminator='\n'))
            except Exception as e:  # reported per file by the C++ test
                with open(os.path.join(args.out_dir, '%d.err' % i), 'w', encoding='utf-8') as err:
                    err.write('%s: %s' % (type(e).__name__, e))
        return
    out = open(args.out, 'w', encoding='utf-8', newline='') if args.out else sys.stdout
    try:
        write_reference(args, csv.writer(out, lineterminator='\n'))
    finally:
        if args.out:
            out.close()


def write_reference(args, w):
    import mne
    w.writerow(['kind', 'channel', 'index', 'value', 'text'])

    if args.annotations_only:
        ann = mne.read_annotations(args.file)
        for a in ann:
            w.writerow(['annotation', '', repr(float(a['onset'])), repr(float(a['duration'])), a['description']])
        return

    ext = os.path.splitext(args.file)[1].lower()
    if ext == '.vhdr':
        write_brainvision(mne.io.read_raw_brainvision(args.file, preload=True), w)
        return
    if ext == '.gdf':
        raw = mne.io.read_raw_gdf(args.file, preload=True)
    else:
        reader = mne.io.read_raw_bdf if ext == '.bdf' else mne.io.read_raw_edf
        try:
            raw = reader(args.file, preload=True)
        except Exception as e:  # MNE 1.3 refuses non-UTF-8 annotation bytes unless told encoding='latin1'
            if 'latin1' not in str(e):
                raise
            raw = reader(args.file, preload=True, encoding='latin1')
    data = raw.get_data()  # volts for uV/mV channels, the physical value otherwise
    ex = raw._raw_extras[0]
    unit_scale = np.asarray(ex['units'], dtype=np.float64)
    stim = set(int(i) for i in np.atleast_1d(ex.get('stim_channel_idxs', [])))
    sfreq = float(raw.info['sfreq'])
    n_chan = data.shape[0]

    if ext == '.gdf':
        native_rates = [sfreq] * n_chan
        per_chan = [data[i] / unit_scale[i] for i in range(n_chan)]
        sources = ['mne'] * n_chan
    else:
        n_samps = np.asarray(ex['n_samps'], dtype=np.int64)[np.asarray(ex['sel'])]
        record_s = float(ex['record_length'][0])
        native_rates = [float(n) / record_s for n in n_samps]
        native = native_decode(raw, args.file)
        max_spr = n_samps.max()
        per_chan, sources = [], []
        for i in range(n_chan):
            if n_samps[i] == max_spr:
                mne_values = data[i] / unit_scale[i]
                if i not in stim:
                    ref = native[i][:len(mne_values)]
                    scale = max(1.0, float(np.max(np.abs(ref))))
                    if len(ref) != len(mne_values) or np.max(np.abs(ref - mne_values)) > 1e-12 * scale:
                        sys.exit(f'native decode disagrees with MNE on channel {i}')
                per_chan.append(mne_values)
                sources.append('mne')
            else:
                per_chan.append(native[i])
                sources.append('native')

    for i in range(n_chan):
        w.writerow(['channel', i, len(per_chan[i]), repr(native_rates[i]), raw.ch_names[i]])
        w.writerow(['source', i, '', '', sources[i]])
        if i in stim:
            w.writerow(['stim', i, '', '', ''])
    candidates = [i for i in range(n_chan) if i not in stim]
    for i in [candidates[k] for k in pick_channels(len(candidates), args.channels)]:
        for j in pick_indices(len(per_chan[i]), args.samples):
            w.writerow(['sample', i, int(j), repr(float(per_chan[i][j])), ''])
    for a in raw.annotations:
        w.writerow(['annotation', '', repr(float(a['onset'])), repr(float(a['duration'])), a['description']])


def write_brainvision(raw, w):
    """BrainVision: all channels share one rate; MNE returns volts for voltage units (raw._orig_units)."""
    volts = {'V': 1.0, 'mV': 1e-3, 'µV': 1e-6, 'uV': 1e-6, 'μV': 1e-6, 'nV': 1e-9}
    data = raw.get_data()
    for i, name in enumerate(raw.ch_names):
        scale = volts.get(raw._orig_units.get(name, ''), 1.0)
        w.writerow(['channel', i, data.shape[1], repr(float(raw.info['sfreq'])), name])
        w.writerow(['source', i, '', '', 'mne'])
        for j in range(data.shape[1]):
            w.writerow(['sample', i, j, repr(float(data[i, j] / scale)), ''])
    for a in raw.annotations:
        w.writerow(['annotation', '', repr(float(a['onset'])), repr(float(a['duration'])), a['description']])


if __name__ == '__main__':
    main()
