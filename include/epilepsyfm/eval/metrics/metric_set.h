#pragma once
/// An ordered list of named scalar metrics: what every metric function of eval/ can return and what the trainer
/// writes into runs/<name>/metrics.csv (`step,split,metric,value`) and metrics.json. Example:
///
///   MetricSet m;
///   m.set("auroc", 0.93).set("balanced_accuracy", 0.81);
///   m.merge(event_score.metrics(), "event_");           // appends "event_sensitivity", ...
///   out << MetricSet::kCsvHeader << m.csv_rows(/*step=*/1200, "val");
///
/// Order is insertion order (a re-set name keeps its position), so files list metrics in the order a head
/// defines them. Values may be NaN (an undefined metric, e.g. sensitivity of a recording without seizures): CSV
/// writes `nan`, JSON writes `null`. Names are restricted to [A-Za-z0-9_.:/@-] so they never need CSV/JSON
/// quoting.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace efm::eval {

class MetricSet {
 public:
  using Entry = std::pair<std::string, double>;

  /// Header line of metrics.csv, with the trailing newline.
  static constexpr const char* kCsvHeader = "step,split,metric,value\n";

  MetricSet() = default;
  /// Entries in the given order; a duplicate name throws ArgumentError.
  MetricSet(std::initializer_list<Entry> entries);

  /// Sets `name` to `value`: appended when new, replaced in place when present. Throws ArgumentError for an
  /// invalid name (empty, or a character outside [A-Za-z0-9_.:/@-]).
  MetricSet& set(std::string_view name, double value);
  /// Appends every entry of `other` under `prefix + name` (through `set`, so existing names are replaced).
  MetricSet& merge(const MetricSet& other, std::string_view prefix = {});

  bool contains(std::string_view name) const;
  /// Value of `name`; throws ArgumentError listing the names present when it is absent.
  double at(std::string_view name) const;
  /// Value of `name`, or nullopt.
  std::optional<double> find(std::string_view name) const;

  const std::vector<Entry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  /// One metrics.csv row per entry: "<step>,<split>,<name>,<value>\n" (no header). `split` is CSV-escaped.
  std::string csv_rows(int64_t step, std::string_view split) const;
  /// A JSON object {"name": value, ...} in entry order; non-finite values become null.
  std::string to_json() const;

 private:
  std::vector<Entry> entries_;
};

/// Shortest text that reads back to the same double ("0.1", "1e-07", "nan", "inf", "-inf").
std::string format_metric_value(double value);

}  // namespace efm::eval
