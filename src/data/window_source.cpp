#include "epilepsyfm/data/window_source.h"

#include <algorithm>
#include <cstring>

#include "epilepsyfm/core/check.h"

namespace efm::data {

void RecordingInfo::validate() const {
  EFM_CHECK_ARG(!id.empty(), "recording info: empty recording id");
  const size_t c = channel_names.size();
  EFM_CHECK_ARG(c > 0, "recording '{}': no channels", id);
  EFM_CHECK_ARG(channel_ids.size() == c && region_ids.size() == c,
                "recording '{}': {} channel names but {} channel ids and {} region ids; expected one of each "
                "per channel",
                id, c, channel_ids.size(), region_ids.size());
  EFM_CHECK_ARG(sfreq_hz > 0, "recording '{}': sampling rate {} Hz; expected > 0", id, sfreq_hz);
  EFM_CHECK_ARG(n_samples >= 0, "recording '{}': n_samples {} < 0", id, n_samples);
  for (const auto& s : spans) {
    EFM_CHECK_ARG(s.start_sample >= 0 && s.n_samples > 0 && s.start_sample + s.n_samples <= n_samples,
                  "recording '{}': window-table span [{}, {}) lies outside the signal [0, {})", id, s.start_sample,
                  s.start_sample + s.n_samples, n_samples);
  }
}

InMemoryWindowSource::InMemoryWindowSource(std::vector<std::string> label_names)
    : label_names_(std::move(label_names)) {}

int64_t InMemoryWindowSource::add(RecordingInfo info, std::vector<float> signal) {
  info.validate();
  const size_t expected = info.channel_names.size() * static_cast<size_t>(info.n_samples);
  EFM_CHECK_ARG(signal.size() == expected, "recording '{}': signal has {} values; expected {} channels x {} samples",
                info.id, signal.size(), info.channel_names.size(), info.n_samples);
  for (const auto& s : info.spans) {
    EFM_CHECK_ARG(s.label < static_cast<int64_t>(label_names_.size()),
                  "recording '{}': span label index {} but only {} label names", info.id, s.label, label_names_.size());
  }
  for (const auto& other : infos_) {
    EFM_CHECK_ARG(other.id != info.id, "recording id '{}' added twice", info.id);
  }
  infos_.push_back(std::move(info));
  signals_.push_back(std::move(signal));
  failures_.emplace_back();
  return static_cast<int64_t>(infos_.size()) - 1;
}

void InMemoryWindowSource::fail_reads_of(int64_t recording, std::string message) {
  EFM_CHECK_ARG(recording >= 0 && recording < static_cast<int64_t>(infos_.size()), "no recording {}", recording);
  failures_[static_cast<size_t>(recording)] = std::move(message);
}

void InMemoryWindowSource::read(int64_t recording, int64_t start_sample, int64_t n_samples, float* out) const {
  EFM_CHECK_ARG(recording >= 0 && recording < static_cast<int64_t>(infos_.size()),
                "recording index {} out of range [0, {})", recording, infos_.size());
  const auto r = static_cast<size_t>(recording);
  const RecordingInfo& info = infos_[r];
  EFM_CHECK_DATA(failures_[r].empty(), "recording '{}': {}", info.id, failures_[r]);
  EFM_CHECK_DATA(start_sample >= 0 && n_samples >= 0 && start_sample + n_samples <= info.n_samples,
                 "recording '{}': samples [{}, {}) requested but the recording has {}", info.id, start_sample,
                 start_sample + n_samples, info.n_samples);
  const float* src = signals_[r].data();
  for (size_t c = 0; c < info.channel_names.size(); ++c) {
    std::memcpy(out + c * static_cast<size_t>(n_samples),
                src + c * static_cast<size_t>(info.n_samples) + static_cast<size_t>(start_sample),
                sizeof(float) * static_cast<size_t>(n_samples));
  }
}

}  // namespace efm::data
