// Input discovery, recording ids and subject/session resolution for ingest.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/strings.h"
#include "epilepsyfm/data/ingest.h"
#include "epilepsyfm/io/labels.h"

namespace efm::data {
namespace fs = std::filesystem;

namespace {

bool has_wildcard(const std::string& s) {
  return s.find_first_of("*?[") != std::string::npos;
}

/// Glob -> regex over '/'-separated paths: `**/` any directories, `**` anything, `*` within one component, `?` one
/// character, `[...]` a class.
std::regex glob_regex(const std::string& glob) {
  std::string re;
  for (size_t i = 0; i < glob.size(); ++i) {
    const char c = glob[i];
    if (c == '*') {
      if (i + 1 < glob.size() && glob[i + 1] == '*') {
        if (i + 2 < glob.size() && glob[i + 2] == '/') {
          re += "(?:.*/)?";
          i += 2;
        } else {
          re += ".*";
          i += 1;
        }
      } else {
        re += "[^/]*";
      }
    } else if (c == '?') {
      re += "[^/]";
    } else if (c == '[') {
      const size_t close = glob.find(']', i + 1);
      if (close == std::string::npos) {
        re += "\\[";
      } else {
        std::string cls = glob.substr(i + 1, close - i - 1);
        if (!cls.empty() && cls[0] == '!') cls[0] = '^';
        re += "[" + cls + "]";
        i = close;
      }
    } else if (std::string("\\^$.|+(){}").find(c) != std::string::npos) {
      re += '\\';
      re += c;
    } else {
      re += c;
    }
  }
  return std::regex(re);
}

std::string posix(const fs::path& p) {
  return p.generic_string();
}

bool hidden(const fs::path& rel) {
  for (const auto& c : rel) {
    const std::string s = c.string();
    if (s.size() > 1 && s[0] == '.' && s != "..") return true;
  }
  return false;
}

void walk(const fs::path& root, const std::function<void(const fs::path&)>& take) {
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(
           root, fs::directory_options::follow_directory_symlink | fs::directory_options::skip_permission_denied);
       it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file()) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) take(f);
}

}  // namespace

std::vector<InputFile> discover_inputs(const config::IngestInputConfig& input) {
  EFM_CHECK_CONFIG(!input.paths.empty(),
                   "ingest.input.paths is empty: give the recordings with --input DIR_OR_GLOB (repeatable) or in the "
                   "config");
  std::set<std::string> exts;
  for (const auto& e : input.extensions) exts.insert(to_lower(e));
  std::vector<std::regex> excludes;
  for (const auto& x : input.exclude) excludes.push_back(glob_regex(x));
  const auto wanted = [&](const fs::path& p, const std::string& rel) {
    if (!exts.count(to_lower(p.extension().string()))) return false;
    if (hidden(fs::path(rel))) return false;
    for (const auto& re : excludes) {
      if (std::regex_match(rel, re)) return false;
    }
    // A BrainVision .eeg data file belongs to its .vhdr header.
    if (to_lower(p.extension().string()) == ".eeg") {
      for (const char* h : {".vhdr", ".VHDR"}) {
        if (fs::exists(fs::path(p).replace_extension(h))) return false;
      }
    }
    return true;
  };

  std::vector<InputFile> out;
  std::set<std::string> seen;
  auto add = [&](const fs::path& file, const fs::path& root) {
    const fs::path abs = fs::absolute(file).lexically_normal();
    const std::string key = fs::weakly_canonical(abs).string();
    if (!seen.insert(key).second) return;
    out.push_back(InputFile{abs, root, posix(abs.lexically_relative(root))});
  };
  for (size_t i = 0; i < input.paths.size(); ++i) {
    const std::string& entry = input.paths[i];
    const std::string where = fmt::format("ingest.input.paths[{}]", i);
    const size_t before = out.size();
    if (has_wildcard(entry)) {
      // Root: the directories before the first component with a wildcard.
      const fs::path pattern = fs::absolute(fs::path(entry)).lexically_normal();
      fs::path root;
      fs::path rest;
      bool in_rest = false;
      for (const auto& c : pattern) {
        if (!in_rest && has_wildcard(c.string())) in_rest = true;
        if (in_rest) {
          rest /= c;
        } else {
          root /= c;
        }
      }
      EFM_CHECK_CONFIG(fs::is_directory(root), "{}: '{}' does not exist (glob '{}')", where, root.string(), entry);
      const std::regex re = glob_regex(posix(rest));
      walk(root, [&](const fs::path& f) {
        const std::string rel = posix(f.lexically_relative(root));
        if (std::regex_match(rel, re) && wanted(f, rel)) add(f, root);
      });
    } else if (fs::is_directory(entry)) {
      const fs::path root = fs::absolute(fs::path(entry)).lexically_normal();
      walk(root, [&](const fs::path& f) {
        if (wanted(f, posix(f.lexically_relative(root)))) add(f, root);
      });
    } else if (fs::is_regular_file(entry)) {
      const fs::path abs = fs::absolute(fs::path(entry)).lexically_normal();
      add(abs, abs.parent_path());
    } else {
      throw ConfigError(fmt::format("{}: '{}' does not exist", where, entry));
    }
    if (out.size() == before) EFM_LOG_WARN("[ingest] {} '{}' matched no recording file", where, entry);
  }
  EFM_CHECK_CONFIG(!out.empty(), "no recordings found under ingest.input.paths ({}) with extensions {}",
                   fmt::join(input.paths, ", "), fmt::join(input.extensions, " "));
  // Recording ids and the store's source identity come from relative paths: two roots must not both give one.
  std::map<std::string, const InputFile*> by_relative;
  for (const auto& f : out) {
    const auto [it, fresh] = by_relative.emplace(f.relative, &f);
    if (!fresh) {
      throw ConfigError(fmt::format(
          "ingest.input.paths: '{}' and '{}' have the same path relative to their input roots ('{}'); recording ids "
          "come from these paths: give a common parent folder as the input instead",
          it->second->path.string(), f.path.string(), f.relative));
    }
  }
  return out;
}

std::string recording_id_for(const std::string& relative) {
  fs::path p(relative);
  p.replace_extension();
  std::string id;
  bool first = true;
  for (const auto& c : p) {
    const std::string s = c.string();
    if (s.empty() || s == "." || s == "/") continue;
    if (!first) id += "__";
    first = false;
    for (char ch : s) {
      const bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.' || ch == '+';
      id += ok ? ch : '_';
    }
  }
  return id.empty() ? "recording" : id;
}

// ---- subjects --------------------------------------------------------------------------------------------------

struct SubjectResolver::Impl {
  config::IngestSubjectsConfig cfg;
  std::regex re;
  struct Row {
    std::vector<std::string> exact, key;
    std::string subject, session;
  };
  std::vector<Row> mapping;
};

SubjectResolver::SubjectResolver(const config::IngestSubjectsConfig& config) : impl_(std::make_unique<Impl>()) {
  impl_->cfg = config;
  if (config.from == config::SubjectSource::regex) impl_->re = std::regex(config.regex, std::regex::ECMAScript);
  if (config.from == config::SubjectSource::mapping) {
    const fs::path path(config.mapping);
    const CsvTable t = read_csv(path);
    const size_t c_file = t.column("file"), c_subject = t.column("subject");
    const auto c_session = t.find_column("session");
    const fs::path anchor = fs::absolute(path).parent_path();
    for (size_t r = 0; r < t.rows.size(); ++r) {
      const auto& row = t.rows[r];
      if (row.size() == 1 && row[0].empty()) continue;
      Impl::Row m;
      m.key = io::label_key_components(row[c_file]);
      m.exact = io::label_key_components(anchor / row[c_file]);
      m.subject = row[c_subject];
      EFM_CHECK_DATA(!m.subject.empty(), "{} row {}: empty subject", path.string(), r + 2);
      if (c_session) m.session = row[*c_session];
      impl_->mapping.push_back(std::move(m));
    }
  }
}

SubjectResolver::~SubjectResolver() = default;

std::pair<std::string, std::string> SubjectResolver::resolve(const InputFile& file) const {
  const auto& cfg = impl_->cfg;
  if (cfg.from == config::SubjectSource::regex) {
    std::smatch m;
    EFM_CHECK_DATA(std::regex_search(file.relative, m, impl_->re), "{}: subjects.regex '{}' does not match the path",
                   file.relative, cfg.regex);
    const std::string subject = m[1].str();
    EFM_CHECK_DATA(!subject.empty(), "{}: subjects.regex '{}' captured an empty subject", file.relative, cfg.regex);
    return {subject, m.size() > 2 ? m[2].str() : std::string()};
  }
  if (cfg.from == config::SubjectSource::mapping) {
    const auto rec = io::label_key_components(file.path);
    int best = 0;
    const Impl::Row* hit = nullptr;
    for (const auto& row : impl_->mapping) {
      int score = 0;
      if (row.exact == rec) {
        score = 1 << 20;
      } else if (!row.key.empty() && row.key.size() <= rec.size() &&
                 std::equal(row.key.rbegin(), row.key.rend(), rec.rbegin())) {
        score = static_cast<int>(row.key.size());
      }
      if (score > best) {
        best = score;
        hit = &row;
      }
    }
    EFM_CHECK_DATA(hit, "{}: no row of the subject mapping {} names this file", file.relative, cfg.mapping);
    return {hit->subject, hit->session};
  }
  // folder: BIDS sub-*/ses-* components when present, else the parent folder.
  std::string subject, session;
  const fs::path rel(file.relative);
  for (const auto& c : rel.parent_path()) {
    const std::string s = c.string();
    if (s.rfind("sub-", 0) == 0 && subject.empty()) subject = s;
    if (s.rfind("ses-", 0) == 0 && session.empty()) session = s;
  }
  if (subject.empty()) {
    subject = rel.has_parent_path() ? rel.parent_path().filename().string() : file.root.filename().string();
  }
  if (subject.empty()) subject = "unknown";
  return {subject, session};
}

}  // namespace efm::data
