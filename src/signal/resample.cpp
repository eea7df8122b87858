#include "epilepsyfm/signal/resample.h"

#include <algorithm>
#include <numeric>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/threads.h"
#include "epilepsyfm/signal/filter_design.h"
#include "signal/detail/kernels.h"
#include "signal/detail/whole_signal.h"

namespace efm::signal {

std::vector<double> resample_filter(int64_t up, int64_t down, const ResampleOptions& options) {
  EFM_CHECK_ARG(up >= 1 && down >= 1, "resample: up and down must be >= 1, got {} and {}", up, down);
  EFM_CHECK_ARG(options.half_len_factor >= 1, "resample: half_len_factor must be >= 1, got {}",
                options.half_len_factor);
  const int64_t g = std::gcd(up, down);
  up /= g;
  down /= g;
  if (up == 1 && down == 1) return {1.0};
  const int64_t max_rate = std::max(up, down);
  const int64_t half_len = options.half_len_factor * max_rate;
  std::vector<double> h =
      firwin_lowpass(2 * half_len + 1, 1.0 / static_cast<double>(max_rate), "kaiser", options.kaiser_beta);
  for (double& v : h) v *= static_cast<double>(up);
  return h;
}

struct PolyphaseResampler::Impl {
  int channels = 0;
  int64_t up = 1, down = 1, half_len = 0, length = 1;
  int taps_per_phase = 1;
  std::vector<float> taps;  // [up][taps_per_phase]
  bool identity = false;
  // History: columns x(buf_first) .. x(buf_first + cols - 1), column-major [channels, cols].
  std::vector<float> buf;
  int64_t buf_first = 0;
  int64_t n_in = 0;
  int64_t next_out = 0;
  bool finished = false;
  ThreadPool* pool = nullptr;

  int64_t cols() const { return static_cast<int64_t>(buf.size()) / channels; }
  int64_t t0(int64_t j) const { return (j * down + half_len) / up; }

  void append_columns(const float* data, int64_t stride, int64_t count) {
    const size_t c = static_cast<size_t>(channels);
    buf.reserve(buf.size() + static_cast<size_t>(count) * c);
    if (stride == channels) {
      buf.insert(buf.end(), data, data + static_cast<size_t>(count) * c);
    } else {
      for (int64_t t = 0; t < count; ++t) buf.insert(buf.end(), data + t * stride, data + t * stride + channels);
    }
  }

  void compute(int64_t j0, int64_t count, float* out, int64_t ld_out) const {
    const detail::PolyphaseView view{taps.data(), taps_per_phase, up, down, half_len};
    const int64_t min_chunk = 256;
    if (pool == nullptr || count < 2 * min_chunk) {
      detail::polyphase_outputs(view, j0, count, buf.data(), buf_first, channels, out, ld_out);
      return;
    }
    const int64_t parts = std::min<int64_t>(4 * (pool->size() + 1), count / min_chunk);
    pool->parallel_for(parts, [&](int64_t i) {
      const int64_t a = count * i / parts, b = count * (i + 1) / parts;
      detail::polyphase_outputs(view, j0 + a, b - a, buf.data(), buf_first, channels, out + a * ld_out, ld_out);
    });
  }

  // Drops history no longer needed by output next_out.
  void trim() {
    const int64_t keep_from = t0(next_out) - (taps_per_phase - 1);
    const int64_t drop = std::min(keep_from - buf_first, cols());
    if (drop <= 0) return;
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(drop * channels));
    buf_first += drop;
  }
};

PolyphaseResampler::PolyphaseResampler(int64_t up, int64_t down, int n_channels, const ResampleOptions& options)
    : impl_(std::make_unique<Impl>()) {
  EFM_CHECK_ARG(n_channels >= 1, "PolyphaseResampler: n_channels must be >= 1, got {}", n_channels);
  EFM_CHECK_ARG(up >= 1 && down >= 1, "PolyphaseResampler: up and down must be >= 1, got {} and {}", up, down);
  Impl& m = *impl_;
  m.channels = n_channels;
  const int64_t g = std::gcd(up, down);
  m.up = up / g;
  m.down = down / g;
  if (m.up == 1 && m.down == 1) {
    m.identity = true;
    return;
  }
  const std::vector<double> h = resample_filter(m.up, m.down, options);
  m.length = static_cast<int64_t>(h.size());
  m.half_len = (m.length - 1) / 2;
  m.taps_per_phase = static_cast<int>((m.length + m.up - 1) / m.up);
  m.taps.assign(static_cast<size_t>(m.up * m.taps_per_phase), 0.0f);
  for (int64_t p = 0; p < m.up; ++p) {
    for (int64_t k = 0; k < m.taps_per_phase; ++k) {
      const int64_t idx = p + k * m.up;
      if (idx < m.length) m.taps[static_cast<size_t>(p * m.taps_per_phase + k)] = static_cast<float>(h[idx]);
    }
  }
  // Virtual zeros before the signal: output 0 reads columns t0(0) - taps_per_phase + 1 .. t0(0).
  m.buf_first = -(m.taps_per_phase - 1);
  m.buf.assign(static_cast<size_t>(m.taps_per_phase - 1) * static_cast<size_t>(n_channels), 0.0f);
}

PolyphaseResampler::~PolyphaseResampler() = default;
PolyphaseResampler::PolyphaseResampler(PolyphaseResampler&&) noexcept = default;
PolyphaseResampler& PolyphaseResampler::operator=(PolyphaseResampler&&) noexcept = default;

void PolyphaseResampler::set_thread_pool(ThreadPool* pool) {
  impl_->pool = pool;
}

Eigen::MatrixXf PolyphaseResampler::push(const Eigen::Ref<const Eigen::MatrixXf>& chunk) {
  Eigen::MatrixXf out(impl_->channels, push_outputs(chunk.cols()));
  push_into(chunk, out.data(), out.rows());
  return out;
}

int64_t PolyphaseResampler::push_into(const Eigen::Ref<const Eigen::MatrixXf>& chunk, float* out, int64_t ld_out) {
  Impl& m = *impl_;
  EFM_CHECK_ARG(!m.finished, "PolyphaseResampler::push called after finish()");
  EFM_CHECK_ARG(chunk.rows() == m.channels, "PolyphaseResampler::push: chunk has {} channels, expected {}",
                chunk.rows(), m.channels);
  EFM_CHECK_ARG(ld_out >= m.channels, "PolyphaseResampler::push_into: column stride {} < {} channels", ld_out,
                m.channels);
  const int64_t count = push_outputs(chunk.cols());
  if (m.identity) {
    Eigen::Map<Eigen::MatrixXf, 0, Eigen::OuterStride<>>(out, m.channels, chunk.cols(), Eigen::OuterStride<>(ld_out)) =
        chunk;
    m.n_in += chunk.cols();
    m.next_out += chunk.cols();
    return count;
  }
  m.append_columns(chunk.data(), chunk.outerStride(), chunk.cols());
  m.n_in += chunk.cols();
  if (count > 0) m.compute(m.next_out, count, out, ld_out);
  m.next_out += count;
  m.trim();
  return count;
}

Eigen::MatrixXf PolyphaseResampler::finish() {
  Impl& m = *impl_;
  EFM_CHECK_ARG(!m.finished, "PolyphaseResampler::finish called twice");
  m.finished = true;
  if (m.identity) return Eigen::MatrixXf(m.channels, 0);
  const int64_t total = output_length(m.n_in);
  const int64_t count = total - m.next_out;
  Eigen::MatrixXf out(m.channels, std::max<int64_t>(count, 0));
  if (count <= 0) return out;
  // Zeros after the end, up to the last input column the last output reads.
  const int64_t need_last = m.t0(total - 1);
  const int64_t have_last = m.buf_first + m.cols() - 1;
  if (need_last > have_last) {
    m.buf.resize(m.buf.size() + static_cast<size_t>(need_last - have_last) * static_cast<size_t>(m.channels), 0.0f);
  }
  m.compute(m.next_out, count, out.data(), out.rows());
  m.next_out = total;
  m.buf.clear();
  m.buf.shrink_to_fit();
  return out;
}

int64_t PolyphaseResampler::up() const {
  return impl_->up;
}
int64_t PolyphaseResampler::down() const {
  return impl_->down;
}
int64_t PolyphaseResampler::filter_length() const {
  return impl_->length;
}
int64_t PolyphaseResampler::output_length(int64_t n_in) const {
  const int64_t p = n_in * impl_->up;
  return p / impl_->down + (p % impl_->down != 0 ? 1 : 0);
}
int64_t PolyphaseResampler::push_outputs(int64_t n_new) const {
  const Impl& m = *impl_;
  if (m.identity) return n_new;
  // Outputs j with t0(j) <= n_in - 1, i.e. j * down + half_len <= n_in * up - 1.
  const int64_t last = (m.n_in + n_new) * m.up - 1 - m.half_len;
  const int64_t ready = last >= 0 ? last / m.down + 1 : 0;
  return std::max<int64_t>(ready - m.next_out, 0);
}
int64_t PolyphaseResampler::samples_in() const {
  return impl_->n_in;
}
int64_t PolyphaseResampler::samples_out() const {
  return impl_->next_out;
}

Eigen::MatrixXf resample_poly(const Eigen::Ref<const Eigen::MatrixXf>& x, int64_t up, int64_t down, ThreadPool* pool) {
  PolyphaseResampler rs(up, down, static_cast<int>(x.rows()));
  rs.set_thread_pool(pool);
  return detail::push_and_finish(rs, x);
}

}  // namespace efm::signal
