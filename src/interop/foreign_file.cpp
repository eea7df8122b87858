#include "epilepsyfm/interop/foreign_file.h"

#include <fmt/format.h>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"

namespace efm::interop {
namespace {

std::string first_line(const char* text) {
  const std::string s(text);
  return s.substr(0, s.find('\n'));
}

c10::IValue unpickle(const std::filesystem::path& path) {
  const std::string raw = read_file(path);
  try {
    return torch::pickle_load(std::vector<char>(raw.begin(), raw.end()));
  } catch (const std::exception& e) {
    throw DataError(fmt::format(
        "{}: not a readable torch.save file ({}). If it holds Python objects besides the weights (a training "
        "checkpoint's 'args'), save only the weights: python -c \"import torch; c = torch.load('{}', "
        "map_location='cpu', weights_only=False); torch.save(c.get('model', c), 'weights.pth')\"",
        path.string(), first_line(e.what()), path.string()));
  }
}

// The dict holding the weights: the top level, or the value of the first wrapper key present.
std::pair<c10::impl::GenericDict, std::string> weights_dict(const c10::IValue& top, const std::string& origin) {
  EFM_CHECK_DATA(top.isGenericDict(), "{}: expected a dict (a state dict or a checkpoint), found {}", origin,
                 top.tagKind());
  const auto dict = top.toGenericDict();
  for (const char* key : kWrapperKeys) {
    const auto it = dict.find(c10::IValue(std::string(key)));
    if (it != dict.end() && it->value().isGenericDict()) return {it->value().toGenericDict(), key};
  }
  return {dict, ""};
}

std::string common_prefix(const std::map<std::string, torch::Tensor>& tensors) {
  for (const char* p : kStrippedPrefixes) {
    for (const auto& [name, t] : tensors) {
      if (name.rfind(p, 0) == 0) return p;
    }
  }
  return {};
}

}  // namespace

ForeignStateDict read_foreign_state_dict(const std::filesystem::path& path) {
  const std::string origin = path.string();
  auto [dict, wrapper] = weights_dict(unpickle(path), origin);
  std::map<std::string, torch::Tensor> all;
  for (const auto& entry : dict) {
    EFM_CHECK_DATA(entry.key().isString(), "{}: a key of the weights is a {}, not a name", origin,
                   entry.key().tagKind());
    const std::string& name = entry.key().toStringRef();
    EFM_CHECK_DATA(entry.value().isTensor(), "{}: '{}{}' is a {}, not a tensor", origin,
                   wrapper.empty() ? "" : wrapper + "/", name, entry.value().tagKind());
    all.emplace(name, entry.value().toTensor());
  }
  EFM_CHECK_DATA(!all.empty(), "{}: holds no tensors", origin);
  ForeignStateDict out;
  out.wrapper = wrapper;
  out.prefix = common_prefix(all);
  for (auto& [name, t] : all) {
    if (out.prefix.empty()) {
      out.tensors.emplace(name, t);
    } else if (name.rfind(out.prefix, 0) == 0) {
      out.tensors.emplace(name.substr(out.prefix.size()), t);
    } else {
      out.dropped.push_back(name);
    }
  }
  return out;
}

}  // namespace efm::interop
