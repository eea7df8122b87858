#include "io/detail/hdf5.h"

#include <fmt/format.h>

#include <algorithm>

#include "epilepsyfm/core/error.h"

namespace efm::io::detail {

std::mutex& hdf5_mutex() {
  static std::mutex mu;
  return mu;
}

void init_hdf5() {
  // Debian builds HDF5 with thread-safety on, which makes the default error stack per thread: silence it in
  // every thread that calls HDF5 (errors are reported through exceptions instead).
  thread_local bool done = false;
  if (done) return;
  H5open();
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  done = true;
}

namespace {
herr_t walk_cb(unsigned n, const H5E_error2_t* err, void* data) {
  auto* out = static_cast<std::vector<std::string>*>(data);
  if (err && err->desc)
    out->push_back(fmt::format("{}{}", err->func_name ? std::string(err->func_name) + ": " : "", err->desc));
  (void)n;
  return 0;
}
}  // namespace

std::string hdf5_error() {
  std::vector<std::string> msgs;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &msgs);
  H5Eclear2(H5E_DEFAULT);
  if (msgs.empty()) return {};
  if (msgs.size() == 1) return msgs.front();
  return msgs.front() + " (in " + msgs.back() + ")";
}

void Hid::reset() {
  if (id_ < 0) return;
  if (H5Iis_valid(id_) > 0) {
    switch (H5Iget_type(id_)) {
      case H5I_FILE: H5Fclose(id_); break;
      case H5I_GROUP: H5Gclose(id_); break;
      case H5I_DATASET: H5Dclose(id_); break;
      case H5I_DATASPACE: H5Sclose(id_); break;
      case H5I_DATATYPE: H5Tclose(id_); break;
      case H5I_ATTR: H5Aclose(id_); break;
      case H5I_GENPROP_LST: H5Pclose(id_); break;
      default: break;
    }
  }
  id_ = -1;
}

Hid check_id(hid_t id, const std::string& what) {
  if (id < 0) {
    const std::string msg = hdf5_error();
    throw DataError(msg.empty() ? what : fmt::format("{}: {}", what, msg));
  }
  return Hid(id);
}

void check_status(herr_t status, const std::string& what) {
  if (status < 0) {
    const std::string msg = hdf5_error();
    throw DataError(msg.empty() ? what : fmt::format("{}: {}", what, msg));
  }
}

Hid float16_type() {
  // IEEE 754 binary16: sign bit 15, exponent bits 10-14 (bias 15), mantissa bits 0-9 (the layout h5py maps to
  // numpy.float16).
  Hid t = check_id(H5Tcopy(H5T_IEEE_F32LE), "float16 type");
  check_status(H5Tset_fields(t, 15, 10, 5, 0, 10), "float16 type fields");
  check_status(H5Tset_size(t, 2), "float16 type size");
  check_status(H5Tset_ebias(t, 15), "float16 type bias");
  return t;
}

Hid vlen_string_type() {
  Hid t = check_id(H5Tcopy(H5T_C_S1), "string type");
  check_status(H5Tset_size(t, H5T_VARIABLE), "string type size");
  check_status(H5Tset_cset(t, H5T_CSET_UTF8), "string type charset");
  return t;
}

bool has_attr(hid_t obj, const char* name) {
  return H5Aexists(obj, name) > 0;
}

namespace {

Hid replace_attr(hid_t obj, const char* name, hid_t type, hid_t space) {
  if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
  return check_id(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT),
                  fmt::format("creating attribute '{}'", name));
}

Hid simple_space(hsize_t n) {
  return check_id(H5Screate_simple(1, &n, nullptr), "dataspace");
}

Hid open_attr(hid_t obj, const char* name) {
  return check_id(H5Aopen(obj, name, H5P_DEFAULT), fmt::format("attribute '{}' is missing", name));
}

}  // namespace

void write_attr(hid_t obj, const char* name, const std::string& value) {
  write_attr(obj, name, value.c_str());
}

void write_attr(hid_t obj, const char* name, const char* value) {
  Hid type = vlen_string_type();
  Hid space = check_id(H5Screate(H5S_SCALAR), "dataspace");
  Hid attr = replace_attr(obj, name, type, space);
  check_status(H5Awrite(attr, type, &value), fmt::format("writing attribute '{}'", name));
}

void write_attr(hid_t obj, const char* name, double value) {
  Hid space = check_id(H5Screate(H5S_SCALAR), "dataspace");
  Hid attr = replace_attr(obj, name, H5T_IEEE_F64LE, space);
  check_status(H5Awrite(attr, H5T_NATIVE_DOUBLE, &value), fmt::format("writing attribute '{}'", name));
}

void write_attr(hid_t obj, const char* name, int64_t value) {
  Hid space = check_id(H5Screate(H5S_SCALAR), "dataspace");
  Hid attr = replace_attr(obj, name, H5T_STD_I64LE, space);
  check_status(H5Awrite(attr, H5T_NATIVE_INT64, &value), fmt::format("writing attribute '{}'", name));
}

void write_attr(hid_t obj, const char* name, const std::vector<std::string>& values) {
  Hid type = vlen_string_type();
  Hid space = simple_space(values.size());
  Hid attr = replace_attr(obj, name, type, space);
  if (values.empty()) return;
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  check_status(H5Awrite(attr, type, ptrs.data()), fmt::format("writing attribute '{}'", name));
}

void write_attr(hid_t obj, const char* name, const std::vector<double>& values) {
  Hid space = simple_space(values.size());
  Hid attr = replace_attr(obj, name, H5T_IEEE_F64LE, space);
  if (values.empty()) return;
  check_status(H5Awrite(attr, H5T_NATIVE_DOUBLE, values.data()), fmt::format("writing attribute '{}'", name));
}

std::string read_attr_string(hid_t obj, const char* name) {
  Hid attr = open_attr(obj, name);
  Hid ftype = check_id(H5Aget_type(attr), "attribute type");
  if (H5Tget_class(ftype) != H5T_STRING) throw DataError(fmt::format("attribute '{}' is not a string", name));
  if (H5Tis_variable_str(ftype) > 0) {
    Hid type = vlen_string_type();
    char* s = nullptr;
    check_status(H5Aread(attr, type, &s), fmt::format("reading attribute '{}'", name));
    std::string out = s ? s : "";
    H5free_memory(s);
    return out;
  }
  const size_t n = H5Tget_size(ftype);
  std::string out(n, '\0');
  check_status(H5Aread(attr, ftype, out.data()), fmt::format("reading attribute '{}'", name));
  out.resize(out.find('\0') == std::string::npos ? n : out.find('\0'));
  return out;
}

double read_attr_double(hid_t obj, const char* name) {
  Hid attr = open_attr(obj, name);
  double v = 0;
  check_status(H5Aread(attr, H5T_NATIVE_DOUBLE, &v), fmt::format("reading attribute '{}'", name));
  return v;
}

int64_t read_attr_int(hid_t obj, const char* name) {
  Hid attr = open_attr(obj, name);
  int64_t v = 0;
  check_status(H5Aread(attr, H5T_NATIVE_INT64, &v), fmt::format("reading attribute '{}'", name));
  return v;
}

std::vector<std::string> read_attr_strings(hid_t obj, const char* name) {
  Hid attr = open_attr(obj, name);
  Hid space = check_id(H5Aget_space(attr), "attribute space");
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<std::string> out;
  if (n <= 0) return out;
  Hid type = vlen_string_type();
  std::vector<char*> ptrs(static_cast<size_t>(n), nullptr);
  check_status(H5Aread(attr, type, ptrs.data()), fmt::format("reading attribute '{}'", name));
  for (char* p : ptrs) out.emplace_back(p ? p : "");
  H5Dvlen_reclaim(type, space, H5P_DEFAULT, ptrs.data());
  return out;
}

std::vector<double> read_attr_doubles(hid_t obj, const char* name) {
  Hid attr = open_attr(obj, name);
  Hid space = check_id(H5Aget_space(attr), "attribute space");
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<double> out(static_cast<size_t>(std::max<hssize_t>(n, 0)));
  if (!out.empty()) {
    check_status(H5Aread(attr, H5T_NATIVE_DOUBLE, out.data()), fmt::format("reading attribute '{}'", name));
  }
  return out;
}

namespace {

template <class T>
void write_numeric(hid_t loc, const char* name, const std::vector<T>& v, hid_t file_type, hid_t mem_type) {
  Hid space = simple_space(v.size());
  Hid dset = check_id(H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                      fmt::format("creating dataset '{}'", name));
  if (v.empty()) return;
  check_status(H5Dwrite(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
               fmt::format("writing dataset '{}'", name));
}

template <class T>
std::vector<T> read_numeric(hid_t loc, const char* name, hid_t mem_type) {
  Hid dset = check_id(H5Dopen2(loc, name, H5P_DEFAULT), fmt::format("dataset '{}' is missing", name));
  Hid space = check_id(H5Dget_space(dset), "dataset space");
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<T> out(static_cast<size_t>(std::max<hssize_t>(n, 0)));
  if (!out.empty()) {
    check_status(H5Dread(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()),
                 fmt::format("reading dataset '{}'", name));
  }
  return out;
}

}  // namespace

void write_vector(hid_t loc, const char* name, const std::vector<double>& v) {
  write_numeric(loc, name, v, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
}
void write_vector(hid_t loc, const char* name, const std::vector<float>& v) {
  write_numeric(loc, name, v, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT);
}
void write_vector(hid_t loc, const char* name, const std::vector<int64_t>& v) {
  write_numeric(loc, name, v, H5T_STD_I64LE, H5T_NATIVE_INT64);
}
void write_vector(hid_t loc, const char* name, const std::vector<int32_t>& v) {
  write_numeric(loc, name, v, H5T_STD_I32LE, H5T_NATIVE_INT32);
}
void write_vector(hid_t loc, const char* name, const std::vector<uint8_t>& v) {
  write_numeric(loc, name, v, H5T_STD_U8LE, H5T_NATIVE_UINT8);
}

void write_strings(hid_t loc, const char* name, const std::vector<std::string>& v) {
  Hid type = vlen_string_type();
  Hid space = simple_space(v.size());
  Hid dset = check_id(H5Dcreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                      fmt::format("creating dataset '{}'", name));
  if (v.empty()) return;
  std::vector<const char*> ptrs;
  for (const auto& s : v) ptrs.push_back(s.c_str());
  check_status(H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()),
               fmt::format("writing dataset '{}'", name));
}

std::vector<double> read_doubles(hid_t loc, const char* name) {
  return read_numeric<double>(loc, name, H5T_NATIVE_DOUBLE);
}
std::vector<float> read_floats(hid_t loc, const char* name) {
  return read_numeric<float>(loc, name, H5T_NATIVE_FLOAT);
}
std::vector<int64_t> read_int64s(hid_t loc, const char* name) {
  return read_numeric<int64_t>(loc, name, H5T_NATIVE_INT64);
}
std::vector<int32_t> read_int32s(hid_t loc, const char* name) {
  return read_numeric<int32_t>(loc, name, H5T_NATIVE_INT32);
}
std::vector<uint8_t> read_uint8s(hid_t loc, const char* name) {
  return read_numeric<uint8_t>(loc, name, H5T_NATIVE_UINT8);
}

std::vector<std::string> read_strings(hid_t loc, const char* name) {
  Hid dset = check_id(H5Dopen2(loc, name, H5P_DEFAULT), fmt::format("dataset '{}' is missing", name));
  Hid space = check_id(H5Dget_space(dset), "dataset space");
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<std::string> out;
  if (n <= 0) return out;
  Hid type = vlen_string_type();
  std::vector<char*> ptrs(static_cast<size_t>(n), nullptr);
  check_status(H5Dread(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()),
               fmt::format("reading dataset '{}'", name));
  for (char* p : ptrs) out.emplace_back(p ? p : "");
  H5Dvlen_reclaim(type, space, H5P_DEFAULT, ptrs.data());
  return out;
}

namespace {

/// The HDF5 memory type of a numeric column element.
template <class T>
hid_t native_type() {
  if constexpr (std::is_same_v<T, double>)
    return H5T_NATIVE_DOUBLE;
  else if constexpr (std::is_same_v<T, float>)
    return H5T_NATIVE_FLOAT;
  else if constexpr (std::is_same_v<T, int64_t>)
    return H5T_NATIVE_INT64;
  else if constexpr (std::is_same_v<T, int32_t>)
    return H5T_NATIVE_INT32;
  else
    return H5T_NATIVE_UINT8;
}

}  // namespace

template <class T>
void read_column(hid_t loc, const char* name, std::vector<T>& out) {
  if constexpr (std::is_same_v<T, std::string>) {
    out = read_strings(loc, name);
  } else {
    static_assert(std::is_same_v<T, uint8_t> || std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t> ||
                      std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "read_column: unsupported column type");
    out = read_numeric<T>(loc, name, native_type<T>());
  }
}
template void read_column(hid_t, const char*, std::vector<double>&);
template void read_column(hid_t, const char*, std::vector<float>&);
template void read_column(hid_t, const char*, std::vector<int64_t>&);
template void read_column(hid_t, const char*, std::vector<int32_t>&);
template void read_column(hid_t, const char*, std::vector<uint8_t>&);
template void read_column(hid_t, const char*, std::vector<std::string>&);

Hid create_group(hid_t loc, const std::string& name) {
  return check_id(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                  fmt::format("creating group '{}'", name));
}

Hid open_group(hid_t loc, const std::string& name) {
  return check_id(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), fmt::format("group '{}' is missing", name));
}

}  // namespace efm::io::detail
