#pragma once
/// Helpers for the constexpr tables that hold named families (model sizes, mask strategies, profiles, ...).
///
///   static const std::vector<std::string> names = column_strings(kProfiles, &ProfileRow::name);
#include <string>
#include <vector>

namespace efm {

/// One string per row of `rows`: the member `field` (anything a std::string can be made from), in table order.
template <class Rows, class Row, class Field>
std::vector<std::string> column_strings(const Rows& rows, Field Row::*field) {
  std::vector<std::string> out;
  for (const Row& row : rows) out.emplace_back(row.*field);
  return out;
}

}  // namespace efm
