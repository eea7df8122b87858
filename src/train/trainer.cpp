#include "epilepsyfm/train/trainer.h"

#include <fmt/format.h>

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/progress.h"
#include "epilepsyfm/core/random.h"
#include "epilepsyfm/core/version.h"
#include "epilepsyfm/train/signals.h"
#include "epilepsyfm/train/train_state.h"

namespace efm::train {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string format_number(double v) {
  return fmt::format("{:.9g}", v);
}

std::pair<std::string, std::string> split_metric(const std::string& m) {
  const auto slash = m.find('/');
  return {m.substr(0, slash), m.substr(slash + 1)};
}

const char* kMetricsHeader = "step,split,metric,value\n";

}  // namespace

// Sums over the steps since the last metrics row.
struct Trainer::Accum {
  int64_t steps = 0;
  int64_t skipped = 0;  // fp16 steps skipped for inf/NaN gradients (their grad_norm is not averaged)
  double loss = 0;
  double grad_norm = 0;
  int64_t windows = 0;
  std::map<std::string, double> metrics;
  Clock::time_point since = Clock::now();
  double wait_at_start = 0;
};

namespace {

// The message of a non-finite loss: step, the micro-batch's position and windows, and which of its windows hold
// non-finite input values (a corrupt sample in the store is the usual cause).
std::string nonfinite_loss_message(double loss, int64_t step, const data::Batch& batch, int64_t world, int64_t rank) {
  std::string bad_inputs;
  for (int64_t i = 0; i < batch.size(); ++i) {
    if (!torch::isfinite(batch.signal[i]).all().item<bool>()) {
      bad_inputs +=
          fmt::format("{}{}@{}", bad_inputs.empty() ? "" : ", ", batch.recording_ids[i], batch.start_samples[i]);
    }
  }
  return fmt::format(
      "non-finite loss ({}) at step {} (epoch {}, micro-batch {} of the epoch{}); batch windows: {}; "
      "non-finite input values in: {}",
      std::isnan(loss) ? "nan" : "inf", step, batch.position.epoch, batch.position.batch,
      world > 1 ? fmt::format(", rank {}", rank) : std::string(), batch.describe_windows(16),
      bad_inputs.empty() ? std::string("none") : bad_inputs);
}

}  // namespace

Trainer::Trainer(TrainerOptions options, TrainingTask& task, std::shared_ptr<const data::WindowSource> source,
                 std::shared_ptr<const data::WindowIndex> index)
    : opt_(std::move(options)),
      task_(task),
      dist_(opt_.dist ? opt_.dist : std::make_shared<ProcessGroup>()),
      source_(std::move(source)),
      checkpoints_(opt_.run_dir, opt_.train.keep_last) {
  const config::TrainConfig& t = opt_.train;
  t.validate("train");
  EFM_CHECK_ARG(!opt_.run_dir.empty(), "Trainer: run_dir is empty");
  if (!dist_->is_main()) log::set_rank(dist_->rank());
  if (opt_.deterministic) at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);

  data::SamplerOptions so;
  so.batch_size = t.batch_size;
  so.accumulation = t.accumulation;
  so.world_size = dist_->world_size();
  so.rank = dist_->rank();
  so.shuffle = t.shuffle;
  so.seed = opt_.seed;
  so.tail = t.tail;
  data::LoaderOptions lo;
  lo.num_workers = static_cast<int>(t.num_workers);
  lo.prefetch = static_cast<int>(t.prefetch);
  lo.pin_memory = opt_.device.is_cuda();  // asynchronous copies to the GPU (Batch::to is non_blocking)
  loader_ = std::make_unique<data::Loader>(source_, data::BatchSampler(std::move(index), so), lo);

  groups_ = make_param_groups(
      task_.model(), t.weight_decay, [this](const std::string& n) { return task_.lr_scale(n); },
      task_.no_weight_decay());
  int64_t n_trainable = 0, n_no_decay = 0;
  for (const auto& g : groups_) {
    for (const auto& p : g.params) {
      params_.push_back(p);
      n_trainable += p.numel();
      if (g.weight_decay == 0) n_no_decay += 1;
    }
  }
  optimizer_ = make_adamw(groups_, AdamWSettings{t.lr, t.betas[0], t.betas[1], t.eps});

  const int64_t spe = steps_per_epoch();
  total_steps_ = t.steps > 0 ? t.steps : t.epochs * spe;
  const int64_t warmup = t.warmup_steps > 0
                             ? t.warmup_steps
                             : static_cast<int64_t>(std::llround(t.warmup_epochs * static_cast<double>(spe)));
  EFM_CHECK_CONFIG(warmup <= total_steps_, "train: warmup of {} steps exceeds the {} training steps", warmup,
                   total_steps_);
  schedule_ = CosineSchedule{t.lr, t.min_lr, warmup, total_steps_};
  precision_ = resolve_precision(t.precision, opt_.device);
  if (precision_ == Precision::fp16) scaler_ = GradScaler(opt_.device);

  if (!t.keep_best.metric.empty()) {
    const auto [split, name] = split_metric(t.keep_best.metric);
    EFM_CHECK_CONFIG(split == "train" || split == "val",
                     "train.keep_best.metric: split '{}' of '{}' is not produced; use 'train/<name>' or 'val/<name>'",
                     split, t.keep_best.metric);
    EFM_CHECK_CONFIG(split != "val" || task_.has_evaluation(),
                     "train.keep_best.metric '{}': this task has no evaluation, so no val/ metrics exist",
                     t.keep_best.metric);
  }
  EFM_LOG_INFO(
      "[train] {} trainable parameters in {} tensors ({} without weight decay, {} groups); global batch {} = {} x "
      "accumulation {} x {} process(es); {} steps ({} per epoch), warmup {}; precision {}; {}",
      n_trainable, params_.size(), n_no_decay, groups_.size(), loader_->sampler().options().step_batch(), t.batch_size,
      t.accumulation, dist_->world_size(), total_steps_, spe, warmup,
      precision_ == Precision::fp32   ? std::string("fp32")
      : precision_ == Precision::bf16 ? std::string("bf16 (autocast)")
                                      : fmt::format("fp16 (autocast, loss scale {:g})", scaler_.options().init_scale),
      dist_->single() ? std::string("single process") : fmt::format("rank {}/{}", dist_->rank(), dist_->world_size()));
  if (loader_->sampler().dropped_per_epoch() > 0) {
    EFM_LOG_INFO("[train] {} windows per epoch do not fill a step batch and are dropped (train.tail: drop)",
                 loader_->sampler().dropped_per_epoch());
  }
}

Trainer::~Trainer() = default;

int64_t Trainer::steps_per_epoch() const {
  return loader_->sampler().steps_per_epoch();
}

data::SamplerPosition Trainer::data_position() const {
  return prefetched_ ? prefetched_->position : loader_->state();
}

data::Batch Trainer::next_batch(int64_t step) {
  const auto t0 = Clock::now();
  std::optional<data::Batch> batch;
  if (prefetched_) {
    batch = std::move(prefetched_);
    prefetched_.reset();
  } else {
    batch = loader_->next();
    EFM_CHECK_STATE(batch.has_value(), "the training loader ended early at step {}", step);
    if (!opt_.device.is_cpu()) batch = batch->to(opt_.device);
  }
  data_wait_s_ += seconds_since(t0);
  return std::move(*batch);
}

void Trainer::prefetch(int64_t step) {
  if (opt_.device.is_cpu() || prefetched_) return;
  const auto t0 = Clock::now();
  std::optional<data::Batch> batch = loader_->next();
  EFM_CHECK_STATE(batch.has_value(), "the training loader ended early at step {}", step);
  // From pinned memory the copy is queued on the current stream and this returns at once; the kernels of the
  // micro-batch queued before it run meanwhile.
  prefetched_ = batch->to(opt_.device);
  data_wait_s_ += seconds_since(t0);
}

std::string Trainer::last_checkpoint_text() const {
  if (last_saved_step_ < 0) return "none (no checkpoint written yet)";
  return (checkpoints_.dir() / checkpoint_name(last_saved_step_)).string();
}

void Trainer::write_checkpoint(bool is_best) {
  // Read before rank 0's branch: the loss scale lives on the device.
  const double loss_scale = scaler_.scale_value();
  const int64_t growth_tracker = scaler_.growth_tracker();
  if (dist_->is_main()) {
    const data::SamplerPosition pos = data_position();
    const auto t0 = Clock::now();
    const fs::path dir = checkpoints_.save(
        step_,
        [&](const fs::path& tmp) {
          save_module_state(task_.model(), tmp / "model.pt");
          {
            torch::serialize::OutputArchive a;
            optimizer_->save(a);
            a.save_to((tmp / "optimizer.pt").string());
          }
          {
            torch::serialize::OutputArchive a;
            at::Generator gen = at::detail::getDefaultCPUGenerator();
            torch::Tensor state;
            {
              std::lock_guard<std::mutex> lock(gen.mutex());
              state = gen.get_state();
            }
            a.write("torch_cpu_generator", state);
            a.save_to((tmp / "rng.pt").string());
          }
          {
            torch::serialize::OutputArchive a;
            task_.save_state(a);
            a.save_to((tmp / "task.pt").string());
          }
          TrainState st;
          st.step = step_;
          st.total_steps = total_steps_;
          st.epoch = pos.epoch;
          st.batch = pos.batch;
          st.next_lr = schedule_.at(step_);
          st.world_size = dist_->world_size();
          st.batch_size = opt_.train.batch_size;
          st.accumulation = opt_.train.accumulation;
          st.seed = static_cast<int64_t>(opt_.seed);
          st.best_metric = opt_.train.keep_best.metric;
          st.best_value = best_value_;
          st.best_step = best_step_;
          if (scaler_.enabled()) {
            st.loss_scale = loss_scale;
            st.loss_scale_growth_tracker = growth_tracker;
          }
          st.tool_version = tool_version();
          st.write(tmp);
          atomic_write_file(tmp / "config.yaml", opt_.config_yaml);
        },
        is_best);
    EFM_LOG_INFO("[ckpt] step {} -> {} ({:.1f} s){}", step_, dir.string(), seconds_since(t0), is_best ? " (best)" : "");
  }
  last_saved_step_ = step_;
  dist_->barrier();  // nobody moves on (or exits) before the checkpoint is complete
}

void Trainer::resume(const fs::path& checkpoint) {
  fs::path dir = checkpoint;
  if (dir.empty()) {
    auto latest = checkpoints_.latest();
    EFM_CHECK_CONFIG(latest.has_value(), "cannot resume: {} has no checkpoint ('latest' is missing)",
                     checkpoints_.dir().string());
    dir = *latest;
  }
  EFM_CHECK_CONFIG(fs::is_directory(dir), "cannot resume: checkpoint {} does not exist", dir.string());
  const TrainState st = TrainState::read(dir);
  EFM_CHECK_CONFIG(st.world_size == dist_->world_size() && st.batch_size == opt_.train.batch_size &&
                       st.accumulation == opt_.train.accumulation,
                   "cannot resume {}: it was made with {} process(es) x batch_size {} x accumulation {}, this run "
                   "has {} x {} x {}; the data order would differ (use the same settings)",
                   dir.string(), st.world_size, st.batch_size, st.accumulation, dist_->world_size(),
                   opt_.train.batch_size, opt_.train.accumulation);
  if (st.total_steps != total_steps_) {
    EFM_LOG_WARN(
        "[train] the checkpoint was planned for {} steps, this run for {}: the learning-rate schedule "
        "changes from here on",
        st.total_steps, total_steps_);
  }
  load_module_state(task_.model(), dir / "model.pt", /*strict=*/true);
  {
    torch::serialize::InputArchive a;
    a.load_from((dir / "optimizer.pt").string(), opt_.device);  // moments live where the parameters do
    optimizer_->load(a);
  }
  {
    torch::serialize::InputArchive a;
    a.load_from((dir / "rng.pt").string());
    torch::Tensor state;
    a.read("torch_cpu_generator", state);
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
  }
  {
    torch::serialize::InputArchive a;
    a.load_from((dir / "task.pt").string());
    task_.load_state(a);
  }
  step_ = st.step;
  prefetched_.reset();
  loader_->restore(data::SamplerPosition{st.epoch, st.batch});
  if (scaler_.enabled()) {
    if (st.loss_scale && st.loss_scale_growth_tracker) {
      scaler_.set_state(*st.loss_scale, *st.loss_scale_growth_tracker);
    } else {
      EFM_LOG_INFO("[train] {} has no loss scale (it was not a float16 run): starting at {:g}",
                   (dir / TrainState::kFile).string(), scaler_.options().init_scale);
    }
  }
  best_step_ = st.best_step;
  if (st.best_value && st.best_metric == opt_.train.keep_best.metric) best_value_ = st.best_value;
  last_saved_step_ = step_;

  if (dist_->is_main()) {
    // Drop metrics rows written after the checkpoint so the resumed run does not duplicate them.
    const fs::path metrics = opt_.run_dir / "metrics.csv";
    if (fs::exists(metrics)) {
      const CsvTable table = read_csv(metrics);
      const size_t step_col = table.column("step");
      std::string out = kMetricsHeader;
      int64_t dropped = 0;
      for (const auto& row : table.rows) {
        if (parse_int(row[step_col], metrics.string()) <= step_) {
          out += csv_line(row);
        } else {
          ++dropped;
        }
      }
      atomic_write_file(metrics, out);
      if (dropped)
        EFM_LOG_INFO("[train] removed {} metrics rows after step {} from {}", dropped, step_, metrics.string());
    }
  }
  EFM_LOG_INFO("[train] resumed from {} at step {} (epoch {}, batch {})", dir.string(), step_, st.epoch, st.batch);
}

std::map<std::string, double> Trainer::reduce_metrics(const std::map<std::string, double>& local) {
  if (dist_->single() || local.empty()) return local;
  torch::Tensor t = torch::empty({static_cast<int64_t>(local.size())}, torch::kFloat64);
  int64_t i = 0;
  for (const auto& kv : local) t[i++] = kv.second;
  dist_->all_reduce_mean(t);
  std::map<std::string, double> out;
  i = 0;
  for (const auto& kv : local) out[kv.first] = t[i++].item<double>();
  return out;
}

void Trainer::write_rows(const std::string& split, const std::map<std::string, double>& metrics) {
  for (const auto& [k, v] : metrics) last_metrics_[split + "/" + k] = v;
  if (!dist_->is_main()) return;
  const fs::path path = opt_.run_dir / "metrics.csv";
  const bool fresh = !fs::exists(path) || fs::file_size(path) == 0;
  std::ofstream out(path, std::ios::app);
  EFM_CHECK_DATA(out.good(), "cannot append to {}", path.string());
  if (fresh) out << kMetricsHeader;
  for (const auto& [k, v] : metrics) out << csv_line({std::to_string(step_), split, k, format_number(v)});
  out.flush();
}

bool Trainer::update_best(const std::map<std::string, double>& split_metrics) {
  const auto& kb = opt_.train.keep_best;
  if (kb.metric.empty()) return false;
  const auto [split, name] = split_metric(kb.metric);
  if (!split_metrics.count(kb.metric)) {
    std::string known;
    for (const auto& kv : split_metrics) {
      if (kv.first.rfind(split + "/", 0) == 0) known += (known.empty() ? "" : ", ") + kv.first;
    }
    if (known.empty()) return false;  // this row is of the other split
    throw ConfigError(
        fmt::format("train.keep_best.metric: '{}' is not among the metrics of this task ({})", kb.metric, known));
  }
  const double v = split_metrics.at(kb.metric);
  if (!std::isfinite(v)) return false;
  const bool better = !best_value_ || (kb.mode == config::MetricMode::min ? v < *best_value_ : v > *best_value_);
  if (better) {
    best_value_ = v;
    best_step_ = step_;
  }
  return better;
}

std::map<std::string, double> Trainer::run_evaluation() {
  torch::nn::Module& model = task_.model();
  model.eval();
  torch::manual_seed(derive_seed(opt_.seed, "eval", static_cast<uint64_t>(step_)));
  std::map<std::string, double> m;
  {
    torch::NoGradGuard no_grad;
    m = task_.evaluate(EvalContext{step_, opt_.device, dist_.get()});
  }
  model.train();
  return m;
}

Trainer::MicroBatches Trainer::forward_backward(StepContext& ctx) {
  const int64_t s = ctx.step;
  const int64_t world = dist_->world_size();
  const int64_t rank = dist_->rank();
  const int64_t accumulation = ctx.accumulation;
  const at::ScalarType autocast_type = autocast_dtype(precision_);
  const bool autocast = precision_ != Precision::fp32;
  // Kept until the step's values are read (once, below): the batches for a non-finite-loss message, the losses
  // and tensor metrics as device scalars (float64).
  MicroBatches out;
  std::vector<data::Batch>& batches = out.batches;
  batches.reserve(static_cast<size_t>(accumulation));
  std::vector<torch::Tensor>& losses = out.losses;
  std::map<std::string, double>& metric_sum = out.metric_sum;
  std::map<std::string, torch::Tensor>& tensor_metric_sum = out.tensor_metric_sum;
  int64_t& windows = out.windows;
  for (int64_t m = 0; m < accumulation; ++m) {
    batches.push_back(next_batch(s));
    const data::Batch& batch = batches.back();
    ctx.micro = m;
    ctx.seed = derive_seed(opt_.seed, "task", static_cast<uint64_t>((s * accumulation + m) * world + rank));
    StepResult r;
    {
      AutocastGuard guard(autocast, opt_.device, autocast_type);
      r = task_.train_step(batch, ctx);
    }
    EFM_CHECK_STATE(r.loss.defined() && r.loss.numel() == 1, "the task's train_step returned a loss of shape {}",
                    r.loss.defined() ? "[" + fmt::format("{}", fmt::join(r.loss.sizes().vec(), ", ")) + "]"
                                     : std::string("<undefined>"));
    losses.push_back(r.loss.detach().reshape({}).to(torch::kFloat64));
    // On the CPU reading the loss costs nothing: a non-finite one skips its backward (the step fails below). On a
    // GPU the check waits for the step's single read; the backward of a non-finite loss then only yields
    // non-finite gradients that are never applied. Either way every rank runs the same forward passes
    // (collectives inside).
    const bool known_nonfinite = opt_.device.is_cpu() && !std::isfinite(losses.back().item<double>());
    if (!known_nonfinite) {
      (scaler_.scale(r.loss) / static_cast<double>(accumulation)).backward();
      for (const auto& [k, v] : r.metrics) metric_sum[k] += v;
      for (const auto& [k, v] : r.tensor_metrics) {
        torch::Tensor x = v.detach().reshape({}).to(torch::kFloat64);
        torch::Tensor& sum = tensor_metric_sum[k];
        sum = sum.defined() ? sum + x : x;
      }
      windows += r.windows;
    }
    // The next micro-batch (of this step or the next) goes to the device while this one computes.
    if (m + 1 < accumulation || s + 1 < total_steps_) prefetch(s);
  }
  return out;
}

Trainer::StepOutcome Trainer::train_step(StepContext& ctx) {
  const int64_t s = step_;
  const int64_t world = dist_->world_size();
  const int64_t rank = dist_->rank();
  const int64_t accumulation = opt_.train.accumulation;
  const double lr = schedule_.at(s);
  set_learning_rate(*optimizer_, groups_, lr);
  // Per-step generator seeds make random numbers a function of (seed, step, rank): exact after resume.
  torch::manual_seed(derive_seed(opt_.seed, "torch", static_cast<uint64_t>(s * world + rank)));
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();

  ctx = StepContext{};
  ctx.step = s;
  ctx.accumulation = accumulation;
  ctx.lr = lr;
  ctx.device = opt_.device;
  ctx.dist = dist_.get();
  MicroBatches mb = forward_backward(ctx);
  std::vector<data::Batch>& batches = mb.batches;
  std::map<std::string, double>& metric_sum = mb.metric_sum;
  const int64_t windows = mb.windows;
  task_.after_backward(ctx);

  // Agree across ranks on a non-finite loss and a pending signal (max of each).
  const torch::Tensor loss_values = torch::stack(mb.losses);  // [accumulation] float64
  torch::Tensor flags =
      torch::stack({(~torch::isfinite(loss_values)).any().to(torch::kFloat64),
                    torch::full({}, static_cast<double>(SignalGuard::pending()), loss_values.options())});
  dist_->all_reduce_max(flags);
  dist_->average_gradients(params_);
  const torch::Tensor found_inf = scaler_.unscale(params_);  // fp16 only: after averaging, the same on all ranks
  const torch::Tensor norm = grad_norm_tensor(params_);

  // The step's one host read: [nonfinite, signal, losses..., grad norm, (found_inf, scale), tensor metrics...].
  std::vector<torch::Tensor> parts{flags.reshape({-1}), loss_values,
                                   norm.defined() ? norm.reshape({1}) : torch::zeros({1}, loss_values.options())};
  if (scaler_.enabled()) {
    parts.push_back(found_inf.reshape({1}).to(torch::kFloat64));
    parts.push_back(scaler_.scale_tensor().reshape({1}).to(torch::kFloat64));
  }
  for (const auto& [k, v] : mb.tensor_metric_sum) parts.push_back(v.reshape({1}).to(loss_values.device()));
  const torch::Tensor host = torch::cat(parts).to(torch::kCPU);
  const double* h = host.data_ptr<double>();
  const double* loss_at = h + 2;
  const double grad_norm = h[2 + accumulation];
  const int signal_number = static_cast<int>(h[1]);

  if (h[0] != 0) {
    std::string failure;
    for (int64_t m = 0; m < accumulation && failure.empty(); ++m) {
      if (!std::isfinite(loss_at[m])) {
        failure = nonfinite_loss_message(loss_at[m], s + 1, batches[static_cast<size_t>(m)], world, rank);
      }
    }
    if (failure.empty()) failure = fmt::format("non-finite loss on another rank at step {}", s + 1);
    throw DataError(fmt::format("{}; last good checkpoint: {}", failure, last_checkpoint_text()));
  }
  double loss_sum = 0;
  for (int64_t m = 0; m < accumulation; ++m) loss_sum += loss_at[m];
  {
    size_t i = static_cast<size_t>(3 + accumulation) + (scaler_.enabled() ? 2 : 0);
    for (const auto& kv : mb.tensor_metric_sum) metric_sum[kv.first] += h[i++];
  }
  batches.clear();

  bool skipped = false;
  if (scaler_.enabled() && h[3 + accumulation] != 0) {
    // float16 overflow: the gradients are unusable; no update, smaller scale (GradScaler.step / update).
    skipped = true;
    const double scale = h[4 + accumulation];
    if (dist_->is_main()) {
      EFM_LOG_INFO(
          "[train] step {}: float16 gradients overflowed (inf/nan); optimiser step skipped, loss scale "
          "{:g} -> {:g}",
          s + 1, scale, scale * scaler_.options().backoff_factor);
    }
  } else if (!std::isfinite(grad_norm)) {
    throw DataError(
        fmt::format("non-finite gradient norm ({}) at step {} (loss was finite: {:.6g}); last good "
                    "checkpoint: {}",
                    grad_norm, s + 1, loss_sum / static_cast<double>(accumulation), last_checkpoint_text()));
  }
  if (!skipped) {
    clip_gradients(params_, opt_.train.clip_grad, grad_norm);
    task_.before_optimizer_step(ctx);
    optimizer_->step();
    task_.after_optimizer_step(ctx);
  }
  scaler_.update(found_inf);
  ++step_;

  StepOutcome out;
  out.lr = lr;
  out.loss = loss_sum / static_cast<double>(accumulation);
  out.grad_norm = grad_norm;
  out.skipped = skipped;
  out.windows = windows;
  out.signal_number = signal_number;
  for (const auto& [k, v] : metric_sum) out.metrics[k] = v / static_cast<double>(accumulation);
  return out;
}

bool Trainer::log_interval(Accum& acc, double lr, const StepContext& ctx, std::string& note, bool quiet) {
  const int64_t world = dist_->world_size();
  bool is_best = false;
  const double elapsed = std::max(seconds_since(acc.since), 1e-9);
  const double wait = data_wait_s_ - acc.wait_at_start;
  std::map<std::string, double> row;
  const double n = static_cast<double>(acc.steps);
  row["loss"] = acc.loss / n;
  row["grad_norm"] = acc.steps > acc.skipped ? acc.grad_norm / static_cast<double>(acc.steps - acc.skipped)
                                             : std::numeric_limits<double>::quiet_NaN();
  if (scaler_.enabled()) {
    row["loss_scale"] = scaler_.scale_value();
    row["skipped_steps"] = static_cast<double>(acc.skipped);
  }
  for (const auto& [k, v] : acc.metrics) row[k] = v / n;
  for (const auto& [k, v] : task_.interval_metrics(ctx)) row[k] = v;
  row["loader_wait_frac"] = wait / elapsed;
  row = reduce_metrics(row);
  row["lr"] = lr;
  row["windows_per_s"] = static_cast<double>(acc.windows * world) / elapsed;
  write_rows("train", row);
  std::map<std::string, double> prefixed;
  for (const auto& [k, v] : row) prefixed["train/" + k] = v;
  is_best = update_best(prefixed) || is_best;
  note = fmt::format("loss {:.4g} lr {:.2e} {:.0f} win/s", row["loss"], lr, row["windows_per_s"]);
  if (!quiet) {
    EFM_LOG_INFO("[train] step {}/{} {} |g| {:.3g} wait {:.0f}%", step_, total_steps_, note, row["grad_norm"],
                 100.0 * row["loader_wait_frac"]);
  }
  acc = Accum{};
  acc.wait_at_start = data_wait_s_;
  return is_best;
}

bool Trainer::evaluate_interval() {
  bool is_best = false;
  const auto val = run_evaluation();
  write_rows("val", val);
  std::map<std::string, double> prefixed;
  std::string text;
  for (const auto& [k, v] : val) {
    prefixed["val/" + k] = v;
    text += fmt::format(" {} {:.4g}", k, v);
  }
  EFM_LOG_INFO("[eval] step {}:{}", step_, text);
  is_best = update_best(prefixed) || is_best;
  return is_best;
}

TrainResult Trainer::result_of(Clock::time_point session_start, double session_wait_start,
                               int64_t session_windows) const {
  const int64_t world = dist_->world_size();
  TrainResult result;
  result.steps = step_;
  if (last_saved_step_ >= 0) result.last_checkpoint = checkpoints_.dir() / checkpoint_name(last_saved_step_);
  if (dist_->is_main()) result.best_checkpoint = checkpoints_.best();
  result.last_metrics = last_metrics_;
  const double session_s = std::max(seconds_since(session_start), 1e-9);
  result.windows_per_s = static_cast<double>(session_windows * world) / session_s;
  result.loader = loader_->stats();
  result.data_wait_s = data_wait_s_ - session_wait_start;
  result.data_wait_frac = result.data_wait_s / session_s;
  EFM_LOG_INFO(
      "[train] done: {} steps, {:.1f} windows/s, training loop waited {:.2f} s for data ({:.1f} % of its time; {} "
      "batches assembled), last checkpoint {}",
      step_, result.windows_per_s, result.data_wait_s, 100.0 * result.data_wait_frac, result.loader.batches_produced,
      last_checkpoint_text());
  return result;
}

TrainResult Trainer::fit() {
  SignalGuard signals;
  torch::nn::Module& model = task_.model();
  task_.on_start(*dist_);
  dist_->broadcast_parameters(model);
  model.train();
  const config::TrainConfig& t = opt_.train;

  std::unique_ptr<ProgressBar> bar;
  if (dist_->is_main() && opt_.progress) {
    bar = std::make_unique<ProgressBar>(ProgressOptions("train", total_steps_).unit("steps"));
    bar->set(step_);
  }
  if (step_ >= total_steps_) EFM_LOG_INFO("[train] nothing to do: step {} of {}", step_, total_steps_);

  std::string note;  // progress-bar text, refreshed at every metrics row
  Accum acc;
  acc.wait_at_start = data_wait_s_;
  const auto session_start = Clock::now();
  const double session_wait_start = data_wait_s_;
  int64_t session_windows = 0;

  while (step_ < total_steps_) {
    StepContext ctx;
    const StepOutcome o = train_step(ctx);
    ++acc.steps;
    acc.loss += o.loss;
    if (o.skipped) {
      ++acc.skipped;
    } else {
      acc.grad_norm += o.grad_norm;
    }
    acc.windows += o.windows;
    session_windows += o.windows;
    for (const auto& [k, v] : o.metrics) acc.metrics[k] += v;

    const bool last = step_ == total_steps_;
    bool is_best = false;
    if (step_ % t.log_every == 0 || last) is_best = log_interval(acc, o.lr, ctx, note, bar != nullptr) || is_best;
    if (bar) bar->advance(1, note);
    if (task_.has_evaluation() && ((t.eval_every > 0 && step_ % t.eval_every == 0) || last)) {
      is_best = evaluate_interval() || is_best;
    }
    if (step_ % t.checkpoint_every == 0 || last || is_best || o.signal_number != 0) write_checkpoint(is_best);
    if (o.signal_number != 0) {
      if (bar) bar->finish();
      EFM_LOG_WARN("[train] signal {} received: stopped after step {}, checkpoint {}", o.signal_number, step_,
                   last_checkpoint_text());
      dist_->leaving_together();  // the signal flag was agreed on by all ranks: they all throw here
      throw Interrupted(o.signal_number);
    }
  }
  if (bar) bar->finish();
  return result_of(session_start, session_wait_start, session_windows);
}

}  // namespace efm::train
