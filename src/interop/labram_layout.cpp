#include "epilepsyfm/interop/labram_layout.h"

#include "epilepsyfm/signal/channels.h"

namespace efm::interop {
namespace {

const char* name_in(const NameRule& rule, ForeignLayout layout) {
  return layout == ForeignLayout::labram ? rule.labram : rule.braindecode;
}

std::string rename(const std::string& name, ForeignLayout layout, bool to_ours) {
  for (const NameRule& rule : kNameRules) {
    const std::string part = to_ours ? name_in(rule, layout) : rule.ours;
    const size_t at = name.find(part);
    if (at == std::string::npos) continue;
    std::string out = name;
    out.replace(at, part.size(), to_ours ? rule.ours : name_in(rule, layout));
    return out;
  }
  return name;
}

}  // namespace

std::string to_our_name(const std::string& name, ForeignLayout layout) {
  return rename(name, layout, /*to_ours=*/true);
}

std::string to_foreign_name(const std::string& name, ForeignLayout layout) {
  return rename(name, layout, /*to_ours=*/false);
}

const std::vector<std::string>& labram_electrodes() {
  static const std::vector<std::string> names = [] {
    const auto& vocab = signal::electrode_vocabulary();
    return std::vector<std::string>(vocab.begin() + 1, vocab.begin() + 1 + kLabramElectrodes);
  }();
  return names;
}

}  // namespace efm::interop
