// StoreReader (io/store.h): manifest + lazily opened shards. Signal windows of uncompressed recordings are copied
// out of memory-mapped shards (detail/mapped_signal.h) without the HDF5 lock; others are hyperslab reads.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <list>
#include <map>
#include <mutex>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/io/store.h"
#include "io/detail/hdf5.h"
#include "io/detail/mapped_signal.h"
#include "io/detail/store_common.h"

namespace efm::io {
namespace fs = std::filesystem;
using detail::H5Lock;
using detail::Hid;

namespace {

constexpr size_t kMaxOpenDatasets = 32;

}  // namespace

struct StoreReader::Impl {
  fs::path dir;
  StoreReadOptions options;
  std::vector<RecordingEntry> rows;
  std::map<std::string, size_t> by_id;
  std::vector<StoreLabel> labels;

  // Caches, guarded by the HDF5 lock (they hold HDF5 handles).
  std::map<std::string, Hid> files;
  struct OpenDataset {
    size_t index;
    Hid dset;
    StoreDtype dtype;
  };
  std::list<OpenDataset> datasets;  // most recently used first

  std::map<std::string, std::shared_ptr<const detail::MappedFile>> maps;  // by shard, guarded by the HDF5 lock

  mutable std::mutex details_mu;
  mutable std::map<size_t, std::shared_ptr<const RecordingDetails>> details;

  /// How one recording's signal is read: from the mapped shard (null: through HDF5), and its normalisation as
  /// (x - shift) * gain per channel.
  struct SignalPlan {
    std::unique_ptr<const detail::MappedSignal> mapped;
    std::vector<float> shift, gain;
  };
  std::mutex plans_mu;
  std::vector<std::shared_ptr<const SignalPlan>> plans;  // by recording index, built on first read

  /// The plan of recording `index`, built on first use (reads its details; maps its shard when allowed).
  std::shared_ptr<const SignalPlan> plan(const StoreReader& reader, size_t index);

  std::shared_ptr<const detail::MappedFile> map_locked(const std::string& shard) {
    auto it = maps.find(shard);
    if (it != maps.end()) return it->second;
    auto m = std::make_shared<const detail::MappedFile>(dir / shard);
    maps.emplace(shard, m);
    return m;
  }

  hid_t file_locked(const std::string& shard) {
    auto it = files.find(shard);
    if (it != files.end()) return it->second;
    const fs::path path = dir / shard;
    Hid f = detail::check_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                             fmt::format("opening shard {}", path.string()));
    const hid_t id = f;
    files.emplace(shard, std::move(f));
    return id;
  }

  Hid group_locked(size_t index) {
    const auto& r = rows[index];
    const hid_t f = file_locked(r.shard);
    return detail::check_id(H5Gopen2(f, ("recordings/" + r.recording_id).c_str(), H5P_DEFAULT),
                            fmt::format("{}: recording '{}' is missing", (dir / r.shard).string(), r.recording_id));
  }

  OpenDataset& dataset_locked(size_t index) {
    for (auto it = datasets.begin(); it != datasets.end(); ++it) {
      if (it->index == index) {
        datasets.splice(datasets.begin(), datasets, it);
        return datasets.front();
      }
    }
    Hid g = group_locked(index);
    // A chunk cache of a few chunks: consecutive windows from one recording reuse a decompressed chunk.
    Hid dapl = detail::check_id(H5Pcreate(H5P_DATASET_ACCESS), "dataset access properties");
    Hid probe = detail::check_id(H5Dopen2(g, "signal", H5P_DEFAULT), "opening the signal");
    Hid dcpl = detail::check_id(H5Dget_create_plist(probe), "signal properties");
    hsize_t chunk[2] = {1, 1};
    H5Pget_chunk(dcpl, 2, chunk);
    Hid ftype = detail::check_id(H5Dget_type(probe), "signal type");
    const size_t elem = H5Tget_size(ftype);
    const size_t chunk_bytes = static_cast<size_t>(chunk[0] * chunk[1]) * elem;
    const size_t cache = std::min<size_t>(std::max<size_t>(4 * chunk_bytes, 1 << 20), 64u << 20);
    detail::check_status(H5Pset_chunk_cache(dapl, 521, cache, 0.75), "chunk cache");
    probe.reset();
    OpenDataset od{index, detail::check_id(H5Dopen2(g, "signal", dapl), "opening the signal"),
                   elem == 2 ? StoreDtype::float16 : StoreDtype::float32};
    datasets.push_front(std::move(od));
    if (datasets.size() > kMaxOpenDatasets) datasets.pop_back();
    return datasets.front();
  }
};

StoreReader::StoreReader(const fs::path& dir, StoreReadOptions options) : impl_(std::make_unique<Impl>()) {
  auto& im = *impl_;
  im.dir = fs::absolute(dir).lexically_normal();
  im.options = options;
  const fs::path manifest = im.dir / detail::kManifestFile;
  EFM_CHECK_DATA(fs::exists(manifest),
                 "{} is not an epilepsyfm store: {} is missing (stores are written by "
                 "`epilepsyfm ingest`)",
                 im.dir.string(), detail::kManifestFile);
  im.rows = read_manifest(manifest);
  for (size_t i = 0; i < im.rows.size(); ++i) {
    const auto& r = im.rows[i];
    EFM_CHECK_DATA(im.by_id.emplace(r.recording_id, i).second, "{}: recording '{}' is listed twice", manifest.string(),
                   r.recording_id);
    EFM_CHECK_DATA(fs::exists(im.dir / r.shard), "{}: '{}' is in {}, which is missing", manifest.string(),
                   r.recording_id, r.shard);
    EFM_CHECK_DATA(r.store_version <= kStoreVersion,
                   "{}: '{}' was written with store version {}; this build reads up to {} (update epilepsyfm)",
                   manifest.string(), r.recording_id, r.store_version, kStoreVersion);
  }
  im.labels = detail::read_labels_file(im.dir / detail::kLabelsFile);
  im.plans.resize(im.rows.size());
}

StoreReader::~StoreReader() {
  if (!impl_) return;
  H5Lock lock;
  impl_->datasets.clear();
  impl_->files.clear();
  impl_->plans.clear();
  impl_->maps.clear();
}
StoreReader::StoreReader(StoreReader&&) noexcept = default;
StoreReader& StoreReader::operator=(StoreReader&&) noexcept = default;

const fs::path& StoreReader::dir() const {
  return impl_->dir;
}
const std::vector<RecordingEntry>& StoreReader::recordings() const {
  return impl_->rows;
}
std::optional<size_t> StoreReader::find(const std::string& recording_id) const {
  auto it = impl_->by_id.find(recording_id);
  if (it == impl_->by_id.end()) return std::nullopt;
  return it->second;
}
const std::vector<StoreLabel>& StoreReader::labels() const {
  return impl_->labels;
}
std::string StoreReader::config_yaml() const {
  const fs::path p = impl_->dir / detail::kConfigFile;
  return fs::exists(p) ? read_file(p) : std::string();
}

std::shared_ptr<const RecordingDetails> StoreReader::details(size_t index) const {
  auto& im = *impl_;
  EFM_CHECK_ARG(index < im.rows.size(), "recording index {} is out of range (the store has {})", index, im.rows.size());
  {
    std::lock_guard<std::mutex> lock(im.details_mu);
    auto it = im.details.find(index);
    if (it != im.details.end()) return it->second;
  }
  auto d = std::make_shared<RecordingDetails>();
  {
    H5Lock lock;
    Hid g = im.group_locked(index);
    d->channels = detail::read_strings(g, "channels");
    for (int32_t v : detail::read_int32s(g, "channel_index")) d->channel_vocab_index.push_back(v);
    detail::read_columns(g, "mean_uv", d->mean_uv, "std_uv", d->std_uv, "max_abs_uv", d->max_abs_uv);
    {
      Hid sg = detail::open_group(g, "segments");
      std::vector<double> on;
      std::vector<int64_t> start, n;
      detail::read_columns(sg, "onset_s", on, "start_sample", start, "n_samples", n);
      for (size_t i = 0; i < on.size(); ++i) d->segments.push_back(SignalSegment{on[i], start.at(i), n.at(i)});
    }
    {
      Hid eg = detail::open_group(g, "events");
      std::vector<double> on, off;
      std::vector<std::string> label, channel, source;
      detail::read_columns(eg, "onset_s", on, "offset_s", off, "label", label, "channel", channel, "source", source,
                           "seizure", d->event_seizure);
      for (size_t i = 0; i < on.size(); ++i) {
        LabelEvent e;
        e.onset_s = on[i];
        e.offset_s = off.at(i);
        e.label = label.at(i);
        e.channel = i < channel.size() ? channel[i] : std::string();
        e.source = i < source.size() ? source[i] : std::string();
        d->events.push_back(std::move(e));
      }
    }
    {
      Hid wg = detail::open_group(g, "windows");
      std::vector<int64_t> start;
      std::vector<int32_t> label;
      std::vector<uint8_t> seizure, reject;
      std::vector<float> sz, lo, mx;
      detail::read_columns(wg, "start_sample", start, "label", label, "seizure", seizure, "seizure_overlap", sz,
                           "label_overlap", lo, "reject", reject, "max_abs_uv", mx);
      for (size_t i = 0; i < start.size(); ++i) {
        d->windows.push_back(RecordingDetails::Window{start[i], label.at(i), seizure.at(i) != 0, sz.at(i), lo.at(i),
                                                      reject.at(i) != 0, mx.at(i)});
      }
      d->preprocessing.window_length_samples = detail::read_attr_int(wg, "length_samples");
      d->preprocessing.window_stride_samples = detail::read_attr_int(wg, "stride_samples");
    }
    d->deviations = detail::read_attr_strings(g, "deviations");
    d->warnings = detail::read_attr_strings(g, "warnings");
    d->dropped_channels = detail::read_attr_strings(g, "dropped_channels");
    d->label_sources = detail::read_attr_strings(g, "label_sources");
    auto& pp = d->preprocessing;
    detail::AttrReader attrs(g);
    pp.spec.visit(attrs);
    pp.reject_abs_uv = detail::read_attr_double(g, "reject_abs_uv");
    pp.min_overlap = detail::read_attr_double(g, "min_overlap");
    d->tool_version = detail::read_attr_string(g, "tool_version");
    d->config_hash = detail::read_attr_string(g, "config_hash");
    d->dtype = im.dataset_locked(index).dtype;
  }
  EFM_CHECK_DATA(d->channels.size() == static_cast<size_t>(im.rows[index].n_channels) &&
                     d->mean_uv.size() == d->channels.size() && d->std_uv.size() == d->channels.size(),
                 "{}: recording '{}' has inconsistent channel tables", (im.dir / im.rows[index].shard).string(),
                 im.rows[index].recording_id);
  std::lock_guard<std::mutex> lock(im.details_mu);
  return im.details.emplace(index, std::move(d)).first->second;
}

std::shared_ptr<const StoreReader::Impl::SignalPlan> StoreReader::Impl::plan(const StoreReader& reader, size_t index) {
  {
    std::lock_guard<std::mutex> lock(plans_mu);
    if (plans[index]) return plans[index];
  }
  const std::shared_ptr<const RecordingDetails> d = reader.details(index);
  auto p = std::make_shared<SignalPlan>();
  const size_t C = d->channels.size();
  p->shift.assign(C, 0.0f);
  p->gain.assign(C, 1.0f);
  const auto& pp = d->preprocessing;
  if (pp.spec.normalization == config::Normalization::zscore) {
    for (size_t c = 0; c < C; ++c) {
      p->shift[c] = static_cast<float>(d->mean_uv[c]);
      p->gain[c] = d->std_uv[c] > 0 ? static_cast<float>(1.0 / d->std_uv[c]) : 0.0f;
    }
  } else if (pp.spec.normalization == config::Normalization::scale) {
    p->gain.assign(C, static_cast<float>(pp.spec.scale));
  }
  if (options.map_signal) {
    H5Lock lock;
    try {
      p->mapped = detail::MappedSignal::probe(dataset_locked(index).dset, map_locked(rows[index].shard));
    } catch (const DataError& e) {
      // A file system that refuses mmap still reads through HDF5 (serialised), so the store stays usable.
      EFM_LOG_WARN("[store] {}; reading '{}' through HDF5", e.what(), rows[index].recording_id);
    }
  }
  std::lock_guard<std::mutex> lock(plans_mu);
  if (!plans[index]) plans[index] = std::move(p);
  return plans[index];
}

void StoreReader::read(size_t index, int64_t start_sample, int64_t n_samples, bool normalised, float* out) const {
  auto& im = *impl_;
  EFM_CHECK_ARG(index < im.rows.size(), "recording index {} is out of range (the store has {})", index, im.rows.size());
  const auto& r = im.rows[index];
  EFM_CHECK_ARG(start_sample >= 0 && n_samples >= 0 && start_sample + n_samples <= r.n_samples,
                "recording '{}': samples [{}, {}) are outside [0, {})", r.recording_id, start_sample,
                start_sample + n_samples, r.n_samples);
  const int64_t C = r.n_channels;
  if (n_samples == 0) return;
  const auto plan = im.plan(*this, index);
  const float* shift = normalised ? plan->shift.data() : nullptr;
  if (plan->mapped) {
    plan->mapped->read(start_sample, n_samples, shift, plan->gain.data(), out);
    return;
  }
  {
    H5Lock lock;
    auto& od = im.dataset_locked(index);
    Hid fspace = detail::check_id(H5Dget_space(od.dset), "signal dataspace");
    const hsize_t off[2] = {0, static_cast<hsize_t>(start_sample)};
    const hsize_t cnt[2] = {static_cast<hsize_t>(C), static_cast<hsize_t>(n_samples)};
    detail::check_status(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, nullptr, cnt, nullptr), "selection");
    Hid mspace = detail::check_id(H5Screate_simple(2, cnt, nullptr), "memory dataspace");
    const std::string what =
        fmt::format("reading '{}' samples [{}, {})", r.recording_id, start_sample, start_sample + n_samples);
    if (od.dtype == StoreDtype::float32) {
      detail::check_status(H5Dread(od.dset, H5T_NATIVE_FLOAT, mspace, fspace, H5P_DEFAULT, out), what);
    } else {
      const size_t n = static_cast<size_t>(C * n_samples);
      std::vector<uint16_t> halves(n);
      Hid ftype = detail::float16_type();
      detail::check_status(H5Dread(od.dset, ftype, mspace, fspace, H5P_DEFAULT, halves.data()), what);
      detail::halves_to_floats(halves.data(), n, out);
    }
  }
  if (shift == nullptr) return;
  for (int64_t c = 0; c < C; ++c) {
    detail::normalise_row(out + c * n_samples, n_samples, shift[c], plan->gain[static_cast<size_t>(c)]);
  }
}

bool StoreReader::signal_mapped(size_t index) const {
  EFM_CHECK_ARG(index < impl_->rows.size(), "recording index {} is out of range (the store has {})", index,
                impl_->rows.size());
  return impl_->plan(*this, index)->mapped != nullptr;
}

std::vector<float> StoreReader::read_window(size_t index, int64_t start_sample, int64_t n_samples,
                                            bool normalised) const {
  EFM_CHECK_ARG(index < impl_->rows.size(), "recording index {} is out of range (the store has {})", index,
                impl_->rows.size());
  std::vector<float> out(static_cast<size_t>(impl_->rows[index].n_channels * std::max<int64_t>(n_samples, 0)));
  read(index, start_sample, n_samples, normalised, out.data());
  return out;
}

}  // namespace efm::io
