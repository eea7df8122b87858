// Benchmark (not a test): decoding a 1-hour, 64-channel, 160 Hz EDF+ file made by repeating EEGMMIDB S001R03.edf
// (125 s) 29 times, written into a temporary directory at run time. Times open + reading every signal in 10-s chunks
// through the EDFlib path (block decoding and EDFlib's own decoding) and the BioSig path, and MNE-Python's
// read_raw_edf(preload=True) on the same file in the same run, and prints the ratios.
//   read_bench [--data DIR] [--reps N]
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/io/reader.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

/// Writes `reps` copies of S001R03's records with fresh time-keeping TALs. `conformant` blanks the annotation
/// signal's unit/prefilter fields (EDFlib then accepts the file); otherwise EDFlib refuses it and BioSig reads it.
void make_long_file(const fs::path& src, const fs::path& dst, int reps, bool conformant) {
  std::ifstream in(src, std::ios::binary);
  std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const int ns = std::stoi(b.substr(252, 4));
  const size_t hb = size_t(256 * (ns + 1));
  const int nrec = std::stoi(b.substr(236, 8));
  const size_t rb = (b.size() - hb) / size_t(nrec);
  const size_t annot_bytes = 160;  // S001R03: the last signal is "EDF Annotations" with 80 samples per record
  std::string header = b.substr(0, hb);
  const std::string n = fmt::format("{:<8}", nrec * reps);
  header.replace(236, 8, n);
  if (conformant) {
    header.replace(256 + size_t(96 * ns) + size_t(8 * (ns - 1)), 8, std::string(8, ' '));      // unit
    header.replace(256 + size_t(136 * ns) + size_t(80 * (ns - 1)), 80, std::string(80, ' '));  // prefilter
  }
  std::ofstream out(dst, std::ios::binary);
  out << header;
  for (int r = 0; r < nrec * reps; ++r) {
    std::string rec = b.substr(hb + size_t(r % nrec) * rb, rb);
    std::string tal = fmt::format("+{}\x14\x14", r);
    tal.resize(annot_bytes, '\0');
    rec.replace(rb - annot_bytes, annot_bytes, tal);
    out << rec;
  }
}

double read_all(const fs::path& p, const efm::io::ReaderOptions& opt, std::string* reader) {
  const auto t0 = Clock::now();
  auto src = efm::io::open_recording(p, opt);
  const auto& info = src->info();
  *reader = info.reader;
  std::vector<double> buf;
  double checksum = 0;
  const int64_t chunk = int64_t(10 * info.signals[0].sfreq_hz);
  for (int64_t a = 0; a < info.signals[0].n_samples; a += chunk) {
    const int64_t n = std::min(chunk, info.signals[0].n_samples - a);
    buf.resize(size_t(n));
    for (int s = 0; s < int(info.signals.size()); ++s) {
      src->read(s, a, n, buf.data());
      checksum += buf[0];
    }
  }
  const double t = std::chrono::duration<double>(Clock::now() - t0).count();
  if (checksum == 12345.678) std::puts("");  // keep the reads observable
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  efm::log::init("error");
  fs::path data = efm::real_data_dir();
  int reps = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--data") data = argv[i + 1];
    if (std::string(argv[i]) == "--reps") reps = std::atoi(argv[i + 1]);
  }
  const fs::path src = data / "eegmmidb_S001" / "S001R03.edf";
  if (!fs::exists(src)) {
    fmt::print(stderr, "read_bench: {} not found (pass --data DIR)\n", src.string());
    return 2;
  }
  const fs::path dir = fs::temp_directory_path() / fmt::format("efm_read_bench_{}", ::getpid());
  fs::create_directories(dir);
  const fs::path good = dir / "long_conformant.edf", bci = dir / "long_bci2000.edf";
  make_long_file(src, good, 29, true);
  make_long_file(src, bci, 29, false);
  fmt::print("read_bench: 1 h (3625 s), 64 signals at 160 Hz, {:.1f} MB; best of {} runs; {}\n",
             double(fs::file_size(good)) / 1e6, reps, efm::io::reader_library_versions());

  auto best = [&](const fs::path& p, efm::io::ReaderOptions opt, std::string* reader) {
    double b = 1e30;
    for (int r = 0; r < reps; ++r) b = std::min(b, read_all(p, opt, reader));
    return b;
  };
  std::string r1, r2, r3;
  const double t_block = best(good, {efm::io::ReaderPolicy::strict, efm::io::EdfDecode::block}, &r1);
  const double t_edflib = best(good, {efm::io::ReaderPolicy::strict, efm::io::EdfDecode::edflib}, &r2);
  double t_biosig = -1;
  if (efm::io::biosig_available()) t_biosig = best(bci, {efm::io::ReaderPolicy::tolerant}, &r3);

  // MNE reference: read_raw_edf(preload=True), timed inside Python (import excluded).
  const std::string cmd = fmt::format(
      "/usr/bin/python3 -c \"import time, mne; mne.set_log_level('ERROR'); b=1e30\n"
      "for _ in range({}):\n t=time.perf_counter(); r=mne.io.read_raw_edf('{}', preload=True); "
      "b=min(b, time.perf_counter()-t)\nprint(b)\" 2>/dev/null",
      reps, good.string());
  double t_mne = -1;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char line[128] = {};
    if (std::fgets(line, sizeof line, p)) t_mne = std::atof(line);
    ::pclose(p);
  }
  fmt::print("  open + read (10-s chunks across signals), reader={} EdfDecode::block : {:.3f} s\n", r1, t_block);
  fmt::print("  open + read (10-s chunks across signals), reader={} EdfDecode::edflib: {:.3f} s ({:.1f}x block)\n", r2,
             t_edflib, t_edflib / t_block);
  if (t_biosig > 0)
    fmt::print("  open + read (10-s chunks across signals), reader={} (BioSig path)   : {:.3f} s ({:.1f}x block)\n", r3,
               t_biosig, t_biosig / t_block);
  if (t_mne > 0)
    fmt::print("  MNE 1.3 read_raw_edf(preload=True)                                  : {:.3f} s ({:.1f}x block)\n",
               t_mne, t_mne / t_block);
  else
    fmt::print("  MNE reference unavailable (/usr/bin/python3 with mne)\n");
  fs::remove_all(dir);
  return 0;
}
