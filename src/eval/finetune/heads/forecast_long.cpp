// Head `forecast_long`: history (90 s) -> the next 20 s of the normalised signal. One file + one registry line.
#include "epilepsyfm/eval/finetune/heads/kinds.h"

namespace efm::eval {

HeadDefinition forecast_long_head() {
  return signal_forecast_head(
      "forecast_long", "long-term signal forecasting: the next 20 s of every channel from the history (EpilepsyFM)",
      /*default_horizon_s=*/20.0);
}

}  // namespace efm::eval
