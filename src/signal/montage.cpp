#include "epilepsyfm/signal/montage.h"

#include <map>

#include "epilepsyfm/core/check.h"

namespace efm::signal {

MontageSpec MontageSpec::referential(std::vector<std::string> electrodes) {
  MontageSpec s;
  s.kind = MontageKind::referential;
  s.channels = std::move(electrodes);
  return s;
}

MontageSpec MontageSpec::average(std::vector<std::string> electrodes) {
  MontageSpec s;
  s.kind = MontageKind::average;
  s.channels = std::move(electrodes);
  return s;
}

MontageSpec MontageSpec::bipolar(std::vector<std::string> derivations) {
  MontageSpec s;
  s.kind = MontageKind::bipolar;
  s.channels = std::move(derivations);
  return s;
}

MontageSpec MontageSpec::tcp(int n_derivations) {
  tcp_montage(n_derivations);  // validates
  MontageSpec s;
  s.kind = n_derivations == 16 ? MontageKind::tcp16 : n_derivations == 18 ? MontageKind::tcp18 : MontageKind::tcp22;
  return s;
}

int tcp_derivations(MontageKind kind) {
  switch (kind) {
    case MontageKind::tcp16: return 16;
    case MontageKind::tcp18: return 18;
    case MontageKind::tcp22: return 22;
    default: return 0;
  }
}

Eigen::MatrixXf MontagePlan::apply(const Eigen::Ref<const Eigen::MatrixXf>& chunk) const {
  EFM_CHECK_ARG(chunk.rows() == weights.cols(), "MontagePlan::apply: chunk has {} rows but the plan expects {} inputs",
                chunk.rows(), weights.cols());
  return weights * chunk;
}

std::vector<int> MontagePlan::used_inputs() const {
  std::vector<int> out;
  for (int c = 0; c < weights.cols(); ++c) {
    if ((weights.col(c).array() != 0.0f).any()) out.push_back(c);
  }
  return out;
}

namespace {

struct Inputs {
  std::vector<CanonicalChannel> canon;
  std::map<std::string, int> electrode;   // canonical electrode -> first input row
  std::map<std::string, int> derivation;  // canonical bipolar name -> first input row
  std::vector<int> eeg_rows;              // rows of distinct EEG electrodes, file order
};

Inputs index_inputs(const std::vector<std::string>& labels, const CanonicalizeOptions& options,
                    std::vector<std::string>& duplicates) {
  Inputs in;
  in.canon = canonicalize_channels(labels, options);
  for (size_t i = 0; i < labels.size(); ++i) {
    const CanonicalChannel& c = in.canon[i];
    std::map<std::string, int>* target = nullptr;
    if (c.kind == ChannelKind::eeg) target = &in.electrode;
    if (c.kind == ChannelKind::bipolar) target = &in.derivation;
    if (target == nullptr) continue;
    if (!target->emplace(c.name, static_cast<int>(i)).second) {
      duplicates.push_back(labels[i]);
      continue;
    }
    if (c.kind == ChannelKind::eeg) in.eeg_rows.push_back(static_cast<int>(i));
  }
  return in;
}

std::string canonical_electrode(const std::string& name, MontageKind kind) {
  const CanonicalChannel c = canonicalize_channel(name);
  EFM_CHECK_ARG(c.kind == ChannelKind::eeg, "montage '{}': '{}' is not an electrode of the vocabulary (got {} '{}')",
                kind, name, kind_name(c.kind), c.name);
  return c.name;
}

}  // namespace

MontagePlan plan_montage(const MontageSpec& spec, const std::vector<std::string>& input_labels,
                         const CanonicalizeOptions& options) {
  MontagePlan plan;
  const Inputs in = index_inputs(input_labels, options, plan.duplicates);
  const int n_in = static_cast<int>(input_labels.size());
  std::vector<Eigen::VectorXf> rows;

  auto unit_row = [n_in](int col, float w) {
    Eigen::VectorXf r = Eigen::VectorXf::Zero(n_in);
    r(col) = w;
    return r;
  };

  if (spec.kind == MontageKind::referential || spec.kind == MontageKind::average) {
    std::vector<std::string> wanted;
    if (spec.channels.empty()) {
      for (int r : in.eeg_rows) wanted.push_back(in.canon[r].name);
    } else {
      for (const auto& n : spec.channels) wanted.push_back(canonical_electrode(n, spec.kind));
    }
    Eigen::VectorXf reference = Eigen::VectorXf::Zero(n_in);
    if (spec.kind == MontageKind::average) {
      std::vector<int> ref_rows;
      if (spec.reference_channels.empty()) {
        ref_rows = in.eeg_rows;
      } else {
        for (const auto& n : spec.reference_channels) {
          const std::string e = canonical_electrode(n, spec.kind);
          auto it = in.electrode.find(e);
          if (it == in.electrode.end()) {
            plan.missing.push_back(e + " (reference)");
          } else {
            ref_rows.push_back(it->second);
          }
        }
      }
      EFM_CHECK_DATA(!ref_rows.empty(), "montage 'average': none of the reference electrodes is present in the file");
      for (int r : ref_rows) reference(r) += 1.0f / static_cast<float>(ref_rows.size());
    }
    for (const auto& e : wanted) {
      auto it = in.electrode.find(e);
      if (it == in.electrode.end()) {
        plan.missing.push_back(e);
        continue;
      }
      plan.output_names.push_back(e);
      rows.push_back(unit_row(it->second, 1.0f) - reference);
    }
  } else {
    std::vector<std::pair<std::string, std::string>> pairs;
    if (spec.kind == MontageKind::bipolar) {
      for (const auto& d : spec.channels) {
        const CanonicalChannel c = canonicalize_channel(d);
        EFM_CHECK_ARG(c.kind == ChannelKind::bipolar,
                      "montage 'bipolar': '{}' is not a derivation 'X-Y' of two vocabulary electrodes", d);
        pairs.emplace_back(c.anode, c.cathode);
      }
    } else {
      pairs = tcp_montage(tcp_derivations(spec.kind));
    }
    for (const auto& [anode, cathode] : pairs) {
      const std::string name = anode + "-" + cathode;
      if (auto it = in.derivation.find(name); it != in.derivation.end()) {
        plan.output_names.push_back(name);
        rows.push_back(unit_row(it->second, 1.0f));
        continue;
      }
      if (auto it = in.derivation.find(cathode + "-" + anode); it != in.derivation.end()) {
        plan.output_names.push_back(name);
        rows.push_back(unit_row(it->second, -1.0f));
        continue;
      }
      auto a = in.electrode.find(anode);
      auto c = in.electrode.find(cathode);
      if (a == in.electrode.end() || c == in.electrode.end()) {
        std::string absent;
        if (a == in.electrode.end()) absent = anode;
        if (c == in.electrode.end()) absent += (absent.empty() ? "" : ", ") + cathode;
        plan.missing.push_back(fmt::format("{} ({} absent)", name, absent));
        continue;
      }
      plan.output_names.push_back(name);
      rows.push_back(unit_row(a->second, 1.0f) - unit_row(c->second, 1.0f));
    }
  }

  plan.weights.resize(static_cast<Eigen::Index>(rows.size()), n_in);
  for (size_t r = 0; r < rows.size(); ++r) plan.weights.row(static_cast<Eigen::Index>(r)) = rows[r].transpose();
  return plan;
}

}  // namespace efm::signal
