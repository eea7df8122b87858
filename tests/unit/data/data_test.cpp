#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/data/loader.h"
#include "epilepsyfm/data/sampler.h"
#include "epilepsyfm/data/windows.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::data {
namespace {

// A recording whose sample i of channel c has the value 1000·c + i (so every read is checkable), recording index
// encoded in the fractional part: value = 1000·c + i + r/100.
RecordingInfo make_info(const std::string& id, std::vector<int64_t> ids, double sfreq, int64_t n) {
  RecordingInfo info;
  info.id = id;
  info.subject = "s";
  for (auto i : ids) info.channel_names.push_back("CH" + std::to_string(i));
  info.channel_ids = ids;
  info.region_ids.assign(ids.size(), 3);
  info.sfreq_hz = sfreq;
  info.n_samples = n;
  return info;
}

std::vector<float> ramp(size_t channels, int64_t n, int64_t r) {
  std::vector<float> v(channels * static_cast<size_t>(n));
  for (size_t c = 0; c < channels; ++c) {
    for (int64_t i = 0; i < n; ++i) {
      v[c * static_cast<size_t>(n) + static_cast<size_t>(i)] =
          static_cast<float>(1000 * c + static_cast<size_t>(i)) + static_cast<float>(r) / 100.0f;
    }
  }
  return v;
}

// 5 recordings: three with channels {0,1,2} (10 s, 12 s, 10 s), two with {0,1,2,3} (10 s), all at 50 Hz.
std::shared_ptr<InMemoryWindowSource> five_recordings() {
  auto src = std::make_shared<InMemoryWindowSource>(std::vector<std::string>{"background", "seizure"});
  const std::vector<std::pair<std::vector<int64_t>, int64_t>> recs = {
      {{0, 1, 2}, 500}, {{0, 1, 2, 3}, 500}, {{0, 1, 2}, 600}, {{0, 1, 2, 3}, 500}, {{0, 1, 2}, 500}};
  for (size_t r = 0; r < recs.size(); ++r) {
    auto info = make_info("rec" + std::to_string(r) + ".edf", recs[r].first, 50, recs[r].second);
    src->add(info, ramp(recs[r].first.size(), recs[r].second, static_cast<int64_t>(r)));
  }
  return src;
}

TEST(WindowIndex, GeometryAndGroups) {
  auto src = five_recordings();
  WindowOptions o;
  o.window_s = 2;
  o.stride_s = 1;
  const auto index = WindowIndex::build(*src, o);
  // 10 s: starts 0..8 s -> 9 windows; 12 s -> 11 windows.
  EXPECT_EQ(index.size(), 9 + 9 + 11 + 9 + 9);
  ASSERT_EQ(index.groups().size(), 2u);
  EXPECT_EQ(index.groups()[0].channel_ids, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(index.groups()[0].windows.size(), 29u);
  EXPECT_EQ(index.groups()[0].recordings, (std::vector<int64_t>{0, 2, 4}));
  EXPECT_EQ(index.groups()[1].windows.size(), 18u);
  EXPECT_EQ(index.groups()[1].window_samples, 100);
  EXPECT_EQ(index.windows()[1].start_sample, 50);
  EXPECT_EQ(index.windows()[8].start_sample, 400);  // last window [400, 500) fits exactly
  EXPECT_EQ(index.windows()[9].recording, 1);
  EXPECT_EQ(index.windows()[9].group, 1);
}

TEST(WindowIndex, SameChannelsOtherRateIsAnotherGroup) {
  auto src = std::make_shared<InMemoryWindowSource>();
  src->add(make_info("a", {0, 1}, 50, 500), ramp(2, 500, 0));
  src->add(make_info("b", {0, 1}, 100, 1000), ramp(2, 1000, 1));
  WindowOptions o;
  const auto index = WindowIndex::build(*src, o);
  ASSERT_EQ(index.groups().size(), 2u);
  EXPECT_EQ(index.groups()[0].window_samples, 200);
  EXPECT_EQ(index.groups()[1].window_samples, 400);
}

TEST(WindowIndex, NonIntegralWindowNamesRecording) {
  auto src = five_recordings();
  WindowOptions o;
  o.window_s = 0.33;  // 16.5 samples at 50 Hz
  EXPECT_THAT([&] { WindowIndex::build(*src, o); },
              ThrowsMessage<ArgumentError>(HasSubstr("recording 'rec0.edf': windows.window_s: 0.33 s at 50 Hz")));
}

TEST(WindowIndex, LabelsFromSpansAndRejection) {
  auto src = std::make_shared<InMemoryWindowSource>(std::vector<std::string>{"background", "seizure"});
  auto info = make_info("lab.edf", {0}, 10, 200);  // 20 s at 10 Hz
  // table of 4-s spans: background [0,40) [40,80), seizure [80,120) [120,160), background [160,200) rejected
  info.spans = {{0, 40, 0, false}, {40, 40, 0, false}, {80, 40, 1, false}, {120, 40, 1, false}, {160, 40, 0, true}};
  src->add(info, ramp(1, 200, 0));
  WindowOptions o;
  o.window_s = 2;
  o.stride_s = 2;
  auto index = WindowIndex::build(*src, o);
  // windows of 20 samples at 0,20,...,180; the last two overlap the rejected span
  ASSERT_EQ(index.size(), 8);
  EXPECT_EQ(index.stats().dropped_rejected, 2);
  std::vector<int64_t> labels;
  for (const auto& w : index.windows()) labels.push_back(w.label);
  EXPECT_EQ(labels, (std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, 1}));

  o.window_s = 4;
  o.stride_s = 2;  // windows at 0,20,...,160: the one at 60 straddles background/seizure -> unlabelled
  index = WindowIndex::build(*src, o);
  labels.clear();
  for (const auto& w : index.windows()) labels.push_back(w.label);
  EXPECT_EQ(labels, (std::vector<int64_t>{0, 0, 0, -1, 1, 1, 1}));

  o.labels = {"seizure"};
  index = WindowIndex::build(*src, o);
  EXPECT_EQ(index.size(), 3);
  EXPECT_EQ(index.stats().dropped_label, 4);

  o.labels = {"spike"};
  EXPECT_THAT([&] { WindowIndex::build(*src, o); },
              ThrowsMessage<ArgumentError>(
                  HasSubstr("windows.labels: unknown label 'spike'; the source has labels 'background', 'seizure'")));
}

std::shared_ptr<const WindowIndex> index_of(const WindowSource& src, double window_s = 2, double stride_s = 1) {
  WindowOptions o;
  o.window_s = window_s;
  o.stride_s = stride_s;
  return std::make_shared<WindowIndex>(WindowIndex::build(src, o));
}

TEST(Sampler, DeterministicPerSeedAndEpochAndNeverMixesGroups) {
  auto src = five_recordings();
  auto index = index_of(*src);
  SamplerOptions o;
  o.batch_size = 4;
  o.seed = 3;
  BatchSampler a(index, o), b(index, o);
  // group 0: 29 windows -> 7 batches (1 dropped), group 1: 18 -> 4 batches (2 dropped)
  EXPECT_EQ(a.batches_per_epoch(), 11);
  EXPECT_EQ(a.dropped_per_epoch(), 3);
  const auto e0 = a.epoch(0), e0b = b.epoch(0), e1 = a.epoch(1);
  ASSERT_EQ(e0.size(), 11u);
  std::vector<int64_t> flat0, flat1;
  for (size_t i = 0; i < e0.size(); ++i) {
    EXPECT_EQ(e0[i].windows, e0b[i].windows);
    EXPECT_EQ(e0[i].position.batch, static_cast<int64_t>(i));
    for (auto w : e0[i].windows) EXPECT_EQ(index->windows()[static_cast<size_t>(w)].group, e0[i].group);
    flat0.insert(flat0.end(), e0[i].windows.begin(), e0[i].windows.end());
    flat1.insert(flat1.end(), e1[i].windows.begin(), e1[i].windows.end());
  }
  EXPECT_NE(flat0, flat1);                                               // another epoch, another order
  EXPECT_EQ(std::set<int64_t>(flat0.begin(), flat0.end()).size(), 44u);  // no window twice within an epoch
  o.seed = 4;
  BatchSampler c(index, o);
  EXPECT_NE(c.epoch(0)[0].windows, e0[0].windows);
}

TEST(Sampler, NoShuffleKeepsIndexOrder) {
  auto src = five_recordings();
  auto index = index_of(*src);
  SamplerOptions o;
  o.batch_size = 5;
  o.shuffle = false;
  o.tail = TailPolicy::keep;
  const auto plans = BatchSampler(index, o).epoch(0);
  ASSERT_EQ(plans.size(), 6u + 4u);  // 29 -> 5 full + 1 of 4; 18 -> 3 full + 1 of 3
  EXPECT_EQ(plans[0].windows, (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(plans[5].windows.size(), 4u);
  EXPECT_EQ(plans[9].windows.size(), 3u);
}

// Every rank gets the same number of batches and together they cover each window exactly once (pad: each
// non-filler at most once and every window at least once); slices of a step batch equal the 1-rank step batch.
TEST(Sampler, DistributedShardingCoversEveryWindowOnce) {
  auto src = five_recordings();
  auto index = index_of(*src);
  for (int64_t world : {2, 3}) {
    for (TailPolicy tail : {TailPolicy::drop, TailPolicy::pad}) {
      std::vector<int64_t> counts(static_cast<size_t>(index->size()), 0);
      int64_t per_rank = -1;
      std::vector<std::vector<BatchPlan>> ranks;
      for (int64_t r = 0; r < world; ++r) {
        SamplerOptions o;
        o.batch_size = 3;
        o.world_size = world;
        o.rank = r;
        o.seed = 11;
        o.tail = tail;
        BatchSampler s(index, o);
        if (per_rank < 0) per_rank = s.batches_per_epoch();
        EXPECT_EQ(s.batches_per_epoch(), per_rank);
        ranks.push_back(s.epoch(2));
        for (const auto& p : ranks.back()) {
          for (size_t i = 0; i < p.windows.size(); ++i) {
            if (!p.padding[i]) ++counts[static_cast<size_t>(p.windows[i])];
          }
        }
      }
      const int64_t g = 3 * world;
      const int64_t expected_dropped = tail == TailPolicy::drop ? (29 % g) + (18 % g) : 0;
      int64_t zeros = 0;
      for (auto c : counts) {
        EXPECT_LE(c, 1);
        zeros += c == 0;
      }
      EXPECT_EQ(zeros, expected_dropped) << "world " << world << " tail " << enum_name(tail);
      // the union of the ranks' k-th batches is the k-th batch of a single rank with batch 3·world
      SamplerOptions single;
      single.batch_size = 3 * world;
      single.seed = 11;
      single.tail = tail;
      const auto one = BatchSampler(index, single).epoch(2);
      ASSERT_EQ(static_cast<int64_t>(one.size()), per_rank);
      for (size_t k = 0; k < one.size(); ++k) {
        std::vector<int64_t> joined;
        for (const auto& rk : ranks) joined.insert(joined.end(), rk[k].windows.begin(), rk[k].windows.end());
        EXPECT_EQ(joined, one[k].windows);
      }
    }
  }
}

TEST(Sampler, AccumulationSlicesEqualOneBigBatch) {
  auto src = five_recordings();
  auto index = index_of(*src);
  SamplerOptions big;
  big.batch_size = 8;
  SamplerOptions small = big;
  small.batch_size = 4;
  small.accumulation = 2;
  const auto a = BatchSampler(index, big).epoch(0);
  const auto b = BatchSampler(index, small).epoch(0);
  ASSERT_EQ(b.size(), 2 * a.size());
  for (size_t k = 0; k < a.size(); ++k) {
    std::vector<int64_t> joined = b[2 * k].windows;
    joined.insert(joined.end(), b[2 * k + 1].windows.begin(), b[2 * k + 1].windows.end());
    EXPECT_EQ(joined, a[k].windows);
  }
}

TEST(Sampler, RejectsBadOptions) {
  auto src = five_recordings();
  auto index = index_of(*src);
  SamplerOptions o;
  o.world_size = 2;
  o.rank = 2;
  EXPECT_THAT([&] { BatchSampler(index, o); }, ThrowsMessage<ArgumentError>(HasSubstr("rank (2) must be in [0, 2)")));
  o.rank = 0;
  o.tail = TailPolicy::keep;
  EXPECT_THAT([&] { BatchSampler(index, o); }, ThrowsMessage<ArgumentError>(HasSubstr("tail 'keep'")));
  EXPECT_THAT([] { parse_enum<TailPolicy>("cut", "train.tail"); },
              ThrowsMessage<ConfigError>(HasSubstr("train.tail: allowed values are 'drop', 'pad', 'keep'")));
}

std::vector<std::pair<int64_t, int64_t>> windows_of(const Batch& b) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (int64_t i = 0; i < b.size(); ++i) out.emplace_back(b.recordings[i], b.start_samples[i]);
  return out;
}

TEST(Loader, OrderEqualsSamplerForAnyWorkerCount) {
  auto src = five_recordings();
  auto index = index_of(*src);
  SamplerOptions so;
  so.batch_size = 4;
  so.seed = 5;
  BatchSampler sampler(index, so);
  // two epochs of the sampler's plan, flattened
  std::vector<BatchPlan> expected = sampler.epoch(0);
  for (auto& p : sampler.epoch(1)) expected.push_back(p);
  for (int workers = 0; workers <= 4; ++workers) {
    Loader loader(src, sampler, LoaderOptions().workers(workers).queue_depth(3).epochs(2));
    size_t k = 0;
    while (auto b = loader.next()) {
      ASSERT_LT(k, expected.size());
      const BatchPlan& p = expected[k];
      ASSERT_EQ(b->size(), static_cast<int64_t>(p.windows.size()));
      EXPECT_EQ(b->position, p.position);
      const int64_t c = b->signal.size(1);
      for (int64_t i = 0; i < b->size(); ++i) {
        const auto& w = index->windows()[static_cast<size_t>(p.windows[static_cast<size_t>(i)])];
        EXPECT_EQ(b->recordings[i], w.recording);
        EXPECT_EQ(b->start_samples[i], w.start_sample);
        // the ramp: channel c, sample start + j -> 1000 c + start + j + r/100
        EXPECT_FLOAT_EQ(b->signal[i][c - 1][7].item<float>(), static_cast<float>(1000 * (c - 1) + w.start_sample + 7) +
                                                                  static_cast<float>(w.recording) / 100.0f);
      }
      EXPECT_EQ(b->channel_ids.sizes(), (std::vector<int64_t>{b->size(), c}));
      EXPECT_EQ(b->labels.size(0), b->size());
      ++k;
    }
    EXPECT_EQ(k, expected.size()) << workers << " workers";
    const auto st = loader.stats();
    EXPECT_EQ(st.batches_consumed, static_cast<int64_t>(expected.size()));
    EXPECT_EQ(st.batches_produced, static_cast<int64_t>(expected.size()));
  }
}

TEST(Loader, StateAndRestoreReplayExactly) {
  auto src = five_recordings();
  auto index = index_of(*src);
  SamplerOptions so;
  so.batch_size = 4;
  BatchSampler sampler(index, so);  // 11 batches per epoch
  Loader loader(src, sampler, LoaderOptions().workers(2));
  for (int i = 0; i < 9; ++i) loader.next();
  const SamplerPosition saved = loader.state();
  EXPECT_EQ(saved, (SamplerPosition{0, 9}));
  std::vector<std::vector<std::pair<int64_t, int64_t>>> first;
  for (int i = 0; i < 5; ++i) first.push_back(windows_of(*loader.next()));  // crosses into epoch 1
  EXPECT_EQ(loader.state(), (SamplerPosition{1, 3}));
  loader.restore(saved);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(windows_of(*loader.next()), first[static_cast<size_t>(i)]);
  // a fresh loader started at the saved position gives the same batches
  Loader fresh(src, sampler, LoaderOptions().workers(3), saved);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(windows_of(*fresh.next()), first[static_cast<size_t>(i)]);
}

TEST(Loader, WorkerFailureNamesRecording) {
  auto src = five_recordings();
  src->fail_reads_of(3, "HDF5 chunk checksum mismatch");
  auto index = index_of(*src);
  SamplerOptions so;
  so.batch_size = 2;
  so.shuffle = false;
  BatchSampler sampler(index, so);
  Loader loader(src, sampler, LoaderOptions().workers(2).epochs(1));
  // group 0 (recordings 0, 2, 4) comes first without shuffle: 14 good batches, then group 1 hits recording 1
  // (fine) and then recording 3.
  int good = 0;
  EXPECT_THAT(
      [&] {
        while (loader.next()) ++good;
      },
      ThrowsMessage<DataError>(HasSubstr("recording 'rec3.edf', window at sample 0: recording 'rec3.edf': HDF5 "
                                         "chunk checksum mismatch")));
  EXPECT_EQ(good, 14 + 4);  // 29/2 -> 14 batches, rec1's 9 windows + ... -> 4 batches before rec3's first
}

TEST(Loader, NoBatchesIsAnError) {
  auto src = five_recordings();
  auto index = index_of(*src);
  SamplerOptions so;
  so.batch_size = 64;
  EXPECT_THAT([&] { Loader(src, BatchSampler(index, so)); },
              ThrowsMessage<ArgumentError>(HasSubstr("no batches: 47 windows in 2 channel groups (windows per group: "
                                                     "29, 18) but one optimiser step needs 64 windows")));
}

// A slow source (2 ms per window read, batches of 4 -> ~8 ms per batch) consumed by a loop that "computes" 8 ms
// per batch, 25 batches. Measured on the 2-core dev machine under load (printed by the test): 0 workers (reads
// inline) 0.45 s in total; 2 workers 0.23 s, of which the loop waited 0.009 s (the first batch). Timings are only
// printed; the assertions check the mechanism: workers run ahead of an idle consumer, never more than `prefetch`
// batches ahead.
class SlowSource : public InMemoryWindowSource {
 public:
  using InMemoryWindowSource::InMemoryWindowSource;
  void read(int64_t r, int64_t s, int64_t n, float* out) const override {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    InMemoryWindowSource::read(r, s, n, out);
  }
};

double run_slow_loop(const std::shared_ptr<const WindowSource>& src, const std::shared_ptr<const WindowIndex>& index,
                     int workers, LoaderStats* stats) {
  SamplerOptions so;
  so.batch_size = 4;
  Loader loader(src, BatchSampler(index, so), LoaderOptions().workers(workers).queue_depth(4));
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 25; ++i) {
    loader.next();
    std::this_thread::sleep_for(std::chrono::milliseconds(8));
  }
  *stats = loader.stats();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(Loader, PrefetchRunsAheadWithinBound) {
  auto src = std::make_shared<SlowSource>();
  for (int r = 0; r < 3; ++r) src->add(make_info("slow" + std::to_string(r), {0, 1}, 50, 2000), ramp(2, 2000, r));
  auto index = index_of(*src);
  {
    SamplerOptions so;
    so.batch_size = 4;
    Loader loader(src, BatchSampler(index, so), LoaderOptions().workers(2).queue_depth(3));
    loader.next();
    // the consumer idles: workers fill the queue (3 batches beyond the one consumed) and then stop
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (loader.stats().batches_produced < 4 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(loader.stats().batches_produced, 4);  // 1 consumed + prefetch 3, not more
    EXPECT_EQ(loader.stats().batches_consumed, 1);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) loader.next();  // already there
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
  }
  LoaderStats inline_stats, st;
  const double inline_total = run_slow_loop(src, index, 0, &inline_stats);
  const double total = run_slow_loop(src, index, 2, &st);
  std::printf(
      "[loader] 25 batches: 0 workers %.3f s; 2 workers %.3f s, waited %.3f s, %lld produced, "
      "assembling took %.3f s\n",
      inline_total, total, st.wait_s, static_cast<long long>(st.batches_produced), st.assemble_s);
  EXPECT_GE(st.batches_produced, 25);
}

}  // namespace
}  // namespace efm::data
