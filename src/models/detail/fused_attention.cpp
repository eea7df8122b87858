#include "models/detail/fused_attention.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/models/signal_spec.h"

namespace efm::models::detail {

namespace {

int64_t round_up8(int64_t x) {
  return (x + 7) / 8 * 8;
}

// Geometry of qkv [B, N, 3, H, D] and of the per-(window, head) buffers, padded to multiples of 8 floats.
struct Geometry {
  int64_t b, n, h, d;
  int64_t np, dp;  // padded token count and head dim
  int64_t token_stride() const { return 3 * h * d; }
  int64_t out_token_stride() const { return h * d; }
};

struct Params {
  const float* qw = nullptr;
  const float* qb = nullptr;
  const float* kw = nullptr;
  const float* kb = nullptr;
  bool norm() const { return qw != nullptr; }
};

// Per-thread scratch, reused over the (window, head) pairs of one parallel_for chunk. "T" buffers are [d][np]
// (tokens are the vector lanes), row buffers [n][dp]; padding stays zero unless noted.
struct Scratch {
  std::vector<float> qt, kt, v, o, kn, vt, d_o, ds, dq, dqt, dkt, dvt;
  std::vector<float> prob;  // P of one head when the forward keeps nothing for a backward
  Scratch(const Geometry& g, bool own_prob)
      : qt(g.d * g.np),
        kt(g.d * g.np),
        v(g.n * g.dp),
        o(g.n * g.dp),
        kn(g.n * g.dp),
        vt(g.d * g.np),
        d_o(g.n * g.dp),
        ds(g.n * g.np),
        dq(g.n * g.dp),
        dqt(g.d * g.np),
        dkt(g.d * g.np),
        dvt(g.d * g.np),
        prob(own_prob ? g.n * g.np : 0) {}
};

// Offsets of q, k and v of one head within a token's qkv row.
struct HeadOffsets {
  int64_t q, k, v;
  HeadOffsets(const Geometry& g, int64_t head) : q(head * g.d), k((g.h + head) * g.d), v((2 * g.h + head) * g.d) {}
};

// Saved per (window, head) for the backward: xhat [d][np] and rstd [np] of q and of k.
struct SavedNorm {
  float* qhat;
  float* qrstd;
  float* khat;
  float* krstd;
};

// Forward of one (window, head): writes out[b, :, head, :] and P [n][np].
void forward_head(const float* qkv, const Geometry& g, int64_t bi, int64_t head, const Params& p, float scale,
                  float eps, const AttentionKernels& kern, Scratch& s, float* out, float* prob, const SavedNorm& sv) {
  const int64_t ts = g.token_stride();
  const HeadOffsets off(g, head);
  const float* base = qkv + bi * g.n * ts;
  for (int64_t i = 0; i < g.n; ++i) {
    const float* row = base + i * ts;
    for (int64_t j = 0; j < g.d; ++j) {
      s.qt[j * g.np + i] = row[off.q + j];
      s.kt[j * g.np + i] = row[off.k + j];
    }
    std::memcpy(s.v.data() + i * g.dp, row + off.v, sizeof(float) * static_cast<size_t>(g.d));
  }
  if (p.norm()) {
    // Padding columns are zero on entry (xhat 0 there) and hold the bias afterwards: k's are zeroed again so
    // that the padded score columns are 0 (softmax_rows ignores them anyway).
    kern.layer_norm_cols(s.qt.data(), g.d, g.np, eps, p.qw, p.qb, scale, sv.qhat, sv.qrstd);
    kern.layer_norm_cols(s.kt.data(), g.d, g.np, eps, p.kw, p.kb, 1.0F, sv.khat, sv.krstd);
    for (int64_t j = 0; j < g.d; ++j) {
      for (int64_t i = g.n; i < g.np; ++i) s.qt[j * g.np + i] = s.kt[j * g.np + i] = 0.0F;
    }
  } else {
    for (float& x : s.qt) x *= scale;
  }
  // S = q' k'^T into prob, softmax in place, O = P v.
  GemmRowsArgs a;
  a.m = g.n, a.k = g.d, a.cols = g.np, a.a = s.qt.data(), a.a_row = 1, a.a_col = g.np;
  a.b = s.kt.data(), a.ldb = g.np, a.c = prob, a.ldc = g.np;
  kern.gemm_rows(a);
  kern.softmax_rows(prob, g.n, g.n, g.np);
  GemmRowsArgs o;
  o.m = g.n, o.k = g.n, o.cols = g.dp, o.a = prob, o.a_row = g.np, o.a_col = 1;
  o.b = s.v.data(), o.ldb = g.dp, o.c = s.o.data(), o.ldc = g.dp;
  kern.gemm_rows(o);
  const int64_t os = g.out_token_stride();
  float* dst = out + bi * g.n * os + head * g.d;
  for (int64_t i = 0; i < g.n; ++i) {
    std::memcpy(dst + i * os, s.o.data() + i * g.dp, sizeof(float) * static_cast<size_t>(g.d));
  }
}

struct BackwardIo {
  const float* qkv;
  const float* grad_out;
  const float* prob;
  const float* qhat;  // [B*H][d][np], null without QK-norm
  const float* qrstd;
  const float* khat;
  const float* krstd;
  float* grad_qkv;
  float* dqw;  // [B*H][d] per-(window, head) partial sums, null without QK-norm
  float* dqb;
  float* dkw;
  float* dkb;
};

void backward_head(const BackwardIo& io, const Geometry& g, int64_t bi, int64_t head, const Params& p, float scale,
                   const AttentionKernels& kern, Scratch& s) {
  const int64_t ts = g.token_stride();
  const int64_t os = g.out_token_stride();
  const int64_t bh = bi * g.h + head;
  const HeadOffsets off(g, head);
  const float* base = io.qkv + bi * g.n * ts;
  const float* prob = io.prob + bh * g.n * g.np;
  const int64_t t_size = g.d * g.np;
  // q' and k' (transposed) again, from the saved xhat or from qkv; k' also as rows; v transposed; dO as rows.
  if (p.norm()) {
    kern.affine_cols(io.qhat + bh * t_size, g.d, g.np, p.qw, p.qb, scale, s.qt.data());
    kern.affine_cols(io.khat + bh * t_size, g.d, g.np, p.kw, p.kb, 1.0F, s.kt.data());
  }
  for (int64_t i = 0; i < g.n; ++i) {
    const float* row = base + i * ts;
    if (!p.norm()) {
      for (int64_t j = 0; j < g.d; ++j) {
        s.qt[j * g.np + i] = row[off.q + j] * scale;
        s.kt[j * g.np + i] = row[off.k + j];
      }
    }
    for (int64_t j = 0; j < g.d; ++j) {
      s.kn[i * g.dp + j] = s.kt[j * g.np + i];
      s.vt[j * g.np + i] = row[off.v + j];
    }
    std::memcpy(s.d_o.data() + i * g.dp, io.grad_out + (bi * g.n + i) * os + head * g.d,
                sizeof(float) * static_cast<size_t>(g.d));
  }
  // dP = dO v^T, then dS = P * (dP - rowsum(P * dP)).
  GemmRowsArgs a;
  a.m = g.n, a.k = g.d, a.cols = g.np, a.a = s.d_o.data(), a.a_row = g.dp, a.a_col = 1;
  a.b = s.vt.data(), a.ldb = g.np, a.c = s.ds.data(), a.ldc = g.np;
  kern.gemm_rows(a);
  kern.softmax_backward_rows(prob, s.ds.data(), g.n, g.np);
  // dv^T = dO^T P;  dq' = dS k' (rows);  dk'^T = q'^T dS.
  GemmRowsArgs dv;
  dv.m = g.d, dv.k = g.n, dv.cols = g.np, dv.a = s.d_o.data(), dv.a_row = 1, dv.a_col = g.dp;
  dv.b = prob, dv.ldb = g.np, dv.c = s.dvt.data(), dv.ldc = g.np;
  kern.gemm_rows(dv);
  GemmRowsArgs dq;
  dq.m = g.n, dq.k = g.n, dq.cols = g.dp, dq.a = s.ds.data(), dq.a_row = g.np, dq.a_col = 1;
  dq.b = s.kn.data(), dq.ldb = g.dp, dq.c = s.dq.data(), dq.ldc = g.dp;
  kern.gemm_rows(dq);
  GemmRowsArgs dk;
  dk.m = g.d, dk.k = g.n, dk.cols = g.np, dk.a = s.qt.data(), dk.a_row = g.np, dk.a_col = 1;
  dk.b = s.ds.data(), dk.ldb = g.np, dk.c = s.dkt.data(), dk.ldc = g.np;
  kern.gemm_rows(dk);
  for (int64_t i = 0; i < g.n; ++i) {
    for (int64_t j = 0; j < g.d; ++j) s.dqt[j * g.np + i] = s.dq[i * g.dp + j] * scale;
  }
  if (p.norm()) {
    kern.layer_norm_cols_backward(s.dqt.data(), io.qhat + bh * t_size, io.qrstd + bh * g.np, g.d, g.np, p.qw,
                                  io.dqw + bh * g.d, io.dqb + bh * g.d);
    kern.layer_norm_cols_backward(s.dkt.data(), io.khat + bh * t_size, io.krstd + bh * g.np, g.d, g.np, p.kw,
                                  io.dkw + bh * g.d, io.dkb + bh * g.d);
  }
  float* gbase = io.grad_qkv + bi * g.n * ts;
  for (int64_t i = 0; i < g.n; ++i) {
    float* row = gbase + i * ts;
    for (int64_t j = 0; j < g.d; ++j) {
      row[off.q + j] = s.dqt[j * g.np + i];
      row[off.k + j] = s.dkt[j * g.np + i];
      row[off.v + j] = s.dvt[j * g.np + i];
    }
  }
}

// Without QK-norm the four parameters are empty tensors.
Params params_of(const torch::Tensor& qw, const torch::Tensor& qb, const torch::Tensor& kw, const torch::Tensor& kb) {
  Params p;
  if (qw.numel() > 0) {
    p.qw = qw.data_ptr<float>();
    p.qb = qb.data_ptr<float>();
    p.kw = kw.data_ptr<float>();
    p.kb = kb.data_ptr<float>();
  }
  return p;
}

Geometry geometry_of(const torch::Tensor& qkv, int64_t heads) {
  const int64_t d = qkv.size(2) / (3 * heads);
  return Geometry{qkv.size(0), qkv.size(1), heads, d, round_up8(qkv.size(1)), round_up8(d)};
}

// The forward over all (window, head) pairs. With prob == nullptr nothing is kept for a backward (no-grad use):
// P lives in per-thread scratch and the LayerNorm statistics are not stored.
torch::Tensor run_forward(const torch::Tensor& qkv, const torch::Tensor& qw, const torch::Tensor& qb,
                          const torch::Tensor& kw, const torch::Tensor& kb, const Geometry& g, double scale, double eps,
                          const AttentionKernels& kernels, torch::Tensor* prob, torch::Tensor* qhat,
                          torch::Tensor* qrstd, torch::Tensor* khat, torch::Tensor* krstd) {
  auto out = torch::empty({g.b, g.n, g.h * g.d}, qkv.options());
  const Params p = params_of(qw, qb, kw, kb);
  const float* src = qkv.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  auto ptr = [](torch::Tensor* t, int64_t offset) {
    return t != nullptr && t->numel() > 0 ? t->data_ptr<float>() + offset : nullptr;
  };
  at::parallel_for(0, g.b * g.h, 1, [&](int64_t begin, int64_t end) {
    Scratch s(g, /*own_prob=*/prob == nullptr);
    for (int64_t bh = begin; bh < end; ++bh) {
      const SavedNorm sv{ptr(qhat, bh * g.d * g.np), ptr(qrstd, bh * g.np), ptr(khat, bh * g.d * g.np),
                         ptr(krstd, bh * g.np)};
      float* pr = prob != nullptr ? prob->data_ptr<float>() + bh * g.n * g.np : s.prob.data();
      forward_head(src, g, bh / g.h, bh % g.h, p, static_cast<float>(scale), static_cast<float>(eps), kernels, s, dst,
                   pr, sv);
    }
  });
  return out;
}

class FusedAttentionFunction : public torch::autograd::Function<FusedAttentionFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& qkv, const torch::Tensor& qw,
                               const torch::Tensor& qb, const torch::Tensor& kw, const torch::Tensor& kb, int64_t heads,
                               double scale, double eps, const AttentionKernels* kernels) {
    // fused_attention() passes contiguous tensors.
    const bool norm = qw.numel() > 0;
    const Geometry g = geometry_of(qkv, heads);
    const auto opts = qkv.options();
    auto prob = torch::empty({g.b, g.h, g.n, g.np}, opts);
    torch::Tensor qhat = torch::empty({0}, opts), qrstd = qhat, khat = qhat, krstd = qhat;
    if (norm) {
      qhat = torch::zeros({g.b, g.h, g.d, g.np}, opts);  // padding columns stay 0 (read by the backward)
      khat = torch::zeros({g.b, g.h, g.d, g.np}, opts);
      qrstd = torch::empty({g.b, g.h, g.np}, opts);
      krstd = torch::empty({g.b, g.h, g.np}, opts);
    }
    auto out = run_forward(qkv, qw, qb, kw, kb, g, scale, eps, *kernels, &prob, &qhat, &qrstd, &khat, &krstd);
    ctx->save_for_backward({qkv, qw, qb, kw, kb, prob, qhat, qrstd, khat, krstd});
    ctx->saved_data["heads"] = heads;
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["kernels"] = reinterpret_cast<int64_t>(kernels);
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& qkv = saved[0];
    const torch::Tensor& qw = saved[1];
    const torch::Tensor &qb = saved[2], &kw = saved[3], &kb = saved[4];
    const torch::Tensor& prob = saved[5];
    const int64_t heads = ctx->saved_data["heads"].toInt();
    const double scale = ctx->saved_data["scale"].toDouble();
    const auto* kernels = reinterpret_cast<const AttentionKernels*>(ctx->saved_data["kernels"].toInt());
    const Geometry g = geometry_of(qkv, heads);
    const bool norm = qw.numel() > 0;
    const torch::Tensor grad_out = grads[0].contiguous();
    auto grad_qkv = torch::empty_like(qkv);
    torch::Tensor dqw, dqb, dkw, dkb;
    if (norm) {
      dqw = torch::zeros({g.b * g.h, g.d}, qkv.options());
      dqb = torch::zeros_like(dqw);
      dkw = torch::zeros_like(dqw);
      dkb = torch::zeros_like(dqw);
    }
    auto ptr = [](const torch::Tensor& t) { return t.numel() > 0 ? t.data_ptr<float>() : nullptr; };
    const BackwardIo io{ptr(qkv),      ptr(grad_out), ptr(prob), ptr(saved[6]), ptr(saved[7]), ptr(saved[8]),
                        ptr(saved[9]), ptr(grad_qkv), ptr(dqw),  ptr(dqb),      ptr(dkw),      ptr(dkb)};
    const Params p = params_of(qw, qb, kw, kb);
    at::parallel_for(0, g.b * g.h, 1, [&](int64_t begin, int64_t end) {
      Scratch s(g, /*own_prob=*/false);
      for (int64_t bh = begin; bh < end; ++bh) {
        backward_head(io, g, bh / g.h, bh % g.h, p, static_cast<float>(scale), *kernels, s);
      }
    });
    // Per-(window, head) partial sums of the QK-norm parameter gradients, reduced in a fixed order.
    torch::autograd::variable_list result(9);
    result[0] = grad_qkv;
    if (norm) {
      result[1] = dqw.sum(0);
      result[2] = dqb.sum(0);
      result[3] = dkw.sum(0);
      result[4] = dkb.sum(0);
    }
    return result;
  }
};

}  // namespace

torch::Tensor fused_attention(const torch::Tensor& qkv, const FusedAttentionOptions& options,
                              const AttentionKernels& kernels) {
  EFM_CHECK_ARG(options.heads > 0, "fused_attention: heads ({}) must be > 0", options.heads);
  EFM_CHECK_DATA(qkv.dim() == 3 && qkv.size(2) % (3 * options.heads) == 0 && qkv.size(1) > 0,
                 "fused_attention: qkv has shape {}; expected [batch, tokens, 3 * {} heads * head_dim]", shape_str(qkv),
                 options.heads);
  EFM_CHECK_DATA(qkv.device().is_cpu() && qkv.scalar_type() == torch::kFloat,
                 "fused_attention: qkv must be float32 on the CPU, got {} on {}", dtype_str(qkv.scalar_type()),
                 qkv.device().str());
  const bool norm = options.q_weight.defined();
  EFM_CHECK_ARG(
      norm == options.q_bias.defined() && norm == options.k_weight.defined() && norm == options.k_bias.defined(),
      "fused_attention: the QK-norm weights and biases must be given all four or none");
  const bool needs_grad =
      torch::GradMode::is_enabled() &&
      (qkv.requires_grad() || (norm && (options.q_weight.requires_grad() || options.q_bias.requires_grad() ||
                                        options.k_weight.requires_grad() || options.k_bias.requires_grad())));
  // Without QK-norm the four parameters are passed as empty tensors (custom autograd Functions take no undefined ones).
  const auto none = torch::empty({0}, qkv.options());
  const auto param = [norm, &none](const torch::Tensor& t) { return norm ? t.contiguous() : none; };
  const torch::Tensor qw = param(options.q_weight), qb = param(options.q_bias);
  const torch::Tensor kw = param(options.k_weight), kb = param(options.k_bias);
  if (!needs_grad) {
    return run_forward(qkv.contiguous(), qw, qb, kw, kb, geometry_of(qkv, options.heads), options.scale, options.eps,
                       kernels, nullptr, nullptr, nullptr, nullptr, nullptr);
  }
  return FusedAttentionFunction::apply(qkv.contiguous(), qw, qb, kw, kb, options.heads, options.scale, options.eps,
                                       &kernels);
}

torch::Tensor attention_ops(const torch::Tensor& qkv, const FusedAttentionOptions& o, double attn_dropout,
                            bool training) {
  namespace F = torch::nn::functional;
  const int64_t b = qkv.size(0), n = qkv.size(1), d = qkv.size(2) / (3 * o.heads);
  auto t = qkv.view({b, n, 3, o.heads, d}).permute({2, 0, 3, 1, 4});
  auto q = t[0], k = t[1];
  if (o.q_weight.defined()) {
    q = F::layer_norm(q, F::LayerNormFuncOptions({d}).weight(o.q_weight).bias(o.q_bias).eps(o.eps));
    k = F::layer_norm(k, F::LayerNormFuncOptions({d}).weight(o.k_weight).bias(o.k_bias).eps(o.eps));
  }
  auto out = at::scaled_dot_product_attention(q, k, t[2], /*attn_mask=*/{}, training ? attn_dropout : 0.0,
                                              /*is_causal=*/false, /*scale=*/o.scale);
  return out.transpose(1, 2).reshape({b, n, o.heads * d});
}

int parallel_for_threads_used(int64_t tasks) {
  std::vector<int> used(static_cast<size_t>(std::max(1, at::get_num_threads())), 0);
  at::parallel_for(0, tasks, 1, [&](int64_t, int64_t) {
    const int t = at::get_thread_num();
    if (t >= 0 && t < static_cast<int>(used.size())) used[static_cast<size_t>(t)] = 1;
  });
  int n = 0;
  for (int u : used) n += u;
  return n;
}

bool fused_attention_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("EPILEPSYFM_ATTENTION");
    return v == nullptr || std::string(v) != "aten";
  }();
  return enabled;
}

bool fused_attention_applies(const torch::Tensor& qkv) {
  return fused_attention_enabled() && qkv.device().is_cpu() && qkv.scalar_type() == torch::kFloat;
}

}  // namespace efm::models::detail
