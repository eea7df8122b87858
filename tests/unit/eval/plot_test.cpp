#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/eval/report/html_report.h"
#include "epilepsyfm/eval/report/plot.h"
#include "support/test_support.h"

using ::testing::HasSubstr;
using ::testing::Not;

namespace efm::eval {

TEST(Plot, NiceTicks) {
  EXPECT_EQ(nice_ticks(0, 1, 5), (std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1.0}));
  EXPECT_EQ(nice_ticks(0, 500, 5), (std::vector<double>{0, 100, 200, 300, 400, 500}));
  EXPECT_EQ(nice_ticks(-3, 7, 4), (std::vector<double>{-2.5, 0, 2.5, 5}));
  EXPECT_TRUE(nice_ticks(1, 1).empty());
}

TEST(Plot, DecimationKeepsExtremesAndBounds) {
  std::vector<double> x(100000), y(100000, 0.0);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i);
  y[51234] = 9.0;  // a single spike must survive
  y[70000] = -4.0;
  decimate_minmax(x, y, 2000);
  EXPECT_LE(x.size(), 2000u);
  EXPECT_EQ(*std::max_element(y.begin(), y.end()), 9.0);
  EXPECT_EQ(*std::min_element(y.begin(), y.end()), -4.0);
  EXPECT_EQ(x.front(), 0.0);
  EXPECT_EQ(x.back(), 99999.0);
  EXPECT_TRUE(std::is_sorted(x.begin(), x.end()));
}

TEST(Plot, LinePlotHasPathsLegendBandsAndEscapedText) {
  Series a{"train <loss>", {0, 1, 2}, {3, 2, 1}};
  Series b{"val", {0, 2}, {2.5, 1.5}};
  const std::string svg =
      line_plot_svg({a, b}, PlotOptions().title("Loss & more").x_label("step"), {{0.5, 1.0, "seizure"}});
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_THAT(svg, HasSubstr("Loss &amp; more"));
  EXPECT_THAT(svg, HasSubstr("train &lt;loss&gt;"));
  EXPECT_THAT(svg, Not(HasSubstr("<loss>")));
  EXPECT_THAT(svg, HasSubstr(">seizure</text>"));
  const std::regex path_re("<path d=\"M");
  EXPECT_EQ(std::distance(std::sregex_iterator(svg.begin(), svg.end(), path_re), std::sregex_iterator()), 2);
  EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
}

TEST(Plot, NonFiniteValuesBreakTheLine) {
  Series s{"x", {0, 1, 2, 3}, {1, std::nan(""), 2, 3}};
  const std::string svg = line_plot_svg({s}, PlotOptions());
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
  // Two pen-down moves: before and after the gap.
  const std::regex move_re("M[0-9]");
  EXPECT_EQ(std::distance(std::sregex_iterator(svg.begin(), svg.end(), move_re), std::sregex_iterator()), 2);
}

TEST(Plot, HeatmapPrintsCounts) {
  const std::string svg = heatmap_svg({{50, 2}, {3, 45}}, {"background", "seizure"}, {"background", "seizure"},
                                      PlotOptions().title("Confusion").x_label("predicted").y_label("true"));
  for (const char* v : {">50<", ">2<", ">3<", ">45<", ">background<", ">predicted<"}) EXPECT_THAT(svg, HasSubstr(v));
}

TEST(Plot, FormatNumber) {
  EXPECT_EQ(format_number(0.25), "0.25");
  EXPECT_EQ(format_number(1200), "1200");
  EXPECT_EQ(format_number(1e-5), "1e-05");
  EXPECT_EQ(format_number(0), "0");
}

TEST(HtmlReport, SelfContainedDocument) {
  HtmlReport r("run <a>");
  r.heading("Metrics");
  r.table({"metric", "value"}, {{"AUROC", "0.91"}});
  r.figure(line_plot_svg({{"s", {0, 1}, {0, 1}}}, PlotOptions()), "a caption");
  test::TempDir dir;
  r.write(dir / "report.html");
  const std::string html = read_file(dir / "report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THAT(html, HasSubstr("<title>run &lt;a&gt;</title>"));
  EXPECT_THAT(html, HasSubstr("<td>AUROC</td><td>0.91</td>"));
  EXPECT_THAT(html, HasSubstr("<figcaption>a caption</figcaption>"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("http://www.w3.org/1999")));  // only the SVG namespace URI appears
  EXPECT_THAT(html, Not(HasSubstr("https://")));
}

}  // namespace efm::eval
