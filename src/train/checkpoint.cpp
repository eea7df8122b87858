#include "epilepsyfm/train/checkpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/models/checkpoint_io.h"

namespace efm::train {
namespace fs = std::filesystem;

std::string checkpoint_name(int64_t step) {
  return fmt::format("step_{:06d}", step);
}

namespace {
std::optional<int64_t> parse_step_name(const std::string& name) {
  if (name.rfind("step_", 0) != 0 || name.size() < 6) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::map<std::string, torch::Tensor> named_state(const torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out[p.key()] = p.value();
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out[b.key()] = b.value();
  return out;
}
}  // namespace

void save_module_state(const torch::nn::Module& module, const fs::path& path) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, t] : named_state(module)) dict.insert(name, t.detach().to(torch::kCPU).contiguous());
  const std::vector<char> bytes = models::pickle_tensor_dict(dict);
  atomic_write_file(path, std::string_view(bytes.data(), bytes.size()));
}

std::map<std::string, torch::Tensor> read_module_state(const fs::path& path) {
  const std::string raw = read_file(path);
  c10::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(raw.begin(), raw.end()));
  } catch (const std::exception& e) {
    throw DataError(fmt::format("{}: not a model state file (pickled dict of tensors): {}", path.string(), e.what()));
  }
  EFM_CHECK_DATA(value.isGenericDict(), "{}: expected a dict of tensors, found {}", path.string(), value.tagKind());
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : value.toGenericDict()) {
    EFM_CHECK_DATA(item.key().isString() && item.value().isTensor(),
                   "{}: expected a dict of name -> tensor, found an entry of kind {} -> {}", path.string(),
                   item.key().tagKind(), item.value().tagKind());
    out[item.key().toStringRef()] = item.value().toTensor();
  }
  return out;
}

std::vector<std::string> load_module_state(torch::nn::Module& module, const fs::path& path, bool strict) {
  models::LoadOptions options;
  options.strict = strict;
  const models::LoadReport report = models::load_state_dict(module, read_module_state(path), path.string(), options);
  EFM_LOG_DEBUG("[ckpt] {}: {}", path.string(), report.summary());
  return report.loaded;
}

CheckpointManager::CheckpointManager(fs::path run_dir, int64_t keep_last)
    : dir_(std::move(run_dir) / "checkpoints"), keep_last_(keep_last) {
  EFM_CHECK_ARG(keep_last_ >= 0, "keep_last ({}) must be >= 0", keep_last_);
}

fs::path CheckpointManager::save(int64_t step, const std::function<void(const fs::path&)>& write, bool is_best) {
  fs::create_directories(dir_);
  // Leftovers of a save interrupted by a crash or SIGKILL (hidden ".step_*.tmp.*" directories) are incomplete.
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const std::string n = entry.path().filename().string();
    if (entry.is_directory() && n.rfind(".step_", 0) == 0 && n.find(".tmp.") != std::string::npos) {
      std::error_code ec;
      fs::remove_all(entry.path(), ec);
    }
  }
  const std::string name = checkpoint_name(step);
  const fs::path final_dir = dir_ / name;
  const fs::path tmp = temp_sibling(final_dir);
  fs::create_directories(tmp);
  try {
    write(tmp);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
  if (fs::exists(final_dir)) {
    // Same step written again (e.g. a resumed run re-saving its last step): move the old one aside first.
    const fs::path old = temp_sibling(final_dir);
    atomic_rename(final_dir, old);
    atomic_rename(tmp, final_dir);
    fs::remove_all(old);
  } else {
    atomic_rename(tmp, final_dir);
  }
  atomic_write_file(dir_ / "latest", name + "\n");
  if (is_best) atomic_write_file(dir_ / "best", name + "\n");
  std::optional<int64_t> best_step;
  if (auto b = best()) best_step = parse_step_name(b->filename().string());
  prune(best_step.value_or(-1));
  return final_dir;
}

std::optional<fs::path> CheckpointManager::latest() const {
  const fs::path pointer = dir_ / "latest";
  if (!fs::exists(pointer)) return std::nullopt;
  const fs::path target = dir_ / trim(read_file(pointer));
  EFM_CHECK_DATA(fs::is_directory(target), "{} names {}, which does not exist", pointer.string(), target.string());
  return target;
}

std::optional<fs::path> CheckpointManager::best() const {
  const fs::path pointer = dir_ / "best";
  if (!fs::exists(pointer)) return std::nullopt;
  const fs::path target = dir_ / trim(read_file(pointer));
  if (!fs::is_directory(target)) return std::nullopt;
  return target;
}

std::vector<int64_t> CheckpointManager::steps() const {
  std::vector<int64_t> out;
  if (!fs::is_directory(dir_)) return out;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    if (!entry.is_directory()) continue;
    if (auto s = parse_step_name(entry.path().filename().string())) out.push_back(*s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void CheckpointManager::prune(int64_t best_step) {
  if (keep_last_ == 0) return;
  const auto all = steps();
  const int64_t n = static_cast<int64_t>(all.size());
  for (int64_t i = 0; i + keep_last_ < n; ++i) {
    if (all[static_cast<size_t>(i)] == best_step) continue;
    std::error_code ec;
    fs::remove_all(dir_ / checkpoint_name(all[static_cast<size_t>(i)]), ec);
    if (ec) EFM_LOG_WARN("[ckpt] could not remove old checkpoint {}: {}", checkpoint_name(all[i]), ec.message());
  }
}

}  // namespace efm::train
