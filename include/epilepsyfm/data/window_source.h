#pragma once
/// Where windows come from. `WindowSource` is the data layer's view of a collection of preprocessed recordings:
/// the HDF5 store reader implements it for real runs, `InMemoryWindowSource` for tests and small tools. The
/// window index (windows.h), samplers (sampler.h) and the prefetching loader (loader.h) only see this interface.
///
///   auto src = std::make_shared<InMemoryWindowSource>(std::vector<std::string>{"background", "seizure"});
///   src->add(info, signal);            // signal: [C * n_samples] row-major float32
///   std::vector<float> buf(C * n);
///   src->read(0, /*start_sample=*/400, /*n_samples=*/n, buf.data());
///
/// Contract for implementers:
///   - `recordings()` is fixed after construction (the loader keeps indices into it);
///   - `read` is thread-safe (several loader workers call it at once), writes exactly C·n floats in channel-major
///     order ([C, n], row c at out + c·n), and throws DataError naming the recording id on failure.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace efm::data {

/// One labelled span of a recording, as written by ingest into the store's window table.
struct LabelledSpan {
  int64_t start_sample = 0;  ///< first sample, at the recording's sampling rate
  int64_t n_samples = 0;     ///< length in samples
  int64_t label = -1;        ///< index into WindowSource::label_names(), -1 = no label
  bool rejected = false;     ///< artefact rejection flag (e.g. |x| >= reject_abs_uv somewhere in the span)
};

/// What the data layer needs to know about one recording.
struct RecordingInfo {
  std::string id;                          ///< unique, used in error messages ("chb01_03.edf")
  std::string subject;                     ///< for splits and reporting
  std::vector<std::string> channel_names;  ///< canonical names, in row order of `read`
  std::vector<int64_t> channel_ids;        ///< electrode-vocabulary index per channel (same order)
  std::vector<int64_t> region_ids;         ///< brain-region index per channel (same order)
  double sfreq_hz = 0;                     ///< sampling rate of the stored signal
  int64_t n_samples = 0;                   ///< samples per channel
  std::vector<LabelledSpan> spans;         ///< window table (labels, reject flags); may be empty

  /// Throws ArgumentError naming the recording when sizes disagree, sfreq <= 0 or spans leave the signal.
  void validate() const;
};

class WindowSource {
 public:
  virtual ~WindowSource() = default;
  virtual const std::vector<RecordingInfo>& recordings() const = 0;
  /// Names of the label indices used in RecordingInfo::spans ("background", "seizure", ...). May be empty.
  virtual const std::vector<std::string>& label_names() const = 0;
  /// Reads samples [start_sample, start_sample + n_samples) of every channel of recording `recording` into
  /// `out` ([C, n_samples] row-major float32). Thread-safe. Throws DataError naming the recording id.
  virtual void read(int64_t recording, int64_t start_sample, int64_t n_samples, float* out) const = 0;
};

/// Recordings held in memory: for tests, synthetic data and small tools.
class InMemoryWindowSource : public WindowSource {
 public:
  explicit InMemoryWindowSource(std::vector<std::string> label_names = {});

  /// Adds a recording; `signal` is [C, n_samples] row-major. Returns its index. Validates `info` and the size.
  int64_t add(RecordingInfo info, std::vector<float> signal);
  /// Makes `read` of `recording` throw DataError(message) (tests of error propagation).
  void fail_reads_of(int64_t recording, std::string message);

  const std::vector<RecordingInfo>& recordings() const override { return infos_; }
  const std::vector<std::string>& label_names() const override { return label_names_; }
  void read(int64_t recording, int64_t start_sample, int64_t n_samples, float* out) const override;

 private:
  std::vector<std::string> label_names_;
  std::vector<RecordingInfo> infos_;
  std::vector<std::vector<float>> signals_;
  std::vector<std::string> failures_;
};

}  // namespace efm::data
