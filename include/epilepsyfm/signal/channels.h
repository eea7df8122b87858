#pragma once
/// Channel names: canonicalisation of the labels hospitals and corpora write ("EEG FP1-REF", "EEG Fp1-LE", "Fp1",
/// "FP1-F7", "T3"), the global electrode vocabulary that the spatial embedding indexes, and the brain-region table.
///
/// Canonicalisation rules (canonicalize_channel), applied in this order:
///  1. "EDF Annotations" / "BDF Annotations" (any case) -> annotation.
///  2. Surrounding spaces are trimmed; an EDF+ signal-type prefix (first word) is interpreted: "EEG", "POL"
///     (Nihon Kohden polygraph) and "EEG-"/"POL-" are removed; "ECG", "EKG", "EMG", "EOG", "RESP", "SAO2", "SPO2",
///     "TEMP", "MISC" mark a non-EEG channel; "ECoG", "SEEG", "iEEG", "DEPTH" mark an intracranial contact (unknown).
///  3. Dots and inner spaces are removed ("Fc5." -> FC5, "C5.." -> C5), the rest is upper-cased.
///  4. Non-EEG names: ECG/EKG*, EMG*, EOG*, LOC*, ROC*, PHOTIC*, IBI, BURSTS, SUPPR, RESP*, SPO2, SAO2, PULSE*,
///     PLETH*, DC<digits>, STATUS, TRIGGER/TRIG, STI/STI<digits>, EFFORT*, ACC<digits>, ERGO* (the part before any
///     "-" is tested, so "EKG-REF", "ECG EKG-Ref", "LOC-ROC" are non-EEG).
///  5. Reference suffixes: "-REF", "-LE", "-AR", "-AVG", "-AV", "-CAR" are removed always (also from unknown names);
///     the mastoid/ear references "-M1", "-M2", "-M1M2", "-A1A2" only when the rest is a vocabulary electrode
///     (sleep convention "C3-M2" -> C3). A single-electrode cathode A1/A2 is *not* a reference suffix: "T4-A2" is
///     the TCP derivation T8-A2.
///  6. Aliases to the 10-10 name: T3 -> T7, T4 -> T8, T5 -> P7, T6 -> P8 (old 10-20 names, ACNS 2006 guideline).
///  7. A vocabulary electrode -> eeg; "X-Y" with X and Y vocabulary electrodes -> bipolar "X-Y" (aliases applied to
///     both sides); anything else -> unknown (the cleaned, upper-cased name, e.g. "CH22", "LA1", "E").
///
/// Ambiguity of numbered contacts: an ECoG grid contact "C1" or a BioSemi-style "A1".."H32" label looks exactly like
/// the 10-10 electrode C1 or the ear electrode A1. A label alone cannot tell them apart, so callers that know the
/// recording is intracranial (or uses a numbered cap) pass CanonicalizeOptions::intracranial = true, which turns every
/// channel that is not clearly non-EEG or an annotation into `unknown`. numbered_contact_labels() flags label sets
/// that look like numbered grids ("C1".."C64", "A1".."A16") so that ingest can warn or refuse.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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

/// "eeg", "bipolar", "non_eeg", "annotation", "unknown".
std::string_view kind_name(ChannelKind kind);

struct CanonicalChannel {
  ChannelKind kind = ChannelKind::unknown;
  /// Upper-case canonical name: "FP1", "T7" (T3 -> T7, T4 -> T8, T5 -> P7, T6 -> P8), "FP1-F7"; for unknown and
  /// non-EEG channels the cleaned label (type prefix, dots and generic reference suffixes removed, upper-cased).
  std::string name;
  std::string anode;    ///< bipolar only
  std::string cathode;  ///< bipolar only
};

struct CanonicalizeOptions {
  /// Treat every channel that is not non-EEG or an annotation as an intracranial contact (kind unknown), for ECoG /
  /// SEEG recordings whose contact names collide with 10-10 names ("C1", "F3", "A1").
  bool intracranial = false;
};

/// Canonicalises one label. Examples: "EEG FP1-REF" -> eeg FP1; "EEG Fp1-LE" -> eeg FP1; "Fp1" -> eeg FP1;
/// "FP1-F7" -> bipolar FP1-F7; "EEG T3-REF" -> eeg T7; "ECG EKG-REF" -> non_eeg; "EDF Annotations" -> annotation.
/// Canonical names map to themselves (idempotent).
CanonicalChannel canonicalize_channel(std::string_view label, const CanonicalizeOptions& options = {});

/// Canonicalises every label of a recording, in order.
std::vector<CanonicalChannel> canonicalize_channels(const std::vector<std::string>& labels,
                                                    const CanonicalizeOptions& options = {});

/// Labels that look like contacts of a numbered grid/strip or cap rather than 10-10 positions: a letter prefix
/// (after cleaning as above) followed by a number, where the same prefix also occurs with a number that is *not* a
/// vocabulary electrode (e.g. "C1".."C64": C7.. are not 10-10 names; "A1".."A16"; "F1".."F16"). Returns the labels
/// (as given) of every member of such a series whose canonicalisation would otherwise be an EEG electrode. Empty
/// for ordinary 10-20/10-10 label sets (including F9/F10, T9/T10, P9/P10, PO9/PO10, AF9/AF10, FT9/FT10, TP9/TP10).
std::vector<std::string> numbered_contact_labels(const std::vector<std::string>& labels);

/// The global electrode vocabulary, in a fixed order: the index is the row of the spatial embedding table and must
/// never change between releases — the list is append-only (new names go at the end; nothing is removed or
/// reordered). Index 0 is "UNK", used for channels outside the vocabulary.
///
/// Rows 1..136 are LaBraM's `utils.standard_1020` list in its order (upper-cased; its 10-10 rows, O9/CB1/CB2,
/// IZ/O10, the old names T3/T5/T4/T6, M1/M2, A1/A2, CFC1-8, CCP1-8, T1/T2, FTT9H..TPP10H, then the 16 TCP
/// derivations), so that row i here equals LaBraM's `get_input_chans` index i and LaBraM position embeddings can be
/// imported row-for-row. Appended after it: NZ, I1, I2 (the 10-10 positions LaBraM lacks), SP1, SP2 (sphenoidal),
/// PG1, PG2 (nasopharyngeal), and the bipolar derivations FZ-CZ, CZ-PZ (18-channel double banana) and A1-T7, T7-C3,
/// C3-CZ, CZ-C4, C4-T8, T8-A2 (the TUH 22-channel TCP chain).
///
/// The old-name rows T3/T5/T4/T6 exist only for that row compatibility: canonicalize_channel never produces them and
/// electrode_index() resolves them to the rows of T7/P7/T8/P8.
const std::vector<std::string>& electrode_vocabulary();
/// Index in electrode_vocabulary() of a canonical name (aliases T3/T4/T5/T6 resolved, also inside bipolar names);
/// 0 ("UNK") when absent.
int electrode_index(std::string_view canonical_name);
/// True when `canonical_name` is a single electrode of the vocabulary (not UNK, not a bipolar derivation, not an
/// alias row).
bool is_vocabulary_electrode(std::string_view canonical_name);

/// Brain regions used by the spatial encoder and region masking (docs/architecture.md), configurable.
class RegionTable {
 public:
  /// The default 8-region table: left frontal (FP1 AF3 AF7 F1 F3 F5 F7), right
  /// frontal (FP2 AF4 AF8 F2 F4 F6 F8), left temporal (FT7 FT9 T7 T9 TP7 TP9 P7 A1), right temporal (FT8 FT10 T8 T10
  /// TP8 TP10 P8 A2), central/midline (FPZ AFZ FZ FCZ CZ CPZ FC1-6 C1-6 CP1-6), left parietal (P1 P3 P5 PO3 PO7),
  /// right parietal (P2 P4 P6 PO4 PO8), occipital (O1 OZ O2 POZ PZ IZ). Electrodes it does not list (T1, T2, M1,
  /// M2, SP1, F9, ...) have region -1; callers map -1 to an "unknown region" embedding or supply a custom table.
  static RegionTable default_table();
  /// A custom table: region names and, per region, its canonical electrode names (aliases such as T3 are accepted).
  /// Throws ArgumentError when an electrode is listed in two regions or the sizes differ.
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

/// The TCP "double banana" bipolar montage with 16, 18 or 22 derivations (as (anode, cathode) canonical names, in
/// montage order). Throws ArgumentError for other sizes.
///  - 16: the set used by BIOT/CBraMod/LaBraM: FP1-F7, F7-T7, T7-P7, P7-O1, FP2-F8, F8-T8, T8-P8, P8-O2, FP1-F3,
///        F3-C3, C3-P3, P3-O1, FP2-F4, F4-C4, C4-P4, P4-O2.
///  - 18: the 16 plus the midline chain FZ-CZ, CZ-PZ (ACNS longitudinal bipolar "double banana").
///  - 22: TUH EEG's "01_tcp_ar" montage in its order (NEDC montage definition file; Ferrell et al. 2020, "The Temple
///        University Hospital EEG Corpus: Electrode Location and Channel Labels"): FP1-F7, F7-T7, T7-P7, P7-O1,
///        FP2-F8, F8-T8, T8-P8, P8-O2, A1-T7, T7-C3, C3-CZ, CZ-C4, C4-T8, T8-A2, FP1-F3, F3-C3, C3-P3, P3-O1, FP2-F4,
///        F4-C4, C4-P4, P4-O2 — i.e. the 16 plus the temporal chain, *without* FZ-CZ/CZ-PZ (TUH writes T3/T4/T5/T6;
///        channel i of a TUH per-channel label file refers to row i here).
const std::vector<std::pair<std::string, std::string>>& tcp_montage(int n_derivations);

}  // namespace efm::signal
