// MNE round trip of the simulator's EDF+ output. Reference: scripts/golden/simulate_mne_check.py (Debian
// python3-mne 1.3, numpy 1.24), run at test time; nothing is stored.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/simulate/leadfield.h"
#include "epilepsyfm/simulate/simulate.h"
#include "support/test_support.h"

namespace efm::sim {
namespace {

struct MneView {
  std::map<std::string, std::vector<std::string>> facts;  // key -> rest of the line (first occurrence)
  std::vector<std::vector<std::string>> annotations, angles;
};

MneView run_check(const std::string& py, const std::filesystem::path& edf, const std::filesystem::path& expected,
                  const std::filesystem::path& positions) {
  const auto script = test::source_dir() / "scripts" / "golden" / "simulate_mne_check.py";
  const auto r = test::run_command(test::shell_quote(py) + " " + test::shell_quote(script.string()) + " " +
                                   test::shell_quote(edf.string()) + " " + test::shell_quote(expected.string()) +
                                   " 19 < " + test::shell_quote(positions.string()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  MneView v;
  std::istringstream in(r.output);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key, w;
    ls >> key;
    std::vector<std::string> rest;
    while (ls >> w) rest.push_back(w);
    if (key == "annotation") {
      v.annotations.push_back(rest);
    } else if (key == "angle") {
      v.angles.push_back(rest);
    } else if (!key.empty()) {
      v.facts.emplace(key, rest);
    }
  }
  return v;
}

TEST(SimulateMne, EdfReadsBackInMneWithAnnotationsAndValues) {
  EFM_REQUIRE_PYTHON(py, "mne", "numpy");
  test::TempDir dir;
  config::SimulateConfig c;
  c.n_subjects = 1;
  c.recordings_per_subject = 1;
  c.recording_duration_s = 90;
  c.seizures.rate_per_h = 0;
  c.seizures.min_per_recording = 2;
  c.seizures.types.focal.duration_s = {10, 12};
  c.seizures.types.generalised.duration_s = {6, 8};
  c.seizures.types.absence.duration_s = {3, 5};
  c.seizures.postictal_s = {3, 5};
  c.seizures.min_interval_s = 5;
  c.seizures.edge_margin_s = 5;
  const auto cohort = plan_cohort(c, 4);
  const auto& rec = cohort.recordings[0];
  const auto& subj = cohort.subjects[0];
  ASSERT_EQ(rec.seizures.size(), 2u);
  const auto written = write_recording(c, subj, rec, dir / "rec.edf");
  EXPECT_EQ(written.clipped_samples, 0);
  // The synthesizer is deterministic: the in-memory recording is what write_recording converted to digital.
  const auto eeg = synthesize_recording(c, subj, rec);
  {
    std::ofstream f((dir / "expected.f64").string(), std::ios::binary);
    for (const auto& ch : eeg) f.write(reinterpret_cast<const char*>(ch.data()), std::streamsize(ch.size() * 8));
    std::ofstream p((dir / "positions.txt").string());
    for (int e = 0; e < kNumElectrodes; ++e) {
      const auto& x = electrode_positions()[e];
      p << electrode_names()[e] << " " << x[0] << " " << x[1] << " " << x[2] << "\n";
    }
  }
  const auto v = run_check(py, dir / "rec.edf", dir / "expected.f64", dir / "positions.txt");

  EXPECT_EQ(v.facts.at("sfreq"), std::vector<std::string>{"256.0"});
  EXPECT_EQ(v.facts.at("channels"), electrode_names());
  EXPECT_EQ(v.facts.at("n_times"), std::vector<std::string>{std::to_string(90 * 256)});
  // Annotations: count, text, onset within one sample (they are written on a 1-ms grid, exactly), duration.
  ASSERT_EQ(v.annotations.size(), rec.seizures.size());
  for (size_t i = 0; i < rec.seizures.size(); ++i) {
    const auto& e = rec.seizures[i];
    EXPECT_NEAR(std::stod(v.annotations[i][0]), e.onset_s, 1.0 / 256);
    EXPECT_NEAR(std::stod(v.annotations[i][0]), e.onset_s, 1e-9) << "1-ms grid is exact in EDF+ (100 us units)";
    EXPECT_NEAR(std::stod(v.annotations[i][1]), e.duration_s, 1e-9);
    EXPECT_EQ(v.annotations[i][2], seizure_label(e.type));
  }
  // Values: within half a digital step of what the simulator produced (EDF stores 16-bit integers).
  const double err = std::stod(v.facts.at("max_abs_err_uv")[0]);
  const double half_lsb = std::stod(v.facts.at("max_half_lsb_uv")[0]);
  EXPECT_NEAR(half_lsb, 0.5 * 6400.0 / 65535.0, 1e-9);  // +-3200 uV over 16 bits
  EXPECT_LE(err, half_lsb * (1 + 1e-6));
  EXPECT_GT(err, 0.5 * half_lsb) << "the comparison must see the quantisation";
  // Electrode positions: the idealised spherical 10-20 positions agree with MNE's standard_1020 montage (a
  // realistic head shape) to within 12 degrees.
  ASSERT_EQ(v.angles.size(), size_t(kNumElectrodes));
  for (const auto& a : v.angles) EXPECT_LT(std::stod(a[1]), 12.0) << a[0];
}

}  // namespace
}  // namespace efm::sim
