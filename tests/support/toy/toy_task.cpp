#include "toy/toy_task.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <random>
#include <thread>

namespace efm::test {

std::shared_ptr<data::InMemoryWindowSource> make_toy_source(const ToySourceOptions& o) {
  auto src = std::make_shared<data::InMemoryWindowSource>(std::vector<std::string>{"background", "seizure"});
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  const auto n = static_cast<int64_t>(std::llround(o.duration_s * o.sfreq_hz));
  const auto span = static_cast<int64_t>(std::llround(o.span_s * o.sfreq_hz));
  for (int64_t r = 0; r < o.recordings; ++r) {
    data::RecordingInfo info;
    info.id = "toy" + std::to_string(r) + ".edf";
    info.subject = "s" + std::to_string(r / 2);
    info.channel_names = {"FP1", "FP2", "C3"};
    info.channel_ids = {0, 1, 2};
    info.region_ids = {0, 1, 4};
    if (r % 2 == 1) {
      info.channel_names.push_back("C4");
      info.channel_ids.push_back(3);
      info.region_ids.push_back(4);
    }
    info.sfreq_hz = o.sfreq_hz;
    info.n_samples = n;
    const int64_t sz_from = static_cast<int64_t>(10 * o.sfreq_hz), sz_to = static_cast<int64_t>(20 * o.sfreq_hz);
    for (int64_t s = 0; s + span <= n; s += span) {
      info.spans.push_back({s, span, (s >= sz_from && s + span <= sz_to) ? 1 : 0, false});
    }
    const size_t c = info.channel_names.size();
    std::vector<float> sig(c * static_cast<size_t>(n));
    for (size_t ch = 0; ch < c; ++ch) {
      for (int64_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / o.sfreq_hz;
        const bool seizure = i >= sz_from && i < sz_to;
        const double rhythm = seizure ? 2.0 * std::sin(2 * M_PI * 7.0 * t + static_cast<double>(ch)) : 0.0;
        sig[ch * static_cast<size_t>(n) + static_cast<size_t>(i)] = static_cast<float>(rhythm) + noise(rng);
      }
    }
    src->add(std::move(info), std::move(sig));
  }
  return src;
}

ToyNetImpl::ToyNetImpl(int64_t window_samples, int64_t hidden, int64_t vocab)
    : encoder(register_module("encoder", torch::nn::Linear(window_samples, hidden))),
      channel_embed(register_module("channel_embed", torch::nn::Embedding(vocab, hidden))),
      norm(register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})))),
      head(register_module("head", torch::nn::Linear(hidden, 1))),
      cls_token(register_parameter("cls_token", torch::zeros({1, hidden}))) {}

torch::Tensor ToyNetImpl::forward(const torch::Tensor& x, const torch::Tensor& channel_ids) {
  auto h = encoder->forward(x) + channel_embed->forward(channel_ids);  // [B, C, H]
  h = torch::gelu(norm->forward(h)).mean(1) + cls_token;               // [B, H]
  return head->forward(h).squeeze(-1);                                 // [B]
}

ToyTask::ToyTask(ToyTaskOptions options, std::shared_ptr<const data::WindowSource> eval_source)
    : options_(options), eval_source_(std::move(eval_source)) {
  torch::manual_seed(options_.init_seed);
  net_ = ToyNet(options_.window_samples);
}

train::StepResult ToyTask::train_step(const data::Batch& batch, const train::StepContext& ctx) {
  if (options_.sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options_.sleep_ms));
  if (options_.signal_at_step > 0 && ctx.step + 1 == options_.signal_at_step && ctx.micro == 0) std::raise(SIGTERM);
  const torch::Tensor& x = batch.signal;
  if (options_.nan_at_step > 0 && ctx.step + 1 == options_.nan_at_step && ctx.micro == 0) {
    // corrupt the batch itself (as a bad sample in the store would), so the trainer can point at the window
    x[0][1][3] = std::numeric_limits<float>::quiet_NaN();
  }
  const auto logits = net_->forward(x, batch.channel_ids);
  const auto target = batch.labels.to(torch::kFloat32);
  const auto loss = torch::binary_cross_entropy_with_logits(logits, target);
  ++steps_seen_;
  const double acc = ((logits > 0).to(torch::kFloat32) == target).to(torch::kFloat32).mean().item<double>();
  return {loss, {{"acc", acc}}, batch.size()};
}

std::map<std::string, double> ToyTask::evaluate(const train::EvalContext&) {
  // A fixed evaluation set: the first window of each 2-s span of recordings 0 and 1 at the model's length.
  double loss = 0, correct = 0;
  int64_t count = 0;
  const auto& recs = eval_source_->recordings();
  for (int64_t r = 0; r < 2 && r < static_cast<int64_t>(recs.size()); ++r) {
    const auto& info = recs[static_cast<size_t>(r)];
    const int64_t c = static_cast<int64_t>(info.channel_ids.size());
    for (const auto& span : info.spans) {
      if (span.start_sample + options_.window_samples > info.n_samples) continue;
      auto x = torch::empty({1, c, options_.window_samples});
      eval_source_->read(r, span.start_sample, options_.window_samples, x.data_ptr<float>());
      auto ids = torch::tensor(info.channel_ids, torch::kInt64).unsqueeze(0);
      auto logit = net_->forward(x, ids);
      auto target = torch::full({1}, static_cast<float>(span.label));
      loss += torch::binary_cross_entropy_with_logits(logit, target).item<double>();
      correct += ((logit.item<double>() > 0) == (span.label == 1)) ? 1 : 0;
      ++count;
    }
  }
  return {{"loss", loss / static_cast<double>(count)}, {"acc", correct / static_cast<double>(count)}};
}

void ToyTask::save_state(torch::serialize::OutputArchive& archive) const {
  archive.write("steps_seen", torch::tensor({steps_seen_}, torch::kInt64));
}

void ToyTask::load_state(torch::serialize::InputArchive& archive) {
  torch::Tensor t;
  archive.read("steps_seen", t);
  steps_seen_ = t.item<int64_t>();
}

}  // namespace efm::test
