#pragma once
// Steps shared by the backbone and the tokenizer import (interop/import.h).
#include <torch/torch.h>

#include <map>
#include <string>

#include "epilepsyfm/config/preprocessing.h"
#include "epilepsyfm/interop/labram_layout.h"
#include "epilepsyfm/models/checkpoint_io.h"

namespace efm::interop::detail {

using TensorMap = std::map<std::string, torch::Tensor>;

/// The preprocessing spec of a profile (what the imported weights expect).
config::PreprocessingSpec profile_spec(const std::string& profile, config::MontageKind montage);

/// DataError naming the first tensor a strict load would refuse (mismatched, then missing, then unexpected), by
/// their name and ours.
void check_complete(const models::LoadReport& report, ForeignLayout layout, const std::string& origin);

/// The entries of `m` whose names start with `prefix`, with the prefix removed.
TensorMap with_prefix(const TensorMap& m, const std::string& prefix);

/// `m` with name prefix `from` replaced by `to`.
TensorMap renamed_prefix(TensorMap m, const std::string& from, const std::string& to);

}  // namespace efm::interop::detail
