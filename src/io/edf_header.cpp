#include "io/detail/edf_header.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <system_error>

#include "epilepsyfm/core/error.h"
#include "io/detail/text.h"

namespace efm::io::detail {

namespace {

// EDF/BDF header layout (EDF spec, Kemp et al. 1992; EDF+ spec, Kemp & Olivan 2003; BDF: BioSemi).
constexpr int kFixedBytes = 256;
constexpr int kBytesPerSignal = 256;
// Per-signal field widths in header order; all signals' values of one field, then the next field.
constexpr int kLabelW = 16, kTransducerW = 80, kUnitW = 8, kNumW = 8, kPrefilterW = 80, kReservedW = 32;
constexpr int64_t kMaxSignals = 100000;
constexpr int64_t kMaxSamplesPerRecord = int64_t(1) << 31;

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& reason) {
  throw DataError(fmt::format("{}: {}", path.string(), reason));
}

/// Parses header number fields and counts the tolerated format problems (reported once per kind).
class FieldParser {
 public:
  /// A decimal number; nullopt if the field is empty or not a number.
  std::optional<double> number(std::string_view field) { return parse_whole<double>(normalise(field)); }

  /// An integer; values such as "-32768.0" are accepted (and counted) when they are integral.
  std::optional<int64_t> integer(std::string_view field) {
    const std::string s = normalise(field);
    if (s.empty()) return std::nullopt;
    if (const auto v = parse_whole<int64_t>(s)) return v;
    const auto d = number(field);
    if (d && std::isfinite(*d) && std::floor(*d) == *d && std::fabs(*d) < 9e15) {
      ++non_integer_format_;
      return static_cast<int64_t>(*d);
    }
    return std::nullopt;
  }

  void report(std::vector<std::string>& deviations) const {
    if (leading_spaces_ > 0)
      deviations.push_back(
          fmt::format("{} numeric header field(s) start with spaces (the standard left-aligns them)", leading_spaces_));
    if (decimal_commas_ > 0)
      deviations.push_back(
          fmt::format("{} numeric header field(s) use a decimal comma (read as a decimal point)", decimal_commas_));
    if (non_integer_format_ > 0)
      deviations.push_back(
          fmt::format("{} integer header field(s) are written with a fraction (e.g. '-32768.0')", non_integer_format_));
  }

 private:
  std::string normalise(std::string_view field) {
    const std::string_view r = rtrim_view(field);
    const std::string_view t = trim_view(field);
    if (!t.empty() && t.size() != r.size()) ++leading_spaces_;
    std::string s(t);
    if (s.find(',') != std::string::npos && s.find('.') == std::string::npos) {
      ++decimal_commas_;
      std::replace(s.begin(), s.end(), ',', '.');
    }
    return s;
  }

  /// `s` as a T when all of it is one (an optional leading '+' allowed); nullopt otherwise.
  template <class T>
  static std::optional<T> parse_whole(const std::string& s) {
    if (s.empty()) return std::nullopt;
    T v = 0;
    const char* first = s.data();
    if (*first == '+') ++first;
    const auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
  }

  int leading_spaces_ = 0;
  int decimal_commas_ = 0;
  int non_integer_format_ = 0;
};

bool digits(std::string_view s, size_t pos, size_t n) {
  for (size_t i = pos; i < pos + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

/// "dd.mm.yy" / "hh.mm.ss": two digits, a dot, two digits, a dot, two digits.
bool is_dotted_triplet(std::string_view s) {
  return s.size() == 8 && digits(s, 0, 2) && s[2] == '.' && digits(s, 3, 2) && s[5] == '.' && digits(s, 6, 2);
}

std::vector<std::string_view> split_spaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string field_text(std::string_view raw, bool* converted) {
  return to_utf8(trim_view(raw), converted);
}

}  // namespace

EdfKind sniff_edf_kind(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(path, "no such file");
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not a recording file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open the file for reading");
  char magic[8] = {};
  in.read(magic, 8);
  if (in.gcount() < 8) return EdfKind::other;
  const std::string_view m(magic, 8);
  if (static_cast<unsigned char>(m[0]) == 0xFF && m.substr(1) == "BIOSEMI") return EdfKind::bdf;
  if (m == "0       ") return EdfKind::edf;
  return EdfKind::other;
}

double EdfHeader::sfreq_hz(int i) const {
  return record_duration_s > 0 ? double(signals[size_t(i)].samples_per_record) / record_duration_s : 0.0;
}

double EdfHeader::max_sfreq_hz() const {
  double m = 0;
  for (int i : data_signals) m = std::max(m, sfreq_hz(i));
  return m;
}

namespace {

/// Sets `bdf` and `bytes_per_sample` from the 8-byte version field; a version that is neither EDF nor BDF throws.
void parse_version(std::string_view header, EdfHeader& h) {
  const std::string_view version = header.substr(0, 8);
  if (static_cast<unsigned char>(version[0]) == 0xFF) {
    h.bdf = true;
    if (version.substr(1) != "BIOSEMI")
      h.deviations.push_back(
          fmt::format("BDF version field is 0xFF '{}' instead of 0xFF 'BIOSEMI'", printable(version.substr(1))));
  } else if (version != "0       ") {
    if (trim_view(version) == "0")
      h.deviations.push_back("version field is '0' but not left-aligned and space-padded");
    else
      fail(h.path, fmt::format("not an EDF/BDF file: the version field is '{}' (expected '0' for EDF or 0xFF "
                               "'BIOSEMI' for BDF)",
                               printable(version)));
  }
  h.bytes_per_sample = h.bdf ? 3 : 2;
}

/// Structure checks of the identifying fields (patient, recording, start date and time); never copied.
void check_identification(std::string_view header, std::vector<std::string>& dev) {
  if (!is_printable_ascii(header.substr(8, 80)))
    dev.push_back("patient identification field contains bytes outside printable ASCII (content not copied)");
  if (!is_printable_ascii(header.substr(88, 80)))
    dev.push_back("recording identification field contains bytes outside printable ASCII (content not copied)");
  if (!is_dotted_triplet(header.substr(168, 8)))
    dev.push_back("start date field is not in the dd.mm.yy format (content not copied)");
  if (!is_dotted_triplet(header.substr(176, 8)))
    dev.push_back("start time field is not in the hh.mm.ss format (content not copied)");
}

/// The counts of the fixed header that the later steps need.
struct FixedCounts {
  int n_signals = 0;
  int64_t n_records = 0;  ///< as declared: -1 means unknown
};

/// Parses and checks the header size, record count, record duration and signal count fields; sets `header_bytes`
/// and `record_duration_s`.
FixedCounts parse_counts(std::string_view header, int64_t file_bytes, FieldParser& num, EdfHeader& h) {
  const std::filesystem::path& path = h.path;
  const auto header_bytes = num.integer(header.substr(184, 8));
  const auto n_records = num.integer(header.substr(236, 8));
  const auto record_duration = num.number(header.substr(244, 8));
  const auto ns = num.integer(header.substr(252, 4));
  if (!ns || *ns < 1 || *ns > kMaxSignals)
    fail(path, fmt::format("number of signals field '{}' is not a positive integer", printable(header.substr(252, 4))));
  if (!header_bytes)
    fail(path, fmt::format("header size field '{}' is not an integer", printable(header.substr(184, 8))));
  const int64_t expected_header = int64_t(kFixedBytes) + kBytesPerSignal * *ns;
  if (*header_bytes != expected_header)
    fail(path, fmt::format("header size field says {} bytes but {} signals need 256 x ({} + 1) = {} bytes",
                           *header_bytes, *ns, *ns, expected_header));
  if (file_bytes < expected_header || int64_t(header.size()) < expected_header)
    fail(path, fmt::format("file is {} bytes, shorter than its {}-byte header ({} signals)", file_bytes,
                           expected_header, *ns));
  h.header_bytes = expected_header;
  if (!n_records || *n_records < -1)
    fail(path, fmt::format("number of data records field '{}' is not an integer >= 0 (or -1)",
                           printable(header.substr(236, 8))));
  if (!record_duration || !std::isfinite(*record_duration) || *record_duration < 0)
    fail(path, fmt::format("record duration field '{}' is not a number >= 0", printable(header.substr(244, 8))));
  h.record_duration_s = *record_duration;
  return FixedCounts{static_cast<int>(*ns), *n_records};
}

/// The raw fields of one signal that parse_signal reads.
struct RawSignalFields {
  std::string_view label;  ///< with its padding
  std::string_view physical_min, physical_max, digital_min, digital_max, samples_per_record;
};

/// One per-signal field: its width, and where it goes (a text field of EdfSignal, a raw field, both or neither).
struct SignalFieldSpec {
  int width;
  std::string EdfSignal::*text;
  std::string_view RawSignalFields::*raw;
};

// Per-signal fields in header order; all signals' values of one field, then the next field. Labels keep
// their leading spaces, so they are converted apart from the other text fields.
constexpr SignalFieldSpec kSignalFields[] = {
    {kLabelW, nullptr, &RawSignalFields::label},
    {kTransducerW, &EdfSignal::transducer, nullptr},
    {kUnitW, &EdfSignal::unit, nullptr},
    {kNumW, nullptr, &RawSignalFields::physical_min},
    {kNumW, nullptr, &RawSignalFields::physical_max},
    {kNumW, nullptr, &RawSignalFields::digital_min},
    {kNumW, nullptr, &RawSignalFields::digital_max},
    {kPrefilterW, &EdfSignal::prefilter, nullptr},
    {kNumW, nullptr, &RawSignalFields::samples_per_record},
    {kReservedW, nullptr, nullptr},
};

/// Sizes `h.signals` to `n`, fills their label, transducer, unit and prefilter, and returns the raw fields.
std::vector<RawSignalFields> read_signal_fields(std::string_view header, int n, EdfHeader& h) {
  const std::string_view sig = header.substr(kFixedBytes, size_t(kBytesPerSignal) * n);
  h.signals.resize(size_t(n));
  std::vector<RawSignalFields> raw(static_cast<size_t>(n));
  bool converted_labels = false, converted_other = false;
  size_t field_pos = 0;
  for (const SignalFieldSpec& f : kSignalFields) {
    for (size_t i = 0; i < size_t(n); ++i) {
      const std::string_view value = sig.substr(field_pos + size_t(f.width) * i, f.width);
      if (f.raw) raw[i].*f.raw = value;
      if (f.text) h.signals[i].*f.text = field_text(value, &converted_other);
    }
    field_pos += size_t(f.width) * n;
  }
  for (size_t i = 0; i < size_t(n); ++i) h.signals[i].label = to_utf8(rtrim_view(raw[i].label), &converted_labels);
  if (converted_labels) h.deviations.push_back("signal labels contain non-ASCII bytes (read as Latin-1)");
  if (converted_other)
    h.deviations.push_back("signal unit/transducer/prefilter fields contain non-ASCII bytes (read as Latin-1)");
  return raw;
}

/// The sample range of the format: 16-bit EDF, 24-bit BDF.
struct DigitalRange {
  int64_t lo, hi;
};

/// A signal's scaling fields as parsed (nullopt: empty or not a number).
struct ScalingFields {
  std::optional<double> physical_min, physical_max;
  std::optional<int64_t> digital_min, digital_max;
};

/// An annotation signal: only its TAL bytes matter, so its scaling and text fields are checked for the standard's
/// values and departures become deviations.
void check_annotation_signal(const std::string& who, const ScalingFields& f, DigitalRange range, EdfSignal& s,
                             std::vector<std::string>& dev) {
  s.physical_min = f.physical_min.value_or(0), s.physical_max = f.physical_max.value_or(0);
  s.digital_min = f.digital_min.value_or(0), s.digital_max = f.digital_max.value_or(0);
  if (!f.physical_min || !f.physical_max || !f.digital_min || !f.digital_max || *f.physical_min == *f.physical_max)
    dev.push_back(fmt::format("annotation {} has unusable physical/digital range fields", who));
  if (f.digital_min && f.digital_max && (*f.digital_min != range.lo || *f.digital_max != range.hi))
    dev.push_back(fmt::format("annotation {} has digital range {}..{} (the standard requires {}..{})", who,
                              *f.digital_min, *f.digital_max, range.lo, range.hi));
  for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"transducer", &s.transducer},
                                    {"unit", &s.unit},
                                    {"prefilter", &s.prefilter}}) {
    if (!value->empty())
      dev.push_back(fmt::format("annotation {} has a non-blank {} field '{}' (EDF+ requires spaces)", who, name,
                                printable(*value)));
  }
}

/// A data signal: its samples must be scalable, so unusable scaling fields throw. Returns true when the declared
/// digital range goes beyond the format's sample range.
bool set_data_scaling(const std::string& who, const RawSignalFields& raw, const ScalingFields& f, DigitalRange range,
                      EdfSignal& s, const std::filesystem::path& path) {
  if (!f.physical_min || !f.physical_max || !std::isfinite(*f.physical_min) || !std::isfinite(*f.physical_max))
    fail(path, fmt::format("{}: physical minimum/maximum '{}'/'{}' are not finite numbers", who,
                           printable(trim_view(raw.physical_min)), printable(trim_view(raw.physical_max))));
  if (*f.physical_min == *f.physical_max)
    fail(path, fmt::format("{}: physical minimum equals physical maximum ({}), so its samples cannot be scaled", who,
                           *f.physical_min));
  if (!f.digital_min || !f.digital_max)
    fail(path, fmt::format("{}: digital minimum/maximum '{}'/'{}' are not integers", who,
                           printable(trim_view(raw.digital_min)), printable(trim_view(raw.digital_max))));
  if (*f.digital_min >= *f.digital_max)
    fail(path, fmt::format("{}: digital minimum ({}) must be below digital maximum ({})", who, *f.digital_min,
                           *f.digital_max));
  s.physical_min = *f.physical_min, s.physical_max = *f.physical_max;
  s.digital_min = *f.digital_min, s.digital_max = *f.digital_max;
  return *f.digital_min < range.lo || *f.digital_max > range.hi;
}

/// Parses the per-signal fields into `h.signals` and sets `record_bytes`, `data_signals` and `annotation_signals`.
void parse_signals(std::string_view header, int n, FieldParser& num, EdfHeader& h) {
  const std::vector<RawSignalFields> raw = read_signal_fields(header, n, h);
  const DigitalRange range = h.bdf ? DigitalRange{-8388608, 8388607} : DigitalRange{-32768, 32767};
  int64_t offset = 0;
  int out_of_range_digital = 0;
  for (int i = 0; i < n; ++i) {
    EdfSignal& s = h.signals[size_t(i)];
    const RawSignalFields& r = raw[size_t(i)];
    const std::string_view lab = rtrim_view(r.label);
    s.is_annotation = lab == "EDF Annotations" || lab == "BDF Annotations";
    const std::string who = fmt::format("signal '{}' (#{})", s.label, i);
    const auto spr = num.integer(r.samples_per_record);
    if (!spr || *spr < 1 || *spr > kMaxSamplesPerRecord)
      fail(h.path, fmt::format("{}: samples per data record '{}' is not a positive integer", who,
                               printable(trim_view(r.samples_per_record))));
    s.samples_per_record = *spr;
    s.byte_offset = offset;
    offset += s.samples_per_record * h.bytes_per_sample;
    const ScalingFields f{num.number(r.physical_min), num.number(r.physical_max), num.integer(r.digital_min),
                          num.integer(r.digital_max)};
    if (s.is_annotation)
      check_annotation_signal(who, f, range, s, h.deviations);
    else if (set_data_scaling(who, r, f, range, s, h.path))
      ++out_of_range_digital;
  }
  if (out_of_range_digital > 0)
    h.deviations.push_back(fmt::format("{} signal(s) declare a digital range beyond the {}-bit sample range {}..{}",
                                       out_of_range_digital, h.bdf ? 24 : 16, range.lo, range.hi));
  h.record_bytes = offset;
  for (int i = 0; i < n; ++i) (h.signals[size_t(i)].is_annotation ? h.annotation_signals : h.data_signals).push_back(i);
}

/// Sets `plus` and `discontinuous` from the reserved field ("EDF+C", "EDF+D", ...) and the annotation signals.
void resolve_plus(std::string_view header, EdfHeader& h) {
  auto& dev = h.deviations;
  const char* plain = h.bdf ? "BDF" : "EDF";
  const std::string reserved(rtrim_view(header.substr(192, 44)));
  const bool says_plus = reserved.rfind("EDF+C", 0) == 0 || reserved.rfind("EDF+D", 0) == 0 ||
                         reserved.rfind("BDF+C", 0) == 0 || reserved.rfind("BDF+D", 0) == 0;
  const std::string annot_label = h.bdf ? "BDF Annotations" : "EDF Annotations";
  if (says_plus) {
    const bool says_d = reserved[4] == 'D';
    if (reserved.substr(0, 3) != plain)
      dev.push_back(fmt::format("{} file whose reserved field says '{}'", plain, reserved.substr(0, 5)));
    if (reserved.size() > 5)
      dev.push_back(fmt::format("reserved field '{}' has text after '{}'", printable(reserved), reserved.substr(0, 5)));
    if (h.annotation_signals.empty()) {
      if (says_d)
        fail(h.path, fmt::format("reserved field says {} (discontinuous) but there is no '{}' signal, so the onsets "
                                 "of the data records are unknown",
                                 reserved.substr(0, 5), annot_label));
      dev.push_back(fmt::format("reserved field says {} but there is no '{}' signal: read as plain {}",
                                reserved.substr(0, 5), annot_label, plain));
    } else {
      h.plus = true;
      h.discontinuous = says_d;
    }
  } else if (!h.annotation_signals.empty()) {
    dev.push_back(
        fmt::format("plain {} header (reserved field not EDF+C/EDF+D) with {} annotation signal(s): their "
                    "TALs are read as in EDF+C",
                    plain, h.annotation_signals.size()));
    h.plus = true;
  } else if (!reserved.empty() && !(h.bdf && reserved == "24BIT")) {
    dev.push_back(fmt::format("reserved field '{}' is not blank in a plain {} file", printable(reserved), plain));
  }
  for (int i : h.annotation_signals) {
    if (h.signals[size_t(i)].label != annot_label)
      dev.push_back(fmt::format("{} file with an annotation signal labelled '{}'", plain, h.signals[size_t(i)].label));
  }
}

/// EDF+ 2.1: patient field = 4 subfields (code, sex, birthdate, name), recording field = "Startdate" + 4.
void check_plus_identification(std::string_view header, std::vector<std::string>& dev) {
  if (split_spaces(header.substr(8, 80)).size() < 4)
    dev.push_back(
        "EDF+ patient identification field does not have the 4 subfields the standard requires "
        "(content not copied)");
  const auto rec_fields = split_spaces(header.substr(88, 80));
  if (rec_fields.size() < 5 || rec_fields[0] != "Startdate")
    dev.push_back(
        "EDF+ recording identification field does not start with 'Startdate' and 4 subfields "
        "(content not copied)");
}

/// Checks the record duration and sets `n_records` (inferred from the file size when declared as -1); the file
/// size must be the header plus whole data records.
void check_data_records(int64_t declared_records, EdfHeader& h) {
  const std::filesystem::path& path = h.path;
  const int64_t file_bytes = h.file_bytes;
  if (!h.data_signals.empty() && h.record_duration_s <= 0)
    fail(path, fmt::format("record duration is {} s but the file has {} data signal(s); it must be > 0",
                           h.record_duration_s, h.data_signals.size()));
  const int64_t data_bytes = file_bytes - h.header_bytes;
  if (declared_records == -1) {
    if (h.record_bytes == 0 || data_bytes % h.record_bytes != 0)
      fail(path, fmt::format("number of data records is -1 (unknown) and the {} data bytes are not a whole number "
                             "of {}-byte records",
                             data_bytes, h.record_bytes));
    h.n_records = data_bytes / h.record_bytes;
    h.deviations.push_back(
        fmt::format("number of data records is -1 (recording not closed); {} records inferred from the "
                    "file size",
                    h.n_records));
  } else {
    h.n_records = declared_records;
  }
  if (h.n_records > 0 && h.record_bytes > (int64_t(1) << 62) / h.n_records)
    fail(path, fmt::format("header promises {} records of {} bytes, more than any file can hold", h.n_records,
                           h.record_bytes));
  const int64_t expected = h.header_bytes + h.n_records * h.record_bytes;
  if (file_bytes != expected) {
    const int64_t diff = file_bytes - expected;
    fail(path,
         fmt::format("file size {} bytes does not match the size the header promises: {} header bytes + {} "
                     "records x {} bytes = {} bytes ({} bytes {}, {:.4g} records)",
                     file_bytes, h.header_bytes, h.n_records, h.record_bytes, expected, diff > 0 ? diff : -diff,
                     diff > 0 ? "too many" : "missing", double(diff > 0 ? diff : -diff) / double(h.record_bytes)));
  }
}

}  // namespace

EdfHeader parse_edf_header(std::string_view header, int64_t file_bytes, const std::filesystem::path& path) {
  EdfHeader h;
  h.path = path;
  h.file_bytes = file_bytes;
  if (file_bytes < kFixedBytes || header.size() < size_t(kFixedBytes))
    fail(path, fmt::format("file is {} bytes, shorter than the {}-byte EDF/BDF header", file_bytes, kFixedBytes));
  FieldParser num;
  parse_version(header, h);
  check_identification(header, h.deviations);
  const FixedCounts counts = parse_counts(header, file_bytes, num, h);
  parse_signals(header, counts.n_signals, num, h);
  resolve_plus(header, h);
  if (h.plus) check_plus_identification(header, h.deviations);
  h.format = std::string(h.bdf ? "BDF" : "EDF") + (h.plus ? (h.discontinuous ? "+D" : "+C") : "");
  check_data_records(counts.n_records, h);
  num.report(h.deviations);
  return h;
}

EdfHeader read_edf_header(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) fail(path, fmt::format("cannot read the file size: {}", ec.message()));
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open the file for reading");
  std::string fixed(kFixedBytes, '\0');
  in.read(fixed.data(), kFixedBytes);
  fixed.resize(size_t(in.gcount()));
  if (fixed.size() < size_t(kFixedBytes)) return parse_edf_header(fixed, int64_t(size), path);  // throws
  // Read the signal fields as far as the file allows; parse_edf_header checks the sizes.
  FieldParser num;
  const auto ns = num.integer(std::string_view(fixed).substr(252, 4));
  std::string all = fixed;
  if (ns && *ns >= 1 && *ns <= kMaxSignals) {
    const int64_t want = int64_t(kBytesPerSignal) * *ns;
    std::string rest(size_t(want), '\0');
    in.read(rest.data(), want);
    rest.resize(size_t(in.gcount()));
    all += rest;
  }
  return parse_edf_header(all, int64_t(size), path);
}

}  // namespace efm::io::detail
