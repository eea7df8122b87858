#include "io/detail/mapped_signal.h"

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "io/detail/hdf5.h"

namespace efm::io::detail {

namespace {

/// binary16 -> float32 for every bit pattern (Eigen's conversion, once): one load per sample when reading.
const std::array<float, 65536>& half_table() {
  static const std::array<float, 65536> table = [] {
    std::array<float, 65536> t{};
    for (uint32_t h = 0; h < 65536; ++h) {
      t[h] = static_cast<float>(Eigen::numext::bit_cast<Eigen::half>(static_cast<uint16_t>(h)));
    }
    return t;
  }();
  return table;
}

bool is_type(hid_t type, hid_t expected) {
  return H5Tequal(type, expected) > 0;
}

}  // namespace

void normalise_row(float* row, int64_t n, float shift, float gain) {
  for (int64_t i = 0; i < n; ++i) row[i] = (row[i] - shift) * gain;
}

void halves_to_floats(const uint16_t* halves, size_t n, float* out) {
  const auto& table = half_table();
  for (size_t i = 0; i < n; ++i) out[i] = table[halves[i]];
}

std::unique_ptr<const MappedSignal> MappedSignal::probe(hid_t dset, std::shared_ptr<const MappedFile> file) {
  if constexpr (std::endian::native != std::endian::little) return nullptr;
  Hid dcpl(H5Dget_create_plist(dset));
  if (!dcpl.valid() || H5Pget_layout(dcpl) != H5D_CHUNKED || H5Pget_nfilters(dcpl) != 0) return nullptr;
  hsize_t chunk[2] = {0, 0};
  if (H5Pget_chunk(dcpl, 2, chunk) != 2) return nullptr;
  Hid space(H5Dget_space(dset));
  hsize_t dims[2] = {0, 0};
  if (!space.valid() || H5Sget_simple_extent_ndims(space) != 2 || H5Sget_simple_extent_dims(space, dims, nullptr) < 0) {
    return nullptr;
  }
  if (chunk[0] != dims[0] || chunk[1] == 0) return nullptr;
  Hid type(H5Dget_type(dset));
  size_t elem = 0;
  if (is_type(type, H5T_IEEE_F32LE)) {
    elem = 4;
  } else if (is_type(type, float16_type())) {
    elem = 2;  // float16_type() is little-endian (copied from H5T_IEEE_F32LE)
  } else {
    return nullptr;
  }
  // Chunk addresses count from the superblock; with a user block in front they would not be file offsets.
  Hid fid(H5Iget_file_id(dset));
  Hid fcpl(fid.valid() ? H5Fget_create_plist(fid) : -1);
  hsize_t userblock = 1;
  if (!fcpl.valid() || H5Pget_userblock(fcpl, &userblock) < 0 || userblock != 0) return nullptr;

  std::unique_ptr<MappedSignal> s(new MappedSignal());
  s->channels_ = static_cast<int64_t>(dims[0]);
  s->chunk_n_ = static_cast<int64_t>(chunk[1]);
  s->elem_ = elem;
  const uint64_t chunk_bytes = chunk[0] * chunk[1] * elem;
  const hsize_t n_chunks = (dims[1] + chunk[1] - 1) / chunk[1];
  s->chunk_offset_.reserve(n_chunks);
  for (hsize_t k = 0; k < n_chunks; ++k) {
    const hsize_t coord[2] = {0, k * chunk[1]};
    unsigned filter_mask = 0;
    haddr_t addr = HADDR_UNDEF;
    hsize_t size = 0;
    if (H5Dget_chunk_info_by_coord(dset, coord, &filter_mask, &addr, &size) < 0 || addr == HADDR_UNDEF ||
        size != chunk_bytes || addr + size > file->size()) {
      hdf5_error();  // clears the stack: the HDF5 path reports the real problem, if any
      return nullptr;
    }
    s->chunk_offset_.push_back(addr);
  }
  s->file_ = std::move(file);
  return s;
}

void MappedSignal::read(int64_t start, int64_t n, const float* shift, const float* gain, float* out) const {
  const uint8_t* base = file_->data();
  uint16_t h[512];
  for (int64_t c = 0; c < channels_; ++c) {
    float* row = out + c * n;
    int64_t done = 0;
    while (done < n) {
      const int64_t s = start + done;
      const int64_t k = s / chunk_n_;
      const int64_t in_chunk = s - k * chunk_n_;
      const int64_t m = std::min(n - done, chunk_n_ - in_chunk);
      const uint8_t* src =
          base + chunk_offset_[static_cast<size_t>(k)] + static_cast<size_t>(c * chunk_n_ + in_chunk) * elem_;
      float* dst = row + done;
      if (elem_ == 4) {
        std::memcpy(dst, src, static_cast<size_t>(m) * 4);  // memcpy: chunk offsets need not be 4-byte aligned
        if (shift != nullptr) normalise_row(dst, m, shift[c], gain[c]);
      } else {
        for (int64_t i0 = 0; i0 < m; i0 += 512) {
          const int64_t len = std::min<int64_t>(512, m - i0);
          std::memcpy(h, src + static_cast<size_t>(i0) * 2, static_cast<size_t>(len) * 2);
          halves_to_floats(h, static_cast<size_t>(len), dst + i0);
        }
        if (shift != nullptr) normalise_row(dst, m, shift[c], gain[c]);
      }
      done += m;
    }
  }
}

}  // namespace efm::io::detail
