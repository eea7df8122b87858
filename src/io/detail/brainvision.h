#pragma once
// BrainVision Core Data Format 1.0 metadata (.vhdr channel infos, .vmrk markers), read by epilepsyfm itself: BioSig
// 2.5 decodes BrainVision samples correctly but ignores the unit field of [Channel Infos] (every channel is
// reported in uV) and garbles the markers that follow a "New Segment" marker without a date field.
#include <filesystem>
#include <string>
#include <vector>

#include "epilepsyfm/io/recording.h"

namespace efm::io::detail {

struct BrainVisionMarker {
  int64_t position = 0;  ///< 0-based sample (the file's positions are 1-based)
  int64_t points = 0;    ///< size in data points
  std::string text;      ///< "<Type>/<Description>", as MNE names BrainVision annotations
};

struct BrainVisionMeta {
  std::vector<std::string> names;  ///< per channel, file order
  std::vector<std::string> units;  ///< per channel; "µV" when the field is absent or empty (the spec's default)
  bool has_markers = false;        ///< a marker file was named and read
  std::vector<BrainVisionMarker> markers;
};

/// Parses `vhdr` and the marker file it names (relative to its folder). Throws DataError naming the file when the
/// header cannot be read or has no [Channel Infos]; a missing marker file leaves has_markers false.
BrainVisionMeta read_brainvision_meta(const std::filesystem::path& vhdr);

}  // namespace efm::io::detail
