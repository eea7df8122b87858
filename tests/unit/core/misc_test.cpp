#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/registry.h"
#include "epilepsyfm/core/units.h"
#include "support/test_support.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm {

TEST(Check, MessagesCarryParameterValueAndAllowed) {
  const int dim = 30, heads = 4;
  EXPECT_THAT([&] { EFM_CHECK_ARG(dim % heads == 0, "embed_dim ({}) must be divisible by n_heads ({})", dim, heads); },
              ThrowsMessage<ArgumentError>(HasSubstr("embed_dim (30) must be divisible by n_heads (4)")));
  EXPECT_THAT([] { EFM_CHECK_DATA(false, "{}: channel '{}' is flat", "a.edf", "FP1"); },
              ThrowsMessage<DataError>(HasSubstr("a.edf: channel 'FP1' is flat")));
  EXPECT_THAT([] { EFM_CHECK_CONFIG(1 > 2, "x: bad"); }, ThrowsMessage<ConfigError>(HasSubstr("x: bad")));
}

TEST(Units, MicrovoltFactors) {
  EXPECT_EQ(microvolts_per_unit("uV"), 1.0);
  EXPECT_EQ(microvolts_per_unit("\xC2\xB5V"), 1.0);
  EXPECT_EQ(microvolts_per_unit(" mV "), 1e3);
  EXPECT_EQ(microvolts_per_unit("V"), 1e6);
  EXPECT_EQ(microvolts_per_unit("nV"), 1e-3);
  EXPECT_FALSE(microvolts_per_unit("%").has_value());
  EXPECT_FALSE(microvolts_per_unit("").has_value());
  EXPECT_FALSE(microvolts_per_unit("a.u.").has_value());
}

TEST(Registry, UnknownNameListsKnownOnes) {
  Registry<int> r("head");
  r.add("seizure_detection", 1);
  r.add("seizure_type", 2);
  EXPECT_EQ(r.get("seizure_type"), 2);
  EXPECT_THAT(
      [&] { r.get("sleep", "head.name"); },
      ThrowsMessage<ConfigError>(HasSubstr("head.name: unknown head 'sleep'; known: seizure_detection, seizure_type")));
}

TEST(Fs, AtomicWriteReplacesAndLeavesNoTemp) {
  test::TempDir dir;
  atomic_write_file(dir / "a" / "b.txt", "one");
  atomic_write_file(dir / "a" / "b.txt", "two");
  EXPECT_EQ(read_file(dir / "a" / "b.txt"), "two");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "a")) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(Fs, RunDirModes) {
  test::TempDir dir;
  const auto run = dir / "run1";
  EXPECT_THAT([&] { prepare_run_dir(run, RunDirMode::resume); },
              ThrowsMessage<ConfigError>(HasSubstr("cannot resume: run directory")));
  prepare_run_dir(run, RunDirMode::create_new);
  std::ofstream(run / "x") << "1";
  EXPECT_THAT([&] { prepare_run_dir(run, RunDirMode::create_new); },
              ThrowsMessage<ConfigError>(HasSubstr("already exists and is not empty; use --resume")));
  EXPECT_NO_THROW(prepare_run_dir(run, RunDirMode::resume));
  EXPECT_TRUE(std::filesystem::exists(run / "x"));
  prepare_run_dir(run, RunDirMode::overwrite);
  EXPECT_FALSE(std::filesystem::exists(run / "x"));
}

TEST(Log, LevelsParseAndFileSinkTees) {
  EXPECT_EQ(log::parse_level("DEBUG"), log::Level::debug);
  EXPECT_THAT([] { log::parse_level("loud", "--log-level"); },
              ThrowsMessage<ConfigError>(HasSubstr("--log-level: allowed values are 'trace', 'debug'")));
  test::TempDir dir;
  log::init("info");
  ASSERT_TRUE(log::add_file_sink(dir / "log.txt"));
  EFM_LOG_INFO("[test] hello {}", 42);
  EFM_LOG_DEBUG("[test] hidden {}", 1);
  log::remove_file_sinks();
  const std::string text = read_file(dir / "log.txt");
  EXPECT_THAT(text, HasSubstr("[test] hello 42"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("hidden")));
}

}  // namespace efm
