#pragma once
/// Weights written by another project's torch.save, unwrapped to a flat {name: tensor} map:
///  - a bare state dict (braindecode: `torch.save(model.state_dict(), path)`);
///  - a training checkpoint that holds it under a wrapper key (LaBraM: {"model": ..., "optimizer": ..., "epoch": ...};
///    the keys tried are kWrapperKeys, in order, as LaBraM's `--model_key model|module`);
///  - names under a common prefix: LaBraM's pretraining model keeps its backbone under "student." (its own lm_head and
///    projection_head are outside and are listed in `dropped`), DistributedDataParallel under "module.".
///
///   ForeignStateDict f = read_foreign_state_dict("labram-base.pth");   // f.prefix == "student.", f.wrapper == "model"
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace efm::interop {

/// Wrapper keys of a training checkpoint, tried in order.
inline constexpr const char* kWrapperKeys[] = {"model", "module", "state_dict", "model_state_dict"};
/// Name prefixes removed when some names carry them (the names without are dropped and listed).
inline constexpr const char* kStrippedPrefixes[] = {"student.", "module."};

struct ForeignStateDict {
  std::map<std::string, torch::Tensor> tensors;  ///< unwrapped, the prefix removed
  std::string wrapper;                           ///< the wrapper key the weights were under; "" for a bare dict
  std::string prefix;                            ///< the prefix removed from every kept name; "" for none
  std::vector<std::string> dropped;              ///< names outside that prefix (not imported)
};

/// Throws DataError naming the file when it is no torch.save file (with the Python line that re-saves only the
/// weights when the unpickler met a Python object it cannot build, such as argparse.Namespace), when no dict of
/// tensors is found, or when an entry of that dict is not a tensor (naming the entry).
ForeignStateDict read_foreign_state_dict(const std::filesystem::path& path);

}  // namespace efm::interop
