// open_recording: header checks, TAL parsing, then EDFlib (strict) or BioSig (tolerant) — see reader.h.
#include "epilepsyfm/io/reader.h"

#include <fmt/format.h>

#include <future>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "io/detail/edf_file.h"
#include "io/detail/edf_header.h"
#include "io/detail/readers.h"

namespace efm::io {

namespace {

constexpr const char* kBiosigHint = "rebuild with -DEFM_WITH_BIOSIG=ON (libbiosig-dev) to read it";

/// EDFlib's reason plus what the header check found (EDFlib 1.23 reports most problems as "format errors" only).
std::string refusal_reason(const detail::EdflibAttempt& attempt, const detail::EdfHeader& h) {
  std::string reason = attempt.refusal;
  if (attempt.code == -3) {  // EDFLIB_FILE_CONTAINS_FORMAT_ERRORS
    if (h.deviations.empty()) {
      reason += "; the header check found no deviation (EDFlib's stricter checks, e.g. of the TAL bytes, failed)";
    } else {
      reason += "; deviations found by the header check: ";
      for (size_t i = 0; i < h.deviations.size(); ++i) reason += (i ? "; " : "") + h.deviations[i];
    }
  }
  return reason;
}

}  // namespace

void SignalSource::read_block(const std::vector<int>& signals, int64_t start, int64_t count, float* out, int64_t ld) {
  detail::check_block_request(info(), signals, start, count, out, ld);
  std::vector<double> buf(static_cast<size_t>(count));
  for (size_t k = 0; k < signals.size(); ++k) {
    read(signals[k], start, count, buf.data());
    float* o = out + k;
    for (int64_t t = 0; t < count; ++t) o[t * ld] = static_cast<float>(buf[static_cast<size_t>(t)]);
  }
}

bool biosig_available() {
#ifdef EFM_WITH_BIOSIG
  return true;
#else
  return false;
#endif
}

std::string reader_library_versions() {
#ifdef EFM_WITH_BIOSIG
  return detail::edflib_version() + ", " + detail::biosig_version();
#else
  return detail::edflib_version() + ", BioSig not built in";
#endif
}

std::unique_ptr<SignalSource> open_recording(const std::filesystem::path& path, const ReaderOptions& options) {
  const detail::EdfKind kind = detail::sniff_edf_kind(path);
  if (kind == detail::EdfKind::other) {
#ifdef EFM_WITH_BIOSIG
    return detail::open_biosig(path);
#else
    throw DataError(
        fmt::format("{}: not an EDF/BDF file, and this build has no BioSig reader for other formats "
                    "(GDF, BrainVision, Micromed TRC, Nihon Kohden, ...): {}",
                    path.string(), kBiosigHint));
#endif
  }
  const detail::EdfHeader header = detail::read_edf_header(path);
  if (header.data_signals.empty())
    throw DataError(
        fmt::format("{}: no data signals (only {} annotation signal(s)); read_annotations() reads its "
                    "annotations",
                    path.string(), header.annotation_signals.size()));
  if (header.n_records == 0)
    throw DataError(fmt::format("{}: empty recording: the header says 0 data records", path.string()));
  // EDFlib's validation reads the whole file as the TAL scan does: both run at once (if the scan throws, the
  // future's destructor waits for EDFlib and closes its file).
  std::future<detail::EdflibOpenedPtr> edflib =
      std::async(std::launch::async, [&header] { return detail::edflib_open(header); });
  std::string sha256;
  const detail::EdfAnnotationData annotations =
      detail::scan_edf_records(header, /*check_digital_ranges=*/true, options.sha256 ? &sha256 : nullptr);
  RecordingInfo info = detail::edf_recording_info(header, annotations);
  info.sha256 = std::move(sha256);

  detail::EdflibAttempt attempt = detail::open_edflib(header, info, options.edf_decode, edflib.get());
  if (attempt.source) return std::move(attempt.source);

  const std::string reason = refusal_reason(attempt, header);
  if (!attempt.format_refusal()) throw DataError(fmt::format("{}: {}", path.string(), reason));
  if (options.policy == ReaderPolicy::strict) {
    const std::string advice =
        header.discontinuous
            ? fmt::format(
                  "{} files are read by the tolerant reader policy (BioSig decodes the records, epilepsyfm's "
                  "TAL parser gives each segment its true onset): use policy 'tolerant'",
                  header.format)
            : std::string("the tolerant reader policy reads such files through BioSig: use policy 'tolerant'");
    throw DataError(
        fmt::format("{}: {} (strict reader policy); {}{}", path.string(), reason, advice,
                    biosig_available() ? "" : " (which needs a build with BioSig: " + std::string(kBiosigHint) + ")"));
  }
#ifdef EFM_WITH_BIOSIG
  EFM_LOG_WARN("[io] {}: {}; re-reading through BioSig", path.string(), reason);
  info.edflib_refusal = reason;
  return detail::open_biosig_edf(header, std::move(info));
#else
  throw DataError(fmt::format("{}: {}; this build has no BioSig reader for the tolerant policy: {}", path.string(),
                              reason, kBiosigHint));
#endif
}

std::vector<Annotation> read_annotations(const std::filesystem::path& path) {
  const detail::EdfKind kind = detail::sniff_edf_kind(path);
  if (kind == detail::EdfKind::other) {
#ifdef EFM_WITH_BIOSIG
    return detail::biosig_annotations(path);
#else
    throw DataError(fmt::format("{}: not an EDF/BDF file, and this build has no BioSig reader for other formats: {}",
                                path.string(), kBiosigHint));
#endif
  }
  const detail::EdfHeader header = detail::read_edf_header(path);
  detail::EdfAnnotationData data = detail::scan_edf_records(header, /*check_digital_ranges=*/false);
  for (const auto& d : data.deviations) EFM_LOG_DEBUG("[io] {}: {}", path.string(), d);
  return std::move(data.annotations);
}

}  // namespace efm::io
