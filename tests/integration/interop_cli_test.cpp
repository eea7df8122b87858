// Parity with braindecode's Labram (the reference, PyPI) through the CLI: random-weight models of two channel counts
// and window lengths, both poolings, in braindecode's and LaBraM's names -> `epilepsyfm import` -> the same pooled
// features and tokens here (<= 1e-5 relative, float32 CPU) -> `epilepsyfm export --format braindecode` ->
// braindecode loads it with strict=True and gives the same outputs. scripts/interop/labram_reference.py makes the
// references with the Python of .venv-ref; the tests are skipped loudly without it (scripts/setup.sh installs it).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/models/backbone.h"
#include "epilepsyfm/models/checkpoint_io.h"
#include "epilepsyfm/signal/channels.h"
#include "epilepsyfm/train/experiments.h"
#include "support/test_support.h"

namespace efm {
namespace {

constexpr double kTolerance = 1e-5;  // the bound: float32 on CPU, both sides' own kernels

test::CommandResult reference(const std::string& py, const std::vector<std::string>& args) {
  std::vector<std::string> words{py, (test::source_dir() / "scripts/interop/labram_reference.py").string()};
  words.insert(words.end(), args.begin(), args.end());
  std::string cmd;
  for (const auto& w : words) {
    if (!cmd.empty()) cmd.push_back(' ');
    cmd.append(test::shell_quote(w));
  }
  return test::run_command(cmd);
}

// The Python with braindecode (.venv-ref, configured as EFM_REFERENCE_PYTHON) when it runs the reference script;
// empty otherwise.
std::string reference_python() {
  const std::string py = EFM_REFERENCE_PYTHON;
  return std::filesystem::exists(py) && reference(py, {"channels"}).exit_code == 0 ? py : std::string();
}

#define EFM_REQUIRE_BRAINDECODE(var)                                         \
  const std::string var = reference_python();                                \
  if (var.empty())                                                           \
  GTEST_SKIP() << "BRAINDECODE REFERENCE UNAVAILABLE: " EFM_REFERENCE_PYTHON \
                  " with braindecode is missing "                            \
                  "(scripts/setup.sh installs it from scripts/requirements/reference*.txt)"

double rel_error(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max()).item<double>();
}

struct Case {
  const char* name;
  int64_t n_chans, n_times;
  std::vector<std::string> flags;
};

// Imports DIR/weights.pt and returns {pooled, tokens} of the imported backbone on DIR/io.pt's input.
std::pair<torch::Tensor, torch::Tensor> imported_outputs(const std::filesystem::path& dir) {
  const auto sd = models::read_state_dict(dir / "run" / "pretrained.pt");
  const auto exp = config::parse_yaml<train::PretrainExperiment>(sd.config_yaml, "imported");
  models::Backbone net(exp.model.to_options());
  models::LoadOptions lo;
  lo.prefix = "backbone.";
  lo.may_be_missing = {"fc_norm."};
  models::load_state_dict(*net, sd.tensors, "imported", lo);
  net->eval();
  const auto io = models::read_state_dict(dir / "io.pt").tensors;
  std::ifstream names(dir / "ch_names.txt");
  std::vector<int64_t> ids;
  for (std::string n; names >> n;) ids.push_back(signal::electrode_index(signal::canonicalize_channel(n).name));
  models::EegInput in;
  in.signal = io.at("x");
  in.channel_ids = torch::tensor(ids, torch::kInt64);
  torch::NoGradGuard ng;
  const auto out = net->forward(in);
  return {out.pooled, out.tokens};
}

class LabramParity : public ::testing::TestWithParam<Case> {};

TEST_P(LabramParity, ImportMatchesAndExportLoadsStrictInBraindecode) {
  EFM_REQUIRE_BRAINDECODE(py);
  const Case& c = GetParam();
  test::TempDir dir("efm_parity");
  std::vector<std::string> make{"make",      dir.path().string(),       "--n-chans", std::to_string(c.n_chans),
                                "--n-times", std::to_string(c.n_times), "--seed",    std::to_string(c.n_chans)};
  make.insert(make.end(), c.flags.begin(), c.flags.end());
  const auto m = reference(py, make);
  ASSERT_EQ(m.exit_code, 0) << m.output;
  const auto imp = test::run_cli({"import", (dir / "weights.pt").string(), (dir / "run").string()});
  ASSERT_EQ(imp.exit_code, 0) << imp.output;

  const auto io = models::read_state_dict(dir / "io.pt").tensors;
  const auto [pooled, tokens] = imported_outputs(dir.path());
  const double pooled_error = rel_error(pooled, io.at("pooled"));
  const bool has_tokens = io.count("tokens") > 0;  // CLS pooling: every token after the final norm
  const double tokens_error = has_tokens ? rel_error(tokens, io.at("tokens")) : 0.0;
  std::printf("[parity] %s: relative error pooled %.2e%s\n", c.name, pooled_error,
              has_tokens ? fmt::format(", tokens {:.2e}", tokens_error).c_str() : "");
  EXPECT_LE(pooled_error, kTolerance) << c.name;
  EXPECT_LE(tokens_error, kTolerance) << c.name;

  const auto exp = test::run_cli({"export", "--format", "braindecode", (dir / "run").string(),
                                  (dir / "exported.pt").string(), "--n-times", std::to_string(c.n_times)});
  ASSERT_EQ(exp.exit_code, 0) << exp.output;
  const auto check = reference(py, {"check", dir.path().string(), (dir / "exported.pt").string()});
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LabramParity,
    ::testing::Values(Case{"braindecode_cls_4ch_4s", 4, 800, {}},
                      Case{"braindecode_mean_qkvbias_7ch_6s", 7, 1200, {"--mean-pooling", "--qkv-bias"}},
                      Case{"labram_finetune_5ch_5s", 5, 1000, {"--mean-pooling", "--layout", "labram-finetune"}}),
    [](const auto& p) { return std::string(p.param.name); });

// import -> finetune (seizure detection, its linear head) -> export -> braindecode on the store's test windows gives
// the probabilities the run wrote (docs/interop.md; scripts/interop/bonn_roundtrip.sh does the same on Bonn).
TEST(LabramChain, FinetunedFromAnImportExportsWithItsHead) {
  EFM_REQUIRE_BRAINDECODE(py);
  test::TempDir dir("efm_chain");
  const auto ok = [](const test::CommandResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.exit_code == 0;
  };
  ASSERT_TRUE(ok(test::run_cli({"simulate", "--config", test::config_file("simulate/test.yaml"), "--out",
                                (dir / "sim").string(), "--set", "simulate.n_subjects=5"})));
  ASSERT_TRUE(ok(
      test::run_cli({"ingest", "--config", test::config_file("ingest/default.yaml"), "--input", (dir / "sim").string(),
                     "--set", "ingest.preprocess.profile=labram", "--out", (dir / "store").string()})));
  ASSERT_TRUE(ok(reference(
      py, {"make", (dir / "ref").string(), "--n-chans", "2", "--n-times", "800", "--n-outputs", "1", "--seed", "5"})));
  ASSERT_TRUE(ok(test::run_cli({"import", (dir / "ref/weights.pt").string(), (dir / "labram").string()})));
  // A store ingested with another preprocessing than the weights expect is refused, as for any pretrained backbone.
  ASSERT_TRUE(ok(test::run_cli({"ingest", "--config", test::config_file("ingest/default.yaml"), "--input",
                                (dir / "sim").string(), "--out", (dir / "store_default").string()})));
  const auto refused = test::run_cli({"finetune", "--config", test::config_file("finetune/seizure_detection.yaml"),
                                      "--store", (dir / "store_default").string(), "--init", (dir / "labram").string(),
                                      "--out", (dir / "refused").string(), "--no-progress"});
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("re-ingest the store with the pretraining preprocessing"), std::string::npos)
      << refused.output;
  // EpilepsyFM's encoders on top of the imported weights: a listed partial load; without the list it is refused.
  std::vector<std::string> efm_model{"finetune",
                                     "--config",
                                     test::config_file("finetune/seizure_detection.yaml"),
                                     "--store",
                                     (dir / "store").string(),
                                     "--init",
                                     (dir / "labram").string(),
                                     "--no-progress",
                                     "--set",
                                     "train.epochs=1",
                                     "--set",
                                     "train.batch_size=8",
                                     "--set",
                                     "train.warmup_epochs=0",
                                     "--set",
                                     "evaluate.event_scoring=false",
                                     "--set",
                                     "init.use_checkpoint_model=false",
                                     "--set",
                                     "model.size=base",
                                     "--set",
                                     "model.depth=2",
                                     "--set",
                                     "model.max_patches=5"};
  auto without_list = efm_model;
  without_list.insert(without_list.end(), {"--out", (dir / "sd_efm_refused").string()});
  const auto partial_refused = test::run_cli(without_list);
  EXPECT_NE(partial_refused.output.find("list what the weights may lack in init.may_be_missing"), std::string::npos)
      << partial_refused.output;
  efm_model.insert(efm_model.end(), {"--out", (dir / "sd_efm").string(), "--set",
                                     "init.may_be_missing=[patch_embed.spectral., patch_embed.proj., "
                                     "patch_embed.positions.spatial.region_embed.]"});
  const auto partial = test::run_cli(efm_model);
  ASSERT_TRUE(ok(partial));
  EXPECT_NE(partial.output.find("51 tensor(s) loaded; 13 kept their initialisation"), std::string::npos)
      << partial.output;
  // An imported run names no store: embed --input preprocesses the recording as its data.preprocessing says.
  const auto emb = test::run_cli({"embed", "--model", (dir / "labram").string(), "--input",
                                  (dir / "sim/sub-01/sub-01_rec-01.edf").string(), "--out", (dir / "emb.h5").string(),
                                  "--no-progress"});
  ASSERT_TRUE(ok(emb));
  EXPECT_NE(emb.output.find("15 windows of 1 recordings: embedding [15, 200]"), std::string::npos) << emb.output;
  ASSERT_TRUE(
      ok(test::run_cli({"finetune", "--config", test::config_file("finetune/seizure_detection.yaml"), "--store",
                        (dir / "store").string(), "--init", (dir / "labram").string(), "--out", (dir / "sd").string(),
                        "--no-progress", "--set", "train.epochs=1", "--set", "train.batch_size=8", "--set",
                        "train.warmup_epochs=0", "--set", "evaluate.event_scoring=false"})));
  ASSERT_TRUE(ok(test::run_cli(
      {"export", "--format", "braindecode", (dir / "sd").string(), (dir / "sd_braindecode.pt").string()})));
  const auto r = reference(py, {"compare-run", (dir / "store").string(), (dir / "sd").string(),
                                (dir / "sd_braindecode.pt").string(), "--max-windows", "200"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::printf("%s", r.output.c_str());
}

TEST(LabramParityGuard, OnePerturbedWeightIsCaught) {
  EFM_REQUIRE_BRAINDECODE(py);
  test::TempDir dir("efm_parity");
  const auto m = reference(
      py, {"make", dir.path().string(), "--n-chans", "4", "--n-times", "800", "--perturb", "blocks.1.mlp.2.bias"});
  ASSERT_EQ(m.exit_code, 0) << m.output;
  ASSERT_EQ(test::run_cli({"import", (dir / "weights.pt").string(), (dir / "run").string()}).exit_code, 0);
  const auto io = models::read_state_dict(dir / "io.pt").tensors;
  const double error = rel_error(imported_outputs(dir.path()).first, io.at("pooled"));
  std::printf("[parity] blocks.1.mlp.2.bias + 1e-3: relative error pooled %.2e\n", error);
  EXPECT_GT(error, kTolerance);
}

TEST(LabramParityGuard, ElectrodeOrderIsBraindecodes) {
  EFM_REQUIRE_BRAINDECODE(py);
  const auto r = reference(py, {"channels"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> theirs;
  std::istringstream lines(r.output);
  for (std::string l; std::getline(lines, l);) {
    if (!l.empty() && l[0] != '[') {
      for (auto& ch : l) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      theirs.push_back(l);
    }
  }
  const auto& vocab = signal::electrode_vocabulary();
  ASSERT_EQ(theirs.size(), 128u);
  for (size_t i = 0; i < theirs.size(); ++i) EXPECT_EQ(vocab[i + 1], theirs[i]) << "row " << i + 1;
}

}  // namespace
}  // namespace efm
