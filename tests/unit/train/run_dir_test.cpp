// train/run_dir.h and train/train_state.h: the run-directory layout, checkpoint choice, the state file, and model
// files found by the run's experiment kind.
#include "epilepsyfm/train/run_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/train/checkpoint.h"
#include "epilepsyfm/train/model_files.h"
#include "epilepsyfm/train/train_state.h"
#include "support/test_support.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::train {
namespace {
namespace fs = std::filesystem;

TrainState state(int64_t step) {
  TrainState s;
  s.step = step;
  s.total_steps = 100;
  s.epoch = 1;
  s.batch = 3;
  s.next_lr = 0.000123456789012345;
  s.world_size = 2;
  s.batch_size = 16;
  s.accumulation = 2;
  s.seed = 7;
  s.best_metric = "val/auroc";
  s.best_value = 0.8125;
  s.best_step = step;
  s.tool_version = "epilepsyfm test";
  return s;
}

/// A checkpoint step_N with a model.pt (any bytes) and config.yaml, pointed to by latest (and best).
void add_checkpoint(const fs::path& run, int64_t step, const std::string& config_yaml, bool best) {
  CheckpointManager m(run, 0);
  m.save(
      step,
      [&](const fs::path& tmp) {
        atomic_write_file(tmp / "model.pt", "weights");
        atomic_write_file(tmp / "config.yaml", config_yaml);
        state(step).write(tmp);
      },
      best);
}

TEST(TrainState, RoundTripsThroughTrainerYaml) {
  test::TempDir dir;
  TrainState s = state(12);
  s.loss_scale = 32768.0;
  s.loss_scale_growth_tracker = 5;
  s.write(dir.path());
  const std::string text = read_file(dir.path() / "trainer.yaml");
  EXPECT_THAT(text, HasSubstr("step: 12\ntotal_steps: 100\nepoch: 1\nbatch: 3\n"));
  const TrainState r = TrainState::read(dir.path());
  EXPECT_EQ(config::to_yaml(r), config::to_yaml(s));
  EXPECT_EQ(r.next_lr, 0.000123456789012345);  // doubles round-trip exactly
  EXPECT_EQ(*r.loss_scale_growth_tracker, 5);
  // a state without a loss scale (not a float16 run) or a best value yet reads as such (negative integers parse)
  s.loss_scale.reset();
  s.loss_scale_growth_tracker.reset();
  s.best_value.reset();
  s.best_step = -1;
  s.write(dir.path());
  const TrainState fresh = TrainState::read(dir.path());
  EXPECT_FALSE(fresh.loss_scale.has_value());
  EXPECT_FALSE(fresh.best_value.has_value());
  EXPECT_EQ(fresh.best_step, -1);
  atomic_write_file(dir.path() / "trainer.yaml", "step: many\n");
  EXPECT_THAT([&] { TrainState::read(dir.path()); }, ThrowsMessage<DataError>(HasSubstr("trainer.yaml")));
  EXPECT_THAT([] { TrainState::read("/nonexistent/ckpt"); },
              ThrowsMessage<DataError>(HasSubstr("/nonexistent/ckpt/trainer.yaml: missing")));
}

TEST(RunDir, CheckpointChoiceAndExportByKind) {
  test::TempDir dir;
  const fs::path run = dir.path() / "run";
  const RunDir r = RunDir::open(run, RunDirMode::create_new, "config_version: 1\nexperiment: finetune\n");
  EXPECT_EQ(read_file(r.config_file()), "config_version: 1\nexperiment: finetune\n");
  EXPECT_FALSE(r.checkpoint(CheckpointChoice::latest).has_value());
  add_checkpoint(run, 4, "experiment: finetune\n", /*best=*/true);
  add_checkpoint(run, 8, "experiment: finetune\n", /*best=*/false);
  EXPECT_EQ(r.checkpoint(CheckpointChoice::latest)->state.step, 8);
  EXPECT_EQ(r.checkpoint(CheckpointChoice::best)->state.step, 4);
  EXPECT_EQ(r.checkpoint(CheckpointChoice::best)->dir.filename(), "step_000004");
  EXPECT_EQ(RunDir::export_name(config::ExperimentKind::tokenizer), "tokenizer.pt");
  EXPECT_EQ(RunDir::export_name(config::ExperimentKind::pretrain), "pretrained.pt");
  EXPECT_EQ(RunDir::export_name(config::ExperimentKind::finetune), "");
  EXPECT_EQ(parse_checkpoint_choice("best", "--checkpoint"), CheckpointChoice::best);
  EXPECT_THAT(
      [] { parse_checkpoint_choice("newest", "--checkpoint"); },
      ThrowsMessage<ConfigError>(HasSubstr("--checkpoint: allowed values are 'best', 'latest', but got 'newest'")));

  // A fine-tuning run has no export: its model file is the chosen checkpoint's, with the kind of its config.
  const ModelFile best = resolve_model_file(run, CheckpointChoice::best);
  EXPECT_EQ(best.weights, run / "checkpoints" / "step_000004" / "model.pt");
  EXPECT_EQ(best.kind, config::ExperimentKind::finetune);
  EXPECT_EQ(resolve_model_file(run).weights, run / "checkpoints" / "step_000008" / "model.pt");
  EXPECT_THAT([&] { RunDir::open(run, RunDirMode::create_new, ""); },
              ThrowsMessage<ConfigError>(HasSubstr("--resume")));
}

TEST(RunDir, ModelFileOfAPretrainRunStillTraining) {
  test::TempDir dir;
  const fs::path run = dir.path() / "pt";
  RunDir::open(run, RunDirMode::create_new, "config_version: 1\nexperiment: pretrain\n");
  add_checkpoint(run, 2, "config_version: 1\nexperiment: pretrain\n", false);
  // no pretrained.pt yet: the latest checkpoint
  const ModelFile m = resolve_model_file(run);
  EXPECT_EQ(m.weights, run / "checkpoints" / "step_000002" / "model.pt");
  EXPECT_EQ(m.kind, config::ExperimentKind::pretrain);
  EXPECT_THAT([&] { load_tokenizer(run); },
              ThrowsMessage<ConfigError>(HasSubstr("is not a tokenizer: its config is a pretrain experiment's")));
  EXPECT_THAT([&] { resolve_model_file(dir.path() / "missing"); },
              ThrowsMessage<ConfigError>(HasSubstr("missing: does not exist")));
}

}  // namespace
}  // namespace efm::train
