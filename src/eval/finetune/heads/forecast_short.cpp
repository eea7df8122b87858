// Head `forecast_short`: history (90 s) -> the next 12 s of the normalised signal. One file + one registry line.
#include "epilepsyfm/eval/finetune/heads/kinds.h"

namespace efm::eval {

HeadDefinition forecast_short_head() {
  return signal_forecast_head(
      "forecast_short", "short-term signal forecasting: the next 12 s of every channel from the history (EpilepsyFM)",
      /*default_horizon_s=*/12.0);
}

}  // namespace efm::eval
