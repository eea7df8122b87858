// `epilepsyfm embed` end to end: simulate -> ingest -> a 2-step tokenizer and pretraining (and a 1-epoch fine-tuned
// seizure detector) -> embed. The file's rows are the store's windows, one embedding equals a Backbone forward of
// that window in this process, h5py reads the file as docs/embed.md shows, and the refusals name what to do.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <utility>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/data/store_source.h"
#include "epilepsyfm/data/windows.h"
#include "epilepsyfm/io/embedding_file.h"
#include "epilepsyfm/models/backbone.h"
#include "epilepsyfm/models/checkpoint_io.h"
#include "epilepsyfm/train/experiments.h"
#include "support/test_support.h"

using ::testing::HasSubstr;

namespace efm::test {
namespace {
namespace fs = std::filesystem;

/// Runs the CLI and fails the test (with the output) on a non-zero exit.
std::string run_ok(const std::vector<std::string>& args) {
  const auto r = run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.output;
}

/// Store, tokenizer, pretraining and fine-tuning runs shared by the suite: 4 simulated subjects of 60 s, tiny
/// models trained for a couple of steps (the weights only need to be some trained weights).
class EmbedCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>("embed");
    run_ok({"simulate", "--config", config_file("simulate/test.yaml"), "--out", path("sim"), "--set",
            "simulate.n_subjects=4"});
    run_ok({"ingest", "--config", config_file("ingest/default.yaml"), "--input", path("sim"), "--labels",
            path("sim/seizures.csv"), "--out", path("store"), "--no-progress"});
    run_ok({"tokenizer",
            "--config",
            config_file("tokenizer/tiny.yaml"),
            "--store",
            path("store"),
            "--out",
            path("tok"),
            "--no-progress",
            "--set",
            "tokenizer.encoder.depth=2",
            "--set",
            "tokenizer.vq.n_codes=64",
            "--set",
            "tokenizer.vq.code_dim=16",
            "--set",
            "tokenizer.decoder_depth=1",
            "--set",
            "train.steps=2",
            "--set",
            "train.warmup_steps=1",
            "--set",
            "run.threads=1"});
    run_ok({"pretrain",
            "--config",
            config_file("pretrain/tiny.yaml"),
            "--store",
            path("store"),
            "--tokenizer",
            path("tok"),
            "--out",
            path("pt"),
            "--no-progress",
            "--set",
            "model.depth=1",
            "--set",
            "train.steps=2",
            "--set",
            "train.batch_size=8",
            "--set",
            "train.warmup_steps=1",
            "--set",
            "run.threads=1"});
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static std::string path(const std::string& rel) { return (dir_->path() / rel).string(); }
  /// A seizure_detection run from scratch (1 epoch, 1-layer d-32 backbone), trained on first use.
  static const std::string& finetune_run() {
    static const std::string run = [] {
      run_ok({"finetune",
              "--config",
              config_file("finetune/seizure_detection.yaml"),
              "--store",
              path("store"),
              "--out",
              path("sd"),
              "--no-progress",
              "--set",
              "run.threads=1",
              "--set",
              "train.epochs=1",
              "--set",
              "train.batch_size=8",
              "--set",
              "train.warmup_epochs=0",
              "--set",
              "split.by=recording",
              "--set",
              "model.size=tiny",
              "--set",
              "model.depth=1",
              "--set",
              "model.embed_dim=32",
              "--set",
              "model.heads=2",
              "--set",
              "model.ffn_dim=64"});
      return path("sd");
    }();
    return run;
  }

  static std::unique_ptr<TempDir> dir_;
};
std::unique_ptr<TempDir> EmbedCli::dir_;

/// (recording id, start_s) of each row.
std::vector<std::pair<std::string, double>> row_keys(const io::EmbeddingFile& f) {
  std::vector<std::pair<std::string, double>> keys;
  for (int64_t i = 0; i < f.n_windows; ++i) {
    keys.emplace_back(f.header.recordings.at(static_cast<size_t>(f.recording[static_cast<size_t>(i)])),
                      f.start_s[static_cast<size_t>(i)]);
  }
  return keys;
}

/// The pretraining run's backbone, loaded here from its exported file.
models::Backbone pretrained_backbone(const fs::path& file) {
  const models::StateDictFile sd = models::read_state_dict(file);
  const auto exp = config::parse_yaml<train::PretrainExperiment>(sd.config_yaml, file.string());
  models::Backbone net(exp.model.to_options());
  models::LoadOptions lo;
  lo.prefix = "backbone.";
  lo.may_be_missing = {"fc_norm."};
  models::load_state_dict(*net, sd.tensors, file.string(), lo);
  net->eval();
  return net;
}

TEST_F(EmbedCli, PretrainEmbeddingsAreTheStoreWindowsThroughTheBackbone) {
  const fs::path out = path("emb/pt.h5");
  const std::string text = run_ok({"embed", "--model", path("pt"), "--store", path("store"), "--out", out.string(),
                                   "--batch-size", "7", "--threads", "1", "--device", "cpu", "--no-progress"});
  EXPECT_THAT(text, HasSubstr("60 windows of 4 recordings: embedding [60, 64]"));
  EXPECT_FALSE(fs::exists(out.string() + ".partial"));
  const io::EmbeddingFile f = io::read_embedding_file(out);
  EXPECT_EQ(f.header.experiment_kind, "pretrain");
  EXPECT_EQ(f.header.embed_dim, 64);
  EXPECT_EQ(f.header.n_logits, 0);
  EXPECT_EQ(f.header.window_s, 4.0);
  EXPECT_EQ(f.header.stride_s, 4.0);
  EXPECT_EQ(f.header.model, (fs::path(path("pt")) / "pretrained.pt").string());

  // Rows: every window of the store (4 recordings x 60 s / 4 s, rejected ones included), each once.
  const auto store = std::make_shared<data::StoreWindowSource>(path("store"));
  data::WindowOptions wo;
  wo.drop_rejected = false;
  const data::WindowIndex index = data::WindowIndex::build(*store, wo);
  std::vector<std::pair<std::string, double>> expected;
  for (const auto& w : index.windows()) {
    const auto& info = store->recordings()[static_cast<size_t>(w.recording)];
    expected.emplace_back(info.id, static_cast<double>(w.start_sample) / info.sfreq_hz);
  }
  auto got = row_keys(f);
  ASSERT_EQ(f.n_windows, 60);
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(got, expected);
  ASSERT_EQ(f.header.channel_groups.size(), 1u);
  EXPECT_EQ(f.header.channel_groups[0], store->recordings()[0].channel_names);
  EXPECT_EQ(f.channel_group, std::vector<int32_t>(60, 0));

  // Row 23 (inside the fourth batch of 7) equals the backbone's forward of that window.
  const size_t row = 23;
  const auto rec_it = std::find_if(store->recordings().begin(), store->recordings().end(), [&](const auto& r) {
    return r.id == f.header.recordings[static_cast<size_t>(f.recording[row])];
  });
  ASSERT_NE(rec_it, store->recordings().end());
  const auto r = static_cast<int64_t>(rec_it - store->recordings().begin());
  const int64_t c = static_cast<int64_t>(rec_it->channel_names.size()), n = 800;
  torch::Tensor x = torch::empty({1, c, n}, torch::kFloat32);
  store->read(r, std::llround(f.start_s[row] * rec_it->sfreq_hz), n, x.data_ptr<float>());
  models::EegInput in;
  in.signal = x;
  in.channel_ids = torch::tensor(rec_it->channel_ids, torch::kInt64);
  in.region_ids = torch::tensor(rec_it->region_ids, torch::kInt64);
  models::Backbone net = pretrained_backbone(fs::path(path("pt")) / "pretrained.pt");
  torch::NoGradGuard no_grad;
  const torch::Tensor want = net->forward(in).pooled[0];
  const torch::Tensor have = torch::from_blob(const_cast<float*>(f.embedding.data()) + row * 64, {64}).clone();
  EXPECT_LT((want - have).abs().max().item<double>(), 1e-5);
}

TEST_F(EmbedCli, H5pyExampleOfTheDocsReadsTheFile) {
  const fs::path out = path("emb/py.h5");
  run_ok({"embed", "--model", path("pt"), "--store", path("store"), "--out", out.string(), "--stride-s", "8",
          "--threads", "1", "--no-progress"});
  EFM_REQUIRE_PYTHON(py, "h5py", "numpy");
  const std::string doc = read_file(source_dir() / "docs/embed.md");
  const std::regex block("<!-- h5py-example -->\\s*```python\\n([\\s\\S]*?)```");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(doc, m, block)) << "docs/embed.md lost its h5py example";
  const fs::path script = path("emb/example.py");
  std::ofstream(script) << m[1].str() << "\nprint('ROWS', rec[0], start_s[1], len(channels), emb.dtype)\n";
  const auto r = run_command(shell_quote(py) + " " + shell_quote(script.string()) + " " + shell_quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // 8 windows of 4 s every 8 s per 60-s recording; the first rows are those of the first recording.
  EXPECT_THAT(r.output, HasSubstr("(32, 64) pretrain 4.0"));
  EXPECT_THAT(r.output, HasSubstr("ROWS sub-01__sub-01_rec-01 8.0 19 float32"));
}

TEST_F(EmbedCli, FinetunedDetectorAddsLogitsAndSelectsItsSplit) {
  const fs::path out = path("emb/sd_test.h5");
  run_ok({"embed", "--model", finetune_run(), "--store", path("store"), "--out", out.string(), "--split", "test",
          "--threads", "1", "--no-progress"});
  const io::EmbeddingFile f = io::read_embedding_file(out);
  EXPECT_EQ(f.header.experiment_kind, "finetune");
  EXPECT_EQ(f.header.embed_dim, 32);
  EXPECT_EQ(f.header.n_logits, 1);
  EXPECT_EQ(f.header.classes, (std::vector<std::string>{"non_seizure", "seizure"}));
  EXPECT_EQ(f.logits.size(), static_cast<size_t>(f.n_windows));
  std::set<std::string> test_recordings;
  for (const auto& row : read_csv(fs::path(finetune_run()) / "splits.csv").rows) {
    if (row[2] == "test") test_recordings.insert(row[0]);
  }
  EXPECT_EQ(std::set<std::string>(f.header.recordings.begin(), f.header.recordings.end()), test_recordings);
  EXPECT_EQ(f.n_windows, 15 * static_cast<int64_t>(test_recordings.size()));

  // sigmoid(logit) is the P(seizure) evaluation wrote for the same window (predictions_test.csv, 1-s timeline).
  std::map<std::pair<std::string, double>, double> p_seizure;
  for (const auto& row : read_csv(fs::path(finetune_run()) / "predictions_test.csv").rows) {
    p_seizure[{row[0], std::stod(row[2])}] = std::stod(row[7]);
  }
  const auto keys = row_keys(f);
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(p_seizure.count(keys[i])) << keys[i].first << " @ " << keys[i].second;
    EXPECT_NEAR(1.0 / (1.0 + std::exp(-static_cast<double>(f.logits[i]))), p_seizure[keys[i]], 1e-5) << i;
  }
}

TEST_F(EmbedCli, AStreamedRecordingGivesTheRowsOfItsStoreWindows) {
  const fs::path from_store = path("emb/store_all.h5"), from_edf = path("emb/edf.h5");
  run_ok({"embed", "--model", path("pt"), "--store", path("store"), "--out", from_store.string(), "--threads", "1",
          "--no-progress"});
  const std::string text = run_ok({"embed", "--model", path("pt"), "--input", path("sim/sub-02/sub-02_rec-01.edf"),
                                   "--out", from_edf.string(), "--batch-size", "4", "--threads", "1", "--no-progress"});
  EXPECT_THAT(text, HasSubstr("15 windows of 1 recordings: embedding [15, 64]"));
  const io::EmbeddingFile s = io::read_embedding_file(from_store), e = io::read_embedding_file(from_edf);
  EXPECT_EQ(e.header.recordings, std::vector<std::string>{"sub-02_rec-01"});
  EXPECT_EQ(e.header.channel_groups, s.header.channel_groups);
  EXPECT_EQ(e.header.source, path("sim/sub-02/sub-02_rec-01.edf"));
  // The same preprocessing (the pretraining store's ingest settings, whole-recording z-score) gives the same rows.
  std::map<double, size_t> store_row;
  for (size_t i = 0; i < s.recording.size(); ++i) {
    if (s.header.recordings[static_cast<size_t>(s.recording[i])] == "sub-02__sub-02_rec-01")
      store_row[s.start_s[i]] = i;
  }
  ASSERT_EQ(e.n_windows, 15);
  ASSERT_EQ(store_row.size(), 15u);
  for (size_t i = 0; i < 15; ++i) {
    ASSERT_TRUE(store_row.count(e.start_s[i])) << e.start_s[i];
    const size_t j = store_row[e.start_s[i]];
    for (size_t k = 0; k < 64; ++k) {
      EXPECT_NEAR(e.embedding[i * 64 + k], s.embedding[j * 64 + k], 1e-5) << "window at " << e.start_s[i] << " s";
    }
  }
  const auto r = run_cli({"embed", "--model", path("pt"), "--input", path("sim/sub-02/sub-02_rec-01.edf"), "--out",
                          path("emb/edf_split.h5"), "--split", "test"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--split test: a split selects recordings of a store, not of --input"));
}

TEST_F(EmbedCli, RefusesAStorePreprocessedOtherwiseAndNamesTheFlag) {
  run_ok({"ingest", "--config", config_file("ingest/default.yaml"), "--input", path("sim"), "--out", path("store_40hz"),
          "--no-progress", "--set", "ingest.preprocess.h_freq_hz=40"});
  std::vector<std::string> args{"embed", "--model",           path("pt"),  "--store", path("store_40hz"),
                                "--out", path("emb/40hz.h5"), "--threads", "1",       "--no-progress"};
  auto r = run_cli(args);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("re-ingest the store with the model's preprocessing, or accept it with "
                                  "--allow-preprocessing-mismatch"));
  EXPECT_FALSE(fs::exists(path("emb/40hz.h5")));
  args.push_back("--allow-preprocessing-mismatch");
  r = run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("(allowed by --allow-preprocessing-mismatch)"));
}

TEST_F(EmbedCli, UsageErrorsSayWhatIsMissing) {
  auto r = run_cli({"embed", "--model", path("pt"), "--store", path("store")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("embed: give --model MODEL, --store STORE (or --input FILE) and --out FILE"));
  r = run_cli({"embed", "--model", path("pt"), "--store", path("store"), "--input",
               path("sim/sub-01/sub-01_rec-01.edf"), "--out", path("emb/both.h5")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("embed: give either --store STORE or --input FILE, not both"));
  r = run_cli(
      {"embed", "--model", path("pt"), "--store", path("store"), "--out", path("emb/split.h5"), "--split", "test"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("only a fine-tuning run has a split"));
  r = run_cli({"embed", "--model", path("tok"), "--store", path("store"), "--out", path("emb/tok.h5")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("is a tokenizer run's model, not a backbone"));
}

}  // namespace
}  // namespace efm::test
