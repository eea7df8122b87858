#pragma once
/// `epilepsyfm export --format braindecode MODEL OUT.pt`: a run's backbone, and a fine-tuned window classifier's
/// linear head, as a state dict that braindecode's `Labram` loads with `load_state_dict(strict=True)`, and OUT.json
/// beside it with the constructor arguments and the channel names to pass to its forward (docs/interop.md).
///
///   ExportOptions o;  o.model = "runs/sd_bonn";  o.out = "sd_bonn_braindecode.pt";  o.channel_as = {{"EEG", "CZ"}};
///   ExportResult r = export_braindecode(o);
///
/// Exportable: a backbone without the spectral branch, region embedding or coordinates, with 25 * out_chans ==
/// embed_dim (LaBraM's TemporalConv alone), and either CLS pooling after the final norm (braindecode's default) or
/// mean pooling + fc_norm without a final norm (use_mean_pooling=True). Anything else is a ConfigError naming the
/// setting. The CLS token carries its position (braindecode's position row 0 is written as zeros), electrode rows
/// 1..128 are LaBraM's electrodes, and the time embedding gets n_times / 200 + 1 rows.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace efm::interop {

struct ExportOptions {
  std::filesystem::path model;     ///< a run directory, checkpoint directory or weights file (resolve_model_file)
  std::filesystem::path out;       ///< the .pt to write; the JSON goes to out with extension .json
  std::optional<int64_t> n_times;  ///< samples per window; default: a fine-tuning run's data.window_s * 200
  /// Our channel name -> one of LaBraM's electrodes, whose position row then holds that channel's embedding (for
  /// channels LaBraM has no row for, such as Bonn's "EEG" on the electrode table's UNK row).
  std::vector<std::pair<std::string, std::string>> channel_as;
};

struct ExportResult {
  std::filesystem::path weights, json;
  std::vector<std::string> ch_names;  ///< braindecode's names of the run's channels (empty for a pretraining run)
  int64_t n_times = 0;
  int64_t n_outputs = 0;  ///< 0: no head (braindecode's final_layer is then an Identity)
};

/// ConfigError naming what braindecode's Labram cannot express; DataError for unreadable weights.
ExportResult export_braindecode(const ExportOptions& options);

}  // namespace efm::interop
