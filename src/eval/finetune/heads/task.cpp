// FinetuneTask: what every head shares (split sources, model, layer decay, linear probing, evaluation batches).
#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <set>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/data/subset_source.h"
#include "epilepsyfm/eval/finetune/heads/head.h"
#include "epilepsyfm/models/checkpoint_io.h"
#include "epilepsyfm/train/learning_tasks.h"

namespace efm::eval {

std::string input_text(HeadInput input) {
  switch (input) {
    case HeadInput::window: return "window";
    case HeadInput::history_horizon: return "history -> horizon";
    case HeadInput::recording: return "all windows of a subject/recording";
  }
  return "?";
}

FinetuneTask::FinetuneTask(HeadSpec spec, HeadSetup setup) : spec_(std::move(spec)), setup_(std::move(setup)) {
  EFM_CHECK_ARG(setup_.source != nullptr, "head '{}': no window source", spec_.name);
  EFM_CHECK_ARG(setup_.seizure_labels.empty() || setup_.seizure_labels.size() == setup_.source->label_names().size(),
                "head '{}': {} seizure flags for {} labels", spec_.name, setup_.seizure_labels.size(),
                setup_.source->label_names().size());
}

FinetuneTask::~FinetuneTask() = default;

void FinetuneTask::bind(const Split& split, const models::BackboneOptions& backbone, bool for_training) {
  EFM_CHECK_ARG(split.part_of.size() == setup_.source->recordings().size(),
                "head '{}': the split has {} entries for {} recordings", spec_.name, split.part_of.size(),
                setup_.source->recordings().size());
  split_ = split;
  for (SplitPart p : {SplitPart::train, SplitPart::val, SplitPart::test}) {
    const auto i = static_cast<size_t>(p);
    sources_[i] = std::make_shared<data::SubsetWindowSource>(setup_.source, split.recordings(p));
    indices_[i] = std::make_shared<data::WindowIndex>(
        data::WindowIndex::build(*sources_[i], window_options(p != SplitPart::train)));
  }
  EFM_CHECK_CONFIG(!for_training || indices_[0]->size() > 0,
                   "head '{}': the training split has no usable windows ({} recordings; {})", spec_.name,
                   sources_[0]->recordings().size(), describe_data());
  models::BackboneOptions opts = backbone;
  opts.drop_path(linear_probe() ? 0.0 : exp().finetune.drop_path);
  model_ = FinetuneModel(opts, make_head(opts.embed_dim()));
  if (linear_probe()) {
    for (auto& p : model_->backbone->parameters()) p.set_requires_grad(false);
  }
  if (for_training) after_bind();
}

void FinetuneTask::load_backbone(const std::map<std::string, torch::Tensor>& tensors, const std::string& prefix,
                                 const std::string& origin, const std::vector<std::string>& may_be_missing) {
  EFM_CHECK_STATE(model_, "load_backbone before bind");
  EFM_CHECK_DATA(
      std::any_of(tensors.begin(), tensors.end(), [&](const auto& kv) { return kv.first.rfind(prefix, 0) == 0; }),
      "{}: no tensor with prefix '{}' (set init.prefix)", origin, prefix);
  models::LoadOptions lo;
  lo.prefix = prefix;
  lo.strict = false;                 // judged below, with the fine-tuning hint (a refused load ends the run)
  lo.may_be_missing = {"fc_norm."};  // fine-tuning's pooled-feature norm: pretraining has none
  lo.may_be_missing.insert(lo.may_be_missing.end(), may_be_missing.begin(), may_be_missing.end());
  const models::LoadReport r = models::load_state_dict(*model_->backbone, tensors, origin, lo);
  EFM_CHECK_DATA(r.missing.empty() && r.unexpected.empty() && r.mismatched.empty(),
                 "{}: the pretrained weights do not fit the backbone (prefix '{}'): {}; check the model: section (or "
                 "init.use_checkpoint_model), or list what the weights may lack in init.may_be_missing",
                 origin, prefix, r.summary());
  EFM_LOG_INFO("[finetune] pretrained backbone from {}: {}", origin, r.summary());
}

std::shared_ptr<const data::WindowSource> FinetuneTask::part_source(SplitPart part) const {
  return sources_[static_cast<size_t>(part)];
}
std::shared_ptr<const data::WindowIndex> FinetuneTask::part_index(SplitPart part) const {
  return indices_[static_cast<size_t>(part)];
}

std::vector<std::string> FinetuneTask::training_channels() const {
  // Every channel group: a store may mix montages (Bonn's single channel next to 10-20 scalp recordings).
  std::vector<std::string> out;
  const auto& idx = *indices_[0];
  for (const auto& g : idx.groups()) {
    if (g.recordings.empty()) continue;
    for (const auto& n : sources_[0]->recordings()[static_cast<size_t>(g.recordings[0])].channel_names) {
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
  }
  return out;
}

std::string FinetuneTask::describe_data() const {
  std::string out;
  for (SplitPart p : {SplitPart::train, SplitPart::val, SplitPart::test}) {
    const auto i = static_cast<size_t>(p);
    if (!sources_[i]) continue;
    const auto& recs = sources_[i]->recordings();
    std::set<std::string> subjects;
    for (const auto& r : recs) subjects.insert(r.subject);
    out += fmt::format("{}{}: {} recordings ({} subjects), {} windows", out.empty() ? "" : "; ", split_name(p),
                       recs.size(), subjects.size(), indices_[i]->size());
  }
  return out;
}

EvalResult FinetuneTask::evaluate_split(SplitPart part, const torch::Device& device, bool report,
                                        const std::string& name) {
  EFM_CHECK_STATE(model_, "evaluate_split before bind");
  const auto i = static_cast<size_t>(part);
  EvalData d;
  d.source = sources_[i];
  d.index = indices_[i];
  d.setup = &setup_;
  d.split = name.empty() ? split_name(part) : name;
  auto subset = std::dynamic_pointer_cast<const data::SubsetWindowSource>(sources_[i]);
  d.base_index = [subset](int64_t r) { return subset->base_index(r); };
  const bool was_training = model_->is_training();
  model_->eval();
  EvalResult r;
  {
    torch::NoGradGuard no_grad;
    r = run_evaluation(d, device, report);
  }
  if (was_training) model_->train();
  r.split = d.split;
  return r;
}

std::map<std::string, double> FinetuneTask::evaluate(const train::EvalContext& ctx) {
  if (indices_[static_cast<size_t>(SplitPart::val)]->size() == 0) return {};
  const EvalResult r = evaluate_split(SplitPart::val, ctx.device, /*report=*/false);
  std::map<std::string, double> out;
  for (const auto& [k, v] : r.metrics.entries()) out[k] = v;
  return out;
}

double FinetuneTask::lr_scale(const std::string& param_name) const {
  if (linear_probe()) return 1.0;
  return layer_decay_scale(param_name, model_->backbone->options().depth(), exp().finetune.layer_decay);
}

models::EegInput FinetuneTask::input_of(const data::Batch& batch) {
  return train::eeg_input(batch);
}

models::BackboneOutput FinetuneTask::backbone_forward(const models::EegInput& input) {
  if (!linear_probe()) return model_->backbone->forward(input);
  // Frozen features: no dropout / drop path and no autograd graph through the backbone.
  model_->backbone->eval();
  torch::NoGradGuard no_grad;
  return model_->backbone->forward(input);
}

namespace {

data::Batch read_batch(const data::WindowSource& source, const data::WindowIndex& index,
                       const std::vector<int64_t>& windows) {
  const auto& w0 = index.windows()[static_cast<size_t>(windows[0])];
  const auto& group = index.groups()[static_cast<size_t>(w0.group)];
  const auto b = static_cast<int64_t>(windows.size());
  const auto c = static_cast<int64_t>(group.channel_ids.size());
  const int64_t n = group.window_samples;
  data::Batch batch;
  batch.group = w0.group;
  batch.signal = torch::empty({b, c, n}, torch::kFloat32);
  batch.channel_ids = torch::empty({b, c}, torch::kInt64);
  batch.region_ids = torch::empty({b, c}, torch::kInt64);
  batch.labels = torch::empty({b}, torch::kInt64);
  batch.padding = torch::zeros({b}, torch::kBool);
  const auto& recs = source.recordings();
  for (int64_t i = 0; i < b; ++i) {
    const auto& w = index.windows()[static_cast<size_t>(windows[static_cast<size_t>(i)])];
    const auto& info = recs[static_cast<size_t>(w.recording)];
    source.read(w.recording, w.start_sample, n, batch.signal.data_ptr<float>() + i * c * n);
    std::copy(info.channel_ids.begin(), info.channel_ids.end(), batch.channel_ids.data_ptr<int64_t>() + i * c);
    std::copy(info.region_ids.begin(), info.region_ids.end(), batch.region_ids.data_ptr<int64_t>() + i * c);
    batch.labels.data_ptr<int64_t>()[i] = w.label;
    batch.recordings.push_back(w.recording);
    batch.start_samples.push_back(w.start_sample);
    batch.recording_ids.push_back(info.id);
  }
  return batch;
}

}  // namespace

void FinetuneTask::for_each_batch(const std::shared_ptr<const data::WindowSource>& source,
                                  const std::shared_ptr<const data::WindowIndex>& index,
                                  const std::vector<int64_t>& selection, const torch::Device& device,
                                  const std::function<void(const data::Batch&)>& fn) const {
  std::vector<int64_t> all;
  if (selection.empty()) {
    all.resize(static_cast<size_t>(index->size()));
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  }
  const std::vector<int64_t>& order = selection.empty() ? all : selection;
  const auto bs = static_cast<size_t>(exp().evaluate.batch_size);
  // Consecutive windows of one channel group form a batch.
  std::vector<std::vector<int64_t>> plans;
  for (int64_t w : order) {
    const int64_t g = index->windows()[static_cast<size_t>(w)].group;
    if (plans.empty() || plans.back().size() >= bs ||
        index->windows()[static_cast<size_t>(plans.back()[0])].group != g) {
      plans.emplace_back();
    }
    plans.back().push_back(w);
  }
  // Reading the next batch overlaps the model's work on this one.
  std::future<data::Batch> next;
  auto start = [&](size_t k) {
    return std::async(std::launch::async, [&, k] { return read_batch(*source, *index, plans[k]); });
  };
  if (!plans.empty()) next = start(0);
  for (size_t k = 0; k < plans.size(); ++k) {
    data::Batch batch = next.get();
    if (k + 1 < plans.size()) next = start(k + 1);
    fn(device.is_cpu() ? batch : batch.to(device));
  }
}

std::vector<Event> FinetuneTask::seizure_events_of(const HeadSetup& setup, int64_t base_recording) {
  if (setup.seizure_events) return setup.seizure_events(base_recording);
  const auto& info = setup.source->recordings()[static_cast<size_t>(base_recording)];
  std::vector<data::LabelledSpan> spans = info.spans;
  std::sort(spans.begin(), spans.end(),
            [](const data::LabelledSpan& a, const data::LabelledSpan& b) { return a.start_sample < b.start_sample; });
  std::vector<Event> out;
  for (const auto& s : spans) {
    if (s.label < 0 || static_cast<size_t>(s.label) >= setup.seizure_labels.size() ||
        !setup.seizure_labels[static_cast<size_t>(s.label)]) {
      continue;
    }
    const double a = static_cast<double>(s.start_sample) / info.sfreq_hz;
    const double b = static_cast<double>(s.start_sample + s.n_samples) / info.sfreq_hz;
    if (!out.empty() && a <= out.back().end_s) {
      out.back().end_s = std::max(out.back().end_s, b);
    } else {
      out.push_back({a, b});
    }
  }
  return out;
}

}  // namespace efm::eval
