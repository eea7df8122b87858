#include "epilepsyfm/eval/report/plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>

namespace efm::eval {
namespace {

// Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008, "Color Universal Design").
constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000", "#F0E442"};

struct Frame {
  double left = 58, right = 12, top = 28, bottom = 42;
  double w = 0, h = 0;
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  double px(double x) const { return left + (x - x0) / (x1 - x0) * (w - left - right); }
  double py(double y) const { return h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom); }
};

// Clip-path ids must be unique across all SVGs inlined into one HTML page.
int next_clip_id() {
  static std::atomic<int> id{0};
  return id++;
}

void expand_if_flat(double& lo, double& hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    lo = 0;
    hi = 1;
  } else if (hi - lo < 1e-12 * std::max(1.0, std::abs(hi))) {
    const double pad = std::max(1e-3, std::abs(hi) * 0.05);
    lo -= pad;
    hi += pad;
  }
}

std::string header(const PlotOptions& o) {
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"11\" role=\"img\">",
      o.width_, o.height_);
  if (!o.title_.empty()) s += fmt::format("<title>{}</title>", html_escape(o.title_));
  s += fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>", o.width_, o.height_);
  if (!o.title_.empty()) {
    s += fmt::format("<text x=\"{}\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{}</text>",
                     o.width_ / 2, html_escape(o.title_));
  }
  return s;
}

std::string axes(const Frame& f, const PlotOptions& o) {
  std::string s;
  const double xl = f.left, xr = f.w - f.right, yt = f.top, yb = f.h - f.bottom;
  for (double t : nice_ticks(f.x0, f.x1)) {
    const double x = f.px(t);
    s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#e5e5e5\"/>", x, yt,
                     yb);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", x, yb + 14, format_number(t));
  }
  for (double t : nice_ticks(f.y0, f.y1)) {
    const double y = f.py(t);
    s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#e5e5e5\"/>", xl, y,
                     xr);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", xl - 4, y + 4, format_number(t));
  }
  s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#555\"/>",
                   xl, yt, xr - xl, yb - yt);
  if (!o.x_label_.empty()) {
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", (xl + xr) / 2, f.h - 6,
                     html_escape(o.x_label_));
  }
  if (!o.y_label_.empty()) {
    s += fmt::format("<text transform=\"translate(12,{:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
                     (yt + yb) / 2, html_escape(o.y_label_));
  }
  return s;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_number(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  if (v == 0) return "0";
  const double a = std::abs(v);
  if (a >= 1e-3 && a < 1e6) {
    std::string s = fmt::format("{:.4f}", v);
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
    return s;
  }
  return fmt::format("{:.3g}", v);
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi) || target < 1) return {};
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  std::vector<double> ticks;
  const auto k0 = static_cast<int64_t>(std::ceil(lo / step - 1e-9));
  for (int64_t k = k0; static_cast<double>(k) * step <= hi + step * 1e-9 && ticks.size() <= 100; ++k) {
    // Round to 12 significant digits so 3 x 0.2 is the tick 0.6, not 0.6000000000000001.
    ticks.push_back(k == 0 ? 0.0 : std::stod(fmt::format("{:.12g}", static_cast<double>(k) * step)));
  }
  return ticks;
}

void decimate_minmax(std::vector<double>& x, std::vector<double>& y, int max_points) {
  const size_t n = x.size();
  if (max_points < 8 || n <= static_cast<size_t>(max_points)) return;
  const size_t buckets = static_cast<size_t>(max_points) / 4;
  std::vector<double> ox, oy;
  ox.reserve(buckets * 4);
  oy.reserve(buckets * 4);
  for (size_t b = 0; b < buckets; ++b) {
    const size_t i0 = b * n / buckets, i1 = (b + 1) * n / buckets;
    if (i0 >= i1) continue;
    size_t imin = i0, imax = i0;
    for (size_t i = i0; i < i1; ++i) {
      if (y[i] < y[imin]) imin = i;
      if (y[i] > y[imax]) imax = i;
    }
    std::vector<size_t> keep{i0, imin, imax, i1 - 1};
    std::sort(keep.begin(), keep.end());
    keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
    for (size_t i : keep) {
      ox.push_back(x[i]);
      oy.push_back(y[i]);
    }
  }
  x.swap(ox);
  y.swap(oy);
}

std::string line_plot_svg(const std::vector<Series>& series, const PlotOptions& o, const std::vector<Band>& bands) {
  Frame f;
  f.w = o.width_;
  f.h = o.height_;
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  for (const auto& s : series) {
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, s.y[i]);
      ymax = std::max(ymax, s.y[i]);
    }
  }
  for (const auto& b : bands) {
    xmin = std::min(xmin, b.x0);
    xmax = std::max(xmax, b.x1);
  }
  f.x0 = o.x_min_.value_or(xmin);
  f.x1 = o.x_max_.value_or(xmax);
  f.y0 = o.y_min_.value_or(ymin);
  f.y1 = o.y_max_.value_or(ymax);
  expand_if_flat(f.x0, f.x1);
  expand_if_flat(f.y0, f.y1);
  if (!o.y_min_ && !o.y_max_) {  // a little headroom
    const double pad = 0.04 * (f.y1 - f.y0);
    f.y0 -= pad;
    f.y1 += pad;
  }

  std::string s = header(o);
  const double yt = f.top, yb = f.h - f.bottom;
  std::vector<std::pair<std::string, std::string>> legend;  // (label, colour)
  for (const auto& b : bands) {
    const double a = std::max(f.px(b.x0), f.left), z = std::min(f.px(b.x1), f.w - f.right);
    if (z <= a) continue;
    s +=
        fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" opacity=\"0.45\"/>",
                    a, yt, std::max(1.0, z - a), yb - yt, html_escape(b.color));
    if (!b.label.empty() &&
        std::none_of(legend.begin(), legend.end(), [&](const auto& l) { return l.first == b.label; })) {
      legend.emplace_back(b.label, b.color);
    }
  }
  s += axes(f, o);
  if (o.diagonal_) {
    s += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>",
        f.px(std::max(f.x0, f.y0)), f.py(std::max(f.x0, f.y0)), f.px(std::min(f.x1, f.y1)), f.py(std::min(f.x1, f.y1)));
  }
  s += fmt::format(
      "<clipPath id=\"c{0}\"><rect x=\"{1:.1f}\" y=\"{2:.1f}\" width=\"{3:.1f}\" height=\"{4:.1f}\"/>"
      "</clipPath><g clip-path=\"url(#c{0})\">",
      next_clip_id(), f.left, yt, f.w - f.left - f.right, yb - yt);
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& sr = series[k];
    const std::string color = sr.color.empty() ? kPalette[k % std::size(kPalette)] : sr.color;
    std::vector<double> x(sr.x.begin(), sr.x.begin() + std::min(sr.x.size(), sr.y.size()));
    std::vector<double> y(sr.y.begin(), sr.y.begin() + x.size());
    decimate_minmax(x, y, o.max_points_);
    std::string d;
    bool pen_down = false;
    double prev_y = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
        pen_down = false;
        continue;
      }
      if (pen_down && sr.step) d += fmt::format("L{:.1f},{:.1f}", f.px(x[i]), f.py(prev_y));
      d += fmt::format("{}{:.1f},{:.1f}", pen_down ? "L" : "M", f.px(x[i]), f.py(y[i]));
      pen_down = true;
      prev_y = y[i];
    }
    if (x.size() == 1) {
      s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>", f.px(x[0]), f.py(y[0]), color);
    }
    s += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"{}/>", d, html_escape(color),
                     sr.dashed ? " stroke-dasharray=\"5 3\"" : "");
    if (!sr.name.empty()) legend.emplace_back(sr.name, color);
  }
  s += "</g>";
  double ly = yt + 12;
  for (const auto& [label, color] : legend) {
    const double lx = f.w - f.right - 150;
    s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"12\" height=\"3\" fill=\"{}\"/>", lx, ly - 4,
                     html_escape(color));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>", lx + 16, ly, html_escape(label));
    ly += 14;
  }
  s += "</svg>";
  return s;
}

std::string heatmap_svg(const std::vector<std::vector<double>>& cells, const std::vector<std::string>& row_labels,
                        const std::vector<std::string>& col_labels, const PlotOptions& o, bool normalise_rows) {
  const size_t rows = cells.size(), cols = rows ? cells[0].size() : 0;
  std::string s = header(o);
  const double left = 110, top = 34, right = 10, bottom = 46;
  const double cw = cols ? (o.width_ - left - right) / cols : 0, ch = rows ? (o.height_ - top - bottom) / rows : 0;
  double global_max = 0;
  for (const auto& r : cells) {
    for (double v : r) global_max = std::max(global_max, v);
  }
  for (size_t i = 0; i < rows; ++i) {
    const double row_sum = std::accumulate(cells[i].begin(), cells[i].end(), 0.0);
    for (size_t j = 0; j < cols && j < cells[i].size(); ++j) {
      const double v = cells[i][j];
      const double denom = normalise_rows ? row_sum : global_max;
      const double t = denom > 0 ? std::clamp(v / denom, 0.0, 1.0) : 0.0;
      // White -> blue (#0072B2) ramp.
      const int r = static_cast<int>(255 - t * (255 - 0)), g = static_cast<int>(255 - t * (255 - 114)),
                b = static_cast<int>(255 - t * (255 - 178));
      const double x = left + j * cw, y = top + i * ch;
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"rgb({},{},{})\" "
          "stroke=\"#fff\"/>",
          x, y, cw, ch, r, g, b);
      s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" fill=\"{}\">{}</text>", x + cw / 2,
                       y + ch / 2 + 4, t > 0.55 ? "#fff" : "#000", format_number(v));
    }
    const std::string label = i < row_labels.size() ? row_labels[i] : std::to_string(i);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", left - 6,
                     top + i * ch + ch / 2 + 4, html_escape(label));
  }
  for (size_t j = 0; j < cols; ++j) {
    const std::string label = j < col_labels.size() ? col_labels[j] : std::to_string(j);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", left + j * cw + cw / 2,
                     top + rows * ch + 14, html_escape(label));
  }
  if (!o.x_label_.empty()) {
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", left + cols * cw / 2,
                     o.height_ - 8, html_escape(o.x_label_));
  }
  if (!o.y_label_.empty()) {
    s += fmt::format("<text transform=\"translate(12,{:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
                     top + rows * ch / 2, html_escape(o.y_label_));
  }
  s += "</svg>";
  return s;
}

}  // namespace efm::eval
