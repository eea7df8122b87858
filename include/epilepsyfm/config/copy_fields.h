#pragma once
/// Copying between two structs described by `visit` (config/schema.h): each field of `from` is assigned to the
/// field of `to` with the same key, so a struct and its resolved or recorded form share their field list instead of
/// a hand copy per field. Fields without a same-named counterpart are left alone. Per pair of types:
///   T -> T                 assigned
///   std::optional<T> -> T  assigned when set (an override)
///   T -> std::optional<T>  assigned (now set)
///   std::optional<T> -> std::optional<T>  assigned when set
/// Example (signal/preprocess.cpp):
///   PreprocessOptions o = resolve_profile(config.profile);
///   config::copy_fields(config, o);        // the config's overrides, by key
///   config::PreprocessingSpec spec;
///   config::copy_fields(o, spec);          // what the options compute, by key
/// A key present in both with types that do not pair up is an ArgumentError (a field list out of step).
#include <cstring>
#include <optional>
#include <type_traits>

#include "epilepsyfm/core/error.h"

namespace efm::config {

namespace detail {

template <class T>
struct OptionalOf : std::false_type {};
template <class T>
struct OptionalOf<std::optional<T>> : std::true_type {
  using value_type = T;
};

/// Assigns `src` to `dst` by the rules above; false when the two types do not pair up.
template <class D, class S>
bool assign_field(D& dst, const S& src) {
  if constexpr (std::is_same_v<D, S> && OptionalOf<S>::value) {
    if (src) dst = src;
    return true;
  } else if constexpr (std::is_same_v<D, S>) {
    dst = src;
    return true;
  } else if constexpr (OptionalOf<S>::value) {
    if constexpr (std::is_same_v<D, typename OptionalOf<S>::value_type>) {
      if (src) dst = *src;
      return true;
    } else {
      return false;
    }
  } else if constexpr (OptionalOf<D>::value) {
    if constexpr (std::is_same_v<S, typename OptionalOf<D>::value_type>) {
      dst = src;
      return true;
    } else {
      return false;
    }
  } else {
    return false;
  }
}

/// Visits `to` and assigns `value` to its field named `key`.
template <class S>
struct AssignByKey {
  const char* key;
  const S& value;
  template <class D, class... Constraints>
  void operator()(const char* name, D& field, const Constraints&...) {
    if (std::strcmp(name, key) != 0) return;
    if (!assign_field(field, value)) {
      throw ArgumentError(std::string("copy_fields: '") + key + "' has types that do not pair up");
    }
  }
};

/// Visits `from` and hands each field to AssignByKey over `to`.
template <class To>
struct CopyInto {
  To& to;
  template <class S, class... Constraints>
  void operator()(const char* name, const S& value, const Constraints&...) {
    AssignByKey<S> assign{name, value};
    to.visit(assign);
  }
};

}  // namespace detail

/// Assigns each field of `from` to the same-named field of `to` (see the top of this file).
template <class From, class To>
void copy_fields(const From& from, To& to) {
  From source = from;  // visit is not const
  detail::CopyInto<To> copy{to};
  source.visit(copy);
}

}  // namespace efm::config
