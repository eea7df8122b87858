#include "epilepsyfm/simulate/leadfield.h"

#include <cmath>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/table.h"

namespace efm::sim {

namespace {

constexpr double kDeg = 3.14159265358979323846 / 180.0;

enum Region { LF = 0, RF, LT, RT, CE, LP, RP, OC };

struct ElectrodeDef {
  const char* name;
  double theta_deg, phi_deg;  // BESA spherical coordinates
  int region;
};

// BESA idealised 10-20 positions (theta from the vertex, negative = left; phi azimuth). Region per docs/architecture.md
// (Brain regions).
constexpr ElectrodeDef kElectrodes[kNumElectrodes] = {
    {"FP1", -92, -72, LF}, {"FP2", 92, 72, RF}, {"F7", -92, -36, LF}, {"F3", -60, -51, LF}, {"FZ", 46, 90, CE},
    {"F4", 60, 51, RF},    {"F8", 92, 36, RF},  {"T7", -92, 0, LT},   {"C3", -46, 0, CE},   {"CZ", 0, 0, CE},
    {"C4", 46, 0, CE},     {"T8", 92, 0, RT},   {"P7", -92, 36, LT},  {"P3", -60, 51, LP},  {"PZ", 46, -90, OC},
    {"P4", 60, -51, RP},   {"P8", 92, -36, RT}, {"O1", -92, 72, OC},  {"O2", 92, -72, OC},
};

}  // namespace

const std::vector<std::string>& region_names() {
  static const std::vector<std::string> names{"left_frontal", "right_frontal", "left_temporal",  "right_temporal",
                                              "central",      "left_parietal", "right_parietal", "occipital"};
  return names;
}

int region_index(const std::string& name) {
  const auto& names = region_names();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return int(i);
  }
  throw ArgumentError(fmt::format("unknown region '{}'; known regions: {}", name, fmt::join(names, ", ")));
}

const std::vector<std::string>& electrode_names() {
  static const std::vector<std::string> names = column_strings(kElectrodes, &ElectrodeDef::name);
  return names;
}

const std::vector<int>& electrode_regions() {
  static const std::vector<int> regions = [] {
    std::vector<int> v;
    for (const auto& e : kElectrodes) v.push_back(e.region);
    return v;
  }();
  return regions;
}

const std::vector<std::array<double, 3>>& electrode_positions() {
  static const std::vector<std::array<double, 3>> pos = [] {
    std::vector<std::array<double, 3>> v;
    for (const auto& e : kElectrodes) {
      const double t = e.theta_deg * kDeg, p = e.phi_deg * kDeg;
      v.push_back({std::sin(t) * std::cos(p), std::sin(t) * std::sin(p), std::cos(t)});
    }
    return v;
  }();
  return pos;
}

const std::vector<std::vector<int>>& region_neighbours() {
  // Regions sharing a border on the scalp (10-20 neighbours across regions).
  static const std::vector<std::vector<int>> adj = {
      /*LF*/ {RF, LT, CE},
      /*RF*/ {LF, RT, CE},
      /*LT*/ {LF, CE, LP, OC},
      /*RT*/ {RF, CE, RP, OC},
      /*CE*/ {LF, RF, LT, RT, LP, RP, OC},
      /*LP*/ {LT, CE, OC},
      /*RP*/ {RT, CE, OC},
      /*OC*/ {LT, RT, CE, LP, RP},
  };
  return adj;
}

Eigen::MatrixXd leadfield(const LeadfieldOptions& options) {
  EFM_CHECK_ARG(options.source_depth > 0 && options.source_depth < 1, "source_depth ({}) must be in (0, 1)",
                options.source_depth);
  const auto& pos = electrode_positions();
  const auto& reg = electrode_regions();
  Eigen::Matrix<double, 3, kNumRegions> src = Eigen::Matrix<double, 3, kNumRegions>::Zero();
  for (int e = 0; e < kNumElectrodes; ++e) src.col(reg[e]) += Eigen::Vector3d(pos[e][0], pos[e][1], pos[e][2]);
  for (int r = 0; r < kNumRegions; ++r) src.col(r) = options.source_depth * src.col(r).normalized();
  Eigen::MatrixXd L(kNumElectrodes, kNumRegions);
  for (int e = 0; e < kNumElectrodes; ++e) {
    const Eigen::Vector3d p(pos[e][0], pos[e][1], pos[e][2]);
    for (int r = 0; r < kNumRegions; ++r) L(e, r) = 1.0 / (p - src.col(r)).squaredNorm();
    L.row(e) /= L.row(e).sum();
  }
  return L;
}

Eigen::MatrixXd region_coupling(double weight) {
  EFM_CHECK_ARG(weight >= 0, "coupling weight ({}) must be >= 0", weight);
  Eigen::MatrixXd K = Eigen::MatrixXd::Zero(kNumRegions, kNumRegions);
  const auto& adj = region_neighbours();
  for (int i = 0; i < kNumRegions; ++i) {
    for (int j : adj[i]) K(i, j) = weight;
  }
  return K;
}

}  // namespace efm::sim
