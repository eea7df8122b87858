#pragma once
/// The named families of the io layer that configs select, as named enums (core/enum_names.h): the rows here are
/// the allowed values of the ingest config's keys, and io (which links config) uses the same enums.
///
///   labels.sources[].format   auto | a LabelFormat name   (io/labels.h reads each format)
///   reader.policy             a ReaderPolicy name         (io/reader.h)
///   store.dtype               a StoreDtype name           (io/store.h)
#include "epilepsyfm/core/enum_names.h"

namespace efm::config {

/// Label file formats. A format with a file-name pattern is recognised by name; the others by content (io/labels.h).
enum class LabelFormat { csv, whole_file, chbmit, siena, tusz, bids, edf };
inline constexpr EnumNames<LabelFormat, 7> kLabelFormatNames{{{LabelFormat::csv, "csv"},
                                                              {LabelFormat::whole_file, "whole_file"},
                                                              {LabelFormat::chbmit, "chbmit"},
                                                              {LabelFormat::siena, "siena"},
                                                              {LabelFormat::tusz, "tusz"},
                                                              {LabelFormat::bids, "bids"},
                                                              {LabelFormat::edf, "edf"}}};
constexpr const auto& enum_names(LabelFormat) {
  return kLabelFormatNames;
}

/// Which recording reader may read an EDF/BDF file; other formats have one reader (BioSig) under either policy.
enum class ReaderPolicy {
  strict,    ///< EDFlib only; EDF/BDF files EDFlib refuses are errors (with EDFlib's reason)
  tolerant,  ///< EDFlib first; when it refuses, log its reason and re-read through BioSig (if built in)
};
inline constexpr EnumNames<ReaderPolicy, 2> kReaderPolicyNames{
    {{ReaderPolicy::strict, "strict"}, {ReaderPolicy::tolerant, "tolerant"}}};
constexpr const auto& enum_names(ReaderPolicy) {
  return kReaderPolicyNames;
}

/// The type of the stored signal samples (microvolts).
enum class StoreDtype { float32, float16 };
inline constexpr EnumNames<StoreDtype, 2> kStoreDtypeNames{
    {{StoreDtype::float32, "float32"}, {StoreDtype::float16, "float16"}}};
constexpr const auto& enum_names(StoreDtype) {
  return kStoreDtypeNames;
}

}  // namespace efm::config
