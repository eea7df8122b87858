#include "epilepsyfm/config/simulate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/error.h"
#include "support/test_support.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::config {
namespace {

SimulateExperiment from_text(const std::string& yaml) {
  return parse_yaml<SimulateExperiment>(yaml, "sim.yaml");
}

TEST(SimulateConfig, DefaultsRoundTripAndShippedFilesLoad) {
  const auto d = from_text("");
  EXPECT_EQ(d.simulate.sfreq_hz, 256);
  EXPECT_DOUBLE_EQ(d.simulate.seizures.types.focal.weight, 0.6);
  EXPECT_TRUE(equal(parse_yaml<SimulateExperiment>(to_yaml(d)), d));
  for (const char* name : {"test.yaml", "demo.yaml", "cohort.yaml"}) {
    const auto path = (test::source_dir() / "configs" / "simulate" / name).string();
    const auto e = load<SimulateExperiment>({{path}, {}});
    EXPECT_TRUE(equal(parse_yaml<SimulateExperiment>(to_yaml(e)), e)) << name;
  }
  const auto demo = load<SimulateExperiment>({{(test::source_dir() / "configs/simulate/demo.yaml").string()}, {}});
  EXPECT_EQ(demo.simulate.n_subjects * demo.simulate.recordings_per_subject, 20);
  EXPECT_EQ(demo.run.seed, 42);
}

TEST(SimulateConfig, ValidationNamesTheKeyAndTheRule) {
  EXPECT_THAT(
      [] { from_text("simulate: {seizures: {postictal_s: [30, 10]}}"); },
      ThrowsMessage<ConfigError>(HasSubstr("simulate.seizures.postictal_s: min (30) must not exceed max (10)")));
  EXPECT_THAT([] { from_text("simulate: {seizures: {spread_delay_s: [1]}}"); },
              ThrowsMessage<ConfigError>(HasSubstr("simulate.seizures.spread_delay_s: expected [min, max]")));
  EXPECT_THAT(
      [] { from_text("simulate: {recording_duration_s: 60.5}"); },
      ThrowsMessage<ConfigError>(HasSubstr("simulate.recording_duration_s: must be a whole number of seconds")));
  EXPECT_THAT([] { from_text("simulate: {file_format: gdf}"); },
              ThrowsMessage<ConfigError>(HasSubstr("simulate.file_format: allowed values are 'edf', 'bdf'")));
  EXPECT_THAT(
      [] {
        from_text(
            "simulate: {seizures: {types: {focal: {weight: 0}, generalised: {weight: 0}, absence: {weight: 0}}}}");
      },
      ThrowsMessage<ConfigError>(HasSubstr("at least one of focal.weight, generalised.weight, absence.weight")));
  EXPECT_THAT([] { from_text("simulate: {recording_duration_s: 60, seizures: {min_per_recording: 1}}"); },
              ThrowsMessage<ConfigError>(HasSubstr("simulate.seizures.min_per_recording: 1 forced seizure(s) spanning "
                                                   "up to 150 s each")));
  EXPECT_THAT([] { from_text("simulate: {seizures: {types: {absence: {duration_s: [1, 3]}}}}"); },
              ThrowsMessage<ConfigError>(HasSubstr("absence seizures must last >= 2 s, got min 1")));
  EXPECT_THAT([] { from_text("simulate: {model: {oversample: 1}}"); },
              ThrowsMessage<ConfigError>(HasSubstr("simulate.model.oversample: must be in [2.0, 16.0], got 1.0")));
}

}  // namespace
}  // namespace efm::config
