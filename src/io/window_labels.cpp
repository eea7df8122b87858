// Window labelling by interval overlap (io/labels.h). The BIOT/CBraMod CHB-MIT preprocessing labels a window 1 only
// when a seizure onset or offset falls inside it, so windows inside a long seizure become background (BIOT #18,
// CBraMod #29); here a window's label comes from how much of it the events cover.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/io/labels.h"

namespace efm::io {

struct LabelRules::Regex {
  std::regex re;
};

LabelRules::LabelRules(LabelRulesOptions options) : options_(std::move(options)) {
  EFM_CHECK_ARG(options_.min_overlap >= 0 && options_.min_overlap <= 1, "min_overlap must be in [0, 1], got {}",
                options_.min_overlap);
  EFM_CHECK_ARG(!options_.background.empty(), "the background label must not be empty");
  auto r = std::make_shared<Regex>();
  try {
    r->re = std::regex(options_.seizure_regex, std::regex::ECMAScript | std::regex::icase);
  } catch (const std::regex_error& e) {
    throw ArgumentError(
        fmt::format("seizure_regex '{}' is not a valid regular expression: {}", options_.seizure_regex, e.what()));
  }
  regex_ = std::move(r);
}

bool LabelRules::is_seizure(const std::string& label) const {
  return std::regex_match(label, regex_->re);
}

namespace {

/// Total length of the union of intervals (sorted in place).
double union_length(std::vector<std::pair<double, double>>& iv) {
  std::sort(iv.begin(), iv.end());
  double total = 0, cur_a = 0, cur_b = 0;
  bool open = false;
  for (const auto& [a, b] : iv) {
    if (!open || a > cur_b) {
      if (open) total += cur_b - cur_a;
      cur_a = a;
      cur_b = b;
      open = true;
    } else {
      cur_b = std::max(cur_b, b);
    }
  }
  if (open) total += cur_b - cur_a;
  return total;
}

}  // namespace

std::vector<WindowLabel> label_windows(const std::vector<LabelEvent>& events,
                                       const std::vector<SignalSegment>& segments, double sfreq_hz,
                                       const WindowGeometry& geometry, const LabelRules& rules) {
  EFM_CHECK_ARG(sfreq_hz > 0, "sfreq_hz must be > 0, got {}", sfreq_hz);
  EFM_CHECK_ARG(geometry.length_samples > 0 && geometry.stride_samples > 0,
                "window length and stride must be > 0 samples, got {} and {}", geometry.length_samples,
                geometry.stride_samples);
  struct Ev {
    double on, off;
    const std::string* label;
    bool seizure;
  };
  std::vector<Ev> evs;
  evs.reserve(events.size());
  std::map<std::string, bool> seizure_cache;
  for (const auto& e : events) {
    if (!(e.offset_s > e.onset_s)) continue;  // zero-length marks cannot cover a window
    auto it = seizure_cache.find(e.label);
    if (it == seizure_cache.end()) it = seizure_cache.emplace(e.label, rules.is_seizure(e.label)).first;
    evs.push_back(Ev{e.onset_s, e.offset_s, &e.label, it->second});
  }
  std::sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) { return a.on < b.on; });

  const double min_overlap = rules.options().min_overlap;
  const double win_s = static_cast<double>(geometry.length_samples) / sfreq_hz;
  std::vector<WindowLabel> out;
  std::vector<const Ev*> active;
  std::map<std::string, std::vector<std::pair<double, double>>> by_label;
  std::vector<std::pair<double, double>> seizure_iv, all_iv;
  for (const auto& seg : segments) {
    if (seg.n_samples < geometry.length_samples) continue;
    const int64_t n_win = (seg.n_samples - geometry.length_samples) / geometry.stride_samples + 1;
    size_t next = 0;
    active.clear();
    for (int64_t k = 0; k < n_win; ++k) {
      const int64_t offset = k * geometry.stride_samples;
      const double t0 = seg.onset_s + static_cast<double>(offset) / sfreq_hz;
      const double t1 = t0 + win_s;
      while (next < evs.size() && evs[next].on < t1) active.push_back(&evs[next++]);
      active.erase(std::remove_if(active.begin(), active.end(), [&](const Ev* e) { return e->off <= t0; }),
                   active.end());
      by_label.clear();
      seizure_iv.clear();
      all_iv.clear();
      for (const Ev* e : active) {
        const double a = std::max(e->on, t0), b = std::min(e->off, t1);
        if (!(b > a)) continue;
        by_label[*e->label].emplace_back(a, b);
        all_iv.emplace_back(a, b);
        if (e->seizure) seizure_iv.emplace_back(a, b);
      }
      WindowLabel w;
      w.start_sample = seg.start_sample + offset;
      const double sz = union_length(seizure_iv) / win_s;
      w.seizure_overlap = static_cast<float>(sz);
      w.seizure = sz > 0 && sz >= min_overlap;
      double best = 0;
      const std::string* best_label = nullptr;
      for (auto& [label, iv] : by_label) {
        if (w.seizure != seizure_cache.at(label)) continue;  // a seizure window takes a seizure label and vice versa
        const double cover = union_length(iv) / win_s;
        if (cover > best) {
          best = cover;
          best_label = &label;
        }
      }
      if (best_label && (w.seizure || (best > 0 && best >= min_overlap))) {
        w.label = *best_label;
        w.label_overlap = static_cast<float>(best);
      } else {
        w.label = rules.options().background;
        w.label_overlap = static_cast<float>(1.0 - union_length(all_iv) / win_s);
      }
      out.push_back(std::move(w));
    }
  }
  return out;
}

}  // namespace efm::io
