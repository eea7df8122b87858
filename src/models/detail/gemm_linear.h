#pragma once
// y = x W^T + b for float32 on the CPU as one autograd node whose three products (forward, input gradient, weight
// gradient) run through oneDNN's sgemm (libdnnl, the library LibTorch itself loads) instead of the BLAS LibTorch
// links (OpenBLAS on Debian). Why: the transformer's products are thin (K = 200 for LaBraM base) and alternate with
// LibTorch's own OpenMP loops; OpenBLAS runs them on a second, pthread worker pool, so two pools take turns on the
// cores and each product pays the other's wake-ups. oneDNN's sgemm runs on the same OpenMP pool as LibTorch.
// Same function as torch::linear up to float rounding (the summation order differs); results are independent of
// run-to-run scheduling for a fixed thread count. No double backward.
#include <torch/torch.h>

namespace efm::models::detail {

/// @param x      [..., in] float32 CPU (any leading shape; made contiguous)
/// @param weight [out, in]
/// @param bias   [out] or undefined
/// @return       [..., out]
torch::Tensor gemm_linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

/// torch::linear's result through gemm_linear where it applies (float32 CPU tensors, gemm_linear_enabled(), CPU
/// autocast off), else torch::linear (so bf16 autocast keeps working).
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias = {});
/// A Linear module's forward through linear() above.
torch::Tensor linear(const torch::nn::Linear& module, const torch::Tensor& x);

/// False when built without oneDNN (EFM_WITH_ONEDNN=OFF; gemm_linear then is torch::linear) or when
/// EPILEPSYFM_GEMM=blas (read once): torch::linear (LibTorch's BLAS) everywhere, for comparisons and debugging.
bool gemm_linear_enabled();
/// True when built with oneDNN (EFM_WITH_ONEDNN).
bool gemm_linear_built();
/// oneDNN's version as the loaded library reports it ("2.6.3"), "" without oneDNN.
std::string gemm_library_version();

}  // namespace efm::models::detail
