#pragma once
/// The process-wide CUDA math settings of a run (`run.cudnn_benchmark`, `run.tf32`), applied once where the run
/// starts (cli::start_session), before any model runs:
///
///   EFM_LOG_INFO("[run] ..., {}", apply_cuda_settings(run));   // "tf32 on, cudnn benchmark off"
///
/// They set flags of LibTorch's global context (at::globalContext(): setBenchmarkCuDNN, setAllowTF32CuBLAS,
/// setAllowTF32CuDNN), which exist in every LibTorch build and only matter for CUDA tensors, so calling this on a
/// CPU-only machine is harmless. The TF32 flags are LibTorch's "legacy" switches (torch.backends.cuda.matmul.allow_tf32
/// and torch.backends.cudnn.allow_tf32 in Python). LibTorch 2.9+ also has per-backend fp32_precision settings;
/// reading a legacy flag after the new API has set it throws ("mix of the legacy and new APIs"), so this project
/// uses only the legacy setters, which keep both views consistent (checked with torch 2.13 and 2.14.1).
#include <string>

#include "epilepsyfm/config/run.h"

namespace efm::train {

/// What apply_cuda_settings set.
struct CudaSettings {
  bool cudnn_benchmark = false;
  bool tf32 = true;
  /// "tf32 on, cudnn benchmark off", for the [run] log line.
  std::string describe() const;
};

/// Sets cuDNN benchmark mode and TF32 for cuBLAS products and cuDNN convolutions from `run`.
CudaSettings apply_cuda_settings(const config::RunConfig& run);

/// The current state of those flags in LibTorch's global context.
CudaSettings current_cuda_settings();

}  // namespace efm::train
