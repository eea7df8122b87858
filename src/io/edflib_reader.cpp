// The strict reader: EDFlib (Teunis van Beelen, Debian libedf 1.23) validates and opens the file; samples are
// decoded either in blocks with EDFlib's formula and header values (EdfDecode::block) or by EDFlib itself.
#include <edflib.h>
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <mutex>
#include <utility>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "io/detail/edf_file.h"
#include "io/detail/edflib_lock.h"
#include "io/detail/readers.h"
#include "io/detail/text.h"

namespace efm::io::detail {

namespace {

std::string edflib_error_text(int code) {
  switch (code) {
    case EDFLIB_MALLOC_ERROR: return "memory allocation failed";
    case EDFLIB_NO_SUCH_FILE_OR_DIRECTORY: return "no such file or directory";
    case EDFLIB_FILE_CONTAINS_FORMAT_ERRORS: return "file contains format errors";
    case EDFLIB_MAXFILES_REACHED: return "too many files open (EDFlib allows 64 at once)";
    case EDFLIB_FILE_READ_ERROR: return "file read error";
    case EDFLIB_FILE_ALREADY_OPENED:
      return "file is already open in EDFlib (the 'edflib' decode mode cannot open "
             "the same file twice at once)";
    case EDFLIB_FILETYPE_ERROR: return "file type error";
    case EDFLIB_NUMBER_OF_SIGNALS_INVALID: return "invalid number of signals";
    case EDFLIB_FILE_IS_DISCONTINUOUS: return "file is EDF+D/BDF+D (discontinuous), which EDFlib does not read";
    case EDFLIB_INVALID_READ_ANNOTS_VALUE: return "invalid annotation mode";
    case EDFLIB_ARCH_ERROR: return "architecture not supported";
    default: return "unknown error";
  }
}

/// Owns an EDFlib handle; closes it under the EDFlib lock.
struct EdflibHandle {
  int handle = -1;
  ~EdflibHandle() { close(); }
  void close() {
    if (handle >= 0) {
      std::lock_guard<std::mutex> lock(edflib_mutex());
      edfclose_file(handle);
      handle = -1;
    }
  }
};

class EdflibSource final : public SignalSource {
 public:
  EdflibSource(const EdfHeader& header, RecordingInfo info, std::vector<EdfScaling> scalings,
               std::vector<int> edflib_index, EdfDecode decode, std::unique_ptr<EdflibHandle> handle)
      : header_(header),
        info_(std::move(info)),
        scalings_(std::move(scalings)),
        edflib_index_(std::move(edflib_index)),
        handle_(std::move(handle)) {
    if (decode == EdfDecode::block) {
      handle_.reset();  // EDFlib's validation is done; blocks are read without it
      cache_ = std::make_unique<EdfBlockCache>(header_);
    }
  }

  const RecordingInfo& info() const override { return info_; }

  void read(int signal, int64_t start, int64_t count, double* out) override {
    check_read_request(info_, signal, start, count, out);
    if (count == 0) return;
    if (cache_) {
      cache_->read(header_.data_signals[size_t(signal)], scalings_[size_t(signal)], start, count, out);
    } else {
      read_with_edflib(signal, start, count, out);
    }
    finish_samples(info_, signal, start, count, out);
  }

  void read_block(const std::vector<int>& signals, int64_t start, int64_t count, float* out, int64_t ld) override {
    bool same_rate = true;
    for (int s : signals) {
      same_rate &=
          s >= 0 && s < int(info_.signals.size()) &&
          info_.signals[size_t(s)].samples_per_record == info_.signals[size_t(signals.front())].samples_per_record;
    }
    if (!cache_ || signals.empty() || !same_rate) {
      SignalSource::read_block(signals, start, count, out, ld);
      return;
    }
    check_block_request(info_, signals, start, count, out, ld);
    std::vector<int> index;
    std::vector<EdfScaling> scalings;
    std::vector<double> factors;
    for (int s : signals) {
      index.push_back(header_.data_signals[size_t(s)]);
      scalings.push_back(scalings_[size_t(s)]);
      const double f = info_.signals[size_t(s)].microvolts_per_unit;
      factors.push_back(f > 0 ? f : 1.0);  // as finish_samples: non-voltage signals stay in the file's unit
    }
    const EdfBlockCache::NonFinite bad = cache_->read_block(index, scalings, factors, start, count, out, ld);
    if (bad.found)
      throw DataError(fmt::format("{}: signal '{}' has a non-finite value ({}) at sample {}", info_.path.string(),
                                  info_.signals[size_t(signals[bad.k])].label, bad.value, bad.sample));
  }

 private:
  void read_with_edflib(int signal, int64_t start, int64_t count, double* out) {
    constexpr int64_t kChunk = int64_t(1) << 20;  // edfread_physical_samples takes an int count
    const int e = edflib_index_[size_t(signal)];
    std::lock_guard<std::mutex> lock(edflib_mutex());
    if (edfseek(handle_->handle, e, start, EDFSEEK_SET) != start)
      throw DataError(fmt::format("{}: EDFlib could not seek signal '{}' to sample {}", info_.path.string(),
                                  info_.signals[size_t(signal)].label, start));
    for (int64_t done = 0; done < count;) {
      const int n = int(std::min(kChunk, count - done));
      const int got = edfread_physical_samples(handle_->handle, e, n, out + done);
      if (got != n)
        throw DataError(fmt::format("{}: EDFlib read {} of {} samples of signal '{}' at sample {}", info_.path.string(),
                                    got, n, info_.signals[size_t(signal)].label, start + done));
      done += n;
    }
  }

  EdfHeader header_;
  RecordingInfo info_;
  std::vector<EdfScaling> scalings_;  // per data signal, from EDFlib's parsed header values
  std::vector<int> edflib_index_;     // per data signal: EDFlib's signal index
  std::unique_ptr<EdflibHandle> handle_;
  std::unique_ptr<EdfBlockCache> cache_;
};

}  // namespace

bool EdflibAttempt::format_refusal() const {
  switch (code) {
    case EDFLIB_MALLOC_ERROR:
    case EDFLIB_NO_SUCH_FILE_OR_DIRECTORY:
    case EDFLIB_MAXFILES_REACHED:
    case EDFLIB_FILE_READ_ERROR:
    case EDFLIB_FILE_ALREADY_OPENED: return false;
    default: return true;
  }
}

std::string edflib_version() {
  const int v = ::edflib_version();  // e.g. 123 for 1.23
  return fmt::format("EDFlib {}.{:02d}", v / 100, v % 100);
}

struct EdflibOpened {
  // edf_hdr_struct holds 640 signal records (~200 kB): heap, not stack. It also holds the patient fields, which
  // are never copied out of it.
  std::unique_ptr<edf_hdr_struct> hdr = std::make_unique<edf_hdr_struct>();
  int rc = -1;
  int handle = -1;  ///< owned until open_edflib() takes it
};

void EdflibOpenedDeleter::operator()(EdflibOpened* p) const {
  EdflibHandle owner;  // closes a handle nobody took, under the EDFlib lock
  owner.handle = p->handle;
  delete p;
}

EdflibOpenedPtr edflib_open(const EdfHeader& header) {
  EdflibOpenedPtr o(new EdflibOpened);
  std::lock_guard<std::mutex> lock(edflib_mutex());
  // READ_ALL_ANNOTATIONS: EDFlib then also validates every TAL, i.e. its full strictness.
  o->rc = edfopen_file_readonly(header.path.c_str(), o->hdr.get(), EDFLIB_READ_ALL_ANNOTATIONS);
  if (o->rc >= 0) o->handle = o->hdr->handle;
  return o;
}

EdflibAttempt open_edflib(const EdfHeader& header, RecordingInfo info, EdfDecode decode, EdflibOpenedPtr opened) {
  EdflibAttempt attempt;
  const std::unique_ptr<edf_hdr_struct>& hdr = opened->hdr;
  if (opened->rc < 0) {
    attempt.code = hdr->filetype;
    attempt.refusal =
        fmt::format("{} refused it: {} (error {})", edflib_version(), edflib_error_text(hdr->filetype), hdr->filetype);
    return attempt;
  }
  auto handle = std::make_unique<EdflibHandle>();
  handle->handle = std::exchange(opened->handle, -1);
  const std::string path = header.path.string();
  auto disagree = [&](const std::string& what) {
    handle->close();
    throw DataError(fmt::format("{}: EDFlib and epilepsyfm's header parser disagree about {}", path, what));
  };
  // EDFlib hides (and re-indexes around) annotation signals only in files it reads as EDF+/BDF+; a plain EDF with
  // an "EDF Annotations" signal (read as EDF+C by epilepsyfm, a listed deviation) keeps them in EDFlib's numbering.
  const bool edflib_plus = hdr->filetype == EDFLIB_FILETYPE_EDFPLUS || hdr->filetype == EDFLIB_FILETYPE_BDFPLUS;
  const size_t expected = edflib_plus ? header.data_signals.size() : header.signals.size();
  if (hdr->edfsignals != int(expected))
    disagree(fmt::format("the number of signals ({} vs {})", hdr->edfsignals, expected));
  if (hdr->datarecords_in_file != header.n_records)
    disagree(fmt::format("the number of data records ({} vs {})", hdr->datarecords_in_file, header.n_records));
  std::vector<EdfScaling> scalings;
  std::vector<int> edflib_index;
  for (size_t k = 0; k < header.data_signals.size(); ++k) {
    const int e = edflib_plus ? int(k) : header.data_signals[k];
    edflib_index.push_back(e);
    const edf_param_struct& p = hdr->signalparam[e];
    const EdfSignal& s = header.signals[size_t(header.data_signals[k])];
    if (p.smp_in_datarecord != s.samples_per_record)
      disagree(fmt::format("samples per record of signal '{}' ({} vs {})", s.label, p.smp_in_datarecord,
                           s.samples_per_record));
    if (rtrim_view(p.label) != rtrim_view(s.label) && is_printable_ascii(s.label))
      disagree(fmt::format("the label of data signal {} ('{}' vs '{}')", k, rtrim_view(p.label), s.label));
    scalings.push_back(EdfScaling::from_range(p.phys_min, p.phys_max, p.dig_min, p.dig_max));
  }
  EFM_LOG_DEBUG("[io] {}: EDFlib accepted it ({} annotations by EDFlib, {} by the TAL parser)", path,
                hdr->annotations_in_file, info.annotations.size());
  info.reader = "edflib";
  attempt.source = std::make_unique<EdflibSource>(header, std::move(info), std::move(scalings), std::move(edflib_index),
                                                  decode, std::move(handle));
  return attempt;
}

}  // namespace efm::io::detail
