// Benchmark (not a test): how fast windows go from an epilepsyfm store to ready training batches. See README.md.
//   bench_loader [--store DIR] [--dtype float32|float16|both] [--recordings N] [--minutes M] [--channels C]
//                [--workers 1,2,4] [--threads 1,2] [--batch B] [--seconds S] [--python PY] [--no-reference]
//                [--no-cold] [--work DIR] [--keep]
#include <fmt/format.h>
#include <torch/cuda.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "common/bench_args.h"
#include "epilepsyfm/core/log.h"
#include "measure.h"
#include "page_cache.h"
#include "sim_store.h"

namespace fs = std::filesystem;
using efm::bench::flag;
using efm::bench::has_flag;

namespace {

// Target of the loader: 20,000 windows/s of 23 channels x 4 s (float32, about 1.5 GB/s) from page cache on a
// 2-core machine, which is what one GPU needs to stay busy on a base-size model (docs/gpu.md).
constexpr double kTargetWindowsPerS = 20000;

std::vector<int> int_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoi(item));
  return out;
}

struct Shape {
  int64_t channels = 0, samples = 0;
  double gb(double windows_per_s) const { return windows_per_s * double(channels * samples) * 4 / 1e9; }
};

Shape shape_of(const fs::path& store) {
  efm::io::StoreReader r(store);
  return Shape{r.recordings().front().n_channels, r.details(0)->preprocessing.window_length_samples};
}

void row(const std::string& what, const std::string& cache, int threads, const efm::bench::Rate& r, const Shape& s,
         double ref, const std::string& extra = "") {
  fmt::print("  {:<24} {:<6} {:>7} {:>11.0f} {:>7.2f} {:>8} {}\n", what, cache, threads, r.per_s(), s.gb(r.per_s()),
             ref > 0 ? fmt::format("{:.2f}x", r.per_s() / ref) : "", extra);
  std::fflush(stdout);
}

/// Runs the h5py reference on `store`; -1 when it cannot run (the reason is printed).
double h5py_reference(const std::string& python, const fs::path& store, double seconds) {
  const std::string cmd =
      fmt::format("{} {} {} --seconds {} 2>&1", python, EFM_BENCH_H5PY_SCRIPT, store.string(), seconds);
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string out;
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  const int rc = pclose(pipe);
  double v = -1;
  const auto at = out.find("windows_per_s ");
  if (rc == 0 && at != std::string::npos) v = std::stod(out.substr(at + 14));
  if (v < 0) {
    fmt::print("  SKIPPED h5py reference ({} failed; install python3-h5py or pass --python):\n{}\n", cmd, out);
  }
  return v;
}

int run(int argc, char** argv) {
  const std::string dtypes = flag(argc, argv, "--dtype", "both");
  const auto workers = int_list(flag(argc, argv, "--workers", "1,2,4"));
  const auto threads = int_list(flag(argc, argv, "--threads", "1,2"));
  const double seconds = std::stod(flag(argc, argv, "--seconds", "3"));
  const int64_t batch = std::stoll(flag(argc, argv, "--batch", "64"));
  const std::string python =
      flag(argc, argv, "--python", fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
  const bool reference = !has_flag(argc, argv, "--no-reference");
  const bool cold = !has_flag(argc, argv, "--no-cold");
  const bool pinned = torch::cuda::is_available();
  const unsigned cores = std::thread::hardware_concurrency();

  std::vector<std::pair<std::string, fs::path>> stores;  // (label, dir)
  fs::path work;
  const std::string given = flag(argc, argv, "--store", "");
  if (!given.empty()) {
    stores.emplace_back("given", fs::path(given));
  } else {
    work =
        flag(argc, argv, "--work", (fs::temp_directory_path() / fmt::format("efm_bench_loader_{}", getpid())).string());
    efm::bench::SimStoreSpec spec;
    spec.recordings = std::stoi(flag(argc, argv, "--recordings", "24"));
    spec.minutes = std::stod(flag(argc, argv, "--minutes", "30"));
    spec.channels = std::stoi(flag(argc, argv, "--channels", "23"));
    for (auto dt : {efm::io::StoreDtype::float32, efm::io::StoreDtype::float16}) {
      const std::string name = efm::bench::to_string(dt);
      if (dtypes != "both" && dtypes != name) continue;
      spec.dtype = dt;
      const fs::path dir = work / name;
      const auto t0 = std::chrono::steady_clock::now();
      const int64_t bytes = efm::bench::write_sim_store(dir, spec);
      fmt::print("wrote {} store: {} recordings x {} min x {} ch at 200 Hz, {:.2f} GB of signal, in {:.1f} s ({})\n",
                 name, spec.recordings, spec.minutes, spec.channels, double(bytes) / 1e9,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), dir.string());
      stores.emplace_back(name, dir);
    }
  }
  fmt::print("{} cores; batches {} in {} memory; {} s per measurement; GB/s = float32 batches delivered\n", cores,
             batch, pinned ? "pinned (CUDA present)" : "pageable (no CUDA device)", seconds);

  double target_best = 0;
  int target_workers = 0;
  for (const auto& [label, dir] : stores) {
    const Shape shape = shape_of(dir);
    fmt::print("\nstore {} ({}): windows of {} ch x {} samples\n", label, dir.string(), shape.channels, shape.samples);
    fmt::print("  {:<24} {:<6} {:>7} {:>11} {:>7} {:>8}\n", "path", "cache", "threads", "windows/s", "GB/s", "ratio");
    // Warm the page cache with one full pass, then read through HDF5 (one lock) and through the mapped shards.
    double hdf5_one = 0;
    {
      efm::io::StoreReader warm(dir);
      const auto order = efm::bench::shuffled_windows(warm, 7);
      efm::bench::read_windows(warm, order, shape.samples, 1, 0);  // one pass
      fmt::print("  page cache holds {:.0f} % of the shards\n", 100 * efm::bench::resident_fraction(dir));
      for (bool mapped : {false, true}) {
        efm::io::StoreReader r(dir, efm::io::StoreReadOptions{.map_signal = mapped});
        for (int t : threads) {
          const auto rate = efm::bench::read_windows(r, order, shape.samples, t, seconds);
          if (!mapped && t == 1) hdf5_one = rate.per_s();
          row(mapped ? "StoreReader mapped" : "StoreReader HDF5", "warm", t, rate, shape, hdf5_one);
        }
      }
    }
    if (reference) {
      const double ref = h5py_reference(python, dir, seconds);
      if (ref > 0) {
        fmt::print("  {:<24} {:<6} {:>7} {:>11.0f} {:>7.2f} {:>8}\n", "h5py (Python reference)", "warm", 1, ref,
                   shape.gb(ref), fmt::format("{:.2f}x", ref / hdf5_one));
      }
    }
    for (int w : workers) {
      efm::bench::LoaderRun run{.workers = w, .batch = batch, .pinned = pinned, .budget_s = seconds};
      const auto rate = efm::bench::load_batches(dir, run);
      row("Loader", "warm", w, rate, shape, hdf5_one,
          fmt::format("(consumer waited {:.0f} % of the time)", 100 * rate.wait_s / rate.seconds));
      if (label != "float16" && shape.channels == 23 && shape.samples == 800 && w <= int(cores) &&
          rate.per_s() > target_best) {
        target_best = rate.per_s();
        target_workers = w;
      }
    }
    if (cold) {
      for (int w : workers) {
        efm::bench::evict(dir);
        const double left = efm::bench::resident_fraction(dir);
        efm::bench::LoaderRun run{.workers = w, .batch = batch, .pinned = pinned, .budget_s = 4 * seconds};
        const auto rate = efm::bench::load_batches(dir, run);
        row("Loader", "cold", w, rate, shape, hdf5_one,
            fmt::format("({:.0f} % cached before; {} windows, each read once)", 100 * left, rate.windows));
      }
    }
  }
  if (target_workers > 0) {
    fmt::print(
        "\ntarget: >= {:.0f} windows/s of 23 ch x 4 s (float32) from page cache with <= {} loader threads: {} "
        "({:.0f} windows/s = {:.2f} GB/s with {} workers, {:.2f}x the target)\n",
        kTargetWindowsPerS, cores, target_best >= kTargetWindowsPerS ? "MET" : "MISSED", target_best,
        Shape{23, 800}.gb(target_best), target_workers, target_best / kTargetWindowsPerS);
  }
  if (!work.empty() && !has_flag(argc, argv, "--keep")) fs::remove_all(work);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  efm::log::init("warn");
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_loader: {}\n", e.what());
    return 2;
  }
}
