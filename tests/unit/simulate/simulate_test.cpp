#include "epilepsyfm/simulate/simulate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/sha256.h"
#include "epilepsyfm/simulate/leadfield.h"
#include "support/test_support.h"

using ::testing::HasSubstr;

namespace efm::sim {
namespace {

namespace fs = std::filesystem;

config::SimulateExperiment small_experiment(int64_t seed) {
  config::SimulateExperiment exp;
  exp.run.seed = seed;
  auto& c = exp.simulate;
  c.n_subjects = 3;
  c.recordings_per_subject = 2;
  c.recording_duration_s = 40;
  c.seizures.rate_per_h = 30;
  c.seizures.min_per_recording = 1;
  c.seizures.types.focal.duration_s = {10, 12};
  c.seizures.types.generalised.duration_s = {6, 8};
  c.seizures.types.absence.duration_s = {3, 5};
  c.seizures.postictal_s = {3, 5};
  c.seizures.min_interval_s = 2;
  c.seizures.edge_margin_s = 5;
  return exp;
}

TEST(Simulate, SameSeedGivesIdenticalEdfBytesOtherSeedDifferent) {
  test::TempDir dir;
  const auto a = simulate_cohort(small_experiment(5), dir / "a", /*threads=*/2);
  simulate_cohort(small_experiment(5), dir / "b", /*threads=*/1);  // thread count must not matter
  simulate_cohort(small_experiment(6), dir / "c", /*threads=*/2);
  EXPECT_EQ(a.n_recordings, 6);
  const auto cohort = plan_cohort(small_experiment(5).simulate, 5);
  for (const auto& rec : cohort.recordings) {
    const auto ha = sha256_file(dir / "a" / rec.relative_path);
    EXPECT_EQ(ha, sha256_file(dir / "b" / rec.relative_path)) << rec.relative_path;
    EXPECT_NE(ha, sha256_file(dir / "c" / rec.relative_path)) << rec.relative_path;
  }
  for (const char* f : {"seizures.csv", "recordings.csv", "subjects.csv", "simulate.yaml", "README.txt"}) {
    EXPECT_EQ(read_file(dir / "a" / f), read_file(dir / "b" / f)) << f;
  }
}

TEST(Simulate, TablesDescribeTheCohort) {
  test::TempDir dir;
  const auto exp = small_experiment(9);
  const auto report = simulate_cohort(exp, dir.path(), 2);
  const auto cohort = plan_cohort(exp.simulate, 9);

  const auto seizures = read_csv(dir / "seizures.csv");
  EXPECT_EQ(seizures.header, (std::vector<std::string>{"file", "onset_s", "offset_s", "label"}));
  size_t row = 0;
  for (const auto& rec : cohort.recordings) {
    EXPECT_TRUE(fs::exists(dir / rec.relative_path)) << rec.relative_path;
    for (const auto& e : rec.seizures) {
      ASSERT_LT(row, seizures.rows.size());
      const auto& r = seizures.rows[row++];
      EXPECT_EQ(r[0], rec.relative_path);
      EXPECT_EQ(r[1], fmt::format("{:.3f}", e.onset_s));
      EXPECT_EQ(r[2], fmt::format("{:.3f}", e.offset_s()));
      EXPECT_EQ(r[3], seizure_label(e.type));
    }
  }
  EXPECT_EQ(row, seizures.rows.size());
  EXPECT_EQ(int64_t(row), report.n_seizures);

  const auto subjects = read_csv(dir / "subjects.csv");
  ASSERT_EQ(subjects.rows.size(), cohort.subjects.size());
  const auto asm_labels = read_csv(dir / "labels_asm_response.csv");
  const auto rftc_labels = read_csv(dir / "labels_rftc_outcome.csv");
  for (size_t i = 0; i < cohort.subjects.size(); ++i) {
    const auto& s = cohort.subjects[i];
    const auto& r = subjects.rows[i];
    EXPECT_EQ(r[subjects.column("subject")], s.id);
    EXPECT_EQ(r[subjects.column("seizure_type")], seizure_type_name(s.seizure_type));
    EXPECT_EQ(r[subjects.column("asm_response")], s.responder ? "responder" : "non_responder");
    EXPECT_EQ(r[subjects.column("rftc_outcome")], s.rftc_good_outcome ? "engel_I" : "engel_II-IV");
    EXPECT_EQ(r[subjects.column("synthetic")], "yes");
    EXPECT_EQ(asm_labels.rows[i], (std::vector<std::string>{s.id, r[subjects.column("asm_response")]}));
    EXPECT_EQ(rftc_labels.rows[i], (std::vector<std::string>{s.id, r[subjects.column("rftc_outcome")]}));
  }
  const auto recordings = read_csv(dir / "recordings.csv");
  ASSERT_EQ(recordings.rows.size(), cohort.recordings.size());
  for (size_t i = 0; i < cohort.recordings.size(); ++i) {
    const auto& r = recordings.rows[i];
    EXPECT_EQ(r[recordings.column("sha256")], sha256_file(dir / cohort.recordings[i].relative_path));
    EXPECT_EQ(r[recordings.column("n_channels")], "19");
  }
  // The resolved config round-trips.
  const auto back = config::parse_yaml<config::SimulateExperiment>(read_file(dir / "simulate.yaml"));
  EXPECT_TRUE(config::equal(back, exp));
  EXPECT_THAT(read_file(dir / "README.txt"), HasSubstr("SYNTHETIC EEG - NOT PATIENT DATA"));
  // No temporary files are left behind.
  for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  }
}

TEST(Simulate, BdfFilesWhenAsked) {
  test::TempDir dir;
  auto exp = small_experiment(2);
  exp.simulate.n_subjects = 1;
  exp.simulate.recordings_per_subject = 1;
  exp.simulate.file_format = config::SimulatedFileFormat::bdf;
  simulate_cohort(exp, dir.path(), 1);
  const auto path = dir / "sub-01" / "sub-01_rec-01.bdf";
  ASSERT_TRUE(fs::exists(path));
  const std::string bytes = read_file(path);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\xff"
                                            "BIOSEMI"));
  // Header (20 signals x 256 + 256) + 40 records x (19 x 256 x 3 bytes + annotation signal).
  const size_t header = 256 * 21;
  ASSERT_GT(bytes.size(), header);
  EXPECT_EQ((bytes.size() - header) % 40, 0u);
  EXPECT_GT((bytes.size() - header) / 40, size_t(19 * 256 * 3));
  EXPECT_THAT(read_file(dir / "seizures.csv"), HasSubstr("sub-01/sub-01_rec-01.bdf,"));
}

TEST(Simulate, SynthesizerBlocksMatchTheWholeRecording) {
  const auto exp = small_experiment(3);
  const auto cohort = plan_cohort(exp.simulate, 3);
  const auto& rec = cohort.recordings[0];
  const auto& subj = cohort.subjects[size_t(rec.subject)];
  const auto whole = synthesize_recording(exp.simulate, subj, rec);
  ASSERT_EQ(whole.size(), size_t(kNumElectrodes));
  ASSERT_EQ(whole[0].size(), size_t(40 * 256));
  RecordingSynthesizer synth(exp.simulate, subj, rec);
  std::vector<std::vector<double>> block, joined(kNumElectrodes);
  for (int64_t n : {1, 100, 255, 4000, 100000}) {
    synth.next(n, block);
    for (int c = 0; c < kNumElectrodes; ++c) joined[c].insert(joined[c].end(), block[c].begin(), block[c].end());
  }
  EXPECT_EQ(synth.position(), synth.n_samples());
  EXPECT_EQ(joined, whole);
  // Scalp-like amplitudes: tens of microvolts, nothing near the EDF range.
  for (int c = 0; c < kNumElectrodes; ++c) {
    double m = 0;
    for (double v : whole[c]) m = std::max(m, std::fabs(v));
    EXPECT_GT(m, 10.0) << electrode_names()[c];
    EXPECT_LT(m, exp.simulate.physical_max_uv / 2) << electrode_names()[c];
  }
}

}  // namespace
}  // namespace efm::sim
