#pragma once
/// Model weights on disk: a module's state dict (parameters and buffers under their dotted module paths, e.g.
/// "backbone.blocks.3.attn.qkv.weight") pickled as a plain dict of tensors in torch.save's zip format, so that
/// Python's `torch.load(path)` returns a dict of tensors, also with its default weights_only=True (PyTorch >= 2.6).
/// Two reserved entries travel with the weights:
///   "_efm.format_version"  int64 scalar (kStateDictFormatVersion)
///   "_efm.config_yaml"     uint8 [n]: the resolved config as UTF-8 YAML text
/// Python (docs/checkpoint.md):
///   sd = torch.load("model.pt")
///   config = sd.pop("_efm.config_yaml").numpy().tobytes().decode("utf-8")
///   sd.pop("_efm.format_version"); model_weights = sd
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace efm::models {

inline constexpr int64_t kStateDictFormatVersion = 1;
inline constexpr const char* kConfigKey = "_efm.config_yaml";
inline constexpr const char* kFormatKey = "_efm.format_version";

/// `tensors` as torch.save writes a dict of tensors: a zip archive whose pickle holds a plain dict (no TorchScript
/// type tags, which torch.load's weights_only mode refuses) and the tensor data of each entry.
std::vector<char> pickle_tensor_dict(const c10::Dict<std::string, at::Tensor>& tensors);

/// Named parameters and buffers, recursively, in registration order (the state dict).
std::vector<std::pair<std::string, torch::Tensor>> state_dict(const torch::nn::Module& module);

struct StateDictFile {
  std::map<std::string, torch::Tensor> tensors;  ///< weights (reserved entries removed)
  std::string config_yaml;                       ///< empty when the file has none
  int64_t format_version = 0;
};

/// Writes the module's state dict (CPU copies) and `config_yaml` atomically to `path`. DataError on I/O failure.
void save_state_dict(const torch::nn::Module& module, const std::filesystem::path& path,
                     const std::string& config_yaml = {});
/// Reads a file written by save_state_dict (or any pickled dict of string -> tensor, e.g. from Python's
/// torch.save of a plain dict with the legacy format). DataError naming the path when it is not one.
StateDictFile read_state_dict(const std::filesystem::path& path);

struct LoadOptions {
  /// Only file keys starting with `prefix` are used, with the prefix removed (e.g. "backbone." loads the backbone
  /// of a pre-training checkpoint into a Backbone).
  std::string prefix;
  /// Every module entry must be in the file and every (selected) file entry must be in the module.
  bool strict = true;
  /// Module entries that may be missing from the file even when strict (key prefixes, e.g. "fc_norm." for a layer
  /// that only fine-tuning adds); they keep their initialisation and are listed in LoadReport::kept_init.
  std::vector<std::string> may_be_missing;
};

/// What a load did: module keys (without the prefix) for the first three lists, file keys for the others.
struct LoadReport {
  std::vector<std::string> loaded;      ///< copied from the file
  std::vector<std::string> kept_init;   ///< missing from the file but allowed (LoadOptions::may_be_missing)
  std::vector<std::string> missing;     ///< missing from the file, not allowed
  std::vector<std::string> unexpected;  ///< file keys (with the prefix) that are not in the module
  /// "'<prefix><key>' has shape [a] in the file but [b] in the model" (or dtype): never copied
  std::vector<std::string> mismatched;
  /// "<n> tensors loaded; <k> kept their initialisation: a, b; <m> missing ...; <u> unexpected ..." (lists
  /// shortened to 8 names).
  std::string summary() const;
};

/// Copies `tensors` into the module's parameters and buffers (on their devices) and reports what matched. When
/// strict, shape/dtype mismatches and missing (not allowed) or unexpected entries are a DataError naming `origin`
/// and the keys, and nothing is copied; a non-strict load copies what fits and reports the rest for the caller to
/// judge.
LoadReport load_state_dict(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors,
                           const std::string& origin, const LoadOptions& options = {});
/// read_state_dict + load_state_dict; returns the stored config YAML.
std::string load_state_dict(torch::nn::Module& module, const std::filesystem::path& path,
                            const LoadOptions& options = {});

}  // namespace efm::models
