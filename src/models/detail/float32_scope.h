#pragma once
// Full float32 for this scope: autocast off on every device type that autocasts (CPU and CUDA), and no TF32 in
// cuBLAS products (run.tf32), both restored on exit. For products whose result is an argmax or a bucket choice: the
// VQ codebook lookup, its k-means initialisation and the tokenizer's encode (pre-training labels). Under bf16 autocast
// torch::linear / matmul would run in bfloat16 (8 bits of mantissa), under TF32 with 10: nearby cosine similarities
// then tie and the chosen code changes.
#include <ATen/Context.h>
#include <ATen/autocast_mode.h>

namespace efm::models::detail {

class Float32Scope {
 public:
  Float32Scope()
      : cpu_(at::autocast::is_autocast_enabled(c10::DeviceType::CPU)),
        cuda_(at::autocast::is_autocast_enabled(c10::DeviceType::CUDA)) {
    at::autocast::set_autocast_enabled(c10::DeviceType::CPU, false);
    at::autocast::set_autocast_enabled(c10::DeviceType::CUDA, false);
  }
  ~Float32Scope() {
    at::autocast::set_autocast_enabled(c10::DeviceType::CPU, cpu_);
    at::autocast::set_autocast_enabled(c10::DeviceType::CUDA, cuda_);
  }
  Float32Scope(const Float32Scope&) = delete;
  Float32Scope& operator=(const Float32Scope&) = delete;

 private:
  bool cpu_;
  bool cuda_;
  at::NoTF32Guard no_tf32_;
};

}  // namespace efm::models::detail
