#include "epilepsyfm/data/loader.h"

#include <chrono>

#include "epilepsyfm/core/check.h"

namespace efm::data {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

Loader::Loader(std::shared_ptr<const WindowSource> source, BatchSampler sampler, LoaderOptions options,
               SamplerPosition start)
    : source_(std::move(source)), sampler_(std::move(sampler)), options_(options) {
  EFM_CHECK_ARG(source_ != nullptr, "Loader: null window source");
  EFM_CHECK_ARG(options_.num_workers >= 0, "num_workers ({}) must be >= 0", options_.num_workers);
  EFM_CHECK_ARG(options_.prefetch >= 1, "prefetch ({}) must be >= 1", options_.prefetch);
  EFM_CHECK_ARG(options_.max_epochs >= 0, "max_epochs ({}) must be >= 0", options_.max_epochs);
  if (sampler_.batches_per_epoch() == 0) {
    const auto& index = sampler_.index();
    std::string sizes;
    for (size_t g = 0; g < index.groups().size() && g < 8; ++g) {
      sizes += fmt::format("{}{}", g ? ", " : "", index.groups()[g].windows.size());
    }
    EFM_CHECK_ARG(false,
                  "no batches: {} windows in {} channel groups (windows per group: {}{}) but one optimiser step "
                  "needs {} windows of one group (batch_size {} x accumulation {} x world_size {}) and tail is "
                  "'{}'; reduce the batch size or use tail 'pad'",
                  index.size(), index.groups().size(), sizes.empty() ? "none" : sizes,
                  index.groups().size() > 8 ? ", ..." : "", sampler_.options().step_batch(),
                  sampler_.options().batch_size, sampler_.options().accumulation, sampler_.options().world_size,
                  enum_name(sampler_.options().tail));
  }
  EFM_CHECK_ARG(start.epoch >= 0 && start.batch >= 0 && start.batch < sampler_.batches_per_epoch(),
                "loader start position (epoch {}, batch {}) outside an epoch of {} batches", start.epoch, start.batch,
                sampler_.batches_per_epoch());
  base_ = start;
  end_ticket_ = options_.max_epochs > 0 ? options_.max_epochs * sampler_.batches_per_epoch() -
                                              (base_.epoch * sampler_.batches_per_epoch() + base_.batch)
                                        : -1;
  start_workers();
}

Loader::~Loader() {
  stop_workers();
}

bool Loader::ticket_valid(int64_t ticket) const {
  return end_ticket_ < 0 || ticket < end_ticket_;
}

SamplerPosition Loader::position_of(int64_t ticket) const {
  return sampler_.advance(base_, ticket);
}

void Loader::start_workers() {
  stopping_ = false;
  for (int i = 0; i < options_.num_workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

void Loader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_work_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void Loader::worker_loop() {
  for (;;) {
    int64_t ticket;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_work_.wait(lock, [&] {
        return stopping_ || (next_ticket_ < consumed_ + options_.prefetch && ticket_valid(next_ticket_));
      });
      if (stopping_) return;
      ticket = next_ticket_++;
    }
    Slot slot = produce(ticket);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      ready_.emplace(ticket, std::move(slot));
    }
    cv_ready_.notify_all();
  }
}

std::shared_ptr<const std::vector<BatchPlan>> Loader::plans_for(int64_t epoch) {
  std::lock_guard<std::mutex> lock(plan_mu_);
  auto it = plan_cache_.find(epoch);
  if (it != plan_cache_.end()) return it->second;
  // Epochs behind the consumer are no longer needed (tickets only move forward).
  SamplerPosition consumer;
  {
    std::lock_guard<std::mutex> l2(mu_);
    consumer = position_of(consumed_);
  }
  for (auto p = plan_cache_.begin(); p != plan_cache_.end();) {
    p = p->first < consumer.epoch ? plan_cache_.erase(p) : std::next(p);
  }
  auto plans = std::make_shared<const std::vector<BatchPlan>>(sampler_.epoch(epoch));
  plan_cache_.emplace(epoch, plans);
  return plans;
}

Loader::Slot Loader::produce(int64_t ticket) {
  Slot slot;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    const SamplerPosition pos = position_of(ticket);
    const auto plans = plans_for(pos.epoch);
    slot.batch = assemble((*plans)[static_cast<size_t>(pos.batch)]);
  } catch (...) {
    slot.error = std::current_exception();
  }
  const double dt = seconds_since(t0);
  std::lock_guard<std::mutex> lock(mu_);
  stats_.assemble_s += dt;
  if (slot.batch) {
    ++stats_.batches_produced;
    stats_.windows_read += slot.batch->size();
  }
  return slot;
}

Batch Loader::assemble(const BatchPlan& plan) const {
  const WindowIndex& index = sampler_.index();
  const ChannelGroup& group = index.groups()[static_cast<size_t>(plan.group)];
  const int64_t b = static_cast<int64_t>(plan.windows.size());
  const int64_t c = static_cast<int64_t>(group.channel_ids.size());
  const int64_t n = group.window_samples;
  const auto& recs = source_->recordings();

  Batch batch;
  batch.group = plan.group;
  batch.position = plan.position;
  // Pinned host memory lets the trainer's copy to the GPU run asynchronously (non_blocking) from this buffer.
  const auto opts = torch::TensorOptions().pinned_memory(options_.pin_memory);
  batch.signal = torch::empty({b, c, n}, opts.dtype(torch::kFloat32));
  batch.channel_ids = torch::empty({b, c}, opts.dtype(torch::kInt64));
  batch.region_ids = torch::empty({b, c}, opts.dtype(torch::kInt64));
  batch.padding = torch::empty({b}, opts.dtype(torch::kBool));
  const bool labelled = !source_->label_names().empty();
  if (labelled) batch.labels = torch::empty({b}, opts.dtype(torch::kInt64));
  float* sig = batch.signal.data_ptr<float>();
  int64_t* ch = batch.channel_ids.data_ptr<int64_t>();
  int64_t* rg = batch.region_ids.data_ptr<int64_t>();
  bool* pad = batch.padding.data_ptr<bool>();
  batch.recordings.reserve(static_cast<size_t>(b));
  for (int64_t i = 0; i < b; ++i) {
    const WindowRef& w = index.windows()[static_cast<size_t>(plan.windows[static_cast<size_t>(i)])];
    const RecordingInfo& info = recs[static_cast<size_t>(w.recording)];
    try {
      source_->read(w.recording, w.start_sample, n, sig + i * c * n);
    } catch (const std::exception& e) {
      throw DataError(fmt::format("loading batch {} of epoch {}: recording '{}', window at sample {}: {}",
                                  plan.position.batch, plan.position.epoch, info.id, w.start_sample, e.what()));
    }
    std::copy(info.channel_ids.begin(), info.channel_ids.end(), ch + i * c);
    std::copy(info.region_ids.begin(), info.region_ids.end(), rg + i * c);
    pad[i] = plan.padding[static_cast<size_t>(i)] != 0;
    if (labelled) batch.labels.data_ptr<int64_t>()[i] = w.label;
    batch.recordings.push_back(w.recording);
    batch.start_samples.push_back(w.start_sample);
    batch.recording_ids.push_back(info.id);
  }
  return batch;
}

std::optional<Batch> Loader::next() {
  std::unique_lock<std::mutex> lock(mu_);
  const int64_t ticket = consumed_;
  if (!ticket_valid(ticket)) return std::nullopt;
  Slot slot;
  if (options_.num_workers == 0) {
    lock.unlock();
    slot = produce(ticket);
    lock.lock();
    next_ticket_ = ticket + 1;
  } else {
    auto it = ready_.find(ticket);
    if (it == ready_.end()) {
      const auto t0 = std::chrono::steady_clock::now();
      cv_ready_.wait(lock, [&] { return ready_.count(ticket) > 0; });
      stats_.wait_s += seconds_since(t0);
      it = ready_.find(ticket);
    }
    slot = std::move(it->second);
    ready_.erase(it);
  }
  ++consumed_;
  ++stats_.batches_consumed;
  lock.unlock();
  cv_work_.notify_all();
  if (slot.error) std::rethrow_exception(slot.error);
  return std::move(slot.batch);
}

SamplerPosition Loader::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return position_of(consumed_);
}

void Loader::restore(SamplerPosition position) {
  EFM_CHECK_ARG(position.epoch >= 0 && position.batch >= 0 && position.batch < sampler_.batches_per_epoch(),
                "restore: position (epoch {}, batch {}) outside an epoch of {} batches", position.epoch, position.batch,
                sampler_.batches_per_epoch());
  stop_workers();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ready_.clear();
    base_ = position;
    next_ticket_ = 0;
    consumed_ = 0;
    end_ticket_ = options_.max_epochs > 0 ? options_.max_epochs * sampler_.batches_per_epoch() -
                                                (base_.epoch * sampler_.batches_per_epoch() + base_.batch)
                                          : -1;
  }
  {
    std::lock_guard<std::mutex> lock(plan_mu_);
    plan_cache_.clear();
  }
  start_workers();
}

LoaderStats Loader::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace efm::data
