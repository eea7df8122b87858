#pragma once
/// LibTorch process settings: threads, device selection, seeding, and what the process actually runs on.
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace efm::models {

/// Sets LibTorch's intra-op threads (0 = all available cores) and returns the count in effect. LibTorch on Debian
/// starts with 1 thread, so every verb calls this once.
int configure_threads(int requested);

/// Resolves "auto" (CUDA device 0 when available, else CPU), "cpu", "cuda" or "cuda:N". Throws ConfigError for a
/// CUDA request on a machine or LibTorch build without CUDA, naming what is available.
torch::Device select_device(const std::string& spec);

/// Seeds LibTorch's CPU and CUDA generators; `deterministic` also requests deterministic algorithms.
void seed_torch(uint64_t seed, bool deterministic);

/// Path of the BLAS library loaded into this process (resolving Debian's alternatives symlinks), e.g.
/// ".../openblas-pthread/libblas.so.3"; "none loaded" if no BLAS is mapped. Runs a small matmul first so
/// LibTorch has loaded its BLAS.
std::string loaded_blas_library();
/// "OpenBLAS", "reference BLAS", "MKL", "BLIS", "ATLAS" or "unknown (<path>)".
std::string blas_vendor(const std::string& library_path);

/// LibTorch version, e.g. "1.13.0".
std::string torch_version();
/// How Attention runs float32 on the CPU: "fused CPU kernel (avx+fma)" or "(portable)" (models/detail/
/// fused_attention.h), or "LibTorch ops (EPILEPSYFM_ATTENTION=aten)". Other devices and dtypes always use LibTorch ops.
std::string attention_implementation();
/// What runs the models' float32 CPU Linear products: "oneDNN matmul + sgemm (libdnnl <version>)" (models/detail/
/// gemm_linear.h), "LibTorch BLAS (EPILEPSYFM_GEMM=blas)", or "LibTorch BLAS (built without oneDNN)".
std::string linear_implementation();
bool cuda_available();

}  // namespace efm::models
