#pragma once
/// What a reader knows about one recording, independent of its file format. No patient-identifying header fields
/// (name, birth date, hospital code) are ever copied into these structs.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace efm::io {

/// One signal (channel) as declared by the file.
struct SignalHeader {
  std::string label;       ///< as in the file, trailing spaces removed (e.g. "EEG Fp1-REF")
  std::string unit;        ///< physical dimension as in the file (e.g. "uV", "mV", "")
  std::string transducer;  ///< transducer type field (may be empty)
  std::string prefilter;   ///< prefiltering field (may be empty)
  double sfreq_hz = 0;     ///< samples per second (may differ between signals)
  int64_t samples_per_record = 0;
  int64_t n_samples = 0;  ///< total samples of this signal in the file (all segments)
  double physical_min = 0, physical_max = 0;
  int64_t digital_min = 0, digital_max = 0;
  /// Multiply physical values by this to get microvolts; 0 when the unit is not a voltage (then `read` returns the
  /// physical value in the file's unit).
  double microvolts_per_unit = 0;
  bool is_voltage() const { return microvolts_per_unit > 0; }
  /// Physical value of one digital step (the LSB), in the file's physical unit.
  double lsb() const {
    return digital_max != digital_min ? (physical_max - physical_min) / double(digital_max - digital_min) : 0.0;
  }
};

/// A timed annotation (EDF+ TAL, BioSig event, ...). Onsets are seconds from the start of the recording.
struct Annotation {
  double onset_s = 0;
  double duration_s = 0;  ///< 0 when the file gives none
  std::string text;       ///< UTF-8
};

/// A contiguous run of data records. EDF+C files have one; EDF+D files have one per gap-free stretch, with the
/// true onset of each (gaps are never glued).
struct Segment {
  double onset_s = 0;        ///< start time of the first record of the segment, from the recording start
  int64_t first_record = 0;  ///< index of its first data record in the file
  int64_t n_records = 0;
};

struct RecordingInfo {
  std::filesystem::path path;
  std::string format;                 ///< "EDF", "EDF+C", "EDF+D", "BDF", "BDF+C", "BDF+D", "GDF", "BrainVision", ...
  std::string reader;                 ///< "edflib" or "biosig"
  std::vector<SignalHeader> signals;  ///< data signals only (annotation signals are not listed)
  double record_duration_s = 0;       ///< 0 for formats without data records
  int64_t n_records = 0;
  double duration_s = 0;          ///< from the start of the first to the end of the last segment
  std::vector<Segment> segments;  ///< >= 1 for any recording with data
  std::vector<Annotation> annotations;
  /// Every departure from the format standard that was tolerated, one sentence each (e.g. "reserved field says
  /// EDF+C but there is no 'EDF Annotations' signal"). Recorded in the store.
  std::vector<std::string> deviations;
};

}  // namespace efm::io
