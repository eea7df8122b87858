#pragma once
/// Train / validation / test splits of a set of recordings, by subject (a subject never appears in two splits) or
/// by recording, seeded, optionally stratified, saved as <run>/splits.csv and read back.
///
///   SplitOptions o;  o.by = SplitBy::automatic;  o.fractions = {0.7, 0.15, 0.15};  o.seed = 0;
///   Split s = make_split(source.recordings(), strata, o);   // strata: class of each recording (-1 = none)
///   write_splits_csv(run / "splits.csv", source.recordings(), s);
///   s.recordings(SplitPart::test)                           // indices into source.recordings()
///
/// Algorithm: units are subjects (or recordings). A unit's stratum is the largest stratum among its recordings (so
/// with strata 0 = no seizure, 1 = seizure, a subject with any seizure recording counts as "seizure"); recordings
/// with stratum -2 are not eligible and are left out. Per stratum (or all units together
/// when not stratified), the units are sorted by id, shuffled with std::mt19937_64(derive_seed(seed, "split")),
/// and the first round(n * f_test) go to test, the next round(n * f_val) to validation, the rest to training; when
/// a stratum has at least 3 units, each split with a positive fraction gets at least one. The result depends only
/// on the unit ids, strata, fractions and seed (not on recording order).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "epilepsyfm/core/enum_names.h"
#include "epilepsyfm/data/window_source.h"

namespace efm::eval {

/// What stays within one split: a subject's recordings (subject) or each recording on its own (recording); auto
/// picks subject when every recording has a subject id and there are at least three subjects.
enum class SplitBy { automatic, subject, recording };
inline constexpr EnumNames<SplitBy, 3> kSplitByNames{
    {{SplitBy::automatic, "auto"}, {SplitBy::subject, "subject"}, {SplitBy::recording, "recording"}}};
constexpr const auto& enum_names(SplitBy) {
  return kSplitByNames;
}

enum class SplitPart { train = 0, val = 1, test = 2 };
/// "train", "val", "test".
const char* split_name(SplitPart part);

struct SplitOptions {
  SplitBy by = SplitBy::automatic;
  std::vector<double> fractions{0.7, 0.15, 0.15};
  bool stratify = true;
  uint64_t seed = 0;
};

struct Split {
  SplitBy by = SplitBy::subject;  ///< subject or recording (after auto)
  std::string note;               ///< why auto chose recording, or empty
  /// Per recording: 0 train, 1 val, 2 test, -1 not used.
  std::vector<int> part_of;
  /// Indices of the recordings in `part`, ascending.
  std::vector<int64_t> recordings(SplitPart part) const;
  /// Distinct units (subjects or recording ids) in `part`.
  std::vector<std::string> units(const std::vector<data::RecordingInfo>& recs, SplitPart part) const;
};

/// Recording id or subject id of recording `r`, per `by` ("subject" | "recording").
std::string unit_of(const data::RecordingInfo& r, SplitBy by);

/// Draws a split (see above). `strata` has one entry per recording: a class index >= 0, -1 (no class) or -2 (not
/// eligible). Throws ConfigError for bad fractions or `by`, and when by = subject but some recording has no
/// subject id (naming it).
Split make_split(const std::vector<data::RecordingInfo>& recs, const std::vector<int64_t>& strata,
                 const SplitOptions& options);

/// Keeps `fraction` of the units of `part` (stratified like make_split, at least one unit per stratum that has
/// any), seeded by derive_seed(seed, "label_fraction"); the others become -1. For low-label experiments.
void subsample_part(Split& split, const std::vector<data::RecordingInfo>& recs, const std::vector<int64_t>& strata,
                    SplitPart part, double fraction, uint64_t seed);

/// Writes `recording_id,subject,split` (one row per recording used), atomically.
void write_splits_csv(const std::filesystem::path& path, const std::vector<data::RecordingInfo>& recs,
                      const Split& split);
/// Reads a splits.csv back for `recs`: recordings it does not list are not used (-1); rows naming recordings that
/// `recs` does not have are a DataError (naming the file and the id) unless `allow_missing`. `by` is "subject"
/// when no subject is split across parts, else "recording".
Split read_splits_csv(const std::filesystem::path& path, const std::vector<data::RecordingInfo>& recs,
                      bool allow_missing = false);

}  // namespace efm::eval
