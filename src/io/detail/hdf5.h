#pragma once
// Thin RAII and attribute/dataset helpers over the HDF5 C API, for the store. Debian's HDF5 is used as if it were
// not thread-safe: every function here must be called with hdf5_mutex() held (the store locks it).
#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "epilepsyfm/core/enum_names.h"
#include "epilepsyfm/core/error.h"

namespace efm::io::detail {

/// The process-wide lock around every HDF5 call.
std::mutex& hdf5_mutex();
/// Turns off HDF5's automatic error printing (errors become exceptions with the HDF5 message). Idempotent.
void init_hdf5();
/// The innermost message on HDF5's error stack (empty if none), then clears the stack.
std::string hdf5_error();

/// Holds hdf5_mutex() for its scope, with init_hdf5() done: `H5Lock lock;` before any HDF5 call.
struct H5Lock {
  std::lock_guard<std::mutex> guard{hdf5_mutex()};
  H5Lock() { init_hdf5(); }
};

/// Owns an hid_t and closes it with the function matching its type.
class Hid {
 public:
  Hid() = default;
  explicit Hid(hid_t id) : id_(id) {}
  ~Hid() { reset(); }
  Hid(Hid&& o) noexcept : id_(o.id_) { o.id_ = -1; }
  Hid& operator=(Hid&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      o.id_ = -1;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }  // NOLINT: convenience for C calls
  bool valid() const { return id_ >= 0; }
  void reset();

 private:
  hid_t id_ = -1;
};

/// Throws DataError "<what>: <HDF5 message>" when id < 0; returns it wrapped.
Hid check_id(hid_t id, const std::string& what);
/// Throws DataError "<what>: <HDF5 message>" when status < 0.
void check_status(herr_t status, const std::string& what);

/// IEEE 754 binary16 as an HDF5 type (h5py reads it as numpy float16).
Hid float16_type();
/// Variable-length UTF-8 string type.
Hid vlen_string_type();

bool has_attr(hid_t obj, const char* name);
void write_attr(hid_t obj, const char* name, const std::string& value);
void write_attr(hid_t obj, const char* name, const char* value);
void write_attr(hid_t obj, const char* name, double value);
void write_attr(hid_t obj, const char* name, int64_t value);
void write_attr(hid_t obj, const char* name, const std::vector<std::string>& values);
void write_attr(hid_t obj, const char* name, const std::vector<double>& values);

/// Writes (name, value) pairs as attributes of `obj`, in argument order (values: the write_attr types):
///   write_attrs(group, "subject", subject, "n_samples", int64_t(n));
template <class T, class... Rest>
void write_attrs(hid_t obj, const char* name, const T& value, const Rest&... rest) {
  write_attr(obj, name, value);
  if constexpr (sizeof...(Rest) > 0) write_attrs(obj, rest...);
}

std::string read_attr_string(hid_t obj, const char* name);
double read_attr_double(hid_t obj, const char* name);
int64_t read_attr_int(hid_t obj, const char* name);
std::vector<std::string> read_attr_strings(hid_t obj, const char* name);
std::vector<double> read_attr_doubles(hid_t obj, const char* name);

/// The fields of a config struct's `visit` as attributes of one object, so a struct stored in HDF5 is described by
/// its field list alone (bool is stored as int64 0/1). Field constraints are ignored: the struct was validated.
///   config::PreprocessingSpec spec = ...;  AttrWriter w(group);  spec.visit(w);
class AttrWriter {
 public:
  explicit AttrWriter(hid_t obj) : obj_(obj) {}
  template <class T, class... Constraints>
  void operator()(const char* name, const T& value, const Constraints&...) {
    if constexpr (std::is_same_v<T, bool>) {
      write_attr(obj_, name, static_cast<int64_t>(value ? 1 : 0));
    } else if constexpr (NamedEnum<T>) {
      write_attr(obj_, name, std::string(enum_name(value)));
    } else {
      write_attr(obj_, name, value);
    }
  }

 private:
  hid_t obj_;
};

/// Reads what AttrWriter wrote (DataError naming the attribute when one is missing or of another type).
class AttrReader {
 public:
  explicit AttrReader(hid_t obj) : obj_(obj) {}
  template <class T, class... Constraints>
  void operator()(const char* name, T& value, const Constraints&...) {
    if constexpr (std::is_same_v<T, bool>) {
      value = read_attr_int(obj_, name) != 0;
    } else if constexpr (std::is_same_v<T, double>) {
      value = read_attr_double(obj_, name);
    } else if constexpr (std::is_same_v<T, int64_t>) {
      value = read_attr_int(obj_, name);
    } else if constexpr (std::is_same_v<T, std::string>) {
      value = read_attr_string(obj_, name);
    } else if constexpr (NamedEnum<T>) {
      const std::string text = read_attr_string(obj_, name);
      const std::optional<T> parsed = find_enum<T>(text);
      if (!parsed)
        throw DataError(allowed_values_error(fmt::format("attribute '{}'", name), enum_name_list<T>(), text));
      value = *parsed;
    } else if constexpr (std::is_same_v<T, std::vector<double>>) {
      value = read_attr_doubles(obj_, name);
    } else {
      static_assert(std::is_same_v<T, std::vector<std::string>>, "AttrReader: unsupported field type");
      value = read_attr_strings(obj_, name);
    }
  }

 private:
  hid_t obj_;
};

/// 1-D datasets (contiguous, or chunked + compressed when large).
void write_vector(hid_t loc, const char* name, const std::vector<double>& v);
void write_vector(hid_t loc, const char* name, const std::vector<float>& v);
void write_vector(hid_t loc, const char* name, const std::vector<int64_t>& v);
void write_vector(hid_t loc, const char* name, const std::vector<int32_t>& v);
void write_vector(hid_t loc, const char* name, const std::vector<uint8_t>& v);
void write_strings(hid_t loc, const char* name, const std::vector<std::string>& v);

std::vector<double> read_doubles(hid_t loc, const char* name);
std::vector<float> read_floats(hid_t loc, const char* name);
std::vector<int64_t> read_int64s(hid_t loc, const char* name);
std::vector<int32_t> read_int32s(hid_t loc, const char* name);
std::vector<uint8_t> read_uint8s(hid_t loc, const char* name);
std::vector<std::string> read_strings(hid_t loc, const char* name);

/// One column of a table group: write_strings for strings, write_vector for numbers.
template <class T>
void write_column(hid_t loc, const char* name, const std::vector<T>& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    write_strings(loc, name, v);
  } else {
    write_vector(loc, name, v);
  }
}

/// Writes (name, column) pairs as datasets of `loc`, in argument order:
///   write_columns(group, "onset_s", onsets, "label", labels);
template <class T, class... Rest>
void write_columns(hid_t loc, const char* name, const std::vector<T>& column, const Rest&... rest) {
  write_column(loc, name, column);
  if constexpr (sizeof...(Rest) > 0) write_columns(loc, rest...);
}

/// Reads one column written by write_column into `out` (T: double, float, int64_t, int32_t, uint8_t, std::string).
template <class T>
void read_column(hid_t loc, const char* name, std::vector<T>& out);

/// Reads (name, column) pairs, in argument order: read_columns(group, "onset_s", onsets, "label", labels).
template <class T, class... Rest>
void read_columns(hid_t loc, const char* name, std::vector<T>& column, Rest&... rest) {
  read_column(loc, name, column);
  if constexpr (sizeof...(Rest) > 0) read_columns(loc, rest...);
}

/// Creates group `name` under `loc`.
Hid create_group(hid_t loc, const std::string& name);
Hid open_group(hid_t loc, const std::string& name);

}  // namespace efm::io::detail
