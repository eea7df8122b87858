#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/train/trainer.h"
#include "support/test_support.h"
#include "toy/toy_task.h"
#include "unit/train/nonfinite_message.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::train {
namespace {

struct ToyData {
  std::shared_ptr<data::InMemoryWindowSource> source = test::make_toy_source();
  std::shared_ptr<const data::WindowIndex> index;
  ToyData() {
    data::WindowOptions wo;
    wo.window_s = 2;
    wo.stride_s = 1;
    wo.require_label = true;
    index = std::make_shared<data::WindowIndex>(data::WindowIndex::build(*source, wo));
  }
};

TrainerOptions options(const std::filesystem::path& dir, int64_t steps, int64_t batch = 8, int64_t accum = 1) {
  TrainerOptions o;
  o.train.steps = steps;
  o.train.batch_size = batch;
  o.train.accumulation = accum;
  o.train.lr = 3e-3;
  o.train.min_lr = 1e-4;
  o.train.warmup_steps = 2;
  o.train.log_every = 2;
  o.train.checkpoint_every = 4;
  o.train.keep_last = 2;
  o.train.num_workers = 2;
  o.seed = 5;
  o.deterministic = true;
  o.run_dir = dir;
  o.config_yaml = "config_version: 1\n";
  o.progress = false;
  return o;
}

std::map<std::string, torch::Tensor> params_of(torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters()) out[p.key()] = p.value().detach().clone();
  return out;
}

// loss rows of metrics.csv: step -> value text
std::map<int64_t, std::string> loss_rows(const std::filesystem::path& metrics) {
  const CsvTable t = read_csv(metrics);
  std::map<int64_t, std::string> out;
  for (const auto& r : t.rows) {
    if (r[1] == "train" && r[2] == "loss") {
      EXPECT_EQ(out.count(std::stoll(r[0])), 0u) << "duplicate row for step " << r[0];
      out[std::stoll(r[0])] = r[3];
    }
  }
  return out;
}

// Interrupted by SIGTERM at step 6 (checkpoints at 4 and, for the signal, 6), then a crash is simulated by
// dropping checkpoint 6 so the resume starts from 4 with metrics rows of steps 5-6 already written. The resumed
// run must end with parameters bit-identical to an uninterrupted run (CPU, same thread count, deterministic) and
// with metrics.csv free of duplicates and with identical loss values.
TEST(Trainer, InterruptAndResumeIsExact) {
  ToyData s;
  test::TempDir a_dir("a"), b_dir("b");
  test::ToyTaskOptions to;
  test::ToyTask a(to);
  Trainer ta(options(a_dir.path(), 10), a, s.source, s.index);
  const TrainResult ra = ta.fit();
  EXPECT_EQ(ra.steps, 10);
  EXPECT_EQ(ra.last_checkpoint, a_dir.path() / "checkpoints" / "step_000010");
  const auto final_a = params_of(a.model());

  {
    test::ToyTaskOptions ts = to;
    ts.signal_at_step = 6;
    test::ToyTask b(ts);
    Trainer tb(options(b_dir.path(), 10), b, s.source, s.index);
    EXPECT_THAT([&] { tb.fit(); }, ThrowsMessage<Interrupted>(HasSubstr("interrupted by signal 15")));
    EXPECT_EQ(tb.step(), 6);
  }
  CheckpointManager cm(b_dir.path(), 2);
  EXPECT_EQ(cm.latest()->filename(), "step_000006");
  std::filesystem::remove_all(cm.dir() / "step_000006");
  atomic_write_file(cm.dir() / "latest", "step_000004\n");
  EXPECT_EQ(loss_rows(b_dir / "metrics.csv").rbegin()->first, 6);

  test::ToyTaskOptions tc = to;
  tc.init_seed = 99;  // different initial weights: everything must come from the checkpoint
  test::ToyTask c(tc);
  Trainer tr(options(b_dir.path(), 10), c, s.source, s.index);
  tr.resume();
  EXPECT_EQ(tr.step(), 4);
  EXPECT_EQ(c.steps_seen(), 4);  // task state (task.pt) restored
  tr.fit();
  const auto final_c = params_of(c.model());
  for (const auto& [name, t] : final_a) EXPECT_TRUE(torch::equal(t, final_c.at(name))) << name;
  EXPECT_EQ(loss_rows(b_dir / "metrics.csv"), loss_rows(a_dir / "metrics.csv"));
  EXPECT_EQ(loss_rows(a_dir / "metrics.csv").size(), 5u);                                // steps 2, 4, 6, 8, 10
  EXPECT_EQ(CheckpointManager(b_dir.path(), 2).steps(), (std::vector<int64_t>{8, 10}));  // keep_last 2
}

// interval_metrics() is called once per metrics row (log_every 2 over 5 steps: after steps 2, 4 and the last, 5),
// with the context of the step that ends the interval, and its values are written as they are (not averaged).
class IntervalTask : public test::ToyTask {
 public:
  using test::ToyTask::ToyTask;
  std::map<std::string, double> interval_metrics(const StepContext& ctx) override {
    calls.push_back(ctx.step);
    const int64_t n = ctx.step + 1 - steps_logged_;
    steps_logged_ = ctx.step + 1;
    return {{"steps_in_interval", static_cast<double>(n)}, {"acc", -1.0}};
  }
  std::vector<int64_t> calls;

 private:
  int64_t steps_logged_ = 0;
};

TEST(Trainer, IntervalMetricsAreWrittenOncePerRow) {
  ToyData s;
  test::TempDir dir("interval");
  IntervalTask task{test::ToyTaskOptions{}};
  Trainer t(options(dir.path(), 5), task, s.source, s.index);
  t.fit();
  EXPECT_EQ(task.calls, (std::vector<int64_t>{1, 3, 4}));
  std::map<int64_t, std::string> interval, acc;
  for (const auto& r : read_csv(dir / "metrics.csv").rows) {
    if (r[1] == "train" && r[2] == "steps_in_interval") interval[std::stoll(r[0])] = r[3];
    if (r[1] == "train" && r[2] == "acc") acc[std::stoll(r[0])] = r[3];
  }
  EXPECT_EQ(interval, (std::map<int64_t, std::string>{{2, "2"}, {4, "2"}, {5, "1"}}));
  // A name also returned by train_step ("acc") is replaced by the interval value.
  EXPECT_EQ(acc, (std::map<int64_t, std::string>{{2, "-1"}, {4, "-1"}, {5, "-1"}}));
}

// Gradient accumulation of 2 x 4 windows equals one batch of 8 (the sampler gives the same windows per step);
// the tolerance covers float32 summation order (mean over 8 vs two means over 4, then AdamW's normalisation).
TEST(Trainer, AccumulationEqualsBigBatch) {
  ToyData s;
  test::TempDir d1("acc1"), d2("acc2");
  test::ToyTaskOptions to;
  test::ToyTask big(to), small(to);
  Trainer(options(d1.path(), 3, 8, 1), big, s.source, s.index).fit();
  Trainer(options(d2.path(), 3, 4, 2), small, s.source, s.index).fit();
  const auto pb = params_of(big.model()), ps = params_of(small.model());
  for (const auto& [name, t] : pb) {
    EXPECT_TRUE(torch::allclose(t, ps.at(name), /*rtol=*/1e-5, /*atol=*/1e-6)) << name;
  }
  const auto init = params_of(test::ToyTask(to).model());
  EXPECT_FALSE(torch::allclose(init.at("encoder.weight"), pb.at("encoder.weight")));  // it did train
}

TEST(Trainer, NonFiniteLossNamesStepWindowsAndCheckpoint) {
  ToyData s;
  test::TempDir dir("nan");
  test::ToyTaskOptions to;
  to.nan_at_step = 6;
  test::ToyTask task(to);
  Trainer t(options(dir.path(), 10), task, s.source, s.index);
  try {
    t.fit();
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    test_util::expect_nonfinite_loss_at_step_6(e.what(), dir.path());
  }
  EXPECT_EQ(t.step(), 5);
}

TEST(Trainer, KeepsBestByValidationMetric) {
  ToyData s;
  test::TempDir dir("best");
  test::ToyTaskOptions to;
  to.evaluate = true;
  test::ToyTask task(to, s.source);
  auto o = options(dir.path(), 12);
  o.train.eval_every = 3;
  o.train.checkpoint_every = 100;
  o.train.keep_last = 1;
  o.train.keep_best.metric = "val/loss";
  const TrainResult r = Trainer(o, task, s.source, s.index).fit();
  // the step with the smallest val/loss in metrics.csv is the best checkpoint
  const CsvTable table = read_csv(dir / "metrics.csv");
  int64_t best_step = -1;
  double best = 1e300;
  int64_t val_rows = 0;
  for (const auto& row : table.rows) {
    if (row[1] == "val" && row[2] == "loss") {
      ++val_rows;
      if (std::stod(row[3]) < best) {
        best = std::stod(row[3]);
        best_step = std::stoll(row[0]);
      }
    }
  }
  EXPECT_EQ(val_rows, 4);  // steps 3, 6, 9, 12
  ASSERT_TRUE(r.best_checkpoint.has_value());
  EXPECT_EQ(r.best_checkpoint->filename(), checkpoint_name(best_step));
  EXPECT_TRUE(std::filesystem::exists(*r.best_checkpoint / "model.pt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "checkpoints" / "step_000012" / "trainer.yaml"));

  o.train.keep_best.metric = "val/auc";
  test::TempDir dir2("best2");
  o.run_dir = dir2.path();
  test::ToyTask task2(to, s.source);
  EXPECT_THAT([&] { Trainer(o, task2, s.source, s.index).fit(); },
              ThrowsMessage<ConfigError>(HasSubstr(
                  "train.keep_best.metric: 'val/auc' is not among the metrics of this task (val/acc, val/loss)")));
}

TEST(Trainer, ResumeRefusesOtherBatchGeometry) {
  ToyData s;
  test::TempDir dir("geom");
  test::ToyTaskOptions to;
  test::ToyTask task(to);
  Trainer(options(dir.path(), 4), task, s.source, s.index).fit();
  test::ToyTask other(to);
  Trainer t(options(dir.path(), 8, 4, 1), other, s.source, s.index);
  EXPECT_THAT([&] { t.resume(); },
              ThrowsMessage<ConfigError>(HasSubstr("it was made with 1 process(es) x batch_size 8 x accumulation 1, "
                                                   "this run has 1 x 4 x 1")));
  test::TempDir empty("empty");
  Trainer t2(options(empty.path(), 8), other, s.source, s.index);
  EXPECT_THAT([&] { t2.resume(); }, ThrowsMessage<ConfigError>(HasSubstr("has no checkpoint ('latest' is missing)")));
}

TEST(Trainer, CheckpointContents) {
  ToyData s;
  test::TempDir dir("contents");
  test::ToyTaskOptions to;
  test::ToyTask task(to);
  auto o = options(dir.path(), 4);
  o.config_yaml = "config_version: 1\ntrain:\n  steps: 4\n";
  Trainer(o, task, s.source, s.index).fit();
  const auto ck = dir / "checkpoints" / "step_000004";
  for (const char* f : {"model.pt", "optimizer.pt", "rng.pt", "task.pt", "trainer.yaml", "config.yaml"}) {
    EXPECT_TRUE(std::filesystem::exists(ck / f)) << f;
  }
  EXPECT_EQ(read_file(ck / "config.yaml"), o.config_yaml);
  const std::string state = read_file(ck / "trainer.yaml");
  EXPECT_THAT(state, HasSubstr("step: 4"));
  // toy data: 6 recordings x 37 labelled 2-s windows, two channel groups of 111 -> 13 batches of 8 each per epoch
  EXPECT_THAT(state, HasSubstr("epoch: 0\nbatch: 4\n"));
  EXPECT_THAT(state, HasSubstr("tool_version: epilepsyfm"));
  const auto saved = read_module_state(ck / "model.pt");
  EXPECT_TRUE(torch::equal(saved.at("head.weight"), task.net()->head->weight));
}

// StepResult::tensor_metrics (summed on the device, read once per step) give the rows the same metric as a double
// gives; the loader-wait share and the session's data-wait figures are reported; no float16 rows on the CPU.
class TensorMetricTask : public test::ToyTask {
 public:
  using test::ToyTask::ToyTask;
  StepResult train_step(const data::Batch& batch, const StepContext& ctx) override {
    StepResult r = test::ToyTask::train_step(batch, ctx);
    r.tensor_metrics["acc_t"] = torch::tensor(r.metrics.at("acc"), torch::kFloat64);
    r.tensor_metrics["loss_t"] = r.loss.detach();
    return r;
  }
};

TEST(Trainer, TensorMetricsAndDataWait) {
  ToyData s;
  test::TempDir dir("tmetrics");
  TensorMetricTask task{test::ToyTaskOptions{}};
  const TrainResult r = Trainer(options(dir.path(), 4, 4, 2), task, s.source, s.index).fit();
  std::map<std::string, std::map<int64_t, double>> rows;
  for (const auto& row : read_csv(dir / "metrics.csv").rows) {
    if (row[1] == "train") rows[row[2]][std::stoll(row[0])] = std::stod(row[3]);
  }
  ASSERT_EQ(rows["acc_t"].size(), 2u);  // steps 2, 4
  EXPECT_EQ(rows["acc_t"], rows["acc"]);
  for (const auto& [step, v] : rows["loss"]) EXPECT_NEAR(rows["loss_t"].at(step), v, 1e-12) << step;
  for (const auto& [step, v] : rows["loader_wait_frac"]) {
    EXPECT_GE(v, 0.0) << step;
    EXPECT_LE(v, 1.0) << step;
  }
  EXPECT_EQ(rows.count("loss_scale"), 0u);
  EXPECT_EQ(rows.count("skipped_steps"), 0u);
  EXPECT_GE(r.data_wait_frac, 0.0);
  EXPECT_LE(r.data_wait_frac, 1.0);
  EXPECT_GE(r.data_wait_s, 0.0);
}

TEST(Trainer, Fp16IsRefusedOnTheCpu) {
  ToyData s;
  test::TempDir dir("fp16");
  test::ToyTask task{test::ToyTaskOptions{}};
  auto o = options(dir.path(), 2);
  o.train.precision = config::PrecisionSetting::fp16;
  EXPECT_THAT([&] { Trainer(o, task, s.source, s.index); },
              ThrowsMessage<ConfigError>(HasSubstr("train.precision: 'fp16' (float16 autocast with loss scaling) "
                                                   "needs a CUDA device, but this run's device is cpu")));
  o.train.precision = config::PrecisionSetting::bf16;
  Trainer t(o, task, s.source, s.index);
  EXPECT_EQ(t.precision(), Precision::bf16);
  EXPECT_FALSE(t.grad_scaler().enabled());
}

}  // namespace
}  // namespace efm::train
