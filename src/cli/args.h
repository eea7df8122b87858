#pragma once
// A small command-line parser for the verbs: --name VALUE, --name=VALUE, repeatable options, flags, positionals,
// and everything after "--" kept verbatim (for `launch`). Unknown options are usage errors (exit code 2).
#include <map>
#include <string>
#include <vector>

namespace efm::cli {

class ArgParser {
 public:
  ArgParser(std::string usage, std::string summary);

  ArgParser& option(const std::string& name, const std::string& metavar, const std::string& help,
                    const std::string& default_value = {});
  ArgParser& multi(const std::string& name, const std::string& metavar, const std::string& help);
  ArgParser& flag(const std::string& name, const std::string& help);
  ArgParser& positional(const std::string& name, const std::string& help, bool required = true);
  ArgParser& allow_rest(const std::string& help);
  ArgParser& epilog(const std::string& text);

  /// Parses argv[first..argc). Returns false when --help was given (help already printed to stdout).
  /// Throws ConfigError with a usage hint for unknown options or missing values/positionals.
  bool parse(int argc, char** argv, int first = 1);

  bool has(const std::string& name) const;
  std::string get(const std::string& name) const;
  std::vector<std::string> get_all(const std::string& name) const;
  bool flag_set(const std::string& name) const;
  const std::vector<std::string>& rest() const { return rest_; }
  std::string help() const;

 private:
  struct Spec {
    std::string name, metavar, help, default_value;
    enum Kind { kValue, kMulti, kFlag, kPositional } kind;
    bool required = false;
  };
  const Spec* find(const std::string& name) const;

  std::string usage_, summary_, epilog_, rest_help_;
  bool allow_rest_ = false;
  std::vector<Spec> specs_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> rest_;
};

}  // namespace efm::cli
