// Forecaster kind (kinds.h): forecast_short, forecast_long, frequency_phase.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/eval/finetune/heads/kinds.h"
#include "epilepsyfm/eval/metrics/forecasting.h"
#include "epilepsyfm/eval/report/plot.h"
#include "eval/finetune/heads/report_util.h"

namespace efm::eval {

// ---- streaming accumulators ------------------------------------------------------------------------------------

void ForecastAccumulator::add(const double* p, const double* t, int64_t n) {
  if (n <= 0) return;
  double mp = 0, mt = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = p[i] - t[i];
    sum_abs_ += std::abs(d);
    sum_sq_ += d * d;
    mp += p[i];
    mt += t[i];
  }
  const double nb = static_cast<double>(n);
  mp /= nb;
  mt /= nb;
  double m2p = 0, m2t = 0, c = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double dp = p[i] - mp, dt = t[i] - mt;
    m2p += dp * dp;
    m2t += dt * dt;
    c += dp * dt;
  }
  // Chan et al. (1979) pairwise merge of means and co-moments.
  const double na = static_cast<double>(n_), tot = na + nb;
  const double delta_p = mp - mean_p_, delta_t = mt - mean_t_;
  mean_p_ += delta_p * nb / tot;
  mean_t_ += delta_t * nb / tot;
  m2_p_ += m2p + delta_p * delta_p * na * nb / tot;
  m2_t_ += m2t + delta_t * delta_t * na * nb / tot;
  c_pt_ += c + delta_p * delta_t * na * nb / tot;
  n_ += n;
}

double ForecastAccumulator::mae() const {
  return n_ > 0 ? sum_abs_ / static_cast<double>(n_) : std::nan("");
}
double ForecastAccumulator::mse() const {
  return n_ > 0 ? sum_sq_ / static_cast<double>(n_) : std::nan("");
}
double ForecastAccumulator::rmse() const {
  return std::sqrt(mse());
}
double ForecastAccumulator::pearson() const {
  if (n_ == 0 || m2_p_ <= 0 || m2_t_ <= 0) return std::nan("");
  return c_pt_ / std::sqrt(m2_p_ * m2_t_);
}

void PhaseAccumulator::add(const double* p, const double* t, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double d = p[i] - t[i];
    sum_abs_ += std::abs(wrap_phase(d));
    sum_cos_ += 1.0 - std::cos(d);
  }
  n_ += std::max<int64_t>(n, 0);
}
double PhaseAccumulator::abs_error() const {
  return n_ > 0 ? sum_abs_ / static_cast<double>(n_) : std::nan("");
}
double PhaseAccumulator::cos_error() const {
  return n_ > 0 ? sum_cos_ / static_cast<double>(n_) : std::nan("");
}

namespace {

std::vector<double> to_vec(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

class ForecasterTask : public FinetuneTask {
 public:
  ForecasterTask(HeadSpec spec, const HeadSetup& setup, ForecasterOptions o)
      : FinetuneTask(std::move(spec), setup), opt_(o) {
    h_ = whole_patches(opt_.history_s, "finetune.history_s");
    f_ = whole_patches(opt_.horizon_s, "finetune.horizon_s");
  }

  std::vector<int64_t> strata() const override { return std::vector<int64_t>(setup_.source->recordings().size(), 0); }

  train::StepResult train_step(const data::Batch& batch, const train::StepContext&) override {
    const Out o = forward(batch);
    return {o.loss, {}, batch.size()};
  }

 protected:
  data::WindowOptions window_options(bool for_eval) const override {
    const auto& d = exp().data;
    data::WindowOptions w;
    w.window_s = opt_.history_s + opt_.horizon_s;
    w.stride_s = for_eval && d.eval_stride_s > 0 ? d.eval_stride_s : d.stride_s;
    w.drop_rejected = d.drop_rejected;
    return w;
  }

  std::shared_ptr<torch::nn::Module> make_head(int64_t d) override {
    const auto& h = exp().finetune;
    const int64_t out = spectra() ? f_ * bins() * 3 : f_ * kP;
    return LinearHead(LinearHeadOptions(2 * d, out).init_scale(h.head_init_scale).dropout(h.dropout)).ptr();
  }

  EvalResult run_evaluation(const EvalData& data, const torch::Device& device, bool report) override {
    const int64_t total = data.index->size();
    std::vector<int64_t> selection;
    const int64_t cap = exp().evaluate.max_windows;
    if (cap > 0 && total > cap) {
      for (int64_t i = 0; i < cap; ++i) selection.push_back(i * total / cap);
    }
    const int64_t n_sel = selection.empty() ? total : static_cast<int64_t>(selection.size());
    const int64_t n_traces = std::min<int64_t>(exp().evaluate.max_traces, n_sel);
    std::vector<int64_t> trace_at;  // positions in the scored sequence that become report traces
    for (int64_t i = 0; i < n_traces; ++i) trace_at.push_back(i * n_sel / std::max<int64_t>(n_traces, 1));

    // model, persistence (last value / last patch) and mean baseline
    ForecastAccumulator acc[4];
    PhaseAccumulator phase[4];
    double loss_sum = 0;
    int64_t seen = 0;
    std::string csv = spectra() ? "recording_id,start_s,amplitude_mae,persistence_amplitude_mae,mean_amplitude_mae\n"
                                : "recording_id,start_s,mae,persistence_mae,persistence_patch_mae,mean_mae\n";
    std::vector<ReportFigure> figures;
    const auto& recs = data.source->recordings();
    for_each_batch(data.source, data.index, selection, device, [&](const data::Batch& b) {
      const Out o = forward(b);
      loss_sum += o.loss.item<double>() * static_cast<double>(b.size());
      const int64_t B = b.size(), C = b.signal.size(1);
      std::vector<double> truth, hist, pred[4];
      int64_t per_window = 0;  // target values per window
      if (!spectra()) {
        truth = to_vec(o.future);
        hist = to_vec(o.history);
        pred[0] = to_vec(o.prediction);
        const ForecastShape hs{B, C, h_ * kP};
        pred[1] = persistence_last_value(hist, hs, f_ * kP);
        pred[2] = persistence_last_patch(hist, hs, f_ * kP, kP);
        pred[3] = mean_baseline(hist, hs, f_ * kP);
        per_window = C * f_ * kP;
        for (int m = 0; m < 4; ++m) acc[m].add(pred[m].data(), truth.data(), static_cast<int64_t>(truth.size()));
      } else {
        const Spectra past = spectra_of(o.history, h_);
        const auto t_amp = to_vec(o.target_amp), t_ph = to_vec(o.target_phase);
        const auto h_amp = to_vec(past.amp), h_ph = to_vec(past.phase);
        const int64_t nb = bins();
        const ForecastShape hs{B, C, h_ * nb};
        const std::vector<double> amp[3] = {to_vec(o.pred_amp), persistence_last_patch(h_amp, hs, f_ * nb, nb),
                                            mean_patch_baseline(h_amp, hs, f_ * nb, nb, false)};
        const std::vector<double> ph[3] = {to_vec(o.pred_phase), persistence_last_patch(h_ph, hs, f_ * nb, nb),
                                           mean_patch_baseline(h_ph, hs, f_ * nb, nb, true)};
        for (int m = 0; m < 3; ++m) {
          acc[m].add(amp[m].data(), t_amp.data(), static_cast<int64_t>(t_amp.size()));
          phase[m].add(ph[m].data(), t_ph.data(), static_cast<int64_t>(t_ph.size()));
          pred[m] = amp[m];
        }
        truth = t_amp;
        per_window = C * f_ * nb;
      }
      for (int64_t i = 0; i < B; ++i, ++seen) {
        const auto& info = recs[static_cast<size_t>(b.recordings[static_cast<size_t>(i)])];
        std::vector<std::string> row{info.id,
                                     format_metric_value(static_cast<double>(b.start_samples[i]) / info.sfreq_hz)};
        const int n_models = spectra() ? 3 : 4;
        for (int m = 0; m < n_models; ++m) {
          double e = 0;
          for (int64_t j = i * per_window; j < (i + 1) * per_window; ++j) {
            e += std::abs(pred[m][static_cast<size_t>(j)] - truth[static_cast<size_t>(j)]);
          }
          row.push_back(format_metric_value(e / static_cast<double>(per_window)));
        }
        csv += csv_line(row);
        if (report && std::find(trace_at.begin(), trace_at.end(), seen) != trace_at.end()) {
          figures.push_back(trace_figure(o, b, i, info, pred, truth));
        }
      }
    });
    EvalResult r;
    r.split = data.split;
    r.n_windows = seen;
    r.n_units = static_cast<int64_t>(recs.size());
    r.metrics.set("loss", seen > 0 ? loss_sum / static_cast<double>(seen) : std::nan(""));
    r.metrics.set("n_windows", static_cast<double>(seen));
    if (!spectra()) {
      const char* names[4] = {"", "persistence_", "persistence_patch_", "mean_"};
      for (int m = 0; m < 4; ++m) {
        r.metrics.set(std::string(names[m]) + "mae", acc[m].mae());
        r.metrics.set(std::string(names[m]) + "mse", acc[m].mse());
        r.metrics.set(std::string(names[m]) + "rmse", acc[m].rmse());
        r.metrics.set(std::string(names[m]) + "pearson", acc[m].pearson());
      }
      r.metrics.set("skill_vs_persistence", 1.0 - acc[0].mae() / acc[1].mae());
      r.metrics.set("skill_vs_persistence_patch", 1.0 - acc[0].mae() / acc[2].mae());
      r.metrics.set("skill_vs_mean", 1.0 - acc[0].mae() / acc[3].mae());
    } else {
      const char* names[3] = {"", "persistence_", "mean_"};
      for (int m = 0; m < 3; ++m) {
        r.metrics.set(std::string(names[m]) + "amplitude_mae", acc[m].mae());
        r.metrics.set(std::string(names[m]) + "phase_error_abs_rad", phase[m].abs_error());
        r.metrics.set(std::string(names[m]) + "phase_error_cos", phase[m].cos_error());
      }
      r.metrics.set("skill_vs_persistence", 1.0 - acc[0].mae() / acc[1].mae());
      r.metrics.set("skill_vs_mean", 1.0 - acc[0].mae() / acc[2].mae());
    }
    if (!report) return r;
    ReportTable t;
    t.title = fmt::format("Model vs baselines ({}, {} windows, {} s history -> {} s horizon)", r.split, seen,
                          opt_.history_s, opt_.horizon_s);
    auto f3 = [](double v) { return std::isfinite(v) ? fmt::format("{:.4f}", v) : std::string("nan"); };
    if (!spectra()) {
      t.header = {"forecast", "MAE", "MSE", "RMSE", "Pearson r"};
      const char* labels[4] = {"model", "persistence (last value)", "persistence (last 1-s patch repeated)",
                               "mean of the history"};
      for (int m = 0; m < 4; ++m) {
        t.rows.push_back({labels[m], f3(acc[m].mae()), f3(acc[m].mse()), f3(acc[m].rmse()), f3(acc[m].pearson())});
      }
    } else {
      t.header = {"forecast", "amplitude MAE", "phase |error| (rad)", "phase 1 - cos"};
      const char* labels[3] = {"model", "persistence (last patch's spectra)", "mean of the history's spectra"};
      for (int m = 0; m < 3; ++m) {
        t.rows.push_back({labels[m], f3(acc[m].mae()), f3(phase[m].abs_error()), f3(phase[m].cos_error())});
      }
    }
    r.tables.push_back(std::move(t));
    r.figures = std::move(figures);
    r.predictions_csv = std::move(csv);
    return r;
  }

 private:
  static constexpr int64_t kP = models::kPatchSamples;

  struct Spectra {
    torch::Tensor amp, phase;  // [B, C, patches, bins]
  };
  struct Out {
    torch::Tensor loss;
    torch::Tensor history, future;                                 // [B, C, H*P], [B, C, F*P]
    torch::Tensor prediction;                                      // signal: [B, C, F*P]
    torch::Tensor target_amp, target_phase, pred_amp, pred_phase;  // spectra: [B, C, F, bins]
  };

  bool spectra() const { return opt_.target == ForecasterOptions::Target::spectra; }
  static int64_t bins() { return kP / 2 + 1; }

  int64_t whole_patches(double seconds, const char* key) const {
    const double p = seconds;  // 1-s patches
    EFM_CHECK_CONFIG(p >= 1 && std::abs(p - std::round(p)) < 1e-9, "{}: {} s is not a whole number of 1-s patches", key,
                     seconds);
    return static_cast<int64_t>(std::llround(p));
  }

  /// rFFT of each 1-s patch, amplitude |X_k| / P and phase angle(X_k).
  static Spectra spectra_of(const torch::Tensor& x, int64_t patches) {
    const auto sizes = x.sizes();
    auto X = torch::fft::rfft(x.reshape({sizes[0], sizes[1], patches, kP}), kP, -1) / static_cast<double>(kP);
    return {X.abs(), torch::angle(X)};
  }

  Out forward(const data::Batch& b) {
    Out o;
    const int64_t B = b.signal.size(0), C = b.signal.size(1);
    EFM_CHECK_DATA(b.signal.size(2) == (h_ + f_) * kP, "forecast window has {} samples, expected {}", b.signal.size(2),
                   (h_ + f_) * kP);
    o.history = b.signal.narrow(2, 0, h_ * kP).contiguous();
    o.future = b.signal.narrow(2, h_ * kP, f_ * kP).contiguous();
    models::EegInput in = input_of(b);
    in.signal = o.history;
    auto tokens = backbone_forward(in).tokens.slice(1, 1);  // [B, C*H, d]
    const int64_t d = tokens.size(-1);
    tokens = tokens.reshape({B, C, h_, d});
    auto feat = torch::cat({tokens.mean(2), tokens.select(2, h_ - 1)}, -1);  // [B, C, 2d]
    auto out = net()->head_as<LinearHeadImpl>()->forward(feat);
    if (!spectra()) {
      o.prediction = out;
      o.loss = torch::mse_loss(out, o.future);
      return o;
    }
    const Spectra t = spectra_of(o.future, f_);
    o.target_amp = t.amp;
    o.target_phase = t.phase;
    auto pr = out.reshape({B, C, f_, bins(), 3});
    o.pred_amp = pr.select(-1, 0);
    auto vx = pr.select(-1, 1), vy = pr.select(-1, 2);
    o.pred_phase = torch::atan2(vy, vx);
    const auto cos_err =
        (vx * torch::cos(t.phase) + vy * torch::sin(t.phase)) / (torch::sqrt(vx * vx + vy * vy) + 1e-6);
    o.loss = torch::mse_loss(o.pred_amp, t.amp) + (1.0 - cos_err).mean();
    return o;
  }

  ReportFigure trace_figure(const Out& o, const data::Batch& b, int64_t i, const data::RecordingInfo& info,
                            const std::vector<double>* pred, const std::vector<double>& truth) const {
    ReportFigure f;
    f.row_start = true;
    const std::string& rec = info.id;
    const double t0 = static_cast<double>(b.start_samples[static_cast<size_t>(i)]) / info.sfreq_hz + opt_.history_s;
    if (!spectra()) {
      const int64_t C = b.signal.size(1), n = f_ * kP;
      const int64_t show_hist = std::min<int64_t>(h_ * kP, std::max<int64_t>(n, 2 * kP));
      const auto hist = o.history[i][0].to(torch::kFloat64).contiguous();
      Series h{"history", {}, {}, "#555555", false, false};
      for (int64_t j = h_ * kP - show_hist; j < h_ * kP; ++j) {
        h.x.push_back(static_cast<double>(j - h_ * kP) / static_cast<double>(kP));
        h.y.push_back(hist[j].item<double>());
      }
      const char* names[5] = {"truth", "model", "persistence", "persistence (patch)", "mean"};
      const char* colors[5] = {"#000000", "#d62728", "#1f77b4", "#9467bd", "#2ca02c"};
      std::vector<Series> series{h};
      for (int m = -1; m < 4; ++m) {
        Series s{names[m + 1], {}, {}, colors[m + 1], m >= 1, false};
        const std::vector<double>& v = m < 0 ? truth : pred[m];
        for (int64_t j = 0; j < n; ++j) {
          s.x.push_back(static_cast<double>(j) / static_cast<double>(kP));
          s.y.push_back(v[static_cast<size_t>(i * C * n + j)]);  // channel 0
        }
        series.push_back(std::move(s));
      }
      f.svg = line_plot_svg(
          series, PlotOptions()
                      .title(fmt::format("Forecast: {} channel {} at {:.0f} s", rec, info.channel_names[0], t0))
                      .x_label("seconds from the forecast start")
                      .y_label("normalised signal")
                      .size(1100, 260));
      f.caption = fmt::format("{}: the last {:.0f} s of history, then {} s of truth vs forecasts ({})", rec,
                              static_cast<double>(show_hist) / kP, opt_.horizon_s, info.channel_names[0]);
    } else {
      const int64_t C = b.signal.size(1), nb = bins(), n = f_ * nb;
      const char* names[4] = {"truth", "model", "persistence", "mean"};
      const char* colors[4] = {"#000000", "#d62728", "#1f77b4", "#2ca02c"};
      std::vector<Series> series;
      for (int m = -1; m < 3; ++m) {
        Series s{names[m + 1], {}, {}, colors[m + 1], m >= 1, false};
        const std::vector<double>& v = m < 0 ? truth : pred[m];
        for (int64_t k = 0; k < nb; ++k) {  // first future patch of channel 0
          s.x.push_back(static_cast<double>(k));
          s.y.push_back(v[static_cast<size_t>(i * C * n + k)]);
        }
        series.push_back(std::move(s));
      }
      f.svg = line_plot_svg(
          series, PlotOptions()
                      .title(fmt::format("Amplitude spectrum of the first future second: {} at {:.0f} s", rec, t0))
                      .x_label("frequency (Hz)")
                      .y_label("|X(f)| / P")
                      .size(1100, 260));
      f.caption = fmt::format("{}: channel {}, first 1-s patch of the {} s horizon", rec, info.channel_names[0],
                              opt_.horizon_s);
    }
    return f;
  }

  ForecasterOptions opt_;
  int64_t h_ = 0, f_ = 0;  // history / horizon patches
};

}  // namespace

std::unique_ptr<FinetuneTask> make_forecaster(HeadSpec spec, const HeadSetup& setup, ForecasterOptions options) {
  return std::make_unique<ForecasterTask>(std::move(spec), setup, options);
}

}  // namespace efm::eval
