#include "epilepsyfm/core/csv.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/strings.h"

namespace efm {
namespace {

std::string trim_lower(std::string_view s) {
  return to_lower(trim(s));
}

}  // namespace

std::optional<size_t> CsvTable::find_column(std::string_view name) const {
  const std::string want = trim_lower(name);
  for (size_t i = 0; i < header.size(); ++i) {
    if (trim_lower(header[i]) == want) return i;
  }
  return std::nullopt;
}

size_t CsvTable::column(std::string_view name) const {
  auto idx = find_column(name);
  EFM_CHECK_DATA(idx.has_value(), "{}: missing column '{}' (columns: {})", source.empty() ? "<csv>" : source.string(),
                 name, fmt::join(header, ", "));
  return *idx;
}

CsvTable parse_csv(std::string_view text, char sep, bool has_header) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF && static_cast<unsigned char>(text[1]) == 0xBB &&
      static_cast<unsigned char>(text[2]) == 0xBF) {
    text.remove_prefix(3);
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool in_quotes = false, field_started = false, row_has_content = false;
  auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_row = [&] {
    end_field();
    // Skip blank lines (a single empty field).
    if (row_has_content || row.size() > 1) rows.push_back(std::move(row));
    row.clear();
    row_has_content = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"' && !field_started) {
      in_quotes = true;
      field_started = true;
      row_has_content = true;
    } else if (c == sep) {
      end_field();
      row_has_content = true;
    } else if (c == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_row();
    } else if (c == '\n') {
      end_row();
    } else {
      field += c;
      field_started = true;
      row_has_content = true;
    }
  }
  if (!field.empty() || !row.empty() || row_has_content) end_row();

  CsvTable t;
  if (has_header && !rows.empty()) {
    t.header = std::move(rows.front());
    rows.erase(rows.begin());
    for (auto& h : t.header) h = std::string(h);
  }
  for (auto& r : rows) {
    if (r.size() < t.header.size()) r.resize(t.header.size());
  }
  t.rows = std::move(rows);
  return t;
}

CsvTable read_csv(const std::filesystem::path& path, char sep, bool has_header) {
  CsvTable t = parse_csv(read_file(path), sep, has_header);
  t.source = path;
  return t;
}

std::string csv_escape(std::string_view field, char sep) {
  if (field.find_first_of(std::string{sep, '"', '\r', '\n'}) == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_line(const std::vector<std::string>& fields, char sep) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += sep;
    out += csv_escape(fields[i], sep);
  }
  out += '\n';
  return out;
}

double parse_double(std::string_view text, std::string_view where) {
  std::string s(text);
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  s = b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  char* end = nullptr;
  const double v = s.empty() ? 0.0 : std::strtod(s.c_str(), &end);
  EFM_CHECK_DATA(!s.empty() && end == s.c_str() + s.size(), "{}: expected a number, got '{}'", where, text);
  return v;
}

int64_t parse_int(std::string_view text, std::string_view where) {
  size_t b = 0, e = text.size();
  while (b < e && text[b] == ' ') ++b;
  while (e > b && text[e - 1] == ' ') --e;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data() + b, text.data() + e, v);
  EFM_CHECK_DATA(b < e && ec == std::errc() && ptr == text.data() + e, "{}: expected an integer, got '{}'", where,
                 text);
  return v;
}

}  // namespace efm
