#include "epilepsyfm/eval/metrics/metric_set.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"

namespace efm::eval {
namespace {

bool valid_name_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '_':
    case '.':
    case ':':
    case '/':
    case '@':
    case '-': return true;
    default: return false;
  }
}

void check_name(std::string_view name) {
  EFM_CHECK_ARG(!name.empty(), "metric name must not be empty");
  for (char c : name) {
    EFM_CHECK_ARG(valid_name_char(c),
                  "metric name '{}': character '{}' is not allowed (allowed: A-Z a-z 0-9 _ . : / @ -)", name, c);
  }
}

}  // namespace

MetricSet::MetricSet(std::initializer_list<Entry> entries) {
  for (const auto& [name, value] : entries) {
    EFM_CHECK_ARG(!contains(name), "metric '{}' is listed twice", name);
    set(name, value);
  }
}

MetricSet& MetricSet::set(std::string_view name, double value) {
  check_name(name);
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.first == name; });
  if (it != entries_.end()) {
    it->second = value;
  } else {
    entries_.emplace_back(std::string(name), value);
  }
  return *this;
}

MetricSet& MetricSet::merge(const MetricSet& other, std::string_view prefix) {
  for (const auto& [name, value] : other.entries_) set(std::string(prefix) + name, value);
  return *this;
}

bool MetricSet::contains(std::string_view name) const {
  return find(name).has_value();
}

std::optional<double> MetricSet::find(std::string_view name) const {
  for (const auto& [n, v] : entries_) {
    if (n == name) return v;
  }
  return std::nullopt;
}

double MetricSet::at(std::string_view name) const {
  if (auto v = find(name)) return *v;
  std::string names;
  for (const auto& e : entries_) names += (names.empty() ? "" : ", ") + e.first;
  throw ArgumentError(fmt::format("no metric named '{}' (metrics: {})", name, names.empty() ? "none" : names));
}

std::string MetricSet::csv_rows(int64_t step, std::string_view split) const {
  std::string out;
  const std::string split_field = csv_escape(split);
  for (const auto& [name, value] : entries_) {
    out += fmt::format("{},{},{},{}\n", step, split_field, name, format_metric_value(value));
  }
  return out;
}

std::string MetricSet::to_json() const {
  std::string out = "{";
  for (size_t i = 0; i < entries_.size(); ++i) {
    const double v = entries_[i].second;
    out += fmt::format("{}\"{}\": {}", i == 0 ? "" : ", ", entries_[i].first,
                       std::isfinite(v) ? format_metric_value(v) : "null");
  }
  return out + "}";
}

std::string format_metric_value(double value) {
  // x86 produces NaNs with the sign bit set (0.0/0.0), which fmt would print as "-nan".
  if (std::isnan(value)) return "nan";
  // fmt's "{}" for double is the shortest representation that round-trips (Dragonbox); "inf"/"-inf".
  return fmt::format("{}", value);
}

}  // namespace efm::eval
