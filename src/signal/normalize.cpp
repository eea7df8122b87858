#include "epilepsyfm/signal/normalize.h"

#include <algorithm>

#include "epilepsyfm/core/check.h"

namespace efm::signal {

void normalize_in_place(Eigen::Ref<Eigen::MatrixXf> x, const PreprocessOptions& options, const ChannelStats& stats) {
  using config::Normalization;
  if (options.normalization == Normalization::none) return;
  if (options.normalization == Normalization::scale) {
    x *= static_cast<float>(options.scale);
    return;
  }
  EFM_CHECK_ARG(
      stats.mean_uv.size() == static_cast<size_t>(x.rows()) && stats.std_uv.size() == static_cast<size_t>(x.rows()),
      "normalize_in_place: statistics for {} channels, window has {}", stats.mean_uv.size(), x.rows());
  for (Eigen::Index c = 0; c < x.rows(); ++c) {
    const double sd = std::max(stats.std_uv[static_cast<size_t>(c)], kMinStdUv);
    const float inv = static_cast<float>(1.0 / sd);
    const float mean = static_cast<float>(stats.mean_uv[static_cast<size_t>(c)]);
    x.row(c) = (x.row(c).array() - mean) * inv;
  }
}

bool exceeds_rejection(const Eigen::Ref<const Eigen::MatrixXf>& x_uv, const PreprocessOptions& options) {
  if (!options.reject_abs_uv || x_uv.size() == 0) return false;
  return static_cast<double>(x_uv.cwiseAbs().maxCoeff()) >= *options.reject_abs_uv;
}

}  // namespace efm::signal
