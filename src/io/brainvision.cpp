#include "io/detail/brainvision.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "epilepsyfm/core/error.h"
#include "io/detail/text.h"

namespace efm::io::detail {

namespace {

bool read_text(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = to_utf8(ss.str());  // Codepage=UTF-8, or ANSI/Latin-1 in older files
  return true;
}

/// Lines of `section` ("[Channel Infos]"), without comments; section names compare case-insensitively.
std::vector<std::string> section_lines(const std::string& text, const std::string& section) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  bool inside = false;
  auto lower = [](std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string want = lower(section);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line[0] == '[') {
      inside = lower(std::string(trim_view(line))) == want;
      continue;
    }
    if (inside && !line.empty() && line[0] != ';') out.push_back(line);
  }
  return out;
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t c = s.find(',', start);
    std::string f(s.substr(start, c == std::string_view::npos ? std::string_view::npos : c - start));
    for (size_t p = f.find("\\1"); p != std::string::npos; p = f.find("\\1", p + 1)) f.replace(p, 2, ",");
    out.push_back(std::move(f));
    if (c == std::string_view::npos) break;
    start = c + 1;
  }
  return out;
}

std::string value_of(const std::vector<std::string>& lines, const std::string& key) {
  for (const auto& l : lines) {
    const size_t eq = l.find('=');
    if (eq != std::string::npos && trim_view(std::string_view(l).substr(0, eq)) == key)
      return std::string(trim_view(std::string_view(l).substr(eq + 1)));
  }
  return {};
}

bool to_int(std::string_view s, int64_t& v) {
  s = trim_view(s);
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

BrainVisionMeta read_brainvision_meta(const std::filesystem::path& vhdr) {
  BrainVisionMeta meta;
  std::string text;
  if (!read_text(vhdr, text)) throw DataError(fmt::format("{}: cannot read the BrainVision header", vhdr.string()));
  const auto channels = section_lines(text, "[Channel Infos]");
  if (channels.empty()) throw DataError(fmt::format("{}: BrainVision header without [Channel Infos]", vhdr.string()));
  for (const auto& l : channels) {
    const size_t eq = l.find('=');
    if (l.rfind("Ch", 0) != 0 || eq == std::string::npos) continue;
    // Ch<n>=<Name>,<Reference channel name>,<Resolution in "Unit">,<Unit>
    const auto f = split_commas(std::string_view(l).substr(eq + 1));
    meta.names.push_back(f.empty() ? std::string() : std::string(trim_view(f[0])));
    const std::string unit = f.size() >= 4 ? std::string(trim_view(f[3])) : std::string();
    meta.units.push_back(unit.empty() ? std::string("\xC2\xB5V") : unit);
  }
  const std::string marker_file = value_of(section_lines(text, "[Common Infos]"), "MarkerFile");
  if (marker_file.empty()) return meta;
  std::string mtext;
  if (!read_text(vhdr.parent_path() / marker_file, mtext)) return meta;
  meta.has_markers = true;
  for (const auto& l : section_lines(mtext, "[Marker Infos]")) {
    const size_t eq = l.find('=');
    if (l.rfind("Mk", 0) != 0 || eq == std::string::npos) continue;
    // Mk<n>=<Type>,<Description>,<Position in data points>,<Size in data points>,<Channel number>[,<Date>]
    const auto f = split_commas(std::string_view(l).substr(eq + 1));
    int64_t pos = 0, size = 0;
    if (f.size() < 3 || !to_int(f[2], pos)) continue;
    if (f.size() < 4 || !to_int(f[3], size)) size = 0;
    meta.markers.push_back({pos - 1, size, f[0] + "/" + f[1]});
  }
  return meta;
}

}  // namespace efm::io::detail
