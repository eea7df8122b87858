// Recording (patient-level) classifier kind (kinds.h): asm_efficacy, rftc_outcome.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/eval/finetune/heads/kinds.h"
#include "epilepsyfm/eval/metrics/classification.h"
#include "eval/finetune/heads/classifier_task.h"
#include "eval/finetune/heads/report_util.h"

namespace efm::eval {
namespace {

namespace F = torch::nn::functional;

/// Pools a bag of window embeddings [N, d] (mean or gated attention) and classifies it.
class RecordingHeadImpl : public torch::nn::Module {
 public:
  RecordingHeadImpl(int64_t d, int64_t out, bool attention, double init_scale, double dropout) {
    if (attention) pool = register_module("pool", AttentionPool(d, std::max<int64_t>(d / 2, 8)));
    fc = register_module("fc", LinearHead(LinearHeadOptions(d, out).init_scale(init_scale).dropout(dropout)));
  }
  /// [N, d] -> [out]
  torch::Tensor forward(const torch::Tensor& bag) {
    const auto z = pool ? pool->forward(bag).first : bag.mean(0);
    return fc->forward(z);
  }
  AttentionPool pool{nullptr};
  LinearHead fc{nullptr};
};
TORCH_MODULE(RecordingHead);

class RecordingClassifierTask : public ClassifierTask {
 public:
  RecordingClassifierTask(HeadSpec spec, const HeadSetup& setup, RecordingClassifierOptions o)
      : ClassifierTask(std::move(spec), setup), opt_(std::move(o)) {
    const auto& h = exp().finetune;
    EFM_CHECK_CONFIG(opt_.classes.size() >= 2, "head '{}': needs at least 2 classes (finetune.classes), got [{}]",
                     spec_.name, join(opt_.classes));
    binary_ = opt_.classes.size() == 2;
    EFM_CHECK_CONFIG(!h.labels_csv.empty(),
                     "finetune.labels_csv: head '{}' reads its labels from a CSV `{},{}` (one row per {}); see "
                     "configs/finetune/labels/",
                     spec_.name, h.level, h.label_column, h.level);
    const CsvTable t = read_csv(h.labels_csv);
    std::optional<size_t> key_col = t.find_column(std::string(enum_name(h.level)));
    if (!key_col && h.level == LabelLevel::recording) key_col = t.find_column("recording_id");
    EFM_CHECK_CONFIG(key_col.has_value(), "{}: no column '{}' (finetune.level: {}); columns are {}", h.labels_csv,
                     h.level, h.level, join(t.header));
    const size_t label_col = t.column(h.label_column);
    for (size_t i = 0; i < t.rows.size(); ++i) {
      const std::string& key = t.rows[i][*key_col];
      const std::string& value = t.rows[i][label_col];
      if (key.empty()) continue;
      const auto it = std::find(opt_.classes.begin(), opt_.classes.end(), value);
      EFM_CHECK_CONFIG(it != opt_.classes.end(),
                       "{}: line {}: label '{}' of '{}' is not one of the classes [{}] (set finetune.classes)",
                       h.labels_csv, i + 2, value, key, join(opt_.classes));
      const auto c = static_cast<int64_t>(it - opt_.classes.begin());
      const auto [pos, inserted] = class_of_unit_.emplace(key, c);
      EFM_CHECK_CONFIG(inserted || pos->second == c, "{}: line {}: '{}' is labelled twice with different labels",
                       h.labels_csv, i + 2, key);
    }
    std::set<std::string> in_store;
    int64_t unlabelled = 0;
    for (const auto& r : setup_.source->recordings()) {
      const std::string key = key_of(r);
      in_store.insert(key);
      if (!class_of_unit_.count(key)) ++unlabelled;
    }
    std::vector<std::string> absent;
    for (const auto& [k, c] : class_of_unit_) {
      if (!in_store.count(k)) absent.push_back(k);
    }
    if (!absent.empty()) {
      EFM_LOG_WARN("[finetune] {}: {} labelled {}(s) have no recording in the store: {}{}", h.labels_csv, absent.size(),
                   h.level,
                   join(std::vector<std::string>(absent.begin(), absent.begin() + std::min<size_t>(absent.size(), 8))),
                   absent.size() > 8 ? ", ..." : "");
    }
    if (unlabelled > 0) {
      EFM_LOG_INFO("[finetune] {} recording(s) whose {} has no row in {} are not used", unlabelled, h.level,
                   h.labels_csv);
    }
  }

  std::vector<int64_t> strata() const override {
    std::vector<int64_t> out;
    for (const auto& r : setup_.source->recordings()) {
      const auto it = class_of_unit_.find(key_of(r));
      out.push_back(it == class_of_unit_.end() ? -2 : it->second);
    }
    return out;
  }

  std::vector<std::string> class_names() const override { return opt_.classes; }

  train::StepResult train_step(const data::Batch& batch, const train::StepContext&) override {
    const auto emb = backbone_forward(input_of(batch)).pooled;  // [B, d]
    // Group the micro-batch's windows by unit (order of first appearance).
    std::vector<std::string> units;
    std::map<std::string, std::vector<int64_t>> rows;
    const auto& recs = train_source()->recordings();
    for (int64_t i = 0; i < batch.size(); ++i) {
      const std::string key = key_of(recs[static_cast<size_t>(batch.recordings[static_cast<size_t>(i)])]);
      if (!rows.count(key)) units.push_back(key);
      rows[key].push_back(i);
    }
    std::vector<torch::Tensor> logits;
    std::vector<int64_t> target;
    for (const auto& u : units) {
      auto idx = torch::tensor(rows[u], torch::kInt64).to(emb.device());
      logits.push_back(head()->forward(emb.index_select(0, idx)));
      target.push_back(class_of_unit_.at(u));
    }
    const auto z = torch::stack(logits);  // [U, out]
    const auto y = torch::tensor(target, torch::kInt64).to(z.device());
    return {loss_of(z, y, /*training=*/true), {{"units", static_cast<double>(units.size())}}, batch.size()};
  }

 protected:
  data::WindowOptions window_options(bool for_eval) const override {
    const auto& d = exp().data;
    data::WindowOptions w;
    w.window_s = d.window_s;
    w.stride_s = for_eval && d.eval_stride_s > 0 ? d.eval_stride_s : d.stride_s;
    w.drop_rejected = d.drop_rejected;
    return w;
  }

  std::shared_ptr<torch::nn::Module> make_head(int64_t d) override {
    const auto& h = exp().finetune;
    return RecordingHead(d, binary_ ? 1 : static_cast<int64_t>(opt_.classes.size()),
                         h.pooling == WindowPooling::attention, h.head_init_scale, h.dropout)
        .ptr();
  }

  void after_bind() override {
    const auto k = opt_.classes.size();
    std::vector<int64_t> counts(k, 0);
    std::set<std::string> seen;
    for (const auto& r : train_source()->recordings()) {
      const std::string key = key_of(r);
      if (seen.insert(key).second) counts[static_cast<size_t>(class_of_unit_.at(key))] += 1;
    }
    std::string text;
    for (size_t c = 0; c < k; ++c) text += fmt::format("{}{} {}", c ? ", " : "", opt_.classes[c], counts[c]);
    EFM_LOG_INFO("[finetune] training {}s per class: {}", exp().finetune.level, text);
    if (exp().finetune.class_weighting != ClassWeighting::balanced) return;
    set_balanced_weights(counts, static_cast<double>(seen.size()));
  }

  EvalResult run_evaluation(const EvalData& data, const torch::Device& device, bool report) override {
    const auto& recs = data.source->recordings();
    // Windows of each unit, in index order.
    std::map<std::string, std::vector<int64_t>> windows_of;
    for (int64_t w = 0; w < data.index->size(); ++w) {
      const auto& ref = data.index->windows()[static_cast<size_t>(w)];
      windows_of[key_of(recs[static_cast<size_t>(ref.recording)])].push_back(w);
    }
    const int64_t cap = exp().finetune.max_eval_windows;
    std::vector<int64_t> selection;
    std::vector<std::pair<std::string, int64_t>> bag;  // unit, number of windows, in selection order
    for (const auto& [unit, ws] : windows_of) {
      const auto n = static_cast<int64_t>(ws.size());
      const int64_t take = cap > 0 ? std::min(cap, n) : n;
      for (int64_t i = 0; i < take; ++i) selection.push_back(ws[static_cast<size_t>(i * n / take)]);
      bag.emplace_back(unit, take);
    }
    std::vector<torch::Tensor> embeddings;
    if (!selection.empty()) {
      for_each_batch(data.source, data.index, selection, device,
                     [&](const data::Batch& b) { embeddings.push_back(backbone_forward(input_of(b)).pooled); });
    }
    EvalResult r;
    r.split = data.split;
    r.n_windows = static_cast<int64_t>(selection.size());
    r.n_units = static_cast<int64_t>(bag.size());
    if (bag.empty()) {
      r.metrics.set("loss", std::nan(""));
      r.metrics.set("n_units", 0);
      EFM_LOG_WARN("[eval] {}: no {} to score", spec_.name, exp().finetune.level);
      return r;
    }
    const auto all = torch::cat(embeddings, 0);
    std::vector<torch::Tensor> logits;
    std::vector<int64_t> y_all;
    int64_t at = 0;
    for (const auto& [unit, n] : bag) {
      logits.push_back(head()->forward(all.narrow(0, at, n)));
      at += n;
      y_all.push_back(class_of_unit_.at(unit));
    }
    const auto z = torch::stack(logits).to(torch::kFloat64).cpu();
    const auto yt = torch::tensor(y_all, torch::kInt64);
    const auto p = (binary_ ? torch::sigmoid(z.squeeze(-1)) : torch::softmax(z, -1)).contiguous();
    Labels y(y_all.begin(), y_all.end());
    Scores s(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
    r.metrics.set("loss", loss_of(z, yt, /*training=*/false).item<double>());
    r.metrics.set("n_units", static_cast<double>(y.size()));
    const auto k = static_cast<int64_t>(opt_.classes.size());
    add_classification_metrics(r.metrics, y, s, k, /*rates_at_val_threshold=*/false);
    if (!report) return r;
    add_classification_report(r, y, s, opt_.classes, exp().evaluate.threshold);
    ReportTable t;
    t.title = fmt::format("Per-{} predictions ({})", exp().finetune.level, r.split);
    t.header = {std::string(enum_name(exp().finetune.level)), "label", "windows"};
    std::string csv = fmt::format("{},label,windows", exp().finetune.level);
    for (const auto& c : opt_.classes) {
      t.header.push_back("P(" + c + ")");
      csv += ",p_" + c;
    }
    csv += "\n";
    for (size_t u = 0; u < bag.size(); ++u) {
      std::vector<std::string> row{bag[u].first, opt_.classes[static_cast<size_t>(y[u])],
                                   std::to_string(bag[u].second)};
      std::vector<double> probs;
      if (binary_) {
        probs = {1.0 - s[u], s[u]};
      } else {
        probs.assign(s.begin() + static_cast<std::ptrdiff_t>(u * static_cast<size_t>(k)),
                     s.begin() + static_cast<std::ptrdiff_t>((u + 1) * static_cast<size_t>(k)));
      }
      for (double v : probs) row.push_back(format_metric_value(v));
      csv += csv_line(row);
      for (size_t j = 3; j < row.size(); ++j) row[j] = fmt::format("{:.3f}", probs[j - 3]);
      t.rows.push_back(std::move(row));
    }
    r.tables.push_back(std::move(t));
    r.predictions_csv = std::move(csv);
    return r;
  }

 private:
  std::string key_of(const data::RecordingInfo& r) const {
    return exp().finetune.level == LabelLevel::subject ? r.subject : r.id;
  }
  RecordingHeadImpl* head() const { return net()->head_as<RecordingHeadImpl>(); }

  torch::Tensor loss_of(const torch::Tensor& z, const torch::Tensor& y, bool training) const {
    if (binary_) {
      auto o = F::BinaryCrossEntropyWithLogitsFuncOptions();
      if (training && pos_weight_.defined()) o.pos_weight(pos_weight_.to(z.device(), z.scalar_type()));
      return F::binary_cross_entropy_with_logits(z.squeeze(-1), y.to(z.scalar_type()), o);
    }
    auto o = F::CrossEntropyFuncOptions();
    if (training) {
      o.label_smoothing(exp().finetune.label_smoothing);
      if (class_weight_.defined()) o.weight(class_weight_.to(z.device(), z.scalar_type()));
    }
    return F::cross_entropy(z, y, o);
  }

  RecordingClassifierOptions opt_;
  std::map<std::string, int64_t> class_of_unit_;
};

}  // namespace

std::unique_ptr<FinetuneTask> make_recording_classifier(HeadSpec spec, const HeadSetup& setup,
                                                        RecordingClassifierOptions options) {
  return std::make_unique<RecordingClassifierTask>(std::move(spec), setup, std::move(options));
}

}  // namespace efm::eval
