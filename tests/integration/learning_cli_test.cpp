// The learning verbs end to end through the CLI on a small simulated store: `tokenizer` (metrics, checkpoints, a
// file python3-torch loads), `tokenizer encode`, `pretrain` with each mask strategy, kill-free resume equality,
// the preprocessing-mismatch refusal and 2-process data parallelism through `launch`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <set>
#include <sstream>

#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/models/checkpoint_io.h"
#include "epilepsyfm/train/checkpoint.h"
#include "support/test_support.h"

using ::testing::HasSubstr;

namespace efm::test {
namespace {
namespace fs = std::filesystem;

// A tokenizer small enough for a few seconds of CPU: 2 encoder layers, codebook 64 x 16.
std::vector<std::string> tiny_tokenizer_overrides() {
  return {"--set", "tokenizer.encoder.depth=2", "--set", "tokenizer.vq.n_codes=64",
          "--set", "tokenizer.vq.code_dim=16",  "--set", "tokenizer.decoder_depth=1"};
}

// Pretraining arguments: tiny backbone cut to 2 layers, deterministic, one thread, checkpoints every 5 steps.
std::vector<std::string> pretrain_args(const fs::path& store, const fs::path& tok, const fs::path& out, int steps,
                                       int batch, const std::string& mask_overlay = {}) {
  std::vector<std::string> a = {"pretrain", "--config", config_file("pretrain/tiny.yaml")};
  if (!mask_overlay.empty()) a.insert(a.end(), {"--config", config_file("pretrain/" + mask_overlay)});
  a.insert(a.end(), {"--store",
                     store.string(),
                     "--tokenizer",
                     tok.string(),
                     "--out",
                     out.string(),
                     "--no-progress",
                     "--set",
                     "model.depth=2",
                     "--set",
                     "run.threads=1",
                     "--set",
                     "run.deterministic=true",
                     "--set",
                     "train.steps=" + std::to_string(steps),
                     "--set",
                     "train.batch_size=" + std::to_string(batch),
                     "--set",
                     "train.warmup_steps=2",
                     "--set",
                     "train.log_every=5",
                     "--set",
                     "train.checkpoint_every=5",
                     "--set",
                     "train.keep_last=10"});
  return a;
}

std::set<std::string> metric_names(const fs::path& csv) {
  std::set<std::string> out;
  for (const auto& row : read_csv(csv).rows) out.insert(row.at(2));
  return out;
}

double last_metric(const fs::path& csv, const std::string& name) {
  double v = -1;
  for (const auto& row : read_csv(csv).rows)
    if (row.at(2) == name) v = std::stod(row.at(3));
  return v;
}

// One simulated store and one trained tokenizer shared by the suite (building them takes ~10 s).
class LearningCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>("learn");
    const auto sim =
        run_cli({"simulate", "--config", config_file("simulate/test.yaml"), "--out", (*dir_ / "sim").string()});
    ASSERT_EQ(sim.exit_code, 0) << sim.output;
    const auto ing =
        run_cli({"ingest", "--config", config_file("ingest/default.yaml"), "--input", (*dir_ / "sim").string(),
                 "--labels", (*dir_ / "sim" / "seizures.csv").string(), "--out", store().string(), "--no-progress"});
    ASSERT_EQ(ing.exit_code, 0) << ing.output;
    std::vector<std::string> tok = {"tokenizer",
                                    "--config",
                                    config_file("tokenizer/tiny.yaml"),
                                    "--store",
                                    store().string(),
                                    "--out",
                                    tok_run().string(),
                                    "--no-progress",
                                    "--set",
                                    "train.steps=12",
                                    "--set",
                                    "train.warmup_steps=2",
                                    "--set",
                                    "train.log_every=4",
                                    "--set",
                                    "train.checkpoint_every=6",
                                    "--set",
                                    "run.threads=1"};
    for (const auto& a : tiny_tokenizer_overrides()) tok.push_back(a);
    tokenizer_ = run_cli(tok);
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static fs::path store() { return *dir_ / "store"; }
  static fs::path tok_run() { return *dir_ / "tok"; }
  static const fs::path& root() { return dir_->path(); }

  static std::unique_ptr<TempDir> dir_;
  static CommandResult tokenizer_;
};
std::unique_ptr<TempDir> LearningCli::dir_;
CommandResult LearningCli::tokenizer_;

TEST_F(LearningCli, TokenizerWritesMetricsCheckpointsAndATorchLoadableFile) {
  ASSERT_EQ(tokenizer_.exit_code, 0) << tokenizer_.output;
  EXPECT_THAT(tokenizer_.output, HasSubstr("[tokenizer] done: 12 steps"));
  EXPECT_THAT(tokenizer_.output, HasSubstr("codebook 64 x 16"));
  const auto names = metric_names(tok_run() / "metrics.csv");
  for (const char* m : {"loss", "amplitude_loss", "phase_loss", "commitment_loss", "codebook_usage",
                        "codebook_perplexity", "codebook_dead", "lr", "grad_norm"}) {
    EXPECT_TRUE(names.count(m)) << "metrics.csv lacks " << m;
  }
  const double usage = last_metric(tok_run() / "metrics.csv", "codebook_usage");
  EXPECT_GT(usage, 0.0);
  EXPECT_LE(usage, 1.0);
  EXPECT_GE(last_metric(tok_run() / "metrics.csv", "codebook_perplexity"), 1.0);
  for (const char* f : {"tokenizer.pt", "config.yaml", "checkpoints/step_000006", "checkpoints/step_000012"}) {
    EXPECT_TRUE(fs::exists(tok_run() / f)) << f;
  }
  EXPECT_EQ(read_file(tok_run() / "checkpoints" / "latest"), "step_000012\n");
  // the resolved config carries the store's preprocessing record
  EXPECT_THAT(read_file(tok_run() / "config.yaml"), HasSubstr("normalization: zscore"));

  EFM_REQUIRE_PYTHON(py, "torch");
  const auto r =
      run_command(py + " -c " +
                  shell_quote("import torch,sys\n"
                              "sd = torch.load(sys.argv[1], map_location='cpu')\n"
                              "print('codebook', tuple(sd['quantizer.codebook'].shape))\n"
                              "print('norm', round(float(sd['quantizer.codebook'].norm(dim=1).mean()), 4))\n") +
                  " " + shell_quote((tok_run() / "tokenizer.pt").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("codebook (64, 16)"));
  EXPECT_THAT(r.output, HasSubstr("norm 1.0"));  // codebook rows are unit vectors (cosine VQ)
}

TEST_F(LearningCli, EncodeWritesOneRowOfCodesPerWindow) {
  ASSERT_EQ(tokenizer_.exit_code, 0) << tokenizer_.output;
  const auto out = root() / "codes.csv";
  const auto r = run_cli({"tokenizer", "encode", "--tokenizer", tok_run().string(), "--store", store().string(),
                          "--out", out.string(), "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto t = read_csv(out);
  EXPECT_EQ(t.header,
            (std::vector<std::string>{"recording_id", "start_sample", "label", "n_channels", "n_patches", "codes"}));
  // 2 recordings of 60 s, 4-s windows at stride 4 s: 15 each
  ASSERT_EQ(t.rows.size(), 30u);
  EXPECT_THAT(r.output, HasSubstr("[encode] 30 windows"));
  std::set<std::string> labels;
  for (const auto& row : t.rows) {
    EXPECT_EQ(row[3], "19");  // the simulator's 10-20 montage
    EXPECT_EQ(row[4], "4");   // 1-s patches of a 4-s window
    std::istringstream codes(row[5]);
    int64_t code = 0, n = 0;
    while (codes >> code) {
      EXPECT_GE(code, 0);
      EXPECT_LT(code, 64);
      ++n;
    }
    EXPECT_EQ(n, 19 * 4);
    labels.insert(row[2].substr(0, 8));
  }
  // the simulated seizures label some windows (seizure_focal, seizure_generalised, ...)
  EXPECT_TRUE(labels.count("seizure_")) << "no seizure window";
}

TEST_F(LearningCli, PretrainRunsEachMaskStrategy) {
  ASSERT_EQ(tokenizer_.exit_code, 0) << tokenizer_.output;
  for (const std::string overlay : {"mask_random.yaml", "mask_channel_set.yaml", "mask_region.yaml"}) {
    const auto out = root() / ("pt_" + overlay.substr(5, overlay.size() - 10));
    const auto r = run_cli(pretrain_args(store(), tok_run(), out, 5, 8, overlay));
    ASSERT_EQ(r.exit_code, 0) << overlay << "\n" << r.output;
    EXPECT_THAT(r.output, HasSubstr("[pretrain] done: 5 steps")) << overlay;
    const auto names = metric_names(out / "metrics.csv");
    for (const char* m : {"loss", "accuracy", "accuracy_symmetric", "mask_ratio", "label_majority_frac"}) {
      EXPECT_TRUE(names.count(m)) << overlay << ": metrics.csv lacks " << m;
    }
    // the overlays mask half of the tokens; region and channel-set masks come in whole groups, so the measured
    // share of one step's batch deviates from 0.5
    const double ratio = last_metric(out / "metrics.csv", "mask_ratio");
    EXPECT_GT(ratio, 0.2) << overlay;
    EXPECT_LT(ratio, 0.8) << overlay;
    const double acc = last_metric(out / "metrics.csv", "accuracy");
    EXPECT_GE(acc, 0.0);
    EXPECT_LE(acc, 1.0);
    EXPECT_TRUE(fs::exists(out / "pretrained.pt")) << overlay;
    EXPECT_THAT(read_file(out / "config.yaml"), HasSubstr("strategy: " + overlay.substr(5, overlay.size() - 10)));
  }
}

// Pretrain 20 steps with a checkpoint at 10; a second run directory holding only the state of step 10 continues
// with --resume in a new process and must end with bit-identical weights (deterministic CPU, one thread).
TEST_F(LearningCli, PretrainResumedFromStep10EqualsTheUninterruptedRun) {
  ASSERT_EQ(tokenizer_.exit_code, 0) << tokenizer_.output;
  const auto full = root() / "resume_full", cut = root() / "resume_cut";
  auto args = pretrain_args(store(), tok_run(), full, 20, 8);
  const auto a = run_cli(args);
  ASSERT_EQ(a.exit_code, 0) << a.output;

  fs::copy(full, cut, fs::copy_options::recursive);
  for (const char* gone : {"checkpoints/step_000015", "checkpoints/step_000020", "pretrained.pt"}) {
    fs::remove_all(cut / gone);
  }
  atomic_write_file(cut / "checkpoints" / "latest", "step_000010\n");
  const auto before = train::read_module_state(cut / "checkpoints" / "step_000010" / "model.pt");

  args = pretrain_args(store(), tok_run(), cut, 20, 8);
  args.push_back("--resume");
  const auto b = run_cli(args);
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_THAT(b.output, HasSubstr("resumed from"));
  const auto wa = train::read_module_state(full / "checkpoints" / "step_000020" / "model.pt");
  const auto wb = train::read_module_state(cut / "checkpoints" / "step_000020" / "model.pt");
  ASSERT_EQ(wa.size(), wb.size());
  double moved = 0;
  for (const auto& [name, t] : wa) {
    ASSERT_TRUE(wb.count(name)) << name;
    EXPECT_TRUE(torch::equal(t, wb.at(name))) << name;
    if (t.is_floating_point()) moved = std::max(moved, (t - before.at(name)).abs().max().item<double>());
  }
  EXPECT_GT(moved, 1e-5) << "steps 11-20 changed nothing; the comparison would prove nothing";
  // metrics rows of steps 15 and 20 were rewritten, not duplicated
  EXPECT_EQ(read_csv(full / "metrics.csv").rows.size(), read_csv(cut / "metrics.csv").rows.size());
}

TEST_F(LearningCli, PretrainRefusesATokenizerTrainedOnOtherPreprocessing) {
  ASSERT_EQ(tokenizer_.exit_code, 0) << tokenizer_.output;
  const auto other = root() / "store_40hz";
  const auto ing =
      run_cli({"ingest", "--config", config_file("ingest/default.yaml"), "--input", (root() / "sim").string(), "--out",
               other.string(), "--no-progress", "--set", "ingest.preprocess.h_freq_hz=40"});
  ASSERT_EQ(ing.exit_code, 0) << ing.output;
  auto r = run_cli(pretrain_args(other, tok_run(), root() / "pt_mismatch", 2, 8));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("was trained on"));
  EXPECT_THAT(r.output, HasSubstr("0.5-70 Hz"));
  EXPECT_THAT(r.output, HasSubstr("0.5-40 Hz"));
  EXPECT_THAT(r.output, HasSubstr("data.allow_preprocessing_mismatch=true"));
  EXPECT_FALSE(fs::exists(root() / "pt_mismatch" / "metrics.csv"));

  auto allowed = pretrain_args(other, tok_run(), root() / "pt_mismatch", 2, 8);
  allowed.insert(allowed.end(), {"--set", "data.allow_preprocessing_mismatch=true", "--overwrite"});
  r = run_cli(allowed);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("allowed by data.allow_preprocessing_mismatch"));
}

// 2 processes x batch 4 (CPU store collectives) vs 1 process x batch 8: same masks (seeded by window position),
// gradients averaged over the same 8 windows; only the summation order differs (tolerance as in TrainE2E).
TEST_F(LearningCli, PretrainUnderLaunchEqualsOneProcessWithTheSameGlobalBatch) {
  ASSERT_EQ(tokenizer_.exit_code, 0) << tokenizer_.output;
  const auto one = root() / "ddp_one", two = root() / "ddp_two";
  const auto a = run_cli(pretrain_args(store(), tok_run(), one, 6, 8));
  ASSERT_EQ(a.exit_code, 0) << a.output;
  std::vector<std::string> launch = {"launch", "--nproc", "2", "--"};
  const auto rest = pretrain_args(store(), tok_run(), two, 6, 4);
  launch.insert(launch.end(), rest.begin(), rest.end());
  const auto b = run_cli(launch);
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_THAT(b.output, HasSubstr("global batch 8 = 4 x accumulation 1 x 2 process(es)"));
  const auto wa = models::read_state_dict(one / "pretrained.pt").tensors;
  const auto wb = models::read_state_dict(two / "pretrained.pt").tensors;
  ASSERT_EQ(wa.size(), wb.size());
  double max_diff = 0;
  for (const auto& [name, t] : wa) {
    ASSERT_TRUE(wb.count(name)) << name;
    if (!t.is_floating_point()) continue;
    max_diff = std::max(max_diff, (t - wb.at(name)).abs().max().item<double>());
    EXPECT_TRUE(torch::allclose(t, wb.at(name), /*rtol=*/0, /*atol=*/1e-5)) << name;
  }
  std::printf("[ddp] pretrain: max |param diff| after 6 steps: %.3g\n", max_diff);
}

}  // namespace
}  // namespace efm::test
