#include "epilepsyfm/train/learning_tasks.h"

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/random.h"
#include "epilepsyfm/train/optim.h"

namespace efm::train {

models::EegInput eeg_input(const data::Batch& batch) {
  models::EegInput in;
  in.signal = batch.signal;
  in.channel_ids = batch.channel_ids;
  in.region_ids = batch.region_ids;
  return in;
}

// ---- tokenizer ------------------------------------------------------------------------------------------------

TokenizerTask::TokenizerTask(models::TokenizerOptions options) : tokenizer_(std::move(options)) {
  // One EMA step per optimiser step over all micro-batches and ranks (applied in after_backward).
  tokenizer_->quantizer->set_deferred_update(true);
}

StepResult TokenizerTask::train_step(const data::Batch& batch, const StepContext& ctx) {
  (void)ctx;
  const models::TokenizerOutput out = tokenizer_->forward(eeg_input(batch));
  StepResult r;
  r.loss = out.loss;
  // Read by the Trainer once per step (no host sync here).
  r.tensor_metrics = {{"commitment_loss", out.commitment_loss.detach()},
                      {"amplitude_loss", out.amplitude_loss.detach()},
                      {"phase_loss", out.phase_loss.detach()}};
  r.windows = batch.size();
  return r;
}

void TokenizerTask::on_start(ProcessGroup& dist) {
  ProcessGroup* pg = &dist;
  tokenizer_->quantizer->set_sync_hooks(
      {[pg](torch::Tensor& t) { pg->all_reduce_sum(t); }, [pg](torch::Tensor& t) { pg->broadcast(t, /*root=*/0); }});
}

void TokenizerTask::after_backward(const StepContext& ctx) {
  (void)ctx;
  tokenizer_->quantizer->apply_pending();
}

std::map<std::string, double> TokenizerTask::interval_metrics(const StepContext& ctx) {
  (void)ctx;
  auto& q = *tokenizer_->quantizer;
  // usage_counts were all-reduced with the EMA statistics, so every rank reports the same values.
  std::map<std::string, double> m{
      {"codebook_usage", q.usage()},
      {"codebook_perplexity", q.perplexity()},
      {"codebook_dead",
       (q.cluster_size() < q.options().dead_code_threshold()).to(torch::kDouble).mean().item<double>()}};
  q.reset_usage();
  return m;
}

// ---- masked pretraining ---------------------------------------------------------------------------------------

PretrainTask::PretrainTask(PretrainTaskOptions options, models::NeuralTokenizer tokenizer)
    : options_(std::move(options)), tokenizer_(std::move(tokenizer)), masks_(options_.mask) {
  EFM_CHECK_ARG(tokenizer_, "PretrainTask: no tokenizer");
  const int64_t k = tokenizer_->options().vq().n_codes();
  EFM_CHECK_CONFIG(k == options_.model.codebook_size(),
                   "pretrain: the tokenizer has {} codes but the model's lm_head predicts {} classes", k,
                   options_.model.codebook_size());
  EFM_CHECK_CONFIG(tokenizer_->quantizer->initialized(),
                   "pretrain: the tokenizer's codebook was never initialised (quantizer.initialized is false): "
                   "train it with `epilepsyfm tokenizer` first");
  tokenizer_->eval();
  tokenizer_->quantizer->set_update(false);
  for (auto& p : tokenizer_->parameters()) p.set_requires_grad(false);
  model_ = models::MaskedEegModel(options_.model);
  label_counts_ = torch::zeros({k}, torch::kDouble);
}

StepResult PretrainTask::train_step(const data::Batch& batch, const StepContext& ctx) {
  const models::EegInput input = eeg_input(batch);
  torch::Tensor codes;
  {
    torch::NoGradGuard no_grad;
    // encode() runs in float32 whatever train.precision is (models/tokenizer.h): the codes `tokenizer encode`
    // gives, the same for bf16, fp16 and fp32 runs.
    codes = tokenizer_->encode(input);  // [B, C*T]
  }
  label_counts_ += torch::bincount(codes.reshape({-1}).to(torch::kCPU), {}, label_counts_.size(0)).to(torch::kDouble);
  const int64_t b = batch.size();
  const int64_t c = batch.signal.size(1);
  const int64_t t = batch.signal.size(2) / model_->options().backbone().patch_samples();
  // Window position in the step batch (data/sampler.h): rank r's micro-batch m holds [(m * world + r) * B, +B).
  const int64_t world = ctx.dist ? ctx.dist->world_size() : 1;
  const int64_t rank = ctx.dist ? ctx.dist->rank() : 0;
  const int64_t first = (ctx.micro * world + rank) * b;
  const models::MaskResult mask = masks_.generate(
      b, c, t, derive_seed(options_.seed, "mask", static_cast<uint64_t>(ctx.step)), batch.region_ids, first);
  const models::MemLoss l = model_->symmetric_loss(input, codes, mask.mask.to(batch.signal.device()));
  StepResult r;
  r.loss = l.loss;
  if (world > 1) {
    // Each part is a mean over this rank's tokens, and the Trainer averages gradients over ranks. Region and
    // channel-set masks hide different numbers of tokens per window, so weight each part by this rank's share of
    // the global count: N processes x B windows then give the gradient of one process with N*B windows.
    const int64_t n_sym = b * c * t - l.n_masked;
    torch::Tensor n = torch::tensor({static_cast<double>(l.n_masked), static_cast<double>(n_sym)}, torch::kDouble);
    ctx.dist->all_reduce_sum(n);
    const auto share = [&](int64_t local, double global) {
      return global > 0 ? static_cast<double>(local * world) / global : 0.0;
    };
    r.loss =
        l.loss_masked * share(l.n_masked, n[0].item<double>()) + l.loss_symmetric * share(n_sym, n[1].item<double>());
  }
  r.tensor_metrics = {{"loss_masked", l.loss_masked.detach()}, {"loss_symmetric", l.loss_symmetric.detach()}};
  r.metrics = {{"accuracy", l.accuracy}, {"accuracy_symmetric", l.accuracy_symmetric}, {"mask_ratio", mask.mean_ratio}};
  r.windows = b;
  return r;
}

std::map<std::string, double> PretrainTask::interval_metrics(const StepContext& ctx) {
  torch::Tensor counts = label_counts_.clone();
  if (ctx.dist) ctx.dist->all_reduce_sum(counts);
  label_counts_.zero_();
  const double total = counts.sum().item<double>();
  if (total <= 0) return {};
  return {{"label_majority_frac", counts.max().item<double>() / total},
          {"label_perplexity", models::perplexity_of(counts)}};
}

void PretrainTask::save_state(torch::serialize::OutputArchive& archive) const {
  archive.write("label_counts", label_counts_);
}

void PretrainTask::load_state(torch::serialize::InputArchive& archive) {
  torch::Tensor t;
  archive.read("label_counts", t);
  EFM_CHECK_DATA(t.sizes() == label_counts_.sizes(), "task.pt: label_counts has {} entries but the codebook has {}",
                 t.numel(), label_counts_.numel());
  label_counts_.copy_(t);
}

}  // namespace efm::train
