// The embedding file (io/embedding_file.h): row datasets that grow by one hyperslab per batch.
#include "epilepsyfm/io/embedding_file.h"

#include <fmt/format.h>

#include <algorithm>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/version.h"
#include "io/detail/hdf5.h"

namespace efm::io {
namespace fs = std::filesystem;
using detail::check_id;
using detail::check_status;
using detail::H5Lock;
using detail::Hid;

namespace {

/// Chunks of about 256 KiB (at most 16384 rows): h5py reads whole chunks, a row never spans two, and a small file
/// stays small (HDF5 allocates whole chunks).
hsize_t chunk_rows(hsize_t row_bytes) {
  return std::clamp<hsize_t>((hsize_t{1} << 18) / std::max<hsize_t>(row_bytes, 1), 1, hsize_t{1} << 14);
}

/// An empty dataset of rows of `width` values (width 0: a 1-D dataset of scalars) that grows without bound.
Hid create_rows(hid_t loc, const char* name, hid_t type, hsize_t width) {
  const int rank = width > 0 ? 2 : 1;
  const hsize_t dims[2] = {0, width};
  const hsize_t max_dims[2] = {H5S_UNLIMITED, width};
  Hid space = check_id(H5Screate_simple(rank, dims, max_dims), fmt::format("dataspace of '{}'", name));
  Hid dcpl = check_id(H5Pcreate(H5P_DATASET_CREATE), "dataset creation properties");
  const hsize_t chunk[2] = {chunk_rows(std::max<hsize_t>(width, 1) * H5Tget_size(type)), width};
  check_status(H5Pset_chunk(dcpl, rank, chunk), fmt::format("chunking of '{}'", name));
  return check_id(H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                  fmt::format("creating dataset '{}'", name));
}

/// Writes rows [offset, offset + n) of `dset` from `data`, extending it.
void append_rows(hid_t dset, const char* name, hid_t mem_type, hsize_t offset, hsize_t n, hsize_t width,
                 const void* data) {
  const int rank = width > 0 ? 2 : 1;
  const hsize_t size[2] = {offset + n, width};
  check_status(H5Dset_extent(dset, size), fmt::format("extending '{}'", name));
  Hid file_space = check_id(H5Dget_space(dset), fmt::format("dataspace of '{}'", name));
  const hsize_t start[2] = {offset, 0};
  const hsize_t count[2] = {n, width};
  check_status(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, nullptr, count, nullptr),
               fmt::format("selecting rows of '{}'", name));
  Hid mem_space = check_id(H5Screate_simple(rank, count, nullptr), "memory dataspace");
  check_status(H5Dwrite(dset, mem_type, mem_space, file_space, H5P_DEFAULT, data),
               fmt::format("writing rows of '{}'", name));
}

void check_rows(size_t got, size_t want, const char* what) {
  EFM_CHECK_ARG(got == want, "EmbeddingRows::{}: {} values for the batch, expected {}", what, got, want);
}

}  // namespace

struct EmbeddingWriter::Impl {
  fs::path path, partial;
  EmbeddingFileHeader header;
  Hid file, embedding, logits, recording, start_s, channel_group;
  int64_t rows = 0;
  bool finished = false;

  /// Creates the file, the empty row datasets and the header attributes.
  void create() {
    const auto d = static_cast<hsize_t>(header.embed_dim);
    file = check_id(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                    fmt::format("creating {}", partial.string()));
    embedding = create_rows(file, "embedding", H5T_IEEE_F32LE, d);
    if (header.n_logits > 0) {
      logits = create_rows(file, "logits", H5T_IEEE_F32LE, static_cast<hsize_t>(header.n_logits));
    }
    recording = create_rows(file, "recording", H5T_STD_I32LE, 0);
    start_s = create_rows(file, "start_s", H5T_IEEE_F64LE, 0);
    channel_group = create_rows(file, "channel_group", H5T_STD_I32LE, 0);
    detail::write_strings(file, "recordings", header.recordings);
    Hid channels = detail::create_group(file, "channels");
    for (size_t g = 0; g < header.channel_groups.size(); ++g) {
      detail::write_strings(channels, std::to_string(g).c_str(), header.channel_groups[g]);
    }
    detail::write_attrs(file, "model", header.model, "experiment_kind", header.experiment_kind, "source", header.source,
                        "embed_dim", header.embed_dim, "n_logits", header.n_logits, "window_s", header.window_s,
                        "stride_s", header.stride_s, "tool_version", tool_version());
    if (!header.classes.empty()) detail::write_attr(file, "classes", header.classes);
  }

  void close_handles() {
    for (Hid* h : {&embedding, &logits, &recording, &start_s, &channel_group, &file}) h->reset();
  }
};

EmbeddingWriter::EmbeddingWriter(fs::path path, EmbeddingFileHeader header) : impl_(std::make_unique<Impl>()) {
  EFM_CHECK_ARG(header.embed_dim >= 1, "EmbeddingFileHeader::embed_dim must be >= 1, got {}", header.embed_dim);
  EFM_CHECK_ARG(header.n_logits >= 0, "EmbeddingFileHeader::n_logits must be >= 0, got {}", header.n_logits);
  impl_->path = std::move(path);
  impl_->partial = impl_->path;
  impl_->partial += ".partial";
  impl_->header = std::move(header);
  if (impl_->path.has_parent_path()) fs::create_directories(impl_->path.parent_path());
  H5Lock lock;
  try {
    impl_->create();
  } catch (...) {
    impl_->close_handles();
    std::error_code ec;
    fs::remove(impl_->partial, ec);
    throw;
  }
}

EmbeddingWriter::~EmbeddingWriter() {
  if (!impl_ || impl_->finished) return;
  {
    H5Lock lock;
    impl_->close_handles();
  }
  std::error_code ec;
  fs::remove(impl_->partial, ec);
}

void EmbeddingWriter::append(const EmbeddingRows& r) {
  Impl& m = *impl_;
  EFM_CHECK_ARG(!m.finished, "EmbeddingWriter::append after finish()");
  const size_t n = r.recording.size();
  const auto d = static_cast<size_t>(m.header.embed_dim), k = static_cast<size_t>(m.header.n_logits);
  check_rows(r.embedding.size(), n * d, "embedding");
  check_rows(r.logits.size(), n * k, "logits");
  check_rows(r.start_s.size(), n, "start_s");
  check_rows(r.channel_group.size(), n, "channel_group");
  for (size_t i = 0; i < n; ++i) {
    EFM_CHECK_ARG(r.recording[i] >= 0 && static_cast<size_t>(r.recording[i]) < m.header.recordings.size(),
                  "EmbeddingRows::recording: {} is not a row of the {} recordings", r.recording[i],
                  m.header.recordings.size());
    EFM_CHECK_ARG(r.channel_group[i] >= 0 && static_cast<size_t>(r.channel_group[i]) < m.header.channel_groups.size(),
                  "EmbeddingRows::channel_group: {} is not one of the {} channel groups", r.channel_group[i],
                  m.header.channel_groups.size());
  }
  if (n == 0) return;
  const auto at = static_cast<hsize_t>(m.rows), count = static_cast<hsize_t>(n);
  H5Lock lock;
  append_rows(m.embedding, "embedding", H5T_NATIVE_FLOAT, at, count, d, r.embedding.data());
  if (k > 0) append_rows(m.logits, "logits", H5T_NATIVE_FLOAT, at, count, k, r.logits.data());
  append_rows(m.recording, "recording", H5T_NATIVE_INT32, at, count, 0, r.recording.data());
  append_rows(m.start_s, "start_s", H5T_NATIVE_DOUBLE, at, count, 0, r.start_s.data());
  append_rows(m.channel_group, "channel_group", H5T_NATIVE_INT32, at, count, 0, r.channel_group.data());
  m.rows += static_cast<int64_t>(n);
}

void EmbeddingWriter::finish() {
  Impl& m = *impl_;
  if (m.finished) return;
  {
    H5Lock lock;
    detail::write_attr(m.file, "n_windows", m.rows);
    check_status(H5Fflush(m.file, H5F_SCOPE_GLOBAL), fmt::format("flushing {}", m.partial.string()));
    m.close_handles();
  }
  fs::rename(m.partial, m.path);
  m.finished = true;
}

int64_t EmbeddingWriter::rows() const {
  return impl_->rows;
}

EmbeddingFile read_embedding_file(const fs::path& path) {
  EFM_CHECK_DATA(fs::is_regular_file(path), "{}: no such embedding file", path.string());
  EmbeddingFile f;
  EmbeddingFileHeader& h = f.header;
  H5Lock lock;
  Hid file = check_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), fmt::format("opening {}", path.string()));
  h.model = detail::read_attr_string(file, "model");
  h.experiment_kind = detail::read_attr_string(file, "experiment_kind");
  h.source = detail::read_attr_string(file, "source");
  h.embed_dim = detail::read_attr_int(file, "embed_dim");
  h.n_logits = detail::read_attr_int(file, "n_logits");
  h.window_s = detail::read_attr_double(file, "window_s");
  h.stride_s = detail::read_attr_double(file, "stride_s");
  if (detail::has_attr(file, "classes")) h.classes = detail::read_attr_strings(file, "classes");
  f.n_windows = detail::read_attr_int(file, "n_windows");
  h.recordings = detail::read_strings(file, "recordings");
  Hid channels = detail::open_group(file, "channels");
  for (int g = 0; H5Lexists(channels, std::to_string(g).c_str(), H5P_DEFAULT) > 0; ++g) {
    h.channel_groups.push_back(detail::read_strings(channels, std::to_string(g).c_str()));
  }
  f.embedding = detail::read_floats(file, "embedding");
  if (h.n_logits > 0) f.logits = detail::read_floats(file, "logits");
  f.recording = detail::read_int32s(file, "recording");
  f.start_s = detail::read_doubles(file, "start_s");
  f.channel_group = detail::read_int32s(file, "channel_group");
  EFM_CHECK_DATA(f.embedding.size() == static_cast<size_t>(f.n_windows * h.embed_dim),
                 "{}: /embedding holds {} values, expected n_windows {} x embed_dim {}", path.string(),
                 f.embedding.size(), f.n_windows, h.embed_dim);
  return f;
}

}  // namespace efm::io
