// Benchmark (not a test): `epilepsyfm ingest` against an MNE-Python pipeline doing the same steps (bench/ingest/
// mne_pipeline.py: read, pick EEG, 0.5-70 Hz band-pass, 50 Hz notch, resample to 200 Hz, z-score, 4-s windows,
// HDF5), on a long 64-channel 160 Hz EDF+ made by repeating EEGMMIDB S001R03.edf (125 s) and written into a temporary
// directory at run time (never committed). Both run as child processes in the same run; prints wall times, the
// speed ratio and both peak RSS values (getrusage of each child), plus the in-process times each tool reports
// (without process start: LibTorch's load, Python's imports).
//   ingest_bench [--hours H] [--data DIR] [--workers N] [--no-mne] [--keep]
// Target (issue 4): >= 20x MNE's speed, peak RSS < 300 MB not growing with the recording length (run --hours 4).
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "epilepsyfm/core/fs.h"

namespace fs = std::filesystem;

namespace {

/// Repeats the records of `src` until `hours` of signal, with fresh EDF+ time-keeping TALs and the annotation
/// signal's unit/prefilter fields blanked so that EDFlib accepts the file (same recipe as bench/read).
void make_long_file(const fs::path& src, const fs::path& dst, double hours) {
  std::ifstream in(src, std::ios::binary);
  std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const int ns = std::stoi(b.substr(252, 4));
  const size_t hb = static_cast<size_t>(256 * (ns + 1));
  const int nrec = std::stoi(b.substr(236, 8));
  const double rec_s = std::stod(b.substr(244, 8));
  const size_t rb = (b.size() - hb) / static_cast<size_t>(nrec);
  const size_t annot_bytes = 160;  // S001R03: the last signal is "EDF Annotations" with 80 samples per record
  const int total = static_cast<int>(std::ceil(hours * 3600.0 / rec_s));
  std::string header = b.substr(0, hb);
  header.replace(236, 8, fmt::format("{:<8}", total));
  header.replace(256 + static_cast<size_t>(96 * ns) + static_cast<size_t>(8 * (ns - 1)), 8, std::string(8, ' '));
  header.replace(256 + static_cast<size_t>(136 * ns) + static_cast<size_t>(80 * (ns - 1)), 80, std::string(80, ' '));
  std::ofstream out(dst, std::ios::binary);
  out << header;
  for (int r = 0; r < total; ++r) {
    std::string rec = b.substr(hb + static_cast<size_t>(r % nrec) * rb, rb);
    std::string tal = fmt::format("+{}\x14\x14", r * rec_s);
    tal.resize(annot_bytes, '\0');
    rec.replace(rb - annot_bytes, annot_bytes, tal);
    out << rec;
  }
}

double find_number(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex(pattern))) return std::stod(m[1].str());
  return std::nan("");
}

}  // namespace

int main(int argc, char** argv) {
  double hours = 1.0;
  fs::path data = efm::real_data_dir();
  std::string workers = "0";
  bool mne = true, keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--hours" && i + 1 < argc) {
      hours = std::stod(argv[++i]);
    } else if (a == "--data" && i + 1 < argc) {
      data = argv[++i];
    } else if (a == "--workers" && i + 1 < argc) {
      workers = argv[++i];
    } else if (a == "--no-mne") {
      mne = false;
    } else if (a == "--keep") {
      keep = true;
    } else {
      std::fprintf(stderr, "usage: ingest_bench [--hours H] [--data DIR] [--workers N] [--no-mne] [--keep]\n");
      return 2;
    }
  }
  const fs::path src = data / "eegmmidb_S001/S001R03.edf";
  if (data.empty() || !fs::exists(src)) {
    std::fprintf(stderr, "ingest_bench: %s not found (set EPILEPSYFM_DATA or --data)\n", src.c_str());
    return 2;
  }
  char tmpl[] = "/tmp/efm_ingest_bench_XXXXXX";
  const fs::path dir = mkdtemp(tmpl);
  const fs::path edf = dir / "long.edf";
  make_long_file(src, edf, hours);
  std::printf("input: %.2f h, 64 channels, 160 Hz, %.1f MB (%s repeated) in %s\n", hours,
              static_cast<double>(fs::file_size(edf)) / 1e6, src.filename().c_str(), dir.c_str());

  // Warm the page cache for both tools alike.
  {
    std::ifstream w(edf, std::ios::binary);
    std::vector<char> buf(1 << 20);
    while (w.read(buf.data(), buf.size())) {
    }
  }

  const fs::path cfg = fs::path(EFM_BENCH_SOURCE_DIR) / "configs/ingest/default.yaml";
  const efm::bench::Child ours =
      efm::bench::run_child({EFM_CLI_PATH, "ingest", "--config", cfg.string(), "--input", edf.string(), "--out",
                             (dir / "store").string(), "--workers", workers, "--no-progress"},
                            dir / "ingest.log");
  if (ours.exit_code != 0) {
    std::fprintf(stderr, "epilepsyfm ingest failed (exit %d):\n%s\n", ours.exit_code, ours.output.c_str());
    return 1;
  }
  const double ours_inner = find_number(ours.output, R"(windows \(\d+ seizure\) in ([0-9.]+) s)");
  std::printf("epilepsyfm ingest : %7.2f s wall (%.2f s in-process), %6.2f s CPU, peak RSS %6.0f MB\n", ours.wall_s,
              ours_inner, ours.cpu_s, ours.max_rss_mb);
  if (mne) {
    const efm::bench::Child ref = efm::bench::run_child(
        {"/usr/bin/python3", (fs::path(EFM_BENCH_SOURCE_DIR) / "bench/ingest/mne_pipeline.py").string(), edf.string(),
         (dir / "mne.h5").string()},
        dir / "mne.log");
    if (ref.exit_code != 0) {
      std::fprintf(stderr, "MNE pipeline failed (exit %d):\n%s\n", ref.exit_code, ref.output.c_str());
    } else {
      const double ref_inner = find_number(ref.output, R"(processing_s=([0-9.]+))");
      std::printf("MNE-Python 1.3    : %7.2f s wall (%.2f s in-process), %6.2f s CPU, peak RSS %6.0f MB\n", ref.wall_s,
                  ref_inner, ref.cpu_s, ref.max_rss_mb);
      std::printf("speed ratio (MNE / epilepsyfm): %.1fx wall, %.1fx in-process, %.1fx CPU   [target >= 20x]\n",
                  ref.wall_s / ours.wall_s, ref_inner / ours_inner, ref.cpu_s / ours.cpu_s);
    }
  }
  std::printf(
      "peak RSS of epilepsyfm ingest: %.0f MB   [target < 300 MB, flat in the recording length: try "
      "--hours 4]\n",
      ours.max_rss_mb);
  if (!keep) fs::remove_all(dir);
  return 0;
}
