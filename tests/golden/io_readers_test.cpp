// Golden tests of the recording readers on the real files under ../shared/data against MNE-Python.
// Reference: scripts/golden/mne_read_reference.py (Debian python3-mne 1.3), run at test time with /usr/bin/python3.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <thread>

#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/io/reader.h"
#include "io/detail/edf_file.h"
#include "io/detail/readers.h"
#include "support/test_support.h"
#include "unit/io/brainvision_fixture.h"

namespace efm::io {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

struct Reference {
  struct Channel {
    int64_t n_samples = 0;
    double sfreq_hz = 0;
    std::string name;
    bool stim = false;
  };
  std::vector<Channel> channels;
  std::map<int, std::vector<std::pair<int64_t, double>>> samples;  // channel -> (index, value in file unit)
  std::vector<Annotation> annotations;
};

Reference parse_reference(const std::filesystem::path& csv_path) {
  const CsvTable t = read_csv(csv_path);
  Reference ref;
  for (const auto& row : t.rows) {
    const std::string& kind = row[0];
    if (kind == "channel") {
      const auto i = size_t(parse_int(row[1], "channel"));
      if (ref.channels.size() <= i) ref.channels.resize(i + 1);
      ref.channels[i].n_samples = parse_int(row[2], "n_samples");
      ref.channels[i].sfreq_hz = parse_double(row[3], "sfreq");
      ref.channels[i].name = row[4];
    } else if (kind == "stim") {
      ref.channels[size_t(parse_int(row[1], "stim"))].stim = true;
    } else if (kind == "sample") {
      ref.samples[int(parse_int(row[1], "channel"))].emplace_back(parse_int(row[2], "index"),
                                                                  parse_double(row[3], "value"));
    } else if (kind == "annotation") {
      ref.annotations.push_back({parse_double(row[2], "onset"), parse_double(row[3], "duration"), row[4]});
    }
  }
  return ref;
}

/// Runs the MNE reference script on `file` and parses its CSV.
Reference mne_reference(const std::string& py, const std::filesystem::path& file, bool annotations_only = false) {
  test::TempDir dir("mne_ref");
  const auto out = dir / "ref.csv";
  const auto script = test::source_dir() / "scripts" / "golden" / "mne_read_reference.py";
  const auto r = test::run_command(test::shell_quote(py) + " " + test::shell_quote(script.string()) + " " +
                                   test::shell_quote(file.string()) + (annotations_only ? " --annotations-only" : "") +
                                   " --out " + test::shell_quote(out.string()));
  if (r.exit_code != 0) throw std::runtime_error("reference script failed for " + file.string() + ":\n" + r.output);
  return parse_reference(out);
}

/// References for many files from one Python process (importing MNE costs seconds; the parameterised suite below
/// would pay it once per file). Results are cached per process; a file the script failed on throws its error.
Reference mne_reference_batched(const std::string& py, const std::filesystem::path& file,
                                const std::vector<std::filesystem::path>& all_files) {
  static std::map<std::string, std::string> made;  // path -> csv path, or "!error"
  static test::TempDir dir("mne_ref_batch");
  if (!made.count(file.string())) {
    std::string list;
    for (const auto& f : all_files) list += f.string() + "\n";
    std::ofstream(dir / "list.txt") << list;
    const auto script = test::source_dir() / "scripts" / "golden" / "mne_read_reference.py";
    const auto r = test::run_command(test::shell_quote(py) + " " + test::shell_quote(script.string()) + " --batch " +
                                     test::shell_quote((dir / "list.txt").string()) + " --out-dir " +
                                     test::shell_quote(dir.path().string()));
    if (r.exit_code != 0) throw std::runtime_error("batched reference script failed:\n" + r.output);
    for (size_t i = 0; i < all_files.size(); ++i) {
      const auto err = dir / (std::to_string(i) + ".err");
      made[all_files[i].string()] =
          std::filesystem::exists(err) ? "!" + read_file(err) : (dir / (std::to_string(i) + ".csv")).string();
    }
  }
  const std::string& got = made.at(file.string());
  if (!got.empty() && got[0] == '!')
    throw std::runtime_error("reference script failed for " + file.string() + ": " + got.substr(1));
  return parse_reference(got);
}

std::vector<Annotation> sorted(std::vector<Annotation> a) {
  std::stable_sort(a.begin(), a.end(), [](const Annotation& x, const Annotation& y) {
    return x.onset_s != y.onset_s ? x.onset_s < y.onset_s : x.text < y.text;
  });
  return a;
}

/// Annotation count, onsets, durations and texts equal MNE's (both sorted by onset, then text: MNE concatenates
/// multiple annotation signals channel by channel, we list them record by record). Tolerance 1 us: MNE keeps
/// onsets relative to a datetime meas_date with microsecond resolution (subsecond_starttime.edf: TAL onsets
/// 2.3457031 - 0.3945312 = 1.9511719 s, MNE 1.951172 s); durations are parsed from the same text by both.
void expect_same_annotations(const std::vector<Annotation>& ours, const std::vector<Annotation>& mne) {
  ASSERT_EQ(ours.size(), mne.size());
  const auto a = sorted(ours), b = sorted(mne);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i].onset_s, b[i].onset_s, 1e-6) << i << " " << b[i].text;
    EXPECT_NEAR(a[i].duration_s, b[i].duration_s, 1e-9) << i << " " << b[i].text;
    EXPECT_EQ(a[i].text, b[i].text) << i;
  }
}

/// Samples equal MNE's within half an LSB of the channel (in the file's unit), rates and lengths equal.
void expect_same_signals(SignalSource& src, const Reference& ref) {
  const RecordingInfo& info = src.info();
  ASSERT_EQ(info.signals.size(), ref.channels.size());
  size_t compared = 0;
  for (size_t c = 0; c < ref.channels.size(); ++c) {
    const SignalHeader& s = info.signals[c];
    EXPECT_NEAR(s.sfreq_hz, ref.channels[c].sfreq_hz, 1e-9 * ref.channels[c].sfreq_hz) << s.label;
    EXPECT_EQ(s.n_samples, ref.channels[c].n_samples) << s.label;
  }
  for (const auto& [c, values] : ref.samples) {
    const SignalHeader& s = info.signals[size_t(c)];
    std::vector<double> x(size_t(s.n_samples));
    src.read(c, 0, s.n_samples, x.data());
    const double to_file_unit = s.is_voltage() ? 1.0 / s.microvolts_per_unit : 1.0;
    const double half_lsb = 0.5 * std::fabs(s.lsb());
    for (const auto& [j, v] : values) {
      ASSERT_LT(j, s.n_samples);
      // Half an LSB. Floating-point formats (lsb() == 0): 2 float32 ulp (relative 2^-22), because MNE 1.3 applies
      // cal, offset and unit gain to GDF float32 samples in float32 (numpy keeps float32 arrays times Python
      // scalars): three roundings (test_1ch.gdf sample 2: stored -0.0088659999892 mV, MNE -0.0088660008259 mV).
      const double tol = half_lsb > 0 ? half_lsb + 1e-12 * std::fabs(v) : std::ldexp(std::fabs(v), -22);
      ASSERT_NEAR(x[size_t(j)] * to_file_unit, v, tol) << info.path << " signal " << s.label << " sample " << j;
      ++compared;
    }
  }
  EXPECT_GE(compared, std::min<size_t>(2000, ref.samples.size() * 200)) << "too few samples compared";
}

/// Reading 10-s chunks across all signals from a fresh source gives exactly the whole-signal reads of `src`.
void expect_chunked_reads_equal(SignalSource& src, const std::filesystem::path& path, const ReaderOptions& opt) {
  auto fresh = open_recording(path, opt);
  const RecordingInfo& info = src.info();
  for (size_t s = 0; s < info.signals.size(); ++s)
    ASSERT_EQ(fresh->info().signals[s].n_samples, info.signals[s].n_samples);
  std::vector<std::vector<double>> chunked(info.signals.size());
  const double chunk_s = 10.0;
  for (double t = 0; t < info.duration_s + chunk_s; t += chunk_s) {
    for (size_t s = 0; s < info.signals.size(); ++s) {
      const SignalHeader& sh = info.signals[s];
      const auto a = std::min<int64_t>(sh.n_samples, int64_t(std::llround(t * sh.sfreq_hz)));
      const auto b = std::min<int64_t>(sh.n_samples, int64_t(std::llround((t + chunk_s) * sh.sfreq_hz)));
      if (b <= a) continue;
      std::vector<double> x(size_t(b - a));
      fresh->read(int(s), a, b - a, x.data());
      chunked[s].insert(chunked[s].end(), x.begin(), x.end());
    }
  }
  for (size_t s = 0; s < info.signals.size(); ++s) {
    const SignalHeader& sh = info.signals[s];
    std::vector<double> whole(size_t(sh.n_samples));
    src.read(int(s), 0, sh.n_samples, whole.data());
    ASSERT_EQ(chunked[s].size(), whole.size()) << sh.label;
    ASSERT_TRUE(chunked[s] == whole) << path << " " << sh.label;
  }
}

struct GoldenCase {
  const char* file;
  const char* reader;  // expected: EDFlib refuses 6 of the 18 well-formed files outside Bonn and UPenn-Mayo
};

void PrintTo(const GoldenCase& c, std::ostream* os) {
  *os << c.file << " (" << c.reader << ")";
}

const std::vector<GoldenCase> kGoldenCases = {
    // The six files EDFlib 1.23 refuses (read through BioSig under the tolerant policy).
    GoldenCase{"eegmmidb_S001/S001R03.edf", "biosig"}, GoldenCase{"eegmmidb_S001/S001R04.edf", "biosig"},
    GoldenCase{"eegio_clinical_scalp_seizure/scalp_test.edf", "biosig"},
    GoldenCase{"neonatal_stevenson_edf/eeg_burst_eg.edf", "biosig"},
    GoldenCase{"edf_conformance_mne_testing/test_edf_overlapping_annotations.edf", "biosig"},
    GoldenCase{"edf_conformance_mne_testing/MB0400FU.EDF", "biosig"},
    // Files EDFlib accepts.
    GoldenCase{"michigan_malow_scalp_seizure/malow_umich_scalp_seizure_31ch_100hz.edf", "edflib"},
    GoldenCase{"bonn_andrzejak2001/edf/S/S001.edf", "edflib"},
    GoldenCase{"upenn_mayo_kaggle_seizure_detection/Dog_1/Dog_1_ictal_segment_1.edf", "edflib"},
    GoldenCase{"edf_conformance_mne_testing/chtypes_edf.edf", "edflib"},
    GoldenCase{"edf_conformance_mne_testing/test_reduced.edf", "edflib"},
    GoldenCase{"edf_conformance_mne_testing/multiple_annotation_chans.bdf", "edflib"},
    GoldenCase{"edf_conformance_mne_testing/test_bdf_stim_channel.bdf", "edflib"},
    GoldenCase{"edf_conformance_mne_testing/subsecond_starttime.edf", "edflib"},
    GoldenCase{"edf_conformance_mne_testing/test_utf8_annotations.edf", "edflib"},
    GoldenCase{"mne_misc_ieeg_epilepsy/sample_ecog.edf", "edflib"},
    GoldenCase{"mne_misc_ieeg_epilepsy/sample_seeg.edf", "edflib"},
    GoldenCase{"neonatal_stevenson_edf/demo.edf", "edflib"},
    GoldenCase{"ds003029_pt01_ecog_onset_ezfragility/pt01_sz1_onset_m1to2s.edf", "edflib"},
    // GDF goes to BioSig directly (MNE: read_raw_gdf).
    GoldenCase{"edf_conformance_mne_testing/test_1ch.gdf", "biosig"}};

class MneGolden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(MneGolden, SamplesRatesAndAnnotationsEqualMne) {
  EFM_REQUIRE_REAL_DATA();
  EFM_REQUIRE_PYTHON(py, "mne", "numpy");
  const auto path = test::real_file(GetParam().file);
  const std::string expected_reader = GetParam().reader;
  if (expected_reader == "biosig" && !biosig_available())
    GTEST_SKIP() << "needs the BioSig reader (EFM_WITH_BIOSIG=OFF in this build)";
  auto src = open_recording(path);
  EXPECT_EQ(src->info().reader, expected_reader);
  const bool edf = src->info().format.rfind("EDF", 0) == 0 || src->info().format.rfind("BDF", 0) == 0;
  if (expected_reader == "biosig" && edf) {
    EXPECT_THAT(src->info().edflib_refusal, HasSubstr("EDFlib 1.23 refused it"));
    EXPECT_THROW(open_recording(path, {ReaderPolicy::strict}), DataError);
  }
  std::vector<std::filesystem::path> all_files;
  for (const auto& c : kGoldenCases) all_files.push_back(test::real_file(c.file));
  const Reference ref = mne_reference_batched(py, path, all_files);
  expect_same_signals(*src, ref);
  expect_chunked_reads_equal(*src, path, {});
  expect_same_annotations(src->info().annotations, ref.annotations);
}

std::string case_name(const ::testing::TestParamInfo<GoldenCase>& info) {
  std::string n = std::filesystem::path(info.param.file).stem().string();
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Readers, MneGolden, ::testing::ValuesIn(kGoldenCases), case_name);

// The BrainVision triplet of the unit tests, read by MNE's read_raw_brainvision: values, names, rate, markers.
TEST(IoGolden, BrainVisionTripletEqualsMne) {
  if (!biosig_available()) GTEST_SKIP() << "needs the BioSig reader";
  EFM_REQUIRE_PYTHON(py, "mne", "numpy");
  test::TempDir dir;
  const auto vhdr = test::BrainVisionTriplet::write(dir.path());
  auto src = open_recording(vhdr);
  const Reference ref = mne_reference(py, vhdr);
  ASSERT_EQ(ref.channels.size(), 3u);
  for (size_t c = 0; c < 3; ++c) EXPECT_EQ(src->info().signals[c].label, ref.channels[c].name);
  expect_same_signals(*src, ref);
  expect_same_annotations(src->info().annotations, ref.annotations);
}

TEST(IoGolden, AnnotationOnlyHypnogram) {
  EFM_REQUIRE_REAL_DATA();
  EFM_REQUIRE_PYTHON(py, "mne");
  const auto path = test::real_file("edf_conformance_mne_testing/SC4001EC-Hypnogram.edf");
  EXPECT_THAT([&] { open_recording(path); }, ThrowsMessage<DataError>(HasSubstr("no data signals")));
  const auto ours = read_annotations(path);
  EXPECT_EQ(ours.size(), 154u);
  expect_same_annotations(ours, mne_reference(py, path, /*annotations_only=*/true).annotations);
}

TEST(IoGolden, ByteCorruptedFileIsRefusedWithTheSizeMismatch) {
  EFM_REQUIRE_REAL_DATA();
  const auto path = test::real_file("edf_conformance_mne_testing/malformed/S001R03_as_stored_crlf_corrupted.edf");
  for (auto policy : {ReaderPolicy::strict, ReaderPolicy::tolerant}) {
    EXPECT_THAT([&] { open_recording(path, {policy}); },
                ThrowsMessage<DataError>(AllOf(HasSubstr(path.string()), HasSubstr("file size 2607197 bytes"),
                                               HasSubstr("16896 header bytes + 125 records x 20640 bytes = 2596896"),
                                               HasSubstr("10301 bytes too many"))));
  }
  EXPECT_THROW(read_annotations(path), DataError);
}

TEST(IoGolden, DeviationsOfTheRefusedFiles) {
  EFM_REQUIRE_REAL_DATA();
  if (!biosig_available()) GTEST_SKIP() << "needs the BioSig reader";
  auto dev = [](const char* f) { return open_recording(test::real_file(f))->info().deviations; };
  using ::testing::Contains;
  EXPECT_THAT(dev("eegmmidb_S001/S001R03.edf"),
              AllOf(Contains(HasSubstr("non-blank unit field '-'")),
                    Contains(HasSubstr("non-blank prefilter field 'HP:0Hz LP:0Hz N:0Hz'"))));
  EXPECT_THAT(dev("eegio_clinical_scalp_seizure/scalp_test.edf"),
              AllOf(Contains(HasSubstr("patient identification field does not have the 4 subfields")),
                    Contains(HasSubstr("12 text(s) are bare time stamps"))));
  EXPECT_THAT(dev("neonatal_stevenson_edf/eeg_burst_eg.edf"),
              Contains(HasSubstr("says EDF+C but there is no 'EDF Annotations' signal")));
  auto mb = open_recording(test::real_file("edf_conformance_mne_testing/MB0400FU.EDF"));
  EXPECT_EQ(mb->info().format, "EDF+D");
  ASSERT_EQ(mb->info().segments.size(), 1u);  // EDF+D whose 29 records are contiguous
  EXPECT_EQ(mb->info().segments[0].n_records, 29);
  EXPECT_THAT(mb->info().edflib_refusal, HasSubstr("discontinuous"));
}

const char* const kEdflibAccepted[] = {
    "michigan_malow_scalp_seizure/malow_umich_scalp_seizure_31ch_100hz.edf",
    "edf_conformance_mne_testing/chtypes_edf.edf",
    "edf_conformance_mne_testing/test_reduced.edf",
    "edf_conformance_mne_testing/multiple_annotation_chans.bdf",
    "edf_conformance_mne_testing/test_bdf_stim_channel.bdf",
    "edf_conformance_mne_testing/subsecond_starttime.edf",
    "mne_misc_ieeg_epilepsy/sample_ecog.edf",
    "bonn_andrzejak2001/edf/S/S001.edf",
};

// The block decoder reproduces EDFlib's edfread_physical_samples bit for bit on real files, except that EDFlib
// clips digital samples outside the declared digital range (test_reduced.edf has such samples).
TEST(IoGolden, BlockDecodingEqualsEdflibBitForBit) {
  EFM_REQUIRE_REAL_DATA();
  for (const char* f : kEdflibAccepted) {
    auto block = open_recording(test::real_file(f), {ReaderPolicy::strict, EdfDecode::block});
    auto lib = open_recording(test::real_file(f), {ReaderPolicy::strict, EdfDecode::edflib});
    int64_t clipped = 0;
    for (int s = 0; s < int(block->info().signals.size()); ++s) {
      const SignalHeader& sh = block->info().signals[size_t(s)];
      std::vector<double> a(static_cast<size_t>(sh.n_samples)), b(a.size());
      block->read(s, 0, sh.n_samples, a.data());
      lib->read(s, 0, sh.n_samples, b.data());
      // EDFlib clips to the digital limits, whose physical values are the declared physical range.
      const double lo = std::min(sh.physical_min, sh.physical_max), hi = std::max(sh.physical_min, sh.physical_max);
      const double uv = sh.is_voltage() ? sh.microvolts_per_unit : 1.0;
      for (size_t i = 0; i < a.size(); ++i) {
        const double tol = 1e-9 * std::max(std::fabs(lo), std::fabs(hi)) * uv;
        if (a[i] < lo * uv - tol || a[i] > hi * uv + tol) {  // outside the declared range: EDFlib clipped it
          ASSERT_NEAR(b[i], a[i] < lo * uv ? lo * uv : hi * uv, tol) << f << " " << sh.label << " " << i;
          ++clipped;
        } else {
          ASSERT_EQ(a[i], b[i]) << f << " " << sh.label << " sample " << i;
        }
      }
    }
    const auto& dev = block->info().deviations;
    const bool reported = std::any_of(dev.begin(), dev.end(), [](const std::string& d) {
      return d.find("outside their declared digital range") != std::string::npos;
    });
    EXPECT_EQ(reported, clipped > 0) << f;
  }
}

// BioSig's decoding (incl. the multi-rate sample-and-hold layout of test_reduced.edf and BDF) equals the EDFlib
// path within half an LSB on the files both read.
TEST(IoGolden, BiosigDecodingEqualsEdflibOnAcceptedFiles) {
  EFM_REQUIRE_REAL_DATA();
  if (!biosig_available()) GTEST_SKIP() << "needs the BioSig reader";
#ifdef EFM_WITH_BIOSIG
  for (const char* f : kEdflibAccepted) {
    const auto path = test::real_file(f);
    auto lib = open_recording(path, {ReaderPolicy::strict});
    const detail::EdfHeader h = detail::read_edf_header(path);
    auto bio = detail::open_biosig_edf(h, lib->info());
    EXPECT_EQ(bio->info().reader, "biosig");
    for (int s = 0; s < int(lib->info().signals.size()); ++s) {
      const SignalHeader& sh = lib->info().signals[size_t(s)];
      std::vector<double> a(size_t(sh.n_samples)), b(size_t(sh.n_samples));
      lib->read(s, 0, sh.n_samples, a.data());
      bio->read(s, 0, sh.n_samples, b.data());
      const double tol = 0.5 * std::fabs(sh.lsb()) * (sh.is_voltage() ? sh.microvolts_per_unit : 1.0);
      for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], tol) << f << " " << sh.label << " " << i;
    }
  }
#endif
}

// Opening 8 different real files concurrently from 4 threads (EDFlib and BioSig paths) gives the same samples as
// sequential reads.
TEST(IoGolden, ConcurrentOpenAndReadEqualsSequential) {
  EFM_REQUIRE_REAL_DATA();
  std::vector<std::string> files = {
      "michigan_malow_scalp_seizure/malow_umich_scalp_seizure_31ch_100hz.edf",
      "edf_conformance_mne_testing/test_reduced.edf",
      "edf_conformance_mne_testing/multiple_annotation_chans.bdf",
      "mne_misc_ieeg_epilepsy/sample_ecog.edf",
      "upenn_mayo_kaggle_seizure_detection/Dog_1/Dog_1_interictal_segment_1.edf",
      "eegmmidb_S001/S001R03.edf",
      "eegio_clinical_scalp_seizure/scalp_test.edf",
      "edf_conformance_mne_testing/MB0400FU.EDF",
  };
  if (!biosig_available()) files.resize(5);
  for (EdfDecode decode : {EdfDecode::block, EdfDecode::edflib}) {
    const ReaderOptions opt{ReaderPolicy::tolerant, decode};
    auto read_file = [&](const std::string& f) {
      std::vector<std::vector<double>> out;
      auto src = open_recording(test::real_file(f), opt);
      for (int s = 0; s < int(src->info().signals.size()); ++s) {
        std::vector<double> x(size_t(src->info().signals[size_t(s)].n_samples));
        src->read(s, 0, int64_t(x.size()), x.data());
        out.push_back(std::move(x));
      }
      return out;
    };
    std::vector<std::vector<std::vector<double>>> sequential, parallel(files.size());
    for (const auto& f : files) sequential.push_back(read_file(f));
    std::vector<std::string> errors(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        try {
          for (size_t k = size_t(t); k < files.size(); k += 4) parallel[k] = read_file(files[k]);
        } catch (const std::exception& e) {
          errors[size_t(t)] = e.what();
        }
      });
    }
    for (auto& th : threads) th.join();
    for (const auto& e : errors) EXPECT_EQ(e, "");
    for (size_t k = 0; k < files.size(); ++k) EXPECT_TRUE(parallel[k] == sequential[k]) << files[k];
  }
}

}  // namespace
}  // namespace efm::io
