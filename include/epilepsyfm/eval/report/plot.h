#pragma once
/// Self-contained SVG charts for report.html (no JavaScript, no network): line plots (training curves, ROC/PR
/// curves, probability timelines with shaded events, forecast-vs-truth traces) and heatmaps (confusion matrices).
///
///   std::string svg = line_plot_svg({{"train loss", steps, loss}}, PlotOptions().title("Loss").x_label("step"));
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace efm::eval {

struct Series {
  std::string name;
  std::vector<double> x, y;  ///< same length; non-finite points break the line
  std::string color;         ///< CSS colour; empty = from the palette
  bool dashed = false;
  bool step = false;  ///< draw as a step function (PR curves, event indicators)
};

/// A shaded x-interval (e.g. an annotated seizure) drawn behind the series.
struct Band {
  double x0 = 0, x1 = 0;
  std::string label;  ///< shown in the legend once per distinct label
  std::string color = "#f4a3a3";
};

struct PlotOptions {
  PlotOptions& title(std::string t) {
    title_ = std::move(t);
    return *this;
  }
  PlotOptions& x_label(std::string t) {
    x_label_ = std::move(t);
    return *this;
  }
  PlotOptions& y_label(std::string t) {
    y_label_ = std::move(t);
    return *this;
  }
  PlotOptions& size(int w, int h) {
    width_ = w;
    height_ = h;
    return *this;
  }
  PlotOptions& x_range(double lo, double hi) {
    x_min_ = lo;
    x_max_ = hi;
    return *this;
  }
  PlotOptions& y_range(double lo, double hi) {
    y_min_ = lo;
    y_max_ = hi;
    return *this;
  }
  PlotOptions& diagonal(bool d) {
    diagonal_ = d;
    return *this;
  }
  PlotOptions& max_points(int n) {
    max_points_ = n;
    return *this;
  }

  std::string title_, x_label_, y_label_;
  int width_ = 640, height_ = 300;
  std::optional<double> x_min_, x_max_, y_min_, y_max_;
  bool diagonal_ = false;  ///< draw the y = x chance line (ROC)
  int max_points_ = 2000;  ///< longer series are reduced by min/max decimation (shape of spikes is kept)
};

/// A line chart with axes, "nice" ticks, legend and optional shaded bands.
std::string line_plot_svg(const std::vector<Series>& series, const PlotOptions& options,
                          const std::vector<Band>& bands = {});

/// A heatmap with the value printed in each cell (e.g. a confusion matrix: rows = true, columns = predicted).
/// `normalise_rows` colours by row fraction while printing the raw counts.
std::string heatmap_svg(const std::vector<std::vector<double>>& cells, const std::vector<std::string>& row_labels,
                        const std::vector<std::string>& col_labels, const PlotOptions& options,
                        bool normalise_rows = true);

/// About `target` round tick values covering [lo, hi] (steps of 1, 2, 2.5 or 5 × 10^k).
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

/// Keeps at most `max_points` points: per bucket of x the first, min, max and last point, in x order.
void decimate_minmax(std::vector<double>& x, std::vector<double>& y, int max_points);

/// Escapes &, <, >, " and ' for HTML/SVG text and attributes.
std::string html_escape(std::string_view text);

/// Shortest readable number for labels ("0.25", "1e-05", "1200").
std::string format_number(double v);

}  // namespace efm::eval
