// StoreWriter / RecordingWriter (io/store.h). Signal chunks are encoded (float16 conversion, byte shuffle,
// deflate) in the calling thread and written with H5Dwrite_chunk under the HDF5 lock, so compression runs in
// parallel across recordings while HDF5 itself is only ever entered by one thread.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>
#include <zlib.h>

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/sha256.h"
#include "epilepsyfm/core/version.h"
#include "epilepsyfm/io/store.h"
#include "io/detail/hdf5.h"
#include "io/detail/layout.h"
#include "io/detail/store_common.h"

namespace efm::io {
namespace fs = std::filesystem;
using detail::H5Lock;
using detail::Hid;

namespace {

bool valid_recording_id(const std::string& id) {
  if (id.empty() || id == "." || id == "..") return false;
  for (char c : id) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '+';
    if (!ok) return false;
  }
  return true;
}

std::string first_difference(const std::string& stored, const std::string& now) {
  auto lines = [](const std::string& t) {
    std::vector<std::string> out;
    size_t s = 0;
    while (s < t.size()) {
      size_t e = t.find('\n', s);
      if (e == std::string::npos) e = t.size();
      out.push_back(t.substr(s, e - s));
      s = e + 1;
    }
    return out;
  };
  const auto a = lines(stored), b = lines(now);
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string x = i < a.size() ? a[i] : "<end>", y = i < b.size() ? b[i] : "<end>";
    if (x != y) return fmt::format("line {}: store has '{}', this run has '{}'", i + 1, x, y);
  }
  return "no line differs";
}

std::string window_label_summary(const std::map<std::string, int64_t>& counts) {
  std::string out;
  for (const auto& [label, n] : counts) {
    if (!out.empty()) out += ";";
    out += fmt::format("{}={}", label, n);
  }
  return out;
}

}  // namespace

struct Shard {
  int index = 0;
  fs::path partial, final_path;
  Hid file, recordings;
  std::atomic<int64_t> bytes{0};
  std::atomic<bool> full{false};
  int active = 0;
  std::vector<RecordingEntry> rows;
};

struct StoreWriter::Impl {
  fs::path dir;
  StoreOptions opt;
  StoredPreprocessing pp;
  std::string hash;
  int lock_fd = -1;

  mutable std::mutex mu;  // bookkeeping below; taken before (never inside) the HDF5 lock
  std::vector<RecordingEntry> rows;
  std::set<std::string> ids;
  std::vector<StoreLabel> vocab;
  std::map<std::string, int> vocab_index;
  std::shared_ptr<Shard> current;
  std::vector<std::shared_ptr<Shard>> draining;
  int next_index = 0;
  std::vector<RecordingEntry> session_rows;
  bool closed = false;

  int64_t shard_limit_bytes() const { return static_cast<int64_t>(opt.shard_gb * 1e9); }

  int label_id_locked(const std::string& name, bool seizure) {
    auto it = vocab_index.find(name);
    if (it != vocab_index.end()) return it->second;
    const int id = static_cast<int>(vocab.size());
    vocab.push_back(StoreLabel{id, name, seizure});
    vocab_index.emplace(name, id);
    return id;
  }

  std::shared_ptr<Shard> open_shard_locked() {
    auto s = std::make_shared<Shard>();
    s->index = next_index++;
    s->partial = dir / detail::partial_shard_name(s->index);
    s->final_path = dir / detail::shard_name(s->index);
    H5Lock lock;
    s->file = detail::check_id(H5Fcreate(s->partial.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT),
                               fmt::format("creating shard {}", s->partial.string()));
    detail::write_attrs(s->file, "format", detail::kStoreFormat, "store_version", static_cast<int64_t>(kStoreVersion),
                        "tool_version", tool_version(), "config_hash", hash, "config_yaml", opt.config_yaml, "dtype",
                        detail::dtype_name(opt.dtype));
    s->recordings = detail::create_group(s->file, "recordings");
    EFM_LOG_DEBUG("[store] opened {}", s->partial.string());
    return s;
  }

  void write_root_files_locked() {
    atomic_write_file(dir / detail::kLabelsFile, detail::labels_csv(vocab));
    atomic_write_file(dir / detail::kManifestFile, manifest_csv(rows));
  }

  void complete_shard_locked(const std::shared_ptr<Shard>& s) {
    {
      H5Lock lock;
      if (!s->rows.empty()) {
        std::vector<std::string> names;
        std::vector<uint8_t> seizure;
        for (const auto& l : vocab) {
          names.push_back(l.name);
          seizure.push_back(l.seizure ? 1 : 0);
        }
        detail::write_strings(s->file, "label_vocabulary", names);
        detail::write_vector(s->file, "label_seizure", seizure);
        detail::write_attr(s->file, "n_recordings", static_cast<int64_t>(s->rows.size()));
      }
      s->recordings.reset();
      detail::check_status(H5Fflush(s->file, H5F_SCOPE_GLOBAL), "flushing " + s->partial.string());
      s->file.reset();
    }
    draining.erase(std::remove(draining.begin(), draining.end(), s), draining.end());
    if (current == s) current.reset();
    if (s->rows.empty()) {
      std::error_code ec;
      fs::remove(s->partial, ec);
      return;
    }
    atomic_rename(s->partial, s->final_path);
    rows.insert(rows.end(), s->rows.begin(), s->rows.end());
    session_rows.insert(session_rows.end(), s->rows.begin(), s->rows.end());
    write_root_files_locked();
    EFM_LOG_INFO("[store] completed {} ({} recordings, {:.1f} MB)", s->final_path.filename().string(), s->rows.size(),
                 s->bytes.load() / 1e6);
  }

  void release_locked(const std::shared_ptr<Shard>& s) {
    --s->active;
    if (s->active == 0 && s->full.load()) complete_shard_locked(s);
  }

  void adopt_orphans_locked();
};

// ---- RecordingWriter -------------------------------------------------------------------------------------------

struct RecordingWriter::Impl {
  std::shared_ptr<StoreWriter::Impl> store;
  std::shared_ptr<Shard> shard;
  RecordingHeader header;
  int64_t n_channels = 0, n_total = 0, chunk_n = 0;
  Hid group, dset;
  std::vector<float> buf;  // [n_channels, chunk_n] row-major
  int64_t fill = 0, chunk_index = 0;
  std::vector<uint8_t> enc, shuffled, comp;
  bool done = false;

  void flush_chunk();
};

void RecordingWriter::Impl::flush_chunk() {
  if (fill == 0) return;
  if (fill < chunk_n) {
    for (int64_t c = 0; c < n_channels; ++c) {
      std::fill(buf.begin() + c * chunk_n + fill, buf.begin() + (c + 1) * chunk_n, 0.0f);
    }
  }
  const uint8_t* data = reinterpret_cast<const uint8_t*>(buf.data());
  size_t size = buf.size() * sizeof(float);
  size_t elem = sizeof(float);
  if (store->opt.dtype == StoreDtype::float16) {
    enc.resize(buf.size() * 2);
    auto* h = reinterpret_cast<uint16_t*>(enc.data());
    for (size_t i = 0; i < buf.size(); ++i) {
      const Eigen::half v(buf[i]);
      if (!Eigen::numext::isfinite(v) && std::isfinite(buf[i])) {
        const int64_t c = static_cast<int64_t>(i) / chunk_n;
        const int64_t s = chunk_index * chunk_n + static_cast<int64_t>(i) % chunk_n;
        throw DataError(
            fmt::format("{}: channel '{}' has {} uV at sample {}, outside the float16 range (+-65504); use store.dtype "
                        "float32 (or check the file's units)",
                        header.source_path, header.channels[c], buf[i], s));
      }
      h[i] = Eigen::numext::bit_cast<uint16_t>(v);
    }
    data = enc.data();
    size = enc.size();
    elem = 2;
  }
  if (store->opt.compression > 0) {
    // HDF5 shuffle filter: byte k of every element together, then deflate (zlib compress2, as H5Z deflate).
    const size_t n = size / elem;
    shuffled.resize(size);
    for (size_t b = 0; b < elem; ++b) {
      uint8_t* dst = shuffled.data() + b * n;
      for (size_t i = 0; i < n; ++i) dst[i] = data[i * elem + b];
    }
    uLongf clen = compressBound(static_cast<uLong>(size));
    comp.resize(clen);
    const int rc = compress2(comp.data(), &clen, shuffled.data(), static_cast<uLong>(size),
                             static_cast<int>(store->opt.compression));
    if (rc != Z_OK) throw DataError(fmt::format("{}: zlib compression failed ({})", header.source_path, rc));
    data = comp.data();
    size = clen;
  }
  {
    H5Lock lock;
    const hsize_t offset[2] = {0, static_cast<hsize_t>(chunk_index * chunk_n)};
    detail::check_status(H5Dwrite_chunk(dset, H5P_DEFAULT, 0, offset, size, data),
                         fmt::format("writing signal chunk {} of '{}' to {}", chunk_index, header.id,
                                     shard->partial.filename().string()));
  }
  const int64_t total = shard->bytes.fetch_add(static_cast<int64_t>(size)) + static_cast<int64_t>(size);
  if (total >= store->shard_limit_bytes()) shard->full.store(true);
  ++chunk_index;
  fill = 0;
}

RecordingWriter::RecordingWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RecordingWriter::~RecordingWriter() {
  if (impl_ && !impl_->done) abort();
}

void RecordingWriter::append(const Eigen::Ref<const Eigen::MatrixXf>& block) {
  auto& im = *impl_;
  EFM_CHECK_ARG(!im.done, "recording '{}' is already finished or aborted", im.header.id);
  EFM_CHECK_ARG(block.rows() == im.n_channels, "recording '{}': block has {} channels, the header declares {}",
                im.header.id, block.rows(), im.n_channels);
  EFM_CHECK_ARG(written_ + block.cols() <= im.n_total,
                "recording '{}': {} samples appended but the header declares {} in total", im.header.id,
                written_ + block.cols(), im.n_total);
  int64_t off = 0;
  while (off < block.cols()) {
    const int64_t k = std::min<int64_t>(block.cols() - off, im.chunk_n - im.fill);
    // buf is [n_channels, chunk_n] row-major.
    detail::transpose_into(block.data() + off * block.outerStride(), block.outerStride(), im.n_channels, k,
                           im.buf.data() + im.fill, im.chunk_n);
    im.fill += k;
    off += k;
    if (im.fill == im.chunk_n) im.flush_chunk();
  }
  written_ += block.cols();
}

namespace {

/// The columns of a recording's window table (STORE/.../windows/) and what the manifest counts of it.
struct WindowColumns {
  std::vector<int64_t> start_sample;
  std::vector<int32_t> label;
  std::vector<uint8_t> seizure, reject;
  std::vector<float> seizure_overlap, label_overlap;
  std::map<std::string, int64_t> counts;  ///< windows per label
  int64_t n_seizure = 0, n_reject = 0;
};

WindowColumns window_columns(const RecordingFooter& footer, std::vector<int32_t> label_ids, int64_t n_total,
                             double reject_abs_uv, const std::string& id) {
  const size_t W = footer.windows.size();
  WindowColumns c;
  c.label = std::move(label_ids);
  c.start_sample.resize(W);
  c.seizure.resize(W);
  c.reject.resize(W);
  c.seizure_overlap.resize(W);
  c.label_overlap.resize(W);
  for (size_t i = 0; i < W; ++i) {
    const auto& w = footer.windows[i];
    EFM_CHECK_ARG(w.start_sample >= 0 && w.start_sample < n_total, "recording '{}': window {} starts at {}", id, i,
                  w.start_sample);
    c.start_sample[i] = w.start_sample;
    c.seizure[i] = w.seizure ? 1 : 0;
    c.seizure_overlap[i] = w.seizure_overlap;
    c.label_overlap[i] = w.label_overlap;
    c.reject[i] = (reject_abs_uv > 0 && footer.window_max_abs_uv[i] >= reject_abs_uv) ? 1 : 0;
    c.n_seizure += c.seizure[i];
    c.n_reject += c.reject[i];
    ++c.counts[w.label];
  }
  return c;
}

/// The columns of a recording's event table (STORE/.../events/).
struct EventColumns {
  std::vector<double> onset_s, offset_s;
  std::vector<std::string> label, channel, source;
  std::vector<uint8_t> seizure;
};

EventColumns event_columns(const RecordingFooter& footer, double source_duration_s, const std::string& id) {
  EFM_CHECK_ARG(footer.event_seizure.empty() || footer.event_seizure.size() == footer.events.size(),
                "recording '{}': {} events but {} event seizure flags", id, footer.events.size(),
                footer.event_seizure.size());
  EventColumns c;
  c.seizure = footer.event_seizure;
  c.seizure.resize(footer.events.size(), 0);
  for (const auto& e : footer.events) {
    c.onset_s.push_back(e.onset_s);
    c.offset_s.push_back(e.whole_file() ? std::max(e.onset_s, source_duration_s) : e.offset_s);
    c.label.push_back(e.label);
    c.channel.push_back(e.channel);
    c.source.push_back(e.source);
  }
  return c;
}

}  // namespace

void RecordingWriter::finish(const RecordingFooter& footer) {
  auto& im = *impl_;
  EFM_CHECK_ARG(!im.done, "recording '{}' is already finished or aborted", im.header.id);
  try {
    EFM_CHECK_ARG(written_ == im.n_total, "recording '{}': {} of {} declared samples were appended", im.header.id,
                  written_, im.n_total);
    const size_t C = static_cast<size_t>(im.n_channels);
    EFM_CHECK_ARG(footer.mean_uv.size() == C && footer.std_uv.size() == C && footer.max_abs_uv.size() == C,
                  "recording '{}': statistics need {} values per field", im.header.id, C);
    EFM_CHECK_ARG(footer.window_max_abs_uv.size() == footer.windows.size(),
                  "recording '{}': {} windows but {} window maxima", im.header.id, footer.windows.size(),
                  footer.window_max_abs_uv.size());
    im.flush_chunk();

    const size_t W = footer.windows.size();
    std::vector<int32_t> label_ids(W);
    {
      std::lock_guard<std::mutex> lock(im.store->mu);
      for (size_t i = 0; i < W; ++i) {
        const auto& w = footer.windows[i];
        label_ids[i] = im.store->label_id_locked(w.label, w.seizure);
      }
    }
    const WindowColumns wc =
        window_columns(footer, std::move(label_ids), im.n_total, im.store->pp.reject_abs_uv, im.header.id);
    const double duration = static_cast<double>(im.n_total) / im.store->pp.spec.sfreq_hz;
    const EventColumns ec = event_columns(footer, im.header.source_duration_s, im.header.id);

    if (!footer.source_sha256.empty()) im.header.source_sha256 = footer.source_sha256;
    EFM_CHECK_ARG(!im.header.source_sha256.empty(), "recording '{}': the source SHA-256 is missing", im.header.id);
    RecordingEntry row;
    const auto& h = im.header;
    row.recording_id = h.id;
    row.subject = h.subject;
    row.session = h.session;
    row.shard = im.shard->final_path.filename().string();
    row.source_path = h.source_path;
    row.source_sha256 = h.source_sha256;
    row.config_hash = im.store->hash;
    row.reader = h.reader;
    row.format = h.format;
    row.sfreq_hz = im.store->pp.spec.sfreq_hz;
    row.n_channels = im.n_channels;
    row.n_samples = im.n_total;
    row.duration_s = duration;
    row.n_windows = static_cast<int64_t>(W);
    row.n_seizure_windows = wc.n_seizure;
    row.n_rejected_windows = wc.n_reject;
    row.n_events = static_cast<int64_t>(footer.events.size());
    row.n_deviations = static_cast<int64_t>(h.deviations.size());
    for (const auto& c : h.channels) row.channels += (row.channels.empty() ? "" : " ") + c;
    row.window_labels = window_label_summary(wc.counts);
    row.tool_version = tool_version();
    std::string row_line = csv_line(detail::manifest_fields(row));
    row_line.pop_back();  // '\n'

    {
      H5Lock lock;
      const hid_t g = im.group;
      detail::write_strings(g, "channels", h.channels);
      detail::write_vector(g, "channel_index",
                           std::vector<int32_t>(h.channel_vocab_index.begin(), h.channel_vocab_index.end()));
      detail::write_columns(g, "mean_uv", footer.mean_uv, "std_uv", footer.std_uv, "max_abs_uv", footer.max_abs_uv);
      {
        Hid eg = detail::create_group(g, "events");
        detail::write_columns(eg, "onset_s", ec.onset_s, "offset_s", ec.offset_s, "label", ec.label, "seizure",
                              ec.seizure, "channel", ec.channel, "source", ec.source);
      }
      {
        Hid wg = detail::create_group(g, "windows");
        detail::write_columns(wg, "start_sample", wc.start_sample, "label", wc.label, "seizure", wc.seizure,
                              "seizure_overlap", wc.seizure_overlap, "label_overlap", wc.label_overlap, "reject",
                              wc.reject, "max_abs_uv", footer.window_max_abs_uv);
        detail::write_attr(wg, "length_samples", im.store->pp.window_length_samples);
        detail::write_attr(wg, "stride_samples", im.store->pp.window_stride_samples);
      }
      detail::write_attrs(g, "source_sha256", h.source_sha256, "n_windows", static_cast<int64_t>(W), "manifest_row",
                          row_line, "complete", static_cast<int64_t>(1));
      im.dset.reset();
      im.group.reset();
    }
    {
      std::lock_guard<std::mutex> lock(im.store->mu);
      im.shard->rows.push_back(row);
      im.done = true;
      im.store->release_locked(im.shard);
    }
  } catch (...) {
    abort();
    throw;
  }
}

void RecordingWriter::abort() noexcept {
  auto& im = *impl_;
  if (im.done) return;
  im.done = true;
  try {
    H5Lock lock;
    im.dset.reset();
    im.group.reset();
    if (im.shard->recordings.valid()) H5Ldelete(im.shard->recordings, im.header.id.c_str(), H5P_DEFAULT);
    detail::hdf5_error();  // clear
  } catch (...) {
  }
  try {
    std::lock_guard<std::mutex> lock(im.store->mu);
    im.store->ids.erase(im.header.id);
    im.store->release_locked(im.shard);
  } catch (const std::exception& e) {
    EFM_LOG_ERROR("[store] completing {} after aborting '{}': {}", im.shard->partial.string(), im.header.id, e.what());
  }
}

// ---- StoreWriter -----------------------------------------------------------------------------------------------

void StoreWriter::Impl::adopt_orphans_locked() {
  std::set<std::string> listed;
  for (const auto& r : rows) listed.insert(r.shard);
  std::vector<fs::path> orphans;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (auto idx = detail::parse_shard_name(name)) {
      next_index = std::max(next_index, *idx + 1);
      if (!listed.count(name)) orphans.push_back(e.path());
    }
  }
  std::sort(orphans.begin(), orphans.end());
  for (const auto& path : orphans) {
    std::vector<RecordingEntry> adopted;
    std::vector<std::string> shard_vocab;
    std::vector<uint8_t> shard_seizure;
    {
      H5Lock lock;
      Hid f = detail::check_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                               fmt::format("opening {}", path.string()));
      const std::string h = detail::read_attr_string(f, "config_hash");
      if (h != hash) {
        throw ConfigError(
            fmt::format("{} was written with another configuration (config hash {}, this store {}); "
                        "move it out of the store directory",
                        path.string(), h, hash));
      }
      shard_vocab = detail::read_strings(f, "label_vocabulary");
      shard_seizure = detail::read_uint8s(f, "label_seizure");
      Hid g = detail::open_group(f, "recordings");
      H5G_info_t info;
      detail::check_status(H5Gget_info(g, &info), "listing recordings");
      for (hsize_t i = 0; i < info.nlinks; ++i) {
        char name[1024];
        H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof(name), H5P_DEFAULT);
        Hid rg = detail::open_group(g, name);
        if (!detail::has_attr(rg, "complete")) continue;
        const std::string line = detail::read_attr_string(rg, "manifest_row");
        const CsvTable t = parse_csv(line, ',', false);
        EFM_CHECK_DATA(!t.rows.empty(), "{}: recording '{}' has an empty manifest_row", path.string(), name);
        adopted.push_back(detail::manifest_row(detail::manifest_columns(), t.rows.front(),
                                               fmt::format("{} /recordings/{}", path.string(), name)));
      }
    }
    for (size_t i = 0; i < shard_vocab.size(); ++i) {
      if (i < vocab.size()) {
        EFM_CHECK_DATA(vocab[i].name == shard_vocab[i], "{}: label {} is '{}' but the store's labels.csv says '{}'",
                       path.string(), i, shard_vocab[i], vocab[i].name);
      } else {
        label_id_locked(shard_vocab[i], i < shard_seizure.size() && shard_seizure[i]);
      }
    }
    rows.insert(rows.end(), adopted.begin(), adopted.end());
    EFM_LOG_WARN("[store] adopted {} ({} recordings): an interrupted run completed it but did not list it",
                 path.filename().string(), adopted.size());
  }
  if (!orphans.empty()) write_root_files_locked();
}

StoreWriter::StoreWriter(const fs::path& dir, StoreOptions options, StoredPreprocessing preprocessing)
    : impl_(std::make_shared<Impl>()) {
  auto& im = *impl_;
  EFM_CHECK_ARG(options.shard_gb > 0, "shard_gb must be > 0, got {}", options.shard_gb);
  EFM_CHECK_ARG(options.compression >= 0 && options.compression <= 9, "compression must be 0-9, got {}",
                options.compression);
  EFM_CHECK_ARG(options.chunk_s > 0, "chunk_s must be > 0, got {}", options.chunk_s);
  EFM_CHECK_ARG(preprocessing.spec.sfreq_hz > 0, "the output rate must be > 0 Hz, got {}", preprocessing.spec.sfreq_hz);
  im.dir = fs::absolute(dir).lexically_normal();
  im.opt = std::move(options);
  im.pp = std::move(preprocessing);
  im.hash = sha256_hex(im.opt.config_yaml);
  std::error_code ec;
  fs::create_directories(im.dir, ec);
  EFM_CHECK_DATA(fs::is_directory(im.dir), "cannot create the store directory {}: {}", im.dir.string(), ec.message());

  im.lock_fd = ::open((im.dir / detail::kLockFile).c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  EFM_CHECK_DATA(im.lock_fd >= 0, "cannot create the lock file in {}: {}", im.dir.string(), std::strerror(errno));
  if (::flock(im.lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(im.lock_fd);
    im.lock_fd = -1;
    throw ConfigError(fmt::format("another process is writing to the store {} (its .lock is held)", im.dir.string()));
  }

  try {
    for (const auto& e : fs::directory_iterator(im.dir)) {
      const std::string name = e.path().filename().string();
      if (name.rfind(".shard-", 0) == 0 && name.size() > 8 && name.substr(name.size() - 8) == ".partial") {
        EFM_LOG_WARN("[store] discarding {}: an interrupted run left it incomplete", name);
        fs::remove(e.path());
      }
    }
    const fs::path cfg = im.dir / detail::kConfigFile;
    if (fs::exists(cfg)) {
      const std::string stored = read_file(cfg);
      if (stored != im.opt.config_yaml) {
        throw ConfigError(fmt::format(
            "the store {} was written with other ingest settings ({}); write to a new --out directory, or pass "
            "--overwrite to replace the store",
            im.dir.string(), first_difference(stored, im.opt.config_yaml)));
      }
    }
    const fs::path manifest = im.dir / detail::kManifestFile;
    if (fs::exists(manifest)) im.rows = read_manifest(manifest);
    for (const auto& r : im.rows) {
      if (r.config_hash != im.hash) {
        throw ConfigError(
            fmt::format("the store {} lists '{}' with config hash {}, but this run's is {}; write to "
                        "a new --out directory or pass --overwrite",
                        im.dir.string(), r.recording_id, r.config_hash, im.hash));
      }
      EFM_CHECK_DATA(fs::exists(im.dir / r.shard), "the store {} lists '{}' in {}, which is missing", im.dir.string(),
                     r.recording_id, r.shard);
    }
    im.vocab = detail::read_labels_file(im.dir / detail::kLabelsFile);
    for (const auto& l : im.vocab) im.vocab_index.emplace(l.name, l.id);
    if (!fs::exists(cfg)) atomic_write_file(cfg, im.opt.config_yaml);
    std::lock_guard<std::mutex> lock(im.mu);
    im.adopt_orphans_locked();
    for (const auto& r : im.rows) im.ids.insert(r.recording_id);
    if (!fs::exists(manifest)) im.write_root_files_locked();
  } catch (...) {
    ::close(im.lock_fd);
    im.lock_fd = -1;
    throw;
  }
}

StoreWriter::~StoreWriter() {
  if (!impl_ || impl_->closed) return;
  try {
    close();
  } catch (const std::exception& e) {
    EFM_LOG_ERROR("[store] closing {}: {}", impl_->dir.string(), e.what());
  }
}

const fs::path& StoreWriter::dir() const {
  return impl_->dir;
}

const std::string& StoreWriter::config_hash() const {
  return impl_->hash;
}

std::optional<RecordingEntry> StoreWriter::find_source(const std::string& source_path) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (const auto& r : impl_->rows) {
    if (r.source_path == source_path) return r;
  }
  return std::nullopt;
}

bool StoreWriter::has_recording_id(const std::string& id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->ids.count(id) != 0;
}

std::vector<RecordingEntry> StoreWriter::written() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->session_rows;
}

namespace {

/// Writes the attributes of a recording's group: identity, source, preprocessing and the problems found.
void write_recording_attrs(hid_t g, const RecordingHeader& header, int64_t n_total, const StoredPreprocessing& pp,
                           const std::string& config_hash) {
  detail::write_attrs(g, "recording_id", header.id, "subject", header.subject, "session", header.session, "source_path",
                      header.source_path, "source_sha256", header.source_sha256, "reader", header.reader, "format",
                      header.format, "source_duration_s", header.source_duration_s, "n_samples", n_total, "units", "uV",
                      "tool_version", tool_version(), "config_hash", config_hash);
  {
    config::PreprocessingSpec spec = pp.spec;
    detail::AttrWriter attrs(g);
    spec.visit(attrs);
  }
  detail::write_attrs(g, "reject_abs_uv", pp.reject_abs_uv, "min_overlap", pp.min_overlap, "deviations",
                      header.deviations, "warnings", header.warnings, "dropped_channels", header.dropped_channels,
                      "label_sources", header.label_sources);
}

/// Writes the segment table (STORE/.../segments/).
void write_segments(hid_t g, const std::vector<SignalSegment>& segments) {
  Hid sg = detail::create_group(g, "segments");
  std::vector<double> on;
  std::vector<int64_t> start, n;
  for (const auto& s : segments) {
    on.push_back(s.onset_s);
    start.push_back(s.start_sample);
    n.push_back(s.n_samples);
  }
  detail::write_columns(sg, "onset_s", on, "start_sample", start, "n_samples", n);
}

/// The shape of a recording's signal dataset: [n_channels, n_samples], in chunks of chunk_samples.
struct SignalLayout {
  int64_t n_channels, n_samples, chunk_samples;
};

/// Creates the signal dataset of group `g` with the store's dtype and filters.
Hid create_signal_dataset(hid_t g, const RecordingHeader& header, const SignalLayout& layout, const StoreOptions& opt) {
  const auto rows = static_cast<hsize_t>(layout.n_channels);
  const hsize_t dims[2] = {rows, static_cast<hsize_t>(layout.n_samples)};
  const hsize_t maxdims[2] = {rows, H5S_UNLIMITED};
  const hsize_t chunk[2] = {rows, static_cast<hsize_t>(layout.chunk_samples)};
  Hid space = detail::check_id(H5Screate_simple(2, dims, maxdims), "signal dataspace");
  Hid dcpl = detail::check_id(H5Pcreate(H5P_DATASET_CREATE), "dataset properties");
  detail::check_status(H5Pset_chunk(dcpl, 2, chunk), "signal chunking");
  if (opt.compression > 0) {
    detail::check_status(H5Pset_shuffle(dcpl), "shuffle filter");
    detail::check_status(H5Pset_deflate(dcpl, static_cast<unsigned>(opt.compression)), "deflate filter");
  }
  Hid type = opt.dtype == StoreDtype::float16 ? detail::float16_type() : Hid(H5Tcopy(H5T_IEEE_F32LE));
  Hid dset = detail::check_id(H5Dcreate2(g, "signal", type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                              fmt::format("creating the signal of '{}'", header.id));
  detail::write_attr(dset, "units", "uV");
  return dset;
}

}  // namespace

std::unique_ptr<RecordingWriter> StoreWriter::begin_recording(const RecordingHeader& header) {
  auto& im = *impl_;
  EFM_CHECK_ARG(valid_recording_id(header.id),
                "recording id '{}' may only contain letters, digits, '_', '-', '.' and '+'", header.id);
  EFM_CHECK_ARG(!header.channels.empty(), "recording '{}' has no channels", header.id);
  EFM_CHECK_ARG(header.channel_vocab_index.size() == header.channels.size(),
                "recording '{}': {} channel names but {} vocabulary indices", header.id, header.channels.size(),
                header.channel_vocab_index.size());
  const int64_t n_total = header.n_samples();
  EFM_CHECK_ARG(n_total > 0, "recording '{}' has no samples", header.id);
  int64_t expect = 0;
  for (const auto& s : header.segments) {
    EFM_CHECK_ARG(s.start_sample == expect && s.n_samples > 0,
                  "recording '{}': segments must tile the signal in order (segment at {} with {} samples)", header.id,
                  s.start_sample, s.n_samples);
    expect += s.n_samples;
  }

  auto rw = std::make_unique<RecordingWriter::Impl>();
  rw->store = impl_;
  rw->header = header;
  rw->n_channels = static_cast<int64_t>(header.channels.size());
  rw->n_total = n_total;
  rw->chunk_n = std::max<int64_t>(1, std::llround(im.opt.chunk_s * im.pp.spec.sfreq_hz));
  rw->buf.assign(static_cast<size_t>(rw->n_channels * rw->chunk_n), 0.0f);
  {
    std::lock_guard<std::mutex> lock(im.mu);
    EFM_CHECK_STATE(!im.closed, "the store writer for {} is closed", im.dir.string());
    EFM_CHECK_ARG(!im.ids.count(header.id), "recording id '{}' is already in the store {}", header.id, im.dir.string());
    if (im.current && im.current->full.load()) {
      auto old = im.current;
      im.current.reset();
      if (old->active == 0) {
        im.complete_shard_locked(old);
      } else {
        im.draining.push_back(old);
      }
    }
    if (!im.current) im.current = im.open_shard_locked();
    rw->shard = im.current;
    ++rw->shard->active;
    im.ids.insert(header.id);
  }
  try {
    H5Lock lock;
    rw->group = detail::create_group(rw->shard->recordings, header.id);
    write_recording_attrs(rw->group, header, n_total, im.pp, im.hash);
    write_segments(rw->group, header.segments);
    rw->dset = create_signal_dataset(rw->group, header, SignalLayout{rw->n_channels, n_total, rw->chunk_n}, im.opt);
  } catch (...) {
    {
      H5Lock lock;
      rw->dset.reset();
      rw->group.reset();
      H5Ldelete(rw->shard->recordings, header.id.c_str(), H5P_DEFAULT);
      detail::hdf5_error();
    }
    std::lock_guard<std::mutex> lock(im.mu);
    im.ids.erase(header.id);
    im.release_locked(rw->shard);
    throw;
  }
  return std::unique_ptr<RecordingWriter>(new RecordingWriter(std::move(rw)));
}

void StoreWriter::close() {
  auto& im = *impl_;
  std::lock_guard<std::mutex> lock(im.mu);
  if (im.closed) return;
  int active = 0;
  if (im.current) active += im.current->active;
  for (const auto& s : im.draining) active += s->active;
  EFM_CHECK_STATE(active == 0, "closing the store {} while {} recording(s) are still being written", im.dir.string(),
                  active);
  auto shards = im.draining;
  if (im.current) shards.push_back(im.current);
  for (const auto& s : shards) im.complete_shard_locked(s);
  im.closed = true;
  if (im.lock_fd >= 0) {
    ::flock(im.lock_fd, LOCK_UN);
    ::close(im.lock_fd);
    im.lock_fd = -1;
  }
}

}  // namespace efm::io
