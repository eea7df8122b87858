// A recording through the ingest preprocessing into batches of windows (detail/recording_stream.h).
#include "eval/inference/detail/recording_stream.h"

#include <memory>
#include <vector>

#include "epilepsyfm/core/progress.h"
#include "epilepsyfm/data/ingest.h"
#include "epilepsyfm/data/windows.h"
#include "epilepsyfm/signal/channels.h"

namespace efm::eval::detail {

RecordingStream::RecordingStream(const std::filesystem::path& input, const config::IngestConfig& ingest)
    : rec_(data::plan_recording(io::open_recording(input, data::reader_options(ingest.reader)), ingest.channels)),
      pp_(data::preprocess_options(ingest.preprocess)) {}

int64_t RecordingStream::input_samples() const {
  int64_t n = 0;
  for (const auto& s : rec_.spans) n += s.in_count;
  return n;
}

models::EegInput RecordingStream::channel_input(const torch::Device& device) const {
  const signal::RegionTable regions = signal::RegionTable::default_table();
  std::vector<int64_t> region_ids;
  for (const auto& n : rec_.plan.names) region_ids.push_back(regions.region_of(n));
  const std::vector<int64_t> ids(rec_.plan.vocab_index.begin(), rec_.plan.vocab_index.end());
  models::EegInput in;
  in.channel_ids = torch::tensor(ids, torch::kInt64).to(device);
  in.region_ids = torch::tensor(region_ids, torch::kInt64).to(device);
  return in;
}

void RecordingStream::run(const StreamOptions& o, data::WindowConsumer& consumer) const {
  data::WindowBatcherOptions wo;
  wo.window_samples = data::seconds_to_samples(o.window_s, pp_.sfreq_hz, "data.window_s");
  wo.step_samples = data::seconds_to_samples(o.step_s, pp_.sfreq_hz, o.step_key);
  wo.batch_size = o.batch_size;
  wo.n_channels = rec_.n_channels();
  wo.preprocess = pp_;
  const bool zscore = pp_.normalization == config::Normalization::zscore;
  std::unique_ptr<ProgressBar> bar;
  if (!o.progress.empty()) {
    bar =
        std::make_unique<ProgressBar>(ProgressOptions(o.progress, input_samples() * (zscore ? 2 : 1)).unit("samples"));
  }
  const auto run_options = [&] {
    data::RecordingRunOptions ro;
    ro.chunk_s = o.chunk_s;
    ro.read_ahead = o.read_ahead;
    if (bar) ro.progress = [&bar](int64_t m) { bar->advance(m); };
    return ro;
  };
  // Pass 1 (z-score): whole-recording statistics, as ingest stores them (the model was trained on windows
  // normalised with them).
  if (zscore) wo.stats = data::recording_stats(rec_, pp_, run_options());
  // Pass 2: windows -> batches -> consumer.
  data::WindowBatcher batcher(std::move(wo), consumer);
  data::run_recording(rec_, pp_, batcher, run_options());
  if (bar) bar->finish();
}

}  // namespace efm::eval::detail
