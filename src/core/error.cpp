#include "epilepsyfm/core/error.h"

#include "epilepsyfm/core/log.h"

namespace efm {

int run_guarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const Interrupted& e) {
    EFM_LOG_WARN("{}", e.what());
    log::flush();
    return 128 + e.signal_number();
  } catch (const ConfigError& e) {
    EFM_LOG_ERROR("{}", e.what());
    log::flush();
    return 2;
  } catch (const ArgumentError& e) {
    EFM_LOG_ERROR("{}", e.what());
    log::flush();
    return 2;
  } catch (const std::exception& e) {
    EFM_LOG_ERROR("{}", e.what());
    log::flush();
    return 1;
  }
}

}  // namespace efm
