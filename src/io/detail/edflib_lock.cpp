#include "io/detail/edflib_lock.h"

namespace efm::io::detail {
std::mutex& edflib_mutex() {
  static std::mutex mutex;
  return mutex;
}
}  // namespace efm::io::detail
