// finetune / evaluate orchestration (eval/finetune.h).
#include "epilepsyfm/eval/finetune/finetune.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/sha256.h"
#include "epilepsyfm/core/version.h"
#include "epilepsyfm/data/sampler.h"
#include "epilepsyfm/eval/report/html_report.h"
#include "epilepsyfm/eval/report/plot.h"
#include "epilepsyfm/models/checkpoint_io.h"
#include "epilepsyfm/models/runtime.h"
#include "epilepsyfm/train/checkpoint.h"
#include "epilepsyfm/train/cuda_settings.h"
#include "epilepsyfm/train/model_files.h"
#include "epilepsyfm/train/runner.h"
#include "epilepsyfm/train/trainer.h"
#include "eval/finetune/heads/report_util.h"

namespace efm::eval {
namespace fs = std::filesystem;

HeadSetup make_head_setup(const FinetuneExperiment& exp, std::shared_ptr<const data::StoreWindowSource> store) {
  HeadSetup s;
  s.exp = exp;
  s.source = store;
  for (const auto& l : store->store().labels()) s.seizure_labels.push_back(l.seizure);
  s.seizure_events = [store](int64_t r) {
    const auto d = store->store().details(static_cast<size_t>(r));
    std::vector<Event> ev;
    for (size_t i = 0; i < d->events.size(); ++i) {
      if (i >= d->event_seizure.size() || !d->event_seizure[i]) continue;
      const double a = d->events[i].onset_s, b = d->events[i].offset_s;
      if (b > a) ev.push_back({a, b});
    }
    std::sort(ev.begin(), ev.end(), [](const Event& x, const Event& y) { return x.start_s < y.start_s; });
    std::vector<Event> merged;
    for (const auto& e : ev) {
      if (!merged.empty() && e.start_s <= merged.back().end_s) {
        merged.back().end_s = std::max(merged.back().end_s, e.end_s);
      } else {
        merged.push_back(e);
      }
    }
    return merged;
  };
  return s;
}

fs::path resolve_model_file(const fs::path& path, const std::string& which) {
  return train::resolve_model_file(path, train::parse_checkpoint_choice(which, "checkpoint")).weights;
}

namespace {

std::string fmt_value(double v) {
  return std::isfinite(v) ? fmt::format("{:.4f}", v) : std::string("nan");
}

/// Rewrites metrics.csv without rows of `split`, then appends `m` at `step`.
void replace_metric_rows(const fs::path& path, const std::string& split, int64_t step, const MetricSet& m) {
  std::string out = MetricSet::kCsvHeader;
  if (fs::exists(path)) {
    const CsvTable t = read_csv(path);
    const size_t split_col = t.column("split");
    for (const auto& row : t.rows) {
      if (row[split_col] != split) out += csv_line(row);
    }
  }
  out += m.csv_rows(step, split);
  atomic_write_file(path, out);
}

/// Training curves from metrics.csv: loss (train, val) and the selection metric (val).
void add_training_curves(HtmlReport& rep, const fs::path& metrics_csv, const std::string& selection) {
  if (!fs::exists(metrics_csv)) return;
  const CsvTable t = read_csv(metrics_csv);
  std::map<std::string, Series> series;
  for (const auto& row : t.rows) {
    const std::string key = row[1] + "/" + row[2];
    if (key != "train/loss" && key != "val/loss" && key != "val/" + selection) continue;
    const double x = parse_double(row[0], "metrics.csv step"), y = parse_double(row[3], "metrics.csv value");
    Series& s = series[key];
    s.name = key;
    s.x.push_back(x);
    s.y.push_back(y);
  }
  rep.begin_row();
  std::vector<Series> loss;
  for (const char* k : {"train/loss", "val/loss"}) {
    if (series.count(k)) loss.push_back(series[k]);
  }
  if (!loss.empty()) {
    rep.figure(
        line_plot_svg(loss, PlotOptions().title("Loss").x_label("optimiser step").y_label("loss").size(560, 300)),
        "training loss (mean over the logging interval) and validation loss");
  }
  if (selection != "loss" && series.count("val/" + selection)) {
    rep.figure(line_plot_svg({series["val/" + selection]},
                             PlotOptions().title("Validation " + selection).x_label("optimiser step").size(560, 300)),
               "model selection metric on the validation split");
  }
  rep.end_row();
}

void add_metric_table(HtmlReport& rep, const std::string& title, const MetricSet& m,
                      const std::vector<std::string>& first) {
  if (m.empty()) return;
  rep.heading(title, 3);
  std::vector<std::vector<std::string>> rows;
  std::set<std::string> done;
  for (const auto& k : first) {
    if (auto v = m.find(k)) {
      rows.push_back({k, fmt_value(*v)});
      done.insert(k);
    }
  }
  for (const auto& [k, v] : m.entries()) {
    if (!done.count(k)) rows.push_back({k, fmt_value(v)});
  }
  rep.table({"metric", "value"}, rows);
}

void add_eval_result(HtmlReport& rep, const EvalResult& r) {
  bool open_row = false;
  for (const auto& f : r.figures) {
    if (f.row_start) {
      if (open_row) rep.end_row();
      rep.begin_row();
      open_row = true;
    }
    rep.figure(f.svg, f.caption);
  }
  if (open_row) rep.end_row();
  for (const auto& t : r.tables) {
    rep.heading(t.title, 3);
    rep.table(t.header, t.rows);
  }
}

train::Checkpoint selected_checkpoint(const fs::path& run_dir, train::CheckpointChoice which) {
  auto c = train::RunDir(run_dir).checkpoint(which);
  EFM_CHECK_DATA(c.has_value(), "{}: no checkpoint (checkpoints/latest is missing)", run_dir.string());
  return *c;
}

/// Scores val (threshold) and the test part with the model at `sel`; writes the outputs into `out`.
FinetuneOutcome score_and_report(FinetuneTask& task, const FinetuneExperiment& exp, const fs::path& run_dir,
                                 const fs::path& out, const train::Checkpoint& sel, const torch::Device& device,
                                 bool external, const std::string& store_name) {
  train::load_module_state(task.model(), sel.dir / "model.pt", /*strict=*/true);
  FinetuneOutcome o;
  o.run_dir = run_dir;
  o.head = exp.finetune.head;
  o.selected_step = sel.state.step;
  o.checkpoint = sel.dir;
  if (!external && task.part_index(SplitPart::val)->size() > 0) {
    o.val = task.evaluate_split(SplitPart::val, device, /*report=*/false).metrics;
    if (auto t = o.val.find("best_threshold"); t && std::isfinite(*t)) task.set_tuned_threshold(*t);
  }
  const std::string split = external ? "external" : "test";
  EvalResult test;
  if (task.part_index(SplitPart::test)->size() > 0) {
    test = task.evaluate_split(SplitPart::test, device, /*report=*/true, split);
  } else {
    EFM_LOG_WARN("[eval] the {} split has no windows; nothing to score", split);
    test.split = split;
  }
  o.test = test.metrics;
  fs::create_directories(out);
  if (!external) {
    if (!o.val.empty()) replace_metric_rows(out / "metrics.csv", "val_selected", sel.state.step, o.val);
    replace_metric_rows(out / "metrics.csv", split, sel.state.step, o.test);
  } else {
    atomic_write_file(out / "metrics.csv", std::string(MetricSet::kCsvHeader) + o.test.csv_rows(sel.state.step, split));
  }
  atomic_write_file(out / "metrics.json",
                    fmt::format("{{\"head\": \"{}\", \"selected_step\": {}, \"checkpoint\": \"{}\", \"store\": \"{}\", "
                                "\"val\": {}, \"{}\": {}}}\n",
                                exp.finetune.head, sel.state.step, sel.dir.string(), store_name, o.val.to_json(), split,
                                o.test.to_json()));
  if (!test.predictions_csv.empty()) atomic_write_file(out / ("predictions_" + split + ".csv"), test.predictions_csv);

  // report.html
  const HeadSpec& spec = task.spec();
  HtmlReport rep(fmt::format("{} — {}", spec.name, run_dir.filename().string()));
  const Split& s = task.split();
  std::string split_text =
      external ? fmt::format("all {} usable recordings of {}", s.recordings(SplitPart::test).size(), store_name)
               : fmt::format("by {}: train {} / val {} / test {} recordings (seed {})", s.by,
                             s.recordings(SplitPart::train).size(), s.recordings(SplitPart::val).size(),
                             s.recordings(SplitPart::test).size(), exp.split.seed);
  rep.definitions(
      {{"head", spec.name + ": " + spec.description},
       {"input → output", input_text(spec.input) + " → " + spec.output},
       {"loss", spec.loss},
       {"labels", spec.labels},
       {"mode", exp.finetune.mode == FinetuneMode::full ? fmt::format("full (layer decay {})", exp.finetune.layer_decay)
                                                        : std::string(enum_name(exp.finetune.mode))},
       {"initialisation", exp.init.checkpoint.empty() ? std::string("from scratch") : exp.init.checkpoint},
       {"model", fmt::format("{} (d {}, depth {})", exp.model.size, exp.model.to_options().embed_dim(),
                             exp.model.to_options().depth())},
       {"store", store_name},
       {"split", split_text + (s.note.empty() ? "" : " — " + s.note)},
       {"selected checkpoint", fmt::format("step {} ({})", sel.state.step, sel.dir.filename().string())},
       {"seed", std::to_string(exp.run.seed)}});
  if (!external) {
    rep.heading("Training");
    const std::string selection = exp.train.keep_best.metric.empty()
                                      ? spec.selection_metric
                                      : exp.train.keep_best.metric.substr(exp.train.keep_best.metric.find('/') + 1);
    add_training_curves(rep, run_dir / "metrics.csv", selection);
  }
  rep.heading("Metrics");
  if (!external) add_metric_table(rep, "Validation (selected step)", o.val, spec.metrics);
  add_metric_table(rep, external ? "External store" : "Test (selected step)", o.test, spec.metrics);
  rep.heading(external ? "External store" : "Test split");
  add_eval_result(rep, test);
  rep.write(out / "report.html");
  EFM_LOG_INFO(
      "[eval] {} at step {}: {}; wrote {}", split, sel.state.step,
      [&] {
        std::string t;
        for (const auto& k : spec.metrics) {
          if (auto v = o.test.find(k)) t += fmt::format("{}{} {:.4f}", t.empty() ? "" : ", ", k, *v);
        }
        return t;
      }(),
      (out / "report.html").string());
  return o;
}

/// Backbone options for the run: the init checkpoint's model section when it has one.
models::BackboneOptions backbone_for(FinetuneExperiment& exp, const InitSource& init) {
  if (init.model && exp.init.use_checkpoint_model) {
    models::BackboneConfig m = *init.model;
    m.drop_path = exp.model.drop_path;
    m.dropout = exp.model.dropout;
    m.attn_dropout = exp.model.attn_dropout;
    exp.model = m;
    EFM_LOG_INFO("[finetune] model: {} from the checkpoint's config", exp.model.size);
  } else if (init.model) {
    exp.model.electrodes = init.model->electrodes;  // the electrode rows are the weights', whatever the architecture
  }
  return exp.model.to_options();
}

std::unique_ptr<FinetuneTask> make_task(const FinetuneExperiment& exp,
                                        const std::shared_ptr<const data::StoreWindowSource>& store) {
  const HeadDefinition& def = head_registry().get(exp.finetune.head, "finetune.head");
  return def.make(make_head_setup(exp, store));
}

void check_geometry(FinetuneTask& task) {
  const auto& net = task.net()->backbone;
  const auto idx = task.train_index();
  const auto src = task.train_source();
  for (const auto& g : idx->groups()) {
    const auto& info = src->recordings()[static_cast<size_t>(g.recordings[0])];
    models::SignalSpec spec{info.channel_names, info.sfreq_hz, g.window_samples};
    if (task.spec().input == HeadInput::history_horizon) {
      spec.window_samples = static_cast<int64_t>(std::llround(task.exp().finetune.history_s * info.sfreq_hz));
    }
    try {
      net->check_spec(spec);
    } catch (const ArgumentError& e) {
      throw ConfigError(fmt::format("recording '{}': {}", info.id, e.what()));
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("recording '{}': {}", info.id, e.what()));
    }
  }
}

/// The backbone learnt from data preprocessed one way; fine-tuning it on data preprocessed another way is refused
/// unless init.allow_preprocessing_mismatch (the pretraining config records its store's preprocessing).
void check_init_preprocessing(const FinetuneExperiment& exp, const InitSource& init, const std::string& origin,
                              const data::StoreWindowSource& store) {
  EFM_CHECK_CONFIG(!store.store().recordings().empty(), "data.store: {} holds no recordings", exp.data.store);
  config::PreprocessingCheck check;
  check.learnt = fmt::format("the pretrained backbone {} learnt from", origin);
  check.data = fmt::format("the store {} holds", exp.data.store);
  check.allow_key = "init.allow_preprocessing_mismatch";
  check.allowed = exp.init.allow_preprocessing_mismatch;
  check.remedy = "re-ingest the store with the pretraining preprocessing";
  check.log_tag = "[finetune]";
  check.origin = origin;
  config::check_preprocessing(init.preprocessing, store.store().details(0)->preprocessing.spec, check);
}

// Store channels outside model.electrodes (the rows an imported backbone learnt): refused, or warned about.
void check_channels_known(const FinetuneExperiment& exp, const std::vector<std::string>& channels) {
  const std::vector<std::string> unknown = channels_without_learnt_row(exp.model.electrodes, channels);
  if (unknown.empty()) return;
  EFM_CHECK_CONFIG(exp.init.unknown_channels == UnknownChannels::mean,
                   "init: the backbone has learnt electrode embeddings for {} electrodes (model.electrodes), and the "
                   "store's channel(s) {} are not among them; use a store with those electrodes, or set "
                   "init.unknown_channels: mean to give them the mean of the learnt rows",
                   exp.model.electrodes.size(), join(unknown));
  EFM_LOG_WARN(
      "[finetune] channel(s) {} have no learnt electrode embedding: they start from the mean of the "
      "learnt rows (init.unknown_channels: mean)",
      join(unknown));
}

}  // namespace

FinetuneOutcome run_finetune(FinetuneExperiment exp, const fs::path& run_dir, const FinetuneRunOptions& options) {
  EFM_CHECK_CONFIG(!exp.data.store.empty(), "data.store: no store given (--store STORE or data.store)");
  train::SessionOptions session_options;
  session_options.distributed = false;  // fine-tuning runs in one process
  session_options.run_dir = run_dir;
  const train::Session session = train::start_session(exp.run, session_options);
  const torch::Device device = session.device;
  const HeadDefinition& def = head_registry().get(exp.finetune.head, "finetune.head");
  if (def.spec.input == HeadInput::recording) {
    if (exp.finetune.level == LabelLevel::recording && exp.split.by == SplitBy::automatic) {
      exp.split.by = SplitBy::recording;
    }
    EFM_CHECK_CONFIG(!(exp.finetune.level == LabelLevel::subject && exp.split.by == SplitBy::recording),
                     "split.by: recording with finetune.level: subject would put a labelled subject's recordings in "
                     "several splits; use split.by: subject (or auto)");
  }
  if (def.spec.input == HeadInput::history_horizon && !exp.finetune.horizon_s) {
    exp.finetune.horizon_s = def.spec.default_horizon_s;
  }

  auto store = std::make_shared<data::StoreWindowSource>(exp.data.store);
  const std::string store_config = store->store().config_yaml();
  exp.resolved.ingest = ingest_config_of(store_config, (fs::path(exp.data.store) / "config.yaml").string());
  exp.resolved.store_config_hash = sha256_hex(store_config);
  EFM_LOG_INFO("[finetune] head {} ({}), mode {}, store {} ({} recordings)", def.spec.name, input_text(def.spec.input),
               exp.finetune.mode, exp.data.store, store->recordings().size());

  auto task = def.make(make_head_setup(exp, store));
  const auto& recs = store->recordings();
  const std::vector<int64_t> strata = task->strata();
  Split split;
  if (!exp.split.file.empty()) {
    split = read_splits_csv(exp.split.file, recs);
  } else if (options.resume && fs::exists(run_dir / "splits.csv")) {
    split = read_splits_csv(run_dir / "splits.csv", recs);
  } else {
    SplitOptions so;
    so.by = exp.split.by;
    so.fractions = exp.split.fractions;
    so.stratify = exp.split.stratify;
    so.seed = static_cast<uint64_t>(exp.split.seed);
    split = make_split(recs, strata, so);
    if (exp.data.train_label_fraction < 1.0) {
      subsample_part(split, recs, strata, SplitPart::train, exp.data.train_label_fraction,
                     static_cast<uint64_t>(exp.split.seed));
    }
  }
  if (!split.note.empty()) EFM_LOG_WARN("[split] {}", split.note);
  exp.resolved.split_by = split.by;

  std::map<std::string, torch::Tensor> init_tensors;
  std::string init_origin, prefix;
  InitSource init;
  if (!exp.init.checkpoint.empty()) {
    // A pretrain run directory (its pretrained.pt, else its latest checkpoint), a checkpoint directory or a file.
    const train::ModelFile mf = train::resolve_model_file(exp.init.checkpoint);
    models::StateDictFile f = models::read_state_dict(mf.weights);
    init_tensors = std::move(f.tensors);
    init_origin = mf.weights.string();
    init = init_source_of(mf.config_yaml, mf.kind, init_origin);
    check_init_preprocessing(exp, init, init_origin, *store);
    prefix = exp.init.prefix;
    if (prefix == "auto") {
      prefix.clear();
      for (const auto& [k, v] : init_tensors) {
        if (k.rfind("backbone.", 0) == 0) prefix = "backbone.";
      }
    }
  } else {
    EFM_LOG_INFO("[finetune] initialisation: from scratch (no init.checkpoint)");
  }
  const models::BackboneOptions backbone = backbone_for(exp, init);
  task->bind(split, backbone);
  check_geometry(*task);
  check_channels_known(exp, task->training_channels());
  if (!init_tensors.empty()) task->load_backbone(init_tensors, prefix, init_origin, exp.init.may_be_missing);
  EFM_LOG_INFO("[split] by {}: {}", split.by, task->describe_data());
  exp.resolved.channels = task->training_channels();
  exp.resolved.classes = task->class_names();

  if (exp.train.keep_best.metric.empty()) {
    exp.train.keep_best.metric =
        "val/" + (exp.finetune.selection_metric.empty() ? def.spec.selection_metric : exp.finetune.selection_metric);
    exp.train.keep_best.mode = exp.finetune.selection_mode.value_or(def.spec.selection_mode);
  }
  data::SamplerOptions so;
  so.batch_size = exp.train.batch_size;
  so.accumulation = exp.train.accumulation;
  so.tail = exp.train.tail;
  const int64_t spe = data::BatchSampler(task->train_index(), so).steps_per_epoch();
  EFM_CHECK_CONFIG(spe > 0,
                   "train.batch_size: the training split has {} windows, fewer than one batch of {} x accumulation "
                   "{} in its channel group(s); lower train.batch_size or set train.tail: pad",
                   task->train_index()->size(), exp.train.batch_size, exp.train.accumulation);
  if (exp.train.eval_every == 0) exp.train.eval_every = spe;  // select the epoch on validation

  const std::string config_yaml = config::to_yaml(exp);
  atomic_write_file(run_dir / "config.yaml", config_yaml);
  write_splits_csv(run_dir / "splits.csv", recs, split);

  task->model().to(device);
  train::FitFlags flags;
  flags.resume = options.resume && train::RunDir(run_dir).checkpoint(train::CheckpointChoice::latest).has_value();
  flags.progress = options.progress;
  train::fit(session, exp.run, exp.train, config_yaml, *task, task->train_source(), task->train_index(), flags);
  const train::Checkpoint sel = selected_checkpoint(run_dir, train::CheckpointChoice::best);
  EFM_LOG_INFO("[finetune] selected step {} (best {} on validation): {}", sel.state.step, exp.train.keep_best.metric,
               sel.dir.string());
  return score_and_report(*task, exp, run_dir, run_dir, sel, device, /*external=*/false, exp.data.store);
}

std::vector<FinetuneOutcome> run_finetune_seeds(const FinetuneExperiment& exp, const fs::path& run_dir,
                                                const std::vector<int64_t>& seeds, const FinetuneRunOptions& options) {
  EFM_CHECK_CONFIG(!seeds.empty(), "--seeds: no seed given");
  std::vector<FinetuneOutcome> out;
  for (int64_t s : seeds) {
    FinetuneExperiment e = exp;
    e.run.seed = s;
    const fs::path dir = run_dir / fmt::format("seed_{}", s);
    fs::create_directories(dir);
    EFM_LOG_INFO("[finetune] seed {} -> {}", s, dir.string());
    out.push_back(run_finetune(e, dir, options));
  }
  write_seed_summary(run_dir, out);
  return out;
}

void write_seed_summary(const fs::path& run_dir, const std::vector<FinetuneOutcome>& runs) {
  EFM_CHECK_ARG(!runs.empty(), "write_seed_summary: no runs");
  std::vector<std::string> names;
  for (const auto& r : runs) {
    for (const auto& [k, v] : r.test.entries()) {
      if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
    }
  }
  std::vector<std::string> header{"metric", "mean", "std", "n"};
  for (const auto& r : runs) header.push_back(r.run_dir.filename().string());
  std::string csv = csv_line(header);
  std::string json = fmt::format("{{\"head\": \"{}\", \"seeds\": {}, \"test\": {{", runs[0].head, runs.size());
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < names.size(); ++i) {
    std::vector<double> v;
    std::vector<std::string> row{names[i], "", "", ""};
    for (const auto& r : runs) {
      const auto x = r.test.find(names[i]);
      row.push_back(x ? format_metric_value(*x) : "");
      if (x && std::isfinite(*x)) v.push_back(*x);
    }
    double mean = std::nan(""), sd = std::nan("");
    if (!v.empty()) {
      mean = 0;
      for (double x : v) mean += x;
      mean /= static_cast<double>(v.size());
      if (v.size() > 1) {
        double ss = 0;
        for (double x : v) ss += (x - mean) * (x - mean);
        sd = std::sqrt(ss / static_cast<double>(v.size() - 1));  // sample standard deviation (n - 1)
      }
    }
    row[1] = format_metric_value(mean);
    row[2] = format_metric_value(sd);
    row[3] = std::to_string(v.size());
    csv += csv_line(row);
    auto j = [](double x) { return std::isfinite(x) ? format_metric_value(x) : std::string("null"); };
    json += fmt::format("{}\"{}\": {{\"mean\": {}, \"std\": {}, \"n\": {}}}", i ? ", " : "", names[i], j(mean), j(sd),
                        v.size());
    rows.push_back({names[i], fmt::format("{} ± {}", fmt_value(mean), fmt_value(sd)), std::to_string(v.size())});
  }
  json += "}}\n";
  atomic_write_file(run_dir / "summary.csv", csv);
  atomic_write_file(run_dir / "summary.json", json);
  HtmlReport rep(fmt::format("{} — {} seeds — {}", runs[0].head, runs.size(), run_dir.filename().string()));
  rep.paragraph(fmt::format(
      "Test metrics at each seed's selected step: mean ± sample standard deviation (n - 1) over {} seeds. The "
      "split is the same for every seed (split.seed); the seeds change initialisation and batch order.",
      runs.size()));
  rep.table({"metric", "mean ± std", "n"}, rows);
  rep.heading("Seeds");
  for (const auto& r : runs) {
    rep.link(r.run_dir.filename().string() + "/report.html",
             fmt::format("{}: selected step {}", r.run_dir.filename().string(), r.selected_step));
  }
  rep.write(run_dir / "report.html");
  EFM_LOG_INFO("[finetune] summary over {} seeds: {}", runs.size(), (run_dir / "summary.csv").string());
}

std::vector<FinetuneOutcome> evaluate_run(const fs::path& run_dir, const EvaluateOptions& options) {
  EFM_CHECK_CONFIG(fs::is_directory(run_dir), "--run: {} is not a directory", run_dir.string());
  std::vector<fs::path> seeds;
  for (const auto& e : fs::directory_iterator(run_dir)) {
    if (e.is_directory() && e.path().filename().string().rfind("seed_", 0) == 0 &&
        fs::exists(e.path() / "config.yaml")) {
      seeds.push_back(e.path());
    }
  }
  std::sort(seeds.begin(), seeds.end());
  EFM_CHECK_CONFIG(!seeds.empty() || fs::exists(run_dir / "config.yaml"),
                   "--run: {} has neither config.yaml nor seed_<s> sub-runs", run_dir.string());
  if (!seeds.empty()) {
    std::vector<FinetuneOutcome> out;
    for (const auto& s : seeds) {
      EvaluateOptions o = options;
      if (!o.out.empty()) o.out = o.out / s.filename();
      auto r = evaluate_run(s, o);
      out.insert(out.end(), r.begin(), r.end());
    }
    if (options.store.empty()) write_seed_summary(run_dir, out);
    return out;
  }
  FinetuneExperiment exp = config::load<FinetuneExperiment>({{(run_dir / "config.yaml").string()}, {}});
  if (!exp.resolved.classes.empty()) exp.finetune.classes = exp.resolved.classes;
  const bool external =
      !options.store.empty() && fs::weakly_canonical(options.store) != fs::weakly_canonical(exp.data.store);
  const std::string store_dir = options.store.empty() ? exp.data.store : options.store;
  models::configure_threads(static_cast<int>(exp.run.threads));
  const torch::Device device = models::select_device(exp.run.device);
  train::apply_cuda_settings(exp.run);
  auto store = std::make_shared<data::StoreWindowSource>(store_dir);
  if (!external && sha256_hex(store->store().config_yaml()) != exp.resolved.store_config_hash) {
    EFM_LOG_WARN("[eval] the store {} has other settings than the one the model was trained on (config hash)",
                 store_dir);
  }
  auto task = make_task(exp, store);
  Split split;
  const auto& recs = store->recordings();
  if (external) {
    const auto strata = task->strata();
    split.by = SplitBy::recording;
    split.part_of.assign(recs.size(), -1);
    for (size_t i = 0; i < recs.size(); ++i) {
      if (strata[i] != -2) split.part_of[i] = static_cast<int>(SplitPart::test);
    }
  } else {
    split = read_splits_csv(run_dir / "splits.csv", recs);
  }
  task->bind(split, exp.model.to_options(), /*for_training=*/false);
  task->model().to(device);
  const fs::path out = !options.out.empty()
                           ? options.out
                           : (external ? run_dir / ("external_" + fs::path(store_dir).filename().string()) : run_dir);
  const train::Checkpoint sel = selected_checkpoint(run_dir, options.checkpoint);
  return {score_and_report(*task, exp, run_dir, out, sel, device, external, store_dir)};
}

}  // namespace efm::eval
