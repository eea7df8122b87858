#pragma once
/// Opening recordings. Two implementations sit behind `SignalSource`: EDFlib (strict, first choice for EDF/BDF)
/// and BioSig (tolerant path for non-conformant EDF/BDF and for GDF, BrainVision, Micromed TRC, Nihon Kohden, ...;
/// only when built with EFM_WITH_BIOSIG). Before either is trusted, the EDF/BDF header is checked against the file
/// (size = header bytes + records x record bytes, sample counts, physical/digital ranges, record duration > 0);
/// a file that fails these checks is refused with the reason, whatever BioSig would say.
///
///   auto src = efm::io::open_recording("a.edf", {});          // tolerant policy
///   std::vector<double> x(src->info().signals[0].n_samples);
///   src->read(0, 0, x.size(), x.data());                       // microvolts
///
/// EDFlib keeps global state: all EDFlib calls are serialised inside this layer; callers may open and read
/// different files from different threads.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "epilepsyfm/io/recording.h"

namespace efm::io {

enum class ReaderPolicy {
  strict,    ///< EDFlib only; files EDFlib refuses are errors (with EDFlib's reason)
  tolerant,  ///< EDFlib first; when it refuses, log its reason and re-read through BioSig (if built in)
};

struct ReaderOptions {
  ReaderPolicy policy = ReaderPolicy::tolerant;
};

/// An open recording. Not thread-safe: use one per thread.
class SignalSource {
 public:
  virtual ~SignalSource() = default;
  virtual const RecordingInfo& info() const = 0;
  /// Reads `count` samples of data signal `signal`, starting at sample `start` (counted over the whole file, in
  /// file order, across segments), into `out`: microvolts for voltage signals, the file's unit otherwise.
  /// Throws ArgumentError for an out-of-range request and DataError for read failures, naming the file.
  virtual void read(int signal, int64_t start, int64_t count, double* out) = 0;
};

/// Opens a recording, choosing the reader by extension and `options.policy`. Throws DataError naming the file and
/// the reason when it cannot be read (truncated, header lies about its size, unsupported format, BioSig not built
/// in: "... rebuild with -DEFM_WITH_BIOSIG=ON (libbiosig-dev) to read it").
std::unique_ptr<SignalSource> open_recording(const std::filesystem::path& path, const ReaderOptions& options = {});

/// True if this build includes the BioSig reader.
bool biosig_available();
/// "EDFlib 1.23, BioSig 2.5.0" (what this build links).
std::string reader_library_versions();

}  // namespace efm::io
