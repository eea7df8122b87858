#include "epilepsyfm/eval/finetune/split.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/random.h"

namespace efm::eval {

const char* split_name(SplitPart part) {
  switch (part) {
    case SplitPart::train: return "train";
    case SplitPart::val: return "val";
    case SplitPart::test: return "test";
  }
  return "?";
}

std::vector<int64_t> Split::recordings(SplitPart part) const {
  std::vector<int64_t> out;
  for (size_t i = 0; i < part_of.size(); ++i) {
    if (part_of[i] == static_cast<int>(part)) out.push_back(static_cast<int64_t>(i));
  }
  return out;
}

std::vector<std::string> Split::units(const std::vector<data::RecordingInfo>& recs, SplitPart part) const {
  std::set<std::string> s;
  for (int64_t r : recordings(part)) s.insert(unit_of(recs[static_cast<size_t>(r)], by));
  return {s.begin(), s.end()};
}

std::string unit_of(const data::RecordingInfo& r, SplitBy by) {
  return by == SplitBy::subject ? r.subject : r.id;
}

namespace {

struct Unit {
  std::string id;
  std::vector<size_t> recordings;
  int64_t stratum = -1;
};

/// Units (sorted by id) of the eligible recordings, with their strata (see split.h).
std::vector<Unit> collect_units(const std::vector<data::RecordingInfo>& recs, const std::vector<int64_t>& strata,
                                SplitBy by, const std::vector<int>* only_part, int part) {
  std::map<std::string, Unit> m;
  for (size_t i = 0; i < recs.size(); ++i) {
    if (strata[i] == -2) continue;
    if (only_part && (*only_part)[i] != part) continue;
    Unit& u = m[unit_of(recs[i], by)];
    u.id = unit_of(recs[i], by);
    u.recordings.push_back(i);
  }
  std::vector<Unit> out;
  for (auto& [id, u] : m) {
    for (size_t i : u.recordings) u.stratum = std::max(u.stratum, strata[i]);
    out.push_back(std::move(u));
  }
  return out;
}

/// Units grouped by stratum (one group when not stratified), each group in id order.
std::vector<std::vector<const Unit*>> strata_groups(const std::vector<Unit>& units, bool stratify) {
  std::map<int64_t, std::vector<const Unit*>> g;
  for (const auto& u : units) g[stratify ? u.stratum : 0].push_back(&u);
  std::vector<std::vector<const Unit*>> out;
  for (auto& [s, v] : g) out.push_back(std::move(v));
  return out;
}

}  // namespace

Split make_split(const std::vector<data::RecordingInfo>& recs, const std::vector<int64_t>& strata,
                 const SplitOptions& o) {
  EFM_CHECK_ARG(strata.size() == recs.size(), "make_split: {} strata for {} recordings", strata.size(), recs.size());
  EFM_CHECK_CONFIG(o.fractions.size() == 3, "split.fractions: expected 3 values, got {}", o.fractions.size());
  Split split;
  split.by = o.by;
  if (o.by != SplitBy::recording) {
    std::set<std::string> subjects;
    const data::RecordingInfo* missing = nullptr;
    for (size_t i = 0; i < recs.size(); ++i) {
      if (strata[i] == -2) continue;
      if (recs[i].subject.empty() && !missing) missing = &recs[i];
      subjects.insert(recs[i].subject);
    }
    if (o.by == SplitBy::subject) {
      EFM_CHECK_CONFIG(missing == nullptr,
                       "split.by: subject, but recording '{}' has no subject id; give subjects at ingest "
                       "(subjects.from) or use split.by: recording",
                       missing ? missing->id : "");
    } else if (missing != nullptr) {
      split.by = SplitBy::recording;
      split.note = fmt::format(
          "recording '{}' has no subject id, so the split falls back to recordings (a subject's recordings may "
          "land in different splits)",
          missing->id);
    } else if (subjects.size() < 3) {
      split.by = SplitBy::recording;
      split.note = fmt::format(
          "only {} subject id(s), too few for three subject-disjoint splits, so the split falls back to recordings",
          subjects.size());
    } else {
      split.by = SplitBy::subject;
    }
  }
  split.part_of.assign(recs.size(), -1);
  const std::vector<Unit> units = collect_units(recs, strata, split.by, nullptr, 0);
  std::mt19937_64 rng(derive_seed(o.seed, "split"));
  for (auto group : strata_groups(units, o.stratify)) {
    efm::shuffle(group, rng);
    const auto n = static_cast<int64_t>(group.size());
    auto n_test = static_cast<int64_t>(std::llround(static_cast<double>(n) * o.fractions[2]));
    auto n_val = static_cast<int64_t>(std::llround(static_cast<double>(n) * o.fractions[1]));
    if (n >= 3) {
      if (o.fractions[2] > 0) n_test = std::max<int64_t>(n_test, 1);
      if (o.fractions[1] > 0) n_val = std::max<int64_t>(n_val, 1);
    }
    n_test = std::min(n_test, n);
    n_val = std::min(n_val, n - n_test);
    for (int64_t k = 0; k < n; ++k) {
      const int part = k < n_test ? 2 : (k < n_test + n_val ? 1 : 0);
      for (size_t r : group[static_cast<size_t>(k)]->recordings) split.part_of[r] = part;
    }
  }
  return split;
}

void subsample_part(Split& split, const std::vector<data::RecordingInfo>& recs, const std::vector<int64_t>& strata,
                    SplitPart part, double fraction, uint64_t seed) {
  EFM_CHECK_ARG(fraction > 0 && fraction <= 1, "train_label_fraction ({}) must be in (0, 1]", fraction);
  if (fraction >= 1) return;
  const std::vector<Unit> units = collect_units(recs, strata, split.by, &split.part_of, static_cast<int>(part));
  std::mt19937_64 rng(derive_seed(seed, "label_fraction"));
  for (auto group : strata_groups(units, /*stratify=*/true)) {
    efm::shuffle(group, rng);
    const auto keep =
        std::max<int64_t>(1, static_cast<int64_t>(std::llround(static_cast<double>(group.size()) * fraction)));
    for (size_t k = static_cast<size_t>(keep); k < group.size(); ++k) {
      for (size_t r : group[k]->recordings) split.part_of[r] = -1;
    }
  }
}

void write_splits_csv(const std::filesystem::path& path, const std::vector<data::RecordingInfo>& recs,
                      const Split& split) {
  std::string out = csv_line({"recording_id", "subject", "split"});
  for (size_t i = 0; i < recs.size(); ++i) {
    if (split.part_of[i] < 0) continue;
    out += csv_line({recs[i].id, recs[i].subject, split_name(static_cast<SplitPart>(split.part_of[i]))});
  }
  atomic_write_file(path, out);
}

Split read_splits_csv(const std::filesystem::path& path, const std::vector<data::RecordingInfo>& recs,
                      bool allow_missing) {
  const CsvTable t = read_csv(path);
  const size_t id_col = t.column("recording_id"), split_col = t.column("split");
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < recs.size(); ++i) index[recs[i].id] = i;
  Split split;
  split.part_of.assign(recs.size(), -1);
  std::map<std::string, std::set<int>> parts_of_subject;
  for (size_t row = 0; row < t.rows.size(); ++row) {
    const auto& r = t.rows[row];
    int part = -1;
    for (SplitPart p : {SplitPart::train, SplitPart::val, SplitPart::test}) {
      if (r[split_col] == split_name(p)) part = static_cast<int>(p);
    }
    EFM_CHECK_DATA(part >= 0, "{}: line {}: split '{}' is not one of train, val, test", path.string(), row + 2,
                   r[split_col]);
    auto it = index.find(r[id_col]);
    if (it == index.end()) {
      EFM_CHECK_DATA(allow_missing, "{}: line {}: recording '{}' is not in the store", path.string(), row + 2,
                     r[id_col]);
      continue;
    }
    split.part_of[it->second] = part;
    parts_of_subject[recs[it->second].subject].insert(part);
  }
  split.by = SplitBy::subject;
  for (const auto& [s, parts] : parts_of_subject) {
    if (parts.size() > 1 || s.empty()) split.by = SplitBy::recording;
  }
  split.note = "read from " + path.string();
  return split;
}

}  // namespace efm::eval
