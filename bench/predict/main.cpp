// Benchmark (not a test): `epilepsyfm predict` of this build against a reference binary (e.g. a build of an earlier
// commit), both as child processes in the same run, on the same synthetic 64-channel 160 Hz EDF+ recordings and the
// same fine-tuned seizure detector (the demo's architecture: configs/demo/finetune.yaml, model size tiny). Prints the
// real-time factor of each (recording seconds per wall-clock second, and per second of CPU time, which a loaded
// machine does not inflate), their ratio, the peak RSS of each (getrusage of the child) for every recording length,
// and how the output files of the two compare.
//   predict_bench --reference PATH [--candidate PATH] [--hours 1,4] [--threads 1] [--repeat 1] [--model RUN]
//                 [--reference-configs DIR]
//                 [--work DIR] [--keep]
// Target: >= 300x real time on one thread for 1 h, peak RSS flat in the recording length.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "common/bench_args.h"
#include "common/child_process.h"
#include "epilepsyfm/core/fs.h"
#include "predict/synthetic_edf.h"

namespace fs = std::filesystem;
using efm::bench::Child;
using efm::bench::run_child;

namespace {

const fs::path kSource = EFM_BENCH_SOURCE_DIR;

std::vector<double> parse_list(const std::string& text) {
  std::vector<double> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(std::stod(item));
  return out;
}

/// Runs `argv` and stops the benchmark with its output when it fails.
Child run_or_die(const std::vector<std::string>& argv, const fs::path& log) {
  Child c = run_child(argv, log);
  if (c.exit_code != 0) {
    std::fprintf(stderr, "predict_bench: '%s %s' failed (exit %d):\n%s\n", argv[0].c_str(), argv[1].c_str(),
                 c.exit_code, c.output.c_str());
    std::exit(1);
  }
  return c;
}

/// The demo's seizure detector, trained briefly: simulated cohort (configs/simulate/test.yaml, 12 subjects) ->
/// ingest (configs/ingest/default.yaml) -> finetune seizure_detection with the demo overlay (tiny model), 2 epochs.
/// `cli` is the reference binary and `configs` its configs/ folder: a newer build reads an older build's run, not
/// always the other way round (an older build refuses config keys it does not know).
fs::path train_detector(const std::string& cli, const fs::path& configs, const fs::path& work) {
  const fs::path sim = work / "sim", store = work / "store", run = work / "sd";
  if (fs::exists(run / "checkpoints" / "best")) return run;
  std::printf("training the demo seizure detector (tiny) in %s ...\n", run.c_str());
  run_or_die({cli, "simulate", "--config", (configs / "simulate/test.yaml").string(), "--out", sim.string(), "--set",
              "simulate.n_subjects=12"},
             work / "simulate.log");
  run_or_die({cli, "ingest", "--config", (configs / "ingest/default.yaml").string(), "--input", sim.string(), "--out",
              store.string(), "--no-progress"},
             work / "ingest.log");
  run_or_die(
      {cli, "finetune", "--config", (configs / "finetune/seizure_detection.yaml").string(), "--config",
       (configs / "demo/finetune.yaml").string(), "--store", store.string(), "--out", run.string(), "--no-progress",
       "--set", "train.epochs=2", "--set", "train.batch_size=8", "--set", "train.warmup_epochs=0"},
      work / "finetune.log");
  return run;
}

double find_number(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex(pattern))) return std::stod(m[1].str());
  return std::nan("");
}

struct Timing {
  Child best;  ///< the run with the shortest wall time
  double inner_s = std::nan("");
};

Timing time_predict(const std::string& cli, const fs::path& model, const fs::path& edf, const fs::path& out,
                    int threads, int repeat) {
  Timing t;
  for (int r = 0; r < repeat; ++r) {
    Child c = run_or_die({cli, "predict", "--checkpoint", model.string(), "--input", edf.string(), "--out",
                          out.string(), "--no-progress", "--set", fmt::format("run.threads={}", threads)},
                         out.string() + ".log");
    if (r == 0 || c.wall_s < t.best.wall_s) {
      t.best = c;
      t.inner_s = find_number(c.output, R"(detected event\(s\) in ([0-9.]+) s)");
    }
  }
  return t;
}

/// "identical", or how the two CSV files differ (rows, largest absolute difference over the numeric cells).
std::string compare_csv(const fs::path& a, const fs::path& b) {
  const std::string ta = efm::read_file(a), tb = efm::read_file(b);
  if (ta == tb) return "identical";
  std::stringstream sa(ta), sb(tb);
  std::string la, lb;
  size_t rows_a = 0, rows_b = 0;
  double max_diff = 0;
  while (true) {
    const bool ga = static_cast<bool>(std::getline(sa, la)), gb = static_cast<bool>(std::getline(sb, lb));
    rows_a += ga, rows_b += gb;
    if (!ga || !gb) break;
    std::stringstream ca(la), cb(lb);
    for (std::string x, y; std::getline(ca, x, ',') && std::getline(cb, y, ',');) {
      try {
        max_diff = std::max(max_diff, std::fabs(std::stod(x) - std::stod(y)));
      } catch (const std::exception&) {
      }
    }
  }
  while (std::getline(sa, la)) ++rows_a;
  while (std::getline(sb, lb)) ++rows_b;
  return fmt::format("differ: {} vs {} rows, max |difference| {:.3g}", rows_a, rows_b, max_diff);
}

}  // namespace

int main(int argc, char** argv) {
  using efm::bench::flag;
  using efm::bench::has_flag;
  const std::string reference = flag(argc, argv, "--reference", "");
  const std::string candidate = flag(argc, argv, "--candidate", EFM_CLI_PATH);
  const std::vector<double> hours = parse_list(flag(argc, argv, "--hours", "1,4"));
  const int threads = std::stoi(flag(argc, argv, "--threads", "1"));
  const int repeat = std::max(1, std::stoi(flag(argc, argv, "--repeat", "1")));
  const bool keep = has_flag(argc, argv, "--keep");
  if (reference.empty() || !fs::exists(reference) || has_flag(argc, argv, "--help")) {
    std::fprintf(stderr,
                 "usage: predict_bench --reference PATH [--candidate PATH] [--hours 1,4] [--threads 1] [--repeat 1] "
                 "[--model RUN] [--reference-configs DIR] [--work DIR] [--keep]\n");
    return 2;
  }
  fs::path work = flag(argc, argv, "--work", "");
  if (work.empty()) {
    char tmpl[] = "/tmp/efm_predict_bench_XXXXXX";
    work = mkdtemp(tmpl);
  }
  fs::create_directories(work);
  const std::string model_flag = flag(argc, argv, "--model", "");
  const fs::path configs = flag(argc, argv, "--reference-configs", (kSource / "configs").string());
  const fs::path model = model_flag.empty() ? train_detector(reference, configs, work) : fs::path(model_flag);

  std::printf("reference: %s\ncandidate: %s\nmodel: %s; %d thread(s), best of %d\n\n", reference.c_str(),
              candidate.c_str(), model.c_str(), threads, repeat);
  std::printf(
      "| recording | binary | wall s | in-process s | CPU s | x real time (wall) | x real time (CPU) | ratio (wall) | "
      "peak RSS MB | outputs |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for (double h : hours) {
    const fs::path edf = work / fmt::format("rec_{}h.edf", h);
    if (!fs::exists(edf)) efm::bench::write_synthetic_edf(edf, h);
    {  // the page cache holds the input for both binaries alike
      std::ifstream w(edf, std::ios::binary);
      std::vector<char> buf(1 << 20);
      while (w.read(buf.data(), static_cast<std::streamsize>(buf.size()))) {
      }
    }
    const double duration_s = h * 3600.0;
    const fs::path out_ref = work / fmt::format("out_ref_{}h", h), out_new = work / fmt::format("out_new_{}h", h);
    const Timing ref = time_predict(reference, model, edf, out_ref, threads, repeat);
    const Timing cand = time_predict(candidate, model, edf, out_new, threads, repeat);
    const std::string stem = edf.stem().string();
    const std::string same_p =
        compare_csv(out_ref / (stem + "_probabilities.csv"), out_new / (stem + "_probabilities.csv"));
    const std::string same_e = compare_csv(out_ref / (stem + "_events.csv"), out_new / (stem + "_events.csv"));
    const std::string label = fmt::format("{} h, 64 ch, 160 Hz", h);
    std::printf("| %s | reference | %.2f | %.2f | %.2f | %.0f | %.0f | 1.00x | %.0f | |\n", label.c_str(),
                ref.best.wall_s, ref.inner_s, ref.best.cpu_s, duration_s / ref.best.wall_s, duration_s / ref.best.cpu_s,
                ref.best.max_rss_mb);
    std::printf("| %s | candidate | %.2f | %.2f | %.2f | %.0f | %.0f | %.2fx | %.0f | probabilities %s; events %s |\n",
                label.c_str(), cand.best.wall_s, cand.inner_s, cand.best.cpu_s, duration_s / cand.best.wall_s,
                duration_s / cand.best.cpu_s, ref.best.wall_s / cand.best.wall_s, cand.best.max_rss_mb, same_p.c_str(),
                same_e.c_str());
    std::fflush(stdout);
  }
  if (!keep && flag(argc, argv, "--work", "").empty()) fs::remove_all(work);
  return 0;
}
