#include "epilepsyfm/models/runtime.h"

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include <c10/core/impl/VirtualGuardImpl.h>
#include <torch/version.h>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/threads.h"
#include "models/detail/fused_attention.h"

namespace efm::models {

int configure_threads(int requested) {
  const int n = resolve_thread_count(requested);
  at::set_num_threads(n);
  return at::get_num_threads();
}

bool cuda_available() {
  return torch::cuda::is_available();
}

torch::Device select_device(const std::string& spec, int local_rank) {
  if (spec == "cpu") return torch::kCPU;
  if (spec == "auto" && !cuda_available()) return torch::kCPU;
  EFM_CHECK_CONFIG(spec == "auto" || spec == "cuda" || spec.rfind("cuda:", 0) == 0,
                   "run.device: allowed values are 'auto', 'cpu', 'cuda', 'cuda:N', but got '{}'", spec);
  const auto visible = static_cast<int64_t>(torch::cuda::device_count());
  EFM_CHECK_CONFIG(cuda_available(),
                   "run.device: '{}' requested but CUDA is not available (this LibTorch build {} CUDA; devices "
                   "visible: {}); use 'cpu' or 'auto', or build against a CUDA LibTorch (scripts/build_cuda.sh)",
                   spec, torch::cuda::is_available() ? "has" : "may lack", visible);
  int64_t index = local_rank % visible;  // "auto" and "cuda": one GPU per local process
  if (spec.rfind("cuda:", 0) == 0) {
    const torch::Device dev(spec);
    index = dev.has_index() ? dev.index() : 0;
  }
  EFM_CHECK_CONFIG(index < visible, "run.device: '{}' requested but only {} CUDA device(s) are visible", spec, visible);
  const torch::Device device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  // Current device before any CUDA work or NCCL communicator: otherwise every rank's context lands on GPU 0.
  c10::impl::VirtualGuardImpl(c10::DeviceType::CUDA).setDevice(device);
  return device;
}

void seed_torch(uint64_t seed, bool deterministic) {
  torch::manual_seed(seed);
  if (cuda_available()) torch::cuda::manual_seed_all(seed);
  if (deterministic) at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
}

namespace {
// The value after `key` up to the next separator in at::show_config()'s text, "" when absent.
std::string config_value(const std::string& text, const std::string& key, const std::string& stops) {
  const auto at = text.find(key);
  if (at == std::string::npos) return {};
  const auto begin = at + key.size();
  const auto end = text.find_first_of(stops, begin);
  return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}
}  // namespace

TorchBuildInfo parse_torch_build_info(const std::string& text) {
  TorchBuildInfo info;
  info.version = config_value(text, "TORCH_VERSION=", ", \n");
  info.blas = config_value(text, "BLAS_INFO=", ", \n");
  info.onednn = config_value(text, "MKL-DNN ", " \n");
  info.cuda = config_value(text, "CUDA_VERSION=", ", \n");
  info.cudnn = config_value(text, "CUDNN_VERSION=", ", \n");
  info.cpu_capability = config_value(text, "CPU capability usage: ", " \n");
  return info;
}

TorchBuildInfo torch_build_info() {
  auto info = parse_torch_build_info(at::show_config());
  if (info.version.empty()) info.version = TORCH_VERSION;
  return info;
}

std::string torch_library_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&at::show_config), &info) == 0 || info.dli_fname == nullptr) return "unknown";
  std::error_code ec;
  const auto real = std::filesystem::canonical(info.dli_fname, ec);
  return ec ? std::string(info.dli_fname) : real.string();
}

std::string cuda_summary(const TorchBuildInfo& info) {
  if (info.cuda.empty()) return "not built in (CPU LibTorch)";
  std::string s = "CUDA " + info.cuda + (info.cudnn.empty() ? std::string() : ", cuDNN " + info.cudnn) + ": ";
  const auto n = cuda_available() ? torch::cuda::device_count() : 0;
  return s + (n == 0 ? std::string("no device visible") : std::to_string(n) + " device(s) visible");
}

std::string torch_version() {
  return TORCH_VERSION;
}

std::string attention_implementation() {
  if (!detail::fused_attention_enabled()) return "scaled_dot_product_attention (EPILEPSYFM_ATTENTION=aten)";
  return std::string("fused CPU kernel (") + detail::best_attention_kernels().name +
         ") for float32 on the CPU, scaled_dot_product_attention elsewhere";
}

}  // namespace efm::models
