// The experiments of `tokenizer` and `pretrain` carry models/ sections (torch types), so their YAML loaders are
// instantiated here rather than in config/, which stays free of torch.
#include "epilepsyfm/train/experiments.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "epilepsyfm/config/yaml_io.h"
#include "epilepsyfm/io/store.h"

namespace efm::train {

PreprocessingRecord PreprocessingRecord::from_store(const io::StoredPreprocessing& p) {
  PreprocessingRecord r;
  r.profile = p.profile;
  r.l_freq_hz = p.l_freq_hz;
  r.h_freq_hz = p.h_freq_hz;
  r.notch_hz = p.notch_hz;
  r.notch_harmonics = p.notch_harmonics;
  r.sfreq_hz = p.sfreq_hz;
  r.normalization = p.normalization;
  r.scale = p.scale;
  r.montage = p.montage;
  return r;
}

namespace {

std::string band(const PreprocessingRecord& r) {
  return fmt::format("{}-{} Hz", r.l_freq_hz, r.h_freq_hz);
}

std::string notch(const PreprocessingRecord& r) {
  if (r.notch_hz.empty()) return "none";
  return fmt::format("{} Hz{}", fmt::join(r.notch_hz, ", "), r.notch_harmonics ? " (+ harmonics)" : "");
}

std::string norm(const PreprocessingRecord& r) {
  return r.normalization == "scale" ? fmt::format("scale x{}", r.scale) : r.normalization;
}

}  // namespace

std::vector<std::string> PreprocessingRecord::differences(const PreprocessingRecord& o) const {
  std::vector<std::string> out;
  if (l_freq_hz != o.l_freq_hz || h_freq_hz != o.h_freq_hz)
    out.push_back(fmt::format("band-pass {} vs {}", band(*this), band(o)));
  if (notch_hz != o.notch_hz || notch_harmonics != o.notch_harmonics) {
    out.push_back(fmt::format("notch {} vs {}", notch(*this), notch(o)));
  }
  if (sfreq_hz != o.sfreq_hz) out.push_back(fmt::format("sampling rate {} Hz vs {} Hz", sfreq_hz, o.sfreq_hz));
  if (normalization != o.normalization || (normalization == "scale" && scale != o.scale)) {
    out.push_back(fmt::format("normalisation {} vs {}", norm(*this), norm(o)));
  }
  if (montage != o.montage) out.push_back(fmt::format("montage {} vs {}", montage, o.montage));
  return out;
}

std::string PreprocessingRecord::describe() const {
  return fmt::format("{}: band-pass {}, notch {}, {} Hz, {}, {}", profile.empty() ? "custom" : profile, band(*this),
                     notch(*this), sfreq_hz, norm(*this), montage);
}

}  // namespace efm::train

EFM_INSTANTIATE_CONFIG(efm::train::TokenizerExperiment)
EFM_INSTANTIATE_CONFIG(efm::train::PretrainExperiment)
