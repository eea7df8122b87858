#pragma once
// epilepsyfm's own parser of the EDF/BDF header (256 bytes + 256 bytes per signal) and its consistency checks
// against the file. Used before any library is trusted with a file.
//
// Hard errors (DataError "<file>: <reason>"): file shorter than its header, unparsable or negative counts, header
// size field != 256 x (signals + 1), samples per record < 1, digital min >= max, physical min == max or not finite
// (data signals), record duration <= 0 with data signals, file size != header bytes + records x record bytes.
// Tolerated departures from the standard are listed in `deviations`, one sentence each; identifying fields (patient,
// recording identification, start date/time) are checked for structure only and never copied or quoted.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace efm::io::detail {

enum class EdfKind { edf, bdf, other };

/// The file kind from its first 8 bytes: "0       " -> EDF, 0xFF "BIOSEMI" -> BDF. Throws DataError if the file
/// cannot be opened.
EdfKind sniff_edf_kind(const std::filesystem::path& path);

/// One signal as declared by the header (annotation signals included).
struct EdfSignal {
  std::string label;       ///< trailing spaces removed, UTF-8
  std::string transducer;  ///< trimmed, UTF-8
  std::string unit;        ///< trimmed, UTF-8
  std::string prefilter;   ///< trimmed, UTF-8
  double physical_min = 0, physical_max = 0;
  int64_t digital_min = 0, digital_max = 0;
  int64_t samples_per_record = 0;
  int64_t byte_offset = 0;  ///< offset of this signal's samples within a data record
  bool is_annotation = false;
};

struct EdfHeader {
  std::filesystem::path path;
  bool bdf = false;            ///< 24-bit samples (BDF/BDF+)
  bool plus = false;           ///< EDF+/BDF+ (reserved field says so and an annotation signal exists)
  bool discontinuous = false;  ///< EDF+D/BDF+D
  std::string format;          ///< "EDF", "EDF+C", "EDF+D", "BDF", "BDF+C", "BDF+D"
  int bytes_per_sample = 2;
  int64_t header_bytes = 0;
  int64_t n_records = 0;
  int64_t record_bytes = 0;  ///< bytes of one data record (all signals)
  int64_t file_bytes = 0;
  double record_duration_s = 0;
  std::vector<EdfSignal> signals;       ///< all signals, file order
  std::vector<int> data_signals;        ///< indices into `signals` of the data signals
  std::vector<int> annotation_signals;  ///< indices into `signals` of the "EDF/BDF Annotations" signals
  std::vector<std::string> deviations;

  /// Sampling rate of signal `i` (samples per record / record duration); 0 when the duration is 0.
  double sfreq_hz(int i) const;
  /// Highest sampling rate over the data signals.
  double max_sfreq_hz() const;
};

/// Parses `header` (at least the first 256 bytes; all 256 x (ns + 1) bytes for the signal fields) of a file of
/// `file_bytes` bytes and runs the checks. `path` is used in messages only.
EdfHeader parse_edf_header(std::string_view header, int64_t file_bytes, const std::filesystem::path& path);

/// Reads the header of `path` and parses it (see parse_edf_header).
EdfHeader read_edf_header(const std::filesystem::path& path);

}  // namespace efm::io::detail
