// Label file parsers (io/labels.h). Format facts:
// - CHB-MIT summaries (PhysioNet chbmit 1.0.0): "File Name: chb05_06.edf", "Number of Seizures in File: 1",
//   "Seizure Start Time: 417 seconds" or, in later cases, "Seizure 1 Start Time: 2670 seconds".
// - Siena Scalp EEG 1.0.0 seizure lists: "File name: PN00-1.edf", "Registration start time: 19.39.33",
//   "Seizure start time: 19.58.36" (some lists write "Start time: 21:51:02"), times of day without dates.
// - TUSZ v2 (.csv_bi / .csv): '#' comment lines (incl. "# duration = 1750.00 secs"), then the header
//   channel,start_time,stop_time,label,confidence; csv_bi has channel TERM and labels bckg/seiz, .csv one row per
//   channel with the seizure type code.
// - BIDS events.tsv: onset, duration (seconds, "n/a" allowed), trial_type (or SzCORE's eventType).
#include "epilepsyfm/io/labels.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <deque>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/strings.h"

namespace efm::io {
namespace fs = std::filesystem;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

std::string strip_bom(std::string text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  return text;
}

std::string where(const fs::path& file, int line) {
  return fmt::format("{}:{}", file.string(), line);
}

std::string source_tag(const fs::path& file, int line) {
  return fmt::format("{}:{}", file.filename().string(), line);
}

double number(const std::string& text, const fs::path& file, int line, std::string_view column) {
  return parse_double(trim(text), fmt::format("{}: column '{}'", where(file, line), column));
}

void check_interval(double onset, double offset, const fs::path& file, int line) {
  EFM_CHECK_DATA(std::isfinite(onset) && onset >= 0, "{}: onset {} s must be a finite time >= 0", where(file, line),
                 onset);
  EFM_CHECK_DATA(!(offset < onset), "{}: offset {} s is before the onset {} s", where(file, line), offset, onset);
}

/// Adds an event to the entry with `key` (creating it at `line`).
LabelEntry& entry_for(LabelFile& lf, std::map<std::string, size_t>& index, const std::string& key, int line) {
  auto it = index.find(key);
  if (it != index.end()) return lf.entries[it->second];
  index.emplace(key, lf.entries.size());
  lf.entries.push_back(LabelEntry{key, line, {}});
  return lf.entries.back();
}

std::optional<size_t> find_any(const CsvTable& t, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (auto c = t.find_column(n)) return c;
  }
  return std::nullopt;
}

// ---- csv / whole_file ------------------------------------------------------------------------------------------

LabelFile parse_csv_events(const fs::path& file, const std::string& text) {
  LabelFile lf{file, LabelFormat::csv, {}, {}};
  const CsvTable t = parse_csv(strip_bom(text), ',', true);
  const auto c_file = t.find_column("file");
  const auto c_onset = find_any(t, {"onset_s", "onset", "start_s"});
  const auto c_offset = find_any(t, {"offset_s", "offset", "end_s"});
  const auto c_duration = find_any(t, {"duration_s", "duration"});
  const auto c_label = find_any(t, {"label", "description", "event"});
  EFM_CHECK_DATA(c_file && c_onset && (c_offset || c_duration) && c_label,
                 "{}: a csv label file needs the columns file,onset_s,offset_s,label (or duration_s instead of "
                 "offset_s); found: {}",
                 file.string(), fmt::join(t.header, ","));
  std::map<std::string, size_t> index;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    const int line = static_cast<int>(r) + 2;
    if (row.size() == 1 && trim(row[0]).empty()) continue;  // blank line
    const std::string key(trim(row[*c_file]));
    EFM_CHECK_DATA(!key.empty(), "{}: empty 'file' field", where(file, line));
    LabelEvent ev;
    ev.onset_s = number(row[*c_onset], file, line, t.header[*c_onset]);
    ev.offset_s = c_offset ? number(row[*c_offset], file, line, t.header[*c_offset])
                           : ev.onset_s + number(row[*c_duration], file, line, t.header[*c_duration]);
    check_interval(ev.onset_s, ev.offset_s, file, line);
    ev.label = trim(row[*c_label]);
    EFM_CHECK_DATA(!ev.label.empty(), "{}: empty label", where(file, line));
    ev.source = source_tag(file, line);
    entry_for(lf, index, key, line).events.push_back(std::move(ev));
  }
  return lf;
}

LabelFile parse_whole_file(const fs::path& file, const std::string& text) {
  LabelFile lf{file, LabelFormat::whole_file, {}, {}};
  const CsvTable t = parse_csv(strip_bom(text), ',', true);
  const auto c_file = t.find_column("file");
  const auto c_label = t.find_column("label");
  EFM_CHECK_DATA(c_file && c_label, "{}: a whole_file label file needs the columns file,label; found: {}",
                 file.string(), fmt::join(t.header, ","));
  std::map<std::string, size_t> index;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    const int line = static_cast<int>(r) + 2;
    if (row.size() == 1 && trim(row[0]).empty()) continue;
    const std::string key(trim(row[*c_file]));
    EFM_CHECK_DATA(!key.empty(), "{}: empty 'file' field", where(file, line));
    LabelEvent ev;
    ev.onset_s = 0;
    ev.offset_s = kInf;
    ev.label = trim(row[*c_label]);
    EFM_CHECK_DATA(!ev.label.empty(), "{}: empty label", where(file, line));
    ev.source = source_tag(file, line);
    auto& entry = entry_for(lf, index, key, line);
    EFM_CHECK_DATA(entry.events.empty(), "{}: file '{}' is labelled twice (first at line {})", where(file, line), key,
                   entry.line);
    entry.events.push_back(std::move(ev));
  }
  return lf;
}

// ---- chbmit ----------------------------------------------------------------------------------------------------

LabelFile parse_chbmit(const fs::path& file, const std::string& text) {
  LabelFile lf{file, LabelFormat::chbmit, {}, {}};
  static const std::regex re_file(R"(^\s*File Name:\s*(\S+)\s*$)", std::regex::icase);
  static const std::regex re_count(R"(^\s*Number of Seizures in File:\s*(\d+)\s*$)", std::regex::icase);
  static const std::regex re_start(R"(^\s*Seizure\s*(\d+)?\s*Start Time:\s*([0-9.]+)\s*(seconds?|s)?\s*$)",
                                   std::regex::icase);
  static const std::regex re_end(R"(^\s*Seizure\s*(\d+)?\s*End Time:\s*([0-9.]+)\s*(seconds?|s)?\s*$)",
                                 std::regex::icase);
  std::map<std::string, size_t> index;
  LabelEntry* current = nullptr;
  int declared = -1, declared_line = 0;
  std::optional<double> start;
  int start_line = 0;
  auto close_entry = [&](int line) {
    EFM_CHECK_DATA(!start, "{}: seizure start at line {} has no end time", where(file, line), start_line);
    if (current && declared >= 0 && declared != static_cast<int>(current->events.size())) {
      lf.warnings.push_back(fmt::format("{}: '{}' declares {} seizure(s) but lists {}", where(file, declared_line),
                                        current->key, declared, current->events.size()));
    }
    declared = -1;
  };
  const auto lines = split_lines(strip_bom(text));
  for (size_t i = 0; i < lines.size(); ++i) {
    const int line = static_cast<int>(i) + 1;
    std::smatch m;
    if (std::regex_match(lines[i], m, re_file)) {
      close_entry(line);
      current = &entry_for(lf, index, m[1].str(), line);
    } else if (std::regex_match(lines[i], m, re_count)) {
      EFM_CHECK_DATA(current, "{}: 'Number of Seizures' before any 'File Name:'", where(file, line));
      declared = std::stoi(m[1].str());
      declared_line = line;
    } else if (std::regex_match(lines[i], m, re_start)) {
      EFM_CHECK_DATA(current, "{}: seizure start before any 'File Name:'", where(file, line));
      EFM_CHECK_DATA(!start, "{}: seizure start at line {} has no end time", where(file, line), start_line);
      start = number(m[2].str(), file, line, "Seizure Start Time");
      start_line = line;
    } else if (std::regex_match(lines[i], m, re_end)) {
      EFM_CHECK_DATA(current && start, "{}: seizure end time without a start time", where(file, line));
      LabelEvent ev;
      ev.onset_s = *start;
      ev.offset_s = number(m[2].str(), file, line, "Seizure End Time");
      check_interval(ev.onset_s, ev.offset_s, file, line);
      ev.label = "seizure";
      ev.source = source_tag(file, start_line);
      current->events.push_back(std::move(ev));
      start.reset();
    }
  }
  close_entry(static_cast<int>(lines.size()));
  EFM_CHECK_DATA(!lf.entries.empty(), "{}: no 'File Name:' lines: not a CHB-MIT summary", file.string());
  return lf;
}

// ---- siena -----------------------------------------------------------------------------------------------------

std::optional<int> time_of_day(const std::string& line) {
  static const std::regex re(R"((\d{1,2})[.:](\d{1,2})[.:](\d{1,2}))");
  std::smatch m;
  if (!std::regex_search(line, m, re)) return std::nullopt;
  const int h = std::stoi(m[1].str()), mi = std::stoi(m[2].str()), s = std::stoi(m[3].str());
  if (h > 23 || mi > 59 || s > 59) return std::nullopt;
  return h * 3600 + mi * 60 + s;
}

int since(int t, int ref) {
  int d = t - ref;
  if (d < 0) d += 24 * 3600;  // the recording ran past midnight
  return d;
}

std::string hms(int t) {
  return fmt::format("{:02d}.{:02d}.{:02d}", t / 3600, (t / 60) % 60, t % 60);
}

LabelFile parse_siena(const fs::path& file, const std::string& text) {
  LabelFile lf{file, LabelFormat::siena, {}, {}};
  static const std::regex re_file(R"(^\s*File name:\s*(\S+)\s*$)", std::regex::icase);
  std::map<std::string, size_t> index;
  LabelEntry* current = nullptr;
  int reg_start = -1, reg_end = -1, sz_start = -1;  // seconds of the day; -1 = not seen
  int sz_line = 0;
  const auto lines = split_lines(strip_bom(text));
  for (size_t i = 0; i < lines.size(); ++i) {
    const int line = static_cast<int>(i) + 1;
    const std::string low = to_lower(lines[i]);
    std::smatch m;
    if (std::regex_match(lines[i], m, re_file)) {
      EFM_CHECK_DATA(sz_start < 0, "{}: seizure start at line {} has no end time", where(file, line), sz_line);
      current = &entry_for(lf, index, m[1].str(), line);
      // PN12-style lists give several files per registration: keep the last registration start.
      continue;
    }
    const bool is_start = low.find("start time") != std::string::npos;
    const bool is_end = low.find("end time") != std::string::npos;
    if (!is_start && !is_end) continue;
    const auto t = time_of_day(lines[i]);
    EFM_CHECK_DATA(t, "{}: expected a time of day hh.mm.ss in '{}'", where(file, line), trim(lines[i]));
    if (low.find("registration") != std::string::npos) {
      if (is_start) {
        reg_start = *t;
        reg_end = -1;
      } else {
        reg_end = *t;
      }
      continue;
    }
    EFM_CHECK_DATA(current, "{}: seizure time before any 'File name:'", where(file, line));
    EFM_CHECK_DATA(reg_start >= 0, "{}: seizure time before the 'Registration start time' of '{}'", where(file, line),
                   current->key);
    if (is_start) {
      EFM_CHECK_DATA(sz_start < 0, "{}: seizure start at line {} has no end time", where(file, line), sz_line);
      sz_start = *t;
      sz_line = line;
      continue;
    }
    EFM_CHECK_DATA(sz_start >= 0, "{}: seizure end time without a start time", where(file, line));
    LabelEvent ev;
    ev.onset_s = since(sz_start, reg_start);
    ev.offset_s = since(*t, reg_start);
    check_interval(ev.onset_s, ev.offset_s, file, line);
    if (reg_end >= 0) {
      const double reg_len = since(reg_end, reg_start);
      if (ev.offset_s > reg_len) {
        lf.warnings.push_back(fmt::format(
            "{}: seizure end {} of '{}' is after the registration end {} ({} s > {} s); the seizure is clipped to "
            "the end of the registration. Check the list (a typo?) and give a corrected csv label file if needed",
            where(file, line), hms(*t), current->key, hms(reg_end), ev.offset_s, reg_len));
        ev.offset_s = reg_len;
        check_interval(ev.onset_s, ev.offset_s, file, line);
      }
    }
    ev.label = "seizure";
    ev.source = source_tag(file, sz_line);
    current->events.push_back(std::move(ev));
    sz_start = -1;
  }
  EFM_CHECK_DATA(sz_start < 0, "{}: seizure start at line {} has no end time", file.string(), sz_line);
  EFM_CHECK_DATA(!lf.entries.empty(), "{}: no 'File name:' lines: not a Siena seizure list", file.string());
  return lf;
}

// ---- tusz ------------------------------------------------------------------------------------------------------

LabelFile parse_tusz(const fs::path& file, const std::string& text) {
  LabelFile lf{file, LabelFormat::tusz, {}, {}};
  const auto lines = split_lines(strip_bom(text));
  std::string body;
  int first_body_line = 0;
  std::optional<double> declared_duration;
  static const std::regex re_dur(R"(^#\s*duration\s*=\s*([0-9.]+))", std::regex::icase);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string t(trim(lines[i]));
    if (t.starts_with("#")) {
      std::smatch m;
      if (std::regex_search(t, m, re_dur)) declared_duration = std::stod(m[1].str());
      continue;
    }
    if (first_body_line == 0) {
      if (t.empty()) continue;
      first_body_line = static_cast<int>(i) + 1;
    }
    body += lines[i] + "\n";
  }
  const CsvTable t = parse_csv(body, ',', true);
  const auto c_chan = t.find_column("channel");
  const auto c_start = t.find_column("start_time");
  const auto c_stop = t.find_column("stop_time");
  const auto c_label = t.find_column("label");
  EFM_CHECK_DATA(c_chan && c_start && c_stop && c_label,
                 "{}: a TUSZ label file needs the header channel,start_time,stop_time,label,confidence; found: {}",
                 file.string(), fmt::join(t.header, ","));
  // The file labels the recording with the same stem in the same folder.
  LabelEntry entry{file.stem().string(), 0, {}};
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    const int line = first_body_line + static_cast<int>(r) + 1;
    if (row.size() == 1 && trim(row[0]).empty()) continue;
    LabelEvent ev;
    ev.onset_s = number(row[*c_start], file, line, "start_time");
    ev.offset_s = number(row[*c_stop], file, line, "stop_time");
    check_interval(ev.onset_s, ev.offset_s, file, line);
    ev.label = to_lower(trim(row[*c_label]));
    EFM_CHECK_DATA(!ev.label.empty(), "{}: empty label", where(file, line));
    const std::string chan(trim(row[*c_chan]));
    if (chan != "TERM") ev.channel = chan;
    ev.source = source_tag(file, line);
    if (declared_duration && ev.offset_s > *declared_duration + 1e-6) {
      lf.warnings.push_back(fmt::format("{}: stop_time {} s is after the declared duration {} s", where(file, line),
                                        ev.offset_s, *declared_duration));
    }
    entry.events.push_back(std::move(ev));
  }
  lf.entries.push_back(std::move(entry));
  return lf;
}

// ---- bids ------------------------------------------------------------------------------------------------------

LabelFile parse_bids(const fs::path& file, const std::string& text) {
  LabelFile lf{file, LabelFormat::bids, {}, {}};
  const CsvTable t = parse_csv(strip_bom(text), '\t', true);
  const auto c_onset = t.find_column("onset");
  const auto c_dur = t.find_column("duration");
  const auto c_label = find_any(t, {"eventType", "trial_type", "event", "value"});
  const auto c_chan = t.find_column("channels");
  EFM_CHECK_DATA(c_onset && c_dur && c_label,
                 "{}: a BIDS events.tsv needs the columns onset, duration and one of eventType, trial_type, event, "
                 "value; found: {}",
                 file.string(), fmt::join(t.header, ","));
  std::string key = file.filename().string();
  for (const char* suffix : {"_events.tsv", ".tsv"}) {
    if (key.ends_with(suffix)) {
      key = key.substr(0, key.size() - std::string_view(suffix).size());
      break;
    }
  }
  LabelEntry entry{key, 0, {}};
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    const int line = static_cast<int>(r) + 2;
    if (row.size() == 1 && trim(row[0]).empty()) continue;
    LabelEvent ev;
    ev.onset_s = number(row[*c_onset], file, line, "onset");
    const std::string dur(trim(row[*c_dur]));
    ev.offset_s = ev.onset_s + ((dur.empty() || dur == "n/a") ? 0.0 : number(dur, file, line, "duration"));
    check_interval(ev.onset_s, ev.offset_s, file, line);
    ev.label = trim(row[*c_label]);
    EFM_CHECK_DATA(!ev.label.empty() && ev.label != "n/a", "{}: empty label", where(file, line));
    if (c_chan) {
      const std::string ch(trim(row[*c_chan]));
      if (ch != "n/a") ev.channel = ch;
    }
    ev.source = source_tag(file, line);
    entry.events.push_back(std::move(ev));
  }
  lf.entries.push_back(std::move(entry));
  return lf;
}

std::string first_content_line(const std::string& text) {
  for (const auto& l : split_lines(strip_bom(text))) {
    const std::string t(trim(l));
    if (!t.empty() && !t.starts_with("#")) return t;
  }
  return {};
}

}  // namespace

// ---- public ----------------------------------------------------------------------------------------------------

namespace {

// A file-name pattern on the lower-cased name: prefix and suffix (no suffix: matches nothing).
struct NamePattern {
  std::string_view prefix, suffix;
  bool matches(std::string_view low) const {
    return !suffix.empty() && low.starts_with(prefix) && low.ends_with(suffix);
  }
};

// The label formats, one row each: the parser (none: edf, whose labels come from the recording), the file name that
// identifies the format by itself (detection and directory search without a format), and the further file names
// a directory search with this format takes.
struct LabelFormatRow {
  LabelFormat format;
  LabelFile (*parse)(const fs::path& file, const std::string& text);
  NamePattern named;
  NamePattern listed;
};
constexpr std::array<LabelFormatRow, 7> kLabelFormats{{
    {LabelFormat::csv, parse_csv_events, {}, {"", ".csv"}},
    {LabelFormat::whole_file, parse_whole_file, {}, {"", ".csv"}},
    {LabelFormat::chbmit, parse_chbmit, {"", "-summary.txt"}, {}},
    {LabelFormat::siena, parse_siena, {"seizures-list-", ".txt"}, {}},
    {LabelFormat::tusz, parse_tusz, {"", ".csv_bi"}, {"", ".csv"}},
    {LabelFormat::bids, parse_bids, {"", "_events.tsv"}, {}},
    {LabelFormat::edf, nullptr, {}, {}},
}};

const LabelFormatRow& label_format_row(LabelFormat format) {
  for (const auto& row : kLabelFormats) {
    if (row.format == format) return row;
  }
  throw ArgumentError(fmt::format("label format {} has no row", label_format_name(format)));
}

}  // namespace

std::string_view label_format_name(LabelFormat format) {
  return enum_name(format);
}

LabelFormat parse_label_format(std::string_view name) {
  if (auto f = find_enum<LabelFormat>(name)) return *f;
  throw ConfigError(
      fmt::format("unknown label format '{}'; known: {}", name, fmt::join(enum_name_list<LabelFormat>(), ", ")));
}

LabelFormat detect_label_format(const fs::path& file) {
  const std::string name = file.filename().string();
  const std::string low = to_lower(name);
  for (const auto& row : kLabelFormats) {
    if (row.named.matches(low)) return row.format;
  }
  const std::string text = read_file(file);
  const std::string head = to_lower(first_content_line(text));
  const CsvTable head_fields = parse_csv(head, ',', false);
  const auto has = [&](std::string_view col) {
    if (head_fields.rows.empty()) return false;
    for (const auto& c : head_fields.rows.front()) {
      if (trim(c) == col) return true;
    }
    return false;
  };
  if (low.ends_with(".csv") && !head.empty()) {
    if (has("channel") && has("start_time") && has("stop_time") && has("label")) return LabelFormat::tusz;
    if (has("file") && (has("onset_s") || has("onset")) && (has("label") || has("description"))) {
      return LabelFormat::csv;
    }
    if (has("file") && has("label")) return LabelFormat::whole_file;
  }
  if (low.ends_with(".tsv") && head.find("onset") != std::string::npos) return LabelFormat::bids;
  if (low.ends_with(".txt")) {
    const std::string ltext = to_lower(text);
    if (ltext.find("file name:") != std::string::npos && ltext.find("registration start time") != std::string::npos)
      return LabelFormat::siena;
    if (ltext.find("file name:") != std::string::npos && ltext.find("seizures in file") != std::string::npos)
      return LabelFormat::chbmit;
  }
  throw DataError(fmt::format(
      "{}: unknown label file format (first line '{}'); supported: csv (file,onset_s,offset_s,label), whole_file "
      "(file,label), chbmit (*-summary.txt), siena (Seizures-list-*.txt), tusz (.csv_bi/.csv with "
      "channel,start_time,stop_time,label), bids (*_events.tsv); or set the source's format explicitly",
      file.string(), first_content_line(text).substr(0, 80)));
}

LabelFile read_label_file(const fs::path& file, std::optional<LabelFormat> format) {
  EFM_CHECK_DATA(fs::is_regular_file(file), "label file '{}' does not exist or is not a file", file.string());
  const LabelFormat f = format ? *format : detect_label_format(file);
  const LabelFormatRow& row = label_format_row(f);
  if (row.parse) return row.parse(file, read_file(file));
  throw ArgumentError(
      fmt::format("{}: format 'edf' labels come from the recording itself, not from a file", file.string()));
}

std::vector<fs::path> find_label_files(const fs::path& dir, std::optional<LabelFormat> format) {
  EFM_CHECK_DATA(fs::is_directory(dir), "label directory '{}' does not exist", dir.string());
  std::vector<fs::path> out;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink);
       it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_regular_file()) continue;
    const std::string low = to_lower(it->path().filename().string());
    bool take = false;
    for (const auto& row : kLabelFormats) {
      const bool selected = !format || *format == row.format;
      take = take || (selected && row.named.matches(low)) || (format == row.format && row.listed.matches(low));
    }
    if (take) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<LabelEvent> events_from_annotations(const std::vector<Annotation>& annotations) {
  std::vector<LabelEvent> out;
  for (const auto& a : annotations) {
    std::string text(trim(a.text));
    if (text.empty()) continue;
    LabelEvent ev;
    ev.onset_s = a.onset_s;
    ev.offset_s = a.onset_s + std::max(0.0, a.duration_s);
    ev.label = std::move(text);
    ev.source = "annotation";
    out.push_back(std::move(ev));
  }
  return out;
}

std::vector<std::string> label_key_components(const fs::path& path) {
  std::vector<std::string> comps;
  for (const auto& c : path.lexically_normal()) {
    const std::string s = c.string();
    if (s.empty() || s == "/" || s == ".") continue;
    comps.push_back(s);
  }
  if (comps.empty()) return comps;
  std::string& last = comps.back();
  const auto dot = last.rfind('.');
  if (dot != std::string::npos && dot > 0) last.erase(dot);
  for (const char* suffix : {"_ieeg", "_eeg"}) {
    if (last.ends_with(suffix) && last.size() > std::string_view(suffix).size()) {
      last.erase(last.size() - std::string_view(suffix).size());
      break;
    }
  }
  return comps;
}

// ---- LabelIndex ------------------------------------------------------------------------------------------------

struct LabelIndex::Impl {
  struct Entry {
    std::vector<std::string> exact;  // anchor / key, normalised
    std::vector<std::string> key;    // key as written, normalised
    size_t file = 0;
    int line = 0;
    std::string raw_key;
    const std::vector<LabelEvent>* events = nullptr;
  };
  std::deque<LabelFile> files;  // deque: entries point into it
  std::vector<Entry> entries;
  std::vector<std::pair<std::vector<std::string>, std::string>> failures;  // folder components, reason
  mutable std::mutex mu;
  mutable std::vector<std::set<std::string>> matched_by;  // per entry: recordings that matched (suffix matches)
  mutable std::vector<bool> matched;
};

LabelIndex::LabelIndex() : impl_(std::make_unique<Impl>()) {}
LabelIndex::~LabelIndex() = default;
LabelIndex::LabelIndex(LabelIndex&&) noexcept = default;
LabelIndex& LabelIndex::operator=(LabelIndex&&) noexcept = default;

void LabelIndex::add(LabelFile file) {
  auto& im = *impl_;
  im.files.push_back(std::move(file));
  const size_t fi = im.files.size() - 1;
  const LabelFile& lf = im.files.back();
  const fs::path anchor = fs::absolute(lf.path).parent_path();
  for (const auto& e : lf.entries) {
    Impl::Entry en;
    en.key = label_key_components(fs::path(e.key));
    en.exact = label_key_components(fs::path(e.key).is_absolute() ? fs::path(e.key) : anchor / e.key);
    en.file = fi;
    en.line = e.line;
    en.raw_key = e.key;
    en.events = &e.events;
    im.entries.push_back(std::move(en));
  }
  im.matched.resize(im.entries.size(), false);
  im.matched_by.resize(im.entries.size());
}

void LabelIndex::add_failure(const fs::path& file, const std::string& reason) {
  impl_->failures.emplace_back(label_key_components(fs::absolute(file).parent_path() / "x"), reason);
  impl_->failures.back().first.pop_back();  // folder components only
}

size_t LabelIndex::n_files() const {
  return impl_->files.size();
}

LabelMatch LabelIndex::lookup(const fs::path& recording_path) const {
  const auto& im = *impl_;
  const std::vector<std::string> rec = label_key_components(fs::absolute(recording_path));
  const std::string rec_str = fs::absolute(recording_path).lexically_normal().string();
  LabelMatch out;
  // Best entry per label file: exact (anchored) match beats the longest component-suffix match.
  std::vector<std::pair<int, size_t>> best(im.files.size(), {0, 0});
  for (size_t i = 0; i < im.entries.size(); ++i) {
    const auto& e = im.entries[i];
    int score = 0;
    if (e.exact == rec) {
      score = 1 << 20;
    } else if (!e.key.empty() && e.key.size() <= rec.size() && std::equal(e.key.rbegin(), e.key.rend(), rec.rbegin())) {
      score = static_cast<int>(e.key.size());
    }
    if (score > best[e.file].first) best[e.file] = {score, i};
  }
  {
    std::lock_guard<std::mutex> lock(im.mu);
    for (size_t f = 0; f < best.size(); ++f) {
      if (best[f].first == 0) continue;
      const size_t i = best[f].second;
      im.matched[i] = true;
      if (best[f].first < (1 << 20)) im.matched_by[i].insert(rec_str);
      out.events.insert(out.events.end(), im.entries[i].events->begin(), im.entries[i].events->end());
      out.sources.push_back(im.files[f].path.filename().string());
    }
  }
  for (const auto& [folder, reason] : im.failures) {
    if (folder.size() <= rec.size() && std::equal(folder.begin(), folder.end(), rec.begin())) {
      out.errors.push_back(reason);
    }
  }
  std::stable_sort(out.events.begin(), out.events.end(),
                   [](const LabelEvent& a, const LabelEvent& b) { return a.onset_s < b.onset_s; });
  return out;
}

std::vector<std::string> LabelIndex::unmatched_entries() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string> out;
  for (size_t i = 0; i < impl_->entries.size(); ++i) {
    if (impl_->matched[i]) continue;
    const auto& e = impl_->entries[i];
    out.push_back(fmt::format("{}:{} '{}'", impl_->files[e.file].path.string(), e.line, e.raw_key));
  }
  return out;
}

std::vector<std::string> LabelIndex::ambiguous_entries() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string> out;
  for (size_t i = 0; i < impl_->entries.size(); ++i) {
    if (impl_->matched_by[i].size() < 2) continue;
    const auto& e = impl_->entries[i];
    out.push_back(
        fmt::format("{}:{} '{}' matched {} recordings ({}); write the path relative to the label file "
                    "to pick one",
                    impl_->files[e.file].path.string(), e.line, e.raw_key, impl_->matched_by[i].size(),
                    fmt::join(impl_->matched_by[i], ", ")));
  }
  return out;
}

}  // namespace efm::io
