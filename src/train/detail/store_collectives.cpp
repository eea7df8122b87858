// CPU collectives through the rendezvous TCPStore. Why not ProcessGroupGloo: its header includes Gloo's own headers,
// which pip's LibTorch does not ship, and Debian's libgloo-dev is a 2022 snapshot that matches only LibTorch 1.13;
// compiling c10d's Gloo classes against other Gloo headers mixes two versions of one library. The TCPStore needs no
// third-party header. CPU data parallelism is for small jobs and tests (GPU clusters use NCCL), where moving each
// gradient bucket through the store (one write per rank, world_size reads) costs little next to a CPU step.
#include <fmt/format.h>

#include <cstring>
#include <string>
#include <vector>

#include "epilepsyfm/core/check.h"
#include "train/detail/collectives.h"

namespace efm::train::detail {
namespace {

std::vector<uint8_t> to_bytes(const torch::Tensor& t) {
  const auto* p = static_cast<const uint8_t*>(t.data_ptr());
  return {p, p + t.nbytes()};
}

// A view of `bytes` as a tensor shaped like `like` (the buffer must outlive it).
torch::Tensor view_bytes(std::vector<uint8_t>& bytes, const torch::Tensor& like) {
  EFM_CHECK_DATA(bytes.size() == like.nbytes(),
                 "distributed: a peer sent {} bytes for a tensor of {} bytes (ranks disagree on the collective "
                 "sequence)",
                 bytes.size(), like.nbytes());
  return torch::from_blob(bytes.data(), like.sizes(), like.options());
}

class StoreCollectives final : public Collectives {
 public:
  StoreCollectives(c10::intrusive_ptr<c10d::Store> store, int rank, int world)
      : store_(std::move(store)), rank_(rank), world_(world) {}

  void all_reduce(torch::Tensor& t, ReduceKind kind) override {
    check_cpu(t);
    const std::string key = next_key();
    store_->set(key + "/" + std::to_string(rank_), to_bytes(t));
    torch::Tensor acc;
    std::vector<uint8_t> peer;
    for (int r = 0; r < world_; ++r) {
      torch::Tensor x;
      if (r == rank_) {
        x = t;
      } else {
        peer = store_->get(key + "/" + std::to_string(r));
        x = view_bytes(peer, t);
      }
      // Rank order on every rank: the same additions in the same order, so bit-identical results everywhere.
      if (!acc.defined()) {
        acc = x.clone();
      } else if (kind == ReduceKind::sum) {
        acc.add_(x);
      } else {
        acc = torch::maximum(acc, x);
      }
    }
    t.copy_(acc);
    release(key, world_);
  }

  void broadcast(torch::Tensor& t, int root) override {
    check_cpu(t);
    const std::string key = next_key();
    if (rank_ == root) {
      store_->set(key + "/" + std::to_string(root), to_bytes(t));
    } else {
      auto bytes = store_->get(key + "/" + std::to_string(root));
      t.copy_(view_bytes(bytes, t));
    }
    release(key, world_);
  }

  void barrier() override {
    const std::string key = next_key();
    if (store_->add(key + "/arrived", 1) == world_) store_->set(key + "/go", std::vector<uint8_t>{1});
    (void)store_->get(key + "/go");  // blocks until the last rank arrives (or the store's timeout)
  }

  std::string name() const override { return "TCPStore (CPU)"; }

 private:
  static void check_cpu(const torch::Tensor& t) {
    EFM_CHECK_ARG(t.device().is_cpu() && t.is_contiguous(),
                  "distributed: CPU collectives need a contiguous CPU tensor, got one on {}", t.device().str());
  }

  std::string next_key() { return fmt::format("efm/{}", seq_++); }

  // Every rank has read what it needs: the last one deletes the call's data keys.
  void release(const std::string& key, int readers) {
    if (store_->add(key + "/done", 1) < readers) return;
    for (int r = 0; r < world_; ++r) store_->deleteKey(key + "/" + std::to_string(r));
    store_->deleteKey(key + "/done");
  }

  c10::intrusive_ptr<c10d::Store> store_;
  int rank_;
  int world_;
  uint64_t seq_ = 0;
};

}  // namespace

std::unique_ptr<Collectives> make_store_collectives(c10::intrusive_ptr<c10d::Store> store, int rank, int world_size) {
  return std::make_unique<StoreCollectives>(std::move(store), rank, world_size);
}

}  // namespace efm::train::detail
