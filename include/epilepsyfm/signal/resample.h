#pragma once
/// Streaming anti-aliased rational resampling by up/down, identical to scipy.signal.resample_poly(x, up, down)
/// with its defaults (window=('kaiser', 5.0), padtype='constant' 0), up to float32 rounding (golden-tested).
///
///   PolyphaseResampler rs(/*up=*/5, /*down=*/4, /*n_channels=*/64);   // 160 Hz -> 200 Hz
///   for (chunk : chunks) store(rs.push(chunk));
///   store(rs.finish());
///
/// SciPy 1.10 design (scipy/signal/_signaltools.py resample_poly): up and down are reduced by their gcd; the
/// low-pass is firwin(2 * half_len + 1, 1 / max(up, down), window=('kaiser', 5.0)) with half_len =
/// 10 * max(up, down), multiplied by up; output j is
///   y[j] = sum_t x[t] h[half_len + j * down - t * up],   j = 0 .. ceil(n * up / down) - 1,
/// with x = 0 outside [0, n): the first output is aligned with the first input sample, and the signal is treated as
/// zero beyond both ends (so the first/last ~half_len/up input samples are attenuated exactly as SciPy does).
/// Only the kept outputs are computed (polyphase: about (2 * half_len + 1) / up multiply-adds per output and
/// channel), vectorised over channels. Memory: the filter (2 * half_len + 1 floats) plus the history of
/// (2 * half_len + 1) / up input samples.
#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <vector>

namespace efm {
class ThreadPool;
}

namespace efm::signal {

struct ResampleOptions {
  double kaiser_beta = 5.0;      ///< scipy resample_poly default window ('kaiser', 5.0)
  int64_t half_len_factor = 10;  ///< half_len = factor * max(up, down) (SciPy: 10)
};

/// The polyphase prototype filter (already multiplied by up), double precision: 2 * half_len + 1 taps.
std::vector<double> resample_filter(int64_t up, int64_t down, const ResampleOptions& options = {});

class PolyphaseResampler {
 public:
  /// up, down >= 1 (reduced internally by their gcd). up == down is the identity.
  PolyphaseResampler(int64_t up, int64_t down, int n_channels, const ResampleOptions& options = {});
  ~PolyphaseResampler();
  PolyphaseResampler(PolyphaseResampler&&) noexcept;
  PolyphaseResampler& operator=(PolyphaseResampler&&) noexcept;

  /// Outputs are computed in parallel on `pool` (nullptr = calling thread only).
  void set_thread_pool(ThreadPool* pool);

  /// Feeds [n_channels, n] samples; returns the outputs whose inputs are all known ([n_channels, m]).
  Eigen::MatrixXf push(const Eigen::Ref<const Eigen::MatrixXf>& chunk);
  /// push() writing its push_outputs(chunk.cols()) output columns to `out` (column-major, column stride ld_out >=
  /// n_channels) instead of a new matrix, e.g. into rows of a larger matrix; returns the number of columns.
  int64_t push_into(const Eigen::Ref<const Eigen::MatrixXf>& chunk, float* out, int64_t ld_out);
  /// Returns the remaining outputs (zero input beyond the end). No push() afterwards.
  Eigen::MatrixXf finish();

  int64_t up() const;
  int64_t down() const;
  int64_t filter_length() const;  ///< 2 * half_len + 1 (1 for the identity)
  /// ceil(n_in * up / down): total outputs for n_in inputs.
  int64_t output_length(int64_t n_in) const;
  int64_t samples_in() const;
  int64_t samples_out() const;
  /// Number of outputs the next push() of `n_new` samples returns.
  int64_t push_outputs(int64_t n_new) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Whole-signal resampling [channels, samples] -> [channels, ceil(samples * up / down)] (push + finish).
Eigen::MatrixXf resample_poly(const Eigen::Ref<const Eigen::MatrixXf>& x, int64_t up, int64_t down,
                              ThreadPool* pool = nullptr);

}  // namespace efm::signal
