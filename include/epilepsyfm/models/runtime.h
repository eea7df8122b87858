#pragma once
/// LibTorch process settings: threads, device selection, seeding, and what the process actually runs on.
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace efm::models {

/// Sets LibTorch's intra-op threads (0 = all available cores) and returns the count in effect. LibTorch on Debian
/// starts with 1 thread, so every verb calls this once.
int configure_threads(int requested);

/// Resolves "auto" (a CUDA device when available, else CPU), "cpu", "cuda" or "cuda:N". "auto" and "cuda" take
/// device `local_rank` (one process per GPU under `launch`, torchrun or Slurm: LOCAL_RANK / SLURM_LOCALID), modulo
/// the number of visible devices when CUDA_VISIBLE_DEVICES leaves each process fewer. A CUDA device becomes this
/// thread's current device. Throws ConfigError for a CUDA request on a machine or LibTorch build without CUDA,
/// naming what is available.
torch::Device select_device(const std::string& spec, int local_rank = 0);

/// Seeds LibTorch's CPU and CUDA generators; `deterministic` also requests deterministic algorithms.
void seed_torch(uint64_t seed, bool deterministic);

/// What the linked LibTorch was built with, read from at::show_config() (its "Build settings" keys TORCH_VERSION,
/// BLAS_INFO, CUDA_VERSION, CUDNN_VERSION and the "MKL-DNN" and "CPU capability usage" lines): e.g. blas "mkl",
/// onednn "v3.12.0", cuda "13.0" ("" without CUDA), cudnn "9.24.0" (""), cpu_capability "AVX512".
struct TorchBuildInfo {
  std::string version;  ///< LibTorch version, e.g. "2.13.0"
  std::string blas;
  std::string onednn;
  std::string cuda;
  std::string cudnn;
  std::string cpu_capability;
};
TorchBuildInfo torch_build_info();
/// Parses at::show_config()'s text (separate for tests).
TorchBuildInfo parse_torch_build_info(const std::string& show_config);

/// The file of the LibTorch library mapped into this process (libtorch_cpu.so), for `version` and run logs.
std::string torch_library_path();
/// "not built in (CPU LibTorch)", "CUDA 13.0, cuDNN 9.24.0: no device visible" or "CUDA 13.0, cuDNN 9.24.0:
/// 2 device(s) visible".
std::string cuda_summary(const TorchBuildInfo& info);

/// LibTorch version, e.g. "2.13.0".
std::string torch_version();
/// How Attention runs: the fused CPU kernel (models/detail/fused_attention.h; "avx+fma" or "portable") for float32 on
/// the CPU and at::scaled_dot_product_attention elsewhere, or SDPA everywhere with EPILEPSYFM_ATTENTION=aten.
std::string attention_implementation();
bool cuda_available();

}  // namespace efm::models
