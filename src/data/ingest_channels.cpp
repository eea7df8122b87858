// Channel plan of one recording for ingest: canonical names, one sampling rate, montage.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/data/ingest.h"
#include "epilepsyfm/signal/channels.h"
#include "epilepsyfm/signal/montage.h"

namespace efm::data {

namespace {

std::string join_limited(const std::vector<std::string>& v, size_t limit = 12) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < limit; ++i) out += (i ? ", " : "") + v[i];
  if (v.size() > limit) out += fmt::format(", ... ({} in all)", v.size());
  return out;
}

}  // namespace

namespace {

// The stages of plan_channels over one recording; each appends its outputs, drops and warnings to `plan`.
struct ChannelPlanner {
  const io::RecordingInfo& info;
  const config::IngestChannelsConfig& cfg;
  std::string file;
  std::vector<std::string> labels;
  signal::CanonicalizeOptions copt;
  std::vector<signal::CanonicalChannel> canon;
  std::vector<int> group;                // signal indices at the kept rate
  std::vector<std::vector<float>> rows;  // output weights over `group`
  ChannelPlan plan;

  size_t group_pos(int signal_index) const {
    return static_cast<size_t>(std::find(group.begin(), group.end(), signal_index) - group.begin());
  }

  void missing_is_fatal(const std::vector<std::string>& missing, const std::string& what) {
    if (missing.empty()) return;
    if (cfg.missing == config::MissingChannels::error) {
      throw DataError(fmt::format("{}: {} {} missing (the file has: {}); set channels.missing: skip to leave them out",
                                  file, what, join_limited(missing), join_limited(labels, 40)));
    }
    plan.warnings.push_back(fmt::format("{} left out: {}", what, join_limited(missing)));
  }

  void canonicalize() {
    if (cfg.intracranial == config::Intracranial::yes) {
      copt.intracranial = true;
    } else if (cfg.intracranial == config::Intracranial::automatic) {
      const auto numbered = signal::numbered_contact_labels(labels);
      if (!numbered.empty()) {
        copt.intracranial = true;
        plan.warnings.push_back(fmt::format(
            "labels {} look like numbered intracranial contacts, not 10-10 positions: all channels are treated as "
            "intracranial (unknown) contacts (set channels.intracranial: false to override)",
            join_limited(numbered, 4)));
      }
    }
    canon = signal::canonicalize_channels(labels, copt);
  }

  // 1. Candidates by kind.
  std::vector<int> candidates() {
    std::vector<int> out;
    for (size_t i = 0; i < canon.size(); ++i) {
      const auto& c = canon[i];
      const auto& s = info.signals[i];
      if (c.kind == signal::ChannelKind::non_eeg || c.kind == signal::ChannelKind::annotation) {
        plan.dropped.push_back(fmt::format("{} (not EEG)", s.label));
      } else if (c.kind == signal::ChannelKind::unknown && !cfg.keep_unknown) {
        plan.dropped.push_back(fmt::format("{} (not a known electrode; channels.keep_unknown keeps it)", s.label));
      } else if (s.n_samples <= 0) {
        plan.dropped.push_back(fmt::format("{} (no samples)", s.label));
      } else {
        out.push_back(static_cast<int>(i));
      }
    }
    EFM_CHECK_DATA(!out.empty(), "{}: no EEG channels to keep (dropped: {})", file, join_limited(plan.dropped));
    return out;
  }

  // 2. One sampling rate: the one most candidates share (ties: the higher rate).
  void choose_rate(const std::vector<int>& kept) {
    std::map<double, int> rate_count;
    for (int i : kept) ++rate_count[info.signals[static_cast<size_t>(i)].sfreq_hz];
    double rate = 0;
    int best = -1;
    for (const auto& [r, n] : rate_count) {
      if (n >= best) {
        best = n;
        rate = r;
      }
    }
    std::vector<std::string> other_rate;
    for (int i : kept) {
      const auto& s = info.signals[static_cast<size_t>(i)];
      if (s.sfreq_hz == rate) {
        group.push_back(i);
      } else {
        other_rate.push_back(fmt::format("{} ({} Hz)", s.label, s.sfreq_hz));
        plan.dropped.push_back(fmt::format("{} (sampled at {} Hz, not {} Hz)", s.label, s.sfreq_hz, rate));
      }
    }
    if (!other_rate.empty()) {
      plan.warnings.push_back(fmt::format("{} channel(s) at other rates than the {} Hz of the others were dropped: {}",
                                          other_rate.size(), rate, join_limited(other_rate, 6)));
    }
    plan.sfreq_hz = rate;
  }

  // 3a. Referential: the picked channels (or all, first of repeated names) as they are.
  void referential() {
    std::map<std::string, int> first;  // canonical name -> signal index
    std::vector<int> order;
    for (int i : group) {
      const auto& c = canon[static_cast<size_t>(i)];
      const std::string name = c.name.empty() ? info.signals[static_cast<size_t>(i)].label : c.name;
      if (!first.emplace(name, i).second) {
        plan.dropped.push_back(fmt::format("{} (repeats {})", info.signals[static_cast<size_t>(i)].label, name));
        plan.warnings.push_back(fmt::format("channel '{}' appears more than once; the first is kept", name));
        continue;
      }
      order.push_back(i);
    }
    std::vector<std::string> missing;
    std::vector<int> picked;
    if (cfg.pick.empty()) {
      picked = order;
    } else {
      std::set<int> picked_set;
      for (const auto& p : cfg.pick) {
        const auto pc = signal::canonicalize_channel(p, copt);
        const std::string want = pc.name.empty() ? p : pc.name;
        auto it = first.find(want);
        if (it == first.end()) {
          missing.push_back(want);
        } else {
          picked.push_back(it->second);
          picked_set.insert(it->second);
        }
      }
      for (int i : order) {
        if (!picked_set.count(i)) {
          plan.dropped.push_back(fmt::format("{} (not in channels.pick)", info.signals[static_cast<size_t>(i)].label));
        }
      }
    }
    missing_is_fatal(missing, "picked channel(s)");
    for (int i : picked) {
      const auto& c = canon[static_cast<size_t>(i)];
      plan.names.push_back(c.name.empty() ? info.signals[static_cast<size_t>(i)].label : c.name);
      std::vector<float> w(group.size(), 0.0f);
      w[group_pos(i)] = 1.0f;
      rows.push_back(std::move(w));
    }
    plan.identity = true;
  }

  // 3b. Average reference or TCP derivations, through signal::plan_montage.
  void derived(signal::MontageKind montage) {
    std::vector<std::string> group_labels;
    for (int i : group) group_labels.push_back(labels[static_cast<size_t>(i)]);
    signal::MontageSpec spec;
    if (montage == signal::MontageKind::average) {
      spec = signal::MontageSpec::average(cfg.pick);
    } else {
      spec = signal::MontageSpec::tcp(signal::tcp_derivations(montage));
    }
    const signal::MontagePlan mp = signal::plan_montage(spec, group_labels, copt);
    for (const auto& d : mp.duplicates) {
      plan.warnings.push_back(fmt::format("channel '{}' repeats an earlier channel; the first is kept", d));
    }
    missing_is_fatal(mp.missing, fmt::format("{} channel(s)", cfg.montage));
    std::set<std::string> pick;
    for (const auto& p : cfg.pick) pick.insert(signal::canonicalize_channel(p, copt).name);
    for (int r = 0; r < mp.n_outputs(); ++r) {
      const std::string& name = mp.output_names[static_cast<size_t>(r)];
      if (montage != signal::MontageKind::average && !pick.empty() && !pick.count(name)) continue;
      plan.names.push_back(name);
      std::vector<float> w(group.size());
      for (size_t k = 0; k < group.size(); ++k) w[k] = mp.weights(r, static_cast<int>(k));
      rows.push_back(std::move(w));
    }
    // Unknown channels kept by keep_unknown pass through an average montage unreferenced; a bipolar montage
    // cannot use them.
    for (int i : group) {
      const auto& c = canon[static_cast<size_t>(i)];
      if (c.kind != signal::ChannelKind::unknown) continue;
      if (montage == signal::MontageKind::average) {
        plan.names.push_back(c.name.empty() ? labels[static_cast<size_t>(i)] : c.name);
        std::vector<float> w(group.size(), 0.0f);
        w[group_pos(i)] = 1.0f;
        rows.push_back(std::move(w));
      } else {
        plan.dropped.push_back(
            fmt::format("{} (not an electrode of the {} montage)", labels[static_cast<size_t>(i)], cfg.montage));
      }
    }
    // Inputs the montage does not use.
    for (size_t k = 0; k < group.size(); ++k) {
      bool any = false;
      for (const auto& w : rows) any = any || w[k] != 0.0f;
      if (!any && canon[static_cast<size_t>(group[k])].kind != signal::ChannelKind::unknown) {
        plan.dropped.push_back(
            fmt::format("{} (not used by the {} montage)", labels[static_cast<size_t>(group[k])], cfg.montage));
      }
    }
  }

  // 4. Checks, then only the inputs some output uses, ascending.
  void finish() {
    EFM_CHECK_DATA(!plan.names.empty(), "{}: no channels left for the {} montage (dropped: {})", file, cfg.montage,
                   join_limited(plan.dropped));
    {
      std::set<std::string> seen;
      for (const auto& n : plan.names) {
        EFM_CHECK_DATA(seen.insert(n).second, "{}: output channel '{}' would appear twice", file, n);
      }
    }
    std::vector<int> used;
    for (size_t k = 0; k < group.size(); ++k) {
      bool any = false;
      for (const auto& w : rows) any = any || w[k] != 0.0f;
      if (any) used.push_back(group[k]);
    }
    plan.inputs = used;
    plan.weights.resize(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(used.size()));
    for (size_t r = 0; r < rows.size(); ++r) {
      for (size_t k = 0; k < used.size(); ++k) {
        plan.weights(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(k)) = rows[r][group_pos(used[k])];
      }
    }
    if (plan.identity) {
      // Referential picks may reorder; keep `identity` only when the weight matrix really is the identity.
      plan.identity = plan.weights.rows() == plan.weights.cols() && plan.weights.isIdentity();
    }
    for (const auto& n : plan.names) plan.vocab_index.push_back(signal::electrode_index(n));
    for (int i : plan.inputs) {
      const auto& s = info.signals[static_cast<size_t>(i)];
      if (!s.is_voltage()) {
        plan.warnings.push_back(
            fmt::format("channel '{}' has unit '{}', not a voltage: values are stored as given, "
                        "not in microvolts",
                        s.label, s.unit));
      }
    }
  }
};

}  // namespace

ChannelPlan plan_channels(const io::RecordingInfo& info, const config::IngestChannelsConfig& cfg) {
  ChannelPlanner p{info, cfg, info.path.filename().string(), {}, {}, {}, {}, {}, {}};
  EFM_CHECK_DATA(!info.signals.empty(), "{}: the recording has no data signals", p.file);
  for (const auto& s : info.signals) p.labels.push_back(s.label);
  p.canonicalize();
  p.choose_rate(p.candidates());
  // channels.montage stays a string in the config (it is recorded in the store as written).
  const signal::MontageKind montage = cfg.montage;
  if (montage == signal::MontageKind::referential) {
    p.referential();
  } else {
    p.derived(montage);
  }
  p.finish();
  return std::move(p.plan);
}

}  // namespace efm::data
