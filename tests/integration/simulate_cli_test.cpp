// `epilepsyfm simulate` end to end: files, reproducibility, run-directory rules, usage and config errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/sha256.h"
#include "support/test_support.h"

using ::testing::HasSubstr;

namespace efm {
namespace {

namespace fs = std::filesystem;

std::string config(const std::string& name) {
  return (test::source_dir() / "configs" / "simulate" / name).string();
}

TEST(SimulateCli, WritesAReproducibleCohort) {
  test::TempDir dir;
  const auto a = dir / "a", b = dir / "b";
  auto r = test::run_cli({"simulate", "--config", config("test.yaml"), "--out", a.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("[simulate] 2 recordings"));
  for (const char* f : {"seizures.csv", "seizures_detail.csv", "recordings.csv", "subjects.csv",
                        "labels_asm_response.csv", "labels_rftc_outcome.csv", "simulate.yaml", "README.txt", "log.txt",
                        "sub-01/sub-01_rec-01.edf", "sub-02/sub-02_rec-01.edf"}) {
    EXPECT_TRUE(fs::exists(a / f)) << f;
  }
  const auto seizures = read_csv(a / "seizures.csv");
  EXPECT_EQ(seizures.header, (std::vector<std::string>{"file", "onset_s", "offset_s", "label"}));
  EXPECT_GE(seizures.rows.size(), 2u);  // test.yaml forces one seizure per recording
  for (const auto& row : seizures.rows) {
    EXPECT_TRUE(fs::exists(a / row[0])) << row[0];
    EXPECT_THAT(row[3], ::testing::StartsWith("seizure_"));
  }
  r = test::run_cli({"simulate", "--config", config("test.yaml"), "--out", b.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f : {"sub-01/sub-01_rec-01.edf", "sub-02/sub-02_rec-01.edf", "recordings.csv", "seizures.csv"}) {
    EXPECT_EQ(sha256_file(a / f), sha256_file(b / f)) << f;
  }
  r = test::run_cli(
      {"simulate", "--config", config("test.yaml"), "--out", b.string(), "--overwrite", "--set", "run.seed=2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(sha256_file(a / "sub-01/sub-01_rec-01.edf"), sha256_file(b / "sub-01/sub-01_rec-01.edf"));
}

TEST(SimulateCli, RefusesANonEmptyOutputWithoutOverwrite) {
  test::TempDir dir;
  atomic_write_file(dir / "keep.txt", "x");
  const auto r = test::run_cli({"simulate", "--config", config("test.yaml"), "--out", dir.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("already exists and is not empty"));
  EXPECT_TRUE(fs::exists(dir / "keep.txt"));
}

TEST(SimulateCli, UsageAndConfigErrors) {
  auto r = test::run_cli({"simulate", "--config", config("test.yaml")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("give --out DIR"));
  r = test::run_cli({"simulate", "--config", config("test.yaml"), "--out", "/nonexistent/x", "--set",
                     "simulate.seizures.types.focal.duration_s=[5, 8]"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("simulate.seizures.types.focal.duration_s: focal seizures must last >= 10 s"));
  r = test::run_cli({"simulate", "--config", config("test.yaml"), "--out", "x", "--set", "simulate.sfreq_hz=100"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("simulate.line_freq_hz: 50 Hz must be below the Nyquist frequency"));
  r = test::run_cli({"simulate", "--config", config("test.yaml"), "--out", "x", "--set", "simulate.n_subject=3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown key 'simulate.n_subject'"));
  r = test::run_cli({"--help"});
  EXPECT_THAT(r.output, HasSubstr("simulate"));
}

TEST(SimulateCli, ShippedConfigsResolve) {
  for (const char* name : {"test.yaml", "demo.yaml", "cohort.yaml"}) {
    const auto r = test::run_cli({"simulate", "--config", config(name), "--out", "unused_dir", "--dump-config"});
    ASSERT_EQ(r.exit_code, 0) << name << "\n" << r.output;
    EXPECT_THAT(r.output, HasSubstr("config_version: 1")) << name;
    EXPECT_THAT(r.output, HasSubstr("out: unused_dir")) << name;
    EXPECT_FALSE(fs::exists("unused_dir"));
  }
  const auto r = test::run_cli({"simulate", "--config", config("demo.yaml"), "--dump-config"});
  EXPECT_THAT(r.output, HasSubstr("n_subjects: 10"));
  EXPECT_THAT(r.output, HasSubstr("recording_duration_s: 360"));
}

}  // namespace
}  // namespace efm
