#include "epilepsyfm/models/runtime.h"

#include <link.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include <torch/version.h>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/threads.h"
#include "models/detail/fused_attention.h"
#include "models/detail/gemm_linear.h"

namespace efm::models {

int configure_threads(int requested) {
  const int n = resolve_thread_count(requested);
  at::set_num_threads(n);
  return at::get_num_threads();
}

bool cuda_available() {
  return torch::cuda::is_available();
}

torch::Device select_device(const std::string& spec) {
  if (spec == "cpu") return torch::kCPU;
  if (spec == "auto") return cuda_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  EFM_CHECK_CONFIG(spec == "cuda" || spec.rfind("cuda:", 0) == 0,
                   "run.device: allowed values are 'auto', 'cpu', 'cuda', 'cuda:N', but got '{}'", spec);
  EFM_CHECK_CONFIG(cuda_available(),
                   "run.device: '{}' requested but CUDA is not available (this LibTorch build {} CUDA; devices "
                   "visible: {}); use 'cpu' or 'auto', or build against a CUDA LibTorch with -DTorch_DIR=...",
                   spec, torch::cuda::is_available() ? "has" : "may lack", torch::cuda::device_count());
  const torch::Device dev(spec);
  const int64_t index = dev.has_index() ? dev.index() : 0;
  EFM_CHECK_CONFIG(index < static_cast<int64_t>(torch::cuda::device_count()),
                   "run.device: '{}' requested but only {} CUDA device(s) are visible", spec,
                   torch::cuda::device_count());
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

void seed_torch(uint64_t seed, bool deterministic) {
  torch::manual_seed(seed);
  if (cuda_available()) torch::cuda::manual_seed_all(seed);
  if (deterministic) at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
}

namespace {
int collect_lib(dl_phdr_info* info, size_t, void* data) {
  auto* out = static_cast<std::vector<std::string>*>(data);
  if (info->dlpi_name && *info->dlpi_name) out->emplace_back(info->dlpi_name);
  return 0;
}
}  // namespace

std::string loaded_blas_library() {
  {
    // Make sure LibTorch has resolved its BLAS symbols.
    auto a = torch::ones({64, 64});
    (void)torch::mm(a, a).sum().item<float>();
  }
  std::vector<std::string> libs;
  dl_iterate_phdr(collect_lib, &libs);
  for (const auto& lib : libs) {
    const std::string name = std::filesystem::path(lib).filename().string();
    const bool is_blas = name.find("blas") != std::string::npos || name.find("mkl_rt") != std::string::npos ||
                         name.find("libmkl") != std::string::npos || name.find("blis") != std::string::npos;
    if (!is_blas || name.find("cublas") != std::string::npos) continue;
    std::error_code ec;
    const auto real = std::filesystem::canonical(lib, ec);
    return ec ? lib : real.string();
  }
  return "none loaded";
}

std::string blas_vendor(const std::string& path) {
  std::string p = path;
  std::transform(p.begin(), p.end(), p.begin(), ::tolower);
  if (p.find("openblas") != std::string::npos) return "OpenBLAS";
  if (p.find("mkl") != std::string::npos) return "MKL";
  if (p.find("blis") != std::string::npos) return "BLIS";
  if (p.find("atlas") != std::string::npos) return "ATLAS";
  if (p.find("/blas/") != std::string::npos || p.find("libblas.so") != std::string::npos) return "reference BLAS";
  return "unknown (" + path + ")";
}

std::string torch_version() {
  return TORCH_VERSION;
}

std::string linear_implementation() {
  if (detail::gemm_linear_enabled()) return "oneDNN matmul + sgemm (libdnnl " + detail::gemm_library_version() + ")";
  return detail::gemm_linear_built() ? "LibTorch BLAS (EPILEPSYFM_GEMM=blas)" : "LibTorch BLAS (built without oneDNN)";
}

std::string attention_implementation() {
  if (!detail::fused_attention_enabled()) return "LibTorch ops (EPILEPSYFM_ATTENTION=aten)";
  return std::string("fused CPU kernel (") + detail::best_attention_kernels().name + ")";
}

}  // namespace efm::models
