// scripts/download_public.sh needs the internet to download; its config output is tested here on the real CHB-MIT
// summaries and Siena seizure lists under ../shared/data (annotations only, no signals).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/io/labels.h"
#include "support/test_support.h"

using ::testing::HasSubstr;

namespace efm {
namespace {

struct Written {
  test::CommandResult run;
  std::filesystem::path labels;
};

Written write_configs(const test::TempDir& dir) {
  const auto labels = test::real_file("seizure_annotations_chbmit_siena");
  const auto script = test::source_dir() / "scripts" / "download_public.sh";
  return {
      test::run_command("bash " + test::shell_quote(script.string()) + " --config-only --dataset all --out " +
                        test::shell_quote(dir.path().string()) + " --labels-dir " + test::shell_quote(labels.string())),
      labels};
}

size_t count_events(const std::filesystem::path& dir, io::LabelFormat format) {
  size_t n = 0;
  for (const auto& f : io::find_label_files(dir, format)) {
    for (const auto& e : io::read_label_file(f, format).entries) n += e.events.size();
  }
  return n;
}

TEST(DownloadPublic, ConfigOnlyWritesIngestConfigsThatResolve) {
  EFM_REQUIRE_REAL_DATA();
  test::TempDir dir("download");
  const Written w = write_configs(dir);
  ASSERT_EQ(w.run.exit_code, 0) << w.run.output;
  for (const char* ds : {"chbmit", "siena"}) {
    const auto cfg = dir / (std::string(ds) + ".yaml");
    ASSERT_TRUE(std::filesystem::exists(cfg)) << w.run.output;
    const auto r = test::run_cli({"ingest", "--config", cfg.string(), "--dump-config"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr(std::string("format: ") + ds));
    EXPECT_THAT(r.output, HasSubstr("paths: [" + w.labels.string() + "]"));
  }
  const std::string chbmit = read_file(dir / "chbmit.yaml");
  EXPECT_THAT(chbmit, HasSubstr("notch_hz: [60]"));  // US recordings
  EXPECT_THAT(chbmit, HasSubstr("montage: tcp18"));
  EXPECT_THAT(read_file(dir / "siena.yaml"), HasSubstr("notch_hz: [50]"));
}

TEST(DownloadPublic, ConfiguredLabelSourcesYieldTheSummarySeizures) {
  EFM_REQUIRE_REAL_DATA();
  test::TempDir dir("download");
  const Written w = write_configs(dir);
  ASSERT_EQ(w.run.exit_code, 0) << w.run.output;
  // chb05-summary.txt and chb08-summary.txt list 5 seizures each; Seizures-list-PN00/PN16 list 5 and 2
  // (seizure_annotations_chbmit_siena/PROVENANCE.md).
  EXPECT_EQ(count_events(w.labels, io::LabelFormat::chbmit), 10u);
  EXPECT_EQ(count_events(w.labels, io::LabelFormat::siena), 7u);
  const auto chb05 = io::read_label_file(w.labels / "chb05-summary.txt", io::LabelFormat::chbmit);
  bool found = false;
  for (const auto& e : chb05.entries) {
    if (e.key.find("chb05_06") == std::string::npos) continue;
    ASSERT_EQ(e.events.size(), 1u);
    EXPECT_DOUBLE_EQ(e.events[0].onset_s, 417.0);  // "Seizure Start Time: 417 seconds"
    EXPECT_DOUBLE_EQ(e.events[0].offset_s, 532.0);
    found = true;
  }
  EXPECT_TRUE(found);
}

TEST(DownloadPublic, UsageErrors) {
  const auto script = test::source_dir() / "scripts" / "download_public.sh";
  auto r = test::run_command("bash " + test::shell_quote(script.string()) + " --dataset tuh --config-only");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--dataset must be chbmit, siena or all, not 'tuh'"));
  r = test::run_command("bash " + test::shell_quote(script.string()) + " --bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown option '--bogus'"));
}

}  // namespace
}  // namespace efm
