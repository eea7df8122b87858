// The tolerant reader: BioSig (Debian libbiosig 2.5, GPL-3+; compiled only with EFM_WITH_BIOSIG). Used for EDF/BDF
// files EDFlib refuses (after epilepsyfm's header checks passed) and for the other formats BioSig reads.
//
// BioSig keeps global state (a lazily built global event-code table used by GetEventDescription, VERBOSE_LEVEL, the
// deprecated global error of serror()), so every BioSig call is made under one mutex. Errors are read with
// biosig_check_error/biosig_get_errormsg (serror2 would print to stderr).
#include <biosig.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/units.h"
#include "io/detail/brainvision.h"
#include "io/detail/readers.h"
#include "io/detail/text.h"

namespace efm::io::detail {

namespace {

constexpr int64_t kMinBlockValues = int64_t(1) << 19;  // ~4 MB of decoded doubles per sread
constexpr int64_t kMaxBlockValues = int64_t(1) << 25;  // 256 MB
constexpr uint16_t kEventSegmentBreak = 0x7ffe;        // GDF event table: start of a new segment

std::mutex& biosig_mutex() {
  static std::mutex mutex;
  return mutex;
}

/// Owns a BioSig header; sclose + destructHDR under the lock.
struct BiosigHandle {
  HDRTYPE* hdr = nullptr;
  ~BiosigHandle() {
    if (hdr) {
      std::lock_guard<std::mutex> lock(biosig_mutex());
      sclose(hdr);
      destructHDR(hdr);
    }
  }
};

/// Opens `path` with BioSig (caller holds the lock). Throws DataError with BioSig's message.
std::unique_ptr<BiosigHandle> sopen_checked(const std::filesystem::path& path) {
  auto h = std::make_unique<BiosigHandle>();
  h->hdr = sopen(path.c_str(), "r", nullptr);
  if (h->hdr == nullptr) throw DataError(fmt::format("{}: BioSig could not open it", path.string()));
  if (biosig_check_error(h->hdr)) {
    char* msg = biosig_get_errormsg(h->hdr);
    std::string text = msg ? to_utf8(trim_view(msg)) : std::string("unknown error");
    std::free(msg);
    sclose(h->hdr);
    destructHDR(h->hdr);
    h->hdr = nullptr;
    std::string hint;
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (ext == ".eeg" || ext == ".vmrk") hint = " (for BrainVision recordings pass the .vhdr header file)";
    throw DataError(fmt::format("{}: BioSig cannot read it: {}{}", path.string(), text, hint));
  }
  // Physical values, one column per channel, no NaN substitution at the range limits (as EDFlib and MNE).
  biosig_reset_flag(h->hdr, BIOSIG_FLAG_UCAL | BIOSIG_FLAG_OVERFLOWDETECTION | BIOSIG_FLAG_ROW_BASED_CHANNELS);
  return h;
}

class BiosigSource final : public SignalSource {
 public:
  /// `channels[i]`: BioSig channel index of data signal i (all and only these channels are switched on).
  BiosigSource(std::unique_ptr<BiosigHandle> handle, RecordingInfo info, std::vector<int> channels)
      : handle_(std::move(handle)), info_(std::move(info)), channels_(std::move(channels)) {
    HDRTYPE* hdr = handle_->hdr;
    for (int k = 0; k < int(hdr->NS); ++k) hdr->CHANNEL[k].OnOff = 0;
    for (int c : channels_) hdr->CHANNEL[c].OnOff = 1;
    block_spr_ = int64_t(hdr->SPR);
    n_blocks_ = int64_t(hdr->NRec);
    const int64_t values_per_block = std::max<int64_t>(1, block_spr_ * int64_t(channels_.size()));
    min_blocks_ = std::max<int64_t>(1, kMinBlockValues / values_per_block);
    max_blocks_ = std::max<int64_t>(1, kMaxBlockValues / values_per_block);
  }

  const RecordingInfo& info() const override { return info_; }

  void read(int signal, int64_t start, int64_t count, double* out) override {
    check_read_request(info_, signal, start, count, out);
    if (count == 0) return;
    HDRTYPE* hdr = handle_->hdr;
    const int64_t spr = int64_t(hdr->CHANNEL[channels_[size_t(signal)]].SPR);
    // BioSig returns every channel at the block rate (hdr->SPR = LCM of the channel SPRs), repeating samples of
    // slower channels; every `stride`-th value is the channel's own sample.
    const int64_t stride = block_spr_ / spr;
    int64_t done = 0;
    while (done < count) {
      const int64_t pos = start + done;
      const int64_t b0 = pos / spr;
      const int64_t b_end = std::min((start + count + spr - 1) / spr, b0 + max_blocks_);
      if (!(b0 >= first_ && b_end <= first_ + n_))
        load(b0, std::min(std::max(b_end - b0, min_blocks_), n_blocks_ - b0));
      const int64_t avail_end = (first_ + n_) * spr;
      const int64_t n = std::min(start + count, avail_end) - pos;
      const int64_t col = signal;  // channels_ are switched on in data-signal order
      const double* column = hdr->data.block + col * int64_t(hdr->data.size[0]);
      const int64_t row0 = (pos - first_ * spr) * stride;
      for (int64_t k = 0; k < n; ++k) out[done + k] = column[row0 + k * stride];
      done += n;
    }
    finish_samples(info_, signal, start, count, out);
  }

  /// Checks that BioSig decodes block 1 identically whether it is read alone or after block 0, i.e. that the
  /// workaround in `load` holds for this BioSig build; throws DataError otherwise. Needs >= 2 blocks.
  void self_check() {
    if (n_blocks_ < 2) return;
    HDRTYPE* hdr = handle_->hdr;
    load(0, 2);
    const int64_t rows = int64_t(hdr->data.size[0]), cols = int64_t(hdr->data.size[1]);
    std::vector<double> second;
    for (int64_t c = 0; c < cols; ++c)
      second.insert(second.end(), hdr->data.block + c * rows + block_spr_, hdr->data.block + c * rows + rows);
    load(1, 1);
    std::vector<double> alone;
    for (int64_t c = 0; c < cols; ++c)
      alone.insert(alone.end(), hdr->data.block + c * block_spr_, hdr->data.block + (c + 1) * block_spr_);
    first_ = n_ = 0;
    // Bitwise comparison (NaN-safe): the same bytes go through the same conversion.
    if (second.size() != alone.size() || std::memcmp(second.data(), alone.data(), second.size() * sizeof(double)) != 0)
      throw DataError(
          fmt::format("{}: {} returns different samples for data block 1 when read alone and when read "
                      "after block 0; its sread is not usable here",
                      info_.path.string(), biosig_version()));
  }

 private:
  void load(int64_t first_block, int64_t n_blocks) {
    HDRTYPE* hdr = handle_->hdr;
    std::lock_guard<std::mutex> lock(biosig_mutex());
    // BioSig 2.5 (libbiosig 3.0.1) sread decodes from its raw buffer at an offset relative to hdr->AS.first, which it
    // does not update when it reads from the file: any read that does not start at block 0 returned zeros or
    // garbage (verified on S001R03.edf: sread(25, 25) -> zeros; on GDF and BrainVision files too). Marking the raw
    // buffer as holding nothing, starting at `first_block`, makes it read and decode the requested blocks.
    // self_check() verifies this at open.
    hdr->AS.first = size_t(first_block);
    hdr->AS.length = 0;
    const size_t got = sread(nullptr, size_t(first_block), size_t(n_blocks), hdr);
    if (biosig_check_error(hdr) || int64_t(got) != n_blocks ||
        int64_t(hdr->data.size[1]) != int64_t(channels_.size()) ||
        int64_t(hdr->data.size[0]) != n_blocks * block_spr_) {
      char* msg = biosig_check_error(hdr) ? biosig_get_errormsg(hdr) : nullptr;
      const std::string text = msg ? std::string(msg) : "short read";
      std::free(msg);
      first_ = n_ = 0;
      throw DataError(fmt::format("{}: BioSig read {} of blocks {}..{} ({} x {} values): {}", info_.path.string(), got,
                                  first_block, first_block + n_blocks - 1, hdr->data.size[0], hdr->data.size[1], text));
    }
    first_ = first_block;
    n_ = n_blocks;
  }

  std::unique_ptr<BiosigHandle> handle_;
  RecordingInfo info_;
  std::vector<int> channels_;
  int64_t block_spr_ = 1, n_blocks_ = 0, min_blocks_ = 1, max_blocks_ = 1;
  int64_t first_ = 0, n_ = 0;  // blocks decoded in hdr->data.block
};

std::string event_text(HDRTYPE* hdr, size_t e) {
  const char* d = GetEventDescription(hdr, e);
  if (d && *d) return to_utf8(d);
  return fmt::format("event type 0x{:04x}", hdr->EVENT.TYP[e]);
}

/// BioSig's event table as annotations (caller holds the lock).
std::vector<Annotation> events_of(HDRTYPE* hdr, int64_t* segment_breaks) {
  std::vector<Annotation> out;
  const double fs = hdr->EVENT.SampleRate > 0 ? hdr->EVENT.SampleRate : hdr->SampleRate;
  for (size_t e = 0; e < hdr->EVENT.N; ++e) {
    Annotation a;
    a.onset_s = fs > 0 ? double(hdr->EVENT.POS[e]) / fs : 0.0;
    a.duration_s = (hdr->EVENT.DUR && fs > 0) ? double(hdr->EVENT.DUR[e]) / fs : 0.0;
    a.text = event_text(hdr, e);
    if (segment_breaks && hdr->EVENT.TYP[e] == kEventSegmentBreak && hdr->EVENT.POS[e] > 0) ++*segment_breaks;
    out.push_back(std::move(a));
  }
  return out;
}

/// BioSig 2.5 ignores the unit field of BrainVision [Channel Infos] and garbles markers after a "New Segment"
/// marker without a date: units and markers come from epilepsyfm's own .vhdr/.vmrk parser (brainvision.h);
/// BioSig's values are resolution x digital value in the file's unit, so only the unit label changes.
void use_own_brainvision_meta(const std::filesystem::path& path, const std::vector<int>& channels, int n_channels,
                              double sfreq, RecordingInfo& info, int64_t& segment_breaks) {
  const BrainVisionMeta meta = read_brainvision_meta(path);
  if (int(meta.units.size()) != n_channels)
    throw DataError(fmt::format("{}: the header lists {} channels but BioSig read {}", path.string(), meta.units.size(),
                                n_channels));
  for (size_t i = 0; i < channels.size(); ++i) {
    SignalHeader& s = info.signals[i];
    s.label = meta.names[size_t(channels[i])];
    s.unit = meta.units[size_t(channels[i])];
    s.microvolts_per_unit = microvolts_per_unit(s.unit).value_or(0.0);
  }
  if (!meta.has_markers) return;
  info.annotations.clear();
  segment_breaks = 0;
  for (const auto& m : meta.markers) {
    info.annotations.push_back({double(m.position) / sfreq, double(m.points) / sfreq, m.text});
    if (m.text.rfind("New Segment/", 0) == 0 && m.position > 0) ++segment_breaks;
  }
}

}  // namespace

std::string biosig_version() {
  // get_biosig_version() reports the library's own version: 3.0.1 for Debian's biosig 2.5.0 package (libbiosig3).
  const uint32_t v = get_biosig_version();
  return fmt::format("BioSig (libbiosig {}.{}.{})", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

namespace {

std::unique_ptr<BiosigSource> make_biosig_edf(const EdfHeader& header, RecordingInfo info) {
  const std::string path = header.path.string();
  std::unique_ptr<BiosigHandle> handle;  // declared before the lock: its destructor takes the lock itself
  std::lock_guard<std::mutex> lock(biosig_mutex());
  handle = sopen_checked(header.path);
  HDRTYPE* hdr = handle->hdr;
  auto disagree = [&](const std::string& what) {
    throw DataError(fmt::format("{}: BioSig and epilepsyfm's header parser disagree about {}", path, what));
  };
  if (int(hdr->NS) != int(header.signals.size()))
    disagree(fmt::format("the number of signals ({} vs {})", hdr->NS, header.signals.size()));
  if (int64_t(hdr->NRec) != header.n_records)
    disagree(fmt::format("the number of data records ({} vs {})", int64_t(hdr->NRec), header.n_records));
  std::vector<int> channels;
  for (int i : header.data_signals) {
    const CHANNEL_TYPE& c = hdr->CHANNEL[i];
    const EdfSignal& s = header.signals[size_t(i)];
    if (int64_t(c.SPR) != s.samples_per_record)
      disagree(fmt::format("samples per record of signal '{}' ({} vs {})", s.label, c.SPR, s.samples_per_record));
    if (c.SPR == 0 || hdr->SPR % c.SPR != 0)
      disagree(fmt::format("the block size of signal '{}' ({} is not a divisor of {})", s.label, c.SPR, hdr->SPR));
    channels.push_back(i);
  }
  info.reader = "biosig";
  return std::make_unique<BiosigSource>(std::move(handle), std::move(info), std::move(channels));
}

std::unique_ptr<BiosigSource> make_biosig(const std::filesystem::path& path) {
  std::unique_ptr<BiosigHandle> handle;  // declared before the lock: its destructor takes the lock itself
  std::lock_guard<std::mutex> lock(biosig_mutex());
  handle = sopen_checked(path);
  HDRTYPE* hdr = handle->hdr;
  const std::string p = path.string();
  RecordingInfo info;
  info.path = path;
  info.reader = "biosig";
  const char* type = GetFileTypeString(hdr->TYPE);
  info.format = type ? type : "unknown";
  if (!(hdr->SampleRate > 0) || !std::isfinite(hdr->SampleRate))
    throw DataError(fmt::format("{}: {} file with sampling rate {} Hz; expected > 0", p, info.format, hdr->SampleRate));
  if (hdr->NRec <= 0 || hdr->SPR == 0)
    throw DataError(fmt::format("{}: empty recording ({} blocks of {} samples)", p, int64_t(hdr->NRec), hdr->SPR));
  std::vector<int> channels;
  int64_t skipped = 0;
  for (int k = 0; k < int(hdr->NS); ++k) {
    const CHANNEL_TYPE& c = hdr->CHANNEL[k];
    if (c.OnOff == 2 || c.SPR == 0 || hdr->SPR % c.SPR != 0) {  // time axis, sparse or irregular channels
      ++skipped;
      continue;
    }
    SignalHeader s;
    s.label = to_utf8(rtrim_view(c.Label));
    const char* unit = PhysDim3(c.PhysDimCode);
    s.unit = unit ? to_utf8(trim_view(unit)) : std::string();
    s.transducer = to_utf8(trim_view(c.Transducer));
    s.sfreq_hz = hdr->SampleRate * double(c.SPR) / double(hdr->SPR);
    s.samples_per_record = int64_t(c.SPR);
    s.n_samples = int64_t(c.SPR) * int64_t(hdr->NRec);
    s.physical_min = c.PhysMin, s.physical_max = c.PhysMax;
    // Floating-point samples (GDF types 16-18) have no digital range: 0/0, so that lsb() is 0.
    const bool floating = c.GDFTYP >= 16 && c.GDFTYP <= 18;
    s.digital_min = floating ? 0 : int64_t(std::llround(c.DigMin));
    s.digital_max = floating ? 0 : int64_t(std::llround(c.DigMax));
    s.microvolts_per_unit = microvolts_per_unit(s.unit).value_or(0.0);
    info.signals.push_back(std::move(s));
    channels.push_back(k);
  }
  if (info.signals.empty()) throw DataError(fmt::format("{}: no data signals", p));
  if (skipped > 0)
    info.deviations.push_back(
        fmt::format("{} channel(s) skipped: time axis, sparsely sampled or with a block size "
                    "that does not divide BioSig's",
                    skipped));
  info.record_duration_s = double(hdr->SPR) / hdr->SampleRate;
  info.n_records = int64_t(hdr->NRec);
  info.duration_s = double(info.n_records) * info.record_duration_s;
  info.segments.push_back({0.0, 0, info.n_records});
  int64_t breaks = 0;
  info.annotations = events_of(hdr, &breaks);
  if (hdr->TYPE == BrainVision) use_own_brainvision_meta(path, channels, int(hdr->NS), hdr->SampleRate, info, breaks);
  if (breaks > 0)
    info.deviations.push_back(
        fmt::format("{} segment break event(s) (GDF 0x7ffe / BrainVision 'New Segment') are "
                    "listed as annotations; the samples are read as one segment",
                    breaks));
  return std::make_unique<BiosigSource>(std::move(handle), std::move(info), std::move(channels));
}

}  // namespace

std::unique_ptr<SignalSource> open_biosig_edf(const EdfHeader& header, RecordingInfo info) {
  auto source = make_biosig_edf(header, std::move(info));  // the BioSig lock is released here
  source->self_check();
  return source;
}

std::unique_ptr<SignalSource> open_biosig(const std::filesystem::path& path) {
  auto source = make_biosig(path);
  source->self_check();
  return source;
}

std::vector<Annotation> biosig_annotations(const std::filesystem::path& path) {
  std::unique_ptr<BiosigHandle> handle;  // declared before the lock: its destructor takes the lock itself
  std::lock_guard<std::mutex> lock(biosig_mutex());
  handle = sopen_checked(path);
  if (handle->hdr->TYPE == BrainVision) {
    const BrainVisionMeta meta = read_brainvision_meta(path);
    if (meta.has_markers) {
      std::vector<Annotation> out;
      const double fs = handle->hdr->SampleRate;
      for (const auto& m : meta.markers) out.push_back({double(m.position) / fs, double(m.points) / fs, m.text});
      return out;
    }
  }
  return events_of(handle->hdr, nullptr);
}

}  // namespace efm::io::detail
