#include "epilepsyfm/train/distributed.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <map>
#include <thread>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/log.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "train/detail/collectives.h"

namespace efm::train {

namespace {

const char* env_or_null(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

int env_int(const char* name, int fallback) {
  const char* v = env_or_null(name);
  if (!v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  EFM_CHECK_CONFIG(end && *end == '\0' && x >= 0 && x <= 1000000,
                   "environment variable {}='{}': expected a non-negative integer", name, v);
  return static_cast<int>(x);
}

// SLURM_NTASKS_PER_NODE may look like "4" or "4(x2)"; the leading number is the count on this node.
int leading_int(const char* text, int fallback) {
  if (!text) return fallback;
  char* end = nullptr;
  const long x = std::strtol(text, &end, 10);
  return end == text ? fallback : static_cast<int>(x);
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
  // Hosts are separated by commas outside brackets; a bracket holds ranges "01-03,07" of the first suffix.
  std::string host;
  size_t i = 0;
  for (; i < nodelist.size() && nodelist[i] != ',' && nodelist[i] != '['; ++i) host += nodelist[i];
  if (i < nodelist.size() && nodelist[i] == '[') {
    std::string first;
    for (++i; i < nodelist.size() && nodelist[i] != ',' && nodelist[i] != '-' && nodelist[i] != ']'; ++i) {
      first += nodelist[i];
    }
    host += first;
    // a suffix after the bracket ("node[1-2]-ib") belongs to every host
    const size_t close = nodelist.find(']', i);
    if (close != std::string::npos) {
      for (size_t j = close + 1; j < nodelist.size() && nodelist[j] != ','; ++j) host += nodelist[j];
    }
  }
  return host;
}

DistEnv DistEnv::from_environment() {
  DistEnv e;
  if (env_or_null("RANK") || env_or_null("WORLD_SIZE")) {
    EFM_CHECK_CONFIG(env_or_null("RANK") && env_or_null("WORLD_SIZE"),
                     "environment: RANK and WORLD_SIZE must be set together (got RANK={}, WORLD_SIZE={})",
                     env_or_null("RANK") ? env_or_null("RANK") : "<unset>",
                     env_or_null("WORLD_SIZE") ? env_or_null("WORLD_SIZE") : "<unset>");
    e.origin = "torchrun";
    e.rank = env_int("RANK", 0);
    e.world_size = env_int("WORLD_SIZE", 1);
    e.local_rank = env_int("LOCAL_RANK", e.rank);
    e.local_world_size = env_int("LOCAL_WORLD_SIZE", e.world_size);
  } else if (env_or_null("SLURM_PROCID") && env_or_null("SLURM_NTASKS")) {
    e.origin = "slurm";
    e.rank = env_int("SLURM_PROCID", 0);
    e.world_size = env_int("SLURM_NTASKS", 1);
    e.local_rank = env_int("SLURM_LOCALID", 0);
    e.local_world_size = leading_int(env_or_null("SLURM_NTASKS_PER_NODE"), 1);
    const char* nodes = env_or_null("SLURM_JOB_NODELIST");
    if (!nodes) nodes = env_or_null("SLURM_NODELIST");
    if (nodes) e.master_addr = first_slurm_host(nodes);
  }
  if (const char* a = env_or_null("MASTER_ADDR")) e.master_addr = a;
  e.master_port = env_int("MASTER_PORT", e.master_port);
  EFM_CHECK_CONFIG(e.world_size >= 1, "environment: WORLD_SIZE must be >= 1, got {}", e.world_size);
  EFM_CHECK_CONFIG(e.rank < e.world_size,
                   "environment: rank {} is outside [0, {}) (RANK/SLURM_PROCID vs WORLD_SIZE/"
                   "SLURM_NTASKS)",
                   e.rank, e.world_size);
  EFM_CHECK_CONFIG(e.master_port >= 1 && e.master_port <= 65535, "environment: MASTER_PORT={} outside 1..65535",
                   e.master_port);
  return e;
}

std::string DistEnv::describe() const {
  if (world_size == 1) return "single process";
  return fmt::format("rank {}/{} (local {}/{}), rendezvous {}:{} ({})", rank, world_size, local_rank, local_world_size,
                     master_addr, master_port, origin);
}

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  std::unique_ptr<detail::Collectives> comm;
};

ProcessGroup::ProcessGroup() = default;

ProcessGroup::~ProcessGroup() {
  if (!impl_ || !impl_->store) return;
  impl_->comm.reset();
  // Rank 0's process hosts the rendezvous TCPStore. Leaving before another rank's last store operation (the last
  // collective's reads) has completed would fail that rank with "Connection was likely closed". So every rank checks
  // in when it leaves, and rank 0 waits until all have (bounded). Not while an exception unwinds, unless all ranks
  // leave by the same one (leaving_together): otherwise the other ranks may be blocked in a collective that rank 0
  // will never join, and they fail either way.
  try {
    const std::string key = "efm/left";
    impl_->store->add(key, 1);
    if (rank_ == 0 && (std::uncaught_exceptions() == 0 || leaving_together_)) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (impl_->store->add(key, 0) < world_size_ && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  } catch (const std::exception& e) {
    EFM_LOG_DEBUG("[dist] rank {} leaving: {}", rank_, e.what());
  }
}

std::shared_ptr<ProcessGroup> ProcessGroup::create(const DistEnv& env, std::chrono::milliseconds timeout,
                                                   const torch::Device& device) {
  auto group = std::make_shared<ProcessGroup>();
  if (env.world_size == 1) return group;
  group->rank_ = env.rank;
  group->world_size_ = env.world_size;
  group->impl_ = std::make_unique<Impl>();
  try {
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<std::uint16_t>(env.master_port);
    opts.isServer = env.rank == 0;
    opts.numWorkers = static_cast<size_t>(env.world_size);
    opts.waitWorkers = true;
    opts.timeout = timeout;
    group->impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, opts);
    group->impl_->comm =
        device.is_cuda() ? detail::make_nccl_collectives(group->impl_->store, env.rank, env.world_size, device, timeout)
                         : detail::make_store_collectives(group->impl_->store, env.rank, env.world_size);
  } catch (const efm::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw DataError(fmt::format("distributed: rank {}/{} could not join the process group at {}:{} ({}): {}", env.rank,
                                env.world_size, env.master_addr, env.master_port, env.origin, e.what()));
  }
  EFM_LOG_INFO("[dist] joined: {}, {}", env.describe(), group->impl_->comm->name());
  return group;
}

void ProcessGroup::all_reduce_sum(torch::Tensor& t) {
  if (!single()) impl_->comm->all_reduce(t, detail::ReduceKind::sum);
}

void ProcessGroup::all_reduce_max(torch::Tensor& t) {
  if (!single()) impl_->comm->all_reduce(t, detail::ReduceKind::max);
}

void ProcessGroup::all_reduce_mean(torch::Tensor& t) {
  if (single()) return;
  all_reduce_sum(t);
  t.div_(world_size_);
}

void ProcessGroup::broadcast(torch::Tensor& t, int root) {
  if (!single()) impl_->comm->broadcast(t, root);
}

void ProcessGroup::barrier() {
  if (!single()) impl_->comm->barrier();
}
void ProcessGroup::broadcast_parameters(torch::nn::Module& module) {
  if (single()) return;
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters(/*recurse=*/true)) {
    torch::Tensor data = p.detach();
    if (data.is_contiguous()) {
      broadcast(data);
    } else {
      torch::Tensor tmp = data.contiguous();
      broadcast(tmp);
      data.copy_(tmp);
    }
  }
  for (auto& b : module.buffers(/*recurse=*/true)) {
    torch::Tensor tmp = b.contiguous();
    broadcast(tmp);
    if (!tmp.is_same(b)) b.copy_(tmp);
  }
}

void ProcessGroup::average_gradients(const std::vector<torch::Tensor>& params, int64_t bucket_bytes) {
  if (single()) return;
  torch::NoGradGuard no_grad;
  // Agree on which gradients exist anywhere.
  torch::Tensor defined = torch::empty({static_cast<int64_t>(params.size())}, torch::kInt32);
  for (size_t i = 0; i < params.size(); ++i) defined[static_cast<int64_t>(i)] = params[i].grad().defined() ? 1 : 0;
  all_reduce_max(defined);
  const auto* any = defined.data_ptr<int32_t>();
  std::vector<torch::Tensor> grads;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!any[i]) continue;
    torch::Tensor p = params[i];
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  // Buckets of one dtype and device, in parameter order (the same on every rank).
  size_t i = 0;
  while (i < grads.size()) {
    std::vector<torch::Tensor> bucket{grads[i]};
    int64_t bytes = grads[i].numel() * static_cast<int64_t>(grads[i].element_size());
    size_t j = i + 1;
    while (j < grads.size() && grads[j].scalar_type() == grads[i].scalar_type() &&
           grads[j].device() == grads[i].device() &&
           bytes + grads[j].numel() * static_cast<int64_t>(grads[j].element_size()) <= bucket_bytes) {
      bytes += grads[j].numel() * static_cast<int64_t>(grads[j].element_size());
      bucket.push_back(grads[j]);
      ++j;
    }
    std::vector<torch::Tensor> flat_parts;
    for (auto& g : bucket) flat_parts.push_back(g.reshape({-1}));
    torch::Tensor flat = torch::cat(flat_parts);
    all_reduce_sum(flat);
    flat.div_(world_size_);
    int64_t offset = 0;
    for (auto& g : bucket) {
      const int64_t n = g.numel();
      g.copy_(flat.narrow(0, offset, n).view_as(g));
      offset += n;
    }
    i = j;
  }
}

}  // namespace efm::train
