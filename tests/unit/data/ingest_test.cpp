#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/sha256.h"
#include "epilepsyfm/data/ingest.h"
#include "epilepsyfm/data/store_source.h"
#include "epilepsyfm/io/store.h"
#include "support/test_support.h"
#include "unit/data/fake_source.h"

using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::data {
namespace {
namespace fs = std::filesystem;
using fake::FakeSource;
using fake::FakeSpec;
using fake::kPi;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

config::IngestConfig base_config(const fs::path& input) {
  config::IngestConfig cfg;
  cfg.input.paths = {input.string()};
  cfg.input.extensions = {".edf"};
  cfg.workers = 2;
  return cfg;
}

IngestHooks fake_hooks(std::map<std::string, FakeSpec> specs) {
  IngestHooks h;
  h.show_progress = false;
  h.open = [specs](const fs::path& p, const io::ReaderOptions&) -> std::unique_ptr<io::SignalSource> {
    const auto it = specs.find(p.filename().string());
    if (it == specs.end()) throw DataError(p.string() + ": no fake for this file");
    return std::make_unique<FakeSource>(p, it->second);
  };
  return h;
}

// ---- channel plans ---------------------------------------------------------------------------------------------

io::RecordingInfo info_with(const std::vector<std::string>& labels, std::vector<double> rates = {}) {
  FakeSpec s;
  s.labels = labels;
  s.rates = std::move(rates);
  return FakeSource("x.edf", s).info();
}

TEST(ChannelPlan, ReferentialDropsNonEegAndOtherRates) {
  config::IngestChannelsConfig c;
  const auto info =
      info_with({"EEG Fp1-REF", "EEG T3-REF", "ECG EKG-REF", "EEG C3-REF", "EEG Photic-REF", "EEG O1-REF"},
                {256, 256, 256, 512, 256, 256});
  const ChannelPlan p = plan_channels(info, c);
  EXPECT_THAT(p.names, ElementsAre("FP1", "T7", "O1"));
  EXPECT_EQ(p.inputs, (std::vector<int>{0, 1, 5}));
  EXPECT_TRUE(p.identity);
  EXPECT_DOUBLE_EQ(p.sfreq_hz, 256);
  EXPECT_THAT(p.dropped, Contains(HasSubstr("ECG EKG-REF (not EEG)")));
  EXPECT_THAT(p.dropped, Contains(HasSubstr("EEG C3-REF (sampled at 512 Hz, not 256 Hz)")));
  EXPECT_THAT(p.warnings, Contains(HasSubstr("1 channel(s) at other rates than the 256 Hz")));
  EXPECT_GT(p.vocab_index[0], 0);
}

TEST(ChannelPlan, PickOrderMissingAndUnknownChannels) {
  config::IngestChannelsConfig c;
  c.pick = {"O1", "FP1", "CZ"};
  const auto info = info_with({"EEG Fp1-REF", "EEG O1-REF", "EEG ch22"});
  EXPECT_THAT([&] { plan_channels(info, c); },
              ThrowsMessage<DataError>(HasSubstr("x.edf: picked channel(s) CZ missing")));
  c.missing = config::MissingChannels::skip;
  ChannelPlan p = plan_channels(info, c);
  EXPECT_THAT(p.names, ElementsAre("O1", "FP1"));
  EXPECT_FALSE(p.identity);
  EXPECT_FLOAT_EQ(p.weights(0, 1), 1.0f);  // output O1 reads input 1 (O1)
  EXPECT_THAT(p.warnings, Contains(HasSubstr("CZ")));
  c.pick.clear();
  c.keep_unknown = true;
  p = plan_channels(info, c);
  EXPECT_THAT(p.names, ElementsAre("FP1", "O1", "CH22"));
  EXPECT_EQ(p.vocab_index[2], 0);  // UNK
  c.keep_unknown = false;
  EXPECT_THAT(
      [&] {
        plan_channels(info_with({"EEG ch22", "ECG"}), c);
      },
      ThrowsMessage<DataError>(HasSubstr("no EEG channels to keep")));
}

TEST(ChannelPlan, TcpFromReferentialAndAsRecorded) {
  config::IngestChannelsConfig c;
  c.montage = config::MontageKind::tcp16;
  std::vector<std::string> ref;
  for (const char* e :
       {"FP1", "F7", "T3", "T5", "O1", "FP2", "F8", "T4", "T6", "O2", "F3", "C3", "P3", "F4", "C4", "P4"}) {
    ref.push_back(std::string("EEG ") + e + "-REF");
  }
  const ChannelPlan p = plan_channels(info_with(ref), c);
  ASSERT_EQ(p.names.size(), 16u);
  EXPECT_EQ(p.names[0], "FP1-F7");
  EXPECT_EQ(p.names[1], "F7-T7");
  // FP1-F7 = FP1 - F7
  EXPECT_FLOAT_EQ(p.weights(0, 0), 1.0f);
  EXPECT_FLOAT_EQ(p.weights(0, 1), -1.0f);
  // A CHB-MIT style file records the derivations: taken as they are.
  std::vector<std::string> bip;
  for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{{"FP1", "F7"},
                                                                             {"F7", "T7"},
                                                                             {"T7", "P7"},
                                                                             {"P7", "O1"},
                                                                             {"FP2", "F8"},
                                                                             {"F8", "T8"},
                                                                             {"T8", "P8"},
                                                                             {"P8", "O2"},
                                                                             {"FP1", "F3"},
                                                                             {"F3", "C3"},
                                                                             {"C3", "P3"},
                                                                             {"P3", "O1"},
                                                                             {"FP2", "F4"},
                                                                             {"F4", "C4"},
                                                                             {"C4", "P4"},
                                                                             {"P4", "O2"}}) {
    bip.push_back(a + "-" + b);
  }
  bip.push_back("T8-P8");  // CHB-MIT repeats T8-P8
  const ChannelPlan q = plan_channels(info_with(bip), c);
  ASSERT_EQ(q.names.size(), 16u);
  EXPECT_EQ(q.inputs.size(), 16u);
  EXPECT_TRUE(q.weights.isIdentity());
  c.montage = config::MontageKind::tcp18;
  EXPECT_THAT([&] { plan_channels(info_with(bip), c); }, ThrowsMessage<DataError>(HasSubstr("tcp18 channel(s) FZ-CZ")));
}

// ---- inputs ----------------------------------------------------------------------------------------------------

TEST(Inputs, DirectoriesGlobsExcludesAndIds) {
  test::TempDir dir;
  write(dir / "a/sub-01/ses-02/eeg/r1_eeg.edf", "x");
  write(dir / "a/chb05/chb05_06.EDF", "x");
  write(dir / "a/notes.txt", "x");
  write(dir / "a/.hidden/h.edf", "x");
  write(dir / "b/x y.edf", "x");
  write(dir / "b/bv.vhdr", "x");
  write(dir / "b/bv.eeg", "x");
  config::IngestInputConfig in;
  in.paths = {(dir / "a").string(), (dir / "b" / "*.*").string()};
  in.extensions = {".edf", ".vhdr", ".eeg"};
  auto files = discover_inputs(in);
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(files[0].relative, "chb05/chb05_06.EDF");
  EXPECT_EQ(files[1].relative, "sub-01/ses-02/eeg/r1_eeg.edf");
  EXPECT_EQ(files[2].relative, "bv.vhdr");  // bv.eeg belongs to it
  EXPECT_EQ(files[3].relative, "x y.edf");
  EXPECT_EQ(recording_id_for(files[0].relative), "chb05__chb05_06");
  EXPECT_EQ(recording_id_for(files[3].relative), "x_y");
  in.exclude = {"chb*/**"};
  EXPECT_EQ(discover_inputs(in).size(), 3u);
  write(dir / "c/x y.edf", "x");
  in.paths = {(dir / "b").string(), (dir / "c").string()};
  EXPECT_THAT([&] { discover_inputs(in); },
              ThrowsMessage<ConfigError>(HasSubstr("have the same path relative to their input roots ('x y.edf')")));
  in.paths = {(dir / "nope").string()};
  EXPECT_THAT(
      [&] { discover_inputs(in); },
      ThrowsMessage<ConfigError>(HasSubstr("ingest.input.paths[0]: '" + (dir / "nope").string() + "' does not exist")));

  config::IngestSubjectsConfig sc;
  EXPECT_EQ(SubjectResolver(sc).resolve(files[1]), (std::pair<std::string, std::string>{"sub-01", "ses-02"}));
  EXPECT_EQ(SubjectResolver(sc).resolve(files[0]).first, "chb05");
  sc.from = config::SubjectSource::regex;
  sc.regex = "(chb\\d+)";
  EXPECT_EQ(SubjectResolver(sc).resolve(files[0]).first, "chb05");
  EXPECT_THAT([&] { SubjectResolver(sc).resolve(files[3]); },
              ThrowsMessage<DataError>(HasSubstr("x y.edf: subjects.regex '(chb\\d+)' does not match the path")));
  write(dir / "map.csv", "file,subject,session\nchb05_06.EDF,P7,night1\n");
  sc.from = config::SubjectSource::mapping;
  sc.mapping = (dir / "map.csv").string();
  EXPECT_EQ(SubjectResolver(sc).resolve(files[0]), (std::pair<std::string, std::string>{"P7", "night1"}));
  EXPECT_THAT([&] { SubjectResolver(sc).resolve(files[3]); },
              ThrowsMessage<DataError>(HasSubstr("no row of the subject mapping")));
}

TEST(IngestConfig, ResolvesProfileEnvironmentAndStoreIdentity) {
  config::IngestConfig cfg;
  cfg.preprocess.profile = "cbramod";
  cfg.preprocess.notch_hz = std::vector<double>{50};
  ::setenv("EFM_TEST_DATA_DIR", "/data/x", 1);
  cfg.input.paths = {"${EFM_TEST_DATA_DIR}/edf", "${EFM_UNSET_VAR_XYZ:-/fallback}/a", "$EFM_TEST_DATA_DIR"};
  resolve_ingest_config(cfg);
  EXPECT_DOUBLE_EQ(*cfg.preprocess.l_freq_hz, 0.3);
  EXPECT_DOUBLE_EQ(*cfg.preprocess.h_freq_hz, 75);
  EXPECT_EQ(*cfg.preprocess.notch_hz, std::vector<double>{50});  // the override wins
  EXPECT_DOUBLE_EQ(*cfg.preprocess.reject_abs_uv, 100);
  EXPECT_EQ(*cfg.preprocess.normalization, config::Normalization::scale);
  EXPECT_EQ(cfg.input.paths, (std::vector<std::string>{"/data/x/edf", "/fallback/a", "/data/x"}));
  config::IngestConfig other = cfg;
  other.input.paths = {"/elsewhere"};
  other.workers = 7;
  EXPECT_EQ(store_config_yaml(cfg), store_config_yaml(other));  // where files come from does not change content
  other.windows.length_s = 2;
  EXPECT_NE(store_config_yaml(cfg), store_config_yaml(other));
  config::IngestConfig bad;
  bad.input.paths = {"${EFM_UNSET_VAR_XYZ}/a"};
  EXPECT_THAT([&] { resolve_ingest_config(bad); },
              ThrowsMessage<ConfigError>(HasSubstr("ingest.input.paths[0]: environment variable EFM_UNSET_VAR_XYZ is "
                                                   "not set")));
  config::IngestConfig odd;
  odd.windows.length_s = 0.3333;
  EXPECT_THAT([&] { resolve_ingest_config(odd); },
              ThrowsMessage<ConfigError>(HasSubstr("ingest.windows.length_s: 0.3333 s at 200 Hz is 66.66")));
}

TEST(IngestConfig, ShippedConfigsLoadResolveAndRoundTrip) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(test::source_dir() / "configs/ingest")) {
    if (e.path().extension() != ".yaml") continue;
    ++n;
    SCOPED_TRACE(e.path().filename().string());
    auto exp = config::load<config::IngestExperiment>({{e.path().string()}, {}});
    resolve_ingest_config(exp.ingest);
    EXPECT_TRUE(exp.ingest.preprocess.l_freq_hz.has_value());
    const auto again = config::parse_yaml<config::IngestExperiment>(config::to_yaml(exp), "dump");
    EXPECT_TRUE(config::equal(again, exp));
  }
  EXPECT_EQ(n, 6);
  const auto chb = config::load<config::IngestExperiment>(
      {{(test::source_dir() / "configs/ingest/chbmit.yaml").string()}, {"ingest.windows.length_s=2"}});
  EXPECT_EQ(chb.ingest.channels.montage, config::MontageKind::tcp18);
  EXPECT_EQ(*chb.ingest.preprocess.notch_hz, std::vector<double>{60});
  EXPECT_DOUBLE_EQ(chb.ingest.windows.length_s, 2);
  EXPECT_THAT([] { config::parse_yaml<config::IngestExperiment>("ingest: {labels: {min_overlap: 1.5}}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("ingest.labels.min_overlap: must be in [0.0, 1.0], got 1.5")));
  EXPECT_THAT([] { config::parse_yaml<config::IngestExperiment>("ingest: {labels: {sources: [{format: csv}]}}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("ingest.labels.sources[0].paths: at least one label file")));
  EXPECT_THAT([] { config::parse_yaml<config::IngestExperiment>("ingest: {channels: {montage: tcp20}}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("ingest.channels.montage: allowed values are 'referential'")));
  // A montage kind that exists (signal/montage.h) but that the config does not take: its Choices.
  EXPECT_THAT([] { config::parse_yaml<config::IngestExperiment>("ingest: {channels: {montage: bipolar}}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("ingest.channels.montage: allowed values are 'referential', "
                                                   "'average', 'tcp16', 'tcp18', 'tcp22', but got 'bipolar'")));
  EXPECT_THAT([] { config::parse_yaml<config::IngestExperiment>("ingest: {preprocess: {normalization: robust}}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("ingest.preprocess.normalization: allowed values are 'zscore', "
                                                   "'scale', 'none', but got 'robust'")));
  EXPECT_THAT([] { config::parse_yaml<config::IngestExperiment>("ingest: {store: {dtype: float64}}\n"); },
              ThrowsMessage<ConfigError>(
                  HasSubstr("ingest.store.dtype: allowed values are 'float32', 'float16', but got 'float64'")));
  EXPECT_THAT([] { config::parse_yaml<config::IngestExperiment>("ingest: {labels: {seizure_regex: '(sz'}}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("ingest.labels.seizure_regex: invalid regular expression")));
}

// ---- end to end with fake recordings ---------------------------------------------------------------------------

TEST(Ingest, LabelsStatisticsProvenanceAndRerun) {
  test::TempDir dir;
  write(dir / "in/sub-01/rec1.edf", "fake bytes 1");
  write(dir / "in/sub-02/rec2.edf", "fake bytes 2");
  write(dir / "labels.csv", "file,onset_s,offset_s,label\nrec1.edf,100,160,seizure\n");
  config::IngestConfig cfg = base_config(dir / "in");
  cfg.labels.sources.push_back({"csv", {(dir / "labels.csv").string()}});
  resolve_ingest_config(cfg);
  FakeSpec two;
  two.seconds = 40;
  two.sfreq = 173.61;  // Bonn's rate: a non-integer resampling ratio
  const auto hooks = fake_hooks({{"rec1.edf", FakeSpec{}}, {"rec2.edf", two}});

  const IngestSummary s = run_ingest(cfg, dir / "store", hooks);
  ASSERT_EQ(s.n_ok, 2) << format_summary(s);
  EXPECT_EQ(s.n_failed, 0);
  EXPECT_FALSE(s.any_failed());
  EXPECT_EQ(s.files[0].windows, 75);
  EXPECT_EQ(s.files[0].seizure_windows, 15);

  const io::StoreReader r(dir / "store");
  ASSERT_EQ(r.recordings().size(), 2u);
  const auto& e = r.recordings()[*r.find("sub-01__rec1")];
  EXPECT_EQ(e.subject, "sub-01");
  EXPECT_EQ(e.source_path, "sub-01/rec1.edf");
  EXPECT_EQ(e.source_sha256, sha256_file(dir / "in/sub-01/rec1.edf"));
  EXPECT_EQ(e.reader, "fake");
  EXPECT_EQ(e.n_samples, 300 * 200);
  EXPECT_EQ(e.channels, "FP1 F7");
  const auto d = r.details(*r.find("sub-01__rec1"));
  EXPECT_THAT(d->dropped_channels, ElementsAre(HasSubstr("ECG EKG-REF")));
  // Windows inside the 60-s seizure are seizure, the ones around it are not; the EDF+ annotation (8 s artifact)
  // labels the two windows it fully covers.
  ASSERT_EQ(d->windows.size(), 75u);
  for (size_t k = 0; k < d->windows.size(); ++k) EXPECT_EQ(d->windows[k].seizure, k >= 25 && k < 40) << k;
  EXPECT_EQ(r.labels()[static_cast<size_t>(d->windows[5].label)].name, "artifact");
  EXPECT_EQ(r.labels()[static_cast<size_t>(d->windows[7].label)].name, "background");
  ASSERT_EQ(d->events.size(), 2u);
  EXPECT_EQ(d->events[0].label, "artifact");
  EXPECT_EQ(d->events[1].source, "labels.csv:2");
  EXPECT_THAT(d->event_seizure, ElementsAre(0, 1));
  EXPECT_THAT(d->label_sources, ElementsAre("labels.csv", "annotations"));

  // The stored statistics are those of the stored signal (mean/std over all samples, population std).
  const auto x = r.read_window(*r.find("sub-01__rec1"), 0, e.n_samples, false);
  for (int c = 0; c < 2; ++c) {
    double sum = 0, sum2 = 0;
    for (int64_t i = 0; i < e.n_samples; ++i) {
      const double v = x[static_cast<size_t>(c * e.n_samples + i)];
      sum += v;
      sum2 += v * v;
    }
    const double mean = sum / e.n_samples, sd = std::sqrt(sum2 / e.n_samples - mean * mean);
    EXPECT_NEAR(d->mean_uv[c], mean, 1e-3);
    EXPECT_NEAR(d->std_uv[c], sd, 1e-4 * sd);
    // Both sines lie in the pass band: the output keeps their power (50 and 20k uV amplitude) within 1%.
    const double expect = std::sqrt(50.0 * 50.0 / 2 + (20.0 * c) * (20.0 * c) / 2);
    EXPECT_NEAR(sd, expect, 0.01 * expect) << c;
  }
  // The store as the data layer's WindowSource: spans = the window table, reads = normalised windows.
  const StoreWindowSource src(dir / "store");
  ASSERT_EQ(src.recordings().size(), 2u);
  const auto& ri = src.recordings()[*r.find("sub-01__rec1")];
  EXPECT_EQ(ri.channel_names, (std::vector<std::string>{"FP1", "F7"}));
  EXPECT_EQ(ri.region_ids, (std::vector<int64_t>{0, 0}));  // both left frontal
  EXPECT_EQ(ri.channel_ids[0], d->channel_vocab_index[0]);
  ASSERT_EQ(ri.spans.size(), 75u);
  EXPECT_EQ(src.label_names()[static_cast<size_t>(ri.spans[30].label)], "seizure");
  EXPECT_EQ(ri.spans[30].n_samples, 800);
  std::vector<float> win(2 * 800);
  src.read(*r.find("sub-01__rec1"), 800 * 30, 800, win.data());
  EXPECT_EQ(win, r.read_window(*r.find("sub-01__rec1"), 800 * 30, 800, /*normalised=*/true));
  EXPECT_THAT([&] { src.read(*r.find("sub-01__rec1"), e.n_samples - 10, 800, win.data()); },
              ThrowsMessage<DataError>(HasSubstr("recording 'sub-01__rec1'")));

  const auto& e2 = r.recordings()[*r.find("sub-02__rec2")];
  EXPECT_NEAR(e2.duration_s, 40.0, 1.0 / 200);

  // Re-run: both skipped. A changed source file is refused, not silently re-ingested.
  const IngestSummary again = run_ingest(cfg, dir / "store", hooks);
  EXPECT_EQ(again.n_skipped, 2);
  EXPECT_EQ(again.n_ok, 0);
  write(dir / "in/sub-02/rec2.edf", "other bytes");
  const IngestSummary changed = run_ingest(cfg, dir / "store", hooks);
  EXPECT_EQ(changed.n_failed, 1);
  EXPECT_THAT(changed.files[1].reason, HasSubstr("sub-02/rec2.edf: the file changed since it was ingested"));
  // Another configuration is refused for the whole store.
  config::IngestConfig other = cfg;
  other.windows.length_s = 2;
  other.windows.stride_s = 2;
  EXPECT_THAT([&] { run_ingest(other, dir / "store", hooks); },
              ThrowsMessage<ConfigError>(HasSubstr("was written with other ingest settings")));
}

TEST(Ingest, DiscontinuousRecordingKeepsItsSegmentsApart) {
  test::TempDir dir;
  write(dir / "in/d.edf", "edf+d");
  write(dir / "labels.csv", "file,onset_s,offset_s,label\nd.edf,150,160,seizure\n");
  config::IngestConfig cfg = base_config(dir / "in");
  cfg.labels.sources.push_back({"csv", {(dir / "labels.csv").string()}});
  resolve_ingest_config(cfg);
  FakeSpec spec;
  spec.seconds = 200;
  spec.split_at_s = 100;
  spec.gap_s = 50;  // segment 2 covers 150-250 s of the recording's time line
  const IngestSummary s = run_ingest(cfg, dir / "store", fake_hooks({{"d.edf", spec}}));
  ASSERT_EQ(s.n_ok, 1) << format_summary(s);
  const io::StoreReader r(dir / "store");
  const auto d = r.details(0);
  ASSERT_EQ(d->segments.size(), 2u);
  EXPECT_DOUBLE_EQ(d->segments[1].onset_s, 150.0);
  EXPECT_EQ(d->segments[1].start_sample, 20000);
  EXPECT_EQ(r.recordings()[0].n_samples, 40000);  // the gap is not stored
  ASSERT_EQ(d->windows.size(), 50u);              // 25 per segment, none across the gap
  EXPECT_EQ(d->windows[25].start_sample, 20000);
  for (size_t k = 0; k < d->windows.size(); ++k)
    EXPECT_EQ(d->windows[k].seizure, k >= 25 && k <= 27) << k;  // [158, 162) is half seizure
  // Each segment is filtered on its own (reflection at both of its ends): the pooled statistics describe the
  // stored signal.
  const auto x = r.read_window(0, 0, 40000, false);
  double sum = 0, sum2 = 0;
  for (int64_t i = 0; i < 40000; ++i) {
    sum += x[static_cast<size_t>(i)];
    sum2 += double(x[static_cast<size_t>(i)]) * x[static_cast<size_t>(i)];
  }
  const double mean = sum / 40000, sd = std::sqrt(sum2 / 40000 - mean * mean);
  EXPECT_NEAR(d->mean_uv[0], mean, 1e-3);
  EXPECT_NEAR(d->std_uv[0], sd, 1e-4 * sd);
}

// An error of the store side (it runs on its own thread) fails that file with its message; the next file lands.
TEST(Ingest, StoreWriteErrorsFailTheFile) {
  test::TempDir dir;
  for (const char* n : {"a_loud", "b_quiet"}) write(dir / "in" / (std::string(n) + ".edf"), n);
  config::IngestConfig cfg = base_config(dir / "in");
  cfg.workers = 1;
  cfg.store.dtype = config::StoreDtype::float16;
  resolve_ingest_config(cfg);
  FakeSpec loud, quiet;
  loud.seconds = quiet.seconds = 60;
  loud.gain = 5000.0;  // ~250 mV after filtering: beyond float16's +-65504 uV
  const IngestSummary s = run_ingest(cfg, dir / "store", fake_hooks({{"a_loud.edf", loud}, {"b_quiet.edf", quiet}}));
  EXPECT_EQ(s.n_ok, 1) << format_summary(s);
  ASSERT_EQ(s.files.size(), 2u);
  EXPECT_EQ(s.files[0].status, FileOutcome::Status::failed);
  EXPECT_THAT(s.files[0].reason, AllOf(HasSubstr("a_loud.edf: channel 'FP1' has"),
                                       HasSubstr("outside the float16 range (+-65504); use store.dtype float32")));
  EXPECT_EQ(s.files[1].status, FileOutcome::Status::ok);
}

TEST(Ingest, BadFilesFailWithReasonsAndOthersLand) {
  test::TempDir dir;
  for (const char* n : {"good", "truncated", "nan", "empty", "nolabels"})
    write(dir / "in" / (std::string(n) + ".edf"), n);
  write(dir / "in/site/bad_labels.csv", "name,value\n1,2\n");
  write(dir / "in/site/nolabels.edf", "x");
  config::IngestConfig cfg = base_config(dir / "in");
  cfg.labels.sources.push_back({"auto", {(dir / "in/site/bad_labels.csv").string()}});
  resolve_ingest_config(cfg);
  FakeSpec good, trunc, nan, empty;
  good.seconds = trunc.seconds = nan.seconds = 120;
  trunc.throw_after_sample = 250 * 50;
  nan.nan_at_100s = true;
  empty.seconds = 0;
  const auto hooks = fake_hooks(
      {{"good.edf", good}, {"truncated.edf", trunc}, {"nan.edf", nan}, {"empty.edf", empty}, {"nolabels.edf", good}});
  const IngestSummary s = run_ingest(cfg, dir / "store", hooks);
  EXPECT_EQ(s.n_ok, 2) << format_summary(s);  // good.edf and in/nolabels.edf (outside the failed label file's folder)
  EXPECT_EQ(s.n_failed, 4);
  EXPECT_EQ(s.n_label_files_failed, 1);
  EXPECT_TRUE(s.any_failed());
  std::map<std::string, std::string> reason;
  for (const auto& f : s.files) reason[f.source] = f.reason;
  EXPECT_THAT(reason["truncated.edf"], HasSubstr("simulated truncation: sample 12501 is missing"));
  EXPECT_THAT(reason["nan.edf"], HasSubstr("nan.edf: channel 'EEG Fp1-REF' has a non-finite value (nan) at 100.000 s"));
  EXPECT_THAT(reason["empty.edf"], HasSubstr("empty.edf: the recording is empty"));
  EXPECT_THAT(reason["site/nolabels.edf"], HasSubstr("a label file for it could not be read"));
  EXPECT_THAT(reason["site/nolabels.edf"], HasSubstr("unknown label file format"));
  const std::string text = format_summary(s);
  EXPECT_THAT(text, HasSubstr("2 ok, 0 skipped, 4 failed"));
  EXPECT_THAT(text, HasSubstr("failed: " + (dir / "in/site/bad_labels.csv").string()));
  const io::StoreReader r(dir / "store");
  ASSERT_EQ(r.recordings().size(), 2u);  // the failed recordings are not in the store
  EXPECT_TRUE(r.find("good").has_value());
  EXPECT_FALSE(r.find("truncated").has_value());
}

// ---- privacy (real EDF reader) ---------------------------------------------------------------------------------

/// A plain EDF with two 200 Hz EEG signals (10 s) whose header identifies a patient.
void write_identifying_edf(const fs::path& path) {
  fs::create_directories(path.parent_path());
  const int ns = 2, spr = 200, nrec = 10;
  auto field = [](const std::string& s, size_t w) {
    std::string f = s.substr(0, w);
    f.resize(w, ' ');
    return f;
  };
  std::string h;
  h += field("0", 8);
  h += field("Jane Doe 1970 F 02-MAR-1970 MRN-445566", 80);
  h += field("Startdate 05-MAY-2020 St_Jane_Hospital Dr_Doe", 80);
  h += field("05.05.20", 8) + field("10.11.12", 8);
  h += field(std::to_string(256 * (ns + 1)), 8);
  h += field("", 44);
  h += field(std::to_string(nrec), 8) + field("1", 8) + field(std::to_string(ns), 4);
  for (const char* l : {"EEG Fp1-REF", "EEG Fp2-REF"}) h += field(l, 16);
  for (int i = 0; i < ns; ++i) h += field("AgAgCl Jane", 80);
  for (int i = 0; i < ns; ++i) h += field("uV", 8);
  for (int i = 0; i < ns; ++i) h += field("-3276.8", 8);
  for (int i = 0; i < ns; ++i) h += field("3276.7", 8);
  for (int i = 0; i < ns; ++i) h += field("-32768", 8);
  for (int i = 0; i < ns; ++i) h += field("32767", 8);
  for (int i = 0; i < ns; ++i) h += field("HP:0.1Hz", 80);
  for (int i = 0; i < ns; ++i) h += field(std::to_string(spr), 8);
  for (int i = 0; i < ns; ++i) h += field("", 32);
  std::ofstream out(path, std::ios::binary);
  out << h;
  for (int r = 0; r < nrec; ++r) {
    for (int s = 0; s < ns; ++s) {
      for (int k = 0; k < spr; ++k) {
        const auto v = static_cast<int16_t>(std::lround(500 * std::sin(2 * kPi * 10 * (r + k / 200.0) + s)));
        out.put(static_cast<char>(v & 0xff));
        out.put(static_cast<char>((v >> 8) & 0xff));
      }
    }
  }
}

TEST(Ingest, NothingIdentifyingFromTheHeaderReachesStoreManifestOrLog) {
  test::TempDir dir;
  write_identifying_edf(dir / "in/p01/rec.edf");
  config::IngestConfig cfg = base_config(dir / "in");
  cfg.windows.length_s = cfg.windows.stride_s = 2;
  resolve_ingest_config(cfg);
  log::add_file_sink(dir / "ingest.log");
  const auto old_level = log::level();
  log::set_level(log::Level::trace);
  IngestHooks hooks;
  hooks.show_progress = false;
  const IngestSummary s = run_ingest(cfg, dir / "store", hooks);
  log::set_level(old_level);
  log::remove_file_sinks();
  ASSERT_EQ(s.n_ok, 1) << format_summary(s);
  const io::StoreReader r(dir / "store");
  ASSERT_EQ(r.recordings().size(), 1u);
  EXPECT_EQ(r.recordings()[0].subject, "p01");
  std::vector<fs::path> files{dir / "ingest.log"};
  for (const auto& e : fs::directory_iterator(dir / "store")) files.push_back(e.path());
  // The temporary directory's name carries the test's PID (e.g. efm_test_efm_19704_4), which can contain "1970":
  // take the paths out before looking for the header's contents.
  const std::string tmp = dir.path().string();
  for (const auto& f : files) {
    std::string bytes = read_file(f);
    for (size_t at = bytes.find(tmp); at != std::string::npos; at = bytes.find(tmp, at)) bytes.erase(at, tmp.size());
    for (const char* secret : {"Jane", "Doe", "1970", "MRN", "445566", "Hospital", "05-MAY-2020", "05.05.20"}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << f << " contains '" << secret << "'";
    }
  }
  EXPECT_GT(read_file(dir / "ingest.log").size(), 0u);
}

}  // namespace
}  // namespace efm::data
