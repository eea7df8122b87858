#pragma once
// A toy training task for the data/train tests and the efm_toy_train subprocess tool: synthetic labelled
// recordings with two channel sets in memory, a small model (per-channel linear encoder + electrode embedding +
// LayerNorm + linear head) trained with BCE to tell "seizure" (a 7 Hz rhythm) from "background" (noise).
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "epilepsyfm/data/window_source.h"
#include "epilepsyfm/train/task.h"

namespace efm::test {

struct ToySourceOptions {
  int64_t recordings = 6;  ///< half with 3 channels (FP1 FP2 C3), half with 4 (+C4)
  double sfreq_hz = 50;
  double duration_s = 40;
  double span_s = 2;  ///< window-table span length; seizure spans in [10 s, 20 s) of every recording
  uint64_t seed = 1;
};
/// Labels: 0 = background, 1 = seizure.
std::shared_ptr<data::InMemoryWindowSource> make_toy_source(const ToySourceOptions& options = {});

struct ToyNetImpl : torch::nn::Module {
  ToyNetImpl(int64_t window_samples, int64_t hidden = 16, int64_t vocab = 8);
  /// x [B, C, n], channel_ids [B, C] -> logits [B]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& channel_ids);
  torch::nn::Linear encoder{nullptr};
  torch::nn::Embedding channel_embed{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear head{nullptr};
  torch::Tensor cls_token;
};
TORCH_MODULE(ToyNet);

struct ToyTaskOptions {
  int64_t window_samples = 100;
  int64_t nan_at_step = 0;     ///< 1-based step: write a NaN into the first window of its first micro-batch; 0 = never
  int64_t sleep_ms = 0;        ///< sleep per micro-batch (lets tests kill a run mid-way)
  int64_t signal_at_step = 0;  ///< raise SIGTERM in this 1-based step (graceful-stop tests in one process)
  bool evaluate = false;       ///< evaluate on a fixed set of windows (val/loss, val/acc)
  uint64_t init_seed = 7;
};

class ToyTask : public train::TrainingTask {
 public:
  ToyTask(ToyTaskOptions options, std::shared_ptr<const data::WindowSource> eval_source = nullptr);
  torch::nn::Module& model() override { return *net_; }
  train::StepResult train_step(const data::Batch& batch, const train::StepContext& ctx) override;
  bool has_evaluation() const override { return options_.evaluate; }
  std::map<std::string, double> evaluate(const train::EvalContext& ctx) override;
  void save_state(torch::serialize::OutputArchive& archive) const override;
  void load_state(torch::serialize::InputArchive& archive) override;

  ToyNet net() const { return net_; }
  int64_t steps_seen() const { return steps_seen_; }

 private:
  ToyTaskOptions options_;
  ToyNet net_{nullptr};
  std::shared_ptr<const data::WindowSource> eval_source_;
  int64_t steps_seen_ = 0;  // extra state: micro-batches trained (checks task.pt round trip)
};

}  // namespace efm::test
