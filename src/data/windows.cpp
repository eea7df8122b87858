#include "epilepsyfm/data/windows.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/log.h"

namespace efm::data {

int64_t seconds_to_samples(double seconds, double sfreq_hz, const std::string& what) {
  const double exact = seconds * sfreq_hz;
  const double rounded = std::round(exact);
  EFM_CHECK_ARG(std::abs(exact - rounded) < 1e-6, "{}: {} s at {} Hz is {} samples; expected a whole number of samples",
                what, seconds, sfreq_hz, exact);
  return static_cast<int64_t>(rounded);
}

namespace {

struct SpanVerdict {
  bool rejected = false;
  int64_t label = -1;
};

// `spans` sorted by start, none longer than `max_len`. Applies the rules documented in windows.h to
// [start, start + len): only spans starting in (start - max_len, start + len) can overlap.
SpanVerdict judge(const std::vector<LabelledSpan>& spans, int64_t max_len, int64_t start, int64_t len) {
  SpanVerdict v;
  const int64_t end = start + len;
  auto s = std::lower_bound(spans.begin(), spans.end(), start - max_len + 1,
                            [](const LabelledSpan& sp, int64_t x) { return sp.start_sample < x; });
  int64_t cand = -2;  // -2 = no overlapping span yet
  bool mixed = false;
  int64_t covered_to = start;  // [start, covered_to) covered without gaps so far
  for (; s != spans.end() && s->start_sample < end; ++s) {
    if (s->start_sample + s->n_samples <= start) continue;
    if (s->rejected) v.rejected = true;
    if (cand == -2) cand = s->label;
    if (s->label != cand || s->label < 0) mixed = true;
    if (s->start_sample <= covered_to) covered_to = std::max(covered_to, s->start_sample + s->n_samples);
  }
  if (cand >= 0 && !mixed && covered_to >= end) v.label = cand;
  return v;
}

}  // namespace

WindowIndex WindowIndex::build(const WindowSource& source, const WindowOptions& options) {
  EFM_CHECK_ARG(options.window_s > 0, "windows.window_s ({}) must be > 0", options.window_s);
  EFM_CHECK_ARG(options.stride_s > 0, "windows.stride_s ({}) must be > 0", options.stride_s);
  const auto& names = source.label_names();
  std::set<int64_t> keep_labels;
  for (const auto& l : options.labels) {
    auto it = std::find(names.begin(), names.end(), l);
    if (it == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "'" : ", '") + n + "'";
      EFM_CHECK_ARG(false, "windows.labels: unknown label '{}'; the source has {}", l,
                    known.empty() ? std::string("no labels") : "labels " + known);
    }
    keep_labels.insert(it - names.begin());
  }
  const bool need_label = options.require_label || !keep_labels.empty();

  WindowIndex index;
  index.options_ = options;
  std::map<std::pair<std::vector<int64_t>, int64_t>, int64_t> group_of;
  const auto& recs = source.recordings();
  for (size_t r = 0; r < recs.size(); ++r) {
    const RecordingInfo& info = recs[r];
    const int64_t len =
        seconds_to_samples(options.window_s, info.sfreq_hz, "recording '" + info.id + "': windows.window_s");
    const int64_t stride =
        seconds_to_samples(options.stride_s, info.sfreq_hz, "recording '" + info.id + "': windows.stride_s");
    EFM_CHECK_ARG(len > 0 && stride > 0, "recording '{}': window of {} samples with stride {}; expected > 0", info.id,
                  len, stride);
    if (info.n_samples < len) {
      ++index.stats_.short_recordings;
      continue;
    }
    std::vector<LabelledSpan> spans = info.spans;
    std::stable_sort(spans.begin(), spans.end(),
                     [](const LabelledSpan& a, const LabelledSpan& b) { return a.start_sample < b.start_sample; });
    int64_t max_len = 1;
    for (const auto& sp : spans) max_len = std::max(max_len, sp.n_samples);
    const auto key = std::make_pair(info.channel_ids, len);
    auto g = group_of.find(key);
    if (g == group_of.end()) {
      g = group_of.emplace(key, static_cast<int64_t>(index.groups_.size())).first;
      ChannelGroup cg;
      cg.channel_ids = info.channel_ids;
      cg.window_samples = len;
      index.groups_.push_back(std::move(cg));
    }
    ChannelGroup& group = index.groups_[static_cast<size_t>(g->second)];
    group.recordings.push_back(static_cast<int64_t>(r));
    for (int64_t start = 0; start + len <= info.n_samples; start += stride) {
      ++index.stats_.candidates;
      const SpanVerdict v = judge(spans, max_len, start, len);
      if (options.drop_rejected && v.rejected) {
        ++index.stats_.dropped_rejected;
        continue;
      }
      if (need_label && (v.label < 0 || (!keep_labels.empty() && keep_labels.count(v.label) == 0))) {
        ++index.stats_.dropped_label;
        continue;
      }
      group.windows.push_back(index.size());
      index.windows_.push_back(WindowRef{static_cast<int64_t>(r), start, v.label, g->second});
    }
  }
  EFM_LOG_DEBUG("[data] {} windows in {} channel groups ({} candidates, {} rejected, {} label-filtered)", index.size(),
                index.groups_.size(), index.stats_.candidates, index.stats_.dropped_rejected,
                index.stats_.dropped_label);
  return index;
}

}  // namespace efm::data
