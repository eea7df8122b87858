#include "epilepsyfm/signal/channels.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/strings.h"

namespace efm::signal {
namespace {

/// Removes dots and whitespace, upper-cases ("Fc5." -> "FC5", "sine 1 Hz" -> "SINE1HZ").
std::string clean(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '.' || std::isspace(static_cast<unsigned char>(c))) continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// LaBraM utils.standard_1020 (136 names, its order), upper-cased; see channels.h for why the order is kept.
const char* const kLabramStandard1020[] = {
    "FP1",    "FPZ",   "FP2",   "AF9",   "AF7",    "AF5",   "AF3",   "AF1",   "AFZ",    "AF2",    "AF4",   "AF6",
    "AF8",    "AF10",  "F9",    "F7",    "F5",     "F3",    "F1",    "FZ",    "F2",     "F4",     "F6",    "F8",
    "F10",    "FT9",   "FT7",   "FC5",   "FC3",    "FC1",   "FCZ",   "FC2",   "FC4",    "FC6",    "FT8",   "FT10",
    "T9",     "T7",    "C5",    "C3",    "C1",     "CZ",    "C2",    "C4",    "C6",     "T8",     "T10",   "TP9",
    "TP7",    "CP5",   "CP3",   "CP1",   "CPZ",    "CP2",   "CP4",   "CP6",   "TP8",    "TP10",   "P9",    "P7",
    "P5",     "P3",    "P1",    "PZ",    "P2",     "P4",    "P6",    "P8",    "P10",    "PO9",    "PO7",   "PO5",
    "PO3",    "PO1",   "POZ",   "PO2",   "PO4",    "PO6",   "PO8",   "PO10",  "O1",     "OZ",     "O2",    "O9",
    "CB1",    "CB2",   "IZ",    "O10",   "T3",     "T5",    "T4",    "T6",    "M1",     "M2",     "A1",    "A2",
    "CFC1",   "CFC2",  "CFC3",  "CFC4",  "CFC5",   "CFC6",  "CFC7",  "CFC8",  "CCP1",   "CCP2",   "CCP3",  "CCP4",
    "CCP5",   "CCP6",  "CCP7",  "CCP8",  "T1",     "T2",    "FTT9H", "TTP7H", "TPP9H",  "FTT10H", "TPP8H", "TPP10H",
    "FP1-F7", "F7-T7", "T7-P7", "P7-O1", "FP2-F8", "F8-T8", "T8-P8", "P8-O2", "FP1-F3", "F3-C3",  "C3-P3", "P3-O1",
    "FP2-F4", "F4-C4", "C4-P4", "P4-O2",
};
// Appended after LaBraM's list (append-only from here on).
const char* const kAppended[] = {
    "NZ",    "I1",    "I2",    "SP1",   "SP2",   "PG1",   "PG2",   "FZ-CZ",
    "CZ-PZ", "A1-T7", "T7-C3", "C3-CZ", "CZ-C4", "C4-T8", "T8-A2",
};

// Old 10-20 names -> 10-10 names (ACNS guideline 2006: T3=T7, T4=T8, T5=P7, T6=P8).
const std::map<std::string, std::string, std::less<>>& aliases() {
  static const std::map<std::string, std::string, std::less<>> m{
      {"T3", "T7"}, {"T4", "T8"}, {"T5", "P7"}, {"T6", "P8"}};
  return m;
}

std::string resolve_alias(std::string_view name) {
  const auto& a = aliases();
  auto it = a.find(name);
  return it == a.end() ? std::string(name) : it->second;
}

struct VocabIndex {
  std::vector<std::string> names;
  std::unordered_map<std::string, int> index;
  std::set<std::string, std::less<>> electrodes;  // single electrodes, alias rows excluded
};

const VocabIndex& vocab() {
  static const VocabIndex v = [] {
    VocabIndex out;
    out.names.emplace_back("UNK");
    for (const char* n : kLabramStandard1020) out.names.emplace_back(n);
    for (const char* n : kAppended) out.names.emplace_back(n);
    for (size_t i = 0; i < out.names.size(); ++i) {
      const std::string& n = out.names[i];
      const bool inserted = out.index.emplace(n, static_cast<int>(i)).second;
      EFM_CHECK_STATE(inserted, "electrode vocabulary lists '{}' twice", n);
      if (i > 0 && n.find('-') == std::string::npos && aliases().count(n) == 0) out.electrodes.insert(n);
    }
    return out;
  }();
  return v;
}

bool is_electrode(std::string_view name) {
  return vocab().electrodes.count(name) > 0;
}

// Generic reference suffixes: always removed.
bool is_generic_reference(std::string_view s) {
  return s == "REF" || s == "LE" || s == "AR" || s == "AVG" || s == "AV" || s == "CAR";
}
// Electrode-like references: removed only when the rest is a vocabulary electrode.
bool is_electrode_reference(std::string_view s) {
  return s == "M1" || s == "M2" || s == "M1M2" || s == "A1A2";
}

bool is_non_eeg_name(std::string_view head) {
  static const char* const kPrefixes[] = {"ECG",   "EKG",    "EMG",   "EOG",    "LOC",    "ROC",  "PHOTIC",
                                          "IBI",   "BURSTS", "SUPPR", "RESP",   "SPO2",   "SAO2", "PULSE",
                                          "PLETH", "EFFORT", "ERGO",  "STATUS", "TRIGGER"};
  for (const char* p : kPrefixes) {
    if (head.starts_with(p)) return true;
  }
  if (head == "TRIG" || head == "STI") return true;
  if (head.starts_with("STI") && all_digits(head.substr(3))) return true;
  if (head.starts_with("DC") && all_digits(head.substr(2))) return true;
  if (head.starts_with("ACC") && all_digits(head.substr(3))) return true;
  return false;
}

enum class Prefix { none, eeg, non_eeg, intracranial };

// Interprets the EDF+ signal-type word ("EEG Fp1-Ref", "ECG EKG-Ref", "ECoG G1"); returns the remainder.
Prefix split_prefix(std::string_view label, std::string_view& rest) {
  rest = label;
  const size_t dash = label.find('-');
  const size_t space = label.find_first_of(" \t");
  // "EEG-FP1" / "POL-T1" style (only for these two prefixes; "ECG-..." is handled by the non-EEG names).
  if (dash == 3 && (space == std::string_view::npos || space > dash)) {
    const std::string head = to_upper(label.substr(0, 3));
    if ((head == "EEG" || head == "POL") && dash + 1 < label.size()) {
      rest = trim(label.substr(dash + 1));
      return Prefix::eeg;
    }
  }
  if (space == std::string_view::npos) return Prefix::none;
  const std::string word = to_upper(label.substr(0, space));
  const std::string_view remainder = trim(label.substr(space));
  if (remainder.empty()) return Prefix::none;
  if (word == "EEG" || word == "POL") {
    rest = remainder;
    return Prefix::eeg;
  }
  if (word == "ECG" || word == "EKG" || word == "EMG" || word == "EOG" || word == "RESP" || word == "SAO2" ||
      word == "SPO2" || word == "TEMP" || word == "MISC") {
    rest = remainder;
    return Prefix::non_eeg;
  }
  if (word == "ECOG" || word == "SEEG" || word == "IEEG" || word == "DEPTH") {
    rest = remainder;
    return Prefix::intracranial;
  }
  return Prefix::none;
}

std::vector<std::string_view> split_dash(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t d = s.find('-', start);
    parts.push_back(s.substr(start, d == std::string_view::npos ? std::string_view::npos : d - start));
    if (d == std::string_view::npos) break;
    start = d + 1;
  }
  return parts;
}

// Removes a generic reference suffix ("LA1-REF" -> "LA1").
std::string strip_generic_reference(const std::string& s) {
  const auto parts = split_dash(s);
  if (parts.size() == 2 && !parts[0].empty() && is_generic_reference(parts[1])) return std::string(parts[0]);
  return s;
}

}  // namespace

std::string_view kind_name(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::eeg: return "eeg";
    case ChannelKind::bipolar: return "bipolar";
    case ChannelKind::non_eeg: return "non_eeg";
    case ChannelKind::annotation: return "annotation";
    case ChannelKind::unknown: return "unknown";
  }
  return "unknown";
}

CanonicalChannel canonicalize_channel(std::string_view label, const CanonicalizeOptions& options) {
  CanonicalChannel out;
  const std::string_view trimmed = trim(label);
  {
    const std::string u = clean(trimmed);
    if (u == "EDFANNOTATIONS" || u == "BDFANNOTATIONS") {
      out.kind = ChannelKind::annotation;
      out.name = to_upper(trimmed);
      return out;
    }
  }
  std::string_view rest;
  const Prefix prefix = split_prefix(trimmed, rest);
  const std::string s = clean(rest);
  const std::string head = s.substr(0, s.find('-'));

  if (prefix == Prefix::non_eeg || is_non_eeg_name(head)) {
    out.kind = ChannelKind::non_eeg;
    out.name = strip_generic_reference(s);
    return out;
  }
  if (prefix == Prefix::intracranial || options.intracranial) {
    out.kind = ChannelKind::unknown;
    out.name = strip_generic_reference(s);
    return out;
  }

  const auto parts = split_dash(s);
  if (parts.size() == 2 && !parts[0].empty()) {
    const std::string first = resolve_alias(parts[0]);
    if (is_generic_reference(parts[1]) || (is_electrode_reference(parts[1]) && is_electrode(first))) {
      if (is_electrode(first)) {
        out.kind = ChannelKind::eeg;
        out.name = first;
      } else {
        out.kind = ChannelKind::unknown;
        out.name = std::string(parts[0]);
      }
      return out;
    }
    const std::string second = resolve_alias(parts[1]);
    if (is_electrode(first) && is_electrode(second)) {
      out.kind = ChannelKind::bipolar;
      out.anode = first;
      out.cathode = second;
      out.name = first + "-" + second;
      return out;
    }
  }
  if (parts.size() == 1) {
    const std::string name = resolve_alias(s);
    if (is_electrode(name)) {
      out.kind = ChannelKind::eeg;
      out.name = name;
      return out;
    }
  }
  out.kind = ChannelKind::unknown;
  out.name = s;
  return out;
}

std::vector<CanonicalChannel> canonicalize_channels(const std::vector<std::string>& labels,
                                                    const CanonicalizeOptions& options) {
  std::vector<CanonicalChannel> out;
  out.reserve(labels.size());
  for (const auto& l : labels) out.push_back(canonicalize_channel(l, options));
  return out;
}

std::vector<std::string> numbered_contact_labels(const std::vector<std::string>& labels) {
  // prefix letters -> (labels that canonicalise to an electrode, count of numbers that are not electrodes)
  struct Series {
    std::vector<std::string> electrode_labels;
    int non_vocabulary = 0;
  };
  std::map<std::string, Series> series;
  for (const auto& label : labels) {
    const CanonicalChannel c = canonicalize_channel(label);
    if (c.kind != ChannelKind::eeg && c.kind != ChannelKind::unknown) continue;
    std::string_view rest;
    split_prefix(trim(label), rest);
    std::string s = strip_generic_reference(clean(rest));
    size_t i = 0;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    if (i == 0 || i == s.size() || !all_digits(std::string_view(s).substr(i))) continue;
    Series& entry = series[s.substr(0, i)];
    if (c.kind == ChannelKind::eeg) {
      entry.electrode_labels.push_back(label);
    } else {
      ++entry.non_vocabulary;
    }
  }
  std::vector<std::string> out;
  for (const auto& [prefix, entry] : series) {
    // Two or more numbers outside the vocabulary with the same letters ("C7", "C8", ...) make a numbered series.
    if (entry.non_vocabulary >= 2) out.insert(out.end(), entry.electrode_labels.begin(), entry.electrode_labels.end());
  }
  return out;
}

const std::vector<std::string>& electrode_vocabulary() {
  return vocab().names;
}

int electrode_index(std::string_view canonical_name) {
  const std::string name = to_upper(canonical_name);
  const auto parts = split_dash(name);
  std::string resolved;
  if (parts.size() == 2) {
    resolved = resolve_alias(parts[0]) + "-" + resolve_alias(parts[1]);
  } else {
    resolved = resolve_alias(name);
  }
  const auto& idx = vocab().index;
  auto it = idx.find(resolved);
  return it == idx.end() ? 0 : it->second;
}

bool is_vocabulary_electrode(std::string_view canonical_name) {
  return is_electrode(canonical_name);
}

RegionTable RegionTable::default_table() {
  // docs/architecture.md (Brain regions), region by region.
  std::vector<std::string> names{"left_frontal", "right_frontal", "left_temporal",  "right_temporal",
                                 "central",      "left_parietal", "right_parietal", "occipital"};
  std::vector<std::vector<std::string>> members{
      {"FP1", "AF3", "AF7", "F1", "F3", "F5", "F7"},
      {"FP2", "AF4", "AF8", "F2", "F4", "F6", "F8"},
      {"FT7", "FT9", "T7", "T9", "TP7", "TP9", "P7", "A1"},
      {"FT8", "FT10", "T8", "T10", "TP8", "TP10", "P8", "A2"},
      {"FPZ", "AFZ", "FZ", "FCZ", "CZ", "CPZ", "FC1", "FC2", "FC3", "FC4", "FC5", "FC6",
       "C1",  "C2",  "C3", "C4",  "C5", "C6",  "CP1", "CP2", "CP3", "CP4", "CP5", "CP6"},
      {"P1", "P3", "P5", "PO3", "PO7"},
      {"P2", "P4", "P6", "PO4", "PO8"},
      {"O1", "OZ", "O2", "POZ", "PZ", "IZ"},
  };
  return RegionTable(std::move(names), members);
}

RegionTable::RegionTable(std::vector<std::string> names, const std::vector<std::vector<std::string>>& members)
    : names_(std::move(names)) {
  EFM_CHECK_ARG(names_.size() == members.size(), "RegionTable: {} region names but {} member lists", names_.size(),
                members.size());
  std::map<std::string, int> seen;
  for (size_t r = 0; r < members.size(); ++r) {
    for (const auto& m : members[r]) {
      const std::string e = resolve_alias(to_upper(m));
      auto [it, inserted] = seen.emplace(e, static_cast<int>(r));
      EFM_CHECK_ARG(inserted, "RegionTable: electrode '{}' is listed in region '{}' and in region '{}'", e,
                    names_[it->second], names_[r]);
    }
  }
  electrode_region_.assign(seen.begin(), seen.end());  // sorted by name
}

int RegionTable::region_of(std::string_view canonical_name) const {
  auto lookup = [this](const std::string& e) {
    auto it = std::lower_bound(electrode_region_.begin(), electrode_region_.end(), e,
                               [](const std::pair<std::string, int>& a, const std::string& b) { return a.first < b; });
    return (it != electrode_region_.end() && it->first == e) ? it->second : -1;
  };
  const std::string name = to_upper(canonical_name);
  const auto parts = split_dash(name);
  if (parts.size() == 2) {
    const int anode = lookup(resolve_alias(parts[0]));
    return anode >= 0 ? anode : lookup(resolve_alias(parts[1]));
  }
  return lookup(resolve_alias(name));
}

const std::vector<std::pair<std::string, std::string>>& tcp_montage(int n_derivations) {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  static const Pairs k16{{"FP1", "F7"}, {"F7", "T7"}, {"T7", "P7"},  {"P7", "O1"}, {"FP2", "F8"}, {"F8", "T8"},
                         {"T8", "P8"},  {"P8", "O2"}, {"FP1", "F3"}, {"F3", "C3"}, {"C3", "P3"},  {"P3", "O1"},
                         {"FP2", "F4"}, {"F4", "C4"}, {"C4", "P4"},  {"P4", "O2"}};
  static const Pairs k18 = [] {
    Pairs p = k16;
    p.emplace_back("FZ", "CZ");
    p.emplace_back("CZ", "PZ");
    return p;
  }();
  // TUH 01_tcp_ar (NEDC montage file), T3/T4/T5/T6 written as T7/T8/P7/P8.
  static const Pairs k22{{"FP1", "F7"}, {"F7", "T7"}, {"T7", "P7"},  {"P7", "O1"}, {"FP2", "F8"}, {"F8", "T8"},
                         {"T8", "P8"},  {"P8", "O2"}, {"A1", "T7"},  {"T7", "C3"}, {"C3", "CZ"},  {"CZ", "C4"},
                         {"C4", "T8"},  {"T8", "A2"}, {"FP1", "F3"}, {"F3", "C3"}, {"C3", "P3"},  {"P3", "O1"},
                         {"FP2", "F4"}, {"F4", "C4"}, {"C4", "P4"},  {"P4", "O2"}};
  switch (n_derivations) {
    case 16: return k16;
    case 18: return k18;
    case 22: return k22;
    default: break;
  }
  throw ArgumentError(fmt::format("tcp_montage: n_derivations must be 16, 18 or 22, got {}", n_derivations));
}

}  // namespace efm::signal
