#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "epilepsyfm/core/random.h"

namespace efm {
namespace {

std::vector<uint64_t> draws(uint64_t (*draw)(std::mt19937_64&, uint64_t), uint64_t seed, uint64_t n, int count) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> out;
  for (int i = 0; i < count; ++i) out.push_back(draw(rng, n));
  return out;
}

// Fixed values: a change of any of the three algorithms changes these (and the streams made with them).
TEST(Random, BoundedDrawsAreFixed) {
  EXPECT_EQ(draws(uniform_multiply_shift, 1, 10, 6), (std::vector<uint64_t>{1, 1, 4, 0, 3, 9}));
  EXPECT_EQ(draws(uniform_rejection_modulo, 1, 10, 6), (std::vector<uint64_t>{8, 2, 0, 6, 4, 9}));
  EXPECT_EQ(draws(uniform_nearly_divisionless, 1, 10, 6), (std::vector<uint64_t>{1, 1, 4, 0, 3, 9}));
  for (uint64_t n : {1ull, 2ull, 3ull, 1000ull, (1ull << 63) + 5}) {
    for (uint64_t v : draws(uniform_nearly_divisionless, 3, n, 50)) EXPECT_LT(v, n);
    for (uint64_t v : draws(uniform_rejection_modulo, 3, n, 50)) EXPECT_LT(v, n);
  }
}

TEST(Random, ShuffleGivesAFixedPermutation) {
  std::vector<int> v(12);
  std::iota(v.begin(), v.end(), 0);
  std::mt19937_64 rng(derive_seed(7, "split"));
  shuffle(v, rng);
  EXPECT_EQ(v, (std::vector<int>{1, 2, 6, 0, 5, 3, 7, 9, 11, 10, 4, 8}));
}

#ifdef __GLIBCXX__
// On libstdc++ the shuffle is std::shuffle: same permutation and the same number of engine draws.
TEST(Random, ShuffleEqualsLibstdcxxShuffle) {
  for (uint64_t seed = 0; seed < 100; ++seed) {
    for (size_t n = 0; n < 130; n += (n < 20 ? 1 : 7)) {
      std::vector<int> a(n);
      std::iota(a.begin(), a.end(), 0);
      std::vector<int> b = a;
      std::mt19937_64 ra(seed), rb(seed);
      shuffle(a, ra);
      std::shuffle(b.begin(), b.end(), rb);
      ASSERT_EQ(a, b) << "seed " << seed << ", n " << n;
      ASSERT_EQ(ra(), rb()) << "seed " << seed << ", n " << n;
    }
  }
}
#endif

TEST(Random, FisherYatesWithEachDrawIsAPermutation) {
  for (auto draw : {uniform_multiply_shift, uniform_rejection_modulo}) {
    std::vector<int> v(40);
    std::iota(v.begin(), v.end(), 0);
    std::mt19937_64 rng(9);
    fisher_yates(v, rng, draw);
    std::vector<int> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < 40; ++i) EXPECT_EQ(sorted[static_cast<size_t>(i)], i);
    EXPECT_NE(v, sorted);
  }
}

}  // namespace
}  // namespace efm
