#include "epilepsyfm/eval/metrics/metric_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/error.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::eval {
namespace {

TEST(MetricSet, KeepsInsertionOrderAndReplacesInPlace) {
  MetricSet m;
  m.set("auroc", 0.9).set("balanced_accuracy", 0.8).set("auroc", 0.95);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.entries()[0].first, "auroc");
  EXPECT_EQ(m.entries()[0].second, 0.95);
  EXPECT_EQ(m.at("balanced_accuracy"), 0.8);
  EXPECT_FALSE(m.find("f1").has_value());
  EXPECT_TRUE(m.contains("auroc"));
}

TEST(MetricSet, MergeWithPrefix) {
  MetricSet m{{"auroc", 0.9}};
  m.merge(MetricSet{{"sensitivity", 0.5}, {"f1", 0.25}}, "event_");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m.entries()[1].first, "event_sensitivity");
  EXPECT_EQ(m.at("event_f1"), 0.25);
}

TEST(MetricSet, CsvRowsRoundTripThroughTheCsvReader) {
  MetricSet m{{"mae", 0.1}, {"event_sensitivity", std::numeric_limits<double>::quiet_NaN()}, {"n", 3}};
  const std::string text = std::string(MetricSet::kCsvHeader) + m.csv_rows(120, "val,fold 1");
  EXPECT_EQ(text,
            "step,split,metric,value\n"
            "120,\"val,fold 1\",mae,0.1\n"
            "120,\"val,fold 1\",event_sensitivity,nan\n"
            "120,\"val,fold 1\",n,3\n");
  const CsvTable t = parse_csv(text);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0][1], "val,fold 1");
  EXPECT_EQ(parse_double(t.rows[0][3], "value"), 0.1);  // shortest representation reads back exactly
}

TEST(MetricSet, JsonWritesNullForNonFinite) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  MetricSet m{{"auroc", 0.875}, {"kappa", -nan}, {"rate", std::numeric_limits<double>::infinity()}};
  EXPECT_EQ(m.to_json(), "{\"auroc\": 0.875, \"kappa\": null, \"rate\": null}");
  EXPECT_EQ(MetricSet().to_json(), "{}");
  EXPECT_EQ(format_metric_value(-nan), "nan");  // x86's default NaN has the sign bit set
  EXPECT_EQ(format_metric_value(1e-7), "1e-07");
}

TEST(MetricSet, ErrorsNameTheMetric) {
  MetricSet m{{"auroc", 0.9}, {"f1", 0.5}};
  EXPECT_THAT([&] { m.at("auprc"); },
              ThrowsMessage<ArgumentError>(HasSubstr("no metric named 'auprc' (metrics: auroc, f1)")));
  EXPECT_THAT([&] { m.set("bad name", 1); },
              ThrowsMessage<ArgumentError>(HasSubstr("metric name 'bad name': character ' ' is not allowed")));
  EXPECT_THAT([&] { m.set("", 1); }, ThrowsMessage<ArgumentError>(HasSubstr("metric name must not be empty")));
  EXPECT_THAT(
      [] {
        MetricSet({{"a", 1}, {"a", 2}});
      },
      ThrowsMessage<ArgumentError>(HasSubstr("metric 'a' is listed twice")));
}

}  // namespace
}  // namespace efm::eval
