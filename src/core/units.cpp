#include "epilepsyfm/core/units.h"

#include <string>

namespace efm {

std::optional<double> microvolts_per_unit(std::string_view unit) {
  std::string u;
  for (char c : unit) {
    if (c != ' ' && c != '\t') u += c;
  }
  // Micro sign (U+00B5, UTF-8 C2 B5) and Greek mu (U+03BC, UTF-8 CE BC) both mean micro.
  for (const char* mu : {"\xC2\xB5", "\xCE\xBC"}) {
    if (u.rfind(mu, 0) == 0) u = "u" + u.substr(2);
  }
  if (u == "uV" || u == "uv" || u == "UV") return 1.0;
  if (u == "mV" || u == "mv" || u == "MV") return 1e3;  // "MV" in EDF headers written upper-case means mV
  if (u == "V" || u == "v") return 1e6;
  if (u == "nV" || u == "nv" || u == "NV") return 1e-3;
  return std::nullopt;
}

}  // namespace efm
