#include "io/detail/tal.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#include "io/detail/text.h"

namespace efm::io::detail {

namespace {

constexpr char kOnsetEnd = 0x14;      // ends onset/duration and every text
constexpr char kDurationMark = 0x15;  // starts the duration
constexpr char kTalEnd = 0x00;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// [+-]digits[.digits] as a double (nullopt-like NaN when it is not a number).
double parse_decimal(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || !is_digit(s[0])) return std::numeric_limits<double>::quiet_NaN();
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::numeric_limits<double>::quiet_NaN();
  return negative ? -v : v;
}

/// A text that is only a signed decimal number, e.g. "+1.000000" (a Nihon Kohden writer artefact).
bool is_time_stamp(std::string_view t) {
  if (t.size() < 2 || (t[0] != '+' && t[0] != '-')) return false;
  return !std::isnan(parse_decimal(t));
}

}  // namespace

void TalProblems::report(std::vector<std::string>& deviations) const {
  if (unterminated_tals > 0)
    deviations.push_back(
        fmt::format("annotations: {} TAL(s) not closed by a 0x00 byte before the end of their "
                    "annotation block",
                    unterminated_tals));
  if (unterminated_texts > 0)
    deviations.push_back(fmt::format("annotations: {} text(s) not closed by 0x14", unterminated_texts));
  if (unsigned_onsets > 0)
    deviations.push_back(fmt::format("annotations: {} TAL onset(s) without a '+'/'-' sign", unsigned_onsets));
  if (bad_durations > 0)
    deviations.push_back(fmt::format("annotations: {} duration(s) that are not numbers (read as 0)", bad_durations));
  if (skipped_garbage > 0)
    deviations.push_back(
        fmt::format("annotations: {} run(s) of bytes that do not form a TAL were skipped", skipped_garbage));
}

std::vector<Tal> parse_tal_block(std::string_view b, TalProblems& problems) {
  std::vector<Tal> tals;
  const size_t n = b.size();
  size_t i = 0;
  auto skip_to_tal_end = [&](size_t from) {
    const size_t z = b.find(kTalEnd, from);
    return z == std::string_view::npos ? n : z + 1;
  };
  while (i < n) {
    if (b[i] == kTalEnd) {  // padding between or after TALs
      ++i;
      continue;
    }
    // Onset: [+-]digits[.digits], then 0x15 or 0x14.
    const bool has_sign = b[i] == '+' || b[i] == '-';
    size_t j = i + (has_sign ? 1 : 0);
    const size_t digits_from = j;
    while (j < n && (is_digit(b[j]) || b[j] == '.')) ++j;
    const double onset = j > digits_from ? parse_decimal(b.substr(i, j - i)) : std::nan("");
    if (std::isnan(onset) || j >= n || (b[j] != kOnsetEnd && b[j] != kDurationMark)) {
      ++problems.skipped_garbage;
      i = skip_to_tal_end(i);
      continue;
    }
    if (!has_sign) ++problems.unsigned_onsets;
    Tal tal;
    tal.onset_s = onset;
    if (b[j] == kDurationMark) {
      const size_t d_from = j + 1;
      size_t d_end = d_from;
      while (d_end < n && b[d_end] != kOnsetEnd && b[d_end] != kTalEnd) ++d_end;
      const double d = parse_decimal(b.substr(d_from, d_end - d_from));
      tal.has_duration = true;
      if (std::isnan(d) || d < 0) {
        ++problems.bad_durations;
        tal.duration_s = 0;
      } else {
        tal.duration_s = d;
      }
      if (d_end >= n || b[d_end] != kOnsetEnd) {  // duration not followed by 0x14: nothing more to read here
        ++problems.skipped_garbage;
        i = skip_to_tal_end(d_end);
        continue;
      }
      j = d_end;
    }
    ++j;  // past the 0x14 that ends onset/duration
    // Texts, each closed by 0x14; the TAL ends at 0x00.
    while (true) {
      if (j >= n) {
        ++problems.unterminated_tals;
        break;
      }
      if (b[j] == kTalEnd) {
        ++j;
        break;
      }
      const size_t p = b.find_first_of(std::string_view("\x14\x00", 2), j);
      if (p == std::string_view::npos) {
        tal.texts.emplace_back(b.substr(j));
        ++problems.unterminated_texts;
        ++problems.unterminated_tals;
        j = n;
        break;
      }
      tal.texts.emplace_back(b.substr(j, p - j));
      j = p + 1;
      if (b[p] == kTalEnd) {
        ++problems.unterminated_texts;
        break;
      }
    }
    tals.push_back(std::move(tal));
    i = j;
  }
  return tals;
}

TalCollector::TalCollector(int64_t n_records)
    : onsets_abs_(size_t(std::max<int64_t>(n_records, 0)), std::numeric_limits<double>::quiet_NaN()) {}

void TalCollector::add_block(int64_t record, int a, std::string_view bytes) {
  std::vector<Tal> tals = parse_tal_block(bytes, problems_);
  size_t first = 0;
  if (a == 0) {
    // The first TAL of the record's first annotation signal must be the time-keeping TAL (first text empty).
    if (!tals.empty() && !tals[0].texts.empty() && tals[0].texts[0].empty()) {
      if (record >= 0 && record < int64_t(onsets_abs_.size())) onsets_abs_[size_t(record)] = tals[0].onset_s;
      Tal& tk = tals[0];
      for (size_t t = 1; t < tk.texts.size(); ++t) {
        if (tk.texts[t].empty()) {
          ++empty_texts_;
          continue;
        }
        raw_.push_back({tk.onset_s, tk.duration_s, std::move(tk.texts[t])});
      }
      first = 1;
    } else {
      ++missing_timekeeping_;
      if (first_missing_timekeeping_ < 0) first_missing_timekeeping_ = record;
    }
  }
  for (size_t k = first; k < tals.size(); ++k) {
    for (auto& text : tals[k].texts) {
      if (text.empty()) {
        ++empty_texts_;
        continue;
      }
      raw_.push_back({tals[k].onset_s, tals[k].duration_s, std::move(text)});
    }
  }
}

EdfAnnotationData TalCollector::finish() {
  EdfAnnotationData out;
  auto& dev = out.deviations;
  problems_.report(dev);
  if (missing_timekeeping_ > 0)
    dev.push_back(fmt::format("annotations: {} data record(s) lack the time-keeping TAL (first: record {})",
                              missing_timekeeping_, first_missing_timekeeping_));
  if (empty_texts_ > 0) dev.push_back(fmt::format("annotations: {} empty annotation text(s) skipped", empty_texts_));
  out.start_offset_s = !onsets_abs_.empty() && !std::isnan(onsets_abs_[0]) ? onsets_abs_[0] : 0.0;
  out.record_onsets_s.reserve(onsets_abs_.size());
  for (double o : onsets_abs_) out.record_onsets_s.push_back(o - out.start_offset_s);  // NaN stays NaN

  int64_t latin1 = 0, stamps = 0;
  std::string stamp_example;
  out.annotations.reserve(raw_.size());
  for (auto& r : raw_) {
    bool converted = false;
    Annotation a;
    a.onset_s = r.onset_abs_s - out.start_offset_s;
    a.duration_s = r.duration_s;
    a.text = to_utf8(r.text, &converted);
    if (converted) ++latin1;
    if (is_time_stamp(a.text)) {
      if (stamps++ == 0) stamp_example = a.text;
    }
    out.annotations.push_back(std::move(a));
  }
  if (latin1 > 0)
    dev.push_back(fmt::format("annotations: {} text(s) are not valid UTF-8 (read as Latin-1 and converted)", latin1));
  if (stamps > 0)
    dev.push_back(
        fmt::format("annotations: {} text(s) are bare time stamps (e.g. '{}'; a writer artefact): kept as "
                    "texts, as MNE reports them",
                    stamps, stamp_example));
  return out;
}

}  // namespace efm::io::detail
