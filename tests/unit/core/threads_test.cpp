#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <set>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/random.h"
#include "epilepsyfm/core/threads.h"

namespace efm {

TEST(Threads, ResolveThreadCount) {
  EXPECT_GE(available_cores(), 1);
  EXPECT_EQ(resolve_thread_count(3), 3);
  EXPECT_EQ(resolve_thread_count(0), available_cores());
}

TEST(Threads, ParallelForVisitsEachIndexOnce) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  pool.parallel_for(1000, [&](int64_t i) { hits[i]++; });
  for (const auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(Threads, ParallelForRethrowsFirstError) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(100,
                                 [](int64_t i) {
                                   if (i == 37) throw DataError("bad index 37");
                                 }),
               DataError);
}

TEST(Threads, SubmitReturnsValues) {
  ThreadPool pool(2);
  auto f = pool.submit([] { return 6 * 7; });
  EXPECT_EQ(f.get(), 42);
}

TEST(Random, DerivedSeedsAreDeterministicAndDistinct) {
  EXPECT_EQ(derive_seed(1, "sampler", 0), derive_seed(1, "sampler", 0));
  std::set<uint64_t> seen;
  for (uint64_t base : {0, 1}) {
    for (const char* name : {"sampler", "mask", "init"}) {
      for (uint64_t i = 0; i < 10; ++i) seen.insert(derive_seed(base, name, i));
    }
  }
  EXPECT_EQ(seen.size(), 60u);
  // SplitMix64 reference value: first output for state 0 is 0xE220A8397B1DCDAF (Vigna's splitmix64.c).
  EXPECT_EQ(splitmix64(0), 0xE220A8397B1DCDAFULL);
}

}  // namespace efm

namespace efm {

// A pool worker that calls parallel_for on its own pool must not deadlock, even when every worker does so at once.
TEST(Threads, NestedParallelForOnTheSamePoolCompletes) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  std::vector<std::future<void>> outer;
  for (int k = 0; k < 4; ++k) {
    outer.push_back(pool.submit([&] { pool.parallel_for(100, [&](int64_t i) { total += i; }); }));
  }
  for (auto& f : outer) f.get();
  EXPECT_EQ(total.load(), 4 * 4950);
}

}  // namespace efm
