// epilepsyfm embed (eval/inference/embed.h): a store's windows (or one streamed recording, embed_recording.cpp)
// through a trained backbone into an embedding file.
#include "epilepsyfm/eval/inference/embed.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <memory>
#include <vector>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/progress.h"
#include "epilepsyfm/data/loader.h"
#include "epilepsyfm/data/store_source.h"
#include "epilepsyfm/data/subset_source.h"
#include "epilepsyfm/data/windows.h"
#include "epilepsyfm/eval/finetune/split.h"
#include "epilepsyfm/io/embedding_file.h"
#include "epilepsyfm/models/runtime.h"
#include "epilepsyfm/train/learning_tasks.h"
#include "eval/inference/detail/embed_model.h"

namespace efm::eval {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

struct SplitPartOf {
  EmbedSplit split;
  SplitPart part;
};
constexpr SplitPartOf kSplitParts[] = {
    {EmbedSplit::train, SplitPart::train}, {EmbedSplit::val, SplitPart::val}, {EmbedSplit::test, SplitPart::test}};

void check_options(const EmbedOptions& o) {
  EFM_CHECK_CONFIG(!o.model.empty(), "--model: no model given");
  EFM_CHECK_CONFIG(o.store.empty() != o.input.empty(), "embed: give either --store STORE or --input FILE, not {}",
                   o.store.empty() ? "neither" : "both");
  EFM_CHECK_CONFIG(!o.out.empty(), "--out: no output file given");
  EFM_CHECK_CONFIG(o.batch_size >= 1, "--batch-size must be >= 1, got {}", o.batch_size);
  EFM_CHECK_CONFIG(o.input.empty() || o.split == EmbedSplit::all,
                   "--split {}: a split selects recordings of a store, not of --input", o.split);
}

void check_store_preprocessing(const detail::EmbedModel& m, const data::StoreWindowSource& store,
                               const EmbedOptions& o) {
  EFM_CHECK_CONFIG(!store.store().recordings().empty(), "--store: {} holds no recordings", o.store.string());
  detail::check_data_preprocessing(m, store.store().details(0)->preprocessing.spec,
                                   fmt::format("the store {} holds", o.store.string()), o.allow_preprocessing_mismatch);
}

/// Every recording of the store, or those of one part of the fine-tuning run's split.
std::shared_ptr<const data::WindowSource> split_source(const detail::EmbedModel& m,
                                                       const std::shared_ptr<const data::StoreWindowSource>& store,
                                                       EmbedSplit split, const fs::path& store_dir) {
  if (split == EmbedSplit::all) return store;
  EFM_CHECK_CONFIG(!m.splits_csv.empty(),
                   "--split {}: the model {} comes with no splits.csv (only a fine-tuning run has a split); use "
                   "--split all",
                   split, m.weights.string());
  const SplitPart part = std::find_if(std::begin(kSplitParts), std::end(kSplitParts), [&](const auto& e) {
                           return e.split == split;
                         })->part;
  const Split s = read_splits_csv(m.splits_csv, store->recordings(), /*allow_missing=*/true);
  std::vector<int64_t> recs = s.recordings(part);
  EFM_CHECK_CONFIG(!recs.empty(), "--split {}: no recording of the store {} is in the {} split of {}", split,
                   store_dir.string(), split_name(part), m.splits_csv.string());
  EFM_LOG_INFO("[embed] split {}: {} of {} recordings ({})", split, recs.size(), store->recordings().size(),
               m.splits_csv.string());
  return std::make_shared<data::SubsetWindowSource>(store, std::move(recs));
}

/// The channel names of each channel group; ConfigError when a group's windows do not fit the model.
std::vector<std::vector<std::string>> checked_channel_groups(const detail::EmbedModel& m,
                                                             const data::WindowSource& source,
                                                             const data::WindowIndex& index) {
  std::vector<std::vector<std::string>> groups;
  for (const auto& g : index.groups()) {
    const auto& info = source.recordings()[static_cast<size_t>(g.recordings.at(0))];
    try {
      m.backbone->check_spec(models::SignalSpec{info.channel_names, info.sfreq_hz, g.window_samples});
    } catch (const Error& e) {
      throw ConfigError(fmt::format("recording '{}': {}", info.id, e.what()));
    }
    detail::warn_unlearnt_channels(m, info.channel_names, fmt::format("recording '{}'", info.id));
    groups.push_back(info.channel_names);
  }
  return groups;
}

io::EmbeddingFileHeader make_header(const detail::EmbedModel& m, const EmbedOptions& o,
                                    const data::WindowSource& source, const data::WindowIndex& index) {
  io::EmbeddingFileHeader h = m.file_header();
  h.source = o.store.string();
  h.window_s = index.options().window_s;
  h.stride_s = index.options().stride_s;
  for (const auto& r : source.recordings()) h.recordings.push_back(r.id);
  h.channel_groups = checked_channel_groups(m, source, index);
  return h;
}

/// One batch through the model into the file.
void embed_batch(detail::EmbedModel& m, const data::Batch& b, const torch::Device& device,
                 const data::WindowSource& source, io::EmbeddingWriter& out) {
  const data::Batch in = device.is_cpu() ? b : b.to(device);
  const auto [pooled, logits] = m.forward(train::eeg_input(in));
  const auto n = static_cast<size_t>(b.size());
  std::vector<int32_t> recording(n), group(n, static_cast<int32_t>(b.group));
  std::vector<double> start_s(n);
  for (size_t i = 0; i < n; ++i) {
    recording[i] = static_cast<int32_t>(b.recordings[i]);
    const double sf = source.recordings()[static_cast<size_t>(b.recordings[i])].sfreq_hz;
    start_s[i] = static_cast<double>(b.start_samples[i]) / sf;
  }
  detail::append_outputs(out, pooled, logits, recording, start_s, group);
}

/// The windows of a store (or of one part of the run's split) into `o.out`; returns windows and recordings.
EmbedResult embed_store(detail::EmbedModel& m, const EmbedOptions& o, const torch::Device& device) {
  auto store = std::make_shared<data::StoreWindowSource>(o.store);
  check_store_preprocessing(m, *store, o);
  const std::shared_ptr<const data::WindowSource> source = split_source(m, store, o.split, o.store);
  data::WindowOptions wo;
  wo.window_s = o.window_s.value_or(m.window_s);
  wo.stride_s = o.stride_s.value_or(wo.window_s);
  wo.drop_rejected = false;
  auto index = std::make_shared<data::WindowIndex>(data::WindowIndex::build(*source, wo));
  EFM_CHECK_CONFIG(index->size() > 0, "--store: {} has no window of {} s in the recordings selected (--split {})",
                   o.store.string(), wo.window_s, o.split);
  io::EmbeddingWriter out(o.out, make_header(m, o, *source, *index));
  EFM_LOG_INFO("[embed] {} windows of {} s every {} s from {} recordings of {}", index->size(), wo.window_s,
               wo.stride_s, source->recordings().size(), o.store.string());
  data::SamplerOptions so;
  so.batch_size = o.batch_size;
  so.shuffle = false;
  so.tail = data::TailPolicy::keep;
  data::Loader loader(source, data::BatchSampler(index, so), data::LoaderOptions().workers(1).epochs(1));
  std::unique_ptr<ProgressBar> bar;
  if (o.progress) bar = std::make_unique<ProgressBar>(ProgressOptions("embed", index->size()).unit("windows"));
  while (auto batch = loader.next()) {
    embed_batch(m, *batch, device, *source, out);
    if (bar) bar->advance(batch->size());
  }
  if (bar) bar->finish();
  out.finish();
  EmbedResult r;
  r.windows = out.rows();
  r.recordings = static_cast<int64_t>(source->recordings().size());
  return r;
}

}  // namespace

EmbedResult run_embed(const EmbedOptions& o) {
  const auto t_start = Clock::now();
  check_options(o);
  detail::EmbedModel m = detail::load_embed_model(o.model);
  const int threads = models::configure_threads(o.threads);
  const torch::Device device = models::select_device(o.device);
  m.to(device);
  EFM_LOG_INFO("[embed] {} ({} model{}), d = {}, {} threads, device {}", m.weights.string(), m.kind,
               m.classifier ? fmt::format(", {} logits", m.n_logits()) : std::string(), m.embed_dim(), threads,
               device.str());
  EmbedResult r = o.input.empty() ? embed_store(m, o, device) : detail::embed_recording(m, o, device);
  r.embed_dim = m.embed_dim();
  r.n_logits = m.n_logits();
  r.elapsed_s = std::chrono::duration<double>(Clock::now() - t_start).count();
  EFM_LOG_INFO("[embed] {} windows in {:.1f} s -> {}", r.windows, r.elapsed_s, o.out.string());
  return r;
}

}  // namespace efm::eval
