#include "epilepsyfm/io/edf_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <thread>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/sha256.h"
#include "support/test_support.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::io {
namespace {

namespace fs = std::filesystem;

// A minimal EDF(+)/BDF(+) parser for checking what the writer produced (independent of any reader library).
struct ParsedEdf {
  std::string version, patient, recording, startdate, starttime, reserved;
  int64_t header_bytes = 0, n_records = 0, ns = 0;
  double record_duration = 0;
  struct Signal {
    std::string label, unit, prefilter, transducer;
    double pmin = 0, pmax = 0;
    int64_t dmin = 0, dmax = 0, spr = 0;
  };
  std::vector<Signal> signals;
  std::vector<std::vector<int64_t>> digital;  // per signal, all records
  std::string annotation_bytes;               // concatenated annotation signal bytes
};

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

ParsedEdf parse(const fs::path& path) {
  const std::string b = read_file(path);
  ParsedEdf e;
  auto field = [&](size_t off, size_t len) { return trim(b.substr(off, len)); };
  e.version = b.substr(0, 8);
  e.patient = field(8, 80);
  e.recording = field(88, 80);
  e.startdate = field(168, 8);
  e.starttime = field(176, 8);
  e.header_bytes = std::stoll(field(184, 8));
  e.reserved = field(192, 44);
  e.n_records = std::stoll(field(236, 8));
  e.record_duration = std::stod(field(244, 8));
  e.ns = std::stoll(field(252, 4));
  const size_t ns = size_t(e.ns);
  e.signals.resize(ns);
  size_t off = 256;
  auto each = [&](size_t len, auto&& set) {
    for (size_t i = 0; i < ns; ++i) set(e.signals[i], field(off + i * len, len));
    off += ns * len;
  };
  each(16, [](auto& s, const std::string& v) { s.label = v; });
  each(80, [](auto& s, const std::string& v) { s.transducer = v; });
  each(8, [](auto& s, const std::string& v) { s.unit = v; });
  each(8, [](auto& s, const std::string& v) { s.pmin = std::stod(v); });
  each(8, [](auto& s, const std::string& v) { s.pmax = std::stod(v); });
  each(8, [](auto& s, const std::string& v) { s.dmin = std::stoll(v); });
  each(8, [](auto& s, const std::string& v) { s.dmax = std::stoll(v); });
  each(80, [](auto& s, const std::string& v) { s.prefilter = v; });
  each(8, [](auto& s, const std::string& v) { s.spr = std::stoll(v); });
  const bool bdf = uint8_t(b[0]) == 0xFF;
  const size_t bps = bdf ? 3 : 2;
  e.digital.resize(ns);
  size_t pos = size_t(e.header_bytes);
  for (int64_t r = 0; r < e.n_records; ++r) {
    for (size_t i = 0; i < ns; ++i) {
      const size_t n = size_t(e.signals[i].spr);
      if (e.signals[i].label == (bdf ? "BDF Annotations" : "EDF Annotations")) {
        e.annotation_bytes += b.substr(pos, n * bps);
      } else {
        for (size_t k = 0; k < n; ++k) {
          const auto* p = reinterpret_cast<const uint8_t*>(b.data() + pos + k * bps);
          int64_t v = bdf ? (int64_t(p[0]) | (int64_t(p[1]) << 8) | (int64_t(int8_t(p[2])) << 16))
                          : int64_t(int16_t(uint16_t(p[0]) | (uint16_t(p[1]) << 8)));
          e.digital[i].push_back(v);
        }
      }
      pos += n * bps;
    }
  }
  EXPECT_EQ(pos, b.size()) << "file size must be header + records x record bytes";
  return e;
}

double to_physical(const ParsedEdf::Signal& s, int64_t d) {
  return (double(d) - double(s.dmin)) * (s.pmax - s.pmin) / double(s.dmax - s.dmin) + s.pmin;
}

EdfSignalSpec spec(const std::string& label, int64_t spr, double pmin, double pmax) {
  EdfSignalSpec s;
  s.label = label;
  s.samples_per_record = spr;
  s.physical_min = pmin;
  s.physical_max = pmax;
  return s;
}

std::vector<EdfSignalSpec> two_signals(int64_t spr, double range = 3200) {
  return {spec("FP1", spr, -range, range), spec("FP2", spr, -range, range)};
}

// Writes `records` records of a ramp (FP1) and a sine (FP2) and returns the values written.
std::vector<std::vector<double>> write_test_file(const fs::path& path, EdfWriterOptions opt, int64_t spr, int records,
                                                 double range = 3200) {
  EdfWriter w(path, opt, two_signals(spr, range));
  std::vector<std::vector<double>> all(2);
  std::vector<double> a(static_cast<size_t>(spr)), b(static_cast<size_t>(spr));
  for (int r = 0; r < records; ++r) {
    for (int64_t k = 0; k < spr; ++k) {
      const double t = double(r * spr + k);
      a[k] = -1000.0 + 0.37 * t;
      b[k] = 123.456 * std::sin(0.1 * t);
      all[0].push_back(a[k]);
      all[1].push_back(b[k]);
    }
    w.write_record({a.data(), b.data()});
  }
  w.add_annotation({12.5, 40.0, "seizure_focal"});
  w.add_annotation({3.25, -1, "blink"});
  w.close();
  return all;
}

TEST(EdfWriter, HeaderFieldsAreEdfPlusAndAnonymous) {
  test::TempDir dir;
  write_test_file(dir / "a.edf", {}, 256, 3);
  const auto e = parse(dir / "a.edf");
  EXPECT_EQ(e.version, "0       ");
  EXPECT_EQ(e.patient, "X X X X");
  EXPECT_EQ(e.recording.rfind("Startdate 01-JAN-2000 X X", 0), 0u) << e.recording;
  EXPECT_EQ(e.startdate, "01.01.00");
  EXPECT_EQ(e.starttime, "00.00.00");
  EXPECT_EQ(e.reserved, "EDF+C");
  EXPECT_EQ(e.n_records, 3);
  EXPECT_DOUBLE_EQ(e.record_duration, 1.0);
  ASSERT_EQ(e.ns, 3);  // 2 data signals + "EDF Annotations"
  EXPECT_EQ(e.header_bytes, 256 * 4);
  EXPECT_EQ(e.signals[0].label, "FP1");
  EXPECT_EQ(e.signals[1].label, "FP2");
  EXPECT_EQ(e.signals[2].label, "EDF Annotations");
  EXPECT_EQ(e.signals[0].unit, "uV");
  EXPECT_EQ(e.signals[0].spr, 256);
  EXPECT_DOUBLE_EQ(e.signals[0].pmin, -3200);
  EXPECT_DOUBLE_EQ(e.signals[0].pmax, 3200);
  EXPECT_EQ(e.signals[0].dmin, -32768);
  EXPECT_EQ(e.signals[0].dmax, 32767);
}

TEST(EdfWriter, SamplesComeBackWithinHalfAnLsb) {
  test::TempDir dir;
  const auto written = write_test_file(dir / "a.edf", {}, 200, 4);
  const auto e = parse(dir / "a.edf");
  for (int i = 0; i < 2; ++i) {
    const auto& s = e.signals[i];
    const double lsb = (s.pmax - s.pmin) / double(s.dmax - s.dmin);
    ASSERT_EQ(e.digital[i].size(), written[i].size());
    double worst = 0;
    for (size_t k = 0; k < written[i].size(); ++k) {
      worst = std::max(worst, std::fabs(to_physical(s, e.digital[i][k]) - written[i][k]));
    }
    // Rounding to the nearest step: at most LSB/2 (plus double rounding noise far below 1e-9 uV).
    EXPECT_LE(worst, lsb / 2 + 1e-9) << s.label;
    EXPECT_GT(worst, lsb / 4) << "rounding should use most of the half-step budget on a ramp/sine";
  }
}

TEST(EdfWriter, AnnotationsAreSortedTimestampedAnnotationLists) {
  test::TempDir dir;
  write_test_file(dir / "a.edf", {}, 64, 3);
  const auto e = parse(dir / "a.edf");
  // Record 0 carries the time-keeping TAL "+0\x14\x14\0" then the earliest annotation (sorted by onset).
  const std::string& a = e.annotation_bytes;
  EXPECT_EQ(a.rfind(std::string("+0\x14\x14\0", 5), 0), 0u);
  // EDFlib prints 4 decimals when the onset or duration is not a whole second.
  const auto blink = a.find(
      "+3.2500\x14"
      "blink\x14");
  const auto seizure = a.find(
      "+12.5000\x15"
      "40\x14"
      "seizure_focal\x14");
  ASSERT_NE(blink, std::string::npos);
  ASSERT_NE(seizure, std::string::npos);
  EXPECT_LT(blink, seizure);
}

TEST(EdfWriter, ClipsAndCountsOutOfRangeValues) {
  test::TempDir dir;
  EdfWriter w(dir / "c.edf", {}, two_signals(4, 100));
  const std::vector<double> a{-150, -100, 100, 250}, b{0, 1, 2, 3};
  w.write_record({a.data(), b.data()});
  EXPECT_EQ(w.clipped_samples(), 2);
  w.close();
  const auto e = parse(dir / "c.edf");
  EXPECT_EQ(e.digital[0], (std::vector<int64_t>{-32768, -32768, 32767, 32767}));
}

TEST(EdfWriter, FileAppearsOnlyOnCloseAndNothingIsLeftWhenAbandoned) {
  test::TempDir dir;
  {
    EdfWriter w(dir / "x.edf", {}, two_signals(8));
    const std::vector<double> a(8, 1.0);
    w.write_record({a.data(), a.data()});
    EXPECT_FALSE(fs::exists(dir / "x.edf"));
  }  // destroyed without close (as during an exception)
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(EdfWriter, SameInputGivesIdenticalBytes) {
  test::TempDir dir;
  write_test_file(dir / "a.edf", {}, 128, 5);
  write_test_file(dir / "b.edf", {}, 128, 5);
  EXPECT_EQ(sha256_file(dir / "a.edf"), sha256_file(dir / "b.edf"));
}

TEST(EdfWriter, BdfPlusUses24BitSamples) {
  test::TempDir dir;
  EdfWriterOptions opt;
  opt.type = EdfFileType::bdf_plus;
  const auto written = write_test_file(dir / "a.bdf", opt, 100, 2);
  const auto e = parse(dir / "a.bdf");
  EXPECT_EQ(uint8_t(e.version[0]), 0xFF);
  EXPECT_EQ(e.version.substr(1), "BIOSEMI");
  EXPECT_EQ(e.reserved, "BDF+C");
  EXPECT_EQ(e.signals[0].dmin, -8388608);
  EXPECT_EQ(e.signals[0].dmax, 8388607);
  const auto& s = e.signals[1];
  const double lsb = (s.pmax - s.pmin) / double(s.dmax - s.dmin);
  for (size_t k = 0; k < written[1].size(); ++k) {
    EXPECT_NEAR(to_physical(s, e.digital[1][k]), written[1][k], lsb / 2 + 1e-9);
  }
}

TEST(EdfWriter, RecordDurationOtherThanOneSecond) {
  test::TempDir dir;
  EdfWriterOptions opt;
  opt.record_duration_s = 0.5;
  write_test_file(dir / "a.edf", opt, 128, 4);
  const auto e = parse(dir / "a.edf");
  EXPECT_DOUBLE_EQ(e.record_duration, 0.5);
  EXPECT_EQ(e.n_records, 4);
}

TEST(EdfWriter, HeaderNumbersFollowEdflibFormatting) {
  // EDFlib 1.23 truncates decimals when it prints the 8-character header fields.
  EXPECT_DOUBLE_EQ(edflib_header_number(-3200), -3200);
  EXPECT_DOUBLE_EQ(edflib_header_number(0.5), 0.5);
  EXPECT_DOUBLE_EQ(edflib_header_number(3276.7), 3276.699);
  EXPECT_DOUBLE_EQ(edflib_header_number(-3276.8), -3276.8);  // binary -3276.80000000000018: no truncation
  EXPECT_DOUBLE_EQ(edflib_header_number(-3276.7), -3276.69);
  EXPECT_DOUBLE_EQ(edflib_header_number(1234567.89), 1234567);
  // ... and the writer converts with the value actually stored, so a reader still gets LSB/2 accuracy.
  test::TempDir dir;
  const auto written = write_test_file(dir / "a.edf", {}, 50, 2, 3276.7);
  const auto e = parse(dir / "a.edf");
  EXPECT_DOUBLE_EQ(e.signals[0].pmax, 3276.699);
  const auto& s = e.signals[0];
  const double lsb = (s.pmax - s.pmin) / double(s.dmax - s.dmin);
  for (size_t k = 0; k < written[0].size(); ++k) {
    EXPECT_NEAR(to_physical(s, e.digital[0][k]), written[0][k], lsb / 2 + 1e-9);
  }
}

TEST(EdfWriter, RefusesWhatEdflibWouldSilentlyTruncateOrDrop) {
  test::TempDir dir;
  EXPECT_THAT([&] { EdfWriter(dir / "a.edf", {}, {spec("A-LABEL-LONGER-THAN-16", 4, -1, 1)}); },
              ThrowsMessage<ArgumentError>(HasSubstr("label 'A-LABEL-LONGER-THAN-16' must be 1-16")));
  EXPECT_THAT([&] { EdfWriter(dir / "a.edf", {}, {spec("FP1", 4, 5, 5)}); },
              ThrowsMessage<ArgumentError>(HasSubstr("physical range [5, 5] is empty")));
  EdfWriterOptions long_text;
  long_text.recording_additional = std::string(40, 'x');
  EXPECT_THAT([&] { EdfWriter(dir / "a.edf", long_text, two_signals(4)); },
              ThrowsMessage<ArgumentError>(HasSubstr("exceed the 39 characters")));
  EdfWriter w(dir / "a.edf", {}, two_signals(4));
  EXPECT_THAT(
      [&] {
        w.add_annotation({1, 1, std::string(41, 'a')});
      },
      ThrowsMessage<ArgumentError>(HasSubstr("has 41 bytes; EDFlib writes at most 40")));
  EXPECT_THAT(
      [&] {
        w.add_annotation({-1, 1, "x"});
      },
      ThrowsMessage<ArgumentError>(HasSubstr("onset -1 s must be >= 0")));
  const std::vector<double> ok(4, 0.0), bad{0, std::numeric_limits<double>::quiet_NaN(), 0, 0};
  EXPECT_THAT([&] { w.write_record({ok.data()}); },
              ThrowsMessage<ArgumentError>(HasSubstr("got 1 signals; the file has 2")));
  EXPECT_THAT(
      [&] {
        w.write_record({ok.data(), bad.data()});
      },
      ThrowsMessage<DataError>(HasSubstr("signal 'FP2' record 0 sample 1 is nan")));
}

TEST(EdfWriter, EmptyFileAndAnnotationOverflowAreErrors) {
  test::TempDir dir;
  {
    EdfWriter w(dir / "empty.edf", {}, two_signals(4));
    EXPECT_THAT([&] { w.close(); }, ThrowsMessage<DataError>(HasSubstr("no data records were written")));
  }
  {
    EdfWriter w(dir / "full.edf", {}, two_signals(4));
    const std::vector<double> a(4, 0.0);
    w.write_record({a.data(), a.data()});
    w.write_record({a.data(), a.data()});
    for (int i = 0; i < 3; ++i) w.add_annotation({0.5 * i, 0.1, "event"});
    EXPECT_THAT([&] { w.close(); },
                ThrowsMessage<DataError>(HasSubstr("3 annotations do not fit into 2 data records x 1 annotation")));
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(EdfWriter, WritersOnSeveralThreads) {
  test::TempDir dir;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] { write_test_file(dir / ("t" + std::to_string(t) + ".edf"), {}, 256, 20); });
  }
  for (auto& th : threads) th.join();
  const std::string ref = sha256_file(dir / "t0.edf");
  for (int t = 1; t < 4; ++t) EXPECT_EQ(sha256_file(dir / ("t" + std::to_string(t) + ".edf")), ref);
}

}  // namespace
}  // namespace efm::io
