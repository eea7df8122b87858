#pragma once
/// Minimal RFC 4180 CSV (and TSV) reading and writing: quoted fields, embedded separators/quotes/newlines,
/// CRLF line ends, a UTF-8 BOM. Used for label tables, manifests, metrics and splits.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace efm {

struct CsvTable {
  std::filesystem::path source;  ///< file it was read from (for error messages)
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  /// Index of column `name` (case-insensitive, surrounding spaces ignored); nullopt if absent.
  std::optional<size_t> find_column(std::string_view name) const;
  /// Index of column `name`; throws DataError naming the file, the column and the columns present.
  size_t column(std::string_view name) const;
};

/// Parses CSV text. `has_header` = first row is the header. Rows shorter than the header are padded with "".
CsvTable parse_csv(std::string_view text, char sep = ',', bool has_header = true);
/// Reads a CSV file; throws DataError naming the path.
CsvTable read_csv(const std::filesystem::path& path, char sep = ',', bool has_header = true);

/// Quotes a field if it contains the separator, a quote, CR or LF.
std::string csv_escape(std::string_view field, char sep = ',');
/// One CSV line (with trailing '\n').
std::string csv_line(const std::vector<std::string>& fields, char sep = ',');

/// Parses a decimal number; throws DataError "<where>: expected a number, got '<text>'".
double parse_double(std::string_view text, std::string_view where);
int64_t parse_int(std::string_view text, std::string_view where);

}  // namespace efm
