# c10d process groups. Debian's LibTorch ships ProcessGroupGloo in libtorch_cpu; its headers include
# <gloo/...> from libgloo-dev. CUDA LibTorch builds (given with -DTorch_DIR=...) additionally get NCCL.
find_path(EFM_GLOO_INCLUDE_DIR NAMES gloo/algorithm.h)
if(EFM_GLOO_INCLUDE_DIR)
  set(EFM_HAVE_GLOO ON)
else()
  set(EFM_HAVE_GLOO OFF)
  message(WARNING "gloo headers not found (install libgloo-dev): multi-process training is disabled")
endif()
set(EFM_HAVE_NCCL OFF)
if(TORCH_CUDA_LIBRARIES OR CUDA_FOUND)
  set(EFM_HAVE_NCCL ON)
endif()
