#pragma once
// Cross-entropy over a large codebook (pre-training's masked-token prediction: 8192 codes for LaBraM base) for
// float32 on the CPU as one autograd node, with the prediction accuracy from the same pass:
//   loss[r]    = logsumexp(logits[r, :]) - logits[r, labels[r]]
//   correct[r] = 1 if argmax(logits[r, :]) == labels[r] else 0            (no gradient)
//   d loss[r] / d logits[r, c] = softmax(logits[r, :])[c] - (c == labels[r])
// The same function as torch's cross_entropy(reduction none) up to float rounding (exp from the fused attention's
// kernels). Why: LibTorch computes it as log_softmax (writes [R, C]), nll_loss, and in the backward zero-fills and
// scatters [R, C] before log_softmax's backward reads two [R, C] tensors; here the forward reads the logits once
// (row by row, in cache) and keeps only logsumexp [R], and the backward writes the gradient in one pass. A row with a
// non-finite logit gives a NaN loss (the trainer's non-finite check relies on it). No double backward.
#include <torch/torch.h>

#include <utility>

namespace efm::models::detail {

/// @param logits [R, C] float32 CPU (any device/dtype falls back to LibTorch ops)
/// @param labels [R] int64 in [0, C)
/// @return {loss [R] (differentiable w.r.t. logits), correct [R] float32 0/1}
std::pair<torch::Tensor, torch::Tensor> cross_entropy_with_accuracy(const torch::Tensor& logits,
                                                                    const torch::Tensor& labels);

/// The same with LibTorch ops (any device and dtype): the fallback, and the tests' reference.
std::pair<torch::Tensor, torch::Tensor> cross_entropy_with_accuracy_ops(const torch::Tensor& logits,
                                                                        const torch::Tensor& labels);

}  // namespace efm::models::detail
