#pragma once
/// ASCII string helpers shared by the layers (labels, channel names, extensions, parameter names). Bytes outside
/// ASCII are left as they are; prefixes and suffixes use std::string_view::starts_with / ends_with.
///
///   to_lower(" EDF ")  -> " edf "        trim(" a b\n") -> "a b"
#include <string>
#include <string_view>

namespace efm {

/// `s` with ASCII letters lower-cased.
std::string to_lower(std::string_view s);
/// `s` with ASCII letters upper-cased.
std::string to_upper(std::string_view s);
/// `s` without leading and trailing whitespace (std::isspace); a view into `s`.
std::string_view trim(std::string_view s);

}  // namespace efm
