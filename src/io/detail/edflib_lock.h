#pragma once
// EDFlib keeps global state (its table of open files): every EDFlib call in this layer holds this mutex.
#include <mutex>

namespace efm::io::detail {
std::mutex& edflib_mutex();
}  // namespace efm::io::detail
