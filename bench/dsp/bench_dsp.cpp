// bench_dsp: times signal::Preprocessor (band-pass + notch as one zero-phase FIR, polyphase resampling, statistics)
// on synthetic EEG and, in the same run, MNE 1.3 + SciPy 1.10 doing the same steps on the same samples
// (bench/dsp/reference.py with /usr/bin/python3), and prints both times and the ratio.
//
//   bench_dsp [--channels 64] [--sfreq 160] [--seconds 3600] [--chunk-seconds 10] [--threads 2]
//             [--profile epilepsyfm] [--no-reference]
//
// Only the push()/finish() calls are timed; generating the input and writing it for Python are not. Input chunks
// are generated on the fly, so peak RSS reflects the streaming pipeline (printed half-way and at the end to show it
// does not grow with the recording length).
#include <Eigen/Core>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "common/bench_args.h"
#include "epilepsyfm/core/threads.h"
#include "epilepsyfm/signal/filter_design.h"
#include "epilepsyfm/signal/preprocess.h"

namespace {

using efm::bench::flag;
using efm::bench::has_flag;

double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double peak_rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

// Synthetic EEG in microvolts: pink-ish noise (random walk leak), alpha, drift, 50 Hz line noise; per chunk seed.
void make_chunk(Eigen::MatrixXf& x, int64_t t0, double sfreq, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 10.0f);
  const int64_t n = x.cols();
  for (int c = 0; c < x.rows(); ++c) {
    float leak = 0.0f;
    for (int64_t t = 0; t < n; ++t) {
      const double time = static_cast<double>(t0 + t) / sfreq;
      leak = 0.95f * leak + noise(rng);
      x(c, t) = leak +
                static_cast<float>(20.0 * std::sin(2 * M_PI * (9.0 + 0.05 * c) * time) +
                                   40.0 * std::sin(2 * M_PI * 0.1 * time + c) + 8.0 * std::sin(2 * M_PI * 50.0 * time));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  using Clock = std::chrono::steady_clock;
  const int channels = std::stoi(flag(argc, argv, "--channels", "64"));
  const double sfreq = std::stod(flag(argc, argv, "--sfreq", "160"));
  const double seconds = std::stod(flag(argc, argv, "--seconds", "3600"));
  const double chunk_seconds = std::stod(flag(argc, argv, "--chunk-seconds", "10"));
  const int threads = std::stoi(flag(argc, argv, "--threads", "2"));
  const std::string profile = flag(argc, argv, "--profile", "epilepsyfm");
  const bool reference = !has_flag(argc, argv, "--no-reference");

  const efm::signal::PreprocessOptions options = efm::signal::resolve_profile(profile);
  const int64_t n_total = static_cast<int64_t>(std::llround(seconds * sfreq));
  const int64_t chunk = std::max<int64_t>(1, static_cast<int64_t>(std::llround(chunk_seconds * sfreq)));

  std::unique_ptr<efm::ThreadPool> pool;
  if (threads > 1) pool = std::make_unique<efm::ThreadPool>(threads - 1);  // parallel_for also uses the caller
  efm::signal::Preprocessor pp(options, sfreq, channels, pool.get());
  std::cout << "[bench dsp] " << channels << " ch x " << n_total << " samples at " << sfreq << " Hz ("
            << seconds / 3600.0 << " h), chunks of " << chunk_seconds << " s, " << threads << " thread(s)\n"
            << "[bench dsp] pipeline: " << pp.describe() << "\n";

  const std::string input_path = "/tmp/efm_bench_dsp_" + std::to_string(::getpid()) + ".f32";
  std::ofstream dump;
  if (reference) dump.open(input_path, std::ios::binary);

  Eigen::MatrixXf x(channels, chunk);
  double timed = 0.0, cpu = 0.0, rss_half = 0.0;
  int64_t produced = 0;
  for (int64_t t0 = 0; t0 < n_total; t0 += chunk) {
    const int64_t n = std::min(chunk, n_total - t0);
    if (x.cols() != n) x.resize(channels, n);
    make_chunk(x, t0, sfreq, static_cast<unsigned>(t0 / chunk + 1));
    if (reference) dump.write(reinterpret_cast<const char*>(x.data()), static_cast<std::streamsize>(x.size() * 4));
    const auto a = Clock::now();
    const double cpu0 = process_cpu_s();
    produced += pp.push(x).cols();
    timed += std::chrono::duration<double>(Clock::now() - a).count();
    cpu += process_cpu_s() - cpu0;
    if (rss_half == 0.0 && t0 + n >= n_total / 2) rss_half = peak_rss_mb();
  }
  const auto a = Clock::now();
  const double cpu0 = process_cpu_s();
  produced += pp.finish().cols();
  timed += std::chrono::duration<double>(Clock::now() - a).count();
  cpu += process_cpu_s() - cpu0;
  const double rss_end = peak_rss_mb();
  const efm::signal::ChannelStats stats = pp.stats();
  if (reference) dump.close();

  std::printf(
      "[bench dsp] epilepsyfm Preprocessor: %.3f s wall, %.3f s CPU (all threads) for %lld -> %lld "
      "samples/channel (%.1f M input samples/s)\n",
      timed, cpu, static_cast<long long>(n_total), static_cast<long long>(produced),
      static_cast<double>(n_total) * channels / timed / 1e6);
  std::printf("[bench dsp] peak RSS: %.0f MB after half the input, %.0f MB at the end (input generated per chunk)\n",
              rss_half, rss_end);
  if (!reference) return 0;

  // Reference: same samples through MNE + SciPy, timed inside Python (excluding reading the file).
  std::vector<double> freqs = efm::signal::notch_frequencies(options.notch_hz, options.notch_harmonics, sfreq);
  std::string notch;
  for (double f : freqs) notch += (notch.empty() ? "" : ",") + std::to_string(f);
  std::ostringstream cmd;
  cmd << "/usr/bin/python3 " << EFM_BENCH_DSP_SCRIPT << " " << input_path << " " << channels << " " << sfreq << " "
      << pp.resample_up() << " " << pp.resample_down() << " '" << notch << "' " << options.l_freq_hz << " "
      << options.h_freq_hz;
  FILE* pipe = popen(cmd.str().c_str(), "r");
  std::string output;
  if (pipe != nullptr) {
    char buf[4096];
    while (std::fgets(buf, sizeof(buf), pipe) != nullptr) output += buf;
    pclose(pipe);
  }
  std::remove(input_path.c_str());
  const size_t at = output.find("seconds=");
  if (at == std::string::npos) {
    std::cout << "[bench dsp] reference failed (needs /usr/bin/python3 with mne, scipy): " << output << "\n";
    return 1;
  }
  const double ref_seconds = std::stod(output.substr(at + 8));
  // Sanity: the per-channel standard deviations of both outputs agree.
  double max_rel = 0.0;
  const size_t s_at = output.find("std=");
  if (s_at != std::string::npos) {
    std::stringstream ss(output.substr(s_at + 4));
    std::string item;
    for (int c = 0; c < channels && std::getline(ss, item, ','); ++c) {
      max_rel = std::max(max_rel, std::abs(stats.std_uv[static_cast<size_t>(c)] / std::stod(item) - 1.0));
    }
  }
  std::printf(
      "[bench dsp] reference (MNE %s filter_data + notch_filter + SciPy resample_poly + mean/std, n_jobs=1): "
      "%.3f s\n",
      "1.3", ref_seconds);
  std::printf("[bench dsp] per-channel std agreement: max relative difference %.2e\n", max_rel);
  std::printf("[bench dsp] speed-up: %.1fx (reference / epilepsyfm)\n", ref_seconds / timed);
  return 0;
}
