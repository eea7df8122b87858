#include "epilepsyfm/train/cuda_settings.h"

#include <fmt/format.h>

#include <ATen/Context.h>

namespace efm::train {

std::string CudaSettings::describe() const {
  return fmt::format("tf32 {}, cudnn benchmark {}", tf32 ? "on" : "off", cudnn_benchmark ? "on" : "off");
}

CudaSettings apply_cuda_settings(const config::RunConfig& run) {
  at::Context& ctx = at::globalContext();
  ctx.setBenchmarkCuDNN(run.cudnn_benchmark);
  ctx.setAllowTF32CuBLAS(run.tf32);
  ctx.setAllowTF32CuDNN(run.tf32);
  return current_cuda_settings();
}

CudaSettings current_cuda_settings() {
  const at::Context& ctx = at::globalContext();
  CudaSettings s;
  s.cudnn_benchmark = ctx.benchmarkCuDNN();
  s.tf32 = ctx.allowTF32CuBLAS() && ctx.allowTF32CuDNN();
  return s;
}

}  // namespace efm::train
