#!/usr/bin/env python3
"""Python PyTorch reference for bench/train_step (run by bench_train_step with the Python of the torch wheel the C++
build links, so both sides run the same PyTorch version).

An independent, plain PyTorch implementation of the architecture epilepsyfm trains, written from the architecture
facts (LaBraM: Jiang et al., ICLR 2024; BEiT v2: Peng et al. 2022; EpilepsyFM spectral branch as documented in
include/epilepsyfm/models/*.h), not from either project's code:
  - patch embedding: TemporalConv (Conv2d 1->oc (1,15) stride (1,8) pad (0,7), GroupNorm(4), GELU, then two
    Conv2d oc->oc (1,3) pad (0,1) + GroupNorm + GELU; features ordered (step, channel)), a spectral branch
    (4-level learnable wavelet packet from db4 filters, mean |coefficient| over 4 bins -> Linear(64, d), plus
    |rfft| -> Linear(101, d)), fused by Linear(25*oc + d, d); electrode + region + time embeddings, CLS token;
  - BEiT-style pre-LN blocks: qkv Linear without bias (+ optional q/v biases), optional LayerNorm on q and k per
    head, layer scale, GELU MLP;
  - tokenizer (VQ-NSP): encoder, Tanh task layer -> 64-d, cosine VQ with an l2-normalised EMA codebook of 8192
    codes (k-means init on the first batch, dead codes re-seeded from the batch), decoder (Linear 64->d, positions,
    3 blocks, LayerNorm), Tanh MLP heads predicting the standardised FFT amplitude and phase of each patch;
  - masked EEG modelling: student backbone, learnable mask token, lm_head Linear(d, 8192), labels from a frozen
    tokenizer, random mask of 50 % and the symmetric pass (mask and its complement) as two forwards (LaBraM's way).
Sizes: base (d 200, 12 blocks, 10 heads, FFN 800, oc 8) and large (d 400, 24 blocks, 16 heads, FFN 1600, oc 16);
--device cuda and --bf16 (forward under bfloat16 autocast, tokenizer labels in float32) for GPU runs. Parameter
counts are printed so the caller can compare them with the C++ models.

Output: one `key=value` line per figure (parsed by bench/train_step/reference.cpp), e.g.
  matmul_1024_gflops=101.3
  tokenizer_step_s=0.912,0.905,...   (timed steps; also _forward_s, _backward_s, _update_s)
"""
import argparse
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

P = 200  # samples per 1-s patch at 200 Hz

# Daubechies-4 scaling filter (scipy.signal.daub(4), SciPy 1.10; Daubechies 1992, Table 6.1).
DB4 = [0.23037781330889648, 0.7148465705529157, 0.6308807679298589, -0.027983769416859747,
       -0.187034811719093, 0.030841381835560656, 0.032883011666885176, -0.010597401785069021]


def trunc_normal(t, std=0.02):
    with torch.no_grad():
        return nn.init.trunc_normal_(t, std=std, a=-2.0, b=2.0)


def linear(i, o, bias=True):
    m = nn.Linear(i, o, bias=bias)
    trunc_normal(m.weight)
    if bias:
        nn.init.zeros_(m.bias)
    return m


class TemporalConv(nn.Module):
    def __init__(self, oc):
        super().__init__()
        self.conv1 = nn.Conv2d(1, oc, (1, 15), stride=(1, 8), padding=(0, 7))
        self.conv2 = nn.Conv2d(oc, oc, (1, 3), padding=(0, 1))
        self.conv3 = nn.Conv2d(oc, oc, (1, 3), padding=(0, 1))
        self.norm1, self.norm2, self.norm3 = (nn.GroupNorm(4, oc) for _ in range(3))

    def forward(self, patches):  # [B, N, P] -> [B, N, 25*oc]
        b, n, _ = patches.shape
        x = patches.unsqueeze(1)
        x = F.gelu(self.norm1(self.conv1(x)))
        x = F.gelu(self.norm2(self.conv2(x)))
        x = F.gelu(self.norm3(self.conv3(x)))  # [B, oc, N, 25]
        return x.permute(0, 2, 3, 1).reshape(b, n, -1)


class WaveletPacket(nn.Module):
    """Full packet tree: every node is split by a learnable (low, high) pair per level, circular padding, stride 2."""

    def __init__(self, levels):
        super().__init__()
        h = torch.tensor(DB4)
        g = torch.tensor([(-1.0) ** k * DB4[7 - k] for k in range(8)])
        taps = torch.stack([h, g]).unsqueeze(1)  # [2, 1, 8]
        self.levels = nn.ParameterList([nn.Parameter(taps.clone()) for _ in range(levels)])

    def forward(self, x):  # [M, L] -> [M, 2^levels, L / 2^levels]
        m, length = x.shape
        nodes = x.reshape(m, 1, length)
        for w in self.levels:
            k = nodes.shape[1]
            flat = F.pad(nodes.reshape(m * k, 1, length), (3, 3 + length % 2), mode="circular")
            out = F.conv1d(flat, w, stride=2)
            length = out.shape[2]
            nodes = out.reshape(m, 2 * k, length)
        return nodes


class SpectralBranch(nn.Module):
    def __init__(self, d, levels=4, bins=4):
        super().__init__()
        self.wavelet = WaveletPacket(levels)
        self.bins = bins
        self.wavelet_proj = linear((2 ** levels) * bins, d)
        self.fft_proj = linear(P // 2 + 1, d)

    def forward(self, patches):  # [B, N, P] -> [B, N, d]
        b, n, _ = patches.shape
        mag = torch.fft.rfft(patches, dim=-1, norm="forward").abs()
        bands = self.wavelet(patches.reshape(b * n, P))
        pooled = F.adaptive_avg_pool1d(bands.abs(), self.bins).reshape(b, n, -1)
        return self.fft_proj(mag) + self.wavelet_proj(pooled)


class Positions(nn.Module):
    """Electrode + region embedding per channel, time embedding per patch index, CLS prepended."""

    def __init__(self, d, n_electrodes=256, n_regions=8, max_patches=256):
        super().__init__()
        self.electrode = nn.Embedding(n_electrodes, d)
        self.region = nn.Embedding(n_regions + 1, d)
        self.time = nn.Parameter(torch.zeros(1, max_patches, d))
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        for t in (self.electrode.weight, self.region.weight, self.time, self.cls):
            trunc_normal(t)

    def forward(self, f, chans, regions, t):  # f [B, C*T, d]; chans, regions [B, C]
        b, _, d = f.shape
        c = chans.shape[1]
        space = self.electrode(chans) + self.region(regions + 1)  # [B, C, d]
        pos = space.unsqueeze(2) + self.time[:, :t].unsqueeze(1)  # [B, C, T, d]
        x = (f.reshape(b, c, t, d) + pos).reshape(b, c * t, d)
        return torch.cat([self.cls.expand(b, 1, d), x], dim=1)


class PatchEmbed(nn.Module):
    def __init__(self, d, oc):
        super().__init__()
        self.temporal = TemporalConv(oc)
        self.spectral = SpectralBranch(d)
        self.proj = linear(25 * oc + d, d)
        self.positions = Positions(d)

    def forward(self, x, chans, regions, mask=None, mask_token=None):  # x [B, C, T*P]
        b, c, s = x.shape
        t = s // P
        patches = x.reshape(b, c * t, P)
        f = self.proj(torch.cat([self.temporal(patches), self.spectral(patches)], dim=-1))
        if mask is not None:
            f = torch.where(mask.unsqueeze(-1), mask_token.reshape(1, 1, -1), f)
        return self.positions(f, chans, regions, t)


class Attention(nn.Module):
    def __init__(self, d, heads, qkv_bias, qk_norm):
        super().__init__()
        self.h, self.hd = heads, d // heads
        self.scale = self.hd ** -0.5
        self.qkv = linear(d, 3 * d, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(d)) if qkv_bias else None
        self.v_bias = nn.Parameter(torch.zeros(d)) if qkv_bias else None
        self.q_norm = nn.LayerNorm(self.hd, eps=1e-6) if qk_norm else None
        self.k_norm = nn.LayerNorm(self.hd, eps=1e-6) if qk_norm else None
        self.proj = linear(d, d)

    def forward(self, x):
        b, n, d = x.shape
        bias = None
        if self.q_bias is not None:
            bias = torch.cat([self.q_bias, torch.zeros_like(self.v_bias), self.v_bias])
        q, k, v = F.linear(x, self.qkv.weight, bias).reshape(b, n, 3, self.h, self.hd).permute(2, 0, 3, 1, 4)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    def __init__(self, d, heads, ffn, qkv_bias, qk_norm, layer_scale):
        super().__init__()
        self.norm1 = nn.LayerNorm(d, eps=1e-6)
        self.attn = Attention(d, heads, qkv_bias, qk_norm)
        self.norm2 = nn.LayerNorm(d, eps=1e-6)
        self.fc1, self.fc2 = linear(d, ffn), linear(ffn, d)
        self.g1 = nn.Parameter(torch.full((d,), layer_scale)) if layer_scale > 0 else None
        self.g2 = nn.Parameter(torch.full((d,), layer_scale)) if layer_scale > 0 else None

    def forward(self, x):
        a = self.attn(self.norm1(x))
        x = x + (a if self.g1 is None else self.g1 * a)
        m = self.fc2(F.gelu(self.fc1(self.norm2(x))))
        return x + (m if self.g2 is None else self.g2 * m)


def make_blocks(n, d, heads, ffn, qkv_bias, qk_norm, layer_scale):
    blocks = nn.ModuleList(Block(d, heads, ffn, qkv_bias, qk_norm, layer_scale) for _ in range(n))
    with torch.no_grad():  # BEiT: rescale the residual output projections by 1/sqrt(2 * layer)
        for i, blk in enumerate(blocks):
            blk.attn.proj.weight.div_(math.sqrt(2.0 * (i + 1)))
            blk.fc2.weight.div_(math.sqrt(2.0 * (i + 1)))
    return blocks


# LaBraM labram_base / labram_large: d 200/400, depth 12/24, heads 10/16, MLP ratio 4, TemporalConv out_chans 8/16.
SIZES = {
    "base": dict(d=200, depth=12, heads=10, ffn=800, oc=8),
    "large": dict(d=400, depth=24, heads=16, ffn=1600, oc=16),
}


class Backbone(nn.Module):
    def __init__(self, qkv_bias, qk_norm, layer_scale, mean_pooling, d, depth, heads, ffn, oc):
        super().__init__()
        self.patch_embed = PatchEmbed(d, oc)
        self.blocks = make_blocks(depth, d, heads, ffn, qkv_bias, qk_norm, layer_scale)
        self.norm = nn.LayerNorm(d, eps=1e-6)
        self.fc_norm = nn.LayerNorm(d, eps=1e-6) if mean_pooling else None  # pooled embedding (unused here)

    def forward(self, x, chans, regions, mask=None, mask_token=None):  # -> [B, 1 + C*T, d]
        h = self.patch_embed(x, chans, regions, mask, mask_token)
        for blk in self.blocks:
            h = blk(h)
        return self.norm(h)


class TanhMlp(nn.Module):
    def __init__(self, i, h, o):
        super().__init__()
        self.fc1, self.fc2 = linear(i, h), linear(h, o)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


class EmaQuantizer(nn.Module):
    """Cosine VQ, l2-normalised codebook updated by EMA of the batch means (decay 0.99), k-means init, re-seeding."""

    def __init__(self, n_codes=8192, dim=64, decay=0.99, dead=1e-3):
        super().__init__()
        self.k, self.dim, self.decay, self.dead = n_codes, dim, decay, dead
        self.register_buffer("codebook", torch.zeros(n_codes, dim))
        self.register_buffer("cluster_size", torch.zeros(n_codes))
        self.initialized = False
        self.pending = None

    @torch.no_grad()
    def kmeans_init(self, z, iters=10):
        m = z.shape[0]
        idx = torch.randperm(m)[: self.k] if m >= self.k else torch.randint(m, (self.k,))
        means = z[idx]
        bins = torch.zeros(self.k)
        for _ in range(iters):
            assign = (z @ means.t()).argmax(1)
            bins = torch.bincount(assign, minlength=self.k).float()
            sums = torch.zeros_like(means).index_add_(0, assign, z)
            means = torch.where((bins == 0).unsqueeze(1), means, F.normalize(sums / bins.clamp_min(1).unsqueeze(1), dim=-1))
        self.codebook.copy_(means)
        self.cluster_size.copy_(bins)
        self.initialized = True

    def forward(self, z):  # [..., D] -> (z_q straight-through, indices, commitment loss)
        z = F.normalize(z, dim=-1)
        flat = z.reshape(-1, self.dim)
        if not self.initialized:
            self.kmeans_init(flat.detach())
        with torch.no_grad():
            f = flat.detach()
            idx = (f @ self.codebook.t()).argmax(1)
            codes = self.codebook[idx].view_as(z)
            if self.training:
                counts = torch.bincount(idx, minlength=self.k).float()
                sums = torch.zeros_like(self.codebook).index_add_(0, idx, f)
                self.pending = (counts, sums, f)
        loss = F.mse_loss(codes, z)
        return z + (codes - z).detach(), idx.view(z.shape[:-1]), loss

    @torch.no_grad()
    def apply_pending(self):  # once per optimiser step, after backward (as the C++ TokenizerTask)
        if self.pending is None:
            return
        counts, sums, batch = self.pending
        self.pending = None
        self.cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
        means = F.normalize(sums / counts.clamp_min(1).unsqueeze(1), dim=-1)
        target = torch.where((counts > 0).unsqueeze(1), means, self.codebook)
        self.codebook.copy_(F.normalize(self.codebook * self.decay + target * (1 - self.decay), dim=-1))
        dead = (self.cluster_size < self.dead).nonzero().reshape(-1)
        if dead.numel() > 0:
            m = batch.shape[0]
            rows = torch.randperm(m)[: dead.numel()] if m >= dead.numel() else torch.randint(m, (dead.numel(),))
            self.codebook.index_copy_(0, dead, batch[rows])
            self.cluster_size.index_fill_(0, dead, max(self.cluster_size.mean().item(), self.dead))


def std_norm(t):
    return (t - t.mean(dim=(1, 2), keepdim=True)) / t.std(dim=(1, 2), keepdim=True)


class Tokenizer(nn.Module):
    def __init__(self, d, depth, heads, ffn, oc, n_codes=8192, code_dim=64, decoder_depth=3):
        super().__init__()
        # VQ-NSP encoder flags: q/v biases, no QK-norm, no layer scale, CLS pooling (no fc_norm).
        self.encoder = Backbone(True, False, 0.0, False, d, depth, heads, ffn, oc)
        self.encode_task_layer = TanhMlp(d, d, code_dim)
        self.quantizer = EmaQuantizer(n_codes, code_dim)
        self.input_proj = linear(code_dim, d)
        self.dec_positions = Positions(d)
        self.dec_blocks = make_blocks(decoder_depth, d, heads, ffn, True, False, 0.0)
        self.dec_norm = nn.LayerNorm(d, eps=1e-6)
        self.amplitude_head, self.phase_head = TanhMlp(d, d, P), TanhMlp(d, d, P)

    def quantize(self, x, chans, regions):
        h = self.encoder(x, chans, regions)[:, 1:]
        return self.quantizer(self.encode_task_layer(h))

    @torch.no_grad()
    def encode(self, x, chans, regions):
        return self.quantize(x, chans, regions)[1]

    def forward(self, x, chans, regions):
        z_q, idx, commit = self.quantize(x, chans, regions)
        h = self.dec_positions(self.input_proj(z_q), chans, regions, x.shape[2] // P)
        for blk in self.dec_blocks:
            h = blk(h)
        h = self.dec_norm(h)[:, 1:]
        with torch.no_grad():
            spec = torch.fft.fft(x.reshape(x.shape[0], -1, P), dim=-1)
            amp_t, phase_t = std_norm(spec.abs()), std_norm(torch.angle(spec))
        amp_l = F.mse_loss(self.amplitude_head(h), amp_t)
        phase_l = F.mse_loss(self.phase_head(h), phase_t)
        return commit + amp_l + phase_l, (commit.item(), amp_l.item(), phase_l.item())


class MaskedModel(nn.Module):
    def __init__(self, d, depth, heads, ffn, oc, n_codes=8192):
        super().__init__()
        self.student = Backbone(False, True, 0.1, True, d, depth, heads, ffn, oc)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d))
        trunc_normal(self.mask_token)
        self.lm_head = linear(d, n_codes)

    def forward(self, x, chans, regions, labels, mask):
        """LaBraM's symmetric pass: one student forward with mask M, one with ~M; CE on the masked tokens of each."""
        losses, accs = [], []
        for m in (mask, ~mask):
            h = self.student(x, chans, regions, m, self.mask_token)[:, 1:]
            logits = self.lm_head(h[m])
            target = labels[m]
            losses.append(F.cross_entropy(logits, target))
            accs.append((logits.detach().argmax(-1) == target).float().mean().item())
        return losses[0] + losses[1], accs


def random_mask(b, n, ratio):
    """Exactly n - floor(n * (1 - ratio)) masked tokens per window, uniformly (LaBraM random masking)."""
    n_mask = n - int(math.floor(n * (1.0 - ratio)))
    order = torch.rand(b, n).argsort(dim=1)
    mask = torch.zeros(b, n, dtype=torch.bool)
    mask.scatter_(1, order[:, :n_mask], True)
    return mask


def param_groups(model, weight_decay):
    """No decay for <= 1-D tensors, biases, norms, embeddings and tokens (BEiT/LaBraM rule); the rest decayed."""
    decay, no_decay = [], []
    embed_weights = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        skip = (p.ndim <= 1 or name.endswith(".bias") or id(p) in embed_weights or "norm" in name
                or "token" in name.split(".")[-1] or name.split(".")[-1] in ("time", "cls"))
        (no_decay if skip else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def count(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def make_batch(b, c, seconds, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, c, seconds * P, generator=g)
    chans = torch.arange(1, c + 1).repeat(b, 1)
    regions = (torch.arange(c) % 8).repeat(b, 1)
    return x, chans, regions


def sync(device):
    """GPU kernels run asynchronously: a phase's time is known once the device has finished it."""
    if device.type == "cuda":
        torch.cuda.synchronize()


def run_steps(step, warmup, steps):
    """step() -> (t_forward, t_backward, t_update) in seconds; returns lists over the timed steps."""
    out = {"step": [], "forward": [], "backward": [], "update": []}
    for i in range(warmup + steps):
        f, b, u = step()
        if i >= warmup:
            out["step"].append(f + b + u)
            out["forward"].append(f)
            out["backward"].append(b)
            out["update"].append(u)
    return out


def emit(prefix, times):
    for k, v in times.items():
        key = f"{prefix}_step_s" if k == "step" else f"{prefix}_{k}_s"
        print(key + "=" + ",".join(f"{t:.6f}" for t in v))
    sys.stdout.flush()


def bench_matmul(sizes, reps, device, dtype):
    for n in sizes:
        a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
        c = torch.empty(n, n, device=device, dtype=dtype)
        for _ in range(2):
            torch.mm(a, b, out=c)
        ts = []
        for _ in range(reps if n <= 1024 else max(3, reps // 4)):
            sync(device)
            t0 = time.perf_counter()
            torch.mm(a, b, out=c)
            sync(device)
            ts.append(time.perf_counter() - t0)
        print(f"matmul_{n}_gflops={2.0 * n ** 3 / statistics.median(ts) / 1e9:.3f}")


def bench_tokenizer(args):
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    tok = Tokenizer(**SIZES[args.size]).to(dev)
    tok.train()
    print(f"tokenizer_params={count(tok)}")
    opt = torch.optim.AdamW(param_groups(tok, 1e-4), lr=5e-5, betas=(0.9, 0.99), eps=1e-8)
    params = [p for p in tok.parameters() if p.requires_grad]
    x, chans, regions = (t.to(dev) for t in make_batch(args.batch, args.channels, args.seconds, args.seed))

    def step():
        sync(dev)
        t0 = time.perf_counter()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=args.bf16):
            loss, parts = tok(x, chans, regions)
        sync(dev)
        t1 = time.perf_counter()
        loss.backward()
        sync(dev)
        t2 = time.perf_counter()
        tok.quantizer.apply_pending()
        torch.nn.utils.clip_grad_norm_(params, float("inf"))  # norm only (tokenizer config: no clipping)
        opt.step()
        opt.zero_grad()
        sync(dev)
        return t1 - t0, t2 - t1, time.perf_counter() - t2

    emit("tokenizer", run_steps(step, args.warmup, args.steps))


def bench_pretrain(args):
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    tok = Tokenizer(**SIZES[args.size])
    with torch.no_grad():  # a frozen tokenizer with some codebook (values do not matter for timing)
        tok.quantizer.codebook.copy_(F.normalize(torch.randn(8192, 64), dim=-1))
    tok.quantizer.initialized = True
    tok.to(dev).eval()
    for p in tok.parameters():
        p.requires_grad_(False)
    mem = MaskedModel(**SIZES[args.size]).to(dev)
    mem.train()
    print(f"pretrain_params={count(mem)}")
    opt = torch.optim.AdamW(param_groups(mem, 0.05), lr=5e-4, betas=(0.9, 0.98), eps=1e-8)
    params = [p for p in mem.parameters() if p.requires_grad]
    x, chans, regions = (t.to(dev) for t in make_batch(args.batch, args.channels, args.seconds, args.seed))
    n_tokens = args.channels * args.seconds

    def step():
        sync(dev)
        t0 = time.perf_counter()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=args.bf16):
            with torch.autocast(dev.type, enabled=False):
                labels = tok.encode(x, chans, regions)  # [B, C*T], float32 as the C++ side
            mask = random_mask(args.batch, n_tokens, 0.5).to(dev)
            loss, accs = mem(x, chans, regions, labels, mask)
        loss_value = loss.item()
        t1 = time.perf_counter()
        loss.backward()
        sync(dev)
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(params, 3.0)
        opt.step()
        opt.zero_grad()
        sync(dev)
        return t1 - t0, t2 - t1, time.perf_counter() - t2

    emit("pretrain", run_steps(step, args.warmup, args.steps))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phase", choices=["matmul", "tokenizer", "pretrain", "params"], required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--channels", type=int, default=23)
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--matmul-reps", type=int, default=20)
    ap.add_argument("--size", choices=sorted(SIZES), default="base")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--bf16", action="store_true", help="forward under bfloat16 autocast")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch_version={torch.__version__}")
    print(f"threads={torch.get_num_threads()}")
    if args.phase == "matmul":
        bench_matmul([1024, 2048], args.matmul_reps, torch.device(args.device),
                     torch.bfloat16 if args.bf16 else torch.float32)
    elif args.phase == "tokenizer":
        bench_tokenizer(args)
    elif args.phase == "pretrain":
        bench_pretrain(args)
    else:
        print(f"tokenizer_params={count(Tokenizer(**SIZES[args.size]))}")
        print(f"pretrain_params={count(MaskedModel(**SIZES[args.size]))}")


if __name__ == "__main__":
    main()
