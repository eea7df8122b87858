// config/preprocessing.h: the profile table, the spec's differences and the one mismatch policy.
#include "epilepsyfm/config/preprocessing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/config/yaml_io.h"
#include "epilepsyfm/core/error.h"

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::config {
namespace {

PreprocessingSpec epilepsyfm_spec() {
  PreprocessingSpec s;
  s.profile = "epilepsyfm";
  s.l_freq_hz = 0.5;
  s.h_freq_hz = 70;
  s.notch_hz = {50};
  s.notch_harmonics = true;
  s.sfreq_hz = 200;
  s.normalization = config::Normalization::zscore;
  s.montage = config::MontageKind::referential;
  return s;
}

TEST(PreprocessingProfiles, TableFeedsTheAllowedValues) {
  EXPECT_THAT(preprocessing_profile_names(), ElementsAre("epilepsyfm", "labram", "cbramod", "none"));
  EXPECT_EQ(preprocessing_profile("cbramod").reject_abs_uv, 100.0);
  EXPECT_THAT([] { preprocessing_profile("labraam"); },
              ThrowsMessage<ConfigError>(HasSubstr("preprocess.profile: allowed values are 'epilepsyfm', 'labram', "
                                                   "'cbramod', 'none', but got 'labraam'")));
  EXPECT_THAT([] { parse_yaml<PreprocessConfig>("profile: labraam\n", "x.yaml"); },
              ThrowsMessage<ConfigError>(HasSubstr("profile: allowed values are 'epilepsyfm', 'labram'")));
}

TEST(PreprocessingSpec, DifferencesNameEachSettingAndIgnoreTheProfileName) {
  const PreprocessingSpec a = epilepsyfm_spec();
  PreprocessingSpec b = a;
  b.profile = "custom";
  EXPECT_TRUE(a.differences(b).empty());
  b.l_freq_hz = 0.1;
  b.h_freq_hz = 75;
  b.normalization = config::Normalization::scale;
  b.scale = 0.01;
  b.montage = config::MontageKind::tcp18;
  EXPECT_THAT(a.differences(b), ElementsAre("band-pass 0.5-70 Hz vs 0.1-75 Hz", "normalisation zscore vs scale x0.01",
                                            "montage referential vs tcp18"));
  EXPECT_EQ(a.describe(), "epilepsyfm: band-pass 0.5-70 Hz, notch 50 Hz (+ harmonics), 200 Hz, zscore, referential");
  // the YAML keys experiment configs record (data.preprocessing)
  EXPECT_EQ(parse_yaml<PreprocessingSpec>(to_yaml(b)).describe(), b.describe());
}

TEST(PreprocessingCheck, RefusesOrWarnsByTheAllowSetting) {
  const PreprocessingSpec learnt = epilepsyfm_spec();
  PreprocessingSpec data = learnt;
  PreprocessingCheck check;
  check.learnt = "the tokenizer T was trained on";
  check.data = "the store S holds";
  check.allow_key = "data.allow_preprocessing_mismatch";
  check.remedy = "re-ingest the store";
  check.log_tag = "[test]";
  check.origin = "the tokenizer T";
  EXPECT_NO_THROW(check_preprocessing(learnt, data, check));
  data.sfreq_hz = 250;
  EXPECT_THAT([&] { check_preprocessing(learnt, data, check); },
              ThrowsMessage<ConfigError>(HasSubstr(
                  "the tokenizer T was trained on epilepsyfm: band-pass 0.5-70 Hz, notch 50 Hz (+ harmonics), 200 Hz, "
                  "zscore, referential but the store S holds epilepsyfm: band-pass 0.5-70 Hz, notch 50 Hz (+ "
                  "harmonics), 250 Hz, zscore, referential (sampling rate 200 Hz vs 250 Hz); re-ingest the store, or "
                  "accept it with --set data.allow_preprocessing_mismatch=true")));
  // a command-line flag is named as it is typed
  check.allow_key = "--allow-preprocessing-mismatch";
  EXPECT_THAT(
      [&] { check_preprocessing(learnt, data, check); },
      ThrowsMessage<ConfigError>(HasSubstr("re-ingest the store, or accept it with --allow-preprocessing-mismatch")));
  check.allowed = true;
  EXPECT_NO_THROW(check_preprocessing(learnt, data, check));
  // a model that records nothing cannot be checked (a warning, no error)
  check.allowed = false;
  EXPECT_NO_THROW(check_preprocessing(std::optional<PreprocessingSpec>(), data, check));
}

}  // namespace
}  // namespace efm::config
