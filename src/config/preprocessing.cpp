#include "epilepsyfm/config/preprocessing.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/table.h"

namespace efm::config {

const std::vector<std::string>& preprocessing_profile_names() {
  static const std::vector<std::string> names = column_strings(kPreprocessingProfiles, &PreprocessingProfile::name);
  return names;
}

const PreprocessingProfile& preprocessing_profile(const std::string& name, const std::string& path) {
  for (const PreprocessingProfile& row : kPreprocessingProfiles) {
    if (name == row.name) return row;
  }
  throw ConfigError(choice_error(path, Choices(preprocessing_profile_names()), name));
}

namespace {

std::string band(const PreprocessingSpec& s) {
  return fmt::format("{}-{} Hz", s.l_freq_hz, s.h_freq_hz);
}

std::string notch(const PreprocessingSpec& s) {
  if (s.notch_hz.empty()) return "none";
  return fmt::format("{} Hz{}", fmt::join(s.notch_hz, ", "), s.notch_harmonics ? " (+ harmonics)" : "");
}

std::string norm(const PreprocessingSpec& s) {
  return s.normalization == Normalization::scale ? fmt::format("scale x{}", s.scale)
                                                 : std::string(enum_name(s.normalization));
}

}  // namespace

std::vector<std::string> PreprocessingSpec::differences(const PreprocessingSpec& o) const {
  std::vector<std::string> out;
  if (l_freq_hz != o.l_freq_hz || h_freq_hz != o.h_freq_hz) {
    out.push_back(fmt::format("band-pass {} vs {}", band(*this), band(o)));
  }
  if (notch_hz != o.notch_hz || notch_harmonics != o.notch_harmonics) {
    out.push_back(fmt::format("notch {} vs {}", notch(*this), notch(o)));
  }
  if (sfreq_hz != o.sfreq_hz) out.push_back(fmt::format("sampling rate {} Hz vs {} Hz", sfreq_hz, o.sfreq_hz));
  if (normalization != o.normalization || (normalization == Normalization::scale && scale != o.scale)) {
    out.push_back(fmt::format("normalisation {} vs {}", norm(*this), norm(o)));
  }
  if (montage != o.montage) out.push_back(fmt::format("montage {} vs {}", montage, o.montage));
  return out;
}

std::string PreprocessingSpec::describe() const {
  return fmt::format("{}: band-pass {}, notch {}, {} Hz, {}, {}", profile.empty() ? "custom" : profile, band(*this),
                     notch(*this), sfreq_hz, norm(*this), montage);
}

void check_preprocessing(const PreprocessingSpec& learnt, const PreprocessingSpec& data,
                         const PreprocessingCheck& check) {
  const std::vector<std::string> diff = learnt.differences(data);
  if (diff.empty()) return;
  const std::string text = fmt::format("{} {} but {} {} ({})", check.learnt, learnt.describe(), check.data,
                                       data.describe(), fmt::join(diff, "; "));
  if (!check.allowed) {
    const bool flag = check.allow_key.rfind("--", 0) == 0;
    const std::string hint = flag ? check.allow_key : fmt::format("--set {}=true", check.allow_key);
    throw ConfigError(fmt::format("{}; {}, or accept it with {}", text, check.remedy, hint));
  }
  EFM_LOG_WARN("{} {} (allowed by {})", check.log_tag, text, check.allow_key);
}

void check_preprocessing(const std::optional<PreprocessingSpec>& learnt, const PreprocessingSpec& data,
                         const PreprocessingCheck& check) {
  if (!learnt) {
    EFM_LOG_WARN("{} {} records no preprocessing; cannot check it against the store", check.log_tag, check.origin);
    return;
  }
  check_preprocessing(*learnt, data, check);
}

}  // namespace efm::config
