#pragma once
/// Data-parallel training across processes: one process per device, gradients averaged through c10d.
///
///   auto env = DistEnv::from_environment();          // RANK/WORLD_SIZE/... or SLURM_*; else a world of 1
///   auto pg = ProcessGroup::create(env, timeout, device); // TCPStore rendezvous; NCCL for a CUDA device
///   pg->broadcast_parameters(model);                  // every rank starts from rank 0's weights
///   ... loss.backward(); pg->average_gradients(params); optimizer.step();
///
/// Environment (torchrun conventions): RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT.
/// Without RANK/WORLD_SIZE, Slurm's SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_NTASKS_PER_NODE and the first
/// host of SLURM_JOB_NODELIST (or SLURM_NODELIST) are used, with MASTER_PORT or 29500. Neither: a world of 1.
/// A world of 1 creates no c10d objects at all; every collective is then a no-op, so code never needs an `if`.
///
/// Backend, by the run's device: NCCL (c10d::ProcessGroupNCCL, CUDA LibTorch builds) for a CUDA device, bound to
/// that device (select_device takes cuda:LOCAL_RANK); CPU tensors given to it are staged through the device. On the
/// CPU, collectives go through the TCPStore itself (train/detail/store_collectives.cpp): every rank combines all
/// ranks' tensors in rank order, so results are bit-identical across ranks. Rank 0 hosts the TCPStore rendezvous on
/// MASTER_PORT.
#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace efm::train {

struct DistEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string origin = "single";  ///< "single", "torchrun" (RANK/WORLD_SIZE) or "slurm"

  /// Reads the variables above. Throws ConfigError naming the variable for malformed values (non-numbers,
  /// rank outside [0, world_size), port outside 1..65535).
  static DistEnv from_environment();
  /// A description for the log: "rank 1/4 (local 1/2), rendezvous 10.0.0.5:29500 (slurm)".
  std::string describe() const;
};

/// First host of a Slurm node list: "node[01-03,07],gpu5" -> "node01", "a,b" -> "a", "x" -> "x".
std::string first_slurm_host(const std::string& nodelist);

class ProcessGroup {
 public:
  /// A world of 1 (no communication).
  ProcessGroup();
  /// Leaves the group. Rank 0, whose process hosts the rendezvous store, waits (at most 60 s) until every rank has
  /// left, so that no rank's last store read finds the store gone; not when an exception is unwinding.
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  /// Joins the process group described by `env` (blocks until all ranks have joined or `timeout` expires:
  /// DataError naming the rendezvous address). `device` selects the backend (CUDA -> NCCL when available).
  static std::shared_ptr<ProcessGroup> create(const DistEnv& env,
                                              std::chrono::milliseconds timeout = std::chrono::minutes(5),
                                              const torch::Device& device = torch::kCPU);

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  bool is_main() const { return rank_ == 0; }
  bool single() const { return world_size_ == 1; }

  /// In-place element-wise sum / max over all ranks (every rank gets the result). `t` must be contiguous.
  void all_reduce_sum(torch::Tensor& t);
  void all_reduce_max(torch::Tensor& t);
  /// In-place mean over ranks (sum / world_size).
  void all_reduce_mean(torch::Tensor& t);
  /// Copies rank `root`'s tensor into everyone's `t`.
  void broadcast(torch::Tensor& t, int root = 0);
  void barrier();
  /// Every rank is about to leave by the same exception (a signal all ranks agreed on): rank 0 then still waits for
  /// the others to check out while that exception unwinds (see ~ProcessGroup).
  void leaving_together() { leaving_together_ = true; }

  /// Copies rank 0's parameters and buffers into every rank's `module` (identical starting weights).
  void broadcast_parameters(torch::nn::Module& module);
  /// Averages the gradients of `params` over ranks, flattening them into buckets of at most `bucket_bytes`
  /// (one all-reduce per bucket and dtype). A gradient undefined on some ranks but defined on others counts as
  /// zeros there; one undefined on all ranks stays undefined (as in a single process).
  void average_gradients(const std::vector<torch::Tensor>& params, int64_t bucket_bytes = 25LL << 20);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int rank_ = 0;
  int world_size_ = 1;
  bool leaving_together_ = false;
};

}  // namespace efm::train
