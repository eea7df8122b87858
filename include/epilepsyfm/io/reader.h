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
/// How an EDF/BDF file is read (the file kind is sniffed from its first 8 bytes, not from the extension):
///  1. epilepsyfm's own header parser reads the 256-byte header and the 256 bytes per signal and checks them against
///     the file (hard errors: DataError naming the file and the numbers) and lists tolerated deviations.
///  2. One pass over the data records: epilepsyfm's own EDF+ TAL parser reads the annotation signals of every
///     record (annotations, and the time-keeping onset of every record), and every data sample is checked against
///     its signal's declared digital range (samples outside it are a deviation; they are not clipped, as MNE and
///     BioSig do not clip them). EDF+D records are grouped into `Segment`s by those onsets (a gap of more
///     than half a sample of the fastest signal starts a new segment; overlapping or backwards records are an
///     error). Gaps are never glued: `read` counts samples in file order, `segments` says where the gaps are.
///  3. EDFlib opens the file (strict validation; on its own thread, concurrently with step 2, as both read the
///     whole file). If it accepts, RecordingInfo.reader = "edflib".
///     EDFlib refuses every EDF+D file; `strict` then fails with a message naming the tolerant policy.
///  4. If EDFlib refuses the file's format and the policy is `tolerant`, EDFlib's reason is logged (EFM_LOG_WARN)
///     and recorded in RecordingInfo.edflib_refusal, and the file is re-read through BioSig (reader = "biosig").
///     Without BioSig in the build, the error names EDFlib's reason and the hint to rebuild with
///     -DEFM_WITH_BIOSIG=ON. EDFlib resource and I/O failures (64 files open, same file already open in the
///     `edflib` decode mode, read error) are errors under either policy, never a reason to switch readers.
/// Annotations and segments of EDF/BDF files come from step 2 whichever library decodes the samples, so both
/// readers report identical annotations. Other formats (GDF, BrainVision .vhdr, ...) go to BioSig directly
/// (reader = "biosig"; annotations from BioSig's event table; BrainVision channel units and markers are read from
/// the .vhdr/.vmrk by epilepsyfm and named as MNE names them, "<Type>/<Description>"). Known defects of the Debian
/// EDFlib and BioSig builds, and how this layer works around them, are listed in third_party/README.md.
///
/// Units: voltage signals ("uV", "µV", "mV", "V", "nV"; see core/units.h) are returned in microvolts; any other
/// unit is returned unchanged in the file's unit (SignalHeader::microvolts_per_unit == 0 tells which).
///
/// Threads: EDFlib and BioSig keep global state (EDFlib: its table of open files; BioSig: its global event-code
/// table and error state), so every call into either library is serialised by a mutex inside this layer; callers
/// may open and read different files from different threads. Decoding after the library calls runs unlocked.
///
/// Speed and memory: `read` serves requests from one block of whole data records read at once (at least 4 MB, at
/// most 256 MB, held by the source until the next block is needed). Reading all signals of one time chunk (e.g.
/// 10-60 s) before moving on reads every byte once with a small block: the pattern to use. `read_block` does that
/// for several signals at once and decodes each record once, straight into float32 (ingest reads this way).
/// Reading one signal over the whole file, then the next, keeps the whole file in the block for files up to 256 MB
/// of records and re-reads larger files per signal. Measured (bench/read, 1 h x 64 signals x 160 Hz, open + read in
/// 10-s chunks): EDFlib path 0.09 s, BioSig path 0.28 s, EDFlib's own decoding 0.59 s, MNE 1.3 read_raw_edf 0.80 s.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "epilepsyfm/config/io_names.h"
#include "epilepsyfm/io/recording.h"

namespace efm::io {

/// strict (EDFlib only) | tolerant (EDFlib, then BioSig); the names are config/io_names.h's.
using ReaderPolicy = config::ReaderPolicy;

/// How the EDFlib path decodes samples once EDFlib has accepted a file.
enum class EdfDecode {
  /// Whole data records are read in large blocks and converted with EDFlib's formula and EDFlib's parsed header
  /// values (physical = bitvalue * (offset + digital), bitvalue = (pmax - pmin) / (dmax - dmin), offset = pmax /
  /// bitvalue - dmax), so values are bit-identical to edfread_physical_samples, except for digital samples outside
  /// the declared digital range: EDFlib 1.23 clips them to the range, block decoding does not (as MNE and BioSig;
  /// such samples are listed as a deviation at open). About 10x faster than EDFlib, which reads one byte per fgetc
  /// call and seeks once per record and signal.
  block,
  /// edfread_physical_samples itself (kept open for the life of the source; EDFlib allows at most 64 open files
  /// and refuses to open the same file twice at once).
  edflib,
};

struct ReaderOptions {
  ReaderPolicy policy = ReaderPolicy::tolerant;
  EdfDecode edf_decode = EdfDecode::block;
  /// EDF/BDF: also hash the file during the open-time record scan (RecordingInfo::sha256; on a helper thread, so
  /// the scan hardly slows down). Other formats leave RecordingInfo::sha256 empty: use sha256_file() for them.
  bool sha256 = false;
};

/// An open recording. Not thread-safe: use one per thread.
class SignalSource {
 public:
  virtual ~SignalSource() = default;
  virtual const RecordingInfo& info() const = 0;
  /// Reads `count` samples of data signal `signal`, starting at sample `start` (counted over the whole file, in
  /// file order, across segments), into `out`: microvolts for voltage signals, the file's unit otherwise.
  /// Throws ArgumentError for an out-of-range request and DataError for read failures or non-finite values,
  /// naming the file (and signal).
  virtual void read(int signal, int64_t start, int64_t count, double* out) = 0;
  /// Reads samples [start, start + count) of several data signals at once, as float32, column-major: sample t of
  /// signals[k] goes to out[t * ld + k] (ld >= signals.size(); the range must be valid for every signal). Values are
  /// read()'s values rounded to float (so |x| > 3.4e38 becomes +-inf); the same errors as read(). The default calls
  /// read() per signal; the EDF/BDF block decoder (EdfDecode::block) converts all signals of each data record in one
  /// pass instead.
  virtual void read_block(const std::vector<int>& signals, int64_t start, int64_t count, float* out, int64_t ld);
};

/// Opens a recording, choosing the reader by content and `options.policy` (see above). Throws DataError naming the
/// file and the reason when it cannot be read (missing, truncated, header lies about its size, physical min = max,
/// digital min >= max, record duration 0 with data signals, no data signals, no data records, unsupported format,
/// EDF+D under `strict`, BioSig not built in: "... rebuild with -DEFM_WITH_BIOSIG=ON (libbiosig-dev) to read it").
std::unique_ptr<SignalSource> open_recording(const std::filesystem::path& path, const ReaderOptions& options = {});

/// The annotations of a recording without opening its data: EDF/BDF through the TAL parser (this also works for
/// annotation-only files such as Sleep-EDF hypnograms, which `open_recording` refuses with "no data signals"),
/// other formats through BioSig's event table. The header checks of `open_recording` apply (a file whose size
/// does not match its header is refused).
std::vector<Annotation> read_annotations(const std::filesystem::path& path);

/// True if this build includes the BioSig reader.
bool biosig_available();
/// What this build links, e.g. "EDFlib 1.23, BioSig (libbiosig 3.0.1)" (libbiosig reports 3.0.1 for Debian's
/// biosig 2.5.0 package), or "EDFlib 1.23, BioSig not built in".
std::string reader_library_versions();

}  // namespace efm::io
