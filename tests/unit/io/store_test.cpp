#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/io/store.h"
#include "support/test_support.h"

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::io {
namespace {
namespace fs = std::filesystem;

StoredPreprocessing preprocessing(config::Normalization normalization = config::Normalization::zscore) {
  StoredPreprocessing pp;
  pp.spec.profile = "epilepsyfm";
  pp.spec.l_freq_hz = 0.5;
  pp.spec.h_freq_hz = 70;
  pp.spec.notch_hz = {50};
  pp.spec.notch_harmonics = true;
  pp.spec.sfreq_hz = 200;
  pp.spec.normalization = normalization;
  pp.spec.scale = 0.01;
  pp.reject_abs_uv = 100;
  pp.window_length_samples = 800;
  pp.window_stride_samples = 800;
  return pp;
}

StoreOptions options(StoreDtype dtype = StoreDtype::float32, int compression = 0) {
  StoreOptions o;
  o.dtype = dtype;
  o.compression = compression;
  o.chunk_s = 3.0;  // 600 samples: blocks below cross chunk boundaries
  o.config_yaml = "config_version: 1\nwindows: {length_s: 4}\n";
  return o;
}

/// Deterministic test signal in microvolts: channel c, sample t.
float value(int c, int64_t t) {
  return static_cast<float>(40.0 * std::sin(0.01 * t * (c + 1)) + 3.0 * c - 7.25);
}

RecordingHeader header(const std::string& id, int n_channels, int64_t n_samples) {
  RecordingHeader h;
  h.id = id;
  h.subject = "sub01";
  h.session = "ses1";
  h.source_path = "site/" + id + ".edf";
  h.source_sha256 = std::string(64, 'a');
  h.reader = "edflib";
  h.format = "EDF+C";
  h.source_duration_s = static_cast<double>(n_samples) / 200.0;
  for (int c = 0; c < n_channels; ++c) {
    h.channels.push_back("CH" + std::to_string(c));
    h.channel_vocab_index.push_back(c + 1);
  }
  h.segments = {SignalSegment{0.0, 0, n_samples}};
  h.deviations = {"reserved field says EDF+C but there is no 'EDF Annotations' signal"};
  h.warnings = {"dropped 'ECG EKG' (not EEG)"};
  h.dropped_channels = {"ECG EKG"};
  h.label_sources = {"seizures.csv"};
  return h;
}

/// Writes a whole recording in uneven blocks and finishes it with consistent statistics and windows.
void write_recording(StoreWriter& w, const std::string& id, int n_channels, int64_t n_samples) {
  auto rec = w.begin_recording(header(id, n_channels, n_samples));
  int64_t t = 0;
  const int64_t blocks[] = {1, 599, 601, 250};
  int b = 0;
  while (t < n_samples) {
    const int64_t m = std::min<int64_t>(blocks[b++ % 4], n_samples - t);
    Eigen::MatrixXf block(n_channels, m);
    for (int c = 0; c < n_channels; ++c) {
      for (int64_t j = 0; j < m; ++j) block(c, j) = value(c, t + j);
    }
    rec->append(block);
    t += m;
  }
  RecordingFooter f;
  for (int c = 0; c < n_channels; ++c) {
    double s = 0, s2 = 0, mx = 0;
    for (int64_t i = 0; i < n_samples; ++i) {
      s += value(c, i);
      s2 += double(value(c, i)) * value(c, i);
      mx = std::max(mx, std::abs(double(value(c, i))));
    }
    const double mean = s / n_samples;
    f.mean_uv.push_back(mean);
    f.std_uv.push_back(std::sqrt(s2 / n_samples - mean * mean));
    f.max_abs_uv.push_back(mx);
  }
  LabelEvent e;
  e.onset_s = 4.0;
  e.offset_s = 9.0;
  e.label = "seizure";
  e.source = "seizures.csv:2";
  f.events.push_back(e);
  LabelEvent whole;
  whole.onset_s = 0;
  whole.offset_s = std::numeric_limits<double>::infinity();
  whole.label = "S";
  f.events.push_back(whole);
  f.event_seizure = {1, 0};
  for (int64_t s = 0; s + 800 <= n_samples; s += 800) {
    WindowLabel wl;
    wl.start_sample = s;
    wl.seizure = s == 800;
    wl.label = wl.seizure ? "seizure" : "background";
    wl.seizure_overlap = wl.seizure ? 1.0f : 0.0f;
    wl.label_overlap = 1.0f;
    f.windows.push_back(wl);
    f.window_max_abs_uv.push_back(s == 0 ? 150.0f : 50.0f);
  }
  rec->finish(f);
}

TEST(Store, RoundTripValuesTablesAndManifest) {
  test::TempDir dir;
  {
    StoreWriter w(dir.path(), options(), preprocessing());
    write_recording(w, "rec_a", 3, 2500);
    write_recording(w, "rec_b", 2, 1700);
    w.close();
    EXPECT_EQ(w.written().size(), 2u);
  }
  EXPECT_TRUE(fs::exists(dir / "shard-00000.h5"));
  StoreReader r(dir.path());
  ASSERT_EQ(r.recordings().size(), 2u);
  const RecordingEntry& a = r.recordings()[0];
  EXPECT_EQ(a.recording_id, "rec_a");
  EXPECT_EQ(a.shard, "shard-00000.h5");
  EXPECT_EQ(a.subject, "sub01");
  EXPECT_EQ(a.source_path, "site/rec_a.edf");
  EXPECT_EQ(a.n_channels, 3);
  EXPECT_EQ(a.n_samples, 2500);
  EXPECT_DOUBLE_EQ(a.duration_s, 12.5);
  EXPECT_EQ(a.n_windows, 3);
  EXPECT_EQ(a.n_seizure_windows, 1);
  EXPECT_EQ(a.n_rejected_windows, 1);  // max 150 uV >= reject_abs_uv 100
  EXPECT_EQ(a.channels, "CH0 CH1 CH2");
  EXPECT_EQ(a.window_labels, "background=2;seizure=1");
  EXPECT_EQ(a.config_hash.size(), 64u);
  ASSERT_EQ(r.labels().size(), 2u);
  EXPECT_EQ(r.labels()[0].name, "background");
  EXPECT_FALSE(r.labels()[0].seizure);
  EXPECT_EQ(r.labels()[1].name, "seizure");
  EXPECT_TRUE(r.labels()[1].seizure);

  // Values are stored exactly (float32), across chunk and block boundaries.
  const auto x = r.read_window(0, 590, 25, /*normalised=*/false);
  ASSERT_EQ(x.size(), 3u * 25u);
  for (int c = 0; c < 3; ++c) {
    for (int j = 0; j < 25; ++j) EXPECT_EQ(x[c * 25 + j], value(c, 590 + j)) << c << " " << j;
  }
  const auto tail = r.read_window(1, 1690, 10, false);
  EXPECT_EQ(tail[19], value(1, 1699));

  const auto d = r.details(0);
  EXPECT_THAT(d->channels, ElementsAre("CH0", "CH1", "CH2"));
  EXPECT_THAT(d->channel_vocab_index, ElementsAre(1, 2, 3));
  ASSERT_EQ(d->windows.size(), 3u);
  EXPECT_EQ(d->windows[1].start_sample, 800);
  EXPECT_EQ(d->windows[1].label, 1);
  EXPECT_TRUE(d->windows[1].seizure);
  EXPECT_TRUE(d->windows[0].reject);
  EXPECT_FLOAT_EQ(d->windows[0].max_abs_uv, 150.0f);
  ASSERT_EQ(d->events.size(), 2u);
  EXPECT_EQ(d->events[0].label, "seizure");
  EXPECT_EQ(d->events[0].source, "seizures.csv:2");
  EXPECT_DOUBLE_EQ(d->events[1].offset_s, 12.5);  // whole-file event stored with the recording's duration
  EXPECT_THAT(d->event_seizure, ElementsAre(1, 0));
  ASSERT_EQ(d->segments.size(), 1u);
  EXPECT_EQ(d->segments[0].n_samples, 2500);
  EXPECT_THAT(d->deviations, ElementsAre(HasSubstr("EDF Annotations")));
  EXPECT_THAT(d->dropped_channels, ElementsAre("ECG EKG"));
  EXPECT_EQ(d->preprocessing.spec.profile, "epilepsyfm");
  EXPECT_THAT(d->preprocessing.spec.notch_hz, ElementsAre(50.0));
  EXPECT_DOUBLE_EQ(d->preprocessing.reject_abs_uv, 100);
  EXPECT_EQ(d->preprocessing.window_length_samples, 800);
  EXPECT_THAT(d->tool_version, HasSubstr("epilepsyfm"));
  EXPECT_EQ(r.config_yaml(), options().config_yaml);

  // normalised=true applies the recorded z-score statistics.
  const auto z = r.read_window(0, 100, 5, /*normalised=*/true);
  for (int c = 0; c < 3; ++c) {
    for (int j = 0; j < 5; ++j) {
      const float expect = static_cast<float>((value(c, 100 + j) - d->mean_uv[c]) / d->std_uv[c]);
      EXPECT_NEAR(z[c * 5 + j], expect, 1e-5) << c;
    }
  }
  EXPECT_THAT([&] { r.read_window(0, 2490, 20, false); },
              ThrowsMessage<ArgumentError>(HasSubstr("recording 'rec_a': samples [2490, 2510) are outside [0, 2500)")));
}

TEST(Store, Float16CompressionAndScaleNormalisation) {
  test::TempDir dir;
  {
    StoreWriter w(dir.path(), options(StoreDtype::float16, /*compression=*/4),
                  preprocessing(config::Normalization::scale));
    write_recording(w, "r16", 4, 1300);
    w.close();
  }
  StoreReader r(dir.path());
  EXPECT_EQ(r.details(0)->dtype, StoreDtype::float16);
  const auto x = r.read_window(0, 0, 1300, false);
  const auto s = r.read_window(0, 0, 1300, true);
  for (int c = 0; c < 4; ++c) {
    for (int64_t t = 0; t < 1300; t += 7) {
      // binary16 keeps 11 significant bits: relative rounding error <= 2^-11.
      const float v = value(c, t);
      EXPECT_NEAR(x[c * 1300 + t], v, std::abs(v) * std::ldexp(1.0, -11) + 1e-6) << c << " " << t;
      EXPECT_FLOAT_EQ(s[c * 1300 + t], x[c * 1300 + t] * 0.01f);
    }
  }
}

/// Windows that start inside, end at and cross the 600-sample chunks, the zero-padded last chunk, and a whole
/// recording.
const std::vector<std::pair<int64_t, int64_t>> kWindows = {{0, 1},       {0, 600},  {590, 25},   {599, 2}, {600, 800},
                                                           {1200, 1300}, {2499, 1}, {1700, 800}, {0, 2500}};

TEST(Store, MappedReadsEqualHdf5ReadsBitForBit) {
  struct Case {
    StoreDtype dtype;
    config::Normalization normalization;
  };
  using config::Normalization;
  for (const Case& k :
       {Case{StoreDtype::float32, Normalization::zscore}, Case{StoreDtype::float32, Normalization::scale},
        Case{StoreDtype::float32, Normalization::none}, Case{StoreDtype::float16, Normalization::zscore},
        Case{StoreDtype::float16, Normalization::none}}) {
    SCOPED_TRACE(fmt::format("{} {}", k.dtype, k.normalization));
    test::TempDir dir;
    {
      StoreWriter w(dir.path(), options(k.dtype), preprocessing(k.normalization));
      write_recording(w, "rec_a", 3, 2500);
      write_recording(w, "rec_b", 23, 2500);
      w.close();
    }
    StoreReader mapped(dir.path());
    StoreReader hdf5(dir.path(), StoreReadOptions{.map_signal = false});
    for (size_t r = 0; r < 2; ++r) {
      EXPECT_TRUE(mapped.signal_mapped(r));
      EXPECT_FALSE(hdf5.signal_mapped(r));
      for (const auto& [start, n] : kWindows) {
        for (bool normalised : {false, true}) {
          const auto a = mapped.read_window(r, start, n, normalised);
          const auto b = hdf5.read_window(r, start, n, normalised);
          ASSERT_EQ(a.size(), b.size());
          EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0)
              << "recording " << r << " [" << start << ", " << start + n << ") normalised " << normalised;
        }
      }
    }
    // And the values are the stored ones (float32 exactly).
    if (k.dtype == StoreDtype::float32) {
      const auto x = mapped.read_window(1, 1199, 3, false);
      EXPECT_EQ(x[22 * 3 + 1], value(22, 1200));
    }
  }
}

TEST(Store, CompressedSignalsAreReadThroughHdf5) {
  test::TempDir dir;
  {
    StoreWriter w(dir.path(), options(StoreDtype::float32, /*compression=*/1), preprocessing());
    write_recording(w, "rec_a", 3, 2500);
    w.close();
  }
  StoreReader r(dir.path());
  EXPECT_FALSE(r.signal_mapped(0));
  EXPECT_EQ(r.read_window(0, 590, 25, false)[2 * 25 + 24], value(2, 614));
  EXPECT_THAT([&] { r.signal_mapped(1); },
              ThrowsMessage<ArgumentError>(HasSubstr("recording index 1 is out of range (the store has 1)")));
}

TEST(Store, ParallelMappedReadsEqualSerialReads) {
  test::TempDir dir;
  {
    StoreWriter w(dir.path(), options(), preprocessing());
    for (int i = 0; i < 4; ++i) write_recording(w, "rec_" + std::to_string(i), 5, 3000);
    w.close();
  }
  StoreReader r(dir.path());
  std::mt19937_64 rng(7);
  std::vector<std::pair<size_t, int64_t>> windows;
  for (int i = 0; i < 400; ++i) windows.emplace_back(rng() % 4, static_cast<int64_t>(rng() % 2201));
  std::vector<std::vector<float>> serial;
  for (const auto& [rec, start] : windows) serial.push_back(r.read_window(rec, start, 800, true));
  StoreReader fresh(dir.path());  // plans are built concurrently too
  std::vector<std::vector<float>> parallel(windows.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < windows.size(); i += 4) {
        parallel[i] = fresh.read_window(windows[i].first, windows[i].second, 800, true);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < windows.size(); ++i) ASSERT_EQ(parallel[i], serial[i]) << "window " << i;
}

TEST(Store, Float16OverflowIsAClearError) {
  test::TempDir dir;
  StoreWriter w(dir.path(), options(StoreDtype::float16), preprocessing());
  auto rec = w.begin_recording(header("big", 1, 600));
  Eigen::MatrixXf block = Eigen::MatrixXf::Constant(1, 600, 1e6f);
  EXPECT_THAT([&] { rec->append(block); },
              ThrowsMessage<DataError>(HasSubstr("channel 'CH0' has 1000000 uV at sample 0, outside the float16 "
                                                 "range")));
}

TEST(Store, FailedRecordingIsDeletedAndNeverListed) {
  test::TempDir dir;
  {
    StoreWriter w(dir.path(), options(), preprocessing());
    write_recording(w, "good", 2, 1000);
    try {
      auto rec = w.begin_recording(header("bad", 2, 1000));
      rec->append(Eigen::MatrixXf::Zero(2, 700));
      throw DataError("simulated decoding failure mid-write");
    } catch (const DataError&) {
    }
    EXPECT_FALSE(w.has_recording_id("bad"));
    w.close();
  }
  StoreReader r(dir.path());
  ASSERT_EQ(r.recordings().size(), 1u);
  EXPECT_EQ(r.recordings()[0].recording_id, "good");
  EXPECT_FALSE(r.find("bad").has_value());
}

TEST(Store, CrashBeforeRenameLeavesNothingListedAndIsDiscarded) {
  test::TempDir dir;
  {
    StoreWriter w(dir.path(), options(), preprocessing());
    write_recording(w, "first", 2, 900);
    w.close();
  }
  // A child process writes a recording completely and dies before its shard is renamed (no destructors run).
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      auto* w = new StoreWriter(dir.path(), options(), preprocessing());
      write_recording(*w, "lost", 2, 900);
    } catch (...) {
      _exit(3);
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(fs::exists(dir / ".shard-00001.h5.partial"));
  {
    StoreReader r(dir.path());
    ASSERT_EQ(r.recordings().size(), 1u);  // the crashed run's recording reads as absent, not as complete
    EXPECT_EQ(r.recordings()[0].recording_id, "first");
  }
  {
    StoreWriter w(dir.path(), options(), preprocessing());  // discards the partial shard, appends a new one
    EXPECT_FALSE(fs::exists(dir / ".shard-00001.h5.partial"));
    EXPECT_TRUE(w.find_source("site/first.edf").has_value());
    EXPECT_FALSE(w.find_source("site/lost.edf").has_value());
    write_recording(w, "lost", 2, 900);
    w.close();
  }
  StoreReader r(dir.path());
  ASSERT_EQ(r.recordings().size(), 2u);
  EXPECT_EQ(r.recordings()[1].recording_id, "lost");
  EXPECT_EQ(r.recordings()[1].shard, "shard-00001.h5");
}

TEST(Store, CompletedShardMissingFromTheManifestIsAdopted) {
  test::TempDir dir;
  {
    StoreWriter w(dir.path(), options(), preprocessing());
    write_recording(w, "a", 2, 1700);  // windows: background, seizure
    w.close();
  }
  // A crash between the shard's rename and the manifest update: manifest and labels without it.
  atomic_write_file(dir / "manifest.csv", manifest_csv({}));
  atomic_write_file(dir / "labels.csv", "id,label,seizure\n");
  {
    StoreWriter w(dir.path(), options(), preprocessing());
    EXPECT_TRUE(w.has_recording_id("a"));
    w.close();
  }
  StoreReader r(dir.path());
  ASSERT_EQ(r.recordings().size(), 1u);
  EXPECT_EQ(r.recordings()[0].recording_id, "a");
  ASSERT_EQ(r.labels().size(), 2u);
  EXPECT_EQ(r.labels()[1].name, "seizure");
}

TEST(Store, ShardsRollOverAtTheSizeLimit) {
  test::TempDir dir;
  StoreOptions o = options();
  o.shard_gb = 1e-6;  // 1000 bytes: every recording fills a shard
  {
    StoreWriter w(dir.path(), o, preprocessing());
    write_recording(w, "a", 2, 900);
    write_recording(w, "b", 2, 900);
    write_recording(w, "c", 2, 900);
    w.close();
  }
  StoreReader r(dir.path());
  ASSERT_EQ(r.recordings().size(), 3u);
  EXPECT_EQ(r.recordings()[0].shard, "shard-00000.h5");
  EXPECT_EQ(r.recordings()[1].shard, "shard-00001.h5");
  EXPECT_EQ(r.recordings()[2].shard, "shard-00002.h5");
  EXPECT_EQ(r.read_window(2, 899, 1, false)[1], value(1, 899));
}

// Parallel ingest finishes files in a thread-dependent order; the store's recording order must not depend on it
// (training data order, window indices and so results follow it).
TEST(Store, RecordingsAreListedInIdOrderWhateverOrderTheyWereWritten) {
  test::TempDir dir;
  {
    StoreWriter w(dir.path(), options(), preprocessing());
    write_recording(w, "sub-02_rec", 2, 300);
    write_recording(w, "sub-01_rec-02", 2, 300);
    write_recording(w, "sub-01_rec-01", 2, 300);
    w.close();
  }
  // The file itself lists the rows in id order (read_manifest would sort them anyway, so read its lines).
  std::vector<std::string> lines;
  {
    std::ifstream in(dir / "manifest.csv");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_THAT(lines[1], ::testing::StartsWith("sub-01_rec-01,"));
  EXPECT_THAT(lines[2], ::testing::StartsWith("sub-01_rec-02,"));
  EXPECT_THAT(lines[3], ::testing::StartsWith("sub-02_rec,"));
  // A manifest in another order (as stores written before this rule have) is read in id order too.
  const std::string text = lines[0] + "\n" + lines[3] + "\n" + lines[1] + "\n" + lines[2] + "\n";
  atomic_write_file(dir / "manifest.csv", text);
  StoreReader r(dir.path());
  ASSERT_EQ(r.recordings().size(), 3u);
  EXPECT_EQ(r.recordings()[0].recording_id, "sub-01_rec-01");
  EXPECT_EQ(r.recordings()[1].recording_id, "sub-01_rec-02");
  EXPECT_EQ(r.recordings()[2].recording_id, "sub-02_rec");
  EXPECT_EQ(r.find("sub-02_rec"), std::optional<size_t>(2));
  EXPECT_EQ(r.read_window(0, 299, 1, false)[1], value(1, 299));
}

TEST(Store, OtherSettingsDuplicatesAndConcurrentWritersAreRefused) {
  test::TempDir dir;
  {
    StoreWriter w(dir.path(), options(), preprocessing());
    write_recording(w, "a", 2, 900);
    EXPECT_THAT([&] { w.begin_recording(header("a", 2, 900)); },
                ThrowsMessage<ArgumentError>(HasSubstr("recording id 'a' is already in the store")));
    EXPECT_THAT([&] { w.begin_recording(header("a/b", 2, 900)); },
                ThrowsMessage<ArgumentError>(HasSubstr("recording id 'a/b' may only contain")));
    EXPECT_THAT([&] { StoreWriter second(dir.path(), options(), preprocessing()); },
                ThrowsMessage<ConfigError>(HasSubstr("another process is writing to the store")));
    w.close();
  }
  StoreOptions other = options();
  other.config_yaml = "config_version: 1\nwindows: {length_s: 2}\n";
  EXPECT_THAT(
      [&] { StoreWriter w(dir.path(), other, preprocessing()); },
      ThrowsMessage<ConfigError>(HasSubstr("was written with other ingest settings (line 2: store has "
                                           "'windows: {length_s: 4}', this run has 'windows: {length_s: 2}')")));
  EXPECT_THAT([&] { StoreReader r(dir / "nope"); }, ThrowsMessage<DataError>(HasSubstr("manifest.csv is missing")));
}

}  // namespace
}  // namespace efm::io
