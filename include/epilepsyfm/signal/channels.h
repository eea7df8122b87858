#pragma once
/// Channel names: canonicalisation of the labels hospitals and corpora write ("EEG FP1-REF", "EEG Fp1-LE", "Fp1",
/// "FP1-F7", "T3"), the global electrode vocabulary that the spatial embedding indexes, and the brain-region table.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace efm::signal {

/// What a channel label denotes.
enum class ChannelKind {
  eeg,         ///< a referential EEG electrode of the vocabulary ("FP1")
  bipolar,     ///< a derivation between two vocabulary electrodes ("FP1-F7")
  non_eeg,     ///< ECG, EMG, EOG, PHOTIC, IBI, BURSTS, SUPPR, respiration, SpO2, DC, trigger/status, ...
  annotation,  ///< "EDF Annotations" / "BDF Annotations"
  unknown,     ///< not recognised (e.g. intracranial contacts "LA1", numbered "ch22")
};

struct CanonicalChannel {
  ChannelKind kind = ChannelKind::unknown;
  /// Upper-case canonical name: "FP1", "T7" (T3 -> T7, T4 -> T8, T5 -> P7, T6 -> P8), "FP1-F7"; for unknown
  /// channels the cleaned label (prefix "EEG " and reference suffixes removed, upper-cased).
  std::string name;
  std::string anode;    ///< bipolar only
  std::string cathode;  ///< bipolar only
};

/// Canonicalises one label. Examples: "EEG FP1-REF" -> eeg FP1; "EEG Fp1-LE" -> eeg FP1; "Fp1" -> eeg FP1;
/// "FP1-F7" -> bipolar FP1-F7; "EEG T3-REF" -> eeg T7; "ECG EKG-REF" -> non_eeg; "EDF Annotations" -> annotation.
CanonicalChannel canonicalize_channel(std::string_view label);

/// The global electrode vocabulary (10-20 and 10-10 positions, A1/A2, M1/M2, T1/T2, ... and the TCP bipolar
/// derivations), in a fixed order: the index is the row of the spatial embedding table and must never change
/// between releases (append only). Index 0 is "UNK", used for channels outside the vocabulary.
const std::vector<std::string>& electrode_vocabulary();
/// Index in electrode_vocabulary() of a canonical name; 0 ("UNK") when absent.
int electrode_index(std::string_view canonical_name);

/// Brain regions used by the spatial encoder and region masking (ARCHITECTURE.md §4), configurable.
class RegionTable {
 public:
  /// The default 8-region table: left frontal, right frontal, left temporal, right temporal, central/midline,
  /// left parietal, right parietal, occipital.
  static RegionTable default_table();
  /// A custom table: region names and, per region, its canonical electrode names.
  RegionTable(std::vector<std::string> names, const std::vector<std::vector<std::string>>& members);

  const std::vector<std::string>& names() const { return names_; }
  int size() const { return static_cast<int>(names_.size()); }
  /// Region of a canonical channel: an electrode's region; a bipolar channel takes its anode's region (or the
  /// cathode's if the anode has none); -1 when unknown.
  int region_of(std::string_view canonical_name) const;

 private:
  std::vector<std::string> names_;
  std::vector<std::pair<std::string, int>> electrode_region_;
};

/// The TCP "double banana" bipolar montage with 16, 18 or 22 derivations (as (anode, cathode) canonical names).
const std::vector<std::pair<std::string, std::string>>& tcp_montage(int n_derivations);

}  // namespace efm::signal
