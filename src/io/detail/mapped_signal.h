#pragma once
// The signal of one stored recording read straight out of its memory-mapped shard, without HDF5: a table of the
// file offset of every time chunk, built once under the HDF5 lock, then lock-free copies from any thread. Only
// for signals HDF5 stores as plain bytes (no filters: the store's default `compression: 0`); compressed signals are
// read through HDF5.
#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "io/detail/mapped_file.h"

namespace efm::io::detail {

class MappedSignal {
 public:
  /// The signal dataset `dset` of the shard mapped as `file`, when its bytes can be used as they lie: chunks of
  /// [all channels, chunk_n] samples, no filters, little-endian float32 or binary16 on a little-endian host, no
  /// user block, every chunk allocated, full-sized and inside the file. nullptr otherwise (read through HDF5).
  /// Call with the HDF5 lock held.
  static std::unique_ptr<const MappedSignal> probe(hid_t dset, std::shared_ptr<const MappedFile> file);

  /// Samples [start, start + n) of every channel into `out` ([channels, n] row-major float32). With `shift` and
  /// `gain` (one per channel) each value is (x - shift[c]) * gain[c]; with nullptr, x. The caller checks the range.
  void read(int64_t start, int64_t n, const float* shift, const float* gain, float* out) const;

  int64_t channels() const { return channels_; }

 private:
  MappedSignal() = default;
  std::shared_ptr<const MappedFile> file_;
  int64_t channels_ = 0, chunk_n_ = 0;
  size_t elem_ = 4;                     // bytes per sample: 4 (float32) or 2 (binary16)
  std::vector<uint64_t> chunk_offset_;  // file offset of time chunk k
};

/// row[i] = (row[i] - shift) * gain for i in [0, n): the store's normalisation, the same arithmetic on both paths.
void normalise_row(float* row, int64_t n, float shift, float gain);
/// binary16 bit patterns -> float32 (a table of Eigen's conversion), for both read paths.
void halves_to_floats(const uint16_t* halves, size_t n, float* out);

}  // namespace efm::io::detail
