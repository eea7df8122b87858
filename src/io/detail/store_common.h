#pragma once
// Pieces shared by the store writer and reader: file names, the label vocabulary file, manifest rows.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/io/store.h"

namespace efm::io::detail {

inline constexpr const char* kManifestFile = "manifest.csv";
inline constexpr const char* kLabelsFile = "labels.csv";
inline constexpr const char* kConfigFile = "config.yaml";
inline constexpr const char* kLockFile = ".lock";
inline constexpr const char* kStoreFormat = "epilepsyfm-store";

/// "shard-00003.h5"
std::string shard_name(int index);
/// ".shard-00003.h5.partial"
std::string partial_shard_name(int index);
/// Index of "shard-NNNNN.h5", nullopt for other names.
std::optional<int> parse_shard_name(const std::string& name);

/// The manifest's column names, in order.
const std::vector<std::string>& manifest_columns();
std::vector<std::string> manifest_fields(const RecordingEntry& row);
RecordingEntry manifest_row(const std::vector<std::string>& header, const std::vector<std::string>& fields,
                            const std::string& where);

std::vector<StoreLabel> read_labels_file(const std::filesystem::path& path);
std::string labels_csv(const std::vector<StoreLabel>& labels);

const char* dtype_name(StoreDtype dtype);

}  // namespace efm::io::detail
