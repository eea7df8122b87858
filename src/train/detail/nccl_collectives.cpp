// NCCL collectives (CUDA LibTorch builds). c10d::ProcessGroupNCCL is a c10d::Backend in LibTorch 2.x; it is bound to
// this process's device before its first collective, so that each rank's communicator lives on its own GPU.
#include <fmt/format.h>

#include "epilepsyfm/core/error.h"
#include "train/detail/collectives.h"

#if EFM_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace efm::train::detail {

#if EFM_HAVE_NCCL
namespace {

class NcclCollectives final : public Collectives {
 public:
  NcclCollectives(c10::intrusive_ptr<c10d::Store> store, int rank, int world, const torch::Device& device,
                  std::chrono::milliseconds timeout)
      : device_(device) {
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    backend_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(std::move(store), rank, world, options);
    backend_->setBoundDeviceId(device_);
  }

  void all_reduce(torch::Tensor& t, ReduceKind kind) override {
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp(kind == ReduceKind::sum ? c10d::ReduceOp::SUM : c10d::ReduceOp::MAX);
    run(t, [&](std::vector<at::Tensor>& v) { return backend_->allreduce(v, o); });
  }

  void broadcast(torch::Tensor& t, int root) override {
    c10d::BroadcastOptions o;
    o.rootRank = root;
    run(t, [&](std::vector<at::Tensor>& v) { return backend_->broadcast(v, o); });
  }

  void barrier() override {
    c10d::BarrierOptions o;
    o.device_ids = {device_.index()};
    backend_->barrier(o)->wait();
  }

  std::string name() const override { return "NCCL (" + device_.str() + ")"; }

 private:
  // Tensors not on the device (metrics kept on the CPU) go through a device copy and back.
  template <class Op>
  void run(torch::Tensor& t, Op op) {
    const bool staged = t.device() != device_;
    std::vector<at::Tensor> v{staged ? t.to(device_) : t};
    op(v)->wait();
    if (staged) t.copy_(v[0]);
  }

  torch::Device device_;
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> backend_;
};

}  // namespace

std::unique_ptr<Collectives> make_nccl_collectives(c10::intrusive_ptr<c10d::Store> store, int rank, int world_size,
                                                   const torch::Device& device, std::chrono::milliseconds timeout) {
  return std::make_unique<NcclCollectives>(std::move(store), rank, world_size, device, timeout);
}

#else

std::unique_ptr<Collectives> make_nccl_collectives(c10::intrusive_ptr<c10d::Store>, int, int world_size,
                                                   const torch::Device& device, std::chrono::milliseconds) {
  throw ConfigError(
      fmt::format("distributed: {} processes on {} need NCCL, which this build lacks (build against a CUDA LibTorch: "
                  "scripts/build_cuda.sh)",
                  world_size, device.str()));
}

#endif

}  // namespace efm::train::detail
