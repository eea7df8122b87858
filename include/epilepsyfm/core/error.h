#pragma once
/// Error types of the library. Everything below cli/ reports failures by throwing one of these; `main` is the only
/// place that catches them and turns them into exit codes (ConfigError/ArgumentError -> 2, everything else -> 1).
/// Messages are for the user: they name the file, channel or key path and say what was expected.
#include <functional>
#include <stdexcept>
#include <string>

namespace efm {

/// Base of all epilepsyfm errors.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad configuration: unknown key, wrong type, out-of-range value, bad command-line usage. Exit code 2.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// Invalid argument to a library function or module constructor (wrong shape, bad option value). Exit code 2.
class ArgumentError : public Error {
 public:
  using Error::Error;
};

/// Bad input data: unreadable or inconsistent file, missing channel, NaN, empty recording. Exit code 1.
class DataError : public Error {
 public:
  using Error::Error;
};

/// Interrupted by SIGINT/SIGTERM after a graceful save; carries the signal number (exit code 128 + signal).
class Interrupted : public Error {
 public:
  explicit Interrupted(int signal_number)
      : Error("interrupted by signal " + std::to_string(signal_number)), signal_number_(signal_number) {}
  int signal_number() const noexcept { return signal_number_; }

 private:
  int signal_number_;
};

}  // namespace efm

namespace efm {

/// Runs `body` (a program's main work) and turns the library's exceptions into exit codes, logging the message:
/// ConfigError/ArgumentError -> 2, Interrupted -> 128 + signal, any other exception -> 1. The one catch site of a
/// program: library code throws, only main decides the exit code.
int run_guarded(const std::function<int()>& body);

}  // namespace efm
