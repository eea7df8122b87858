#pragma once
// Whole-signal use of a streaming stage (ZeroPhaseFir, PolyphaseResampler): one push of all samples, then finish.
#include <Eigen/Core>

namespace efm::signal::detail {

/// Pushes all of `x` [channels, samples] through `stage`, finishes it and returns the outputs of both calls side
/// by side [channels, push outputs + finish outputs].
template <class Stage>
Eigen::MatrixXf push_and_finish(Stage& stage, const Eigen::Ref<const Eigen::MatrixXf>& x) {
  Eigen::MatrixXf a = stage.push(x);
  Eigen::MatrixXf b = stage.finish();
  Eigen::MatrixXf out(x.rows(), a.cols() + b.cols());
  out.leftCols(a.cols()) = a;
  out.rightCols(b.cols()) = b;
  return out;
}

}  // namespace efm::signal::detail
