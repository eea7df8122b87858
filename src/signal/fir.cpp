#include "epilepsyfm/signal/fir.h"

#include <unsupported/Eigen/FFT>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/threads.h"
#include "signal/detail/kernels.h"
#include "signal/detail/whole_signal.h"

namespace efm::signal {
namespace {

using detail::AlignedFloats;

uint32_t bit_reverse(uint32_t k, int bits) {
  uint32_t r = 0;
  for (int b = 0; b < bits; ++b) {
    r = (r << 1) | (k & 1u);
    k >>= 1;
  }
  return r;
}

int64_t next_pow2(int64_t v) {
  int64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

// Overlap-save cost per output sample ~ n log2 n / (n - L + 1); blocks much larger than twice the kernel gain
// little and leave the caches, so the search stops at max(8192, 2 L).
int choose_fft_size(int64_t kernel_length) {
  const int64_t lo = std::max<int64_t>(16, next_pow2(kernel_length));
  const int64_t hi = std::max<int64_t>(8192, next_pow2(2 * kernel_length));
  int64_t best = lo;
  double best_cost = 1e300;
  for (int64_t n = lo; n <= hi; n <<= 1) {
    const double cost =
        static_cast<double>(n) * std::log2(static_cast<double>(n)) / static_cast<double>(n - kernel_length + 1);
    if (cost < best_cost) {
      best_cost = cost;
      best = n;
    }
  }
  return static_cast<int>(best);
}

}  // namespace

struct ZeroPhaseFir::Impl {
  struct Pack {
    int c0 = 0;     // first channel
    int count = 0;  // channels in this pack (<= 2 * lanes): lanes of the real part first, then of the imaginary part
    int lanes = 4;
    AlignedFloats ring_re, ring_im;  // extended input: ring buffer of N samples (lane-interleaved)
    AlignedFloats work_re, work_im;  // FFT block (N samples)
  };
  // The stream position; identical for every pack.
  struct State {
    int64_t n_in = 0;        // input samples received
    bool pad_built = false;  // left reflection in place (needs D + 1 samples or finish())
    int64_t buf_len = 0;     // extended samples buffered; buffer offset 0 = ext index next_out - D
    int64_t next_out = 0;    // next output sample
    int ring_start = 0;      // ring position of buffer offset 0
  };

  int channels = 0;
  int64_t length = 0;  // L
  int64_t delay = 0;   // D
  int n = 0;           // FFT size
  int log2n = 0;
  int64_t block_out = 0;  // B = N - 2D outputs per block
  float gain = 1.0f;      // L == 1
  AlignedFloats twr, twi, hr, hi;
  std::vector<Pack> packs;
  State state;
  bool finished = false;
  ThreadPool* pool = nullptr;

  detail::FftConvView view() const { return {n, log2n, twr.data(), twi.data(), hr.data(), hi.data()}; }
  size_t ring_index(const State& s, int64_t offset) const {
    return static_cast<size_t>((s.ring_start + offset) & (n - 1));
  }

  // --- per-pack operations -------------------------------------------------------------------------------------

  // Copies input samples t_from .. t_from + count - 1 of the pack's channels into buffer offsets pos ...
  template <int W>
  void load_lanes(Pack& p, const State& s, const float* data, int64_t stride, int64_t t_from, int64_t count,
                  int64_t pos) const {
    const int n_re = std::min(p.count, W);
    const int n_im = std::max(0, p.count - W);
    for (int64_t i = 0; i < count; ++i) {
      const float* src = data + (t_from + i) * stride + p.c0;
      const size_t at = ring_index(s, pos + i) * W;
      float* re = p.ring_re.data() + at;
      float* im = p.ring_im.data() + at;
      if (n_re == W && n_im == W) {  // constant-size copies compile to vector moves
        std::memcpy(re, src, W * sizeof(float));
        std::memcpy(im, src + W, W * sizeof(float));
        continue;
      }
      for (int l = 0; l < W; ++l) re[l] = l < n_re ? src[l] : 0.0f;
      for (int l = 0; l < W; ++l) im[l] = l < n_im ? src[W + l] : 0.0f;
    }
  }
  void load(Pack& p, const State& s, const float* data, int64_t stride, int64_t t_from, int64_t count,
            int64_t pos) const {
    if (p.lanes == 8) {
      load_lanes<8>(p, s, data, stride, t_from, count, pos);
    } else {
      load_lanes<4>(p, s, data, stride, t_from, count, pos);
    }
  }

  // Left pad: ext[-k] = 2 x[0] - x[k] for 1 <= k <= min(D, n_available - 1), else 0 (raw x[j] at offset D + j).
  void build_left_pad(Pack& p, const State& s, int64_t n_available) const {
    const int w = p.lanes;
    for (float* b : {p.ring_re.data(), p.ring_im.data()}) {
      const float* x0 = b + ring_index(s, delay) * w;
      for (int64_t k = 1; k <= delay; ++k) {
        float* dst = b + ring_index(s, delay - k) * w;
        if (k <= n_available - 1) {
          const float* xk = b + ring_index(s, delay + k) * w;
          for (int l = 0; l < w; ++l) dst[l] = 2.0f * x0[l] - xk[l];
        } else {
          for (int l = 0; l < w; ++l) dst[l] = 0.0f;
        }
      }
    }
  }

  // Filters the N buffered samples (the ring keeps them: the next block reuses the last 2D) and writes outputs
  // next_out .. next_out + emit - 1 to `out` (column `out_col`).
  template <int W>
  void emit_lanes(const Pack& p, float* out, int64_t out_col, int64_t emit) const {
    const int n_re = std::min(p.count, W);
    const int n_im = std::max(0, p.count - W);
    for (int64_t i = 0; i < emit; ++i) {
      const float* re = p.work_re.data() + (2 * delay + i) * W;
      const float* im = p.work_im.data() + (2 * delay + i) * W;
      float* dst = out + (out_col + i) * channels + p.c0;
      if (n_re == W && n_im == W) {
        std::memcpy(dst, re, W * sizeof(float));
        std::memcpy(dst + W, im, W * sizeof(float));
        continue;
      }
      for (int l = 0; l < n_re; ++l) dst[l] = re[l];
      for (int l = 0; l < n_im; ++l) dst[W + l] = im[l];
    }
  }
  void process_block(Pack& p, const State& s, float* out, int64_t out_col, int64_t emit) const {
    detail::fft_convolve_block(view(), p.lanes, p.ring_re.data(), p.ring_im.data(), s.ring_start, p.work_re.data(),
                               p.work_im.data());
    if (p.lanes == 8) {
      emit_lanes<8>(p, out, out_col, emit);
    } else {
      emit_lanes<4>(p, out, out_col, emit);
    }
  }

  // Advances past a processed block: its first B samples are no longer needed.
  void advance(State& s) const {
    s.ring_start = static_cast<int>((s.ring_start + block_out) & (n - 1));
    s.buf_len = std::max<int64_t>(s.buf_len - block_out, 0);
  }

  // Appends `count` extended samples through `loader(pack, state, done, take, at_offset)`, filtering every full block.
  // Outputs go to `out` starting at column (next_out - out_base).
  template <class Loader>
  void append(Pack& p, State& s, int64_t count, const Loader& loader, float* out, int64_t out_base) const {
    int64_t done = 0;
    while (done < count) {
      const int64_t take = std::min<int64_t>(count - done, n - s.buf_len);
      loader(p, s, done, take, s.buf_len);
      s.buf_len += take;
      done += take;
      if (s.buf_len == n) {
        process_block(p, s, out, s.next_out - out_base, block_out);
        s.next_out += block_out;
        advance(s);
      }
    }
  }

  State run_push(Pack& p, State s, const float* data, int64_t stride, int64_t n_new, float* out) const {
    const int64_t out_base = s.next_out;
    int64_t pos = 0;
    if (!s.pad_built) {
      const int64_t take = std::min(n_new, delay + 1 - s.n_in);
      load(p, s, data, stride, 0, take, delay + s.n_in);
      s.n_in += take;
      pos = take;
      if (s.n_in < delay + 1) return s;
      build_left_pad(p, s, s.n_in);
      s.pad_built = true;
      s.buf_len = delay + s.n_in;
    }
    auto loader = [&](Pack& pk, const State& st, int64_t done, int64_t take, int64_t at) {
      load(pk, st, data, stride, pos + done, take, at);
    };
    append(p, s, n_new - pos, loader, out, out_base);
    s.n_in += n_new - pos;
    return s;
  }

  State run_finish(Pack& p, State s, float* out) const {
    const int64_t total = s.n_in;
    const int64_t out_base = s.next_out;
    if (total == 0) return s;
    if (!s.pad_built) {
      build_left_pad(p, s, total);
      s.pad_built = true;
      s.buf_len = delay + total;
    }
    // Right pad: ext[n-1+k] = 2 x[n-1] - x[n-1-k] for k <= min(D, n-1), else 0; x[j] at offset j - next_out + D.
    const int w = p.lanes;
    AlignedFloats pad_re(static_cast<size_t>(std::max<int64_t>(delay, 1) * w));
    AlignedFloats pad_im(static_cast<size_t>(std::max<int64_t>(delay, 1) * w));
    const int64_t last = total - 1 - s.next_out + delay;
    for (int part = 0; part < 2; ++part) {
      const float* b = part == 0 ? p.ring_re.data() : p.ring_im.data();
      float* dst_all = part == 0 ? pad_re.data() : pad_im.data();
      const float* xl = b + ring_index(s, last) * w;
      for (int64_t k = 1; k <= delay; ++k) {
        float* dst = dst_all + (k - 1) * w;
        if (k <= total - 1) {
          const float* xk = b + ring_index(s, last - k) * w;
          for (int l = 0; l < w; ++l) dst[l] = 2.0f * xl[l] - xk[l];
        } else {
          for (int l = 0; l < w; ++l) dst[l] = 0.0f;
        }
      }
    }
    auto loader = [&](Pack& pk, const State& st, int64_t done, int64_t take, int64_t at) {
      for (int64_t i = 0; i < take; ++i) {
        const size_t to = ring_index(st, at + i) * w;
        const size_t from = static_cast<size_t>((done + i) * w);
        std::copy(pad_re.data() + from, pad_re.data() + from + w, pk.ring_re.data() + to);
        std::copy(pad_im.data() + from, pad_im.data() + from + w, pk.ring_im.data() + to);
      }
    };
    append(p, s, delay, loader, out, out_base);
    // Remaining outputs (fewer than one block): zero the unused end of the buffer and filter once more.
    while (s.next_out < total) {
      for (int64_t o = s.buf_len; o < n; ++o) {
        std::fill_n(p.ring_re.data() + ring_index(s, o) * w, w, 0.0f);
        std::fill_n(p.ring_im.data() + ring_index(s, o) * w, w, 0.0f);
      }
      const int64_t emit = std::min(block_out, total - s.next_out);
      process_block(p, s, out, s.next_out - out_base, emit);
      s.next_out += emit;
      advance(s);
    }
    return s;
  }

  // Number of outputs a push of n_new samples produces (same arithmetic as run_push).
  int64_t push_outputs(int64_t n_new) const {
    State s = state;
    if (!s.pad_built) {
      const int64_t need = delay + 1 - s.n_in;
      if (n_new < need) return 0;
      n_new -= need;
      s.buf_len = 2 * delay + 1;
    }
    const int64_t total = s.buf_len + n_new;
    return total >= n ? ((total - n) / block_out + 1) * block_out : 0;
  }

  template <class F>
  void for_each_pack(const F& f) {
    if (pool != nullptr && packs.size() > 1) {
      pool->parallel_for(static_cast<int64_t>(packs.size()), [&](int64_t i) { f(packs[static_cast<size_t>(i)]); });
    } else {
      for (auto& p : packs) f(p);
    }
  }
};

ZeroPhaseFir::ZeroPhaseFir(const std::vector<double>& kernel, int n_channels, const FirOptions& options)
    : impl_(std::make_unique<Impl>()) {
  EFM_CHECK_ARG(n_channels >= 1, "ZeroPhaseFir: n_channels must be >= 1, got {}", n_channels);
  EFM_CHECK_ARG(!kernel.empty() && kernel.size() % 2 == 1,
                "ZeroPhaseFir: the kernel length must be odd for zero phase, got {}", kernel.size());
  Impl& m = *impl_;
  m.channels = n_channels;
  m.length = static_cast<int64_t>(kernel.size());
  m.delay = (m.length - 1) / 2;
  if (m.length == 1) {
    m.gain = static_cast<float>(kernel[0]);
    return;
  }
  if (options.fft_size > 0) {
    EFM_CHECK_ARG(
        (options.fft_size & (options.fft_size - 1)) == 0 && options.fft_size >= m.length && options.fft_size >= 16,
        "ZeroPhaseFir: fft_size must be a power of two >= max(16, kernel length {}), got {}", m.length,
        options.fft_size);
    m.n = options.fft_size;
  } else {
    m.n = choose_fft_size(m.length);
  }
  while ((1 << m.log2n) < m.n) ++m.log2n;
  m.block_out = m.n - 2 * m.delay;

  m.twr = AlignedFloats(static_cast<size_t>(m.n));
  m.twi = AlignedFloats(static_cast<size_t>(m.n));
  detail::make_twiddles(m.n, m.twr.data(), m.twi.data());
  // Kernel spectrum in double, stored in the bit-reversed order the lane FFT produces, scaled by 1/N.
  std::vector<std::complex<double>> padded(static_cast<size_t>(m.n), 0.0), spectrum;
  for (size_t k = 0; k < kernel.size(); ++k) padded[k] = kernel[k];
  Eigen::FFT<double> fft;
  fft.fwd(spectrum, padded);
  m.hr = AlignedFloats(static_cast<size_t>(m.n));
  m.hi = AlignedFloats(static_cast<size_t>(m.n));
  for (int k = 0; k < m.n; ++k) {
    const std::complex<double> v = spectrum[bit_reverse(static_cast<uint32_t>(k), m.log2n)] / static_cast<double>(m.n);
    m.hr.data()[k] = static_cast<float>(v.real());
    m.hi.data()[k] = static_cast<float>(v.imag());
  }

  const int wide = detail::preferred_lanes();
  for (int c0 = 0; c0 < n_channels;) {
    Impl::Pack p;
    const int remaining = n_channels - c0;
    p.lanes = remaining > 8 ? wide : 4;  // small remainders use 4 lanes (8 channels)
    p.c0 = c0;
    p.count = std::min(remaining, 2 * p.lanes);
    const size_t floats = static_cast<size_t>(m.n) * static_cast<size_t>(p.lanes);
    p.ring_re = AlignedFloats(floats);
    p.ring_im = AlignedFloats(floats);
    p.work_re = AlignedFloats(floats);
    p.work_im = AlignedFloats(floats);
    c0 += p.count;
    m.packs.push_back(std::move(p));
  }
}

ZeroPhaseFir::~ZeroPhaseFir() = default;
ZeroPhaseFir::ZeroPhaseFir(ZeroPhaseFir&&) noexcept = default;
ZeroPhaseFir& ZeroPhaseFir::operator=(ZeroPhaseFir&&) noexcept = default;

void ZeroPhaseFir::set_thread_pool(ThreadPool* pool) {
  impl_->pool = pool;
}

Eigen::MatrixXf ZeroPhaseFir::push(const Eigen::Ref<const Eigen::MatrixXf>& chunk) {
  Impl& m = *impl_;
  EFM_CHECK_ARG(!m.finished, "ZeroPhaseFir::push called after finish()");
  EFM_CHECK_ARG(chunk.rows() == m.channels, "ZeroPhaseFir::push: chunk has {} channels, expected {}", chunk.rows(),
                m.channels);
  const int64_t n_new = chunk.cols();
  if (m.length == 1) {
    m.state.n_in += n_new;
    m.state.next_out += n_new;
    return chunk * m.gain;
  }
  const int64_t n_out = m.push_outputs(n_new);
  Eigen::MatrixXf out(m.channels, n_out);
  if (n_new == 0) return out;
  std::vector<Impl::State> results(m.packs.size());
  const float* data = chunk.data();
  const int64_t stride = chunk.outerStride();
  m.for_each_pack([&](Impl::Pack& p) {
    const size_t i = static_cast<size_t>(&p - m.packs.data());
    results[i] = m.run_push(p, m.state, data, stride, n_new, out.data());
  });
  EFM_CHECK_STATE(results[0].next_out - m.state.next_out == n_out, "ZeroPhaseFir: output count mismatch");
  m.state = results[0];
  return out;
}

Eigen::MatrixXf ZeroPhaseFir::finish() {
  Impl& m = *impl_;
  EFM_CHECK_ARG(!m.finished, "ZeroPhaseFir::finish called twice");
  m.finished = true;
  if (m.length == 1) return Eigen::MatrixXf(m.channels, 0);
  const int64_t n_out = m.state.n_in - m.state.next_out;
  Eigen::MatrixXf out(m.channels, n_out);
  if (n_out == 0) return out;
  std::vector<Impl::State> results(m.packs.size());
  m.for_each_pack([&](Impl::Pack& p) {
    const size_t i = static_cast<size_t>(&p - m.packs.data());
    results[i] = m.run_finish(p, m.state, out.data());
  });
  EFM_CHECK_STATE(results[0].next_out == m.state.n_in, "ZeroPhaseFir: flush incomplete");
  m.state = results[0];
  return out;
}

int ZeroPhaseFir::n_channels() const {
  return impl_->channels;
}
int64_t ZeroPhaseFir::kernel_length() const {
  return impl_->length;
}
int64_t ZeroPhaseFir::delay_samples() const {
  return impl_->delay;
}
int ZeroPhaseFir::fft_size() const {
  return impl_->n;
}
int64_t ZeroPhaseFir::samples_in() const {
  return impl_->state.n_in;
}
int64_t ZeroPhaseFir::samples_out() const {
  return impl_->state.next_out;
}
int64_t ZeroPhaseFir::push_outputs(int64_t n_new) const {
  return impl_->length == 1 ? n_new : impl_->push_outputs(n_new);
}

Eigen::MatrixXf filter_zero_phase(const std::vector<double>& kernel, const Eigen::Ref<const Eigen::MatrixXf>& x,
                                  ThreadPool* pool) {
  ZeroPhaseFir fir(kernel, static_cast<int>(x.rows()), {});
  fir.set_thread_pool(pool);
  return detail::push_and_finish(fir, x);
}

}  // namespace efm::signal
