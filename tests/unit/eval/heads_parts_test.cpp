// Pieces of the fine-tuning layer that need no training: splits, layer-wise lr decay, head modules, streaming
// metric accumulators, the streaming event detector and the finetune configs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/eval/finetune/finetune_config.h"
#include "epilepsyfm/eval/finetune/heads/head.h"
#include "epilepsyfm/eval/finetune/heads/kinds.h"
#include "epilepsyfm/eval/finetune/heads/modules.h"
#include "epilepsyfm/eval/finetune/split.h"
#include "epilepsyfm/eval/inference/predict.h"
#include "epilepsyfm/eval/metrics/forecasting.h"
#include "support/test_support.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::eval {
namespace {

data::RecordingInfo rec(const std::string& id, const std::string& subject) {
  data::RecordingInfo r;
  r.id = id;
  r.subject = subject;
  return r;
}

/// 12 subjects with 2 recordings each; subjects s0..s3 have seizures (stratum 1).
std::vector<data::RecordingInfo> cohort(std::vector<int64_t>& strata) {
  std::vector<data::RecordingInfo> recs;
  strata.clear();
  for (int s = 0; s < 12; ++s) {
    for (int k = 0; k < 2; ++k) {
      recs.push_back(rec(fmt::format("s{}_r{}", s, k), fmt::format("s{}", s)));
      strata.push_back(s < 4 && k == 0 ? 1 : 0);
    }
  }
  return recs;
}

TEST(Split, SubjectsNeverShareSplitsAndTheSplitIsSeeded) {
  std::vector<int64_t> strata;
  const auto recs = cohort(strata);
  SplitOptions o;
  o.fractions = {0.5, 0.25, 0.25};
  const Split a = make_split(recs, strata, o);
  EXPECT_EQ(a.by, SplitBy::subject);
  EXPECT_TRUE(a.note.empty());
  std::map<std::string, std::set<int>> parts;
  for (size_t i = 0; i < recs.size(); ++i) {
    ASSERT_GE(a.part_of[i], 0);
    parts[recs[i].subject].insert(a.part_of[i]);
  }
  for (const auto& [s, p] : parts) EXPECT_EQ(p.size(), 1u) << s << " is in two splits";
  // Stratified: the 4 seizure subjects are spread 2/1/1 and the 8 others 4/2/2.
  std::map<int, int> seizure_subjects, subjects;
  for (const auto& [s, p] : parts) {
    subjects[*p.begin()] += 1;
    if (std::stoi(s.substr(1)) < 4) seizure_subjects[*p.begin()] += 1;
  }
  EXPECT_EQ(seizure_subjects, (std::map<int, int>{{0, 2}, {1, 1}, {2, 1}}));
  EXPECT_EQ(subjects, (std::map<int, int>{{0, 6}, {1, 3}, {2, 3}}));
  EXPECT_EQ(make_split(recs, strata, o).part_of, a.part_of);  // same seed, same split
  o.seed = 1;
  EXPECT_NE(make_split(recs, strata, o).part_of, a.part_of);
  // Independent of the recording order.
  std::vector<data::RecordingInfo> rev(recs.rbegin(), recs.rend());
  std::vector<int64_t> rstrata(strata.rbegin(), strata.rend());
  o.seed = 0;
  const Split b = make_split(rev, rstrata, o);
  for (size_t i = 0; i < recs.size(); ++i) EXPECT_EQ(b.part_of[recs.size() - 1 - i], a.part_of[i]);
}

TEST(Split, FallsBackToRecordingsWithoutSubjectIdsAndSaysSo) {
  std::vector<int64_t> strata;
  auto recs = cohort(strata);
  recs[3].subject.clear();
  const Split s = make_split(recs, strata, SplitOptions{});
  EXPECT_EQ(s.by, SplitBy::recording);
  EXPECT_THAT(s.note, HasSubstr("'s1_r1' has no subject id"));
  EXPECT_THAT(s.note, HasSubstr("falls back to recordings"));
  SplitOptions o;
  o.by = SplitBy::subject;
  EXPECT_THAT([&] { make_split(recs, strata, o); },
              ThrowsMessage<ConfigError>(HasSubstr("recording 's1_r1' has no subject id")));
  // Fewer than three subjects: recordings.
  std::vector<data::RecordingInfo> two{rec("a", "x"), rec("b", "x"), rec("c", "y"), rec("d", "y")};
  const Split t = make_split(two, {0, 0, 0, 0}, SplitOptions{});
  EXPECT_EQ(t.by, SplitBy::recording);
  EXPECT_THAT(t.note, HasSubstr("only 2 subject id(s)"));
}

TEST(Split, IneligibleRecordingsAreLeftOutAndLabelFractionsSubsample) {
  std::vector<int64_t> strata;
  auto recs = cohort(strata);
  strata[0] = strata[1] = -2;  // subject s0 not usable
  SplitOptions o;
  o.fractions = {0.5, 0.25, 0.25};
  Split s = make_split(recs, strata, o);
  EXPECT_EQ(s.part_of[0], -1);
  EXPECT_EQ(s.part_of[1], -1);
  const auto before = s.units(recs, SplitPart::train);
  subsample_part(s, recs, strata, SplitPart::train, 0.5, 0);
  const auto after = s.units(recs, SplitPart::train);
  // 11 usable subjects: 3 with seizures (1 train / 1 val / 1 test), 8 without (4 / 2 / 2); half of each training
  // stratum is kept, at least one: 1 + 2.
  EXPECT_EQ(before.size(), 5u);
  EXPECT_EQ(after.size(), 3u);
  for (const auto& u : after) EXPECT_TRUE(std::count(before.begin(), before.end(), u)) << u;
  EXPECT_EQ(s.units(recs, SplitPart::test).size(), 3u);  // val and test are never reduced
}

TEST(Split, CsvRoundTripAndErrors) {
  std::vector<int64_t> strata;
  const auto recs = cohort(strata);
  const Split s = make_split(recs, strata, SplitOptions{});
  test::TempDir dir;
  write_splits_csv(dir / "splits.csv", recs, s);
  const Split back = read_splits_csv(dir / "splits.csv", recs);
  EXPECT_EQ(back.part_of, s.part_of);
  EXPECT_EQ(back.by, SplitBy::subject);
  const CsvTable t = read_csv(dir / "splits.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"recording_id", "subject", "split"}));
  EXPECT_EQ(t.rows.size(), recs.size());
  atomic_write_file(dir / "bad.csv", "recording_id,subject,split\nnope,x,train\n");
  EXPECT_THAT([&] { read_splits_csv(dir / "bad.csv", recs); },
              ThrowsMessage<DataError>(HasSubstr("line 2: recording 'nope' is not in the store")));
  atomic_write_file(dir / "bad2.csv", "recording_id,subject,split\ns0_r0,s0,holdout\n");
  EXPECT_THAT([&] { read_splits_csv(dir / "bad2.csv", recs); },
              ThrowsMessage<DataError>(HasSubstr("split 'holdout' is not one of train, val, test")));
}

TEST(LayerDecay, LabramLayerIds) {
  // LaBraM get_num_layer_for_vit: patch embedding (and cls/pos/time tables) 0, blocks.i -> i + 1, rest depth + 1.
  EXPECT_EQ(layer_id("backbone.patch_embed.temporal.conv1.weight", 4), 0);
  EXPECT_EQ(layer_id("backbone.patch_embed.positions.cls_token", 4), 0);
  EXPECT_EQ(layer_id("backbone.blocks.0.attn.qkv.weight", 4), 1);
  EXPECT_EQ(layer_id("backbone.blocks.3.mlp.fc2.bias", 4), 4);
  EXPECT_EQ(layer_id("backbone.blocks.11.norm1.weight", 12), 12);
  EXPECT_EQ(layer_id("backbone.norm.weight", 4), 5);
  EXPECT_EQ(layer_id("backbone.fc_norm.bias", 4), 5);
  EXPECT_EQ(layer_id("head.fc.weight", 4), 5);
  EXPECT_DOUBLE_EQ(layer_decay_scale("head.fc.weight", 12, 0.65), 1.0);
  EXPECT_DOUBLE_EQ(layer_decay_scale("backbone.blocks.11.attn.proj.weight", 12, 0.65), 0.65);
  EXPECT_DOUBLE_EQ(layer_decay_scale("backbone.patch_embed.proj.weight", 12, 0.65), std::pow(0.65, 13));
}

TEST(HeadModules, LinearHeadInitScaleAndAttentionPool) {
  torch::manual_seed(0);
  LinearHead h(LinearHeadOptions(64, 3).init_scale(0.001));
  // trunc-normal std 0.02 scaled by 0.001: std ~2e-5 (192 samples: within 30% of it).
  const double sd = h->fc->weight.std().item<double>();
  EXPECT_GT(sd, 0.7 * 2e-5);
  EXPECT_LT(sd, 1.3 * 2e-5);
  EXPECT_EQ(h->fc->bias.abs().max().item<double>(), 0.0);
  EXPECT_EQ(h->forward(torch::zeros({5, 64})).sizes(), (std::vector<int64_t>{5, 3}));
  AttentionPool pool(8, 4);
  const auto bag = torch::randn({6, 8});
  const auto [z, a] = pool->forward(bag);
  EXPECT_EQ(z.sizes(), (std::vector<int64_t>{8}));
  EXPECT_NEAR(a.sum().item<double>(), 1.0, 1e-6);
  EXPECT_TRUE(torch::allclose(z, (a.unsqueeze(-1) * bag).sum(0)));
  EXPECT_THAT([&] { pool->forward(torch::zeros({0, 8})); }, ThrowsMessage<DataError>(HasSubstr("bag [N, d]")));
}

TEST(Accumulators, StreamingForecastMetricsEqualTheBatchOnes) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n(0.0, 1.0);
  std::vector<double> p(5000), t(5000);
  for (size_t i = 0; i < p.size(); ++i) {
    t[i] = 50.0 + n(rng);  // an offset: the co-moment merge must not lose precision
    p[i] = 0.6 * t[i] + 0.4 * n(rng) + 20.0;
  }
  ForecastAccumulator acc;
  for (size_t from = 0; from < p.size();) {  // uneven chunks
    const size_t m = std::min<size_t>(1 + (from * 7) % 613, p.size() - from);
    acc.add(p.data() + from, t.data() + from, static_cast<int64_t>(m));
    from += m;
  }
  const MetricSet ref = forecast_metrics(p, t, ForecastShape{1, 1, 5000});
  // Same sums in a different order: agreement to ~1e-12 relative.
  EXPECT_NEAR(acc.mae(), ref.at("mae"), 1e-12);
  EXPECT_NEAR(acc.mse(), ref.at("mse"), 1e-11);
  EXPECT_NEAR(acc.rmse(), ref.at("rmse"), 1e-11);
  EXPECT_NEAR(acc.pearson(), ref.at("pearson"), 1e-12);
  EXPECT_EQ(acc.count(), 5000);
  ForecastAccumulator flat;
  const std::vector<double> c(10, 1.0);
  flat.add(c.data(), t.data(), 10);
  EXPECT_TRUE(std::isnan(flat.pearson()));
  PhaseAccumulator ph;
  const std::vector<double> a{3.1, 0.0, 1.0}, b{-3.1, 0.0, 1.0 + 0.5};
  ph.add(a.data(), b.data(), 3);
  EXPECT_NEAR(ph.abs_error(), phase_error_abs(a, b), 1e-15);
  EXPECT_NEAR(ph.cos_error(), phase_error_cos(a, b), 1e-15);
}

TEST(StreamingEvents, EqualsEventsFromProbabilities) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t n = 1 + static_cast<size_t>(u(rng) * 300);
    std::vector<double> v(n);
    double level = 0.2;
    for (auto& x : v) {  // runs of high and low values
      if (u(rng) < 0.08) level = 1.0 - level;
      x = std::clamp(level + 0.3 * (u(rng) - 0.5), 0.0, 1.0);
    }
    ProbabilityEventOptions o;
    o.threshold = 0.3 + 0.4 * u(rng);
    o.smoothing_steps = 1 + 2 * static_cast<int64_t>(u(rng) * 4);
    o.merge_gap_s = u(rng) < 0.5 ? 0.0 : 6.0 * u(rng);
    o.min_duration_s = u(rng) < 0.5 ? 0.0 : 5.0 * u(rng);
    const double step = trial % 3 == 0 ? 0.5 : 1.0, start = trial % 2 ? 2.0 : 0.0;
    const auto ref = events_from_probabilities(v, step, o, start);
    StreamingEventDetector det(step, o, start);
    std::vector<Event> got;
    for (double x : v) {
      for (const auto& e : det.push(x)) got.push_back(e);
    }
    for (const auto& e : det.finish()) got.push_back(e);
    ASSERT_EQ(got.size(), ref.size()) << "trial " << trial;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_DOUBLE_EQ(got[i].start_s, ref[i].start_s) << "trial " << trial;
      EXPECT_DOUBLE_EQ(got[i].end_s, ref[i].end_s) << "trial " << trial;
    }
  }
  ProbabilityEventOptions bad;
  bad.smoothing_steps = 2;
  EXPECT_THAT([&] { StreamingEventDetector(1.0, bad); }, ThrowsMessage<ArgumentError>(HasSubstr("odd number")));
}

TEST(FinetuneConfig, ShippedConfigsLoadAndDefaultsFollowLabram) {
  const auto dir = test::source_dir() / "configs" / "finetune";
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    const auto exp = config::load<FinetuneExperiment>({{e.path().string()}, {}});
    EXPECT_TRUE(head_registry().contains(exp.finetune.head)) << e.path();
    const auto again = config::parse_yaml<FinetuneExperiment>(config::to_yaml(exp), "dump");
    EXPECT_TRUE(config::equal(exp, again)) << e.path();
    ++n;
  }
  EXPECT_GE(n, 8);  // one per head + the Bonn experiment
  const FinetuneExperiment d;
  EXPECT_EQ(d.train.lr, 5e-4);
  EXPECT_EQ(d.train.weight_decay, 0.05);
  EXPECT_EQ(d.train.warmup_epochs, 5);
  EXPECT_EQ(d.train.epochs, 50);
  EXPECT_EQ(d.finetune.layer_decay, 0.65);
  EXPECT_EQ(d.finetune.drop_path, 0.1);
  EXPECT_EQ(d.finetune.label_smoothing, 0.1);
  EXPECT_EQ(d.finetune.head_init_scale, 0.001);
  EXPECT_EQ(d.finetune.history_s, 90);
}

TEST(FinetuneConfig, ErrorsNameTheKeyPath) {
  EXPECT_THAT([] { config::parse_yaml<FinetuneExperiment>("split: {fractions: [0.5, 0.3, 0.3]}\n", "x.yaml"); },
              ThrowsMessage<ConfigError>(HasSubstr("split.fractions: the fractions must sum to 1")));
  EXPECT_THAT([] { config::parse_yaml<FinetuneExperiment>("finetune: {mode: partial}\n", "x.yaml"); },
              ThrowsMessage<ConfigError>(HasSubstr("finetune.mode: allowed values are 'full', 'linear_probe'")));
  EXPECT_THAT([] { config::parse_yaml<FinetuneExperiment>("finetune: {haed: x}\n", "x.yaml"); },
              ThrowsMessage<ConfigError>(HasSubstr("finetune.haed")));
  EXPECT_THAT([] { head_registry().get("seizure_dtection", "finetune.head"); },
              ThrowsMessage<ConfigError>(HasSubstr("finetune.head: unknown head 'seizure_dtection'; known: "
                                                   "seizure_detection, seizure_type, forecast_short, forecast_long, "
                                                   "frequency_phase, asm_efficacy, rftc_outcome")));
}

TEST(FinetuneConfig, InitSourceByExperimentKind) {
  train::PretrainExperiment pre;
  pre.model.size = "tiny";
  pre.model.depth = 2;
  config::PreprocessingSpec spec;
  spec.profile = "labram";
  spec.normalization = config::Normalization::scale;
  spec.scale = 0.01;
  spec.montage = config::MontageKind::tcp18;
  pre.data.preprocessing = spec;
  const std::string pre_yaml = config::to_yaml(pre);
  EXPECT_THAT(pre_yaml, HasSubstr("config_version: 1\nexperiment: pretrain\n"));
  ASSERT_EQ(config::experiment_kind(pre_yaml, "ckpt"), config::ExperimentKind::pretrain);
  const InitSource a = init_source_of(pre_yaml, config::ExperimentKind::pretrain, "ckpt");
  ASSERT_TRUE(a.model.has_value());
  EXPECT_EQ(a.model->to_options().depth(), 2);
  EXPECT_EQ(a.model->to_options().embed_dim(), 64);
  ASSERT_TRUE(a.preprocessing.has_value());
  EXPECT_TRUE(a.preprocessing->differences(spec).empty());
  EXPECT_EQ(a.preprocessing->montage, config::MontageKind::tcp18);

  FinetuneExperiment fin;
  fin.model.size = "tiny";
  const std::string fin_yaml = config::to_yaml(fin);
  ASSERT_EQ(config::experiment_kind(fin_yaml, "run"), config::ExperimentKind::finetune);
  const InitSource b = init_source_of(fin_yaml, config::ExperimentKind::finetune, "run");
  ASSERT_TRUE(b.model.has_value());
  EXPECT_EQ(b.model->size, "tiny");
  EXPECT_FALSE(b.preprocessing.has_value());

  const std::string tok_yaml = config::to_yaml(train::TokenizerExperiment{});
  EXPECT_THAT(
      [&] { init_source_of(tok_yaml, config::experiment_kind(tok_yaml, "tok.pt"), "tok.pt"); },
      ThrowsMessage<ConfigError>(HasSubstr("init.checkpoint: tok.pt is a tokenizer run's model, not a backbone")));
  // A config of one kind does not load as another.
  EXPECT_THAT([&] { config::parse_yaml<FinetuneExperiment>(pre_yaml, "pre.yaml"); },
              ThrowsMessage<ConfigError>(HasSubstr(
                  "pre.yaml: this is a pretrain experiment's config (experiment: pretrain), not a finetune")));
  // Configs written without the tag are told by their sections.
  EXPECT_EQ(config::experiment_kind("config_version: 1\nmask: {ratio: 0.5}\n", "x"), config::ExperimentKind::pretrain);
  EXPECT_EQ(config::experiment_kind("finetune: {head: seizure_type}\n", "x"), config::ExperimentKind::finetune);
  EXPECT_EQ(config::experiment_kind("tokenizer: {encoder: {size: tiny}}\n", "x"), config::ExperimentKind::tokenizer);
  EXPECT_EQ(config::experiment_kind("run: {seed: 1}\n", "x"), std::nullopt);
  EXPECT_THAT([] { config::experiment_kind("experiment: evaluate\n", "x"); },
              ThrowsMessage<ConfigError>(HasSubstr(
                  "x: experiment: allowed values are 'tokenizer', 'pretrain', 'finetune', but got 'evaluate'")));
  EXPECT_THAT(
      [] {
        init_source_of("experiment: pretrain\nmodel: {size: enormous}\n", config::ExperimentKind::pretrain,
                       "ckpt.yaml");
      },
      ThrowsMessage<ConfigError>(HasSubstr("model.size: allowed values are")));
}

}  // namespace
}  // namespace efm::eval
