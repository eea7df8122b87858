#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/io/labels.h"
#include "support/test_support.h"

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::io {
namespace {
namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// ---- parsers ---------------------------------------------------------------------------------------------------

TEST(LabelParsers, CsvEventsWithOffsetsOrDurations) {
  test::TempDir dir;
  write(dir / "a.csv",
        "file,onset_s,offset_s,label\nrec1.edf,350.000,500.000,seizure\nrec1.edf,10,12,artifact\n"
        "sub/rec2.edf,0.5,1.5,spike\n");
  const LabelFile lf = read_label_file(dir / "a.csv");
  EXPECT_EQ(lf.format, LabelFormat::csv);
  ASSERT_EQ(lf.entries.size(), 2u);
  EXPECT_EQ(lf.entries[0].key, "rec1.edf");
  EXPECT_EQ(lf.entries[0].line, 2);
  ASSERT_EQ(lf.entries[0].events.size(), 2u);
  EXPECT_DOUBLE_EQ(lf.entries[0].events[0].onset_s, 350.0);
  EXPECT_DOUBLE_EQ(lf.entries[0].events[0].offset_s, 500.0);
  EXPECT_EQ(lf.entries[0].events[0].label, "seizure");
  EXPECT_EQ(lf.entries[0].events[1].source, "a.csv:3");
  EXPECT_EQ(lf.entries[1].key, "sub/rec2.edf");

  write(dir / "b.csv", "file,onset_s,duration_s,description\nx.edf,1.0,2.5,\"high amp RDA F4, C4\"\n");
  const LabelFile lb = read_label_file(dir / "b.csv");
  EXPECT_EQ(lb.format, LabelFormat::csv);
  EXPECT_DOUBLE_EQ(lb.entries[0].events[0].offset_s, 3.5);
  EXPECT_EQ(lb.entries[0].events[0].label, "high amp RDA F4, C4");
}

TEST(LabelParsers, CsvErrorsNameFileLineAndColumn) {
  test::TempDir dir;
  write(dir / "bad.csv", "file,onset_s,offset_s,label\nx.edf,abc,3,seizure\n");
  EXPECT_THAT([&] { read_label_file(dir / "bad.csv"); },
              ThrowsMessage<DataError>(HasSubstr("bad.csv:2: column 'onset_s': expected a number, got 'abc'")));
  write(dir / "rev.csv", "file,onset_s,offset_s,label\nx.edf,5,3,seizure\n");
  EXPECT_THAT([&] { read_label_file(dir / "rev.csv"); },
              ThrowsMessage<DataError>(HasSubstr("rev.csv:2: offset 3 s is before the onset 5 s")));
  write(dir / "cols.csv", "file,onset_s\n");
  EXPECT_THAT([&] { read_label_file(dir / "cols.csv", LabelFormat::whole_file); },
              ThrowsMessage<DataError>(HasSubstr("cols.csv: a whole_file label file needs the columns file,label; "
                                                 "found: file,onset_s")));
  write(dir / "what.csv", "name,value\na,1\n");
  EXPECT_THAT([&] { read_label_file(dir / "what.csv"); },
              ThrowsMessage<DataError>(HasSubstr("what.csv: unknown label file format (first line 'name,value')")));
}

TEST(LabelParsers, WholeFileLabels) {
  test::TempDir dir;
  write(dir / "labels.csv",
        "file,label,subject,seizure_event\nDog_1/a.edf,ictal,Dog_1,1\nDog_1/b.edf,interictal,Dog_1,\n");
  const LabelFile lf = read_label_file(dir / "labels.csv");
  EXPECT_EQ(lf.format, LabelFormat::whole_file);
  ASSERT_EQ(lf.entries.size(), 2u);
  EXPECT_TRUE(lf.entries[0].events[0].whole_file());
  EXPECT_EQ(lf.entries[0].events[0].label, "ictal");
  EXPECT_EQ(lf.entries[1].events[0].label, "interictal");
  write(dir / "dup.csv", "file,label\na.edf,x\na.edf,y\n");
  EXPECT_THAT([&] { read_label_file(dir / "dup.csv"); },
              ThrowsMessage<DataError>(HasSubstr("dup.csv:3: file 'a.edf' is labelled twice (first at line 2)")));
}

// A CHB-MIT summary in both the old ("Seizure Start Time") and new ("Seizure 1 Start Time") styles.
constexpr const char* kChbmit =
    "Data Sampling Rate: 256 Hz\n*************************\n\nChannels in EDF Files:\n"
    "**********************\nChannel 1: FP1-F7\n\nFile Name: chb05_01.edf\nFile Start Time: 17:20:05\n"
    "File End Time: 18:20:15\nNumber of Seizures in File: 0\n\nFile Name: chb05_06.edf\n"
    "File Start Time: 22:21:25\nFile End Time: 23:21:25\nNumber of Seizures in File: 1\n"
    "Seizure Start Time: 417 seconds\nSeizure End Time: 532 seconds\n\nFile Name: chb08_02.edf\n"
    "Number of Seizures in File: 2\nSeizure 1 Start Time: 2670 seconds\nSeizure 1 End Time: 2841 seconds\n"
    "Seizure 2 Start Time: 3000 seconds\nSeizure 2 End Time: 3010 seconds\n";

TEST(LabelParsers, ChbmitSummary) {
  test::TempDir dir;
  write(dir / "chb05-summary.txt", kChbmit);
  const LabelFile lf = read_label_file(dir / "chb05-summary.txt");
  EXPECT_EQ(lf.format, LabelFormat::chbmit);
  ASSERT_EQ(lf.entries.size(), 3u);
  EXPECT_EQ(lf.entries[0].key, "chb05_01.edf");
  EXPECT_TRUE(lf.entries[0].events.empty());  // listed without seizures: all background
  ASSERT_EQ(lf.entries[1].events.size(), 1u);
  EXPECT_DOUBLE_EQ(lf.entries[1].events[0].onset_s, 417);
  EXPECT_DOUBLE_EQ(lf.entries[1].events[0].offset_s, 532);
  EXPECT_EQ(lf.entries[1].events[0].label, "seizure");
  ASSERT_EQ(lf.entries[2].events.size(), 2u);
  EXPECT_DOUBLE_EQ(lf.entries[2].events[1].onset_s, 3000);
  EXPECT_TRUE(lf.warnings.empty());

  write(dir / "x-summary.txt",
        "File Name: a.edf\nNumber of Seizures in File: 2\nSeizure Start Time: 1 seconds\n"
        "Seizure End Time: 2 seconds\n");
  EXPECT_THAT(read_label_file(dir / "x-summary.txt").warnings,
              ElementsAre(HasSubstr("x-summary.txt:2: 'a.edf' declares 2 seizure(s) but lists 1")));
  write(dir / "y-summary.txt", "File Name: a.edf\nSeizure Start Time: 1 seconds\nFile Name: b.edf\n");
  EXPECT_THAT([&] { read_label_file(dir / "y-summary.txt"); },
              ThrowsMessage<DataError>(HasSubstr("y-summary.txt:3: seizure start at line 2 has no end time")));
}

TEST(LabelParsers, ChbmitRealSummaries) {
  EFM_REQUIRE_REAL_DATA();
  const LabelFile a = read_label_file(test::real_file("seizure_annotations_chbmit_siena/chb05-summary.txt"));
  const LabelFile b = read_label_file(test::real_file("seizure_annotations_chbmit_siena/chb08-summary.txt"));
  // PROVENANCE.md: chb05 39 files / 5 seizures, chb08 20 files / 5 seizures; seizures.csv lists the times.
  EXPECT_EQ(a.entries.size(), 39u);
  EXPECT_EQ(b.entries.size(), 20u);
  size_t na = 0, nb = 0;
  for (const auto& e : a.entries) na += e.events.size();
  for (const auto& e : b.entries) nb += e.events.size();
  EXPECT_EQ(na, 5u);
  EXPECT_EQ(nb, 5u);
  const LabelFile ref = read_label_file(test::real_file("seizure_annotations_chbmit_siena/seizures.csv"));
  for (const auto& r : ref.entries) {
    const std::string base = fs::path(r.key).filename().string();
    const LabelFile& src = base.rfind("chb05", 0) == 0 ? a : b;
    if (base.rfind("chb", 0) != 0) continue;
    const auto it =
        std::find_if(src.entries.begin(), src.entries.end(), [&](const LabelEntry& e) { return e.key == base; });
    ASSERT_NE(it, src.entries.end()) << base;
    ASSERT_EQ(it->events.size(), r.events.size()) << base;
    EXPECT_DOUBLE_EQ(it->events[0].onset_s, r.events[0].onset_s) << base;
    EXPECT_DOUBLE_EQ(it->events[0].offset_s, r.events[0].offset_s) << base;
  }
  EXPECT_TRUE(a.warnings.empty());
}

TEST(LabelParsers, SienaListWithMidnightAndTypoClipping) {
  test::TempDir dir;
  write(dir / "Seizures-list-PN99.txt",
        "PN99\r\n\r\nData Sampling Rate: 512 Hz\r\n\r\nSeizure n 1\r\nFile name: PN99-1.edf\r\n"
        "Registration start time: 23.50.00\r\nRegistration end time:  00.40.00\r\nSeizure start time: 00.10.05\r\n"
        "Seizure end time: 00.11.00\r\n\r\nSeizure n 2 \r\nFile name: PN99-2.edf \r\n"
        "Registration start time: 18.15.44\r\nRegistration end time: 18.57.13\r\nStart time: 18:28:29\r\n"
        "End time: 19.29.29\r\n");
  const LabelFile lf = read_label_file(dir / "Seizures-list-PN99.txt");
  EXPECT_EQ(lf.format, LabelFormat::siena);
  ASSERT_EQ(lf.entries.size(), 2u);
  EXPECT_EQ(lf.entries[0].key, "PN99-1.edf");
  ASSERT_EQ(lf.entries[0].events.size(), 1u);
  EXPECT_DOUBLE_EQ(lf.entries[0].events[0].onset_s, 20 * 60 + 5);  // across midnight
  EXPECT_DOUBLE_EQ(lf.entries[0].events[0].offset_s, 21 * 60);
  // The end lies after the registration end (PN00-3's typo in the real list): clipped, with a warning.
  EXPECT_DOUBLE_EQ(lf.entries[1].events[0].onset_s, 765);
  EXPECT_DOUBLE_EQ(lf.entries[1].events[0].offset_s, 2489);
  EXPECT_THAT(lf.warnings, ElementsAre(HasSubstr("seizure end 19.29.29 of 'PN99-2.edf' is after the registration "
                                                 "end 18.57.13")));
}

TEST(LabelParsers, SienaRealLists) {
  EFM_REQUIRE_REAL_DATA();
  const LabelFile a = read_label_file(test::real_file("seizure_annotations_chbmit_siena/Seizures-list-PN00.txt"));
  const LabelFile b = read_label_file(test::real_file("seizure_annotations_chbmit_siena/Seizures-list-PN16.txt"));
  ASSERT_EQ(a.entries.size(), 5u);
  ASSERT_EQ(b.entries.size(), 2u);
  // seizures.csv (PROVENANCE.md) except PN00-3, whose end the curators corrected by hand (we clip and warn).
  EXPECT_DOUBLE_EQ(a.entries[0].events[0].onset_s, 1143);
  EXPECT_DOUBLE_EQ(a.entries[0].events[0].offset_s, 1213);
  EXPECT_DOUBLE_EQ(a.entries[4].events[0].onset_s, 904);
  EXPECT_DOUBLE_EQ(a.entries[4].events[0].offset_s, 971);
  EXPECT_DOUBLE_EQ(a.entries[2].events[0].onset_s, 765);
  EXPECT_EQ(a.warnings.size(), 1u);
  EXPECT_DOUBLE_EQ(b.entries[0].events[0].onset_s, 7184);
  EXPECT_DOUBLE_EQ(b.entries[1].events[0].offset_s, 8681);
}

TEST(LabelParsers, TuszCsvBiAndPerChannelCsv) {
  test::TempDir dir;
  write(dir / "aaaaaaac_s001_t000.csv_bi",
        "# version = csv_v1.0.0\n# bname = aaaaaaac_s001_t000\n# duration = 301.00 secs\n#\n"
        "channel,start_time,stop_time,label,confidence\nTERM,0.0000,36.8868,bckg,1.0000\n"
        "TERM,36.8868,183.3055,seiz,1.0000\nTERM,183.3055,301.0000,bckg,1.0000\n");
  const LabelFile bi = read_label_file(dir / "aaaaaaac_s001_t000.csv_bi");
  EXPECT_EQ(bi.format, LabelFormat::tusz);
  ASSERT_EQ(bi.entries.size(), 1u);
  EXPECT_EQ(bi.entries[0].key, "aaaaaaac_s001_t000");
  ASSERT_EQ(bi.entries[0].events.size(), 3u);
  EXPECT_EQ(bi.entries[0].events[1].label, "seiz");
  EXPECT_DOUBLE_EQ(bi.entries[0].events[1].onset_s, 36.8868);
  EXPECT_EQ(bi.entries[0].events[1].channel, "");
  EXPECT_EQ(bi.entries[0].events[1].source, "aaaaaaac_s001_t000.csv_bi:7");

  write(dir / "aaaaaaac_s001_t000.csv",
        "# version = csv_v1.0.0\n# duration = 301.00 secs\n"
        "channel,start_time,stop_time,label,confidence\nFP1-F7,36.8868,183.3055,CPSZ,1.0000\n"
        "F7-T3,40.0,183.3055,cpsz,1.0000\n");
  const LabelFile ch = read_label_file(dir / "aaaaaaac_s001_t000.csv");
  EXPECT_EQ(ch.format, LabelFormat::tusz);
  ASSERT_EQ(ch.entries[0].events.size(), 2u);
  EXPECT_EQ(ch.entries[0].events[0].label, "cpsz");
  EXPECT_EQ(ch.entries[0].events[0].channel, "FP1-F7");
}

TEST(LabelParsers, BidsEventsTsv) {
  test::TempDir dir;
  write(dir / "sub-01/ses-01/eeg/sub-01_ses-01_task-szMonitoring_run-00_events.tsv",
        "onset\tduration\teventType\tconfidence\tchannels\tdateTime\trecordingDuration\n"
        "296.00\t40.00\tsz_foc_ia\tn/a\tn/a\t2000-01-01 10:00:00\t3600.00\n"
        "0.00\t3600.00\tbckg\tn/a\tn/a\t2000-01-01 10:00:00\t3600.00\n"
        "12.5\tn/a\tsz\tn/a\tF7\t2000-01-01 10:00:00\t3600.00\n");
  const fs::path tsv = dir / "sub-01/ses-01/eeg/sub-01_ses-01_task-szMonitoring_run-00_events.tsv";
  const LabelFile lf = read_label_file(tsv);
  EXPECT_EQ(lf.format, LabelFormat::bids);
  ASSERT_EQ(lf.entries.size(), 1u);
  EXPECT_EQ(lf.entries[0].key, "sub-01_ses-01_task-szMonitoring_run-00");
  ASSERT_EQ(lf.entries[0].events.size(), 3u);
  EXPECT_EQ(lf.entries[0].events[0].label, "sz_foc_ia");
  EXPECT_DOUBLE_EQ(lf.entries[0].events[0].offset_s, 336.0);
  EXPECT_DOUBLE_EQ(lf.entries[0].events[2].offset_s, 12.5);  // n/a duration: a point event
  EXPECT_EQ(lf.entries[0].events[2].channel, "F7");

  // trial_type (plain BIDS) works too; the file matches the *_eeg recording next to it.
  write(dir / "t/sub-02_task-rest_events.tsv", "onset\tduration\ttrial_type\n1\t2\tseizure\n");
  LabelIndex index;
  index.add(read_label_file(tsv));
  index.add(read_label_file(dir / "t/sub-02_task-rest_events.tsv"));
  const LabelMatch m = index.lookup(dir / "t/sub-02_task-rest_eeg.edf");
  ASSERT_EQ(m.events.size(), 1u);
  EXPECT_EQ(m.events[0].label, "seizure");
  EXPECT_EQ(index.lookup(dir / "sub-01/ses-01/eeg/sub-01_ses-01_task-szMonitoring_run-00_eeg.edf").events.size(), 3u);
}

TEST(LabelParsers, DetectionAndDirectorySearch) {
  test::TempDir dir;
  write(dir / "p/chb01-summary.txt", kChbmit);
  write(dir / "p/Seizures-list-PN01.txt", "File name: PN01-1.edf\nRegistration start time: 10.00.00\n");
  write(dir / "p/q/r.csv_bi", "channel,start_time,stop_time,label,confidence\n");
  write(dir / "p/q/sub-1_events.tsv", "onset\tduration\ttrial_type\n");
  write(dir / "p/q/other.csv", "file,label\n");
  const auto all = find_label_files(dir / "p");
  ASSERT_EQ(all.size(), 4u);  // csv files only when the format says so
  EXPECT_EQ(find_label_files(dir / "p", LabelFormat::chbmit).size(), 1u);
  EXPECT_EQ(find_label_files(dir / "p", LabelFormat::whole_file).size(), 1u);
  EXPECT_EQ(detect_label_format(dir / "p/chb01-summary.txt"), LabelFormat::chbmit);
  EXPECT_EQ(detect_label_format(dir / "p/Seizures-list-PN01.txt"), LabelFormat::siena);
  EXPECT_EQ(detect_label_format(dir / "p/q/r.csv_bi"), LabelFormat::tusz);
  EXPECT_EQ(detect_label_format(dir / "p/q/sub-1_events.tsv"), LabelFormat::bids);
  EXPECT_EQ(detect_label_format(dir / "p/q/other.csv"), LabelFormat::whole_file);
  EXPECT_EQ(parse_label_format("siena"), LabelFormat::siena);
  EXPECT_THAT([] { parse_label_format("xml"); },
              ThrowsMessage<ConfigError>(HasSubstr("unknown label format 'xml'; known: csv, whole_file")));
}

TEST(LabelParsers, EdfAnnotationsBecomeEvents) {
  const std::vector<Annotation> ann{{350.0, 0.0, "Seizure onset (approximate)"}, {1.0, 2.5, "  T1 "}, {3.0, 0, "  "}};
  const auto ev = events_from_annotations(ann);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].label, "Seizure onset (approximate)");
  EXPECT_DOUBLE_EQ(ev[0].offset_s, 350.0);
  EXPECT_EQ(ev[1].label, "T1");
  EXPECT_DOUBLE_EQ(ev[1].offset_s, 3.5);
  EXPECT_EQ(ev[1].source, "annotation");
}

// ---- matching --------------------------------------------------------------------------------------------------

TEST(LabelIndexTest, ExactBeatsSuffixAndExtensionsAreIgnored) {
  test::TempDir dir;
  write(dir / "edf/labels.csv", "file,label\nZ/Z001.edf,healthy\nS/S001.edf,seizure\n");
  write(dir / "all.csv", "file,onset_s,offset_s,label\nZ001.edf,1,2,x\nedf/Z/Z001.bdf,3,4,y\n");
  LabelIndex index;
  index.add(read_label_file(dir / "edf/labels.csv"));
  index.add(read_label_file(dir / "all.csv"));
  const LabelMatch m = index.lookup(dir / "edf/Z/Z001.edf");
  // labels.csv: exact match; all.csv: its exact entry "edf/Z/Z001" wins over the basename entry.
  ASSERT_EQ(m.events.size(), 2u);
  EXPECT_EQ(m.events[0].label, "healthy");
  EXPECT_EQ(m.events[1].label, "y");
  EXPECT_THAT(m.sources, ElementsAre("labels.csv", "all.csv"));
  EXPECT_THAT(index.unmatched_entries(),
              ElementsAre(HasSubstr("labels.csv:3 'S/S001.edf'"), HasSubstr("all.csv:2 'Z001.edf'")));
  EXPECT_TRUE(index.lookup(dir / "edf/Z/Z002.edf").events.empty());
}

TEST(LabelIndexTest, SuffixMatchesAndAmbiguity) {
  test::TempDir dir;
  write(dir / "labels/l.csv", "file,onset_s,offset_s,label\nrec.edf,1,2,seizure\n");
  LabelIndex index;
  index.add(read_label_file(dir / "labels/l.csv"));
  EXPECT_EQ(index.lookup(dir / "data/a/rec.edf").events.size(), 1u);
  EXPECT_EQ(index.lookup(dir / "data/b/rec.edf").events.size(), 1u);
  EXPECT_THAT(index.ambiguous_entries(), ElementsAre(HasSubstr("l.csv:2 'rec.edf' matched 2 recordings")));
  EXPECT_EQ(label_key_components("a/b/sub-1_task-x_eeg.edf"), (std::vector<std::string>{"a", "b", "sub-1_task-x"}));
}

TEST(LabelIndexTest, FailedLabelFileReachesRecordingsInItsFolder) {
  test::TempDir dir;
  LabelIndex index;
  index.add_failure(dir / "site1/labels.csv", "labels.csv: unknown label file format");
  EXPECT_THAT(index.lookup(dir / "site1/x/rec.edf").errors, ElementsAre(HasSubstr("unknown label file format")));
  EXPECT_TRUE(index.lookup(dir / "site2/rec.edf").errors.empty());
}

// ---- window labelling ------------------------------------------------------------------------------------------

LabelEvent ev(double on, double off, const std::string& label) {
  LabelEvent e;
  e.onset_s = on;
  e.offset_s = off;
  e.label = label;
  return e;
}

TEST(WindowLabels, WindowInsideALongSeizureIsSeizure) {
  // 200 Hz, 4-s windows, seizure 100-160 s: windows fully inside the seizure hold no onset or offset and must still
  // be seizure (the BIOT/CBraMod CHB-MIT pitfall).
  const std::vector<SignalSegment> seg{{0.0, 0, 200 * 300}};
  const auto w = label_windows({ev(100, 160, "seizure")}, seg, 200.0, {800, 800}, LabelRules{});
  ASSERT_EQ(w.size(), 75u);
  for (size_t k = 0; k < w.size(); ++k) {
    const bool inside = k >= 25 && k < 40;  // [100, 104) ... [156, 160)
    EXPECT_EQ(w[k].seizure, inside) << k;
    EXPECT_EQ(w[k].label, inside ? "seizure" : "background") << k;
    EXPECT_FLOAT_EQ(w[k].seizure_overlap, inside ? 1.0f : 0.0f) << k;
  }
  EXPECT_EQ(w[30].start_sample, 30 * 800);
}

TEST(WindowLabels, MinimumOverlapThresholdAndExactFractions) {
  const std::vector<SignalSegment> seg{{0.0, 0, 800}};
  const std::vector<LabelEvent> one_second{ev(3.0, 10.0, "seizure")};  // covers [3, 4) of window [0, 4)
  LabelRulesOptions o;
  o.min_overlap = 0.5;
  auto w = label_windows(one_second, seg, 200.0, {800, 800}, LabelRules(o));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_FALSE(w[0].seizure);
  EXPECT_EQ(w[0].label, "background");
  EXPECT_FLOAT_EQ(w[0].seizure_overlap, 0.25f);
  EXPECT_FLOAT_EQ(w[0].label_overlap, 0.75f);  // background: the part no event covers
  o.min_overlap = 0.2;
  w = label_windows(one_second, seg, 200.0, {800, 800}, LabelRules(o));
  EXPECT_TRUE(w[0].seizure);
  EXPECT_EQ(w[0].label, "seizure");
  EXPECT_FLOAT_EQ(w[0].label_overlap, 0.25f);
  // Exactly at the threshold counts; overlapping seizure events are not double-counted.
  o.min_overlap = 0.5;
  w = label_windows({ev(1.0, 3.0, "sz_foc"), ev(2.0, 3.0, "seizure")}, seg, 200.0, {800, 800}, LabelRules(o));
  EXPECT_TRUE(w[0].seizure);
  EXPECT_FLOAT_EQ(w[0].seizure_overlap, 0.5f);
  EXPECT_EQ(w[0].label, "sz_foc");
}

TEST(WindowLabels, NonSeizureLabelsStridesSegmentsAndWholeFile) {
  LabelRulesOptions o;
  const LabelRules rules(o);
  EXPECT_TRUE(rules.is_seizure("Seizure"));
  EXPECT_TRUE(rules.is_seizure("seizure_IAS"));
  EXPECT_TRUE(rules.is_seizure("sz_foc_ia"));
  EXPECT_TRUE(rules.is_seizure("CPSZ"));
  EXPECT_TRUE(rules.is_seizure("ictal"));
  EXPECT_FALSE(rules.is_seizure("interictal"));
  EXPECT_FALSE(rules.is_seizure("nonseizure_healthy_surface_eyes_open"));
  EXPECT_FALSE(rules.is_seizure("bckg"));

  // Two segments (a gap between 10 s and 20 s): windows never straddle it; stride 2 s, length 4 s.
  const std::vector<SignalSegment> seg{{0.0, 0, 2000}, {20.0, 2000, 1200}};
  const auto w = label_windows({ev(0, 9, "T1"), ev(20, 25, "T2")}, seg, 200.0, {800, 400}, rules);
  ASSERT_EQ(w.size(), 4u + 2u);
  EXPECT_EQ(w[0].label, "T1");
  EXPECT_EQ(w[3].start_sample, 1200);
  EXPECT_EQ(w[3].label, "T1");  // [6, 10): T1 covers 3 s = 0.75
  EXPECT_FLOAT_EQ(w[3].label_overlap, 0.75f);
  EXPECT_EQ(w[4].start_sample, 2000);
  EXPECT_EQ(w[4].label, "T2");
  EXPECT_EQ(w[5].label, "T2");  // [22, 26): T2 covers [22, 25) = 0.75
  EXPECT_FLOAT_EQ(w[5].label_overlap, 0.75f);
  LabelEvent whole = ev(0, std::numeric_limits<double>::infinity(), "ictal");
  const auto wf = label_windows({whole}, {{0.0, 0, 1000}}, 200.0, {800, 800}, rules);
  ASSERT_EQ(wf.size(), 1u);
  EXPECT_TRUE(wf[0].seizure);
  EXPECT_EQ(wf[0].label, "ictal");
}

}  // namespace
}  // namespace efm::io
