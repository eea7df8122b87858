#pragma once
/// A prefetching, multi-threaded batch loader.
///
///   BatchSampler sampler(index, SamplerOptions{...});
///   Loader loader(source, sampler, LoaderOptions().workers(2).prefetch(4));
///   while (auto batch = loader.next()) { ...; }   // endless unless max_epochs is set
///   auto pos = loader.state();  ...  loader.restore(pos);
///
/// `num_workers` threads assemble upcoming micro-batches (reading windows through WindowSource::read into one
/// [B, C, n] tensor) ahead of the consumer; at most `prefetch` batches are ready or being assembled at any time
/// (bounded memory). Each batch has a ticket number and the consumer takes tickets strictly in order, so the
/// sequence of batches is exactly the sampler's order whatever the thread timing or the worker count.
/// A failure while assembling a batch is delivered to the consumer when it reaches that batch, as a DataError
/// naming the recording id, the start sample and the batch position. The destructor stops and joins the workers.
/// With num_workers = 0 batches are assembled in the consumer's thread (no threads; useful for debugging).
/// With pin_memory the batch tensors are allocated in page-locked host memory (CUDA's caching host allocator), so
/// that Batch::to(cuda) copies them asynchronously (non_blocking) instead of staging them through a pageable
/// buffer; it needs a CUDA LibTorch and a GPU (the Trainer sets it when the run's device is CUDA).
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "epilepsyfm/data/batch.h"
#include "epilepsyfm/data/sampler.h"
#include "epilepsyfm/data/window_source.h"

namespace efm::data {

struct LoaderOptions {
  LoaderOptions& workers(int n) {
    num_workers = n;
    return *this;
  }
  LoaderOptions& queue_depth(int n) {
    prefetch = n;
    return *this;
  }
  LoaderOptions& epochs(int64_t n) {
    max_epochs = n;
    return *this;
  }
  LoaderOptions& pinned(bool on) {
    pin_memory = on;
    return *this;
  }
  int num_workers = 2;      ///< assembling threads (0 = assemble in the consumer's thread)
  int prefetch = 4;         ///< batches ready or in flight (>= 1)
  int64_t max_epochs = 0;   ///< stop after this many epochs (counted from epoch 0); 0 = endless
  bool pin_memory = false;  ///< allocate batch tensors in pinned (page-locked) host memory, for CUDA copies
};

/// Counters for judging whether the loader keeps up (the training loop logs them).
struct LoaderStats {
  double wait_s = 0;             ///< total time the consumer blocked in next()
  int64_t batches_produced = 0;  ///< batches assembled by the workers (or inline)
  int64_t batches_consumed = 0;  ///< batches returned by next()
  int64_t windows_read = 0;      ///< windows read from the source
  double assemble_s = 0;         ///< summed time spent assembling (all workers)
};

class Loader {
 public:
  /// Starts the workers at `start`. Throws ArgumentError when the sampler yields no batch at all (naming the
  /// window count, the group sizes and the step batch) or options are out of range.
  Loader(std::shared_ptr<const WindowSource> source, BatchSampler sampler, LoaderOptions options = {},
         SamplerPosition start = {});
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  /// The next micro-batch in sampler order; nullopt after max_epochs. Rethrows a worker's failure (DataError).
  std::optional<Batch> next();
  /// Position of the batch the next call to next() returns.
  SamplerPosition state() const;
  /// Discards prefetched batches and continues at `position` (exactly the batches a fresh loader started there
  /// would give).
  void restore(SamplerPosition position);

  LoaderStats stats() const;
  const BatchSampler& sampler() const { return sampler_; }
  const WindowSource& source() const { return *source_; }

 private:
  struct Slot {
    std::optional<Batch> batch;
    std::exception_ptr error;
  };
  void start_workers();
  void stop_workers();
  void worker_loop();
  Slot produce(int64_t ticket);
  /// Plans of epoch `e` (computed once, cached while needed). Thread-safe.
  std::shared_ptr<const std::vector<BatchPlan>> plans_for(int64_t epoch);
  Batch assemble(const BatchPlan& plan) const;
  bool ticket_valid(int64_t ticket) const;
  SamplerPosition position_of(int64_t ticket) const;

  std::shared_ptr<const WindowSource> source_;
  BatchSampler sampler_;
  LoaderOptions options_;

  // Tickets count micro-batches from `base_`: ticket t is the micro-batch advance(base_, t).
  SamplerPosition base_;
  int64_t end_ticket_ = -1;  // first invalid ticket (max_epochs), -1 = endless

  mutable std::mutex mu_;
  std::condition_variable cv_work_, cv_ready_;
  bool stopping_ = false;
  int64_t next_ticket_ = 0;  // next ticket a worker takes
  int64_t consumed_ = 0;     // next ticket the consumer takes
  std::map<int64_t, Slot> ready_;
  std::vector<std::thread> workers_;

  std::mutex plan_mu_;
  std::map<int64_t, std::shared_ptr<const std::vector<BatchPlan>>> plan_cache_;

  LoaderStats stats_;
};

}  // namespace efm::data
