// embed --input (detail/embed_model.h): one recording through the ingest preprocessing of the model's store, in
// constant memory (predict's pipeline, detail/recording_stream.h).
#include <fmt/format.h>

#include <vector>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/data/ingest.h"
#include "epilepsyfm/data/windows.h"
#include "epilepsyfm/signal/preprocess.h"
#include "eval/inference/detail/embed_model.h"
#include "eval/inference/detail/recording_stream.h"

namespace efm::eval::detail {

namespace {

/// Each batch of windows through the model into the file (recording 0, channel group 0).
class EmbeddingSink : public data::WindowConsumer {
 public:
  EmbeddingSink(EmbedModel& m, const RecordingStream& stream, const torch::Device& device, io::EmbeddingWriter& out)
      : m_(m), stream_(stream), device_(device), out_(out), channels_(stream.channel_input(device)) {}

  void windows(const data::WindowBatch& b) override {
    models::EegInput in = channels_;
    in.signal = torch::from_blob(const_cast<float*>(b.data), {b.size, b.channels, b.window_samples}, torch::kFloat32)
                    .to(device_);
    const auto [pooled, logits] = m_.forward(in);
    const auto n = static_cast<size_t>(b.size);
    const double onset_s = stream_.recording().spans[b.segment].onset_s;
    std::vector<int32_t> zeros(n, 0);
    std::vector<double> start_s(n);
    for (size_t i = 0; i < n; ++i) start_s[i] = onset_s + static_cast<double>(b.starts[i]) / stream_.sfreq_hz();
    append_outputs(out_, pooled, logits, zeros, start_s, zeros);
  }

 private:
  EmbedModel& m_;
  const RecordingStream& stream_;
  torch::Device device_;
  io::EmbeddingWriter& out_;
  models::EegInput channels_;
};

/// ConfigError naming the input when its windows do not fit the model.
void check_geometry(const EmbedModel& m, const RecordingStream& stream, double window_s, const EmbedOptions& o) {
  const double sf = stream.sfreq_hz();
  try {
    m.backbone->check_spec(
        models::SignalSpec{stream.recording().plan.names, sf, data::seconds_to_samples(window_s, sf, "--window-s")});
  } catch (const Error& e) {
    throw ConfigError(fmt::format("--input {}: {}", o.input.string(), e.what()));
  }
}

}  // namespace

EmbedResult embed_recording(EmbedModel& m, const EmbedOptions& o, const torch::Device& device) {
  EFM_CHECK_CONFIG(m.ingest.has_value(),
                   "--input: the model {} comes with no ingest settings to preprocess a recording with (a pretraining "
                   "run takes them from its data.store, which is not there); ingest the file to a store first",
                   m.weights.string());
  const config::IngestConfig& ing = *m.ingest;
  check_data_preprocessing(m,
                           signal::preprocessing_spec(data::preprocess_options(ing.preprocess), ing.channels.montage),
                           "the ingest settings of its store give", o.allow_preprocessing_mismatch);
  const RecordingStream stream(o.input, ing);
  const data::PlannedRecording& rec = stream.recording();
  for (const auto& w : rec.plan.warnings) EFM_LOG_WARN("[embed] {}: {}", rec.name, w);
  StreamOptions so;
  so.window_s = o.window_s.value_or(m.window_s);
  so.step_s = o.stride_s.value_or(so.window_s);
  so.step_key = "--stride-s";
  so.batch_size = o.batch_size;
  so.read_ahead = at::get_num_threads() > 1;
  if (o.progress) so.progress = "embed";
  check_geometry(m, stream, so.window_s, o);

  io::EmbeddingFileHeader h = m.file_header();
  h.source = o.input.string();
  h.window_s = so.window_s;
  h.stride_s = so.step_s;
  h.recordings = {o.input.stem().string()};
  h.channel_groups = {rec.plan.names};
  warn_unlearnt_channels(m, rec.plan.names, o.input.filename().string());
  io::EmbeddingWriter out(o.out, h);
  EFM_LOG_INFO("[embed] {}: {} channels at {} Hz, {:.1f} s in {} segment(s); windows of {} s every {} s",
               o.input.filename().string(), rec.n_channels(), rec.plan.sfreq_hz, rec.info().duration_s,
               rec.spans.size(), so.window_s, so.step_s);
  EmbeddingSink sink(m, stream, device, out);
  stream.run(so, sink);
  out.finish();
  EmbedResult r;
  r.windows = out.rows();
  r.recordings = 1;
  return r;
}

}  // namespace efm::eval::detail
