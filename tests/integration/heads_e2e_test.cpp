// The seven fine-tuning heads end to end through the CLI (finetune, evaluate, predict) on small stores the tests
// build with `simulate` + `ingest`: each head trains, selects on validation and is scored on its test split; the
// scores are checked against what the run's own prediction files imply, the split files against the subjects, and
// fine-tuning starts from a checkpoint written by the real `tokenizer` + `pretrain` verbs. Tiny models, one or two
// epochs: every test runs in seconds.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/io/reader.h"
#include "epilepsyfm/models/checkpoint_io.h"
#include "support/test_support.h"

using ::testing::HasSubstr;

namespace efm {
namespace {

namespace fs = std::filesystem;

// ---- helpers -----------------------------------------------------------------------------------------------------

std::string config(const std::string& dir, const std::string& name) {
  return (test::source_dir() / "configs" / dir / name).string();
}

/// Runs the CLI and fails the test (with the output) on a non-zero exit.
std::string run_ok(const std::vector<std::string>& args) {
  const auto r = test::run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.output;
}

/// A simulated cohort (configs/simulate/test.yaml with `subjects` subjects of one 60-s recording, one seizure or
/// more each) ingested with configs/ingest/default.yaml (4-s windows, 200 Hz).
struct Cohort {
  fs::path sim, store;
};
Cohort make_cohort(const fs::path& dir, int subjects, const std::vector<std::string>& ingest_sets = {}) {
  Cohort c{dir / "sim", dir / "store"};
  run_ok({"simulate", "--config", config("simulate", "test.yaml"), "--out", c.sim.string(), "--set",
          "simulate.n_subjects=" + std::to_string(subjects)});
  std::vector<std::string> args{"ingest", "--config",      config("ingest", "default.yaml"), "--input", c.sim.string(),
                                "--out",  c.store.string()};
  for (const auto& s : ingest_sets) args.insert(args.end(), {"--set", s});
  run_ok(args);
  return c;
}

/// One cohort of 12 subjects per test process, built on first use.
const Cohort& shared_cohort() {
  static test::TempDir dir("efm_heads");
  static const Cohort c = make_cohort(dir.path(), 12);
  return c;
}

/// `finetune` arguments: a 1-layer d-32 backbone, `epochs` epochs of batches of 8, one thread.
std::vector<std::string> finetune_args(const std::string& head_config, const fs::path& store, const fs::path& out,
                                       int epochs = 1, bool small_model = true) {
  std::vector<std::string> a{"finetune",
                             "--config",
                             config("finetune", head_config),
                             "--store",
                             store.string(),
                             "--out",
                             out.string(),
                             "--no-progress",
                             "--set",
                             "run.threads=1",
                             "--set",
                             "train.epochs=" + std::to_string(epochs),
                             "--set",
                             "train.batch_size=8",
                             "--set",
                             "train.warmup_epochs=0"};
  if (small_model) {
    for (const char* s :
         {"model.size=tiny", "model.depth=1", "model.embed_dim=32", "model.heads=2", "model.ffn_dim=64"}) {
      a.insert(a.end(), {"--set", s});
    }
  }
  return a;
}
std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& sets) {
  for (const auto& s : sets) a.insert(a.end(), {"--set", s});
  return a;
}

YAML::Node load_json(const fs::path& p) {
  return YAML::Load(read_file(p));
}
double metric(const YAML::Node& j, const std::string& split, const std::string& name) {
  const YAML::Node v = j[split][name];
  if (!v.IsDefined() || v.IsNull()) return std::nan("");
  return v.as<double>();
}

/// splits.csv: every recording in one of train/val/test, no subject in two splits, every split non-empty.
std::map<std::string, std::string> check_splits(const fs::path& splits_csv, size_t n_recordings) {
  const CsvTable t = read_csv(splits_csv);
  EXPECT_EQ(t.header, (std::vector<std::string>{"recording_id", "subject", "split"}));
  EXPECT_EQ(t.rows.size(), n_recordings);
  std::map<std::string, std::set<std::string>> parts_of_subject;
  std::map<std::string, std::string> part_of_recording;
  std::set<std::string> parts;
  for (const auto& r : t.rows) {
    parts_of_subject[r[1]].insert(r[2]);
    part_of_recording[r[0]] = r[2];
    parts.insert(r[2]);
  }
  for (const auto& [s, p] : parts_of_subject) EXPECT_EQ(p.size(), 1u) << "subject " << s << " is in two splits";
  EXPECT_EQ(parts, (std::set<std::string>{"test", "train", "val"}));
  return part_of_recording;
}

/// AUROC as the Mann-Whitney statistic (ties count 1/2): the definition, independent of eval/classification.
double mann_whitney_auroc(const std::vector<int>& y, const std::vector<double>& p) {
  double wins = 0, pairs = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] != 1) continue;
    for (size_t j = 0; j < y.size(); ++j) {
      if (y[j] != 0) continue;
      pairs += 1;
      wins += p[i] > p[j] ? 1.0 : (p[i] == p[j] ? 0.5 : 0.0);
    }
  }
  return wins / pairs;
}

/// Store recording id of a simulated file ("sub-02/sub-02_rec-01.edf" -> "sub-02__sub-02_rec-01").
std::string recording_id(std::string file) {
  file = file.substr(0, file.rfind('.'));
  const auto slash = file.find('/');
  return file.substr(0, slash) + "__" + file.substr(slash + 1);
}

// ---- window heads ------------------------------------------------------------------------------------------------

TEST(HeadsWindowE2E, SeizureDetectionTrainsSelectsOnValidationAndScoresTheTestSplit) {
  const Cohort& c = shared_cohort();
  test::TempDir dir;
  const fs::path run = dir / "sd";
  const std::string out = run_ok(finetune_args("seizure_detection.yaml", c.store, run, /*epochs=*/2));
  EXPECT_THAT(out, HasSubstr("initialisation: from scratch"));
  EXPECT_THAT(out, HasSubstr("[split] by subject: train:"));
  for (const char* f : {"config.yaml", "splits.csv", "metrics.csv", "metrics.json", "predictions_test.csv",
                        "report.html", "log.txt", "checkpoints/best", "checkpoints/latest"}) {
    EXPECT_TRUE(fs::exists(run / f)) << f;
  }
  const auto part = check_splits(run / "splits.csv", 12);
  const YAML::Node j = load_json(run / "metrics.json");
  EXPECT_EQ(j["head"].as<std::string>(), "seizure_detection");
  const auto selected = j["selected_step"].as<int64_t>();
  EXPECT_TRUE(selected == 15 || selected == 30) << selected;  // 120 train windows / 8 = 15 steps per epoch

  // The segment metrics are those of the labelled test windows at the 4-s training stride in predictions_test.csv
  // (which also holds the 1-s timeline windows, data.eval_stride_s = 1).
  const CsvTable p = read_csv(run / "predictions_test.csv");
  EXPECT_EQ(p.header, (std::vector<std::string>{"recording_id", "subject", "start_s", "end_s", "label", "class",
                                                "p_non_seizure", "p_seizure"}));
  std::vector<int> y;
  std::vector<double> s;
  std::set<std::string> test_recordings;
  for (const auto& r : p.rows) {
    EXPECT_EQ(part.at(r[0]), "test") << r[0];
    test_recordings.insert(r[0]);
    const double start = std::stod(r[2]);
    if (r[5].empty() || std::fmod(start, 4.0) != 0.0) continue;
    y.push_back(r[5] == "seizure" ? 1 : 0);
    s.push_back(std::stod(r[7]));
  }
  ASSERT_FALSE(y.empty());
  EXPECT_EQ(metric(j, "test", "n_windows"), static_cast<double>(y.size()));
  EXPECT_EQ(metric(j, "test", "n_positive"), static_cast<double>(std::count(y.begin(), y.end(), 1)));
  // Same pairs counted in another order; the CSV carries round-trip doubles.
  EXPECT_NEAR(metric(j, "test", "auroc"), mann_whitney_auroc(y, s), 1e-12);
  for (const char* m : {"balanced_accuracy", "sensitivity", "specificity", "average_precision"}) {
    EXPECT_GE(metric(j, "test", m), 0.0) << m;
    EXPECT_LE(metric(j, "test", m), 1.0) << m;
  }
  // Event scoring against the annotated seizures of the test recordings (simulate's seizures.csv).
  int n_reference = 0;
  for (const auto& r : read_csv(c.sim / "seizures.csv").rows) n_reference += test_recordings.count(recording_id(r[0]));
  EXPECT_EQ(metric(j, "test", "event_n_reference"), n_reference);
  EXPECT_EQ(metric(j, "test", "event_n_recordings"), static_cast<double>(test_recordings.size()));
  EXPECT_GE(metric(j, "test", "event_sensitivity"), 0.0);
  EXPECT_LE(metric(j, "test", "event_sensitivity"), 1.0);

  // metrics.csv: training rows, validation rows at every epoch end, the test rows at the selected step.
  const CsvTable m = read_csv(run / "metrics.csv");
  std::set<std::string> splits;
  for (const auto& r : m.rows) {
    splits.insert(r[1]);
    if (r[1] == "test") {
      EXPECT_EQ(std::stoll(r[0]), selected);
    }
  }
  EXPECT_EQ(splits, (std::set<std::string>{"test", "train", "val", "val_selected"}));
  const std::string html = read_file(run / "report.html");
  for (const char* text : {"ROC curve (test)", "Precision-recall (test)", "Confusion matrix (test)",
                           "Seizure probability: ", "annotated seizure(s)", "<svg", "Validation auroc"}) {
    EXPECT_THAT(html, HasSubstr(text));
  }
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // Self-contained: nothing loaded from elsewhere (the SVG namespace URI is a name, not a fetch).
  for (const char* fetch : {"src=\"http", "href=\"http", "@import", "url(http"}) {
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  }

  // evaluate re-scores the run from its directory alone: same checkpoint, same numbers.
  fs::remove(run / "report.html");
  const std::string ev = run_ok({"evaluate", "--run", run.string()});
  EXPECT_THAT(ev, HasSubstr(fmt::format("test at step {}", selected)));
  const YAML::Node j2 = load_json(run / "metrics.json");
  for (const char* k : {"auroc", "loss", "balanced_accuracy", "event_f1"}) {
    EXPECT_EQ(j2["test"][k].as<std::string>(), j["test"][k].as<std::string>()) << k;
  }
  EXPECT_TRUE(fs::exists(run / "report.html"));
  // Another store (here a copy): every usable recording of it, into RUN/external_<name>.
  fs::copy(c.store, dir / "other", fs::copy_options::recursive);
  run_ok({"evaluate", "--run", run.string(), "--store", (dir / "other").string(), "--checkpoint", "latest"});
  const YAML::Node je = load_json(run / "external_other" / "metrics.json");
  EXPECT_EQ(metric(je, "external", "n_windows"), 180);  // all 12 x 15 labelled windows
  EXPECT_TRUE(fs::exists(run / "external_other" / "report.html"));
  const auto bad = test::run_cli({"evaluate", "--run", run.string(), "--checkpoint", "first"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("--checkpoint: allowed values are 'best', 'latest', but got 'first'"));
}

TEST(HeadsSeedsE2E, SeedsReportMeanAndSampleStdOverOneSplit) {
  const Cohort& c = shared_cohort();
  test::TempDir dir;
  const fs::path run = dir / "seeds";
  run_ok(with(finetune_args("seizure_detection.yaml", c.store, run), {"evaluate.event_scoring=false"}));
  // The finetune above used seed 0 in `run`; now three seeds in their own directories.
  const fs::path multi = dir / "multi";
  auto args = finetune_args("seizure_detection.yaml", c.store, multi);
  args.insert(args.end(), {"--seeds", "0,1,2"});
  run_ok(with(args, {"evaluate.event_scoring=false"}));
  std::vector<double> loss;
  for (int s : {0, 1, 2}) {
    const fs::path d = multi / ("seed_" + std::to_string(s));
    EXPECT_EQ(read_file(d / "splits.csv"), read_file(run / "splits.csv")) << "split.seed fixes the split";
    loss.push_back(metric(load_json(d / "metrics.json"), "test", "loss"));
  }
  EXPECT_NE(loss[0], loss[1]);  // the seeds change initialisation and batch order
  const CsvTable t = read_csv(multi / "summary.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"metric", "mean", "std", "n", "seed_0", "seed_1", "seed_2"}));
  bool found = false;
  for (const auto& r : t.rows) {
    if (r[0] != "loss") continue;
    found = true;
    const double mean = (loss[0] + loss[1] + loss[2]) / 3;
    double ss = 0;
    for (double x : loss) ss += (x - mean) * (x - mean);
    EXPECT_NEAR(std::stod(r[1]), mean, 1e-12);
    EXPECT_NEAR(std::stod(r[2]), std::sqrt(ss / 2), 1e-12);  // sample std (n - 1)
    EXPECT_EQ(r[3], "3");
  }
  EXPECT_TRUE(found);
  EXPECT_THAT(read_file(multi / "report.html"), HasSubstr("seed_1/report.html"));
  const YAML::Node sj = load_json(multi / "summary.json");
  EXPECT_EQ(sj["seeds"].as<int>(), 3);

  // A saved split is reused as is; a label fraction keeps part of the training subjects only.
  const fs::path again = dir / "again";
  run_ok(with(finetune_args("seizure_detection.yaml", c.store, again),
              {"split.file=" + (run / "splits.csv").string(), "evaluate.event_scoring=false"}));
  EXPECT_EQ(read_file(again / "splits.csv"), read_file(run / "splits.csv"));
  const fs::path low = dir / "low";
  const std::string out = run_ok(with(finetune_args("seizure_detection.yaml", c.store, low),
                                      {"data.train_label_fraction=0.2", "evaluate.event_scoring=false"}));
  const auto full = check_splits(run / "splits.csv", 12);
  const CsvTable lt = read_csv(low / "splits.csv");
  int train_full = 0, train_low = 0;
  for (const auto& [r, p] : full) train_full += p == "train";
  for (const auto& r : lt.rows) {
    train_low += r[2] == "train";
    if (r[2] != "train") {
      EXPECT_EQ(full.at(r[0]), r[2]) << "val and test are never reduced";
    }
  }
  EXPECT_LT(train_low, train_full);
  EXPECT_GE(train_low, 2);  // at least one subject per class stratum
}

TEST(HeadsWindowE2E, SeizureTypeClassifiesTheStoreSeizureLabels) {
  const Cohort& c = shared_cohort();
  test::TempDir dir;
  const fs::path run = dir / "st";
  run_ok(with(finetune_args("seizure_type.yaml", c.store, run), {"split.fractions=[0.5, 0.25, 0.25]"}));
  const YAML::Node cfg = YAML::LoadFile((run / "config.yaml").string());
  std::set<std::string> seizure_labels;
  for (const auto& r : read_csv(c.store / "labels.csv").rows) {
    if (r[2] == "1") seizure_labels.insert(r[1]);
  }
  const auto classes = cfg["resolved"]["classes"].as<std::vector<std::string>>();
  EXPECT_EQ(std::set<std::string>(classes.begin(), classes.end()), seizure_labels);
  EXPECT_TRUE(std::is_sorted(classes.begin(), classes.end()));
  const YAML::Node j = load_json(run / "metrics.json");
  const CsvTable p = read_csv(run / "predictions_test.csv");
  int scored = 0;
  for (const auto& r : p.rows) {
    EXPECT_TRUE(seizure_labels.count(r[4])) << "a background window was scored: " << r[4];
    scored += !r[5].empty();
    double sum = 0;
    for (size_t k = 6; k < r.size(); ++k) sum += std::stod(r[k]);
    EXPECT_NEAR(sum, 1.0, 1e-9);  // softmax
  }
  EXPECT_EQ(metric(j, "test", "n_windows"), scored);
  EXPECT_GE(metric(j, "test", "balanced_accuracy"), 0.0);
  EXPECT_LE(metric(j, "test", "balanced_accuracy"), 1.0);
  EXPECT_THAT(read_file(run / "report.html"), HasSubstr("Confusion matrix (test)"));

  const auto r = test::run_cli(with(finetune_args("seizure_type.yaml", c.store, dir / "bad"),
                                    {"finetune.classes=[seizure_focal, seizure_tonic]"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("finetune.classes: 'seizure_tonic' is not a label of the store"));
}

TEST(HeadsPredictE2E, PredictStreamsProbabilitiesEventsAndEdfAnnotations) {
  const Cohort& c = shared_cohort();
  test::TempDir dir;
  const fs::path run = dir / "sd";
  run_ok(with(finetune_args("seizure_detection.yaml", c.store, run), {"evaluate.event_scoring=false"}));
  const fs::path edf = c.sim / "sub-01" / "sub-01_rec-01.edf";
  // Threshold 0: every second is positive, so exactly one event covers the recording.
  std::string out = run_ok({"predict", "--checkpoint", run.string(), "--input", edf.string(), "--out",
                            (dir / "p0").string(), "--labels", (c.sim / "seizures.csv").string(), "--no-progress",
                            "--set", "predict.threshold=0", "--set", "predict.chunk_s=7"});
  EXPECT_THAT(out, HasSubstr("1 detected event(s)\n  0.0 - 60.0 s"));
  EXPECT_THAT(out, HasSubstr("reference: 1 seizure(s), detected 1, false alarms 0; latency:"));
  const CsvTable prob = read_csv(dir / "p0" / "sub-01_rec-01_probabilities.csv");
  EXPECT_EQ(prob.header, (std::vector<std::string>{"time_s", "probability", "n_windows"}));
  ASSERT_EQ(prob.rows.size(), 60u);  // one row per second of the 60-s recording
  // 4-s windows every second: second t is covered by min(t + 1, 4, 60 - t) windows.
  for (size_t t = 0; t < 60; ++t) {
    EXPECT_EQ(std::stod(prob.rows[t][0]), static_cast<double>(t));
    const auto n = std::min<int64_t>({static_cast<int64_t>(t) + 1, 4, 60 - static_cast<int64_t>(t)});
    EXPECT_EQ(std::stoll(prob.rows[t][2]), n) << t;
    const double pr = std::stod(prob.rows[t][1]);
    EXPECT_TRUE(pr > 0 && pr < 1) << pr;
  }
  const CsvTable ev = read_csv(dir / "p0" / "sub-01_rec-01_events.csv");
  EXPECT_EQ(ev.header, (std::vector<std::string>{"onset_s", "offset_s", "duration_s", "max_probability", "label"}));
  ASSERT_EQ(ev.rows.size(), 1u);
  EXPECT_EQ(ev.rows[0][0], "0");
  EXPECT_EQ(ev.rows[0][1], "60");
  double max_p = 0;
  for (const auto& r : prob.rows) max_p = std::max(max_p, std::stod(r[1]));
  EXPECT_EQ(std::stod(ev.rows[0][3]), max_p);
  // The EDF+ file: P(seizure) as a 1-Hz signal and the detections as annotations.
  const auto src = io::open_recording(dir / "p0" / "sub-01_rec-01_events.edf");
  ASSERT_EQ(src->info().signals.size(), 1u);
  EXPECT_EQ(src->info().signals[0].n_samples, 60);
  ASSERT_EQ(src->info().annotations.size(), 1u);
  EXPECT_EQ(src->info().annotations[0].text, "seizure (predicted)");
  EXPECT_NEAR(src->info().annotations[0].onset_s, 0.0, 1e-6);
  EXPECT_NEAR(src->info().annotations[0].duration_s, 60.0, 1e-6);
  std::vector<double> x(60);
  src->read(0, 0, 60, x.data());
  // The EDF signal is 16-bit: P within one LSB of 1/65535 of the CSV value.
  for (size_t t = 0; t < 60; ++t) EXPECT_NEAR(x[t], std::stod(prob.rows[t][1]), 2.0 / 65535) << t;

  // Threshold 1 (above every probability): no event; the probabilities do not depend on the chunk size.
  out = run_ok({"predict", "--checkpoint", run.string(), "--input", edf.string(), "--out", (dir / "p1").string(),
                "--no-progress", "--set", "predict.threshold=1"});
  EXPECT_THAT(out, HasSubstr("0 detected event(s)"));
  EXPECT_EQ(read_csv(dir / "p1" / "sub-01_rec-01_events.csv").rows.size(), 0u);
  const CsvTable prob1 = read_csv(dir / "p1" / "sub-01_rec-01_probabilities.csv");
  ASSERT_EQ(prob1.rows.size(), 60u);
  for (size_t t = 0; t < 60; ++t) EXPECT_NEAR(std::stod(prob1.rows[t][1]), std::stod(prob.rows[t][1]), 1e-5) << t;

  const auto bad = test::run_cli({"predict", "--checkpoint", run.string(), "--input", edf.string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("predict: give --checkpoint CKPT, --input FILE and --out DIR"));
}

// ---- from a real pretraining checkpoint --------------------------------------------------------------------------

TEST(HeadsPretrainedE2E, FinetunesFromTheBackboneOfARealPretrainRun) {
  const Cohort& c = shared_cohort();
  test::TempDir dir;
  const std::vector<std::string> steps{"--no-progress",        "--set", "run.threads=1",           "--set",
                                       "train.steps=4",        "--set", "train.batch_size=8",      "--set",
                                       "train.warmup_steps=1", "--set", "train.checkpoint_every=4"};
  auto tok = std::vector<std::string>{"tokenizer",
                                      "--config",
                                      config("tokenizer", "tiny.yaml"),
                                      "--store",
                                      c.store.string(),
                                      "--out",
                                      (dir / "tok").string(),
                                      "--set",
                                      "tokenizer.encoder.depth=1",
                                      "--set",
                                      "tokenizer.vq.n_codes=32"};
  tok.insert(tok.end(), steps.begin(), steps.end());
  run_ok(tok);
  auto pre = std::vector<std::string>{"pretrain",
                                      "--config",
                                      config("pretrain", "tiny.yaml"),
                                      "--store",
                                      c.store.string(),
                                      "--tokenizer",
                                      (dir / "tok").string(),
                                      "--out",
                                      (dir / "pt").string(),
                                      "--set",
                                      "model.depth=2"};
  pre.insert(pre.end(), steps.begin(), steps.end());
  run_ok(pre);
  const fs::path pretrained = dir / "pt" / "pretrained.pt";
  ASSERT_TRUE(fs::exists(pretrained));

  // Linear probe: the backbone is the pretrained one, frozen; only the head trains.
  const fs::path lp = dir / "lp";
  auto args = finetune_args("seizure_detection.yaml", c.store, lp, 1, /*small_model=*/false);
  args.insert(args.end(), {"--init", (dir / "pt").string(), "--set", "finetune.mode=linear_probe", "--set",
                           "evaluate.event_scoring=false"});
  const std::string out = run_ok(args);
  EXPECT_THAT(out, HasSubstr("model: tiny from the checkpoint's config"));
  EXPECT_THAT(out, HasSubstr("pretrained backbone from " + pretrained.string() + ": 64 tensor(s) loaded\n"));
  const YAML::Node cfg = YAML::LoadFile((lp / "config.yaml").string());
  EXPECT_EQ(cfg["model"]["depth"].as<int>(), 2);  // the architecture comes from the pretraining config
  const auto pt = models::read_state_dict(pretrained).tensors;
  const YAML::Node j = load_json(lp / "metrics.json");
  const auto best = models::read_state_dict(fs::path(j["checkpoint"].as<std::string>()) / "model.pt").tensors;
  int compared = 0;
  for (const auto& [k, v] : best) {
    if (k.rfind("backbone.", 0) != 0 || k.rfind("backbone.fc_norm.", 0) == 0) continue;
    ASSERT_TRUE(pt.count(k)) << k;
    EXPECT_TRUE(torch::equal(v, pt.at(k))) << k << " changed in linear_probe mode";
    ++compared;
  }
  EXPECT_GT(compared, 20);
  EXPECT_TRUE(best.count("head.fc.weight"));

  // Full fine-tuning changes the backbone.
  const fs::path full = dir / "full";
  args = finetune_args("seizure_detection.yaml", c.store, full, 1, /*small_model=*/false);
  args.insert(args.end(), {"--init", pretrained.string(), "--set", "evaluate.event_scoring=false"});
  run_ok(args);
  const auto tuned =
      models::read_state_dict(fs::path(load_json(full / "metrics.json")["checkpoint"].as<std::string>()) / "model.pt")
          .tensors;
  EXPECT_FALSE(torch::equal(tuned.at("backbone.blocks.0.attn.qkv.weight"), pt.at("backbone.blocks.0.attn.qkv.weight")));

  // Weights that do not fit the configured architecture, and a store preprocessed differently.
  args = finetune_args("seizure_detection.yaml", c.store, dir / "misfit", 1, /*small_model=*/true);
  args.insert(args.end(), {"--init", pretrained.string(), "--set", "init.use_checkpoint_model=false"});
  auto r = test::run_cli(args);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("the pretrained weights do not fit the backbone (prefix 'backbone.')"));
  const Cohort us = make_cohort(dir / "us", 3, {"ingest.preprocess.notch_hz=[60]"});
  args = finetune_args("seizure_detection.yaml", us.store, dir / "us_run", 1, /*small_model=*/false);
  args.insert(args.end(), {"--init", pretrained.string()});
  r = test::run_cli(args);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("(notch 50 Hz (+ harmonics) vs 60 Hz (+ harmonics)); re-ingest the store"));
  EXPECT_THAT(r.output, HasSubstr("init.allow_preprocessing_mismatch=true"));
}

// ---- forecasting heads -------------------------------------------------------------------------------------------

/// Mean of a column of predictions_test.csv.
double column_mean(const CsvTable& t, const std::string& name) {
  const size_t c = t.column(name);
  double s = 0;
  for (const auto& r : t.rows) s += std::stod(r[c]);
  return s / static_cast<double>(t.rows.size());
}

TEST(HeadsForecastE2E, SignalForecastsAreScoredAgainstPersistenceAndMeanBaselines) {
  const Cohort& c = shared_cohort();
  test::TempDir dir;
  for (const auto& [head, horizon] :
       std::vector<std::pair<std::string, double>>{{"forecast_short", 12}, {"forecast_long", 20}}) {
    SCOPED_TRACE(head);
    const fs::path run = dir / head;
    // 8 s of history (the shipped 90 s needs long recordings); the horizon is the head's default.
    run_ok(with(finetune_args(head + ".yaml", c.store, run),
                {"finetune.history_s=8", "data.stride_s=10", "data.eval_stride_s=10", "model.max_patches=64"}));
    const YAML::Node cfg = YAML::LoadFile((run / "config.yaml").string());
    EXPECT_EQ(cfg["finetune"]["horizon_s"].as<double>(), horizon);
    const YAML::Node j = load_json(run / "metrics.json");
    const CsvTable p = read_csv(run / "predictions_test.csv");
    EXPECT_EQ(p.header, (std::vector<std::string>{"recording_id", "start_s", "mae", "persistence_mae",
                                                  "persistence_patch_mae", "mean_mae"}));
    // Windows of 8 + horizon s every 10 s in each 60-s test recording.
    const auto per_recording = static_cast<size_t>((60 - (8 + horizon)) / 10) + 1;
    std::set<std::string> recs;
    for (const auto& r : p.rows) recs.insert(r[0]);
    EXPECT_EQ(p.rows.size(), recs.size() * per_recording);
    EXPECT_EQ(metric(j, "test", "n_windows"), static_cast<double>(p.rows.size()));
    // Every window has the same number of values, so the pooled MAEs are the means of the per-window ones
    // (printed as round-trip doubles; summation order differs: 1e-12).
    EXPECT_NEAR(metric(j, "test", "mae"), column_mean(p, "mae"), 1e-12);
    EXPECT_NEAR(metric(j, "test", "persistence_mae"), column_mean(p, "persistence_mae"), 1e-12);
    EXPECT_NEAR(metric(j, "test", "mean_mae"), column_mean(p, "mean_mae"), 1e-12);
    EXPECT_NEAR(metric(j, "test", "skill_vs_persistence"),
                1.0 - metric(j, "test", "mae") / metric(j, "test", "persistence_mae"), 1e-12);
    EXPECT_NEAR(metric(j, "test", "rmse"), std::sqrt(metric(j, "test", "mse")), 1e-12);
    EXPECT_GT(metric(j, "test", "persistence_mae"), 0.0);
    const double r = metric(j, "test", "pearson");
    EXPECT_TRUE(r >= -1 && r <= 1) << r;
    const std::string html = read_file(run / "report.html");
    EXPECT_THAT(html, HasSubstr("Model vs baselines (test"));
    EXPECT_THAT(html, HasSubstr("Forecast: "));
  }
  const auto bad =
      test::run_cli(with(finetune_args("forecast_short.yaml", c.store, dir / "bad"), {"finetune.history_s=7.5"}));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("finetune.history_s: 7.5 s is not a whole number of 1-s patches"));
}

TEST(HeadsForecastE2E, FrequencyPhasePredictsTheSpectraOfTheFuturePatches) {
  const Cohort& c = shared_cohort();
  test::TempDir dir;
  const fs::path run = dir / "fp";
  run_ok(with(finetune_args("frequency_phase.yaml", c.store, run),
              {"finetune.history_s=8", "finetune.horizon_s=4", "data.stride_s=6", "data.eval_stride_s=12",
               "model.max_patches=64"}));
  const YAML::Node j = load_json(run / "metrics.json");
  const CsvTable p = read_csv(run / "predictions_test.csv");
  EXPECT_EQ(p.header, (std::vector<std::string>{"recording_id", "start_s", "amplitude_mae", "persistence_amplitude_mae",
                                                "mean_amplitude_mae"}));
  EXPECT_EQ(metric(j, "test", "n_windows"), static_cast<double>(p.rows.size()));
  EXPECT_NEAR(metric(j, "test", "amplitude_mae"), column_mean(p, "amplitude_mae"), 1e-12);
  EXPECT_NEAR(metric(j, "test", "persistence_amplitude_mae"), column_mean(p, "persistence_amplitude_mae"), 1e-12);
  for (const char* prefix : {"", "persistence_", "mean_"}) {
    const double a = metric(j, "test", std::string(prefix) + "phase_error_abs_rad");
    const double cs = metric(j, "test", std::string(prefix) + "phase_error_cos");
    EXPECT_TRUE(a >= 0 && a <= M_PI) << prefix << a;
    EXPECT_TRUE(cs >= 0 && cs <= 2) << prefix << cs;
  }
  EXPECT_NEAR(metric(j, "test", "skill_vs_mean"),
              1.0 - metric(j, "test", "amplitude_mae") / metric(j, "test", "mean_amplitude_mae"), 1e-12);
  EXPECT_THAT(read_file(run / "report.html"), HasSubstr("Amplitude spectrum of the first future second"));
}

// ---- patient-level heads -----------------------------------------------------------------------------------------

TEST(HeadsRecordingE2E, AsmEfficacyAndRftcOutcomeClassifySubjectsFromALabelCsv) {
  const Cohort& c = shared_cohort();
  test::TempDir dir;
  for (const auto& [head, csv, pooling] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"asm_efficacy", "labels_asm_response.csv", "attention"},
           {"rftc_outcome", "labels_rftc_outcome.csv", "mean"}}) {
    SCOPED_TRACE(head);
    const fs::path run = dir / head;
    run_ok(with(finetune_args(head + ".yaml", c.store, run),
                {"finetune.labels_csv=" + (c.sim / csv).string(), "finetune.pooling=" + pooling,
                 "split.fractions=[0.5, 0.25, 0.25]"}));
    const auto part = check_splits(run / "splits.csv", 12);
    std::map<std::string, std::string> label;
    for (const auto& r : read_csv(c.sim / csv).rows) label[r[0]] = r[1];
    const CsvTable p = read_csv(run / "predictions_test.csv");
    EXPECT_EQ(p.header[0], "subject");
    EXPECT_EQ(p.header[1], "label");
    std::set<std::string> test_subjects;
    for (const auto& [rec, s] : part) {
      if (s == "test") test_subjects.insert(rec.substr(0, rec.find("__")));
    }
    ASSERT_EQ(p.rows.size(), test_subjects.size());
    std::vector<int> y;
    std::vector<double> score;
    for (const auto& r : p.rows) {
      EXPECT_TRUE(test_subjects.count(r[0])) << r[0];
      EXPECT_EQ(r[1], label.at(r[0]));
      EXPECT_EQ(r[2], "15");  // every 4-s window of the subject's 60-s recording
      y.push_back(r[1] == p.header.back().substr(2) ? 1 : 0);
      score.push_back(std::stod(r.back()));
    }
    const YAML::Node j = load_json(run / "metrics.json");
    EXPECT_EQ(metric(j, "test", "n_units"), static_cast<double>(test_subjects.size()));
    if (std::count(y.begin(), y.end(), 1) > 0 && std::count(y.begin(), y.end(), 0) > 0) {
      EXPECT_NEAR(metric(j, "test", "auroc"), mann_whitney_auroc(y, score), 1e-12);
    } else {
      EXPECT_TRUE(std::isnan(metric(j, "test", "auroc")));
    }
  }
  auto r = test::run_cli(with(finetune_args("asm_efficacy.yaml", c.store, dir / "nolabels"), {"finetune.labels_csv="}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("finetune.labels_csv: head 'asm_efficacy' reads its labels from a CSV"));
  r = test::run_cli(with(finetune_args("rftc_outcome.yaml", c.store, dir / "wrong"),
                         {"finetune.labels_csv=" + (c.sim / "labels_asm_response.csv").string()}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("line 2: label 'non_responder' of 'sub-01' is not one of the classes"));
}

// ---- report.html in a browser ------------------------------------------------------------------------------------

TEST(HeadsReportBrowser, ReportRendersInHeadlessChromiumWithoutErrors) {
  const fs::path chromium = "/usr/bin/chromium";
  if (!fs::exists(chromium)) {
    std::fprintf(stderr,
                 "\n*** CHROMIUM NOT FOUND at /usr/bin/chromium: report.html not rendered (apt-get install "
                 "chromium, or run scripts/setup.sh) ***\n\n");
    GTEST_SKIP() << "CHROMIUM NOT FOUND: /usr/bin/chromium (Debian package chromium)";
  }
  const Cohort& c = shared_cohort();
  test::TempDir dir;
  const fs::path run = dir / "sd";
  run_ok(finetune_args("seizure_detection.yaml", c.store, run));
  const fs::path png = dir / "report.png", log = dir / "chromium.log";
  const std::string cmd = fmt::format(
      "{} --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
      "--disable-component-update --disable-sync --user-data-dir={} --screenshot={} --window-size=1400,3000 "
      "--enable-logging=stderr --v=0 {} > {} 2>&1",
      chromium.string(), test::shell_quote((dir / "profile").string()), test::shell_quote(png.string()),
      test::shell_quote("file://" + (run / "report.html").string()), test::shell_quote(log.string()));
  const auto r = test::run_command("timeout 120 " + cmd);
  const std::string out = fs::exists(log) ? read_file(log) : std::string();
  ASSERT_EQ(r.exit_code, 0) << out;
  ASSERT_TRUE(fs::exists(png)) << out;
  // PNG: signature, then the IHDR chunk with big-endian width and height at bytes 16..23.
  const std::string bytes = read_file(png);
  ASSERT_GT(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  EXPECT_EQ(be32(16), 1400u);
  EXPECT_EQ(be32(20), 3000u);
  // A blank page compresses to a few kB; the report's tables and figures give far more.
  EXPECT_GT(bytes.size(), 50000u);
  EXPECT_EQ(out.find("Uncaught"), std::string::npos) << out;
  EXPECT_EQ(out.find(":CONSOLE("), std::string::npos) << out;  // no console message at all (the report has no JS)
  EXPECT_EQ(out.find("ERR_FILE_NOT_FOUND"), std::string::npos) << out;
}

}  // namespace
}  // namespace efm
