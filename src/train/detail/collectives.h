#pragma once
// The communication under ProcessGroup (train/distributed.h): one implementation per backend, chosen at join time.
//   store collectives: CPU tensors, through the c10d TCPStore every run rendezvous on (no Gloo; see
//                      store_collectives.cpp for why);
//   NCCL:              CUDA tensors, c10d::ProcessGroupNCCL (CUDA LibTorch builds only, EFM_HAVE_NCCL).
// Every call is collective: all ranks make the same calls in the same order with tensors of the same shape and dtype.
#include <torch/torch.h>

#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <memory>

namespace efm::train::detail {

enum class ReduceKind { sum, max };

class Collectives {
 public:
  virtual ~Collectives() = default;
  /// In place; every rank gets the result. `t` contiguous.
  virtual void all_reduce(torch::Tensor& t, ReduceKind kind) = 0;
  /// Copies rank `root`'s `t` into every rank's `t`.
  virtual void broadcast(torch::Tensor& t, int root) = 0;
  virtual void barrier() = 0;
  /// "store (CPU)" or "NCCL (cuda:0)", for the log.
  virtual std::string name() const = 0;
};

/// CPU collectives over `store`: each rank publishes its tensor under a per-call key and combines all ranks' tensors
/// in rank order, so every rank computes bit-identical results.
std::unique_ptr<Collectives> make_store_collectives(c10::intrusive_ptr<c10d::Store> store, int rank, int world_size);

/// NCCL on `device` (the process's current CUDA device); tensors elsewhere are staged through it. Throws ConfigError
/// in builds without NCCL.
std::unique_ptr<Collectives> make_nccl_collectives(c10::intrusive_ptr<c10d::Store> store, int rank, int world_size,
                                                   const torch::Device& device, std::chrono::milliseconds timeout);

}  // namespace efm::train::detail
