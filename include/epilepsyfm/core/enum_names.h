#pragma once
/// Named enums: a scoped enum whose values have fixed spellings in configs and files declares one constexpr table
/// of {value, name} rows and a lookup hook found by argument-dependent lookup; parsing, printing and the config's
/// allowed values all come from that table:
///
///   enum class Pooling { mean, cls };
///   inline constexpr EnumNames<Pooling, 2> kPoolingNames{{{Pooling::mean, "mean"}, {Pooling::cls, "cls"}}};
///   constexpr const auto& enum_names(Pooling) { return kPoolingNames; }
///
///   enum_name(Pooling::cls)                       // "cls"
///   parse_enum<Pooling>("max", "model.pooling")   // ConfigError "model.pooling: allowed values are 'mean',
///                                                 //   'cls', but got 'max'"
///   fmt::format("{}", Pooling::cls)               // "cls"
///   v("pooling", pooling);                        // in a config's visit: read from and written as the names
///
/// The rows' order is the order in which error messages list the allowed values.
#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "epilepsyfm/core/error.h"

namespace efm {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

template <class E, std::size_t N>
using EnumNames = std::array<EnumName<E>, N>;

/// A scoped enum with a name table (an `enum_names(E)` overload next to it).
template <class E>
concept NamedEnum = std::is_enum_v<E> && requires(E e) {
  enum_names(e);
};

/// "<path>: allowed values are 'a', 'b', but got '<got>'" (config::choice_error uses the same text).
std::string allowed_values_error(std::string_view path, const std::vector<std::string>& allowed, std::string_view got);

/// The name of `value`; ArgumentError for a value missing from the table (a table that lags its enum).
template <NamedEnum E>
constexpr std::string_view enum_name(E value) {
  for (const auto& row : enum_names(E{})) {
    if (row.value == value) return row.name;
  }
  throw ArgumentError(fmt::format("enum value {} has no name in its table", static_cast<long long>(value)));
}

/// The value named `name`, or nullopt.
template <NamedEnum E>
constexpr std::optional<E> find_enum(std::string_view name) {
  for (const auto& row : enum_names(E{})) {
    if (row.name == name) return row.value;
  }
  return std::nullopt;
}

/// The names in table order (a config's allowed values).
template <NamedEnum E>
std::vector<std::string> enum_name_list() {
  std::vector<std::string> out;
  for (const auto& row : enum_names(E{})) out.emplace_back(row.name);
  return out;
}

/// The value named `name`; ConfigError in the config's allowed-values style, naming `path`, otherwise.
template <NamedEnum E>
E parse_enum(std::string_view name, std::string_view path) {
  if (auto v = find_enum<E>(name)) return *v;
  throw ConfigError(allowed_values_error(path, enum_name_list<E>(), name));
}

}  // namespace efm

/// `fmt::format("{}", e)` prints the name.
template <efm::NamedEnum E>
struct fmt::formatter<E, char> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(E value, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(efm::enum_name(value), ctx);
  }
};
