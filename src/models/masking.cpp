#include "epilepsyfm/models/masking.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/random.h"
#include "epilepsyfm/core/table.h"
#include "epilepsyfm/models/signal_spec.h"

namespace efm::models {

namespace {

// Uniform integer in [0, n): the rejection-modulo draw of core/random.h.
int64_t uniform_below(std::mt19937_64& rng, int64_t n) {
  return static_cast<int64_t>(uniform_rejection_modulo(rng, static_cast<uint64_t>(n)));
}

// Block sampler over one window's grid [C, T] (channel-major).
class BlockFiller {
 public:
  BlockFiller(std::vector<std::vector<int64_t>> units, int64_t channels, int64_t patches, int64_t target,
              int64_t min_span, int64_t max_span, bool* grid)
      : units_(std::move(units)),
        c_(channels),
        t_(patches),
        target_(target),
        min_span_(min_span),
        max_span_(max_span),
        grid_(grid) {}

  int64_t run(std::mt19937_64& rng) {
    const int64_t n_units = static_cast<int64_t>(units_.size());
    const int64_t max_attempts = 20 * n_units * t_ + 100;
    for (int64_t attempt = 0; attempt < max_attempts && masked_ < target_; ++attempt) {
      const auto& unit = units_[static_cast<size_t>(uniform_below(rng, n_units))];
      const int64_t span = min_span_ + uniform_below(rng, max_span_ - min_span_ + 1);
      const int64_t start = uniform_below(rng, t_ - span + 1);
      // Cells each prefix length of the span would add; pick the length that gets closest to the target.
      int64_t best_len = 0;
      int64_t best_err = std::abs(target_ - masked_);
      int64_t added = 0;
      for (int64_t len = 1; len <= span; ++len) {
        added += fresh(unit, start + len - 1);
        const int64_t err = std::abs(target_ - masked_ - added);
        if (err < best_err) {
          best_err = err;
          best_len = len;
        }
        if (masked_ + added >= target_) break;
      }
      for (int64_t t = start; t < start + best_len; ++t) apply(unit, t);
    }
    // Final adjustment with single-patch blocks, in random order.
    if (masked_ != target_) {
      std::vector<std::pair<int64_t, int64_t>> cells;
      for (int64_t u = 0; u < n_units; ++u) {
        for (int64_t t = 0; t < t_; ++t) cells.emplace_back(u, t);
      }
      fisher_yates(cells, rng, uniform_rejection_modulo);
      for (const auto& [u, t] : cells) {
        const auto& unit = units_[static_cast<size_t>(u)];
        const int64_t f = fresh(unit, t);
        if (f > 0 && std::abs(target_ - masked_ - f) < std::abs(target_ - masked_)) apply(unit, t);
        if (masked_ == target_) break;
      }
    }
    return masked_;
  }

 private:
  int64_t fresh(const std::vector<int64_t>& unit, int64_t t) const {
    int64_t n = 0;
    for (int64_t c : unit) n += grid_[c * t_ + t] ? 0 : 1;
    return n;
  }
  void apply(const std::vector<int64_t>& unit, int64_t t) {
    for (int64_t c : unit) {
      bool& cell = grid_[c * t_ + t];
      masked_ += cell ? 0 : 1;
      cell = true;
    }
  }

  std::vector<std::vector<int64_t>> units_;
  int64_t c_, t_, target_, min_span_, max_span_;
  bool* grid_;
  int64_t masked_ = 0;
};

/// Cells of one window masked one by one (LaBraM random_masking: len_keep = int(L * (1 - mask_ratio)) are kept,
/// chosen by a partial Fisher-Yates shuffle). Returns the masked count.
int64_t mask_cells(const MaskOptions& options, int64_t n, bool* grid, std::mt19937_64& rng) {
  const int64_t keep = static_cast<int64_t>(static_cast<double>(n) * (1.0 - options.ratio()));
  const int64_t masked = n - keep;
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  for (int64_t i = 0; i < masked; ++i) {
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(i + uniform_below(rng, n - i))]);
    grid[order[static_cast<size_t>(i)]] = true;
  }
  return masked;
}

using Units = std::vector<std::vector<int64_t>>;

/// channel_set: every run of channel_set_size consecutive rows of the montage.
Units channel_set_units(const MaskOptions& options, int64_t channels, const int64_t* /*regions*/) {
  const int64_t size = std::min(options.channel_set_size(), channels);
  Units units;
  for (int64_t s = 0; s + size <= channels; ++s) {
    std::vector<int64_t> u(static_cast<size_t>(size));
    for (int64_t i = 0; i < size; ++i) u[static_cast<size_t>(i)] = s + i;
    units.push_back(std::move(u));
  }
  return units;
}

/// region: the channels of each region id (ascending), after one single-channel unit per channel without a region.
Units region_units(const MaskOptions& /*options*/, int64_t channels, const int64_t* regions) {
  Units units;
  std::map<int64_t, std::vector<int64_t>> by_region;
  for (int64_t c = 0; c < channels; ++c) {
    if (regions[c] < 0) {
      units.push_back({c});
    } else {
      by_region[regions[c]].push_back(c);
    }
  }
  for (auto& [id, members] : by_region) units.push_back(std::move(members));
  return units;
}

/// The strategies, one row each: name (config value), whether it needs region ids, and its block units (none:
/// cells are masked one by one). Adding a strategy is an enum value, a row and its units function.
struct StrategyRow {
  MaskStrategy strategy;
  const char* name;
  bool needs_regions;
  Units (*units)(const MaskOptions&, int64_t channels, const int64_t* regions);
};

constexpr StrategyRow kStrategies[] = {
    {MaskStrategy::random, "random", false, nullptr},
    {MaskStrategy::channel_set, "channel_set", false, &channel_set_units},
    {MaskStrategy::region, "region", true, &region_units},
};

const StrategyRow& row_of(MaskStrategy strategy) {
  for (const StrategyRow& row : kStrategies) {
    if (row.strategy == strategy) return row;
  }
  throw ArgumentError("masking: unknown strategy value " + std::to_string(static_cast<int>(strategy)));
}

}  // namespace

MaskStrategy parse_mask_strategy(const std::string& name) {
  for (const StrategyRow& row : kStrategies) {
    if (name == row.name) return row.strategy;
  }
  throw ArgumentError(fmt::format("masking.strategy: allowed values are '{}', but got '{}'",
                                  fmt::join(mask_strategy_names(), "', '"), name));
}

std::string mask_strategy_name(MaskStrategy strategy) {
  return row_of(strategy).name;
}

const std::vector<std::string>& mask_strategy_names() {
  static const std::vector<std::string> names = column_strings(kStrategies, &StrategyRow::name);
  return names;
}

MaskGenerator::MaskGenerator(MaskOptions options) : options_(options) {
  EFM_CHECK_ARG(options_.ratio() > 0.0 && options_.ratio() < 1.0, "masking.ratio must be in (0, 1), got {}",
                options_.ratio());
  EFM_CHECK_ARG(options_.channel_set_size() >= 1, "masking.channel_set_size must be >= 1, got {}",
                options_.channel_set_size());
  EFM_CHECK_ARG(options_.min_span_patches() >= 1, "masking.min_span_patches must be >= 1, got {}",
                options_.min_span_patches());
  EFM_CHECK_ARG(options_.max_span_patches() == 0 || options_.max_span_patches() >= options_.min_span_patches(),
                "masking.max_span_patches ({}) must be 0 (whole window) or >= min_span_patches ({})",
                options_.max_span_patches(), options_.min_span_patches());
}

MaskResult MaskGenerator::generate(int64_t batch, int64_t channels, int64_t patches, uint64_t seed,
                                   const torch::Tensor& region_ids, int64_t first_window) const {
  EFM_CHECK_ARG(batch >= 1 && channels >= 1 && patches >= 1,
                "masking: batch ({}), channels ({}) and patches ({}) must be >= 1", batch, channels, patches);
  EFM_CHECK_ARG(first_window >= 0, "masking: first_window ({}) must be >= 0", first_window);
  const int64_t n = channels * patches;
  const StrategyRow& strategy = row_of(options_.strategy());
  torch::Tensor regions;
  if (strategy.needs_regions) {
    EFM_CHECK_DATA(region_ids.defined(), "masking: the {} strategy needs region_ids ([C] or [B, C] int64)",
                   strategy.name);
    EFM_CHECK_DATA((region_ids.dim() == 1 && region_ids.size(0) == channels) ||
                       (region_ids.dim() == 2 && region_ids.size(0) == batch && region_ids.size(1) == channels),
                   "masking: region_ids has shape {} but the batch has {} windows of {} channels",
                   shape_str(region_ids), batch, channels);
    regions = expand_ids(region_ids.to(torch::kCPU, torch::kLong), batch).contiguous();
  }
  const int64_t min_span = std::min(options_.min_span_patches(), patches);
  const int64_t max_span = options_.max_span_patches() == 0 ? patches : std::min(options_.max_span_patches(), patches);
  const int64_t target = std::llround(options_.ratio() * static_cast<double>(n));

  MaskResult result;
  result.mask = torch::zeros({batch, n}, torch::kBool);
  bool* data = result.mask.data_ptr<bool>();
  for (int64_t b = 0; b < batch; ++b) {
    std::mt19937_64 rng(derive_seed(seed, "mask", static_cast<uint64_t>(first_window + b)));
    bool* grid = data + b * n;
    int64_t masked = 0;
    if (strategy.units == nullptr) {
      masked = mask_cells(options_, n, grid, rng);
    } else {
      const int64_t* window_regions = regions.defined() ? regions.data_ptr<int64_t>() + b * channels : nullptr;
      masked = BlockFiller(strategy.units(options_, channels, window_regions), channels, patches, target, min_span,
                           max_span, grid)
                   .run(rng);
    }
    result.achieved_ratio.push_back(static_cast<double>(masked) / static_cast<double>(n));
  }
  double sum = 0.0;
  for (double r : result.achieved_ratio) sum += r;
  result.mean_ratio = sum / static_cast<double>(batch);
  return result;
}

}  // namespace efm::models
