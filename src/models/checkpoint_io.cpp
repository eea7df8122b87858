#include "epilepsyfm/models/checkpoint_io.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/models/signal_spec.h"

namespace efm::models {

std::vector<char> pickle_tensor_dict(const c10::Dict<std::string, at::Tensor>& tensors) {
  // torch::pickle_save tags the dict's types (torch.jit._pickle.restore_type_tag), which torch.load refuses under
  // weights_only; an untagged pickle holds the same dict.
  std::vector<char> pickled;
  torch::jit::Pickler pickler([&pickled](const char* b, size_t n) { pickled.insert(pickled.end(), b, b + n); },
                              /*tensor_table=*/nullptr, /*type_renamer=*/nullptr, /*memoized_class_types=*/nullptr,
                              /*get_tensor_id=*/nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(c10::IValue(tensors));
  pickler.stop();
  std::vector<char> archive;
  caffe2::serialize::PyTorchStreamWriter writer([&archive](const void* p, size_t n) {
    const auto* b = static_cast<const char*>(p);
    archive.insert(archive.end(), b, b + n);
    return n;
  });
  torch::jit::writeArchiveAndTensors("data", pickled.data(), pickled.size(), pickler.tensorData(), writer);
  writer.writeEndOfFile();
  return archive;
}

std::vector<std::pair<std::string, torch::Tensor>> state_dict(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out.emplace_back(b.key(), b.value());
  return out;
}

void save_state_dict(const torch::nn::Module& module, const std::filesystem::path& path,
                     const std::string& config_yaml) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, t] : state_dict(module)) {
    EFM_CHECK_STATE(name.rfind("_efm.", 0) != 0, "state dict key '{}' uses the reserved prefix '_efm.'", name);
    dict.insert(name, t.detach().to(torch::kCPU).contiguous().clone());
  }
  dict.insert(kFormatKey, torch::tensor(kStateDictFormatVersion, torch::kLong));
  auto bytes = torch::empty({static_cast<int64_t>(config_yaml.size())}, torch::kUInt8);
  if (!config_yaml.empty()) std::memcpy(bytes.data_ptr<uint8_t>(), config_yaml.data(), config_yaml.size());
  dict.insert(kConfigKey, bytes);
  const std::vector<char> data = pickle_tensor_dict(dict);
  atomic_write_file(path, std::string_view(data.data(), data.size()));
}

StateDictFile read_state_dict(const std::filesystem::path& path) {
  const std::string raw = read_file(path);
  c10::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(raw.begin(), raw.end()));
  } catch (const std::exception& e) {
    throw DataError(fmt::format("{}: not a pickled state dict ({})", path.string(), e.what()));
  }
  EFM_CHECK_DATA(value.isGenericDict(), "{}: expected a dict of tensors, found {}", path.string(), value.tagKind());
  StateDictFile out;
  for (const auto& entry : value.toGenericDict()) {
    EFM_CHECK_DATA(entry.key().isString(), "{}: a key is not a string ({})", path.string(), entry.key().tagKind());
    const std::string key = entry.key().toStringRef();
    EFM_CHECK_DATA(entry.value().isTensor(), "{}: entry '{}' is a {}, not a tensor", path.string(), key,
                   entry.value().tagKind());
    const torch::Tensor t = entry.value().toTensor();
    if (key == kConfigKey) {
      const auto bytes = t.to(torch::kUInt8).contiguous();
      out.config_yaml.assign(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()),
                             static_cast<size_t>(bytes.numel()));
    } else if (key == kFormatKey) {
      out.format_version = t.item<int64_t>();
    } else {
      out.tensors.emplace(key, t);
    }
  }
  EFM_CHECK_DATA(out.format_version <= kStateDictFormatVersion,
                 "{}: state dict format version {} is newer than this build reads ({}); upgrade epilepsyfm",
                 path.string(), out.format_version, kStateDictFormatVersion);
  return out;
}

namespace {

// "a, b, c" or "a, b, ... (12 more)" for long key lists.
std::string key_list(const std::vector<std::string>& keys) {
  constexpr size_t kShown = 8;
  if (keys.size() <= kShown) return fmt::format("{}", fmt::join(keys, ", "));
  return fmt::format("{}, ... ({} more)", fmt::join(keys.begin(), keys.begin() + kShown, ", "), keys.size() - kShown);
}

}  // namespace

std::string LoadReport::summary() const {
  std::string out = fmt::format("{} tensor(s) loaded", loaded.size());
  const std::pair<const char*, const std::vector<std::string>*> parts[] = {{"kept their initialisation", &kept_init},
                                                                           {"missing from the file", &missing},
                                                                           {"not in the model", &unexpected},
                                                                           {"mismatched", &mismatched}};
  for (const auto& [what, keys] : parts) {
    if (!keys->empty()) out += fmt::format("; {} {}: {}", keys->size(), what, key_list(*keys));
  }
  return out;
}

namespace {

bool allowed_missing(const std::string& key, const std::vector<std::string>& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) { return key.rfind(p, 0) == 0; });
}

/// "'<key>' has shape [a] in the file but [b] in the model" (or dtype); empty when the two fit.
std::string mismatch(const std::string& key, const torch::Tensor& src, const torch::Tensor& target) {
  if (src.sizes() != target.sizes()) {
    return fmt::format("'{}' has shape {} in the file but {} in the model", key, shape_str(src), shape_str(target));
  }
  if (src.scalar_type() != target.scalar_type()) {
    return fmt::format("'{}' has dtype {} in the file but {} in the model", key, dtype_str(src.scalar_type()),
                       dtype_str(target.scalar_type()));
  }
  return {};
}

}  // namespace

LoadReport load_state_dict(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors,
                           const std::string& origin, const LoadOptions& options) {
  std::map<std::string, torch::Tensor> selected;
  for (const auto& [key, t] : tensors) {
    if (key.rfind(options.prefix, 0) == 0) selected.emplace(key.substr(options.prefix.size()), t);
  }
  LoadReport report;
  std::set<std::string> seen;  // module keys the file has
  struct Copy {
    const std::string& name;
    torch::Tensor target;
    const torch::Tensor& source;
  };
  std::vector<Copy> copies;  // the keys that fit, copied once every check has passed
  const auto params = state_dict(module);
  for (const auto& [name, target] : params) {
    auto it = selected.find(name);
    if (it == selected.end()) {
      (allowed_missing(name, options.may_be_missing) ? report.kept_init : report.missing).push_back(name);
      continue;
    }
    seen.insert(name);
    if (std::string m = mismatch(options.prefix + name, it->second, target); !m.empty()) {
      report.mismatched.push_back(std::move(m));
    } else {
      copies.push_back({name, target, it->second});
    }
  }
  for (const auto& [key, t] : selected) {
    if (!seen.count(key)) report.unexpected.push_back(options.prefix + key);
  }
  if (options.strict) {
    EFM_CHECK_DATA(report.mismatched.empty(), "{}: {}{}", origin,
                   fmt::join(report.mismatched.begin(),
                             report.mismatched.begin() + std::min<size_t>(3, report.mismatched.size()), "; "),
                   report.mismatched.size() > 3 ? fmt::format("; ... ({} more)", report.mismatched.size() - 3) : "");
    std::vector<std::string> missing;
    for (const auto& k : report.missing) missing.push_back(options.prefix + k);
    EFM_CHECK_DATA(missing.empty(), "{}: {} model entr{} missing from the file: {}", origin, missing.size(),
                   missing.size() == 1 ? "y is" : "ies are", key_list(missing));
    EFM_CHECK_DATA(report.unexpected.empty(), "{}: {} file entr{} not in the model: {}", origin,
                   report.unexpected.size(), report.unexpected.size() == 1 ? "y is" : "ies are",
                   key_list(report.unexpected));
  }
  // The copies come after the checks: a refused strict load changes no tensor of the module.
  torch::NoGradGuard no_grad;
  for (Copy& c : copies) {
    c.target.copy_(c.source);
    report.loaded.push_back(c.name);
  }
  return report;
}

std::string load_state_dict(torch::nn::Module& module, const std::filesystem::path& path, const LoadOptions& options) {
  StateDictFile file = read_state_dict(path);
  load_state_dict(module, file.tensors, path.string(), options);
  return file.config_yaml;
}

}  // namespace efm::models
