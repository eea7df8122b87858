# c10d: TCPStore (libtorch_cpu, headers in every LibTorch) for the rendezvous and the CPU collectives; NCCL
# (ProcessGroupNCCL, libtorch_cuda) when the LibTorch has CUDA. ProcessGroupNCCL.hpp includes <nccl.h>, which LibTorch
# does not ship: pip wheels carry it in nvidia/nccl/include (package nvidia-nccl-cu*), Debian in libnccl-dev.
set(EFM_HAVE_NCCL OFF)
if(TARGET torch_cuda)
  get_filename_component(_efm_site "${TORCH_INSTALL_PREFIX}/.." ABSOLUTE)
  find_path(EFM_NCCL_INCLUDE_DIR NAMES nccl.h
            HINTS ${_efm_site}/nvidia/nccl/include ENV NCCL_INCLUDE_DIR ${CUDAToolkit_INCLUDE_DIRS})
  # ProcessGroupNCCL.hpp includes ATen's CUDA headers, which need cuSPARSE/cuBLAS headers: a minimal CUDA toolkit
  # may lack them, pip's CUDA wheels carry them (nvidia/cu13/include).
  file(GLOB EFM_NVIDIA_INCLUDE_DIRS LIST_DIRECTORIES true ${_efm_site}/nvidia/*/include)
  if(EFM_NCCL_INCLUDE_DIR)
    set(EFM_HAVE_NCCL ON)
  else()
    message(WARNING "CUDA LibTorch without nccl.h (pip: nvidia-nccl-cu*; set NCCL_INCLUDE_DIR): multi-GPU training "
                    "is disabled")
  endif()
endif()
