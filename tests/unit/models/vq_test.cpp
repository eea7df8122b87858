#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/models/vq.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::models {
namespace {

namespace F = torch::nn::functional;

torch::Tensor unit(std::initializer_list<double> v) {
  auto t = torch::tensor(std::vector<double>(v), torch::kFloat32);
  return t / t.norm();
}

// Three codes on the unit circle and a batch of four vectors: a, c -> code 0, d -> code 1, code 2 unused.
struct ThreeCodes {
  torch::Tensor codebook = torch::stack({unit({1, 0}), unit({0, 1}), unit({-1, 0})});
  torch::Tensor a = unit({0.8, 0.6});
  torch::Tensor c = unit({1, 0.1});
  torch::Tensor d = unit({0.28, 0.96});
  torch::Tensor e = unit({0.1, 1});
  torch::Tensor batch() const { return torch::stack({a, c, d, e}); }
};

NormEMAVectorQuantizer make_vq(EmaRule rule, double decay, DeadCodePolicy dead = DeadCodePolicy::keep,
                               double dead_threshold = 1e-3) {
  NormEMAVectorQuantizer vq(
      VectorQuantizerOptions(3, 2).decay(decay).ema_rule(rule).dead_codes(dead).dead_code_threshold(dead_threshold));
  vq->set_codebook(ThreeCodes().codebook);
  vq->train();
  return vq;
}

TEST(VectorQuantizer, LabramEmaUpdateOfThreeCodesEqualsTheFormula) {
  const ThreeCodes k;
  const double decay = 0.9;
  auto vq = make_vq(EmaRule::labram, decay);
  auto out = vq(k.batch());
  EXPECT_EQ(out.indices.sizes(), (std::vector<int64_t>{4}));
  EXPECT_TRUE(torch::equal(out.indices, torch::tensor({0, 0, 1, 1}, torch::kLong)));
  // Hand computation: m_k = l2n(mean of the assigned vectors); e_k <- l2n(decay * e_k + (1 - decay) * m_k).
  auto m0 = (k.a + k.c) / 2;
  m0 = m0 / m0.norm();
  auto m1 = (k.d + k.e) / 2;
  m1 = m1 / m1.norm();
  auto e0 = decay * k.codebook[0] + (1 - decay) * m0;
  auto e1 = decay * k.codebook[1] + (1 - decay) * m1;
  auto expected = torch::stack({e0 / e0.norm(), e1 / e1.norm(), k.codebook[2]});
  EXPECT_TRUE(torch::allclose(vq->codebook(), expected, 1e-6, 1e-7)) << vq->codebook() << expected;
  // cluster_size = decay * 0 + (1 - decay) * counts.
  EXPECT_TRUE(torch::allclose(vq->cluster_size(), torch::tensor({0.2f, 0.2f, 0.0f})));
  // The output uses the codebook before the update (LaBraM).
  EXPECT_TRUE(torch::allclose(out.z_q[0], k.codebook[0]));
}

TEST(VectorQuantizer, LaplaceEmaUpdateOfThreeCodesEqualsTheFormula) {
  const ThreeCodes k;
  const double decay = 0.5;
  const double eps = 1e-5;
  auto vq = make_vq(EmaRule::laplace, decay);
  vq(k.batch());
  // N = (1 - decay) * counts, S = (1 - decay) * sums, n = sum N, smoothed = (N + eps) / (n + K eps) * n.
  const double n0 = 0.5 * 2, n1 = 0.5 * 2, n2 = 0.0, n = n0 + n1 + n2;
  auto s0 = 0.5 * (k.a + k.c);
  auto s1 = 0.5 * (k.d + k.e);
  auto w0 = s0 / ((n0 + eps) / (n + 3 * eps) * n);
  auto w1 = s1 / ((n1 + eps) / (n + 3 * eps) * n);
  auto expected = torch::stack({w0 / w0.norm(), w1 / w1.norm(), k.codebook[2]});  // code 2: no sum, kept
  EXPECT_TRUE(torch::allclose(vq->codebook(), expected, 1e-6, 1e-7)) << vq->codebook() << expected;
  // A second step with only `a`: N0 = 0.5 * 1 + 0.5 * 1, S0 = 0.5 * s0 + 0.5 * a, N1 = 0.5, S1 = 0.5 * s1.
  vq(k.a.unsqueeze(0));
  const double n0b = 1.0, n1b = 0.5, nb = n0b + n1b;
  auto w0b = (0.5 * s0 + 0.5 * k.a) / ((n0b + eps) / (nb + 3 * eps) * nb);
  auto w1b = (0.5 * s1) / ((n1b + eps) / (nb + 3 * eps) * nb);
  auto expected_b = torch::stack({w0b / w0b.norm(), w1b / w1b.norm(), k.codebook[2]});
  EXPECT_TRUE(torch::allclose(vq->codebook(), expected_b, 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(vq->cluster_size(), torch::tensor({1.0f, 0.5f, 0.0f})));
}

TEST(VectorQuantizer, QuantisationPicksTheNearestNormalisedCode) {
  // Codes (1, 0) and (0, 3): for z = (1, 1.1) the nearest raw code is (1, 0) (distance 1.10 vs 2.15), but after
  // l2-normalisation z/|z| = (0.67, 0.74) is nearest to (0, 1).
  NormEMAVectorQuantizer vq(VectorQuantizerOptions(2, 2));
  vq->set_codebook(torch::tensor({{1.0f, 0.0f}, {0.0f, 3.0f}}));
  vq->eval();
  auto out = vq(torch::tensor({{1.0f, 1.1f}, {1.0f, 0.9f}, {-5.0f, 0.1f}}));
  EXPECT_TRUE(torch::equal(out.indices, torch::tensor({1, 0, 1}, torch::kLong)));
  EXPECT_TRUE(torch::allclose(vq->codebook(), torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}})));  // stored normalised
  EXPECT_TRUE(torch::allclose(out.z_q[0], torch::tensor({0.0f, 1.0f})));
  // Brute force over a random codebook in 16-d: argmin of Euclidean distance between unit vectors.
  torch::manual_seed(5);
  NormEMAVectorQuantizer big(VectorQuantizerOptions(64, 16));
  big->set_codebook(torch::randn({64, 16}) * torch::rand({64, 1}) * 10);
  big->eval();
  auto z = torch::randn({200, 16}) * 3;
  const auto before = big->codebook().clone();
  auto idx = big(z).indices;
  auto zn = z / z.norm(2, 1, true);
  auto dist = torch::cdist(zn, big->codebook());
  EXPECT_TRUE(torch::equal(idx, dist.argmin(1)));
  EXPECT_TRUE(torch::equal(big->codebook(), before));  // eval: no update
}

TEST(VectorQuantizer, StraightThroughGradientIsTheIdentity) {
  torch::manual_seed(0);
  NormEMAVectorQuantizer vq(VectorQuantizerOptions(8, 4).kmeans_init(false));
  vq->train();
  auto z = torch::randn({5, 3, 4}, torch::requires_grad());
  auto out = vq(z);
  EXPECT_EQ(out.z_q.sizes(), (std::vector<int64_t>{5, 3, 4}));
  EXPECT_EQ(out.indices.sizes(), (std::vector<int64_t>{5, 3}));
  auto g = torch::randn({5, 3, 4});
  auto grad = torch::autograd::grad({out.z_q}, {out.z}, {g}, /*retain_graph=*/true)[0];
  EXPECT_TRUE(torch::equal(grad, g));
  // The gradient reaches the raw input through the normalisation.
  out.z_q.sum().backward();
  EXPECT_TRUE(z.grad().defined());
  EXPECT_GT(z.grad().abs().sum().item<float>(), 0.0f);
  // The codebook is not a parameter: optimisers never see it.
  EXPECT_EQ(vq->parameters().size(), 0u);
}

TEST(VectorQuantizer, CommitmentLossIsBetaTimesMse) {
  torch::manual_seed(0);
  NormEMAVectorQuantizer vq(VectorQuantizerOptions(8, 4).kmeans_init(false).beta(0.25));
  vq->eval();
  auto z = torch::randn({6, 4});
  auto out = vq(z);
  auto zn = z / z.norm(2, 1, true);
  auto codes = vq->codebook().index_select(0, out.indices);
  EXPECT_NEAR(out.loss.item<float>(), 0.25 * (codes - zn).pow(2).mean().item<float>(), 1e-6);
  EXPECT_TRUE(torch::allclose(out.z_q, codes, 1e-6, 1e-7));
}

TEST(VectorQuantizer, KmeansInitFindsSeparableClusters) {
  // Three tight clusters around orthogonal directions in 8-d (angular spread ~0.05 rad).
  torch::manual_seed(11);
  auto centres = torch::eye(8).slice(0, 0, 3);
  auto samples = torch::cat({centres[0] + 0.05 * torch::randn({100, 8}), centres[1] + 0.05 * torch::randn({80, 8}),
                             centres[2] + 0.05 * torch::randn({120, 8})});
  samples = samples / samples.norm(2, 1, true);
  auto [means, bins] = kmeans_cosine(samples, 3, 10, KmeansSeeding::kmeans_plus_plus);
  // Each mean is within 0.02 (cosine > 0.999) of a distinct centre and holds exactly that cluster's samples.
  auto sim = torch::matmul(means, centres.t());  // [3 means, 3 centres]
  auto match = sim.argmax(1);
  EXPECT_EQ(std::get<0>(torch::_unique(match)).numel(), 3);
  EXPECT_GT(std::get<0>(sim.max(1)).min().item<float>(), 0.999f);
  std::vector<float> expected_bins{100, 80, 120};
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bins[i].item<float>(), expected_bins[match[i].item<int64_t>()]);
  // Through the quantizer: the first training batch initialises the codebook, then every sample maps to its
  // cluster's code.
  NormEMAVectorQuantizer vq(VectorQuantizerOptions(3, 8));
  EXPECT_FALSE(vq->initialized());
  vq->train();
  auto idx = vq(samples).indices;
  EXPECT_TRUE(vq->initialized());
  for (auto [lo, hi] : {std::pair<int, int>{0, 100}, {100, 180}, {180, 300}}) {
    auto part = idx.slice(0, lo, hi);
    EXPECT_TRUE(torch::all(part == part[0]).item<bool>()) << lo;
  }
  EXPECT_EQ(std::get<0>(torch::_unique(idx)).numel(), 3);
}

TEST(VectorQuantizer, DeadCodesAreReseededFromTheBatchOrKept) {
  const ThreeCodes k;
  torch::manual_seed(0);
  auto reseed = make_vq(EmaRule::labram, 0.9, DeadCodePolicy::reseed);
  reseed(k.batch());
  // Code 2 was never used (cluster size 0 < 1e-3): it is now one of the batch vectors, with the mean cluster size.
  auto row = reseed->codebook()[2];
  auto sims = torch::matmul(k.batch(), row);
  EXPECT_NEAR(sims.max().item<float>(), 1.0f, 1e-6);
  EXPECT_NEAR(reseed->cluster_size()[2].item<float>(), (0.2f + 0.2f + 0.0f) / 3.0f, 1e-6);
  auto keep = make_vq(EmaRule::labram, 0.9, DeadCodePolicy::keep);
  keep(k.batch());
  EXPECT_TRUE(torch::allclose(keep->codebook()[2], k.codebook[2]));
}

// The default threshold (1 token per step, EMA): codes 0 and 1 got 0.2 each after one step of decay 0.9, so all
// three are dead, reseeded from the batch and given the threshold as grace.
TEST(VectorQuantizer, DefaultDeadThresholdIsOneTokenPerStep) {
  EXPECT_EQ(VectorQuantizerOptions(3, 2).dead_code_threshold(), 1.0);
  const ThreeCodes k;
  torch::manual_seed(0);
  auto vq = make_vq(EmaRule::labram, 0.9, DeadCodePolicy::reseed, 1.0);
  vq(k.batch());
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(vq->cluster_size()[c].item<float>(), 1.0f, 1e-6) << c;
    EXPECT_NEAR(torch::matmul(k.batch(), vq->codebook()[c]).max().item<float>(), 1.0f, 1e-6) << c;
  }
}

TEST(VectorQuantizer, SyncHooksReduceStatisticsBeforeTheUpdate) {
  const ThreeCodes k;
  auto vq = make_vq(EmaRule::labram, 0.9);
  int reduced = 0;
  // Simulates two ranks with identical batches: all-reduce doubles counts and sums.
  vq->set_sync_hooks({[&](torch::Tensor& t) {
                        t.mul_(2);
                        ++reduced;
                      },
                      nullptr});
  vq(k.batch());
  EXPECT_EQ(reduced, 2);  // counts and sums
  EXPECT_TRUE(torch::allclose(vq->cluster_size(), torch::tensor({0.4f, 0.4f, 0.0f})));
  EXPECT_TRUE(torch::allclose(vq->usage_counts(), torch::tensor({4.0, 4.0, 0.0}, torch::kDouble)));
  // Means are unchanged by doubling both: the codebook equals the single-rank update.
  auto single = make_vq(EmaRule::labram, 0.9);
  single(k.batch());
  EXPECT_TRUE(torch::allclose(vq->codebook(), single->codebook()));
  // Two-phase API: the same update by hand with the quantizer's own update switched off.
  auto manual = make_vq(EmaRule::labram, 0.9);
  manual->set_update(false);
  auto out = manual(k.batch());
  EXPECT_TRUE(torch::allclose(manual->codebook(), k.codebook));
  manual->apply_stats(manual->compute_stats(out.z.detach(), out.indices), out.z.detach());
  EXPECT_TRUE(torch::allclose(manual->codebook(), single->codebook()));
}

TEST(VectorQuantizer, DeferredUpdateIsOneUpdateOverAllMicroBatches) {
  const ThreeCodes k;
  auto deferred = make_vq(EmaRule::labram, 0.9);
  deferred->set_deferred_update(true);
  int reduced = 0;
  deferred->set_sync_hooks({[&](torch::Tensor&) { ++reduced; }, nullptr});
  deferred(torch::stack({k.a, k.d}));  // two micro-batches of one optimiser step
  deferred(torch::stack({k.c, k.e}));
  EXPECT_TRUE(torch::allclose(deferred->codebook(), k.codebook));  // nothing applied yet
  EXPECT_EQ(deferred->pending_vectors(), 4);
  EXPECT_EQ(reduced, 0);
  deferred->apply_pending();
  EXPECT_EQ(reduced, 2);
  EXPECT_EQ(deferred->pending_vectors(), 0);
  auto single = make_vq(EmaRule::labram, 0.9);
  single(k.batch());
  EXPECT_TRUE(torch::allclose(deferred->codebook(), single->codebook()));
  EXPECT_TRUE(torch::allclose(deferred->cluster_size(), single->cluster_size()));
  deferred->apply_pending();  // nothing pending: no update, no collective
  EXPECT_EQ(reduced, 2);
  EXPECT_TRUE(torch::allclose(deferred->codebook(), single->codebook()));
}

TEST(VectorQuantizer, UsageAndPerplexity) {
  EXPECT_DOUBLE_EQ(perplexity_of(torch::tensor({1.0, 1.0, 1.0, 1.0})), 4.0);
  EXPECT_NEAR(perplexity_of(torch::tensor({4.0, 0.0, 0.0, 0.0})), 1.0, 1e-12);
  EXPECT_NEAR(perplexity_of(torch::tensor({3.0, 1.0})), std::exp(-(0.75 * std::log(0.75) + 0.25 * std::log(0.25))),
              1e-12);
  EXPECT_DOUBLE_EQ(perplexity_of(torch::zeros({3})), 0.0);
  const ThreeCodes k;
  auto vq = make_vq(EmaRule::labram, 0.9);
  vq->eval();
  vq(k.batch());
  EXPECT_NEAR(vq->usage(), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(vq->perplexity(), 2.0, 1e-12);
  vq->reset_usage();
  EXPECT_DOUBLE_EQ(vq->usage(), 0.0);
}

TEST(VectorQuantizer, ErrorsNameShapesAndOptions) {
  NormEMAVectorQuantizer vq(VectorQuantizerOptions(4, 3));
  EXPECT_THAT(
      [&] {
        vq(torch::zeros({2, 5}));
      },
      ThrowsMessage<DataError>(HasSubstr("vq: input has shape [2, 5]; the last dimension must be 3")));
  EXPECT_THAT(
      [&] {
        vq->set_codebook(torch::zeros({3, 3}));
      },
      ThrowsMessage<ArgumentError>(HasSubstr("vq: codebook has shape [3, 3]; expected [4, 3]")));
  EXPECT_THAT([] { parse_enum<EmaRule>("ema", "vq.ema_rule"); },
              ThrowsMessage<ConfigError>(HasSubstr("vq.ema_rule: allowed values are 'labram', 'laplace', but got "
                                                   "'ema'")));
  EXPECT_THAT([] { NormEMAVectorQuantizer(VectorQuantizerOptions(4, 3).decay(1.0)); },
              ThrowsMessage<ArgumentError>(HasSubstr("vq.decay (1) must be in [0, 1)")));
}

}  // namespace
}  // namespace efm::models
