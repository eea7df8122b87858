#pragma once
// Thin RAII and attribute/dataset helpers over the HDF5 C API, for the store. Debian's HDF5 is used as if it were
// not thread-safe: every function here must be called with hdf5_mutex() held (the store locks it).
#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace efm::io::detail {

/// The process-wide lock around every HDF5 call.
std::mutex& hdf5_mutex();
/// Turns off HDF5's automatic error printing (errors become exceptions with the HDF5 message). Idempotent.
void init_hdf5();
/// The innermost message on HDF5's error stack (empty if none), then clears the stack.
std::string hdf5_error();

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

std::string read_attr_string(hid_t obj, const char* name);
double read_attr_double(hid_t obj, const char* name);
int64_t read_attr_int(hid_t obj, const char* name);
std::vector<std::string> read_attr_strings(hid_t obj, const char* name);
std::vector<double> read_attr_doubles(hid_t obj, const char* name);

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

/// Creates group `name` under `loc`.
Hid create_group(hid_t loc, const std::string& name);
Hid open_group(hid_t loc, const std::string& name);

}  // namespace efm::io::detail
