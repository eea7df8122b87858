#include "cli/args.h"

#include <fmt/format.h>

#include <cstdio>

#include "epilepsyfm/core/error.h"

namespace efm::cli {

ArgParser::ArgParser(std::string usage, std::string summary) : usage_(std::move(usage)), summary_(std::move(summary)) {}

ArgParser& ArgParser::option(const std::string& name, const std::string& metavar, const std::string& help,
                             const std::string& default_value) {
  specs_.push_back({name, metavar, help, default_value, Spec::kValue});
  return *this;
}
ArgParser& ArgParser::multi(const std::string& name, const std::string& metavar, const std::string& help) {
  specs_.push_back({name, metavar, help, {}, Spec::kMulti});
  return *this;
}
ArgParser& ArgParser::flag(const std::string& name, const std::string& help) {
  specs_.push_back({name, {}, help, {}, Spec::kFlag});
  return *this;
}
ArgParser& ArgParser::positional(const std::string& name, const std::string& help, bool required) {
  Spec s{name, name, help, {}, Spec::kPositional};
  s.required = required;
  specs_.push_back(s);
  return *this;
}
ArgParser& ArgParser::allow_rest(const std::string& help) {
  allow_rest_ = true;
  rest_help_ = help;
  return *this;
}
ArgParser& ArgParser::epilog(const std::string& text) {
  epilog_ = text;
  return *this;
}

const ArgParser::Spec* ArgParser::find(const std::string& name) const {
  for (const auto& s : specs_) {
    if (s.kind != Spec::kPositional && s.name == name) return &s;
  }
  return nullptr;
}

bool ArgParser::parse(int argc, char** argv, int first) {
  std::vector<const Spec*> positionals;
  for (const auto& s : specs_) {
    if (s.kind == Spec::kPositional) positionals.push_back(&s);
  }
  size_t next_positional = 0;
  const std::string hint = fmt::format(" (usage: {}; see --help)", usage_);
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(help().c_str(), stdout);
      return false;
    }
    if (arg == "--") {
      if (!allow_rest_) throw ConfigError("unexpected '--'" + hint);
      for (int j = i + 1; j < argc; ++j) rest_.emplace_back(argv[j]);
      break;
    }
    if (arg.rfind("--", 0) == 0) {
      std::string name = arg.substr(2), value;
      bool has_inline = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_inline = true;
      }
      const Spec* spec = find(name);
      if (!spec) throw ConfigError(fmt::format("unknown option '--{}'{}", name, hint));
      if (spec->kind == Spec::kFlag) {
        if (has_inline) throw ConfigError(fmt::format("option '--{}' takes no value{}", name, hint));
        values_[name].push_back("1");
        continue;
      }
      if (!has_inline) {
        if (i + 1 >= argc)
          throw ConfigError(fmt::format("option '--{}' needs a value {}{}", name, spec->metavar, hint));
        value = argv[++i];
      }
      if (spec->kind == Spec::kValue && values_.count(name)) {
        throw ConfigError(fmt::format("option '--{}' given twice{}", name, hint));
      }
      values_[name].push_back(value);
      continue;
    }
    if (next_positional >= positionals.size()) {
      throw ConfigError(fmt::format("unexpected argument '{}'{}", arg, hint));
    }
    values_[positionals[next_positional++]->name].push_back(arg);
  }
  for (size_t p = next_positional; p < positionals.size(); ++p) {
    if (positionals[p]->required) {
      throw ConfigError(fmt::format("missing argument {}{}", positionals[p]->name, hint));
    }
  }
  return true;
}

bool ArgParser::has(const std::string& name) const {
  return values_.count(name) != 0;
}

std::string ArgParser::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end() && !it->second.empty()) return it->second.back();
  for (const auto& s : specs_) {
    if (s.name == name) return s.default_value;
  }
  return {};
}

std::vector<std::string> ArgParser::get_all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

bool ArgParser::flag_set(const std::string& name) const {
  return has(name);
}

std::string ArgParser::help() const {
  std::string out = fmt::format("usage: {}\n\n{}\n", usage_, summary_);
  bool any_pos = false;
  for (const auto& s : specs_) {
    if (s.kind != Spec::kPositional) continue;
    if (!any_pos) out += "\narguments:\n";
    any_pos = true;
    out += fmt::format("  {:<24} {}{}\n", s.name, s.help, s.required ? "" : " (optional)");
  }
  out += "\noptions:\n";
  for (const auto& s : specs_) {
    if (s.kind == Spec::kPositional) continue;
    std::string lhs = "--" + s.name + (s.kind == Spec::kFlag ? "" : " " + s.metavar);
    std::string rhs = s.help;
    if (s.kind == Spec::kMulti) rhs += " (repeatable)";
    if (!s.default_value.empty()) rhs += fmt::format(" [default: {}]", s.default_value);
    out += fmt::format("  {:<24} {}\n", lhs, rhs);
  }
  out += fmt::format("  {:<24} {}\n", "--help", "show this help and exit");
  if (allow_rest_) out += fmt::format("  {:<24} {}\n", "-- ARGS...", rest_help_);
  if (!epilog_.empty()) out += "\n" + epilog_ + "\n";
  return out;
}

}  // namespace efm::cli
