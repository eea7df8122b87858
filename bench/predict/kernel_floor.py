"""Time LibTorch's own kernels at the shapes of the demo detector's forward pass on 64 channels (one thread).

Not a test: the floor that bench/predict's real-time factor is compared with in docs/results.md. One batch of 32
windows of 257 tokens (64 channels x 4 patches + cls), d 64, 4 heads, FFN 256 (model size tiny), per layer.

    .venv/bin/python bench/predict/kernel_floor.py
"""
import time

import torch

BATCH, TOKENS, DIM, FFN, HEADS = 32, 257, 64, 256, 4
LAYERS, WINDOWS_PER_HOUR = 4, 3597


def best_of(fn, repeat=20):
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def main():
    torch.set_num_threads(1)
    rows = BATCH * TOKENS
    x, h = torch.randn(rows, DIM), torch.randn(rows, FFN)
    w_qkv, w_proj = torch.randn(3 * DIM, DIM), torch.randn(DIM, DIM)
    w_fc1, w_fc2 = torch.randn(FFN, DIM), torch.randn(DIM, FFN)
    q, k, v = (torch.randn(BATCH, HEADS, TOKENS, DIM // HEADS) for _ in range(3))
    F = torch.nn.functional

    def linears():
        F.linear(x, w_qkv), F.linear(x, w_proj), F.linear(x, w_fc1), F.linear(h, w_fc2)

    def attention():
        F.scaled_dot_product_attention(q, k, v)

    macs_linear = rows * (3 * DIM * DIM + DIM * DIM + 2 * DIM * FFN)
    macs_attention = BATCH * HEADS * 2 * TOKENS * TOKENS * (DIM // HEADS)
    batches = WINDOWS_PER_HOUR / BATCH
    total = 0.0
    for name, fn, macs in (("linear layers", linears, macs_linear), ("attention (SDPA)", attention, macs_attention)):
        t = best_of(fn)
        per_hour = t * LAYERS * batches
        total += per_hour
        print(f"{name}: {t * 1e3:.1f} ms per layer and batch, {macs / t / 1e9:.1f} G multiply-adds/s, "
              f"{per_hour:.1f} s per hour of recording")
    print(f"transformer core: {total:.1f} s per hour of recording -> at most {3600 / total:.0f}x real time")


if __name__ == "__main__":
    main()
