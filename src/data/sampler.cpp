#include "epilepsyfm/data/sampler.h"

#include <random>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/random.h"

namespace efm::data {

namespace {

struct StepBatch {
  int64_t group = 0;
  std::vector<int64_t> windows;
  std::vector<uint8_t> padding;
};

// The step batches of one epoch (before slicing into ranks and micro-batches).
std::vector<StepBatch> step_batches(const WindowIndex& index, const SamplerOptions& o, int64_t epoch,
                                    int64_t* dropped) {
  std::mt19937_64 rng(derive_seed(o.seed, "sampler", static_cast<uint64_t>(epoch)));
  const int64_t g = o.step_batch();
  std::vector<StepBatch> out;
  int64_t lost = 0;
  for (size_t gi = 0; gi < index.groups().size(); ++gi) {
    std::vector<int64_t> w = index.groups()[gi].windows;
    if (w.empty()) continue;
    if (o.shuffle) fisher_yates(w, rng, uniform_multiply_shift);
    const int64_t n = static_cast<int64_t>(w.size());
    for (int64_t b = 0; b < n; b += g) {
      const int64_t take = std::min(g, n - b);
      StepBatch sb;
      sb.group = static_cast<int64_t>(gi);
      sb.windows.assign(w.begin() + b, w.begin() + b + take);
      sb.padding.assign(static_cast<size_t>(take), 0);
      if (take < g) {
        if (o.tail == TailPolicy::drop) {
          lost += take;
          continue;
        }
        if (o.tail == TailPolicy::pad) {
          for (int64_t k = 0; k < g - take; ++k) {
            sb.windows.push_back(w[static_cast<size_t>(k % n)]);
            sb.padding.push_back(1);
          }
        }
      }
      out.push_back(std::move(sb));
    }
  }
  if (o.shuffle) fisher_yates(out, rng, uniform_multiply_shift);
  if (dropped) *dropped = lost;
  return out;
}

}  // namespace

BatchSampler::BatchSampler(std::shared_ptr<const WindowIndex> index, SamplerOptions options)
    : index_(std::move(index)), options_(options) {
  EFM_CHECK_ARG(index_ != nullptr, "BatchSampler: null window index");
  EFM_CHECK_ARG(options_.batch_size >= 1, "batch_size ({}) must be >= 1", options_.batch_size);
  EFM_CHECK_ARG(options_.accumulation >= 1, "accumulation ({}) must be >= 1", options_.accumulation);
  EFM_CHECK_ARG(options_.world_size >= 1, "world_size ({}) must be >= 1", options_.world_size);
  EFM_CHECK_ARG(options_.rank >= 0 && options_.rank < options_.world_size, "rank ({}) must be in [0, {})",
                options_.rank, options_.world_size);
  EFM_CHECK_ARG(options_.tail != TailPolicy::keep || (options_.world_size == 1 && options_.accumulation == 1),
                "tail 'keep' leaves short batches that cannot be split over {} ranks x {} micro-batches; use "
                "'drop' or 'pad'",
                options_.world_size, options_.accumulation);
  // The number of step batches does not depend on the shuffle; count them once.
  const int64_t g = options_.step_batch();
  int64_t steps = 0;
  for (const auto& grp : index_->groups()) {
    const int64_t n = static_cast<int64_t>(grp.windows.size());
    steps += options_.tail == TailPolicy::drop ? n / g : (n + g - 1) / g;
    if (options_.tail == TailPolicy::drop) dropped_per_epoch_ += n % g;
  }
  batches_per_epoch_ = steps * options_.accumulation;
}

std::vector<BatchPlan> BatchSampler::epoch(int64_t epoch) const {
  EFM_CHECK_ARG(epoch >= 0, "epoch ({}) must be >= 0", epoch);
  const auto steps = step_batches(*index_, options_, epoch, nullptr);
  const int64_t b = options_.batch_size;
  std::vector<BatchPlan> plans;
  plans.reserve(steps.size() * static_cast<size_t>(options_.accumulation));
  for (const StepBatch& sb : steps) {
    const int64_t n = static_cast<int64_t>(sb.windows.size());
    for (int64_t m = 0; m < options_.accumulation; ++m) {
      BatchPlan p;
      p.group = sb.group;
      p.position = SamplerPosition{epoch, static_cast<int64_t>(plans.size())};
      // slice (m·W + r) of the step batch; a short step batch (keep) is only possible with W = A = 1
      const int64_t from = std::min(n, (m * options_.world_size + options_.rank) * b);
      const int64_t to = std::min(n, from + b);
      p.windows.assign(sb.windows.begin() + from, sb.windows.begin() + to);
      p.padding.assign(sb.padding.begin() + from, sb.padding.begin() + to);
      plans.push_back(std::move(p));
    }
  }
  return plans;
}

SamplerPosition BatchSampler::advance(SamplerPosition from, int64_t n) const {
  EFM_CHECK_ARG(batches_per_epoch_ > 0, "the sampler has no batches");
  const int64_t g = from.epoch * batches_per_epoch_ + from.batch + n;
  return SamplerPosition{g / batches_per_epoch_, g % batches_per_epoch_};
}

}  // namespace efm::data
