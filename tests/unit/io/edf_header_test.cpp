// Header parser and consistency checks on synthetic files written byte by byte (tests/unit/io/edf_fixture.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/core/error.h"
#include "io/detail/edf_header.h"
#include "support/test_support.h"
#include "unit/io/edf_fixture.h"

namespace efm::io::detail {
namespace {

using test::FixtureEdf;
using test::FixtureSignal;
using test::good_edf_plus;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::ThrowsMessage;

std::filesystem::path write(const test::TempDir& dir, const FixtureEdf& f, const std::string& name = "a.edf") {
  const auto p = dir / name;
  f.write(p);
  return p;
}

TEST(EdfHeader, GoodEdfPlusFile) {
  test::TempDir dir;
  const auto p = write(dir, good_edf_plus(3));
  const EdfHeader h = read_edf_header(p);
  EXPECT_FALSE(h.bdf);
  EXPECT_TRUE(h.plus);
  EXPECT_FALSE(h.discontinuous);
  EXPECT_EQ(h.format, "EDF+C");
  EXPECT_EQ(h.header_bytes, 256 * 4);
  EXPECT_EQ(h.n_records, 3);
  EXPECT_EQ(h.record_bytes, (8 + 4 + 30) * 2);
  EXPECT_EQ(h.file_bytes, 256 * 4 + 3 * (8 + 4 + 30) * 2);
  EXPECT_DOUBLE_EQ(h.record_duration_s, 1.0);
  ASSERT_EQ(h.signals.size(), 3u);
  EXPECT_THAT(h.data_signals, ElementsAre(0, 1));
  EXPECT_THAT(h.annotation_signals, ElementsAre(2));
  EXPECT_EQ(h.signals[0].label, "EEG Fp1-REF");
  EXPECT_EQ(h.signals[1].unit, "mV");
  EXPECT_EQ(h.signals[1].digital_min, -2048);
  EXPECT_DOUBLE_EQ(h.signals[1].physical_max, 5.0);
  EXPECT_EQ(h.signals[1].byte_offset, 16);
  EXPECT_EQ(h.signals[2].byte_offset, 24);
  EXPECT_DOUBLE_EQ(h.sfreq_hz(0), 8.0);
  EXPECT_DOUBLE_EQ(h.max_sfreq_hz(), 8.0);
  EXPECT_THAT(h.deviations, IsEmpty());
}

TEST(EdfHeader, TruncatedByOneRecordNamesFileAndBothSizes) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus(3);
  f.truncate_bytes = (8 + 4 + 30) * 2;  // exactly one record missing
  const auto p = write(dir, f);
  const int64_t expected = 256 * 4 + 3 * 84, actual = expected - 84;
  EXPECT_THAT([&] { read_edf_header(p); },
              ThrowsMessage<DataError>(
                  AllOf(HasSubstr(p.string()), HasSubstr(fmt::format("file size {} bytes", actual)),
                        HasSubstr(fmt::format("= {} bytes", expected)), HasSubstr("84 bytes missing, 1 records"))));
}

TEST(EdfHeader, ExtraBytesAreRefused) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus(2);
  f.extra_bytes = 10;
  const auto p = write(dir, f);
  EXPECT_THAT([&] { read_edf_header(p); }, ThrowsMessage<DataError>(HasSubstr("10 bytes too many")));
}

TEST(EdfHeader, PhysicalMinEqualsMaxNamesTheSignal) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus();
  f.signals[1].physical_min = f.signals[1].physical_max = 5.0;
  const auto p = write(dir, f);
  EXPECT_THAT([&] { read_edf_header(p); },
              ThrowsMessage<DataError>(AllOf(HasSubstr(p.string()), HasSubstr("signal 'EEG C3-REF' (#1)"),
                                             HasSubstr("physical minimum equals physical maximum (5)"))));
}

TEST(EdfHeader, NonFinitePhysicalRange) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus();
  f.signals[0].physical_max_text = "nan";
  EXPECT_THAT([&] { read_edf_header(write(dir, f)); },
              ThrowsMessage<DataError>(AllOf(HasSubstr("signal 'EEG Fp1-REF' (#0)"),
                                             HasSubstr("physical minimum/maximum '-3276.8'/'nan' are not finite"))));
}

TEST(EdfHeader, DigitalMinNotBelowMaxNamesTheSignal) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus();
  f.signals[0].digital_min = 100, f.signals[0].digital_max = 100;
  EXPECT_THAT([&] { read_edf_header(write(dir, f)); },
              ThrowsMessage<DataError>(AllOf(HasSubstr("signal 'EEG Fp1-REF' (#0)"),
                                             HasSubstr("digital minimum (100) must be below digital maximum (100)"))));
  f.signals[0].digital_min = 200;
  EXPECT_THAT([&] { read_edf_header(write(dir, f, "b.edf")); },
              ThrowsMessage<DataError>(HasSubstr("digital minimum (200) must be below digital maximum (100)")));
}

TEST(EdfHeader, ZeroRecordDurationWithDataSignals) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus();
  f.record_duration = "0";
  EXPECT_THAT([&] { read_edf_header(write(dir, f)); },
              ThrowsMessage<DataError>(HasSubstr("record duration is 0 s but the file has 2 data signal(s)")));
}

TEST(EdfHeader, ZeroRecordDurationIsFineForAnnotationOnlyFiles) {
  test::TempDir dir;
  FixtureEdf f;
  f.reserved = "EDF+C";
  f.record_duration = "0";
  f.n_records = 1;
  FixtureSignal t;
  t.label = "EDF Annotations";
  t.unit = "";
  t.annotation = true;
  t.samples_per_record = 40;
  f.signals = {t};
  f.tals = {{FixtureEdf::timekeeping(0) + FixtureEdf::tal(0, "Sleep stage W", 30)}};
  const EdfHeader h = read_edf_header(write(dir, f));
  EXPECT_THAT(h.data_signals, IsEmpty());
  EXPECT_EQ(h.format, "EDF+C");
}

TEST(EdfHeader, HeaderSizeFieldMustMatchSignalCount) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus();
  f.header_bytes_text = "768";
  EXPECT_THAT([&] { read_edf_header(write(dir, f)); },
              ThrowsMessage<DataError>(HasSubstr("header size field says 768 bytes but 3 signals need 256 x (3 + 1) = "
                                                 "1024 bytes")));
}

TEST(EdfHeader, NotAnEdfFile) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus();
  f.version = "PK";
  EXPECT_THAT([&] { read_edf_header(write(dir, f)); },
              ThrowsMessage<DataError>(HasSubstr("not an EDF/BDF file: the version field is 'PK      '")));
  EXPECT_EQ(sniff_edf_kind(dir / "a.edf"), EdfKind::other);
  EXPECT_THAT([&] { sniff_edf_kind(dir / "missing.edf"); }, ThrowsMessage<DataError>(HasSubstr("no such file")));
}

TEST(EdfHeader, ShorterThanFixedHeader) {
  test::TempDir dir;
  const auto p = dir / "short.edf";
  { std::ofstream(p, std::ios::binary) << "0       abc"; }
  EXPECT_THAT([&] { read_edf_header(p); },
              ThrowsMessage<DataError>(HasSubstr("file is 11 bytes, shorter than the 256-byte EDF/BDF header")));
}

TEST(EdfHeader, ZeroSamplesPerRecord) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus();
  f.signals[1].spr_text = "0";
  EXPECT_THAT([&] { read_edf_header(write(dir, f)); },
              ThrowsMessage<DataError>(HasSubstr("signal 'EEG C3-REF' (#1): samples per data record '0' is not a "
                                                 "positive integer")));
}

TEST(EdfHeader, UnknownRecordCountIsInferredFromTheSize) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus(4);
  f.n_records_text = "-1";
  const EdfHeader h = read_edf_header(write(dir, f));
  EXPECT_EQ(h.n_records, 4);
  EXPECT_THAT(h.deviations, ElementsAre(HasSubstr("-1 (recording not closed); 4 records inferred")));
}

TEST(EdfHeader, DeviationsOfRealWorldWriters) {
  test::TempDir dir;
  // The EEGMMIDB (BCI2000) pattern: annotation signal with unit '-' and a prefilter text.
  FixtureEdf f = good_edf_plus();
  f.signals[2].unit = "-";
  f.signals[2].prefilter = "HP:0Hz LP:0Hz N:0Hz";
  EdfHeader h = read_edf_header(write(dir, f, "bci.edf"));
  EXPECT_THAT(h.deviations,
              ElementsAre(HasSubstr("non-blank unit field '-'"), HasSubstr("non-blank prefilter field 'HP:0Hz")));
  // The neonatal pattern: "EDF+C_Online" without an annotation signal -> plain EDF.
  FixtureEdf g = good_edf_plus();
  g.reserved = "EDF+C_Online";
  g.signals.pop_back();
  g.tals.clear();
  h = read_edf_header(write(dir, g, "online.edf"));
  EXPECT_FALSE(h.plus);
  EXPECT_EQ(h.format, "EDF");
  EXPECT_THAT(h.deviations, ElementsAre(HasSubstr("reserved field 'EDF+C_Online' has text after 'EDF+C'"),
                                        HasSubstr("says EDF+C but there is no 'EDF Annotations' signal")));
  // The eegio pattern: blank identification fields in an EDF+ file.
  FixtureEdf k = good_edf_plus();
  k.patient = "";
  k.recording = "";
  h = read_edf_header(write(dir, k, "blank.edf"));
  EXPECT_THAT(h.deviations, ElementsAre(HasSubstr("patient identification field does not have the 4 subfields"),
                                        HasSubstr("recording identification field does not start with 'Startdate'")));
  // EDF+D without an annotation signal cannot place its records: refused.
  FixtureEdf d = g;
  d.reserved = "EDF+D";
  EXPECT_THAT([&] { read_edf_header(write(dir, d, "d.edf")); },
              ThrowsMessage<DataError>(HasSubstr("onsets of the data records are unknown")));
}

TEST(EdfHeader, IdentifyingFieldsAreNeverCopied) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus();
  f.patient = "Jane\xe9 Doe 01-JAN-1970";  // non-ASCII and not 4 subfields: two deviations, content not quoted
  f.recording = "Hospital St. Elsewhere";
  f.start_date = "1/1/2000";
  const EdfHeader h = read_edf_header(write(dir, f));
  ASSERT_EQ(h.deviations.size(), 4u);
  for (const auto& d : h.deviations) {
    EXPECT_THAT(d, ::testing::Not(HasSubstr("Jane")));
    EXPECT_THAT(d, ::testing::Not(HasSubstr("Elsewhere")));
    EXPECT_THAT(d, ::testing::Not(HasSubstr("2000")));
  }
}

TEST(EdfHeader, LatinOneUnitsAndLenientNumbers) {
  test::TempDir dir;
  FixtureEdf f = good_edf_plus();
  f.signals[0].unit = "\xb5V";  // Latin-1 micro sign
  f.signals[0].physical_min_text = " -3276,8";
  f.signals[0].digital_min_text = "-32768.0";
  const EdfHeader h = read_edf_header(write(dir, f));
  EXPECT_EQ(h.signals[0].unit, "\xc2\xb5V");
  EXPECT_DOUBLE_EQ(h.signals[0].physical_min, -3276.8);
  EXPECT_EQ(h.signals[0].digital_min, -32768);
  EXPECT_THAT(h.deviations, ElementsAre(HasSubstr("unit/transducer/prefilter fields contain non-ASCII bytes"),
                                        HasSubstr("1 numeric header field(s) start with spaces"),
                                        HasSubstr("1 numeric header field(s) use a decimal comma"),
                                        HasSubstr("1 integer header field(s) are written with a fraction")));
}

TEST(EdfHeader, BdfHeader) {
  test::TempDir dir;
  FixtureEdf f;
  f.bdf = true;
  f.reserved = "24BIT";
  FixtureSignal s;
  s.label = "A1";
  s.digital_min = -8388608, s.digital_max = 8388607;
  s.physical_min = -262144, s.physical_max = 262143;
  s.samples_per_record = 6;
  f.signals = {s};
  const EdfHeader h = read_edf_header(write(dir, f, "a.bdf"));
  EXPECT_TRUE(h.bdf);
  EXPECT_EQ(h.format, "BDF");
  EXPECT_EQ(h.bytes_per_sample, 3);
  EXPECT_EQ(h.record_bytes, 18);
  EXPECT_THAT(h.deviations, IsEmpty());
  EXPECT_EQ(sniff_edf_kind(dir / "a.bdf"), EdfKind::bdf);
}

}  // namespace
}  // namespace efm::io::detail
