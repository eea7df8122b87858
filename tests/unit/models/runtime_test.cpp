#include "epilepsyfm/models/runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/core/error.h"

namespace efm::models {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// Excerpts of at::show_config() as the pip wheels print it: torch 2.13.0+cpu and 2.14.1 (CUDA 13.0) for x86-64.
constexpr const char* kCpuWheel =
    "PyTorch built with:\n  - GCC 13.3\n  - C++ Version: 202002\n  - Intel(R) MKL-DNN v3.12.0 (Git Hash 80afa71)\n"
    "  - CPU capability usage: AVX512\n  - Build settings: BLAS_INFO=mkl, BUILD_TYPE=Release, LAPACK_INFO=mkl, "
    "TORCH_VERSION=2.13.0, USE_CUDA=0, USE_CUDNN=OFF, USE_MKLDNN=ON, \n";
constexpr const char* kCudaWheel =
    "PyTorch built with:\n  - Intel(R) MKL-DNN v3.12.0 (Git Hash 80afa71)\n  - CPU capability usage: AVX2\n"
    "  - Build settings: BLAS_INFO=mkl, CUDA_FLAGS= -Xfatbin -compress-all, CUDA_VERSION=13.0, CUDNN_VERSION=9.24.0, "
    "TORCH_VERSION=2.14.1, USE_CUDA=1, \n";

TEST(Runtime, ParsesTheBuildInfoOfACpuWheel) {
  const TorchBuildInfo info = parse_torch_build_info(kCpuWheel);
  EXPECT_EQ(info.version, "2.13.0");
  EXPECT_EQ(info.blas, "mkl");
  EXPECT_EQ(info.onednn, "v3.12.0");
  EXPECT_EQ(info.cpu_capability, "AVX512");
  EXPECT_EQ(info.cuda, "");
  EXPECT_EQ(info.cudnn, "");
  EXPECT_EQ(cuda_summary(info), "not built in (CPU LibTorch)");
}

TEST(Runtime, ParsesTheBuildInfoOfACudaWheel) {
  const TorchBuildInfo info = parse_torch_build_info(kCudaWheel);
  EXPECT_EQ(info.version, "2.14.1");
  EXPECT_EQ(info.cuda, "13.0");
  EXPECT_EQ(info.cudnn, "9.24.0");
  EXPECT_EQ(info.cpu_capability, "AVX2");
  EXPECT_THAT(cuda_summary(info), HasSubstr("CUDA 13.0, cuDNN 9.24.0: "));
}

TEST(Runtime, TheLinkedLibTorchReportsItself) {
  const TorchBuildInfo info = torch_build_info();
  EXPECT_EQ(info.version.substr(0, 2), "2.");
  EXPECT_FALSE(info.blas.empty());
  EXPECT_THAT(torch_library_path(), HasSubstr("libtorch_cpu.so"));
}

TEST(Runtime, DeviceSelection) {
  EXPECT_EQ(select_device("cpu"), torch::Device(torch::kCPU));
  EXPECT_THAT([] { (void)select_device("gpu"); },
              ThrowsMessage<ConfigError>(HasSubstr("run.device: allowed values are 'auto', 'cpu', 'cuda', 'cuda:N'")));
  if (!cuda_available()) {
    EXPECT_EQ(select_device("auto", /*local_rank=*/3), torch::Device(torch::kCPU));
    EXPECT_THAT([] { (void)select_device("cuda:1"); },
                ThrowsMessage<ConfigError>(HasSubstr("'cuda:1' requested but CUDA is not available")));
  } else {
    // One GPU per local process: rank r takes device r modulo the visible count.
    const auto n = static_cast<int>(torch::cuda::device_count());
    EXPECT_EQ(select_device("auto", /*local_rank=*/n + 1).index(), (n + 1) % n);
  }
}

}  // namespace
}  // namespace efm::models
