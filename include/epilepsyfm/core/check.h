#pragma once
/// Check macros. The message names the parameter, its value and what is allowed, e.g.
///   EFM_CHECK_ARG(dim % heads == 0, "embed_dim ({}) must be divisible by n_heads ({})", dim, heads);
///   EFM_CHECK_DATA(fs > 0, "{}: signal '{}' has sampling rate {} Hz; expected > 0", path, label, fs);
/// Format strings follow fmt (https://fmt.dev); arguments are only formatted when the check fails.
#include <fmt/format.h>

#include "epilepsyfm/core/error.h"

namespace efm::detail {
template <class E>
[[noreturn]] void throw_error(const std::string& message) {
  throw E(message);
}
}  // namespace efm::detail

#define EFM_CHECK_IMPL_(ErrorType, cond, ...)                            \
  do {                                                                   \
    if (!(cond)) {                                                       \
      ::efm::detail::throw_error<ErrorType>(::fmt::format(__VA_ARGS__)); \
    }                                                                    \
  } while (false)

/// Invalid argument or option (-> efm::ArgumentError).
#define EFM_CHECK_ARG(cond, ...) EFM_CHECK_IMPL_(::efm::ArgumentError, cond, __VA_ARGS__)
/// Invalid input data (-> efm::DataError).
#define EFM_CHECK_DATA(cond, ...) EFM_CHECK_IMPL_(::efm::DataError, cond, __VA_ARGS__)
/// Invalid configuration (-> efm::ConfigError).
#define EFM_CHECK_CONFIG(cond, ...) EFM_CHECK_IMPL_(::efm::ConfigError, cond, __VA_ARGS__)
/// Internal invariant; failing it is a bug in epilepsyfm (-> efm::Error).
#define EFM_CHECK_STATE(cond, ...) EFM_CHECK_IMPL_(::efm::Error, cond, __VA_ARGS__)
