#include "epilepsyfm/eval/report/pipeline_report.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <map>
#include <optional>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/eval/report/html_report.h"
#include "epilepsyfm/eval/report/plot.h"

namespace efm::eval {
namespace fs = std::filesystem;

namespace {

// metrics.csv of the trainer: step,split,metric,value. Series per "split/metric", in step order.
using Curves = std::map<std::string, std::pair<std::vector<double>, std::vector<double>>>;

Curves read_curves(const fs::path& csv) {
  const CsvTable t = read_csv(csv);
  const size_t step = t.column("step"), split = t.column("split"), metric = t.column("metric"),
               value = t.column("value");
  Curves out;
  for (const auto& row : t.rows) {
    auto& [x, y] = out[row.at(split) + "/" + row.at(metric)];
    x.push_back(std::stod(row.at(step)));
    y.push_back(row.at(value) == "nan" ? std::nan("") : std::stod(row.at(value)));
  }
  return out;
}

std::string number(double v) {
  if (!std::isfinite(v)) return "n/a";
  return std::fabs(v) >= 1e4 || (v != 0 && std::fabs(v) < 1e-3) ? fmt::format("{:.3e}", v) : fmt::format("{:.4g}", v);
}

std::string relative_link(const fs::path& target, const fs::path& from_dir) {
  return fs::relative(fs::absolute(target), fs::absolute(from_dir)).generic_string();
}

// First and last logged value of each listed training metric, and the loss curve.
void add_training_run(HtmlReport& rep, const fs::path& dir, const std::vector<std::string>& keys,
                      const std::string& what) {
  const Curves c = read_curves(dir / "metrics.csv");
  std::vector<std::vector<std::string>> rows;
  for (const auto& k : keys) {
    const auto it = c.find("train/" + k);
    if (it == c.end() || it->second.first.empty()) continue;
    const auto& [x, y] = it->second;
    rows.push_back({k, fmt::format("{} (step {})", number(y.front()), x.front()),
                    fmt::format("{} (step {})", number(y.back()), x.back())});
  }
  rep.paragraph(fmt::format("{}: {}", what, dir.string()));
  rep.table({"metric", "first logged", "last logged"}, rows);
  if (const auto it = c.find("train/loss"); it != c.end()) {
    PlotOptions po;
    po.title("training loss").x_label("step").y_label("loss").size(560, 240);
    rep.figure(line_plot_svg({Series{"loss", it->second.first, it->second.second}}, po));
  }
}

void add_finetune_run(HtmlReport& rep, const fs::path& dir, const fs::path& out_dir) {
  const YAML::Node j = YAML::LoadFile((dir / "metrics.json").string());
  const std::string head = j["head"].as<std::string>();
  rep.heading(head, 3);
  std::vector<std::pair<std::string, std::string>> defs{{"run", dir.string()},
                                                        {"store", j["store"].as<std::string>("")},
                                                        {"selected step", j["selected_step"].as<std::string>("")}};
  if (fs::exists(dir / "config.yaml")) {
    const YAML::Node cfg = YAML::LoadFile((dir / "config.yaml").string());
    const std::string init =
        cfg["init"] && cfg["init"]["checkpoint"] ? cfg["init"]["checkpoint"].as<std::string>("") : std::string();
    defs.push_back({"initialisation", init.empty() ? "from scratch" : init});
    if (cfg["finetune"] && cfg["finetune"]["mode"]) defs.push_back({"mode", cfg["finetune"]["mode"].as<std::string>()});
  }
  rep.definitions(defs);
  std::vector<std::vector<std::string>> rows;
  for (const auto& kv : j["test"]) {
    const YAML::Node v = kv.second;
    rows.push_back({kv.first.as<std::string>(), v.IsNull() ? "n/a" : number(v.as<double>())});
  }
  rep.table({"test metric (selected step)", "value"}, rows);
  if (fs::exists(dir / "report.html")) rep.link(relative_link(dir / "report.html", out_dir), head + ": full report");
}

void add_seed_summary(HtmlReport& rep, const fs::path& dir, const fs::path& out_dir) {
  const YAML::Node j = YAML::LoadFile((dir / "summary.json").string());
  const std::string head = j["head"].as<std::string>();
  rep.heading(fmt::format("{} ({} seeds)", head, j["seeds"].as<int>()), 3);
  rep.paragraph("run: " + dir.string());
  std::vector<std::vector<std::string>> rows;
  for (const auto& kv : j["test"]) {
    const YAML::Node m = kv.second["mean"], s = kv.second["std"];
    rows.push_back({kv.first.as<std::string>(),
                    fmt::format("{} ± {}", m.IsNull() ? "n/a" : number(m.as<double>()),
                                s.IsNull() ? "n/a" : number(s.as<double>())),
                    kv.second["n"].as<std::string>()});
  }
  rep.table({"test metric", "mean ± std", "n"}, rows);
  if (fs::exists(dir / "report.html")) rep.link(relative_link(dir / "report.html", out_dir), head + ": full report");
}

// The headline test metrics of each fine-tuning run in one table (those of the list that the head reports).
void add_overview(HtmlReport& rep, const std::vector<std::pair<fs::path, RunKind>>& kinds) {
  static const char* const kHeadline[] = {
      "auroc", "balanced_accuracy",    "event_f1",      "cohen_kappa",        "f1_macro",
      "mae",   "skill_vs_persistence", "amplitude_mae", "phase_error_abs_rad"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& [dir, kind] : kinds) {
    if (kind != RunKind::finetune && kind != RunKind::finetune_seeds) continue;
    const bool seeds = kind == RunKind::finetune_seeds;
    const YAML::Node j = YAML::LoadFile((dir / (seeds ? "summary.json" : "metrics.json")).string());
    std::string text;
    for (const char* k : kHeadline) {
      const YAML::Node entry = j["test"][k];
      if (!entry) continue;
      const YAML::Node v = seeds ? entry["mean"] : entry;
      if (!v) continue;
      text += fmt::format("{}{} {}", text.empty() ? "" : ", ", k, v.IsNull() ? "n/a" : number(v.as<double>()));
    }
    rows.push_back({j["head"].as<std::string>(), text + (seeds ? " (mean over seeds)" : "")});
  }
  if (rows.empty()) return;
  rep.heading("Overview");
  rep.table({"task", "test metrics at the selected step"}, rows);
}

}  // namespace

RunKind detect_run_kind(const fs::path& dir) {
  EFM_CHECK_DATA(fs::is_directory(dir), "report: {} is not a run directory", dir.string());
  if (fs::exists(dir / "summary.json")) return RunKind::finetune_seeds;
  if (fs::exists(dir / "metrics.json")) return RunKind::finetune;
  if (fs::exists(dir / "tokenizer.pt")) return RunKind::tokenizer;
  if (fs::exists(dir / "pretrained.pt")) return RunKind::pretrain;
  throw DataError(fmt::format(
      "report: {} holds none of summary.json, metrics.json (finetune), tokenizer.pt (tokenizer), pretrained.pt "
      "(pretrain); is the run finished?",
      dir.string()));
}

size_t write_pipeline_report(const std::vector<fs::path>& runs, const fs::path& out, const std::string& title) {
  EFM_CHECK_ARG(!runs.empty(), "report: no run directories given");
  const fs::path out_dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  HtmlReport rep(title);
  std::vector<std::pair<fs::path, RunKind>> kinds;
  for (const auto& r : runs) kinds.push_back({r, detect_run_kind(r)});
  try {
    add_overview(rep, kinds);
  } catch (const YAML::Exception& e) {
    throw DataError(fmt::format("report: cannot read a run's metrics.json/summary.json: {}", e.what()));
  }
  bool learning = false, tasks = false;
  for (const auto& [dir, kind] : kinds) {
    try {
      if (kind == RunKind::tokenizer || kind == RunKind::pretrain) {
        if (!learning) rep.heading("Self-supervised stages");
        learning = true;
        if (kind == RunKind::tokenizer) {
          rep.heading("VQ neural tokenizer", 3);
          add_training_run(rep, dir, {"loss", "amplitude_loss", "phase_loss", "codebook_usage", "codebook_perplexity"},
                           "tokenizer run");
        } else {
          rep.heading("Masked EEG pretraining", 3);
          add_training_run(rep, dir, {"loss", "accuracy", "accuracy_symmetric", "label_majority_frac", "mask_ratio"},
                           "pretraining run");
        }
        continue;
      }
      if (!tasks) rep.heading("Downstream tasks");
      tasks = true;
      if (kind == RunKind::finetune) {
        add_finetune_run(rep, dir, out_dir);
      } else {
        add_seed_summary(rep, dir, out_dir);
      }
    } catch (const YAML::Exception& e) {
      throw DataError(fmt::format("report: cannot read the results of {}: {}", dir.string(), e.what()));
    }
  }
  rep.write(out);
  return kinds.size();
}

}  // namespace efm::eval
