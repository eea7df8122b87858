// `epilepsyfm ingest` / `epilepsyfm inspect STORE` on a subset of the real data (label: integration): exit codes,
// per-file reasons, seizure windows of the Michigan and Bonn recordings, annotations against MNE, the h5py example
// of docs/store.md, re-runs.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/io/reader.h"
#include "epilepsyfm/io/store.h"
#include "support/test_support.h"

using ::testing::HasSubstr;
using ::testing::Not;

namespace efm {
namespace {
namespace fs = std::filesystem;

std::string config_file(const std::string& name) {
  return (test::source_dir() / "configs/ingest" / name).string();
}

/// A store written once for the whole suite from a subset of ../shared/data.
class IngestSubset : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (test::real_data().empty()) return;
    dir_ = new test::TempDir("ingest_cli");
    const fs::path d = test::real_data();
    args_ = {"ingest",
             "--config",
             config_file("default.yaml"),
             "--set",
             "ingest.channels.keep_unknown=true",
             "--set",
             "ingest.input.extensions=[.edf, .bdf, .gdf]",
             "--input",
             (d / "michigan_malow_scalp_seizure").string(),
             "--input",
             (d / "bonn_andrzejak2001/edf/*/?001.edf").string(),
             "--input",
             (d / "edf_conformance_mne_testing").string(),
             "--labels",
             (d / "michigan_malow_scalp_seizure/seizures.csv").string(),
             "--labels",
             (d / "bonn_andrzejak2001/edf/labels.csv").string(),
             "--out",
             (dir_->path() / "store").string(),
             "--no-progress"};
    first_ = new test::CommandResult(test::run_cli(args_));
  }
  static void TearDownTestSuite() {
    delete first_;
    delete dir_;
    first_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override { EFM_REQUIRE_REAL_DATA(); }

  static fs::path store() { return dir_->path() / "store"; }

  static test::TempDir* dir_;
  static test::CommandResult* first_;
  static std::vector<std::string> args_;
};
test::TempDir* IngestSubset::dir_ = nullptr;
test::CommandResult* IngestSubset::first_ = nullptr;
std::vector<std::string> IngestSubset::args_;

TEST_F(IngestSubset, BadFilesFailWithReasonsAndExitCodeOne) {
  const auto& r = *first_;
  EXPECT_EQ(r.exit_code, 1) << r.output;  // some files fail, no --keep-going
  EXPECT_THAT(r.output, HasSubstr("failed files:"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("malformed/S001R03_as_stored_crlf_corrupted.edf: .*does not match "
                                                 "the size the header promises"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("SC4001EC-Hypnogram.edf: .*no data signals"));
  const io::StoreReader s(store());
  EXPECT_TRUE(s.find("malow_umich_scalp_seizure_31ch_100hz").has_value());
  EXPECT_FALSE(s.find("malformed__S001R03_as_stored_crlf_corrupted").has_value());
  EXPECT_FALSE(s.find("SC4001EC-Hypnogram").has_value());
  // EDF+D (MB0400FU, contiguous records): read through BioSig with its segments under the tolerant policy; a build
  // without BioSig refuses it with the reason.
  if (io::biosig_available()) {
    const auto i = s.find("MB0400FU");
    ASSERT_TRUE(i.has_value()) << r.output;
    EXPECT_EQ(s.recordings()[*i].format, "EDF+D");
    EXPECT_EQ(s.details(*i)->segments.size(), 1u);
  } else {
    EXPECT_THAT(r.output, ::testing::ContainsRegex("MB0400FU.EDF: .*(EDF\\+D|discontinuous|BioSig)"));
  }
  for (const auto& e : s.recordings()) {
    EXPECT_EQ(e.source_path.find('/') == 0, false) << "source paths are relative: " << e.source_path;
    EXPECT_FALSE(e.reader.empty());
  }
}

TEST_F(IngestSubset, MichiganWindowsAfterTheOnsetAreSeizure) {
  const io::StoreReader s(store());
  const auto i = s.find("malow_umich_scalp_seizure_31ch_100hz");
  ASSERT_TRUE(i.has_value());
  const auto d = s.details(*i);
  EXPECT_EQ(s.recordings()[*i].n_channels, 31);  // 21 named + ch22..ch31 (keep_unknown)
  ASSERT_EQ(d->windows.size(), 125u);            // 500 s / 4 s
  int seizure = 0;
  for (const auto& w : d->windows) {
    const double t = static_cast<double>(w.start_sample) / 200.0;
    // seizures.csv: 350-500 s; a window is seizure when >= 50% of it lies after 350 s.
    EXPECT_EQ(w.seizure, t >= 348.0) << t;
    seizure += w.seizure;
  }
  EXPECT_EQ(seizure, 38);
  EXPECT_EQ(s.recordings()[*i].n_seizure_windows, 38);
}

TEST_F(IngestSubset, BonnSetLabels) {
  const io::StoreReader s(store());
  const std::map<std::string, std::string> expect{{"S__S001", "seizure"},
                                                  {"Z__Z001", "nonseizure_healthy_surface_eyes_open"},
                                                  {"O__O001", "nonseizure_healthy_surface_eyes_closed"},
                                                  {"N__N001", "interictal_intracranial_hippocampal_contralateral"},
                                                  {"F__F001", "interictal_intracranial_epileptogenic_zone"}};
  for (const auto& [id, label] : expect) {
    const auto i = s.find(id);
    ASSERT_TRUE(i.has_value()) << id;
    const auto d = s.details(*i);
    ASSERT_EQ(d->windows.size(), 5u) << id;  // 23.6 s -> 5 windows of 4 s
    for (const auto& w : d->windows) {
      EXPECT_EQ(s.labels()[static_cast<size_t>(w.label)].name, label) << id;
      EXPECT_EQ(w.seizure, id[0] == 'S') << id;
    }
    EXPECT_EQ(s.recordings()[*i].subject, std::string(1, id[0]));  // the set folder
  }
}

TEST_F(IngestSubset, AnnotationsMatchMne) {
  EFM_REQUIRE_PYTHON(py, "mne");
  const io::StoreReader s(store());
  const fs::path conf = test::real_data() / "edf_conformance_mne_testing";
  std::string cmd = test::shell_quote(py) + " " +
                    test::shell_quote((test::source_dir() / "scripts/golden/mne_annotations.py").string());
  std::vector<size_t> checked;
  for (size_t i = 0; i < s.recordings().size(); ++i) {
    const auto& e = s.recordings()[i];
    if (e.source_path.find('/') != std::string::npos) continue;
    if (!fs::exists(conf / e.source_path)) continue;
    cmd += " " + test::shell_quote((conf / e.source_path).string());
    checked.push_back(i);
  }
  ASSERT_GE(checked.size(), 5u);
  const auto r = test::run_command(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const CsvTable t = parse_csv(r.output);
  std::map<std::string, std::vector<std::tuple<double, std::string>>> mne;
  std::map<std::string, std::string> errors;
  for (const auto& row : t.rows) {
    const std::string name = fs::path(row[0]).filename().string();
    if (row[1] == "annotation") mne[name].emplace_back(std::stod(row[2]), row[4]);
    if (row[1] == "error") errors[name] = row[4];
  }
  for (size_t i : checked) {
    const std::string name = fs::path(s.recordings()[i].source_path).filename().string();
    if (errors.count(name)) {
      ADD_FAILURE() << name << ": MNE could not read it: " << errors[name];
      continue;
    }
    std::vector<std::tuple<double, std::string>> ours;
    for (const auto& ev : s.details(i)->events) {
      if (ev.source == "annotation") ours.emplace_back(ev.onset_s, ev.label);
    }
    auto theirs = mne[name];
    // MNE keeps texts as written; ours are trimmed and empty texts dropped.
    std::vector<std::tuple<double, std::string>> expect;
    for (auto [o, text] : theirs) {
      const auto b = text.find_first_not_of(" \t\r\n"), e = text.find_last_not_of(" \t\r\n");
      if (b == std::string::npos) continue;
      expect.emplace_back(o, text.substr(b, e - b + 1));
    }
    std::sort(expect.begin(), expect.end());
    std::sort(ours.begin(), ours.end());
    ASSERT_EQ(ours.size(), expect.size()) << name;
    for (size_t k = 0; k < ours.size(); ++k) {
      EXPECT_NEAR(std::get<0>(ours[k]), std::get<0>(expect[k]), 1e-6) << name << " #" << k;
      EXPECT_EQ(std::get<1>(ours[k]), std::get<1>(expect[k])) << name << " #" << k;
    }
  }
}

TEST_F(IngestSubset, InspectShowsRecordingsReadersAndLabels) {
  auto r = test::run_cli({"inspect", store().string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const io::StoreReader s(store());
  EXPECT_THAT(r.output, HasSubstr(fmt::format("recordings   {} (", s.recordings().size())));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("readers +.*edflib [0-9]+"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("labels +.*seizure=[0-9]+ \\(seizure\\)"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("malow_umich_scalp_seizure_31ch_100hz +michigan_malow_scalp_seizure "
                                                 "+edflib +EDF\\+C +31 +0.14 +125 +38"));
  r = test::run_cli({"inspect", store().string(), "--recording", "malow_umich_scalp_seizure_31ch_100hz"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("channels     FP1 FP2 F3 F4 C3 C4"));
  EXPECT_THAT(r.output, HasSubstr("350.000    500.000  seizure  [seizure]"));
  r = test::run_cli({"inspect", store().string(), "--recording", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--recording: 'nope' is not in the store"));
  r = test::run_cli({"inspect", dir_->path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("don't know what"));
}

TEST_F(IngestSubset, H5pyExampleOfTheDocsReadsTheSameWindow) {
  EFM_REQUIRE_PYTHON(py, "h5py", "numpy");
  const std::string doc = read_file(test::source_dir() / "docs/store.md");
  const std::regex block("<!-- h5py-example -->\\s*```python\\n([\\s\\S]*?)```");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(doc, m, block)) << "docs/store.md lost its h5py example";
  const fs::path script = dir_->path() / "example.py";
  std::ofstream(script) << m[1].str() << "\nprint('VALUES', ' '.join(repr(float(v)) for v in x[:, :8].reshape(-1)))\n";
  const auto r = test::run_command(test::shell_quote(py) + " " + test::shell_quote(script.string()) + " " +
                                   test::shell_quote(store().string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const io::StoreReader s(store());
  const auto& row = s.recordings()[0];
  EXPECT_THAT(r.output, HasSubstr(row.recording_id + " (" + std::to_string(row.n_channels) + ", 800)"));
  const auto d = s.details(0);
  ASSERT_FALSE(d->windows.empty());
  const auto x = s.read_window(0, d->windows[0].start_sample, 800, /*normalised=*/true);
  const auto at = r.output.find("VALUES ");
  ASSERT_NE(at, std::string::npos) << r.output;
  std::istringstream in(r.output.substr(at + 7));
  for (int64_t c = 0; c < row.n_channels; ++c) {
    for (int j = 0; j < 8; ++j) {
      double v = 0;
      ASSERT_TRUE(in >> v);
      // float32 storage, float64 arithmetic in numpy vs float32 in C++: agree to float32 rounding.
      EXPECT_NEAR(v, x[static_cast<size_t>(c * 800 + j)], 1e-5 * std::max(1.0, std::abs(v))) << c << " " << j;
    }
  }
}

TEST_F(IngestSubset, RerunSkipsAndKeepGoingExitsZero) {
  auto args = args_;
  args.push_back("--keep-going");
  const auto r = test::run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const io::StoreReader s(store());
  EXPECT_THAT(r.output, HasSubstr(fmt::format("0 ok, {} skipped", s.recordings().size())));
  EXPECT_THAT(r.output, HasSubstr("failed files:"));  // still reported
}

TEST(IngestCli, UsageErrorsAndDumpConfig) {
  auto r = test::run_cli({"ingest", "--config", config_file("default.yaml"), "--input", "/nonexistent/x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("no store directory: give --out STORE"));
  test::TempDir dir;
  r = test::run_cli(
      {"ingest", "--config", config_file("default.yaml"), "--input", "/nonexistent/x", "--out", (dir / "s").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("ingest.input.paths[0]: '/nonexistent/x' does not exist"));
  r = test::run_cli(
      {"ingest", "--config", config_file("default.yaml"), "--config", config_file("cbramod.yaml"), "--dump-config"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("profile: cbramod"));
  EXPECT_THAT(r.output, HasSubstr("l_freq_hz: 0.3"));  // the profile's values, resolved
  EXPECT_THAT(r.output, HasSubstr("reject_abs_uv: 100"));
  std::ofstream(dir / "not_a_store.txt") << "x";
  r = test::run_cli({"ingest", "--config", config_file("default.yaml"), "--input", dir.path().string(), "--out",
                     dir.path().string(), "--overwrite"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("is not an epilepsyfm store"));
}

}  // namespace
}  // namespace efm
