#include "models/detail/cross_entropy.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/models/signal_spec.h"
#include "models/detail/attention_kernel.h"

namespace efm::models::detail {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Index of the first maximum; NaN entries are skipped here (the caller flags such rows separately).
int64_t argmax_row(const float* x, int64_t n) {
  int64_t best = 0;
  float mx = x[0];
  for (int64_t j = 1; j < n; ++j) {
    if (x[j] > mx) {
      mx = x[j];
      best = j;
    }
  }
  return best;
}

bool all_finite(const float* x, int64_t n) {
  bool ok = true;
  for (int64_t j = 0; j < n; ++j) ok &= std::isfinite(x[j]);
  return ok;
}

// Rows per parallel task: each row is C floats (32 KB for 8192 codes).
constexpr int64_t kRowGrain = 8;

struct CrossEntropyFunction : public torch::autograd::Function<CrossEntropyFunction> {
  // logits [R, C] contiguous float32, labels [R] int64 contiguous -> loss [R]; ctx keeps logits, labels, lse [R].
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& logits, const torch::Tensor& labels,
                               const torch::Tensor& correct_out) {
    RECORD_FUNCTION("efm::cross_entropy", std::vector<c10::IValue>({logits}));
    const int64_t rows = logits.size(0), c = logits.size(1);
    auto loss = torch::empty({rows}, logits.options());
    auto lse = torch::empty({rows}, logits.options());
    const float* x = logits.data_ptr<float>();
    const int64_t* y = labels.data_ptr<int64_t>();
    float* l = loss.data_ptr<float>();
    float* s = lse.data_ptr<float>();
    float* ok = correct_out.data_ptr<float>();
    const AttentionKernels& kern = best_attention_kernels();
    at::parallel_for(0, rows, kRowGrain, [&](int64_t r0, int64_t r1) {
      std::vector<float> p(static_cast<size_t>(c));
      for (int64_t r = r0; r < r1; ++r) {
        const float* row = x + r * c;
        const int64_t best = argmax_row(row, c);
        std::memcpy(p.data(), row, sizeof(float) * static_cast<size_t>(c));
        kern.softmax_rows(p.data(), 1, c, c);
        // p[best] = exp(0) / sum, so logsumexp = max + log(sum) = max - log(p[best]) (p[best] >= 1/C: no underflow).
        s[r] = all_finite(row, c) ? row[best] - std::log(p[best]) : std::numeric_limits<float>::quiet_NaN();
        l[r] = s[r] - row[y[r]];
        ok[r] = best == y[r] ? 1.0F : 0.0F;
      }
    });
    ctx->save_for_backward({logits, labels, lse});
    return loss;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& logits = saved[0];
    const auto& labels = saved[1];
    const auto& lse = saved[2];
    const int64_t rows = logits.size(0), c = logits.size(1);
    const auto g = grads[0].contiguous();
    auto gx = torch::empty_like(logits);
    const float* x = logits.data_ptr<float>();
    const int64_t* y = labels.data_ptr<int64_t>();
    const float* s = lse.data_ptr<float>();
    const float* gr = g.data_ptr<float>();
    float* out = gx.data_ptr<float>();
    const AttentionKernels& kern = best_attention_kernels();
    at::parallel_for(0, rows, kRowGrain, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        float* o = out + r * c;
        std::memcpy(o, x + r * c, sizeof(float) * static_cast<size_t>(c));
        kern.softmax_rows(o, 1, c, c);
        if (!std::isfinite(s[r])) {
          for (int64_t j = 0; j < c; ++j) o[j] = std::numeric_limits<float>::quiet_NaN();
          continue;
        }
        o[y[r]] -= 1.0F;
        const float gv = gr[r];
        for (int64_t j = 0; j < c; ++j) o[j] *= gv;
      }
    });
    return {gx, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

std::pair<torch::Tensor, torch::Tensor> cross_entropy_with_accuracy_ops(const torch::Tensor& logits,
                                                                        const torch::Tensor& labels) {
  namespace F = torch::nn::functional;
  auto ce = F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  auto correct = (logits.detach().argmax(-1) == labels).to(torch::kFloat);
  return {ce, correct};
}

std::pair<torch::Tensor, torch::Tensor> cross_entropy_with_accuracy(const torch::Tensor& logits,
                                                                    const torch::Tensor& labels) {
  EFM_CHECK_ARG(logits.dim() == 2 && labels.dim() == 1 && labels.size(0) == logits.size(0),
                "cross_entropy: logits {} and labels {} do not match (expected [R, C] and [R])", shape_str(logits),
                shape_str(labels));
  const bool fused = logits.device().is_cpu() && logits.scalar_type() == torch::kFloat && labels.device().is_cpu() &&
                     labels.scalar_type() == torch::kLong && logits.size(1) > 0;
  if (!fused) return cross_entropy_with_accuracy_ops(logits, labels);
  auto y = labels.contiguous();
  if (y.numel() > 0) {
    const int64_t lo = y.min().item<int64_t>(), hi = y.max().item<int64_t>();
    EFM_CHECK_ARG(lo >= 0 && hi < logits.size(1), "cross_entropy: label {} outside [0, {})", lo < 0 ? lo : hi,
                  logits.size(1));
  }
  auto correct = torch::empty({logits.size(0)}, logits.options().requires_grad(false));
  auto loss = CrossEntropyFunction::apply(logits.contiguous(), y, correct);
  return {loss, correct};
}

}  // namespace efm::models::detail
