#pragma once
/// Physical units of EEG signals.
#include <optional>
#include <string_view>

namespace efm {

/// Factor that converts a voltage in `unit` to microvolts: "uV"/"µV" -> 1, "mV" -> 1e3, "V" -> 1e6, "nV" -> 1e-3.
/// Case and surrounding spaces are ignored for the prefix letter where unambiguous. nullopt for non-voltage units
/// (e.g. "%", "bpm", "G", "a.u.", "").
std::optional<double> microvolts_per_unit(std::string_view unit);

}  // namespace efm
