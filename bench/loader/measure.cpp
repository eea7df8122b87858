#include "measure.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "epilepsyfm/data/loader.h"
#include "epilepsyfm/data/store_source.h"

namespace efm::bench {

using Clock = std::chrono::steady_clock;

namespace {
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
}  // namespace

std::vector<WindowAt> shuffled_windows(const io::StoreReader& reader, uint64_t seed) {
  std::vector<WindowAt> out;
  for (size_t r = 0; r < reader.recordings().size(); ++r) {
    for (const auto& w : reader.details(r)->windows) out.push_back(WindowAt{r, w.start_sample});
  }
  std::mt19937_64 rng(seed);
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

Rate read_windows(const io::StoreReader& reader, const std::vector<WindowAt>& order, int64_t n_samples, int threads,
                  double budget_s) {
  std::vector<int64_t> counts(static_cast<size_t>(threads), 0);
  std::vector<std::thread> pool;
  const auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const size_t C = static_cast<size_t>(reader.recordings().front().n_channels);
      std::vector<float> buf(C * static_cast<size_t>(n_samples));
      int64_t done = 0;
      const bool timed = budget_s > 0;  // cycle through the list until the budget is spent; else one pass
      for (size_t i = static_cast<size_t>(t);; i += static_cast<size_t>(threads)) {
        if (i >= order.size()) {
          if (!timed || since(t0) >= budget_s) break;
          i %= order.size();
        }
        reader.read(order[i].recording, order[i].start, n_samples, /*normalised=*/true, buf.data());
        ++done;
        if (timed && (done & 63) == 0 && since(t0) >= budget_s) break;
      }
      counts[static_cast<size_t>(t)] = done;
    });
  }
  for (auto& p : pool) p.join();
  Rate r;
  r.seconds = since(t0);
  for (int64_t c : counts) r.windows += c;
  return r;
}

Rate load_batches(const std::filesystem::path& store, const LoaderRun& run) {
  auto source = std::make_shared<data::StoreWindowSource>(
      store, data::StoreSourceOptions{.normalised = true, .read = io::StoreReadOptions{.map_signal = run.map_signal}});
  auto index = std::make_shared<const data::WindowIndex>(data::WindowIndex::build(*source, data::WindowOptions{}));
  data::SamplerOptions so;
  so.batch_size = run.batch;
  so.seed = 1;
  data::BatchSampler sampler(index, so);
  const int64_t limit = run.max_windows > 0 ? run.max_windows : sampler.batches_per_epoch() * run.batch;
  Rate r;
  const auto t0 = Clock::now();
  {
    data::Loader loader(
        source, sampler,
        data::LoaderOptions().workers(run.workers).queue_depth(std::max(4, 2 * run.workers)).pinned(run.pinned));
    while (r.windows < limit && since(t0) < run.budget_s) {
      auto b = loader.next();
      if (!b) break;
      r.windows += b->size();
    }
    r.seconds = since(t0);
    r.wait_s = loader.stats().wait_s;
  }
  return r;
}

}  // namespace efm::bench
