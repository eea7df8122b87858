#pragma once
/// The HDF5 store (io/store.h, docs/store.md) as a WindowSource for the window index, samplers and the loader.
///
///   auto src = std::make_shared<StoreWindowSource>("stores/tusz");            // normalised reads
///   WindowIndex index = WindowIndex::build(*src, WindowOptions{});
///
/// recordings(): one entry per manifest row (store order): id, subject, canonical channel names, electrode
/// vocabulary indices, region ids (signal::RegionTable::default_table(), -1 for channels outside it), the stored
/// rate and length, and the ingest window table as spans (label = id into label_names() = the store's label
/// vocabulary, rejected = the table's amplitude-rejection flag). read(): StoreReader::read with the recording's
/// normalisation (zscore / scale / none as recorded at ingest) unless `normalised` is false; thread-safe.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "epilepsyfm/data/window_source.h"
#include "epilepsyfm/io/store.h"

namespace efm::data {

struct StoreSourceOptions {
  bool normalised = true;     ///< apply the recorded normalisation when reading (false: microvolts as stored)
  io::StoreReadOptions read;  ///< how signals are read (memory-mapped by default)
};

class StoreWindowSource : public WindowSource {
 public:
  /// Opens the store and reads every recording's tables (one pass over the shards). Throws DataError for a
  /// directory that is not a store.
  explicit StoreWindowSource(const std::filesystem::path& store_dir, StoreSourceOptions options = {});

  const std::vector<RecordingInfo>& recordings() const override { return infos_; }
  const std::vector<std::string>& label_names() const override { return label_names_; }
  void read(int64_t recording, int64_t start_sample, int64_t n_samples, float* out) const override;

  const io::StoreReader& store() const { return *store_; }

 private:
  std::unique_ptr<io::StoreReader> store_;
  StoreSourceOptions options_;
  std::vector<RecordingInfo> infos_;
  std::vector<std::string> label_names_;
};

}  // namespace efm::data
