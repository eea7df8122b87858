#pragma once
/// An explicit registry of named factories (heads, mask strategies, readers). Entries are added by a
/// `register_builtin_*()` function with one line per entry; no self-registering statics (static libraries drop
/// them). An unknown name raises ConfigError listing the known ones.
#include <fmt/format.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "epilepsyfm/core/error.h"

namespace efm {

template <class Factory>
class Registry {
 public:
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  void add(const std::string& name, Factory factory, std::string description = {}) {
    if (entries_.count(name)) throw Error(fmt::format("{} '{}' is registered twice", kind_, name));
    entries_.emplace(name, Entry{std::move(factory), std::move(description)});
    order_.push_back(name);
  }
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  const Factory& get(const std::string& name, const std::string& key_path = {}) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      throw ConfigError(fmt::format("{}unknown {} '{}'; known: {}", key_path.empty() ? "" : key_path + ": ", kind_,
                                    name, fmt::join(order_, ", ")));
    }
    return it->second.factory;
  }
  const std::string& description(const std::string& name) const { return entries_.at(name).description; }
  /// Names in registration order.
  const std::vector<std::string>& names() const { return order_; }

 private:
  struct Entry {
    Factory factory;
    std::string description;
  };
  std::string kind_;
  std::map<std::string, Entry> entries_;
  std::vector<std::string> order_;
};

}  // namespace efm
