// EDF+ TAL parser on hand-made byte strings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "io/detail/tal.h"

namespace efm::io::detail {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// std::string literal with embedded NULs.
template <size_t N>
std::string raw(const char (&s)[N]) {
  return std::string(s, N - 1);
}

TEST(Tal, TimekeepingAndAnnotationsWithDurations) {
  TalProblems p;
  const auto tals = parse_tal_block(raw("+0\x14\x14\0+1.5\x15"
                                        "2.25\x14seizure\x14\0+3\x14"
                                        "a\x14"
                                        "b\x14\0\0\0\0"),
                                    p);
  ASSERT_EQ(tals.size(), 3u);
  EXPECT_DOUBLE_EQ(tals[0].onset_s, 0.0);
  EXPECT_THAT(tals[0].texts, ElementsAre(""));
  EXPECT_DOUBLE_EQ(tals[1].onset_s, 1.5);
  EXPECT_TRUE(tals[1].has_duration);
  EXPECT_DOUBLE_EQ(tals[1].duration_s, 2.25);
  EXPECT_THAT(tals[1].texts, ElementsAre("seizure"));
  EXPECT_FALSE(tals[2].has_duration);
  EXPECT_THAT(tals[2].texts, ElementsAre("a", "b"));  // two annotations sharing one onset
  EXPECT_EQ(p.unterminated_tals + p.unterminated_texts + p.skipped_garbage + p.unsigned_onsets, 0);
}

TEST(Tal, NegativeOnsetAndTrailingTextThenZeroPadding) {
  // eegio / Nihon Kohden artefact: the last TAL ends with 0x14 directly followed by the zero padding.
  TalProblems p;
  const auto tals = parse_tal_block(raw("+4\x14\x14\0+1\x14+1.000000\x14\0\0\0\0\0"), p);
  ASSERT_EQ(tals.size(), 2u);
  EXPECT_THAT(tals[1].texts, ElementsAre("+1.000000"));
  const auto neg = parse_tal_block(raw("-0.5\x14pre\x14\0"), p);
  ASSERT_EQ(neg.size(), 1u);
  EXPECT_DOUBLE_EQ(neg[0].onset_s, -0.5);
  EXPECT_EQ(p.unterminated_tals + p.skipped_garbage, 0);
}

TEST(Tal, TimekeepingTalCarryingMoreTexts) {
  // MB0400FU.EDF (Nihon Kohden EEG-1100C): no 0x00 after the time-keeping TAL; grammatically the following texts
  // belong to it (MNE reads it the same way).
  TalProblems p;
  const auto tals = parse_tal_block(raw("+1.000000\x14\x14+1.140000\x14"
                                        "A1+A2 OFF\x14\0\0"),
                                    p);
  ASSERT_EQ(tals.size(), 1u);
  EXPECT_DOUBLE_EQ(tals[0].onset_s, 1.0);
  EXPECT_THAT(tals[0].texts, ElementsAre("", "+1.140000", "A1+A2 OFF"));
}

TEST(Tal, ToleratedProblemsAreCounted) {
  TalProblems p;
  // unsigned onset, garbage run, unterminated text at the end of the block without 0x00
  const auto tals = parse_tal_block(raw("3\x14x\x14\0garbage\0+5\x14tail"), p);
  ASSERT_EQ(tals.size(), 2u);
  EXPECT_DOUBLE_EQ(tals[0].onset_s, 3.0);
  EXPECT_THAT(tals[1].texts, ElementsAre("tail"));
  EXPECT_EQ(p.unsigned_onsets, 1);
  EXPECT_EQ(p.skipped_garbage, 1);
  EXPECT_EQ(p.unterminated_texts, 1);
  EXPECT_EQ(p.unterminated_tals, 1);
  std::vector<std::string> dev;
  p.report(dev);
  EXPECT_THAT(dev, ElementsAre(HasSubstr("1 TAL(s) not closed by a 0x00"), HasSubstr("1 text(s) not closed by 0x14"),
                               HasSubstr("1 TAL onset(s) without a '+'/'-' sign"),
                               HasSubstr("1 run(s) of bytes that do not form a TAL")));
  // A bad duration reads as 0.
  TalProblems q;
  const auto d = parse_tal_block(raw("+1\x15x\x14t\x14\0"), q);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].duration_s, 0.0);
  EXPECT_EQ(q.bad_durations, 1);
  EXPECT_TRUE(parse_tal_block(raw("\0\0\0\0"), q).empty());
}

TEST(TalCollector, OnsetsRelativeToFirstRecordAndOverlapsKept) {
  // Sub-second start (XLTEK style): record onsets +0.25, +1.25, +2.25.
  TalCollector c(3);
  c.add_block(0, 0,
              raw("+0.25\x14\x14\0+1.25\x15"
                  "3\x14long\x14\0"));
  c.add_block(1, 0,
              raw("+1.25\x14\x14\0+1.75\x15"
                  "0.5\x14overlapping\x14\0+2\x14\x14\0"));  // empty text skipped
  c.add_block(2, 0, raw("+2.25\x14\x14\0"));
  const EdfAnnotationData d = c.finish();
  EXPECT_DOUBLE_EQ(d.start_offset_s, 0.25);
  ASSERT_EQ(d.record_onsets_s.size(), 3u);
  EXPECT_DOUBLE_EQ(d.record_onsets_s[0], 0.0);
  EXPECT_DOUBLE_EQ(d.record_onsets_s[1], 1.0);
  EXPECT_DOUBLE_EQ(d.record_onsets_s[2], 2.0);
  ASSERT_EQ(d.annotations.size(), 2u);
  EXPECT_DOUBLE_EQ(d.annotations[0].onset_s, 1.0);
  EXPECT_DOUBLE_EQ(d.annotations[0].duration_s, 3.0);
  EXPECT_EQ(d.annotations[0].text, "long");
  EXPECT_DOUBLE_EQ(d.annotations[1].onset_s, 1.5);
  EXPECT_EQ(d.annotations[1].text, "overlapping");
  EXPECT_THAT(d.deviations, ElementsAre(HasSubstr("1 empty annotation text(s) skipped")));
}

TEST(TalCollector, Utf8Latin1AndTimeStampTexts) {
  TalCollector c(2);
  c.add_block(0, 0, raw("+0\x14\x14\0+0\x14\xe4\xbb\xb0\xe5\x8d\xa7\x14\0"));          // UTF-8 CJK, kept
  c.add_block(1, 0, raw("+1\x14\x14\0+1\x14\xb5V spike\x14\0+1\x14+1.000000\x14\0"));  // Latin-1 micro sign
  const EdfAnnotationData d = c.finish();
  ASSERT_EQ(d.annotations.size(), 3u);
  EXPECT_EQ(d.annotations[0].text, "\xe4\xbb\xb0\xe5\x8d\xa7");
  EXPECT_EQ(d.annotations[1].text, "\xc2\xb5V spike");
  EXPECT_EQ(d.annotations[2].text, "+1.000000");
  EXPECT_THAT(d.deviations, ElementsAre(HasSubstr("1 text(s) are not valid UTF-8 (read as Latin-1"),
                                        HasSubstr("1 text(s) are bare time stamps (e.g. '+1.000000'")));
}

TEST(TalCollector, MultipleAnnotationSignalsAndMissingTimekeeping) {
  // multiple_annotation_chans.bdf pattern: the time-keeping TAL is in the first annotation signal only; the other
  // signals carry one annotation each, or nothing.
  TalCollector c(2);
  c.add_block(0, 0, raw("+0\x14\x14\0+0\x14signal_start\x14\0"));
  c.add_block(0, 1,
              raw("+22.488\x14"
                  "EEG-check#1\x14\0\0\0"));
  c.add_block(0, 2, raw("\0\0\0\0"));
  c.add_block(1, 0, raw("+7\x14not timekeeping\x14\0"));  // record 1 lacks the time-keeping TAL
  c.add_block(1, 1, raw(""));
  const EdfAnnotationData d = c.finish();
  ASSERT_EQ(d.annotations.size(), 3u);
  EXPECT_EQ(d.annotations[1].text, "EEG-check#1");
  EXPECT_DOUBLE_EQ(d.annotations[1].onset_s, 22.488);
  EXPECT_DOUBLE_EQ(d.annotations[2].onset_s, 7.0);
  EXPECT_TRUE(std::isnan(d.record_onsets_s[1]));
  EXPECT_THAT(d.deviations, ElementsAre(HasSubstr("1 data record(s) lack the time-keeping TAL (first: record 1)")));
}

TEST(TalCollector, EmptyFile) {
  TalCollector c(0);
  const EdfAnnotationData d = c.finish();
  EXPECT_THAT(d.annotations, IsEmpty());
  EXPECT_THAT(d.deviations, IsEmpty());
  EXPECT_EQ(d.start_offset_s, 0.0);
}

}  // namespace
}  // namespace efm::io::detail
