// open_recording / read_annotations on synthetic files: policies, EDFlib and BioSig paths, EDF+D segments, units,
// argument checks, concurrency, a BrainVision triplet.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <thread>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/sha256.h"
#include "epilepsyfm/io/reader.h"
#include "support/test_support.h"
#include "unit/io/brainvision_fixture.h"
#include "unit/io/edf_fixture.h"

namespace efm::io {
namespace {

using test::FixtureEdf;
using test::FixtureSignal;
using test::good_edf_plus;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::ThrowsMessage;

std::filesystem::path write(const test::TempDir& dir, const FixtureEdf& f, const std::string& name = "a.edf") {
  const auto p = dir / name;
  f.write(p);
  return p;
}

std::vector<double> read_all(SignalSource& src, int signal) {
  std::vector<double> x(size_t(src.info().signals[size_t(signal)].n_samples));
  src.read(signal, 0, int64_t(x.size()), x.data());
  return x;
}

/// Compares a signal read from `src` with the fixture's digital values through EDFlib's formula, times `uv`.
/// `rel_tol`: relative to the physical range (EDFlib parses header numbers with its own atof, BioSig computes
/// Cal * d + Off instead of bitvalue * (offset + d): both differ from the fixture's doubles by a few ulp only).
void expect_signal(SignalSource& src, int signal, const FixtureSignal& s, int64_t n_records, double uv,
                   double rel_tol = 1e-12) {
  const auto x = read_all(src, signal);
  ASSERT_EQ(int64_t(x.size()), n_records * s.samples_per_record);
  const double tol = rel_tol * std::max(std::fabs(s.physical_min), std::fabs(s.physical_max)) * uv;
  for (int64_t r = 0; r < n_records; ++r)
    for (int k = 0; k < s.samples_per_record; ++k)
      ASSERT_NEAR(x[size_t(r * s.samples_per_record + k)], s.physical(s.digital(r, k)) * uv, tol)
          << "signal " << signal << " record " << r << " sample " << k;
}

/// A conformant EDF+C file EDFlib refuses: the EEGMMIDB pattern (annotation signal with a prefilter text).
FixtureEdf refused_by_edflib() {
  FixtureEdf f = good_edf_plus(4);
  f.signals[2].prefilter = "HP:0Hz";
  f.tals[1].back() += FixtureEdf::tal(1.25, "spike", 0.5);
  return f;
}

TEST(Reader, GoodFileThroughEdflib) {
  test::TempDir dir;
  const FixtureEdf f = good_edf_plus(5);
  auto src = open_recording(write(dir, f), {ReaderPolicy::strict});
  const RecordingInfo& info = src->info();
  EXPECT_EQ(info.reader, "edflib");
  EXPECT_EQ(info.format, "EDF+C");
  EXPECT_THAT(info.edflib_refusal, IsEmpty());
  EXPECT_THAT(info.deviations, IsEmpty());
  ASSERT_EQ(info.signals.size(), 2u);
  EXPECT_EQ(info.signals[0].label, "EEG Fp1-REF");
  EXPECT_DOUBLE_EQ(info.signals[0].sfreq_hz, 8.0);
  EXPECT_DOUBLE_EQ(info.signals[1].sfreq_hz, 4.0);  // signals with different rates
  EXPECT_EQ(info.signals[1].n_samples, 20);
  EXPECT_EQ(info.signals[0].microvolts_per_unit, 1.0);
  EXPECT_EQ(info.signals[1].microvolts_per_unit, 1000.0);  // mV -> uV
  EXPECT_DOUBLE_EQ(info.signals[1].lsb(), 10.0 / 4095.0);
  EXPECT_EQ(info.n_records, 5);
  EXPECT_DOUBLE_EQ(info.duration_s, 5.0);
  ASSERT_EQ(info.segments.size(), 1u);
  EXPECT_EQ(info.segments[0].n_records, 5);
  expect_signal(*src, 0, f.signals[0], 5, 1.0);
  expect_signal(*src, 1, f.signals[1], 5, 1000.0);
  // A request across record boundaries equals the same slice of a whole read.
  const auto all = read_all(*src, 0);
  std::vector<double> part(11);
  src->read(0, 5, 11, part.data());
  EXPECT_EQ(part, std::vector<double>(all.begin() + 5, all.begin() + 16));
}

TEST(Reader, EdflibDecodingEqualsBlockDecodingBitForBit) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus(7);
  f.signals[0].physical_min = -1234.56, f.signals[0].physical_max = 987.6543;
  f.signals[0].digital_min = -30000, f.signals[0].digital_max = 31000;
  const auto p = write(dir, f);
  auto block = open_recording(p, {ReaderPolicy::strict, EdfDecode::block});
  auto lib = open_recording(p, {ReaderPolicy::strict, EdfDecode::edflib});
  for (int s = 0; s < 2; ++s) {
    const auto a = read_all(*block, s), b = read_all(*lib, s);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << "signal " << s << " sample " << i;
  }
  std::vector<double> x(3), y(3);
  block->read(0, 9, 3, x.data());
  lib->read(0, 9, 3, y.data());
  EXPECT_EQ(x, y);
}

TEST(Reader, Bdf24BitThroughEdflib) {
  test::TempDir dir;
  FixtureEdf f;
  f.bdf = true;
  FixtureSignal s;
  s.label = "A1";
  s.digital_min = -8388608, s.digital_max = 8388607;
  s.physical_min = -262144, s.physical_max = 262143;
  s.samples_per_record = 6;
  FixtureSignal st = s;
  st.label = "Status";
  st.unit = "Boolean";  // not a voltage: passed through in its own unit
  f.signals = {s, st};
  auto src = open_recording(write(dir, f, "a.bdf"), {ReaderPolicy::strict});
  EXPECT_EQ(src->info().format, "BDF");
  EXPECT_EQ(src->info().signals[1].microvolts_per_unit, 0.0);
  expect_signal(*src, 0, s, 3, 1.0);
  expect_signal(*src, 1, st, 3, 1.0);
  EXPECT_LT(read_all(*src, 0)[0], 0.0);  // sign extension of 24-bit samples
}

TEST(Reader, DigitalSamplesOutsideTheDeclaredRangeAreReportedNotClipped) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus(3);
  FixtureSignal& s = f.signals[0];
  s.digital_min = -100, s.digital_max = 100;
  s.physical_min = -50, s.physical_max = 50;
  s.write_shift = 150;  // written values 50..250: most are above the declared maximum
  const auto p = write(dir, f);
  auto block = open_recording(p, {ReaderPolicy::strict, EdfDecode::block});
  EXPECT_THAT(
      block->info().deviations,
      ElementsAre(AllOf(HasSubstr("1 signal(s) have digital samples outside their declared digital range"),
                        HasSubstr("'EEG Fp1-REF'"), HasSubstr("declared -100..100"), HasSubstr("not clipped"))));
  expect_signal(*block, 0, s, 3, 1.0);  // unclipped, as MNE
  // EDFlib's own decoding clips to the declared range.
  auto lib = open_recording(p, {ReaderPolicy::strict, EdfDecode::edflib});
  const auto x = read_all(*lib, 0);
  for (size_t i = 0; i < x.size(); ++i) {
    const double unclipped = s.physical(s.digital(int64_t(i) / 8, int64_t(i) % 8));
    ASSERT_NEAR(x[i], std::min(unclipped, 50.0), 1e-9) << i;
  }
}

TEST(Reader, PlainEdfWithAnAnnotationSignal) {
  // Reserved field blank, yet an "EDF Annotations" signal: EDFlib reads it as plain EDF (the annotation signal is an
  // ordinary signal to it); epilepsyfm reads its TALs as in EDF+C and lists the deviation.
  test::TempDir dir;
  FixtureEdf f = good_edf_plus(3);
  f.reserved = "";
  f.tals[1].back() += FixtureEdf::tal(1.5, "event");
  const auto p = write(dir, f);
  for (EdfDecode decode : {EdfDecode::block, EdfDecode::edflib}) {
    auto src = open_recording(p, {ReaderPolicy::strict, decode});
    EXPECT_EQ(src->info().reader, "edflib");
    EXPECT_EQ(src->info().format, "EDF+C");
    ASSERT_EQ(src->info().signals.size(), 2u);
    EXPECT_THAT(src->info().deviations, ElementsAre(HasSubstr("plain EDF header (reserved field not EDF+C/EDF+D) "
                                                              "with 1 annotation signal(s)")));
    ASSERT_EQ(src->info().annotations.size(), 1u);
    EXPECT_EQ(src->info().annotations[0].text, "event");
    expect_signal(*src, 0, f.signals[0], 3, 1.0);
    expect_signal(*src, 1, f.signals[1], 3, 1000.0);
  }
}

TEST(Reader, EdflibResourceErrorsAreNotFormatRefusals) {
  // The 'edflib' decode mode keeps the file open in EDFlib, which refuses to open the same file twice: that is an
  // error, not a reason to fall back to BioSig.
  test::TempDir dir;
  const auto p = write(dir, good_edf_plus(2));
  auto first = open_recording(p, {ReaderPolicy::tolerant, EdfDecode::edflib});
  for (EdfDecode decode : {EdfDecode::edflib, EdfDecode::block})
    EXPECT_THAT(
        [&] {
          open_recording(p, {ReaderPolicy::tolerant, decode});
        },
        ThrowsMessage<DataError>(HasSubstr("file is already open in EDFlib")));
  first.reset();
  // Block decoding closes EDFlib's handle right after validation: the same file can be open many times.
  auto a = open_recording(p, {ReaderPolicy::tolerant, EdfDecode::block});
  auto b = open_recording(p, {ReaderPolicy::tolerant, EdfDecode::block});
  EXPECT_EQ(a->info().reader, "edflib");
  EXPECT_EQ(b->info().reader, "edflib");
}

TEST(Reader, StrictRefusesWhatEdflibRefusesWithItsReason) {
  test::TempDir dir;
  const auto p = write(dir, refused_by_edflib());
  EXPECT_THAT([&] { open_recording(p, {ReaderPolicy::strict}); },
              ThrowsMessage<DataError>(AllOf(
                  HasSubstr(p.string()), HasSubstr("EDFlib 1.23 refused it: file contains format errors (error -3)"),
                  HasSubstr("non-blank prefilter field 'HP:0Hz'"), HasSubstr("use policy 'tolerant'"))));
}

TEST(Reader, TolerantReadsRefusedFileThroughBiosig) {
  test::TempDir dir;
  const FixtureEdf f = refused_by_edflib();
  const auto p = write(dir, f);
  if (!biosig_available()) {
    EXPECT_THAT([&] { open_recording(p); },
                ThrowsMessage<DataError>(AllOf(HasSubstr("file contains format errors"),
                                               HasSubstr("rebuild with -DEFM_WITH_BIOSIG=ON (libbiosig-dev)"))));
    return;
  }
  auto src = open_recording(p);
  const RecordingInfo& info = src->info();
  EXPECT_EQ(info.reader, "biosig");
  EXPECT_THAT(info.edflib_refusal, AllOf(HasSubstr("file contains format errors"), HasSubstr("prefilter")));
  EXPECT_THAT(info.deviations, ElementsAre(HasSubstr("non-blank prefilter field 'HP:0Hz'")));
  // Annotations come from the TAL parser on either path.
  ASSERT_EQ(info.annotations.size(), 1u);
  EXPECT_DOUBLE_EQ(info.annotations[0].onset_s, 1.25);
  EXPECT_DOUBLE_EQ(info.annotations[0].duration_s, 0.5);
  EXPECT_EQ(info.annotations[0].text, "spike");
  const auto direct = read_annotations(p);
  ASSERT_EQ(direct.size(), 1u);
  EXPECT_EQ(direct[0].text, "spike");
  // BioSig computes Cal * d + Off: a few ulp from EDFlib's formula.
  expect_signal(*src, 0, f.signals[0], 4, 1.0, 1e-12);
  expect_signal(*src, 1, f.signals[1], 4, 1000.0, 1e-12);
}

// Chunked reads that start past block 0 (BioSig 2.5's sread needs a workaround there; see biosig_reader.cpp): a
// file of 300 records with 2 x 2048 samples per record exceeds the BioSig reader's minimum block (2^19 values), so
// 10-record chunks across both signals make it read from non-zero blocks.
TEST(Reader, ChunkedReadsPastTheFirstBlockThroughBiosig) {
  if (!biosig_available()) GTEST_SKIP() << "needs the BioSig reader (EFM_WITH_BIOSIG=OFF in this build)";
  test::TempDir dir;
  FixtureEdf f = refused_by_edflib();
  f.n_records = 300;
  f.signals[0].samples_per_record = 2048;
  f.signals[1].samples_per_record = 1024;
  f.tals.clear();
  for (int64_t r = 0; r < f.n_records; ++r) f.tals.push_back({FixtureEdf::timekeeping(double(r))});
  auto src = open_recording(write(dir, f));
  ASSERT_EQ(src->info().reader, "biosig");
  std::vector<std::vector<double>> chunked(2);
  for (int64_t r = 0; r < f.n_records; r += 10) {
    for (int s = 0; s < 2; ++s) {
      const int64_t spr = f.signals[size_t(s)].samples_per_record;
      std::vector<double> x(size_t(10 * spr));
      src->read(s, r * spr, 10 * spr, x.data());
      chunked[size_t(s)].insert(chunked[size_t(s)].end(), x.begin(), x.end());
    }
  }
  for (int s = 0; s < 2; ++s) {
    const FixtureSignal& fs = f.signals[size_t(s)];
    const double uv = s == 1 ? 1000.0 : 1.0;
    const double tol = 1e-12 * std::max(std::fabs(fs.physical_min), std::fabs(fs.physical_max)) * uv;
    for (int64_t r = 0; r < f.n_records; ++r)
      for (int k = 0; k < fs.samples_per_record; ++k)
        ASSERT_NEAR(chunked[size_t(s)][size_t(r * fs.samples_per_record + k)], fs.physical(fs.digital(r, k)) * uv, tol)
            << "signal " << s << " record " << r << " sample " << k;
  }
}

/// EDF+D: records at 0, 1 | gap | 5, 6 s.
FixtureEdf discontinuous(std::vector<double> onsets) {
  FixtureEdf f = good_edf_plus(int64_t(onsets.size()));
  f.reserved = "EDF+D";
  f.tals.clear();
  for (double o : onsets) f.tals.push_back({FixtureEdf::timekeeping(o)});
  return f;
}

TEST(Reader, EdfPlusDStrictRefusalNamesTheTolerantPolicy) {
  test::TempDir dir;
  const auto p = write(dir, discontinuous({0, 1, 5, 6}));
  EXPECT_THAT([&] { open_recording(p, {ReaderPolicy::strict}); },
              ThrowsMessage<DataError>(AllOf(HasSubstr("EDF+D/BDF+D (discontinuous), which EDFlib does not read"),
                                             HasSubstr("EDF+D files are read by the tolerant reader policy"),
                                             HasSubstr("use policy 'tolerant'"))));
}

TEST(Reader, EdfPlusDGapsBecomeSegmentsWithTrueOnsets) {
  test::TempDir dir;
  const FixtureEdf f = discontinuous({0, 1, 5, 6, 6.5 + 0.5});  // 7 = contiguous after 6
  const auto p = write(dir, f);
  if (!biosig_available()) GTEST_SKIP() << "EDF+D needs the BioSig reader (EFM_WITH_BIOSIG=OFF in this build)";
  auto src = open_recording(p);
  const RecordingInfo& info = src->info();
  EXPECT_EQ(info.reader, "biosig");
  EXPECT_EQ(info.format, "EDF+D");
  ASSERT_EQ(info.segments.size(), 2u);
  EXPECT_DOUBLE_EQ(info.segments[0].onset_s, 0.0);
  EXPECT_EQ(info.segments[0].first_record, 0);
  EXPECT_EQ(info.segments[0].n_records, 2);
  EXPECT_DOUBLE_EQ(info.segments[1].onset_s, 5.0);
  EXPECT_EQ(info.segments[1].first_record, 2);
  EXPECT_EQ(info.segments[1].n_records, 3);
  EXPECT_DOUBLE_EQ(info.duration_s, 8.0);
  EXPECT_THAT(info.deviations, IsEmpty());
  expect_signal(*src, 0, f.signals[0], 5, 1.0);  // samples in file order, gaps not filled
}

TEST(Reader, EdfPlusDOverlapsAndMissingOnsetsAreErrors) {
  test::TempDir dir;
  const auto p = write(dir, discontinuous({0, 0.5, 2}));
  EXPECT_THAT([&] { open_recording(p); },
              ThrowsMessage<DataError>(HasSubstr("data record 1 starts at 0.5 s, before the end of record 0 (1 s)")));
  FixtureEdf g = discontinuous({0, 1, 2});
  g.tals[2] = {FixtureEdf::tal(2, "no time-keeping")};
  EXPECT_THAT([&] { open_recording(write(dir, g, "b.edf")); },
              ThrowsMessage<DataError>(HasSubstr("data record 2 has no time-keeping TAL, so its onset is unknown")));
}

TEST(Reader, EdfPlusCWithGapInTalsIsSplitNotGlued) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus(3);
  f.tals[2] = {FixtureEdf::timekeeping(4)};
  const auto p = write(dir, f);
  std::unique_ptr<SignalSource> src;
  try {
    src = open_recording(p);
  } catch (const DataError& e) {
    ASSERT_FALSE(biosig_available()) << e.what();
    GTEST_SKIP() << "EDFlib refuses the inconsistent EDF+C file and BioSig is not built in";
  }
  const RecordingInfo& info = src->info();
  ASSERT_EQ(info.segments.size(), 2u);
  EXPECT_DOUBLE_EQ(info.segments[1].onset_s, 4.0);
  EXPECT_EQ(info.segments[1].first_record, 2);
  EXPECT_THAT(info.deviations, ::testing::Contains(HasSubstr("time-keeping TALs show 1 gap(s) (first: record 2 at 4 s "
                                                             "instead of 2 s): split into segments, not glued")));
}

TEST(Reader, AnnotationOnlyFile) {
  test::TempDir dir;
  FixtureEdf f;
  f.reserved = "EDF+C";
  f.record_duration = "0";
  f.n_records = 1;
  FixtureSignal t;
  t.label = "EDF Annotations";
  t.unit = "";
  t.annotation = true;
  t.samples_per_record = 60;
  f.signals = {t};
  f.tals = {{FixtureEdf::timekeeping(0) + FixtureEdf::tal(0, "Sleep stage W", 30) +
             FixtureEdf::tal(30, "Sleep stage 1", 60)}};
  const auto p = write(dir, f);
  EXPECT_THAT([&] { open_recording(p); },
              ThrowsMessage<DataError>(AllOf(HasSubstr(p.string()), HasSubstr("no data signals"))));
  const auto ann = read_annotations(p);
  ASSERT_EQ(ann.size(), 2u);
  EXPECT_EQ(ann[1].text, "Sleep stage 1");
  EXPECT_DOUBLE_EQ(ann[1].onset_s, 30.0);
  EXPECT_DOUBLE_EQ(ann[1].duration_s, 60.0);
}

TEST(Reader, EmptyRecording) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus(0);
  EXPECT_THAT([&] { open_recording(write(dir, f)); },
              ThrowsMessage<DataError>(HasSubstr("empty recording: the header says 0 data records")));
}

TEST(Reader, HeaderCheckRunsBeforeAnyLibrary) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus(3);
  f.extra_bytes = 100;  // BioSig alone would read this file without complaint
  const auto p = write(dir, f);
  for (auto policy : {ReaderPolicy::strict, ReaderPolicy::tolerant})
    EXPECT_THAT([&] { open_recording(p, {policy}); },
                ThrowsMessage<DataError>(HasSubstr("does not match the size the header promises")));
}

TEST(Reader, VoltageUnitsToMicrovoltsOthersPassedThrough) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus(2);
  f.signals[0].unit = "V";
  f.signals[0].physical_min = -0.5, f.signals[0].physical_max = 0.5;
  f.signals[1].unit = "%";
  auto src = open_recording(write(dir, f), {ReaderPolicy::strict});
  EXPECT_EQ(src->info().signals[0].microvolts_per_unit, 1e6);
  EXPECT_FALSE(src->info().signals[1].is_voltage());
  expect_signal(*src, 0, f.signals[0], 2, 1e6);
  expect_signal(*src, 1, f.signals[1], 2, 1.0);
}

TEST(Reader, ReadArgumentsAreChecked) {
  test::TempDir dir;
  auto src = open_recording(write(dir, good_edf_plus(2)));
  std::vector<double> x(100);
  EXPECT_THAT([&] { src->read(2, 0, 1, x.data()); },
              ThrowsMessage<ArgumentError>(HasSubstr("data signal index 2 is out of range (the recording has 2")));
  EXPECT_THAT([&] { src->read(0, 10, 7, x.data()); },
              ThrowsMessage<ArgumentError>(HasSubstr("samples [10, 17) of signal 'EEG Fp1-REF' are out of range (it "
                                                     "has 16 samples)")));
  EXPECT_THAT([&] { src->read(0, -1, 1, x.data()); }, ThrowsMessage<ArgumentError>(HasSubstr("out of range")));
  src->read(0, 16, 0, x.data());  // empty read at the end is fine
}

/// read_block() output for `signals` over [start, start + count), column stride ld, against float(read()).
void expect_block_equals_read(SignalSource& src, const std::vector<int>& signals, int64_t start, int64_t count,
                              int64_t ld) {
  std::vector<float> block(static_cast<size_t>(count * ld), -7.0f);
  src.read_block(signals, start, count, block.data(), ld);
  std::vector<double> x(static_cast<size_t>(count));
  for (size_t k = 0; k < signals.size(); ++k) {
    src.read(signals[k], start, count, x.data());
    for (int64_t t = 0; t < count; ++t) {
      // Bit-identical: the same double arithmetic, then one rounding to float.
      ASSERT_EQ(block[size_t(t * ld) + k], static_cast<float>(x[size_t(t)]))
          << "signal " << signals[k] << " sample " << start + t;
    }
    for (int64_t t = 0; t < count; ++t) {
      for (int64_t pad = int64_t(signals.size()); pad < ld; ++pad) ASSERT_EQ(block[size_t(t * ld + pad)], -7.0f);
    }
  }
}

// read_block: the EDF block decoder's one-pass path (signals with equal samples per record, any order, mV scaled to
// uV) and the default per-signal path (different rates; BioSig) return read()'s values rounded to float.
TEST(Reader, ReadBlockEqualsReadRoundedToFloat) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus(6);
  FixtureSignal c = f.signals[1];  // mV, 4 samples per record
  c.label = "EEG C4-REF";
  c.physical_min = -3.3, c.physical_max = 7.1;
  f.signals.insert(f.signals.begin() + 2, c);
  auto src = open_recording(write(dir, f), {ReaderPolicy::strict});
  ASSERT_EQ(src->info().signals.size(), 3u);
  expect_block_equals_read(*src, {1, 2}, 0, 24, 2);
  expect_block_equals_read(*src, {2, 1}, 3, 14, 5);  // across record boundaries, padded columns untouched
  expect_block_equals_read(*src, {0}, 5, 30, 1);
  expect_block_equals_read(*src, {0, 1}, 0, 24, 3);  // 8 and 4 samples per record: the default path
  std::vector<float> out(64);
  EXPECT_THAT(
      [&] {
        src->read_block({1, 2}, 0, 4, out.data(), 1);
      },
      ThrowsMessage<ArgumentError>(HasSubstr("leading dimension 1 is smaller than the 2 signals requested")));
  EXPECT_THAT(
      [&] {
        src->read_block({1, 2}, 20, 5, out.data(), 2);
      },
      ThrowsMessage<ArgumentError>(HasSubstr("samples [20, 25) of signal 'EEG C3-REF' are out of range")));
  EXPECT_THAT(
      [&] {
        src->read_block({1, 3}, 0, 1, out.data(), 2);
      },
      ThrowsMessage<ArgumentError>(HasSubstr("data signal index 3 is out of range")));
  if (biosig_available()) {
    const FixtureEdf r = refused_by_edflib();
    auto bio = open_recording(write(dir, r, "refused.edf"));
    ASSERT_EQ(bio->info().reader, "biosig");
    expect_block_equals_read(*bio, {1}, 1, 10, 2);
  }
}

// ReaderOptions::sha256: the EDF/BDF scan hashes header and records (several scan blocks: 8 MB each) and gives
// sha256_file()'s digest; without the option, or for files without records, the field is empty / still correct.
TEST(Reader, Sha256FromTheOpenScanEqualsSha256File) {
  test::TempDir dir;
  FixtureEdf big = good_edf_plus(1);
  big.signals[0].samples_per_record = 2 * 1024 * 1024;  // 4 MB per record: 5 records span three scan blocks
  big.n_records = 5;
  big.tals.clear();
  for (int64_t r = 0; r < big.n_records; ++r) big.tals.push_back({FixtureEdf::timekeeping(double(r))});
  for (const auto& [name, f] :
       std::vector<std::pair<std::string, FixtureEdf>>{{"big.edf", big}, {"small.edf", good_edf_plus(3)}}) {
    SCOPED_TRACE(name);
    const auto p = write(dir, f, name);
    ReaderOptions o;
    o.sha256 = true;
    auto src = open_recording(p, o);
    EXPECT_EQ(src->info().sha256, sha256_file(p));
    EXPECT_THAT(open_recording(p)->info().sha256, IsEmpty());
  }
  if (biosig_available()) {  // EDFlib refuses it, BioSig reads it: the scan ran first, so the digest is there
    const auto p = write(dir, refused_by_edflib(), "refused.edf");
    ReaderOptions o;
    o.sha256 = true;
    auto src = open_recording(p, o);
    EXPECT_EQ(src->info().reader, "biosig");
    EXPECT_EQ(src->info().sha256, sha256_file(p));
  }
}

TEST(Reader, NothingIdentifyingReachesRecordingInfo) {
  test::TempDir dir;
  FixtureEdf f = refused_by_edflib();
  f.patient = "MRN12345 F 02-MAR-1961 Jane_Doe";
  f.recording = "Startdate 01-JAN-2000 EEG0001 Dr_Who StGeorge";
  f.signals[0].transducer = "AgAgCl";
  std::unique_ptr<SignalSource> src;
  try {
    src = open_recording(write(dir, f));
  } catch (const DataError& e) {  // without BioSig: the error text is checked instead
    for (const char* secret : {"MRN12345", "Jane", "1961", "Dr_Who", "StGeorge", "EEG0001"})
      EXPECT_THAT(std::string(e.what()), Not(HasSubstr(secret)));
    return;
  }
  std::string all = src->info().format + src->info().reader + src->info().edflib_refusal;
  for (const auto& d : src->info().deviations) all += d;
  for (const auto& s : src->info().signals) all += s.label + s.unit + s.transducer + s.prefilter;
  for (const char* secret : {"MRN12345", "Jane", "1961", "Dr_Who", "StGeorge", "EEG0001"})
    EXPECT_THAT(all, Not(HasSubstr(secret)));
}

TEST(Reader, LibraryVersions) {
  const std::string v = reader_library_versions();
  EXPECT_THAT(v, HasSubstr("EDFlib 1.23"));
  EXPECT_EQ(v.find("BioSig not built in") == std::string::npos, biosig_available());
}

TEST(Reader, UnknownFormat) {
  test::TempDir dir;
  const auto p = dir / "notes.txt";
  std::ofstream(p) << "this is not EEG\n";
  if (biosig_available()) {
    EXPECT_THAT([&] { open_recording(p); },
                ThrowsMessage<DataError>(AllOf(HasSubstr(p.string()), HasSubstr("BioSig cannot read it"))));
  } else {
    EXPECT_THAT([&] { open_recording(p); },
                ThrowsMessage<DataError>(HasSubstr("rebuild with -DEFM_WITH_BIOSIG=ON (libbiosig-dev)")));
  }
  EXPECT_THAT([&] { open_recording(dir / "missing.edf"); }, ThrowsMessage<DataError>(HasSubstr("no such file")));
}

// Opening and reading 8 different files from 4 threads gives the same samples as sequential reads (EDFlib and
// BioSig calls are serialised inside the io layer).
TEST(Reader, ConcurrentReadsEqualSequentialReads) {
  test::TempDir dir;
  std::vector<std::filesystem::path> paths;
  for (int i = 0; i < 8; ++i) {
    FixtureEdf f = (i % 4 == 3) ? refused_by_edflib() : good_edf_plus(20 + i);
    f.signals[0].label = "EEG F" + std::to_string(i);  // different samples per file
    paths.push_back(write(dir, f, "f" + std::to_string(i) + ".edf"));
  }
  for (EdfDecode decode : {EdfDecode::block, EdfDecode::edflib}) {
    const ReaderOptions opt{biosig_available() ? ReaderPolicy::tolerant : ReaderPolicy::strict, decode};
    auto read_file = [&](const std::filesystem::path& p) {
      std::vector<std::vector<double>> out;
      auto src = open_recording(p, opt);
      for (int s = 0; s < int(src->info().signals.size()); ++s) out.push_back(read_all(*src, s));
      return out;
    };
    std::vector<std::vector<std::vector<double>>> sequential, parallel(paths.size());
    std::vector<size_t> readable;
    for (size_t i = 0; i < paths.size(); ++i) {
      if (!biosig_available() && i % 4 == 3) continue;
      readable.push_back(i);
    }
    for (size_t i : readable) sequential.push_back(read_file(paths[i]));
    std::vector<std::thread> threads;
    std::vector<std::string> errors(4);
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        try {
          for (int rep = 0; rep < 3; ++rep)
            for (size_t k = size_t(t); k < readable.size(); k += 4)
              parallel[readable[k]] = read_file(paths[readable[k]]);
        } catch (const std::exception& e) {
          errors[size_t(t)] = e.what();
        }
      });
    }
    for (auto& th : threads) th.join();
    for (const auto& e : errors) EXPECT_EQ(e, "");
    for (size_t k = 0; k < readable.size(); ++k) EXPECT_EQ(parallel[readable[k]], sequential[k]) << paths[readable[k]];
  }
}

// BrainVision Core Data Format 1.0 triplet written by the test (tests/unit/io/brainvision_fixture.h).
TEST(Reader, BrainVisionTripletThroughBiosig) {
  if (!biosig_available()) GTEST_SKIP() << "BrainVision needs the BioSig reader (EFM_WITH_BIOSIG=OFF in this build)";
  test::TempDir dir;
  using T = test::BrainVisionTriplet;
  const int n = T::kSamples, nch = T::kChannels;
  T::write(dir.path());
  auto src = open_recording(dir / "rec.vhdr");
  const RecordingInfo& info = src->info();
  EXPECT_EQ(info.reader, "biosig");
  EXPECT_EQ(info.format, "BrainVision");
  ASSERT_EQ(info.signals.size(), 3u);
  EXPECT_EQ(info.signals[0].label, "Fp1");
  EXPECT_EQ(info.signals[2].label, "ECG");
  for (int c = 0; c < nch; ++c) {
    EXPECT_DOUBLE_EQ(info.signals[size_t(c)].sfreq_hz, 250.0);
    ASSERT_EQ(info.signals[size_t(c)].n_samples, n);
    const double uv = c == 2 ? 1000.0 : 1.0;
    const auto x = read_all(*src, c);
    for (int i = 0; i < n; ++i)
      ASSERT_NEAR(x[size_t(i)], T::digital(c, i) * T::kResolution[c] * uv, 1e-9 * 2000 * T::kResolution[c] * uv)
          << "channel " << c << " " << i;
  }
  EXPECT_EQ(info.signals[2].unit, "mV");  // BioSig 2.5 alone reports uV here
  // Markers as MNE names them ("<Type>/<Description>", 0-based onsets, size / rate as duration). BioSig alone
  // garbles the markers after a "New Segment" marker without a date field, as written here.
  ASSERT_EQ(info.annotations.size(), 3u);
  EXPECT_EQ(info.annotations[0].text, "New Segment/");
  EXPECT_DOUBLE_EQ(info.annotations[0].onset_s, 0.0);
  EXPECT_EQ(info.annotations[1].text, "Stimulus/S  1");
  EXPECT_DOUBLE_EQ(info.annotations[1].onset_s, 0.4);
  EXPECT_DOUBLE_EQ(info.annotations[1].duration_s, 0.004);
  EXPECT_EQ(info.annotations[2].text, "Comment/seizure onset");
  EXPECT_DOUBLE_EQ(info.annotations[2].onset_s, 1.0);
  EXPECT_DOUBLE_EQ(info.annotations[2].duration_s, 0.2);
  EXPECT_EQ(read_annotations(dir / "rec.vhdr").size(), 3u);
  EXPECT_THAT([&] { open_recording(dir / "rec.eeg"); },
              ThrowsMessage<DataError>(HasSubstr("pass the .vhdr header file")));
}

// Non-finite sample values (possible in floating-point formats) are a per-file error naming signal and sample.
TEST(Reader, NonFiniteSamplesAreAnError) {
  if (!biosig_available()) GTEST_SKIP() << "needs the BioSig reader (EFM_WITH_BIOSIG=OFF in this build)";
  test::TempDir dir;
  {
    std::ofstream v(dir / "nan.vhdr");
    v << "Brain Vision Data Exchange Header File Version 1.0\n\n[Common Infos]\nDataFile=nan.eeg\nDataFormat=BINARY\n"
         "DataOrientation=MULTIPLEXED\nNumberOfChannels=1\nSamplingInterval=10000\n\n[Binary Infos]\n"
         "BinaryFormat=IEEE_FLOAT_32\n\n[Channel Infos]\nCh1=Cz,,1,\xc2\xb5V\n";
    std::ofstream e(dir / "nan.eeg", std::ios::binary);
    for (int i = 0; i < 100; ++i) {
      const float x = i == 42 ? std::nanf("") : float(i);
      e.write(reinterpret_cast<const char*>(&x), sizeof x);
    }
  }
  auto src = open_recording(dir / "nan.vhdr");
  std::vector<double> x(40);
  src->read(0, 0, 40, x.data());
  EXPECT_EQ(x[39], 39.0);
  EXPECT_EQ(src->info().signals[0].lsb(), 0.0);  // floating-point samples: no digital range
  std::vector<double> all(100);
  EXPECT_THAT([&] { src->read(0, 0, 100, all.data()); },
              ThrowsMessage<DataError>(AllOf(HasSubstr("nan.vhdr"), HasSubstr("signal 'Cz' has a non-finite value"),
                                             HasSubstr("at sample 42"))));
}

}  // namespace
}  // namespace efm::io
