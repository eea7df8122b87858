#pragma once
/// Geometry of the simulator: the 8 brain regions (one neural-mass population each), the 19 electrodes of the
/// 10-20 system, and a lead-field-like mixing matrix from region sources to scalp electrodes.
///
/// Regions and the electrode -> region map follow the spatial encoder's default region table
/// (docs/architecture.md): left frontal {FP1, F3, F7}, right frontal {FP2, F4, F8}, left temporal {T7, P7}, right
/// temporal {T8, P8}, central/midline {FZ, CZ, C3, C4}, left parietal {P3}, right parietal {P4}, occipital {O1, O2,
/// PZ}.
///
/// Electrode positions: the idealised spherical 10-20 coordinates used by BESA (and EEGLAB's BESA-format 10-20
/// files), theta = signed angle from the vertex (negative on the left), phi = azimuth, in degrees; on a unit sphere
/// x = sin(theta) cos(phi) (towards T8), y = sin(theta) sin(phi) (towards the nose), z = cos(theta) (vertex).
///
/// Mixing (documented approximation, not a boundary-element forward model): each region's source sits at depth
/// `source_depth` (fraction of the head radius) under the normalised mean direction of its electrodes; the gain
/// from a source to an electrode falls off as 1 / distance^2 (the far-field fall-off of a current dipole), and each
/// electrode's row is normalised to sum to 1, so an electrode records a weighted average of the region sources
/// (own region ~0.5, neighbours ~0.1-0.2, distant regions ~0.03 with the default depth 0.7) — volume conduction.
#include <Eigen/Core>
#include <array>
#include <string>
#include <vector>

namespace efm::sim {

inline constexpr int kNumRegions = 8;
inline constexpr int kNumElectrodes = 19;

/// "left_frontal", "right_frontal", "left_temporal", "right_temporal", "central", "left_parietal",
/// "right_parietal", "occipital" (the order of the default region table).
const std::vector<std::string>& region_names();
/// Index of a region name; throws ArgumentError listing the names when unknown.
int region_index(const std::string& name);
/// FP1 FP2 F7 F3 FZ F4 F8 T7 C3 CZ C4 T8 P7 P3 PZ P4 P8 O1 O2 (canonical upper-case names, file channel order).
const std::vector<std::string>& electrode_names();
/// Region of each electrode (size 19).
const std::vector<int>& electrode_regions();
/// Unit-sphere position of each electrode (size 19).
const std::vector<std::array<double, 3>>& electrode_positions();
/// Neighbouring regions (symmetric adjacency; regions that share a border on the scalp).
const std::vector<std::vector<int>>& region_neighbours();

struct LeadfieldOptions {
  double source_depth = 0.7;  ///< source radius as a fraction of the head radius, in (0, 1)
};

/// Mixing matrix [19 electrodes, 8 regions]; rows sum to 1.
Eigen::MatrixXd leadfield(const LeadfieldOptions& options = {});

/// Coupling matrix [8, 8]: `weight` between neighbouring regions, 0 elsewhere.
Eigen::MatrixXd region_coupling(double weight);

}  // namespace efm::sim
