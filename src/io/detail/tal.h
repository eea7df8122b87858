#pragma once
// epilepsyfm's own EDF+ TAL (Time-stamped Annotations List) parser, used for EDF+ and BDF+ files whichever library
// decodes the samples.
//
// Grammar (EDF+ spec 2.2.2): TAL = Onset [0x15 Duration] 0x14 (Text 0x14)* 0x00, Onset = [+-]digits[.digits].
// The first TAL of the first annotation signal of every data record is the time-keeping TAL ("+<start>\x14\x14"),
// whose onset is the record's start time; further texts in that TAL are ordinary annotations at that onset.
// Tolerated (and counted): TALs not closed by 0x00 before the end of the block, texts not closed by 0x14, onsets
// without a sign, unparsable bytes (skipped to the next 0x00), empty texts, texts that are not UTF-8 (read as
// Latin-1), writer artefacts such as bare time stamps as texts ("+1.000000", Nihon Kohden). Overlapping annotations
// are legal and kept. Texts are returned exactly as MNE 1.3 `read_raw_edf` reports them.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "epilepsyfm/io/recording.h"

namespace efm::io::detail {

/// One TAL as written: texts are raw bytes; empty texts are kept (the time-keeping TAL's first text is empty).
struct Tal {
  double onset_s = 0;
  double duration_s = 0;
  bool has_duration = false;
  std::vector<std::string> texts;
};

/// Counts of tolerated problems, turned into deviation sentences by `report`.
struct TalProblems {
  int64_t unterminated_tals = 0;   ///< TAL not closed by 0x00 before the end of its block
  int64_t unterminated_texts = 0;  ///< text not closed by 0x14
  int64_t unsigned_onsets = 0;     ///< onset without '+'/'-'
  int64_t bad_durations = 0;       ///< duration that is not a number (read as 0)
  int64_t skipped_garbage = 0;     ///< runs of bytes that do not start a TAL (skipped up to the next 0x00)
  void report(std::vector<std::string>& deviations) const;
};

/// Parses the bytes of one annotation signal in one data record (trailing 0x00 padding allowed).
std::vector<Tal> parse_tal_block(std::string_view bytes, TalProblems& problems);

/// Annotations and record onsets of an EDF+/BDF+ file.
struct EdfAnnotationData {
  std::vector<Annotation> annotations;  ///< file order; onsets relative to record 0's time-keeping onset
  /// Per data record: the time-keeping onset relative to record 0's (NaN if the record has none).
  std::vector<double> record_onsets_s;
  double start_offset_s = 0;            ///< record 0's time-keeping onset (the sub-second start after the header time)
  std::vector<std::string> deviations;  ///< of the TALs (and of the data samples, see scan_edf_records)
};

/// Accumulates the annotation blocks of a file, record by record.
class TalCollector {
 public:
  explicit TalCollector(int64_t n_records);
  /// The bytes of annotation signal `a` (0 = the first annotation signal of a record) in data record `record`.
  /// Records must be added in increasing order.
  void add_block(int64_t record, int a, std::string_view bytes);
  EdfAnnotationData finish();

 private:
  struct Raw {
    double onset_abs_s, duration_s;
    std::string text;
  };
  std::vector<Raw> raw_;
  std::vector<double> onsets_abs_;
  TalProblems problems_;
  int64_t missing_timekeeping_ = 0;
  int64_t first_missing_timekeeping_ = -1;
  int64_t empty_texts_ = 0;
};

}  // namespace efm::io::detail
