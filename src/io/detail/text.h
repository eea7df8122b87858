#pragma once
// Small text helpers for header fields and annotation texts.
#include <string>
#include <string_view>

namespace efm::io::detail {

std::string_view trim_view(std::string_view s);   ///< without leading/trailing spaces (and NULs)
std::string_view rtrim_view(std::string_view s);  ///< without trailing spaces (and NULs)
bool is_printable_ascii(std::string_view s);      ///< every byte in 32..126
bool is_valid_utf8(std::string_view s);
std::string latin1_to_utf8(std::string_view s);
/// `s` unchanged if it is valid UTF-8, else read as Latin-1 and converted (`*converted` set to true then).
std::string to_utf8(std::string_view s, bool* converted = nullptr);
/// `s` with control and non-ASCII bytes replaced by '?', for quoting non-identifying header fields in messages.
std::string printable(std::string_view s);

}  // namespace efm::io::detail
