#pragma once
// The two reader implementations behind open_recording (reader.cpp) and helpers they share.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "epilepsyfm/io/reader.h"
#include "io/detail/edf_header.h"

namespace efm::io::detail {

// ---- shared by the SignalSource implementations (source_util.cpp) ----

/// Throws ArgumentError naming the file unless `signal`, [start, start + count) and `out` are valid.
void check_read_request(const RecordingInfo& info, int signal, int64_t start, int64_t count, const void* out);
/// Converts physical values of `signal` to microvolts (voltage units) in place and throws DataError naming the
/// file, signal and sample if a value is not finite.
void finish_samples(const RecordingInfo& info, int signal, int64_t start, int64_t count, double* out);
/// Checks a read_block() request: ArgumentError naming the file for an invalid signal, range, ld or null `out`.
void check_block_request(const RecordingInfo& info, const std::vector<int>& signals, int64_t start, int64_t count,
                         const float* out, int64_t ld);

// ---- EDFlib (edflib_reader.cpp) ----

struct EdflibAttempt {
  std::unique_ptr<SignalSource> source;  ///< set when EDFlib accepted the file
  std::string refusal;                   ///< EDFlib's reason otherwise ("file contains format errors (-3)", ...)
  int code = 0;                          ///< EDFlib's error code (filetype < 0)
  /// The refusal is about the file's format (fall back to BioSig under the tolerant policy), not a resource or I/O
  /// failure (too many open files, file already open, read error), which is reported as an error.
  bool format_refusal() const;
};
/// EDFlib's own open of a header-checked EDF/BDF file (edfopen_file_readonly with all annotations, i.e. its full
/// validation, which reads every record), kept until open_edflib() makes a source of it; destroying it closes the
/// file. Independent of the TAL scan, so open_recording runs the two concurrently. Thread-safe (EDFlib lock).
struct EdflibOpened;
struct EdflibOpenedDeleter {
  void operator()(EdflibOpened* p) const;
};
using EdflibOpenedPtr = std::unique_ptr<EdflibOpened, EdflibOpenedDeleter>;
EdflibOpenedPtr edflib_open(const EdfHeader& header);
/// Makes a source of an EDFlib open (or the refusal). Throws DataError if EDFlib's view of the header disagrees with
/// epilepsyfm's parser (signal count, samples per record, records).
EdflibAttempt open_edflib(const EdfHeader& header, RecordingInfo info, EdfDecode decode, EdflibOpenedPtr opened);
std::string edflib_version();

// ---- BioSig (biosig_reader.cpp, only compiled with EFM_WITH_BIOSIG) ----

/// Reads a header-checked EDF/BDF file through BioSig; `info` (from the header and TAL parsers) is kept, BioSig
/// only decodes the samples. Throws DataError if BioSig's view of the file disagrees with the header.
std::unique_ptr<SignalSource> open_biosig_edf(const EdfHeader& header, RecordingInfo info);
/// Any other format BioSig reads (GDF, BrainVision .vhdr, Micromed TRC, Nihon Kohden, Neuroscan CNT, ...).
std::unique_ptr<SignalSource> open_biosig(const std::filesystem::path& path);
/// BioSig's event table of a non-EDF file as annotations.
std::vector<Annotation> biosig_annotations(const std::filesystem::path& path);
std::string biosig_version();

}  // namespace efm::io::detail
