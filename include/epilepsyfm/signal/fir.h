#pragma once
/// Streaming zero-phase FIR filtering of multichannel signals with bounded memory.
///
///   ZeroPhaseFir fir(design_fir_filter(256.0, 0.5, 70.0), /*n_channels=*/19);
///   for (chunk : chunks) store(fir.push(chunk));   // chunk: [channels, samples], any sizes
///   store(fir.finish());
///
/// Output sample t is sum_k h[k] x[t + D - k] with D = (L - 1) / 2 (odd length L: the linear-phase delay is
/// compensated, so the output is aligned with the input). Beyond the ends the input is extended as MNE 1.3's
/// default pad "reflect_limited" does (mne/cuda.py _smart_pad): point reflection x[-k] = 2 x[0] - x[k] and
/// x[n-1+k] = 2 x[n-1] - x[n-1-k] for k <= n_edge = min(L, n) - 1, zeros beyond. The result equals MNE's
/// _overlap_add_filter(x, h, phase='zero') up to float32 rounding (golden-tested).
///
/// Memory is bounded by the FFT block (about 2 x fft_size samples per channel): the first output appears after D
/// input samples (look-ahead), and finish() flushes the last D using the stored tail. Convolution is FFT
/// overlap-save on float32 data, several channels per vectorised transform (AVX2 when the CPU has it).
#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <vector>

namespace efm {
class ThreadPool;
}

namespace efm::signal {

struct FirOptions {
  /// FFT block size (power of two >= kernel length); 0 = chosen from the kernel length for speed.
  int fft_size = 0;
};

class ZeroPhaseFir {
 public:
  /// `kernel`: odd length (ArgumentError otherwise), designed in double (filter_design.h); applied in float32.
  ZeroPhaseFir(const std::vector<double>& kernel, int n_channels, const FirOptions& options = {});
  ~ZeroPhaseFir();
  ZeroPhaseFir(ZeroPhaseFir&&) noexcept;
  ZeroPhaseFir& operator=(ZeroPhaseFir&&) noexcept;

  /// Channels are filtered in parallel on `pool` (nullptr = calling thread only). The pool must outlive use.
  void set_thread_pool(ThreadPool* pool);

  /// Feeds [n_channels, n] samples; returns the outputs that are final ([n_channels, m], m <= samples so far).
  Eigen::MatrixXf push(const Eigen::Ref<const Eigen::MatrixXf>& chunk);
  /// Returns the remaining outputs (with the end reflection); afterwards samples_out() == samples_in(). No push()
  /// after finish() (ArgumentError).
  Eigen::MatrixXf finish();

  int n_channels() const;
  int64_t kernel_length() const;
  int64_t delay_samples() const;  ///< D = (L - 1) / 2: look-ahead before the first output
  int fft_size() const;
  int64_t samples_in() const;
  int64_t samples_out() const;
  /// Number of outputs the next push() of `n_new` samples returns.
  int64_t push_outputs(int64_t n_new) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Zero-phase filtering of a whole signal [channels, samples] (push + finish).
Eigen::MatrixXf filter_zero_phase(const std::vector<double>& kernel, const Eigen::Ref<const Eigen::MatrixXf>& x,
                                  ThreadPool* pool = nullptr);

}  // namespace efm::signal
