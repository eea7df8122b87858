#pragma once
// Writes small synthetic EDF/EDF+/BDF files byte by byte (independently of EDFlib and of the parser under test),
// with every header field under the test's control.
#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace efm::test {

struct FixtureSignal {
  std::string label = "EEG C3";
  std::string transducer;
  std::string unit = "uV";
  double physical_min = -3276.8, physical_max = 3276.7;
  int64_t digital_min = -32768, digital_max = 32767;
  std::string prefilter;
  int samples_per_record = 4;
  bool annotation = false;  ///< an "EDF Annotations" signal: its bytes come from FixtureEdf::tals
  /// Overrides of the numeric header fields (exact text), for malformed headers.
  std::optional<std::string> physical_min_text, physical_max_text, digital_min_text, digital_max_text, spr_text;

  /// Added to every written digital value: a non-zero shift writes samples outside the declared digital range.
  int64_t write_shift = 0;

  /// Digital sample k of record r as written (deterministic, spans the digital range, plus `write_shift`).
  int64_t digital(int64_t r, int64_t k) const {
    const int64_t span = digital_max - digital_min + 1;
    const int64_t v = (r * 7919 + k * 104729 + int64_t(label.size()) * 31) % span;
    return digital_min + v + write_shift;
  }
  /// EDFlib's formula for the physical value of a digital value (what a correct reader must return).
  double physical(int64_t d) const {
    const double bitvalue = (physical_max - physical_min) / double(digital_max - digital_min);
    const double offset = physical_max / bitvalue - double(digital_max);
    return bitvalue * (offset + double(d));
  }
};

struct FixtureEdf {
  bool bdf = false;
  std::string version;  ///< empty: "0" (EDF) or 0xFF "BIOSEMI" (BDF)
  std::string patient = "X X X X";
  std::string recording = "Startdate X X X X";
  std::string start_date = "01.01.00", start_time = "00.00.00";
  std::string reserved;                       ///< e.g. "EDF+C"
  std::string record_duration = "1";          ///< exact field text
  int64_t n_records = 3;                      ///< records written
  std::optional<std::string> n_records_text;  ///< header field override
  std::optional<std::string> header_bytes_text;
  std::vector<FixtureSignal> signals;
  /// tals[r][a]: the bytes of annotation signal a in record r (zero-padded to the signal's size).
  std::vector<std::vector<std::string>> tals;
  int64_t truncate_bytes = 0;  ///< bytes cut off the end of the file
  int64_t extra_bytes = 0;     ///< zero bytes appended

  int bytes_per_sample() const { return bdf ? 3 : 2; }

  static std::string field(const std::string& s, size_t width) {
    std::string f = s.substr(0, width);
    f.resize(width, ' ');
    return f;
  }
  /// A number as header text; the test must choose values that fit the 8-character field exactly.
  static std::string num(double v) {
    const std::string t = fmt::format("{}", v);
    if (t.size() > 8) throw std::invalid_argument("fixture number '" + t + "' does not fit an 8-character field");
    return t;
  }

  std::string bytes() const {
    const size_t ns = signals.size();
    std::string h;
    h += version.empty() ? (bdf ? std::string("\xff") + "BIOSEMI" : field("0", 8)) : field(version, 8);
    h += field(patient, 80) + field(recording, 80) + field(start_date, 8) + field(start_time, 8);
    h += field(header_bytes_text.value_or(std::to_string(256 * (ns + 1))), 8);
    h += field(reserved, 44);
    h += field(n_records_text.value_or(std::to_string(n_records)), 8);
    h += field(record_duration, 8);
    h += field(std::to_string(ns), 4);
    for (const auto& s : signals) h += field(s.label, 16);
    for (const auto& s : signals) h += field(s.transducer, 80);
    for (const auto& s : signals) h += field(s.unit, 8);
    for (const auto& s : signals) h += field(s.physical_min_text.value_or(num(s.physical_min)), 8);
    for (const auto& s : signals) h += field(s.physical_max_text.value_or(num(s.physical_max)), 8);
    for (const auto& s : signals) h += field(s.digital_min_text.value_or(std::to_string(s.digital_min)), 8);
    for (const auto& s : signals) h += field(s.digital_max_text.value_or(std::to_string(s.digital_max)), 8);
    for (const auto& s : signals) h += field(s.prefilter, 80);
    for (const auto& s : signals) h += field(s.spr_text.value_or(std::to_string(s.samples_per_record)), 8);
    for (size_t i = 0; i < ns; ++i) h += field("", 32);
    const int bps = bytes_per_sample();
    for (int64_t r = 0; r < n_records; ++r) {
      int a = 0;
      for (const auto& s : signals) {
        const size_t n = size_t(s.samples_per_record) * size_t(bps);
        if (s.annotation) {
          std::string t = (size_t(r) < tals.size() && size_t(a) < tals[size_t(r)].size()) ? tals[size_t(r)][size_t(a)]
                                                                                          : std::string();
          t.resize(n, '\0');
          h += t;
          ++a;
          continue;
        }
        for (int k = 0; k < s.samples_per_record; ++k) {
          const int64_t d = s.digital(r, k);
          for (int b = 0; b < bps; ++b) h += char((uint64_t(d) >> (8 * b)) & 0xFF);
        }
      }
    }
    if (truncate_bytes > 0) h.resize(h.size() - size_t(truncate_bytes));
    h.append(size_t(extra_bytes), '\0');
    return h;
  }

  void write(const std::filesystem::path& path) const {
    std::ofstream out(path, std::ios::binary);
    const std::string b = bytes();
    out.write(b.data(), std::streamsize(b.size()));
  }

  /// The time-keeping TAL of a record: "+<onset>\x14\x14\0".
  static std::string timekeeping(double onset) { return fmt::format("+{}\x14\x14", onset) + std::string(1, '\0'); }
  /// An annotation TAL: "+<onset>[\x15<duration>]\x14<text>\x14\0".
  static std::string tal(double onset, const std::string& text, double duration = -1) {
    std::string s = fmt::format("+{}", onset);
    if (duration >= 0) s += fmt::format("\x15{}", duration);
    return s + "\x14" + text + "\x14" + std::string(1, '\0');
  }
};

/// A conformant EDF+C file: two data signals (uV and mV), one annotation signal, `n_records` 1-s records with
/// contiguous time-keeping TALs.
inline FixtureEdf good_edf_plus(int64_t n_records = 3) {
  FixtureEdf f;
  f.reserved = "EDF+C";
  f.n_records = n_records;
  FixtureSignal a;
  a.label = "EEG Fp1-REF";
  a.samples_per_record = 8;
  FixtureSignal b;
  b.label = "EEG C3-REF";
  b.unit = "mV";
  b.physical_min = -5.0, b.physical_max = 5.0;
  b.digital_min = -2048, b.digital_max = 2047;
  b.samples_per_record = 4;
  FixtureSignal t;
  t.label = "EDF Annotations";
  t.unit = "";
  t.annotation = true;
  t.samples_per_record = 30;
  f.signals = {a, b, t};
  for (int64_t r = 0; r < n_records; ++r) f.tals.push_back({FixtureEdf::timekeeping(double(r))});
  return f;
}

}  // namespace efm::test
