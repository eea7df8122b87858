#pragma once
/// The `run:` section shared by every verb: where outputs go and how the process behaves.
#include <cstdint>
#include <string>

#include "epilepsyfm/config/schema.h"

namespace efm::config {

struct RunConfig {
  std::string out;              ///< run directory; `--out DIR` on the command line sets it
  int64_t seed = 0;             ///< master seed; every random stream derives from it
  int64_t threads = 0;          ///< intra-op and worker threads; 0 = all available cores
  std::string device = "auto";  ///< auto | cpu | cuda | cuda:N
  bool deterministic = false;   ///< deterministic algorithms (exact resume comparisons)
  std::string log_level = "info";
  /// CUDA: let cuDNN time its convolution algorithms for each new input shape and keep the fastest. Pays off when
  /// shapes repeat (one channel group); every new channel count is timed again.
  bool cudnn_benchmark = false;
  /// CUDA, Ampere and later: float32 matrix products (cuBLAS) and convolutions (cuDNN) may use TF32 tensor cores
  /// (10-bit mantissa inputs, float32 accumulation; LibTorch's own default is off for products, on for
  /// convolutions). No effect on the CPU.
  bool tf32 = true;

  template <class V>
  void visit(V& v) {
    v("out", out);
    v("seed", seed, non_negative());
    v("threads", threads, in_range(0, 1024));
    v("device", device);
    v("deterministic", deterministic);
    v("log_level", log_level, Choices{"trace", "debug", "info", "warn", "error", "off"});
    v("cudnn_benchmark", cudnn_benchmark);
    v("tf32", tf32);
  }
  void validate(const std::string& path) const;
};

}  // namespace efm::config
