#pragma once
// The model and checkpoint inspectors of `epilepsyfm inspect` (torch; the store inspector is torch-free).
#include <filesystem>
#include <string>

namespace efm::cli {

/// Parameter counts per component of the backbone, the pretraining model and the tokenizer of a size preset
/// ("tiny", "base", ...) or of the models a tokenizer/pretrain config file describes. Returns the text.
std::string describe_model(const std::string& size_or_config);

/// What a weights file, checkpoint directory or run directory holds: kind, step, config summary, tensors and
/// parameter counts per top-level component, preprocessing record, codebook state of a tokenizer.
std::string describe_checkpoint(const std::filesystem::path& path);

}  // namespace efm::cli
