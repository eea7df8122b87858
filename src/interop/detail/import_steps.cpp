#include "interop/detail/import_steps.h"

#include <fmt/format.h>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/signal/preprocess.h"

namespace efm::interop::detail {

config::PreprocessingSpec profile_spec(const std::string& profile, config::MontageKind montage) {
  config::PreprocessConfig pc;
  pc.profile = profile;
  return signal::preprocessing_spec(signal::resolve_preprocess(pc), montage);
}

void check_complete(const models::LoadReport& r, ForeignLayout layout, const std::string& origin) {
  auto both = [&](const std::string& ours) {
    const std::string theirs = to_foreign_name(ours, layout);
    return theirs == ours ? fmt::format("'{}'", ours) : fmt::format("'{}' (ours: '{}')", theirs, ours);
  };
  EFM_CHECK_DATA(r.mismatched.empty(), "{}: {}", origin, r.mismatched.empty() ? "" : r.mismatched.front());
  EFM_CHECK_DATA(r.missing.empty(), "{}: tensor {} is missing (truncated file or another architecture)", origin,
                 r.missing.empty() ? "" : both(r.missing.front()));
  EFM_CHECK_DATA(r.unexpected.empty(), "{}: tensor {} has no place in the inferred model (another architecture)",
                 origin, r.unexpected.empty() ? "" : both(r.unexpected.front()));
}

TensorMap with_prefix(const TensorMap& m, const std::string& prefix) {
  TensorMap out;
  for (const auto& [name, t] : m) {
    if (name.rfind(prefix, 0) == 0) out.emplace(name.substr(prefix.size()), t);
  }
  return out;
}

TensorMap renamed_prefix(TensorMap m, const std::string& from, const std::string& to) {
  TensorMap out;
  for (auto& [name, t] : m) out.emplace(name.rfind(from, 0) == 0 ? to + name.substr(from.size()) : name, t);
  return out;
}

}  // namespace efm::interop::detail
