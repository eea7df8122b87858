#include "epilepsyfm/data/store_source.h"

#include <fmt/format.h>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/signal/channels.h"

namespace efm::data {

StoreWindowSource::StoreWindowSource(const std::filesystem::path& store_dir, StoreSourceOptions options)
    : store_(std::make_unique<io::StoreReader>(store_dir, options.read)), options_(options) {
  for (const auto& l : store_->labels()) label_names_.push_back(l.name);
  const signal::RegionTable regions = signal::RegionTable::default_table();
  const auto& rows = store_->recordings();
  infos_.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto d = store_->details(i);
    RecordingInfo info;
    info.id = rows[i].recording_id;
    info.subject = rows[i].subject;
    info.channel_names = d->channels;
    for (size_t c = 0; c < d->channels.size(); ++c) {
      info.channel_ids.push_back(d->channel_vocab_index[c]);
      info.region_ids.push_back(regions.region_of(d->channels[c]));
    }
    info.sfreq_hz = rows[i].sfreq_hz;
    info.n_samples = rows[i].n_samples;
    const int64_t length = d->preprocessing.window_length_samples;
    for (const auto& w : d->windows) {
      EFM_CHECK_DATA(w.label >= 0 && w.label < static_cast<int>(label_names_.size()),
                     "{}: recording '{}' has window label id {} but labels.csv has {} labels", store_->dir().string(),
                     info.id, w.label, label_names_.size());
      info.spans.push_back(LabelledSpan{w.start_sample, length, w.label, w.reject});
    }
    info.validate();
    infos_.push_back(std::move(info));
  }
}

void StoreWindowSource::read(int64_t recording, int64_t start_sample, int64_t n_samples, float* out) const {
  EFM_CHECK_ARG(recording >= 0 && recording < static_cast<int64_t>(infos_.size()),
                "recording index {} out of range [0, {})", recording, infos_.size());
  try {
    store_->read(static_cast<size_t>(recording), start_sample, n_samples, options_.normalised, out);
  } catch (const ArgumentError& e) {
    // The WindowSource contract reports read failures as DataError naming the recording.
    throw DataError(fmt::format("recording '{}': {}", infos_[static_cast<size_t>(recording)].id, e.what()));
  }
}

}  // namespace efm::data
