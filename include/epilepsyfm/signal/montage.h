#pragma once
/// Montages: which output channels a model sees, computed from the channels a file records, as one weight matrix.
///
///   MontagePlan plan = plan_montage(MontageSpec::tcp(16), labels_in_file);   // labels raw or canonical
///   if (!plan.missing.empty()) { /* caller decides: error, skip the file, or fill */ }
///   Eigen::MatrixXf out = plan.apply(chunk);   // chunk: [n_inputs, samples] -> [n_outputs, samples]
///
/// Kinds:
///  - referential: pick and order electrodes (empty list = every EEG electrode present, in file order);
///  - average: common average reference: each output electrode minus the mean of the reference set (every EEG
///    electrode present, or MontageSpec::reference_channels when given);
///  - bipolar: derivations "X-Y" = X - Y from referential channels; a derivation the file records directly
///    (CHB-MIT writes FP1-F7, ...) is passed through (weight 1; a recorded reversed pair Y-X gets weight -1), so a
///    bipolar-only file satisfies a TCP montage without re-referencing; a derivation is missing when it is neither
///    recorded nor both of its electrodes are present;
///  - tcp16 / tcp18 / tcp22: bipolar with the pairs of tcp_montage().
/// Rows of inputs that are non-EEG, annotations or unknown are never used (their weights are 0).
#include <Eigen/Core>

#include <string>
#include <vector>

#include "epilepsyfm/config/preprocessing.h"
#include "epilepsyfm/signal/channels.h"

namespace efm::signal {

using config::MontageKind;
/// 16, 18 or 22 for the TCP kinds, 0 for the others.
int tcp_derivations(MontageKind kind);

struct MontageSpec {
  MontageKind kind = MontageKind::referential;
  /// referential/average: output electrodes (canonical or raw names; empty = all EEG electrodes present);
  /// bipolar: derivations "X-Y". Unused for tcp*.
  std::vector<std::string> channels;
  /// average only: electrodes whose mean is the reference (empty = every EEG electrode present).
  std::vector<std::string> reference_channels;

  static MontageSpec referential(std::vector<std::string> electrodes = {});
  static MontageSpec average(std::vector<std::string> electrodes = {});
  static MontageSpec bipolar(std::vector<std::string> derivations);
  static MontageSpec tcp(int n_derivations);
};

/// The plan for one file: output channel names and the weight matrix that maps the file's rows to them.
struct MontagePlan {
  std::vector<std::string> output_names;  ///< canonical names of the rows that could be formed, in spec order
  Eigen::MatrixXf weights;                ///< [n_outputs, n_inputs]
  /// Requested outputs that cannot be formed (electrode or derivation absent), in spec order. For bipolar outputs
  /// the entry names what is absent: "T7-P7 (T7 absent)".
  std::vector<std::string> missing;
  /// Input labels whose canonical name repeats an earlier input; the first occurrence is used, these are ignored.
  std::vector<std::string> duplicates;

  int n_inputs() const { return static_cast<int>(weights.cols()); }
  int n_outputs() const { return static_cast<int>(weights.rows()); }
  /// [n_outputs, samples] = weights x chunk. Throws ArgumentError when chunk.rows() != n_inputs().
  Eigen::MatrixXf apply(const Eigen::Ref<const Eigen::MatrixXf>& chunk) const;
  /// Input rows with a non-zero weight (the channels that must be read), ascending.
  std::vector<int> used_inputs() const;
};

/// Builds the plan for a file whose rows carry `input_labels` (raw labels such as "EEG FP1-REF" or canonical
/// names; canonicalised with `options`). Throws ArgumentError for an unknown kind or a malformed bipolar name.
MontagePlan plan_montage(const MontageSpec& spec, const std::vector<std::string>& input_labels,
                         const CanonicalizeOptions& options = {});

}  // namespace efm::signal
