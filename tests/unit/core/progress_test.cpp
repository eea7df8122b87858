#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/progress.h"
#include "support/test_support.h"

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

namespace efm {

TEST(Progress, StatusLineHasCountPercentRateAndEta) {
  ProgressBar bar(ProgressOptions("ingest", 40).unit("files").force_plain(true).every(1e9));
  bar.advance(10, "last a.edf");
  const std::string line = bar.status_line();
  EXPECT_THAT(line, HasSubstr("[ingest] 10/40 files (25%)"));
  EXPECT_THAT(line, HasSubstr("files/s"));
  EXPECT_THAT(line, HasSubstr("last a.edf"));
  bar.set(40);
  EXPECT_THAT(bar.status_line(), HasSubstr("40/40 files (100%)"));
}

TEST(Progress, PlainLinesGoToTheLogWhenNotATerminal) {
  test::TempDir dir;
  log::init("info");
  log::add_file_sink(dir / "log.txt");
  {
    ProgressBar bar(ProgressOptions("train", 3).unit("steps").force_plain(true).every(0));
    for (int i = 0; i < 3; ++i) bar.advance();
  }
  log::remove_file_sinks();
  const std::string text = read_file(dir / "log.txt");
  EXPECT_THAT(text, HasSubstr("[train] 1/3 steps"));
  EXPECT_THAT(text, HasSubstr("[train] 3/3 steps (100%)"));
  EXPECT_THAT(text, HasSubstr("took"));
}

TEST(Progress, FormatDuration) {
  EXPECT_EQ(format_duration(42), "42s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
}

}  // namespace efm
