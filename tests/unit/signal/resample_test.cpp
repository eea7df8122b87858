#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/threads.h"
#include "epilepsyfm/signal/resample.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::signal {
namespace {

Eigen::MatrixXf random_signal(int channels, int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 10.0f);
  Eigen::MatrixXf x(channels, n);
  for (int64_t t = 0; t < n; ++t) {
    for (int c = 0; c < channels; ++c) x(c, t) = dist(rng);
  }
  return x;
}

// SciPy's definition, term by term in double: y[j] = sum_t x[t] h[half_len + j down - t up], x = 0 outside.
Eigen::MatrixXd reference(const Eigen::MatrixXf& x, int64_t up, int64_t down) {
  const std::vector<double> h = resample_filter(up, down);
  const int64_t half = (static_cast<int64_t>(h.size()) - 1) / 2, n = x.cols();
  const int64_t n_out = (n * up + down - 1) / down;
  Eigen::MatrixXd y = Eigen::MatrixXd::Zero(x.rows(), n_out);
  for (int64_t j = 0; j < n_out; ++j) {
    for (int64_t t = 0; t < n; ++t) {
      const int64_t k = half + j * down - t * up;
      if (k < 0 || k >= static_cast<int64_t>(h.size())) continue;
      y.col(j) += h[static_cast<size_t>(k)] * x.col(t).cast<double>();
    }
  }
  return y;
}

Eigen::MatrixXf run_chunks(PolyphaseResampler& rs, const Eigen::MatrixXf& x, int64_t chunk) {
  Eigen::MatrixXf out(x.rows(), 0);
  auto append = [&](const Eigen::MatrixXf& p) {
    Eigen::MatrixXf next(x.rows(), out.cols() + p.cols());
    next << out, p;
    out = next;
  };
  for (int64_t t = 0; t < x.cols(); t += chunk) append(rs.push(x.middleCols(t, std::min(chunk, x.cols() - t))));
  append(rs.finish());
  return out;
}

TEST(PolyphaseResampler, MatchesScipyDefinition) {
  const struct { int64_t up, down; } ratios[] = {{5, 4}, {4, 5}, {1, 5}, {2, 1}, {25, 32}, {20000, 17361}};
  for (const auto& r : ratios) {
    SCOPED_TRACE(std::to_string(r.up) + "/" + std::to_string(r.down));
    const Eigen::MatrixXf x = random_signal(3, 601, 2);
    const Eigen::MatrixXf y = resample_poly(x, r.up, r.down);
    const Eigen::MatrixXd ref = reference(x, r.up, r.down);
    ASSERT_EQ(y.cols(), ref.cols());
    // float32 taps and sums of ~20-100 terms vs double: ~1e-7 of the scale.
    EXPECT_LT((y.cast<double>() - ref).cwiseAbs().maxCoeff() / ref.cwiseAbs().maxCoeff(), 1e-6);
  }
}

TEST(PolyphaseResampler, StreamingIsInvariantToChunking) {
  const Eigen::MatrixXf x = random_signal(5, 3001, 9);
  PolyphaseResampler whole_rs(5, 4, 5);
  const Eigen::MatrixXf whole = run_chunks(whole_rs, x, x.cols());
  ThreadPool pool(2);
  for (int64_t chunk : {1, 7, 1000}) {
    PolyphaseResampler rs(5, 4, 5);
    rs.set_thread_pool(chunk == 1000 ? &pool : nullptr);
    EXPECT_EQ(run_chunks(rs, x, chunk), whole) << chunk;
  }
}

// push_outputs() predicts push(); push_into() writes push()'s values into rows of a wider matrix, leaving the rest.
TEST(PolyphaseResampler, PushIntoRowsOfALargerMatrix) {
  const Eigen::MatrixXf x = random_signal(3, 2000, 4);
  for (int64_t up : {5, 4}) {  // 5/4 and the identity (4/4)
    SCOPED_TRACE(up);
    PolyphaseResampler a(up, 4, 3), b(up, 4, 3);
    int64_t start = 0;
    for (int64_t chunk : {0, 1, 7, 300, 1692}) {
      const int64_t predicted = a.push_outputs(chunk);
      const Eigen::MatrixXf ya = a.push(x.middleCols(start, chunk));
      EXPECT_EQ(ya.cols(), predicted) << chunk;
      Eigen::MatrixXf wide = Eigen::MatrixXf::Constant(7, predicted, -3.0f);
      EXPECT_EQ(b.push_into(x.middleCols(start, chunk), wide.data() + 2, wide.rows()), predicted);
      EXPECT_EQ(Eigen::MatrixXf(wide.middleRows(2, 3)), ya) << chunk;
      EXPECT_TRUE((wide.topRows(2).array() == -3.0f).all());
      EXPECT_TRUE((wide.bottomRows(2).array() == -3.0f).all());
      start += chunk;
    }
  }
  PolyphaseResampler c(5, 4, 3);
  std::vector<float> out(100);
  EXPECT_THAT([&] { c.push_into(x.leftCols(10), out.data(), 2); },
              ThrowsMessage<ArgumentError>(HasSubstr("column stride 2 < 3 channels")));
}

TEST(PolyphaseResampler, LengthsAndDesign) {
  PolyphaseResampler rs(10, 8, 1);  // reduced to 5/4
  EXPECT_EQ(rs.up(), 5);
  EXPECT_EQ(rs.down(), 4);
  EXPECT_EQ(rs.filter_length(), 101);  // 2 * 10 * max(5, 4) + 1
  EXPECT_EQ(rs.output_length(4), 5);
  EXPECT_EQ(rs.output_length(5), 7);  // ceil(25 / 4)
  EXPECT_EQ(PolyphaseResampler(20000, 17361, 1).filter_length(), 400001);
  const auto h = resample_filter(5, 4);
  double sum = 0;
  for (double v : h) sum += v;
  EXPECT_NEAR(sum, 5.0, 1e-12);  // DC gain up
  // Identity.
  const Eigen::MatrixXf x = random_signal(2, 10, 1);
  EXPECT_EQ(resample_poly(x, 3, 3), x);
  EXPECT_THAT([] { PolyphaseResampler(0, 1, 1); }, ThrowsMessage<ArgumentError>(HasSubstr("up and down must be >= 1")));
}

TEST(PolyphaseResampler, SinePassesBelowCutoff) {
  // 10 Hz at 160 Hz -> 200 Hz keeps its amplitude (away from the zero-padded ends).
  const int64_t n = 1600;
  Eigen::MatrixXf x(1, n);
  for (int64_t t = 0; t < n; ++t) x(0, t) = static_cast<float>(std::sin(2 * M_PI * 10.0 * t / 160.0));
  const Eigen::MatrixXf y = resample_poly(x, 5, 4);
  double max_err = 0;
  for (int64_t j = 100; j < y.cols() - 100; ++j) {
    max_err = std::max(max_err, std::abs(y(0, j) - std::sin(2 * M_PI * 10.0 * j / 200.0)));
  }
  EXPECT_LT(max_err, 2e-3);
}

}  // namespace
}  // namespace efm::signal
