#pragma once
/// A self-contained HTML report (inline CSS and SVG; opens in a browser with no network).
///
///   HtmlReport r("seizure_detection — run runs/sd");
///   r.heading("Test metrics");
///   r.table({"metric", "value"}, {{"AUROC", "0.91"}});
///   r.figure(line_plot_svg(...), "ROC curve on the test split");
///   r.write("runs/sd/report.html");
#include <filesystem>
#include <string>
#include <vector>

namespace efm::eval {

class HtmlReport {
 public:
  explicit HtmlReport(std::string title);

  void heading(const std::string& text, int level = 2);
  /// Plain text (escaped).
  void paragraph(const std::string& text);
  /// A key/value line list, e.g. run metadata.
  void definitions(const std::vector<std::pair<std::string, std::string>>& items);
  void table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
  /// An SVG (from plot.h) with an optional caption.
  void figure(const std::string& svg, const std::string& caption = {});
  /// A hyperlink on its own line (e.g. to a sub-run's report; relative paths keep the report portable).
  void link(const std::string& href, const std::string& text);
  /// Starts a flex row: following figures sit side by side until end_row().
  void begin_row();
  void end_row();

  std::string html() const;
  /// Writes atomically; throws DataError naming the path.
  void write(const std::filesystem::path& path) const;

 private:
  std::string title_;
  std::string body_;
};

}  // namespace efm::eval
