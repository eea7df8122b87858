#pragma once
/// Writing EDF+ and BDF+ files (through EDFlib's write API), one data record at a time.
///
///   efm::io::EdfWriterOptions opt;                       // EDF+, 1-s records, start 01.01.2000 00:00:00
///   std::vector<efm::io::EdfSignalSpec> signals{{"FP1", 256, -3200, 3200}, {"FP2", 256, -3200, 3200}};
///   efm::io::EdfWriter w("out.edf", opt, signals);
///   w.add_annotation({12.5, 40.0, "seizure_focal"});
///   for (...) w.write_record({fp1_ptr, fp2_ptr});     // 256 microvolt values per signal
///   w.close();                                           // out.edf appears only now (temp file + rename)
///
/// Contract:
/// - Physical values are converted to digital values here, rounding to the nearest step, so a reader that applies
///   the header's scaling gets every value back within half a step (LSB) unless it was clipped. Values outside
///   [physical_min, physical_max] are clipped and counted (`clipped_samples()`); NaN/inf are refused.
/// - The physical minimum/maximum are used exactly as EDFlib writes them into the 8-character header fields (EDFlib
///   truncates, e.g. 3276.7 becomes "3276.699"), so the conversion and the header always agree.
/// - Deterministic bytes: the start date/time is fixed by the options (never the clock), the patient is anonymous
///   ("X"), and annotations are written sorted by onset (ties keep insertion order).
/// - Nothing is silently lost: annotation texts longer than EDFlib's 40-byte limit and more annotations than the
///   file can hold (data records x annotation signals) are errors, not truncations.
/// - The file is written to a temporary sibling and renamed to `path` by `close()`; a writer destroyed without
///   `close()` (e.g. during an exception) removes the temporary file, so no half-written file ever has the final name.
/// - EDFlib keeps global state; every EDFlib call made here holds the io layer's EDFlib mutex, so writers on
///   different threads (and readers) may be used concurrently. One writer must not be shared between threads.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace efm::io {

enum class EdfFileType {
  edf_plus,  ///< 16-bit samples (digital range -32768..32767)
  bdf_plus,  ///< 24-bit samples (digital range -8388608..8388607)
};

/// One data signal (channel).
struct EdfSignalSpec {
  std::string label;               ///< e.g. "FP1" (at most 16 ASCII characters)
  int64_t samples_per_record = 0;  ///< samples in one data record (= sampling rate for 1-s records)
  double physical_min = 0;         ///< value of `digital_min`, in `unit`
  double physical_max = 0;         ///< value of `digital_max`, in `unit`
  std::string unit = "uV";         ///< physical dimension (at most 8 ASCII characters)
  /// Digital range; 0/0 means the full range of the file type (EDF+: -32768..32767, BDF+: -8388608..8388607).
  int64_t digital_min = 0;
  int64_t digital_max = 0;
  std::string transducer;  ///< optional, at most 80 characters
  std::string prefilter;   ///< optional, at most 80 characters
};

/// A timed annotation (EDF+ TAL). Onset and duration are stored with 100 us resolution (EDFlib).
struct EdfAnnotation {
  double onset_s = 0;      ///< seconds from the start of the recording, >= 0
  double duration_s = -1;  ///< seconds; < 0 means "no duration"
  std::string text;        ///< UTF-8, at most 40 bytes (EDFlib 1.23 write limit)
};

struct EdfWriterOptions {
  EdfFileType type = EdfFileType::edf_plus;
  /// Data record duration in seconds; a multiple of 10 us in [0.001, 60] (EDFlib's range).
  double record_duration_s = 1.0;
  /// Start date and time written into the header (EDFlib accepts years 1985-2084).
  int start_year = 2000, start_month = 1, start_day = 1;
  int start_hour = 0, start_minute = 0, start_second = 0;
  std::string patient_name = "X";  ///< anonymous by default (at most 40 characters)
  /// Free texts of the EDF+ recording field (spaces in `equipment` are stored as '_', per EDF+); together at most
  /// 39 characters, the room EDFlib leaves in the 80-character field.
  std::string recording_additional;
  std::string equipment;
  /// Annotation signals (1..64). Each data record holds one annotation per annotation signal.
  int annotation_signals = 1;
};

class EdfWriter {
 public:
  /// Validates the specs (labels, ranges, samples per record, record duration) and opens the temporary file.
  /// Throws ArgumentError for invalid specs and DataError naming the path when the file cannot be created.
  EdfWriter(std::filesystem::path path, EdfWriterOptions options, std::vector<EdfSignalSpec> signals);
  ~EdfWriter();
  EdfWriter(const EdfWriter&) = delete;
  EdfWriter& operator=(const EdfWriter&) = delete;

  /// Writes one data record: `per_signal[i]` points to `signals[i].samples_per_record` physical values.
  void write_record(const std::vector<const double*>& per_signal);
  /// Adds an annotation (written at `close()`). Throws ArgumentError for a negative onset or a text over 40 bytes.
  void add_annotation(const EdfAnnotation& annotation);
  /// Writes the annotations, finalises the header and renames the temporary file to `path`. Throws DataError when
  /// the annotations do not fit (more than records x annotation_signals) or the file cannot be finalised.
  void close();

  int64_t records_written() const { return records_; }
  /// Samples clipped to the physical range so far, over all signals.
  int64_t clipped_samples() const { return clipped_; }
  const std::filesystem::path& path() const { return path_; }
  /// The physical minimum/maximum of signal `i` as stored in the header (after EDFlib's 8-character formatting).
  double header_physical_min(int i) const;
  double header_physical_max(int i) const;

 private:
  void abandon() noexcept;

  std::filesystem::path path_, temp_path_;
  EdfWriterOptions options_;
  std::vector<EdfSignalSpec> signals_;
  std::vector<double> phys_min_, phys_max_;  // as written into the header
  std::vector<EdfAnnotation> annotations_;
  std::vector<int> digital_buf_;
  int handle_ = -1;
  int64_t records_ = 0;
  int64_t clipped_ = 0;
};

/// The value EDFlib 1.23 stores in an 8-character header field for `value` (its number formatting truncates
/// decimals rather than rounding): e.g. 3276.7 -> 3276.699, -3200 -> -3200.
double edflib_header_number(double value);

}  // namespace efm::io
