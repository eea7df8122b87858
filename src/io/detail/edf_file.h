#pragma once
// Block access to the data records of a header-checked EDF/BDF file, sample conversion, and the parts of
// RecordingInfo that come from epilepsyfm's own header and TAL parsers (shared by both readers).
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "epilepsyfm/io/recording.h"
#include "io/detail/edf_header.h"
#include "io/detail/tal.h"

namespace efm::io::detail {

/// Reads whole data records (unbuffered, one fread per block).
class EdfRecordFile {
 public:
  explicit EdfRecordFile(const EdfHeader& header);
  ~EdfRecordFile();
  EdfRecordFile(const EdfRecordFile&) = delete;
  EdfRecordFile& operator=(const EdfRecordFile&) = delete;

  /// Reads records [first, first + count) (count x record_bytes bytes) into `buffer`. Throws DataError naming the
  /// file if the read comes up short.
  void read_records(int64_t first, int64_t count, std::vector<uint8_t>& buffer);
  /// Reads the header bytes (header_bytes from the start of the file) into `buffer`.
  void read_header(std::vector<uint8_t>& buffer);

 private:
  const EdfHeader& header_;
  std::FILE* file_ = nullptr;
};

/// physical = bitvalue * (offset + digital): EDFlib 1.23's formula (edflib.c, edflib_check_edf_file and
/// edfread_physical_samples), evaluated in the same order so that results are bit-identical.
struct EdfScaling {
  double bitvalue = 1, offset = 0;
  static EdfScaling from_range(double physical_min, double physical_max, double digital_min, double digital_max);
};

/// Converts `count` samples of one signal, starting at sample `first` of a block of whole records that begins at a
/// record boundary, to physical values (file unit).
void decode_edf_samples(const uint8_t* block, int64_t record_bytes, int bytes_per_sample, const EdfSignal& signal,
                        const EdfScaling& scaling, int64_t first, int64_t count, double* out);

/// A cache of one block of whole records, serving per-signal sample requests (see reader.h "Speed").
class EdfBlockCache {
 public:
  explicit EdfBlockCache(const EdfHeader& header);
  /// Decodes samples [start, start + count) of header signal `index` (physical values, file unit).
  void read(int index, const EdfScaling& scaling, int64_t start, int64_t count, double* out);
  /// The first non-finite value read_block() met (found == false: none).
  struct NonFinite {
    bool found = false;
    size_t k = 0;        ///< index into `index`
    int64_t sample = 0;  ///< sample number within the signal
    double value = 0;
  };
  /// Decodes samples [start, start + count) of the header signals `index[k]` (all with the same samples per record)
  /// into out[t * ld + k] as float: physical value (as read()) times factor[k] in double (factor 1 = unchanged),
  /// then rounded to float; one pass per data record over all signals. Stops at the first value that is not finite
  /// in double and returns it.
  NonFinite read_block(const std::vector<int>& index, const std::vector<EdfScaling>& scaling,
                       const std::vector<double>& factor, int64_t start, int64_t count, float* out, int64_t ld);

 private:
  void load(int64_t first_record, int64_t n_records);
  /// Makes sure the block holds record r0 and as many of the records up to r_end as the block size limit allows
  /// (reading ahead at least kMinBlockBytes); returns the end of the records available from r0.
  int64_t ensure(int64_t r0, int64_t r_end);
  const EdfHeader& header_;
  EdfRecordFile file_;
  std::vector<uint8_t> buffer_;
  int64_t first_ = 0, n_ = 0;  // records held in buffer_
  int64_t max_records_ = 1;    // block size limit
};

/// One pass over the data records at open: the annotation signals of every record go through the TAL parser
/// (an empty result for a file without annotation signals), and with `check_digital_ranges` every data sample is
/// checked against its signal's declared digital range. Samples outside it are reported in `deviations` (they are
/// not clipped: MNE and BioSig do not clip either; EDFlib 1.23's edfread_physical_samples clips them).
/// With `sha256`, the whole file (header and records) is also hashed on the way, on a helper thread that overlaps
/// the next block's read, and the hex digest is stored there.
EdfAnnotationData scan_edf_records(const EdfHeader& header, bool check_digital_ranges, std::string* sha256 = nullptr);

/// RecordingInfo from the header and annotations: format, data signals, record geometry, annotations, segments
/// (EDF+D: from the time-keeping onsets; gaps start a new segment, overlaps throw DataError), deviations. `reader`
/// is left empty.
RecordingInfo edf_recording_info(const EdfHeader& header, const EdfAnnotationData& annotations);

}  // namespace efm::io::detail
