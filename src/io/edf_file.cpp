#include "io/detail/edf_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <future>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/sha256.h"
#include "epilepsyfm/core/units.h"
#include "io/detail/layout.h"

namespace efm::io::detail {

namespace {
// Block size for sample reads: large enough to amortise the read call, small enough for bounded memory.
constexpr int64_t kMinBlockBytes = int64_t(4) << 20;
constexpr int64_t kMaxBlockBytes = int64_t(256) << 20;
// Scan pass at open (TALs, digital ranges): bytes per read.
constexpr int64_t kScanBlockBytes = int64_t(8) << 20;
}  // namespace

EdfRecordFile::EdfRecordFile(const EdfHeader& header) : header_(header) {
  file_ = std::fopen(header.path.c_str(), "rb");
  if (!file_)
    throw DataError(fmt::format("{}: cannot open for reading: {}", header.path.string(), std::strerror(errno)));
  std::setvbuf(file_, nullptr, _IONBF, 0);  // every read is a large block: stdio buffering only adds a copy
}

EdfRecordFile::~EdfRecordFile() {
  if (file_) std::fclose(file_);
}

void EdfRecordFile::read_records(int64_t first, int64_t count, std::vector<uint8_t>& buffer) {
  const int64_t bytes = count * header_.record_bytes;
  buffer.resize(size_t(bytes));
  const int64_t offset = header_.header_bytes + first * header_.record_bytes;
  if (fseeko(file_, off_t(offset), SEEK_SET) != 0 ||
      std::fread(buffer.data(), 1, size_t(bytes), file_) != size_t(bytes))
    throw DataError(fmt::format("{}: could not read data records {}..{} ({} bytes at offset {}): {}",
                                header_.path.string(), first, first + count - 1, bytes, offset,
                                std::ferror(file_) ? std::strerror(errno) : "unexpected end of file"));
}

void EdfRecordFile::read_header(std::vector<uint8_t>& buffer) {
  buffer.resize(size_t(header_.header_bytes));
  if (fseeko(file_, 0, SEEK_SET) != 0 || std::fread(buffer.data(), 1, buffer.size(), file_) != buffer.size())
    throw DataError(fmt::format("{}: could not read its {}-byte header: {}", header_.path.string(), buffer.size(),
                                std::ferror(file_) ? std::strerror(errno) : "unexpected end of file"));
}

EdfScaling EdfScaling::from_range(double physical_min, double physical_max, double digital_min, double digital_max) {
  EdfScaling s;
  s.bitvalue = (physical_max - physical_min) / (digital_max - digital_min);
  s.offset = physical_max / s.bitvalue - digital_max;
  return s;
}

void decode_edf_samples(const uint8_t* block, int64_t record_bytes, int bytes_per_sample, const EdfSignal& signal,
                        const EdfScaling& scaling, int64_t first, int64_t count, double* out) {
  const int64_t spr = signal.samples_per_record;
  const double bitvalue = scaling.bitvalue, offset = scaling.offset;
  int64_t record = first / spr, in_record = first % spr, done = 0;
  while (done < count) {
    const int64_t n = std::min(spr - in_record, count - done);
    const uint8_t* p = block + record * record_bytes + signal.byte_offset + in_record * bytes_per_sample;
    double* o = out + done;
    if (bytes_per_sample == 2) {
      for (int64_t k = 0; k < n; ++k, p += 2) {
        const auto v = static_cast<int16_t>(uint16_t(p[0]) | (uint16_t(p[1]) << 8));
        o[k] = bitvalue * (offset + double(v));
      }
    } else {
      for (int64_t k = 0; k < n; ++k, p += 3) {
        uint32_t u = uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16);
        if (u & 0x800000u) u |= 0xFF000000u;  // sign-extend the 24-bit sample
        o[k] = bitvalue * (offset + double(static_cast<int32_t>(u)));
      }
    }
    done += n;
    ++record;
    in_record = 0;
  }
}

EdfBlockCache::EdfBlockCache(const EdfHeader& header) : header_(header), file_(header) {
  max_records_ = std::max<int64_t>(1, kMaxBlockBytes / std::max<int64_t>(1, header.record_bytes));
}

void EdfBlockCache::load(int64_t first_record, int64_t n_records) {
  file_.read_records(first_record, n_records, buffer_);
  first_ = first_record;
  n_ = n_records;
}

int64_t EdfBlockCache::ensure(int64_t r0, int64_t r_end) {
  r_end = std::min(r_end, r0 + max_records_);
  if (!(r0 >= first_ && r_end <= first_ + n_)) {
    // Read ahead to at least kMinBlockBytes so that the next signals and the next chunk come from memory.
    const int64_t min_records = std::max<int64_t>(1, kMinBlockBytes / std::max<int64_t>(1, header_.record_bytes));
    const int64_t n = std::min(std::max(r_end - r0, min_records), header_.n_records - r0);
    load(r0, std::min(n, max_records_));
  }
  return first_ + n_;
}

void EdfBlockCache::read(int index, const EdfScaling& scaling, int64_t start, int64_t count, double* out) {
  const EdfSignal& s = header_.signals[size_t(index)];
  const int64_t spr = s.samples_per_record;
  int64_t done = 0;
  while (done < count) {
    const int64_t pos = start + done;
    const int64_t avail_end = ensure(pos / spr, (start + count + spr - 1) / spr) * spr;
    const int64_t n = std::min(start + count, avail_end) - pos;
    decode_edf_samples(buffer_.data(), header_.record_bytes, header_.bytes_per_sample, s, scaling, pos - first_ * spr,
                       n, out + done);
    done += n;
  }
}

EdfBlockCache::NonFinite EdfBlockCache::read_block(const std::vector<int>& index,
                                                   const std::vector<EdfScaling>& scaling,
                                                   const std::vector<double>& factor, int64_t start, int64_t count,
                                                   float* out, int64_t ld) {
  NonFinite bad;
  if (index.empty() || count <= 0) return bad;
  const int64_t spr = header_.signals[size_t(index.front())].samples_per_record;
  const int64_t n_sig = int64_t(index.size());
  // Per data record: each signal decoded into a row of `rows` (contiguous, vectorised), then the [signals, spr]
  // tile transposed into the column-major output (a few kB: stays in L1).
  std::vector<double> tmp(static_cast<size_t>(spr));
  std::vector<float> rows(static_cast<size_t>(spr * n_sig));
  int64_t done = 0;
  while (done < count) {
    const int64_t pos = start + done;
    const int64_t avail_end = ensure(pos / spr, (start + count + spr - 1) / spr) * spr;
    const int64_t end = std::min(start + count, avail_end);
    for (int64_t p = pos; p < end;) {
      const int64_t n = std::min(end, (p / spr + 1) * spr) - p;
      for (int64_t k = 0; k < n_sig; ++k) {
        const EdfSignal& s = header_.signals[size_t(index[size_t(k)])];
        decode_edf_samples(buffer_.data(), header_.record_bytes, header_.bytes_per_sample, s, scaling[size_t(k)],
                           p - first_ * spr, n, tmp.data());
        // The same double arithmetic as read() + finish_samples(), then rounded to float.
        const double f = factor[size_t(k)];
        float* row = rows.data() + k * n;
        if (f != 1.0) {
          for (int64_t i = 0; i < n; ++i) row[i] = static_cast<float>(tmp[size_t(i)] * f);
        } else {
          for (int64_t i = 0; i < n; ++i) row[i] = static_cast<float>(tmp[size_t(i)]);
        }
        // A value that is not finite in double is not finite in float either; report the double.
        if (!all_finite(row, n)) {
          for (int64_t i = 0; i < n; ++i) {
            const double v = f != 1.0 ? tmp[size_t(i)] * f : tmp[size_t(i)];
            if (std::isfinite(v)) continue;
            bad.found = true;
            bad.k = size_t(k);
            bad.sample = p + i;
            bad.value = v;
            return bad;
          }
        }
      }
      transpose_into(rows.data(), n, n, n_sig, out + (p - start) * ld, ld);
      p += n;
    }
    done = end - start;
  }
  return bad;
}

namespace {

/// Observed digital range per data signal (min/max only: the loop vectorises; samples outside the declared range
/// are counted in a second pass only for the rare signals that have them).
struct RangeCheck {
  int32_t min = INT32_MAX, max = INT32_MIN;
  int64_t outside = 0;
};

int32_t sample_at(const uint8_t* p, int bytes) {
  if (bytes == 2) return static_cast<int16_t>(uint16_t(p[0]) | (uint16_t(p[1]) << 8));
  uint32_t u = uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16);
  if (u & 0x800000u) u |= 0xFF000000u;
  return static_cast<int32_t>(u);
}

void update_range(const uint8_t* p, int64_t n, int bytes, RangeCheck& c) {
  int32_t mn = c.min, mx = c.max;
  if (bytes == 2) {
    // In int16 (8 lanes per SSE2 min/max instead of a widening to int32 per sample).
    int16_t mn16 = INT16_MAX, mx16 = INT16_MIN;
    for (int64_t k = 0; k < n; ++k) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      int16_t v;
      std::memcpy(&v, p + 2 * k, sizeof v);  // EDF samples are little-endian, as this CPU
#else
      const auto v = static_cast<int16_t>(uint16_t(p[2 * k]) | (uint16_t(p[2 * k + 1]) << 8));
#endif
      mn16 = v < mn16 ? v : mn16;
      mx16 = v > mx16 ? v : mx16;
    }
    if (n > 0) {
      mn = std::min<int32_t>(mn, mn16);
      mx = std::max<int32_t>(mx, mx16);
    }
  } else {
    for (int64_t k = 0; k < n; ++k) {
      const int32_t v = sample_at(p + 3 * k, 3);
      mn = v < mn ? v : mn;
      mx = v > mx ? v : mx;
    }
  }
  c.min = mn, c.max = mx;
}

void count_outside(const uint8_t* p, int64_t n, int bytes, int64_t lo, int64_t hi, RangeCheck& c) {
  for (int64_t k = 0; k < n; ++k) {
    const int32_t v = sample_at(p + bytes * k, bytes);
    c.outside += (v < lo) | (v > hi);
  }
}

}  // namespace

EdfAnnotationData scan_edf_records(const EdfHeader& header, bool check_digital_ranges, std::string* sha256) {
  TalCollector collector(header.n_records);
  const bool check = check_digital_ranges && !header.data_signals.empty();
  if (sha256 == nullptr && ((header.annotation_signals.empty() && !check) || header.n_records <= 0))
    return collector.finish();
  std::vector<RangeCheck> ranges(header.data_signals.size());
  EdfRecordFile file(header);
  // Two buffers: the helper thread hashes one block while the next is read and checked. The file is exactly header
  // plus records (read_edf_header refuses any other size), so hashing both is hashing the file.
  Sha256 hash;
  std::vector<uint8_t> buffers[2];
  std::future<void> hashing;  // declared after what it uses: on an exception its destructor waits first
  if (sha256 != nullptr) {
    file.read_header(buffers[1]);
    hash.update(buffers[1].data(), buffers[1].size());
  }
  const int64_t per_block = std::max<int64_t>(1, kScanBlockBytes / std::max<int64_t>(1, header.record_bytes));
  int64_t block_index = 0;
  for (int64_t r0 = 0; r0 < header.n_records; r0 += per_block, ++block_index) {
    const int64_t n = std::min(per_block, header.n_records - r0);
    std::vector<uint8_t>& buffer = buffers[block_index % 2];
    file.read_records(r0, n, buffer);
    if (sha256 != nullptr) {
      if (hashing.valid()) hashing.get();
      hashing = std::async(std::launch::async, [&hash, b = &buffer] { hash.update(b->data(), b->size()); });
    }
    for (int64_t r = 0; r < n; ++r) {
      const uint8_t* rec = buffer.data() + r * header.record_bytes;
      for (size_t a = 0; a < header.annotation_signals.size(); ++a) {
        const EdfSignal& s = header.signals[size_t(header.annotation_signals[a])];
        const auto* p = reinterpret_cast<const char*>(rec + s.byte_offset);
        collector.add_block(r0 + r, int(a),
                            std::string_view(p, size_t(s.samples_per_record * header.bytes_per_sample)));
      }
      if (!check) continue;
      for (size_t d = 0; d < header.data_signals.size(); ++d) {
        const EdfSignal& s = header.signals[size_t(header.data_signals[d])];
        update_range(rec + s.byte_offset, s.samples_per_record, header.bytes_per_sample, ranges[d]);
      }
    }
  }
  if (hashing.valid()) hashing.get();
  if (sha256 != nullptr) *sha256 = hash.hex_digest();
  std::vector<uint8_t>& buffer = buffers[0];
  EdfAnnotationData out = collector.finish();
  int64_t n_signals = 0;
  std::string example;
  for (size_t d = 0; d < ranges.size(); ++d) {
    RangeCheck& c = ranges[d];
    const EdfSignal& s = header.signals[size_t(header.data_signals[d])];
    if (c.min >= s.digital_min && c.max <= s.digital_max) continue;
    if (n_signals++ > 0) continue;
    // Count the samples outside the range for the first such signal (a second pass over its bytes only).
    for (int64_t r0 = 0; r0 < header.n_records; r0 += per_block) {
      const int64_t n = std::min(per_block, header.n_records - r0);
      file.read_records(r0, n, buffer);
      for (int64_t r = 0; r < n; ++r)
        count_outside(buffer.data() + r * header.record_bytes + s.byte_offset, s.samples_per_record,
                      header.bytes_per_sample, s.digital_min, s.digital_max, c);
    }
    example = fmt::format("'{}': {} of {} samples, observed {}..{}, declared {}..{}", s.label, c.outside,
                          s.samples_per_record * header.n_records, c.min, c.max, s.digital_min, s.digital_max);
  }
  if (n_signals > 0)
    out.deviations.push_back(
        fmt::format("{} signal(s) have digital samples outside their declared digital range "
                    "(first: {}); the values are not clipped (as MNE and BioSig read them; "
                    "EDFlib's own decoding clips them)",
                    n_signals, example));
  return out;
}

RecordingInfo edf_recording_info(const EdfHeader& h, const EdfAnnotationData& ann) {
  RecordingInfo info;
  info.path = h.path;
  info.format = h.format;
  info.record_duration_s = h.record_duration_s;
  info.n_records = h.n_records;
  info.deviations = h.deviations;
  info.deviations.insert(info.deviations.end(), ann.deviations.begin(), ann.deviations.end());
  info.annotations = ann.annotations;
  for (int i : h.data_signals) {
    const EdfSignal& s = h.signals[size_t(i)];
    SignalHeader sh;
    sh.label = s.label;
    sh.unit = s.unit;
    sh.transducer = s.transducer;
    sh.prefilter = s.prefilter;
    sh.sfreq_hz = h.sfreq_hz(i);
    sh.samples_per_record = s.samples_per_record;
    sh.n_samples = s.samples_per_record * h.n_records;
    sh.physical_min = s.physical_min, sh.physical_max = s.physical_max;
    sh.digital_min = s.digital_min, sh.digital_max = s.digital_max;
    sh.microvolts_per_unit = microvolts_per_unit(s.unit).value_or(0.0);
    info.signals.push_back(std::move(sh));
  }

  // Segments. Without TALs the records are contiguous by definition (EDF, EDF+C without time-keeping).
  const double dur = h.record_duration_s;
  if (h.n_records <= 0) return info;
  if (!h.plus || ann.record_onsets_s.size() != size_t(h.n_records) || dur <= 0) {
    info.segments.push_back({0.0, 0, h.n_records});
    info.duration_s = double(h.n_records) * dur;
    return info;
  }
  // A record whose time-keeping onset differs from the previous record's end by more than half a sample of the
  // fastest signal starts a new segment: smaller differences are rounding in the TAL text.
  const double max_fs = h.max_sfreq_hz();
  const double tol = max_fs > 0 ? 0.5 / max_fs : 1e-6;
  const auto& on = ann.record_onsets_s;
  const std::string path = h.path.string();
  if (h.discontinuous) {
    for (int64_t r = 0; r < h.n_records; ++r) {
      if (std::isnan(on[size_t(r)]))
        throw DataError(
            fmt::format("{}: {} file whose data record {} has no time-keeping TAL, so its onset is "
                        "unknown (records are never glued)",
                        path, h.format, r));
    }
  }
  Segment seg{0.0, 0, 1};
  double prev = 0.0;  // onset of the previous record (relative)
  int64_t gaps = 0, overlaps = 0;
  std::string first_gap, first_overlap;
  for (int64_t r = 1; r < h.n_records; ++r) {
    const double expected = prev + dur;
    double o = on[size_t(r)];
    if (std::isnan(o)) o = expected;  // EDF+C record without time-keeping TAL (reported as a deviation)
    if (std::fabs(o - expected) <= tol) {
      ++seg.n_records;
      prev = o;
      continue;
    }
    if (o < expected) {
      if (h.discontinuous)
        throw DataError(
            fmt::format("{}: {} data record {} starts at {:.7g} s, before the end of record {} ({:.7g} "
                        "s): overlapping or out-of-order records",
                        path, h.format, r, o, r - 1, expected));
      if (overlaps++ == 0) first_overlap = fmt::format("record {} at {:.7g} s instead of {:.7g} s", r, o, expected);
      ++seg.n_records;  // EDF+C: the header promises contiguous records; the TAL is inconsistent and ignored
      prev = expected;
      continue;
    }
    if (gaps++ == 0) first_gap = fmt::format("record {} at {:.7g} s instead of {:.7g} s", r, o, expected);
    info.segments.push_back(seg);
    seg = Segment{o, r, 1};
    prev = o;
  }
  info.segments.push_back(seg);
  if (!h.discontinuous && gaps > 0)
    info.deviations.push_back(
        fmt::format("reserved field says {} (continuous) but the time-keeping TALs show {} "
                    "gap(s) (first: {}): split into segments, not glued",
                    h.format, gaps, first_gap));
  if (overlaps > 0)
    info.deviations.push_back(
        fmt::format("{} time-keeping TAL(s) overlap the previous record (first: {}): ignored, "
                    "records taken as contiguous as the header says",
                    overlaps, first_overlap));
  const Segment& last = info.segments.back();
  info.duration_s = last.onset_s + double(last.n_records) * dur;
  return info;
}

}  // namespace efm::io::detail
