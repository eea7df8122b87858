#include "sim_store.h"

#include <fmt/format.h>

#include <Eigen/Core>
#include <cmath>
#include <random>

namespace efm::bench {

std::string to_string(io::StoreDtype dtype) {
  return dtype == io::StoreDtype::float16 ? "float16" : "float32";
}

int64_t write_sim_store(const std::filesystem::path& dir, const SimStoreSpec& spec) {
  io::StoreOptions options;
  options.dtype = spec.dtype;
  options.config_yaml = fmt::format("bench_loader: {{dtype: {}}}\n", to_string(spec.dtype));
  io::StoredPreprocessing pp;
  pp.spec.profile = "bench";
  pp.spec.sfreq_hz = spec.sfreq_hz;
  pp.spec.normalization = config::Normalization::zscore;
  pp.window_length_samples = std::llround(spec.window_s * spec.sfreq_hz);
  pp.window_stride_samples = pp.window_length_samples;
  io::StoreWriter writer(dir, options, pp);
  const int64_t n = std::llround(spec.minutes * 60 * spec.sfreq_hz);
  const int64_t block = std::llround(10 * spec.sfreq_hz);
  std::mt19937 rng(12345);
  std::normal_distribution<float> noise(0.0f, 40.0f);
  for (int r = 0; r < spec.recordings; ++r) {
    io::RecordingHeader h;
    h.id = fmt::format("sim{:03d}", r);
    h.subject = fmt::format("s{:02d}", r % 12);
    h.source_path = h.id + ".edf";
    h.source_sha256 = std::string(64, '0');  // no source file: a placeholder hash
    h.reader = "bench";
    h.format = "EDF+C";
    h.source_duration_s = static_cast<double>(n) / spec.sfreq_hz;
    for (int c = 0; c < spec.channels; ++c) {
      h.channels.push_back(fmt::format("E{}", c));
      h.channel_vocab_index.push_back(c + 1);
    }
    h.segments = {io::SignalSegment{0.0, 0, n}};
    auto rec = writer.begin_recording(h);
    Eigen::MatrixXf x(spec.channels, block);
    std::vector<double> sum(static_cast<size_t>(spec.channels)), sum2(sum.size()), mx(sum.size());
    for (int64_t t = 0; t < n; t += block) {
      const int64_t m = std::min(block, n - t);
      for (int64_t j = 0; j < m; ++j) {
        for (int c = 0; c < spec.channels; ++c) {
          const float v = noise(rng) + static_cast<float>(c);
          x(c, j) = v;
          sum[c] += v;
          sum2[c] += double(v) * v;
          mx[c] = std::max(mx[c], double(std::abs(v)));
        }
      }
      rec->append(x.leftCols(m));
    }
    io::RecordingFooter f;
    for (size_t c = 0; c < sum.size(); ++c) {
      const double mean = sum[c] / static_cast<double>(n);
      f.mean_uv.push_back(mean);
      f.std_uv.push_back(std::sqrt(std::max(0.0, sum2[c] / static_cast<double>(n) - mean * mean)));
      f.max_abs_uv.push_back(mx[c]);
    }
    for (int64_t s = 0; s + pp.window_length_samples <= n; s += pp.window_stride_samples) {
      io::WindowLabel w;
      w.start_sample = s;
      w.label = "background";
      w.label_overlap = 1;
      f.windows.push_back(w);
      f.window_max_abs_uv.push_back(0);
    }
    rec->finish(f);
  }
  writer.close();
  const int elem = spec.dtype == io::StoreDtype::float16 ? 2 : 4;
  return int64_t(spec.recordings) * spec.channels * n * elem;
}

}  // namespace efm::bench
