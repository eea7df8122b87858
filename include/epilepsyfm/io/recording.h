#pragma once
/// What a reader knows about one recording, independent of its file format. No patient-identifying header fields
/// (name, birth date, hospital code, patient/recording identification, start date) are ever copied into these
/// structs, nor into log lines or deviation texts.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace efm::io {

/// One signal (channel) as declared by the file.
struct SignalHeader {
  std::string label;       ///< as in the file, trailing spaces removed (e.g. "EEG Fp1-REF"); UTF-8 (Latin-1
                           ///< header bytes are converted)
  std::string unit;        ///< physical dimension as in the file (e.g. "uV", "mV", ""), trailing spaces removed
  std::string transducer;  ///< transducer type field (may be empty)
  std::string prefilter;   ///< prefiltering field (may be empty)
  double sfreq_hz = 0;     ///< samples per second (may differ between signals; EDF: samples_per_record /
                           ///< record duration, e.g. 999.412 Hz, 173.61 Hz)
  int64_t samples_per_record = 0;
  int64_t n_samples = 0;  ///< total samples of this signal in the file (all segments)
  double physical_min = 0, physical_max = 0;
  int64_t digital_min = 0, digital_max = 0;  ///< 0/0 for floating-point formats (then lsb() is 0)
  /// Multiply physical values by this to get microvolts; 0 when the unit is not a voltage (then `read` returns the
  /// physical value in the file's unit).
  double microvolts_per_unit = 0;
  bool is_voltage() const { return microvolts_per_unit > 0; }
  /// Physical value of one digital step (the LSB), in the file's physical unit.
  double lsb() const {
    return digital_max != digital_min ? (physical_max - physical_min) / double(digital_max - digital_min) : 0.0;
  }
};

/// A timed annotation (EDF+ TAL, BioSig event, ...). Onsets are seconds from the start of the recording, i.e. of
/// its first data record (EDF+: TAL onset minus the first record's time-keeping onset, as MNE reports them).
/// Annotations may overlap; they are listed in file order.
struct Annotation {
  double onset_s = 0;
  double duration_s = 0;  ///< 0 when the file gives none
  std::string text;       ///< UTF-8 (Latin-1 texts are converted and the conversion is listed as a deviation)
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
  std::string format;  ///< "EDF", "EDF+C", "EDF+D", "BDF", "BDF+C", "BDF+D", "GDF", "BrainVision", ...
  std::string reader;  ///< "edflib" or "biosig"
  /// Why EDFlib refused the file when the tolerant policy read it through BioSig (EDFlib's error plus the header
  /// deviations that explain it); empty when EDFlib read it or for formats EDFlib does not handle.
  std::string edflib_refusal;
  std::vector<SignalHeader> signals;  ///< data signals only, in file order (annotation signals are not listed)
  double record_duration_s = 0;       ///< 0 for formats without data records
  int64_t n_records = 0;
  double duration_s = 0;          ///< from the start of the first to the end of the last segment
  std::vector<Segment> segments;  ///< >= 1 for any recording with data
  std::vector<Annotation> annotations;
  /// Every departure from the format standard that was tolerated, one sentence each (e.g. "reserved field says
  /// EDF+C but there is no 'EDF Annotations' signal"). Recorded in the store. Never quotes identifying fields.
  std::vector<std::string> deviations;
  /// Hex SHA-256 of the whole file when ReaderOptions::sha256 asked for it and the reader computed it on its open
  /// pass (EDF/BDF: during the record scan, saving a separate read of the file); empty otherwise.
  std::string sha256;
};

}  // namespace efm::io
