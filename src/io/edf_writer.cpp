#include "epilepsyfm/io/edf_writer.h"

#include <edflib.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <system_error>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "io/detail/edflib_lock.h"

namespace efm::io {

namespace fs = std::filesystem;

namespace {

// EDFlib 1.23 edflib.c: EDFLIB_WRITE_MAX_ANNOTATION_LEN (annotation texts are cut to 40 bytes when written).
constexpr size_t kMaxAnnotationBytes = 40;

bool printable_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 32 && c < 127; });
}

std::string edflib_open_error(int code) {
  switch (code) {
    case EDFLIB_MALLOC_ERROR: return "out of memory";
    case EDFLIB_NO_SUCH_FILE_OR_DIRECTORY: return "cannot create the file (no such directory or no permission)";
    case EDFLIB_MAXFILES_REACHED: return "too many EDF files open at once";
    case EDFLIB_FILE_ALREADY_OPENED: return "the file is already open";
    case EDFLIB_NUMBER_OF_SIGNALS_INVALID: return "invalid number of signals";
    case EDFLIB_ARCH_ERROR: return "unsupported architecture";
    default: return fmt::format("EDFlib error {}", code);
  }
}

std::string edflib_write_error(int code) {
  switch (code) {
    case EDFLIB_NO_SIGNALS: return "no signals";
    case EDFLIB_TOO_MANY_SIGNALS: return "too many signals";
    case EDFLIB_NO_SAMPLES_IN_RECORD: return "a signal has no samples in a data record";
    case EDFLIB_DIGMIN_IS_DIGMAX: return "digital minimum equals digital maximum";
    case EDFLIB_DIGMAX_LOWER_THAN_DIGMIN: return "digital maximum is lower than digital minimum";
    case EDFLIB_PHYSMIN_IS_PHYSMAX: return "physical minimum equals physical maximum";
    case EDFLIB_DATARECORD_SIZE_TOO_BIG: return "data record too large";
    default: return fmt::format("EDFlib error {} (disk full or file not writable?)", code);
  }
}

}  // namespace

double edflib_header_number(double value) {
  // Mirrors edflib_snprint_number_nonlocalized() of EDFlib 1.23 (integer part, then 9 decimals obtained by
  // truncation, trailing zeros removed), followed by the header writer's cut to 8 characters.
  EFM_CHECK_ARG(std::isfinite(value) && std::fabs(value) < 1e7, "EDF header number {} is out of range (|x| < 1e7)",
                value);
  std::string s;
  int q = static_cast<int>(value);
  double var = value - q;
  int base = 1000000000;
  if (value < 0.0) {
    s += '-';
    if (q < 0) base = -base;
  }
  bool flag = false;
  for (int i = 10; i; --i) {
    const int z = q / base;
    q %= base;
    if (z || flag) {
      s += static_cast<char>('0' + z);
      flag = true;
    }
    base /= 10;
  }
  if (!flag) s += '0';
  base = 100000000;
  var *= (base * 10.0);
  q = static_cast<int>(var);
  if (q < 0) base = -base;
  if (q) {
    s += '.';
    for (int i = 9; i; --i) {
      const int z = q / base;
      q %= base;
      s += static_cast<char>('0' + z);
      base /= 10;
    }
    while (s.size() > 1 && s.back() == '0') s.pop_back();
  }
  if (s.size() > 8) s.resize(8);
  return std::strtod(s.c_str(), nullptr);
}

EdfWriter::EdfWriter(fs::path path, EdfWriterOptions options, std::vector<EdfSignalSpec> signals)
    : path_(std::move(path)), options_(std::move(options)), signals_(std::move(signals)) {
  const bool bdf = options_.type == EdfFileType::bdf_plus;
  const int64_t type_dmin = bdf ? -8388608 : -32768;
  const int64_t type_dmax = bdf ? 8388607 : 32767;
  const std::string where = path_.string();
  EFM_CHECK_ARG(!signals_.empty(), "{}: an EDF file needs at least one signal", where);
  EFM_CHECK_ARG(signals_.size() <= EDFLIB_MAXSIGNALS, "{}: {} signals; EDFlib writes at most {}", where,
                signals_.size(), EDFLIB_MAXSIGNALS);
  const double rec = options_.record_duration_s;
  const double rec_units = std::round(rec * 1e5);  // EDFlib sets the record duration in units of 10 us
  EFM_CHECK_ARG(rec >= 0.001 && rec <= 60.0 && std::fabs(rec_units - rec * 1e5) < 1e-6,
                "{}: record_duration_s {} must be a multiple of 10 us in [0.001, 60]", where, rec);
  EFM_CHECK_ARG(options_.annotation_signals >= 1 && options_.annotation_signals <= 64,
                "{}: annotation_signals {} must be in [1, 64]", where, options_.annotation_signals);
  EFM_CHECK_ARG(options_.start_year >= 1985 && options_.start_year <= 2084,
                "{}: start year {} must be in [1985, 2084] (EDF+)", where, options_.start_year);
  for (const auto* text : {&options_.patient_name, &options_.recording_additional, &options_.equipment}) {
    EFM_CHECK_ARG(printable_ascii(*text), "{}: header text '{}' must be printable ASCII", where, *text);
  }
  EFM_CHECK_ARG(options_.patient_name.size() <= 40, "{}: patient_name '{}' is longer than 40 characters", where,
                options_.patient_name);
  // EDFlib 1.23 leaves 42 characters of the 80-character recording field for admin code, technician (both "X"
  // here), equipment and the additional text, with the separating spaces; longer texts would be cut silently.
  EFM_CHECK_ARG(options_.equipment.size() + options_.recording_additional.size() <= 39,
                "{}: equipment '{}' and recording_additional '{}' together exceed the 39 characters left in the EDF+ "
                "recording field",
                where, options_.equipment, options_.recording_additional);
  for (size_t i = 0; i < signals_.size(); ++i) {
    auto& s = signals_[i];
    EFM_CHECK_ARG(!s.label.empty() && s.label.size() <= 16 && printable_ascii(s.label),
                  "{}: signal {} label '{}' must be 1-16 printable ASCII characters", where, i, s.label);
    EFM_CHECK_ARG(s.unit.size() <= 8 && printable_ascii(s.unit),
                  "{}: signal '{}' unit '{}' must be at most 8 printable ASCII characters", where, s.label, s.unit);
    EFM_CHECK_ARG(s.transducer.size() <= 80 && s.prefilter.size() <= 80 && printable_ascii(s.transducer) &&
                      printable_ascii(s.prefilter),
                  "{}: signal '{}' transducer/prefilter must be printable ASCII of at most 80 characters", where,
                  s.label);
    EFM_CHECK_ARG(s.samples_per_record >= 1, "{}: signal '{}' samples_per_record {} must be >= 1", where, s.label,
                  s.samples_per_record);
    if (s.digital_min == 0 && s.digital_max == 0) {
      s.digital_min = type_dmin;
      s.digital_max = type_dmax;
    }
    EFM_CHECK_ARG(s.digital_min >= type_dmin && s.digital_max <= type_dmax && s.digital_min < s.digital_max,
                  "{}: signal '{}' digital range [{}, {}] must satisfy {} <= min < max <= {}", where, s.label,
                  s.digital_min, s.digital_max, type_dmin, type_dmax);
    const double pmin = edflib_header_number(s.physical_min);
    const double pmax = edflib_header_number(s.physical_max);
    EFM_CHECK_ARG(pmin != pmax, "{}: signal '{}' physical range [{}, {}] is empty as written into the header", where,
                  s.label, s.physical_min, s.physical_max);
    phys_min_.push_back(pmin);
    phys_max_.push_back(pmax);
  }

  temp_path_ = temp_sibling(path_);
  std::lock_guard<std::mutex> lock(detail::edflib_mutex());
  const int n = static_cast<int>(signals_.size());
  handle_ = edfopen_file_writeonly(temp_path_.c_str(), bdf ? EDFLIB_FILETYPE_BDFPLUS : EDFLIB_FILETYPE_EDFPLUS, n);
  if (handle_ < 0) {
    const int code = handle_;
    handle_ = -1;
    throw DataError(fmt::format("{}: cannot open for writing: {}", where, edflib_open_error(code)));
  }
  bool ok = true;
  for (int i = 0; i < n && ok; ++i) {
    const auto& s = signals_[i];
    ok = edf_set_samplefrequency(handle_, i, static_cast<int>(s.samples_per_record)) == 0 &&
         edf_set_physical_maximum(handle_, i, phys_max_[i]) == 0 &&
         edf_set_physical_minimum(handle_, i, phys_min_[i]) == 0 &&
         edf_set_digital_maximum(handle_, i, static_cast<int>(s.digital_max)) == 0 &&
         edf_set_digital_minimum(handle_, i, static_cast<int>(s.digital_min)) == 0 &&
         edf_set_label(handle_, i, s.label.c_str()) == 0 &&
         edf_set_physical_dimension(handle_, i, s.unit.c_str()) == 0 &&
         edf_set_transducer(handle_, i, s.transducer.c_str()) == 0 &&
         edf_set_prefilter(handle_, i, s.prefilter.c_str()) == 0;
  }
  ok = ok &&
       edf_set_startdatetime(handle_, options_.start_year, options_.start_month, options_.start_day,
                             options_.start_hour, options_.start_minute, options_.start_second) == 0 &&
       edf_set_patientname(handle_, options_.patient_name.c_str()) == 0 &&
       edf_set_recording_additional(handle_, options_.recording_additional.c_str()) == 0 &&
       edf_set_equipment(handle_, options_.equipment.c_str()) == 0 &&
       edf_set_number_of_annotation_signals(handle_, options_.annotation_signals) == 0;
  if (ok && rec != 1.0) ok = edf_set_datarecord_duration(handle_, static_cast<int>(rec_units)) == 0;
  if (!ok) {
    edfclose_file(handle_);
    handle_ = -1;
    std::error_code ec;
    fs::remove(temp_path_, ec);
    throw ArgumentError(
        fmt::format("{}: EDFlib refused the header settings (start date {:04d}-{:02d}-{:02d}, "
                    "record duration {} s)",
                    where, options_.start_year, options_.start_month, options_.start_day, rec));
  }
}

EdfWriter::~EdfWriter() {
  abandon();
}

void EdfWriter::abandon() noexcept {
  if (handle_ < 0) return;
  {
    std::lock_guard<std::mutex> lock(detail::edflib_mutex());
    edfclose_file(handle_);
  }
  handle_ = -1;
  std::error_code ec;
  fs::remove(temp_path_, ec);
}

double EdfWriter::header_physical_min(int i) const {
  return phys_min_.at(i);
}
double EdfWriter::header_physical_max(int i) const {
  return phys_max_.at(i);
}

void EdfWriter::write_record(const std::vector<const double*>& per_signal) {
  EFM_CHECK_STATE(handle_ >= 0, "{}: write_record after close", path_.string());
  EFM_CHECK_ARG(per_signal.size() == signals_.size(), "{}: write_record got {} signals; the file has {}",
                path_.string(), per_signal.size(), signals_.size());
  // Convert every signal first, then write them under one lock (EDFlib expects signal 0, 1, ... in order).
  std::vector<std::vector<int>> digital(signals_.size());
  for (size_t i = 0; i < signals_.size(); ++i) {
    const auto& s = signals_[i];
    const double* x = per_signal[i];
    EFM_CHECK_ARG(x != nullptr, "{}: write_record: no data for signal '{}'", path_.string(), s.label);
    // EDF: physical = (digital - dmin) * (pmax - pmin) / (dmax - dmin) + pmin; inverted and rounded to nearest.
    const double scale = double(s.digital_max - s.digital_min) / (phys_max_[i] - phys_min_[i]);
    auto& d = digital[i];
    d.resize(static_cast<size_t>(s.samples_per_record));
    for (int64_t k = 0; k < s.samples_per_record; ++k) {
      EFM_CHECK_DATA(std::isfinite(x[k]), "{}: signal '{}' record {} sample {} is {}", path_.string(), s.label,
                     records_, k, x[k]);
      double v = std::nearbyint((x[k] - phys_min_[i]) * scale + double(s.digital_min));
      if (v < double(s.digital_min)) {
        v = double(s.digital_min);
        ++clipped_;
      } else if (v > double(s.digital_max)) {
        v = double(s.digital_max);
        ++clipped_;
      }
      d[k] = static_cast<int>(v);
    }
  }
  std::lock_guard<std::mutex> lock(detail::edflib_mutex());
  for (size_t i = 0; i < signals_.size(); ++i) {
    const int err = edfwrite_digital_samples(handle_, digital[i].data());
    if (err != 0) {
      throw DataError(
          fmt::format("{}: writing data record {} failed: {}", path_.string(), records_, edflib_write_error(err)));
    }
  }
  ++records_;
}

void EdfWriter::add_annotation(const EdfAnnotation& a) {
  EFM_CHECK_STATE(handle_ >= 0, "{}: add_annotation after close", path_.string());
  EFM_CHECK_ARG(std::isfinite(a.onset_s) && a.onset_s >= 0, "{}: annotation '{}' onset {} s must be >= 0",
                path_.string(), a.text, a.onset_s);
  EFM_CHECK_ARG(std::isfinite(a.duration_s), "{}: annotation '{}' duration {} s must be finite", path_.string(), a.text,
                a.duration_s);
  EFM_CHECK_ARG(a.text.size() <= kMaxAnnotationBytes,
                "{}: annotation text '{}' has {} bytes; EDFlib writes at most {} (it would be cut)", path_.string(),
                a.text, a.text.size(), kMaxAnnotationBytes);
  annotations_.push_back(a);
}

void EdfWriter::close() {
  EFM_CHECK_STATE(handle_ >= 0, "{}: close called twice", path_.string());
  const std::string where = path_.string();
  if (records_ == 0) {
    abandon();
    throw DataError(fmt::format("{}: no data records were written; refusing to create an empty EDF file", where));
  }
  const int64_t capacity = records_ * options_.annotation_signals;
  if (int64_t(annotations_.size()) > capacity) {
    const auto n = annotations_.size();
    abandon();
    throw DataError(
        fmt::format("{}: {} annotations do not fit into {} data records x {} annotation signal(s); "
                    "raise annotation_signals",
                    where, n, records_, options_.annotation_signals));
  }
  std::stable_sort(annotations_.begin(), annotations_.end(),
                   [](const EdfAnnotation& x, const EdfAnnotation& y) { return x.onset_s < y.onset_s; });
  {
    std::lock_guard<std::mutex> lock(detail::edflib_mutex());
    for (const auto& a : annotations_) {
      // EDFlib 1.23: onset and duration in units of 100 us (edflib.h, edfwrite_annotation_utf8).
      const auto onset = static_cast<long long>(std::llround(a.onset_s * 1e4));
      const auto duration = a.duration_s < 0 ? -1LL : static_cast<long long>(std::llround(a.duration_s * 1e4));
      if (edfwrite_annotation_utf8(handle_, onset, duration, a.text.c_str()) != 0) {
        edfclose_file(handle_);
        handle_ = -1;
        std::error_code ec;
        fs::remove(temp_path_, ec);
        throw DataError(fmt::format("{}: EDFlib refused annotation '{}' at {} s", where, a.text, a.onset_s));
      }
    }
    const int err = edfclose_file(handle_);
    handle_ = -1;
    if (err != 0) {
      std::error_code ec;
      fs::remove(temp_path_, ec);
      throw DataError(fmt::format("{}: finalising the EDF file failed", where));
    }
  }
  atomic_rename(temp_path_, path_);
}

}  // namespace efm::io
