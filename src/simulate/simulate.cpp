#include "epilepsyfm/simulate/simulate.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/sha256.h"
#include "epilepsyfm/core/threads.h"
#include "epilepsyfm/core/version.h"
#include "epilepsyfm/io/edf_writer.h"
#include "epilepsyfm/simulate/artifacts.h"
#include "epilepsyfm/simulate/leadfield.h"

namespace efm::sim {

namespace fs = std::filesystem;

namespace {

// Zero-phase high-pass: x minus a triple moving average of odd width w, as a streaming FIR with delay
// D = 3 (w - 1) / 2. The triple box approximates a Gaussian smoother with sigma = sqrt((w^2 - 1) / 4) samples
// (no side lobes, unlike one box), so the high-pass has no ripple; its -3 dB point is ~0.25 / sigma_s Hz.
class ZeroPhaseHighPass {
 public:
  explicit ZeroPhaseHighPass(int width) : w_(width) {
    for (auto& r : ring_) r.assign(size_t(w_), 0.0);
    delay_line_.assign(size_t(delay() + 1), 0.0);
  }
  int delay() const { return 3 * (w_ - 1) / 2; }
  /// Feeds x[j]; returns the high-passed value of x[j - delay()].
  double push(double x) {
    if (!started_) {  // edge extension: the stages start as if the first value had always been there
      for (auto& r : ring_) std::fill(r.begin(), r.end(), x);
      for (auto& s : sum_) s = x * w_;
      std::fill(delay_line_.begin(), delay_line_.end(), x);
      started_ = true;
    }
    double v = x;
    for (int s = 0; s < 3; ++s) {
      sum_[s] += v - ring_[s][idx_];
      ring_[s][idx_] = v;
      v = sum_[s] / w_;
    }
    idx_ = (idx_ + 1) % size_t(w_);
    // Delay line of D + 1 samples: the oldest entry is x[j - D].
    delay_line_[dl_idx_] = x;
    dl_idx_ = (dl_idx_ + 1) % delay_line_.size();
    return delay_line_[dl_idx_] - v;
  }

 private:
  int w_;
  std::vector<double> ring_[3];
  double sum_[3] = {0, 0, 0};
  size_t idx_ = 0;
  std::vector<double> delay_line_;
  size_t dl_idx_ = 0;
  bool started_ = false;
};

// Post-ictal slowing (phenomenological, see kPostictal in neural_mass.h): in every region involved in a focal or
// generalised seizure, delta-band noise (white noise through a resonator at 1.5 Hz, Q = 1, normalised to unit RMS)
// with an envelope rising over 1 s after the offset and decaying as exp(-t / (P / 2)) over the post-ictal time P,
// scaled to `amplitude_mv` (model units, added to the region's high-passed output).
class PostictalDelta {
 public:
  PostictalDelta(const RecordingPlan& rec, double fs, uint64_t seed, double amplitude_mv) : fs_(fs), rng_(seed) {
    for (const auto& e : rec.seizures) {
      if (e.type == SeizureType::absence || e.postictal_s <= 0) continue;
      Window w;
      w.start = int64_t(std::ceil(e.offset_s() * fs));
      w.end = int64_t(std::ceil((e.offset_s() + e.postictal_s) * fs));
      w.tau_s = std::max(0.5, 0.5 * e.postictal_s);
      w.involved.assign(kNumRegions, e.type == SeizureType::generalised);
      if (e.type == SeizureType::focal) {
        w.involved[size_t(e.onset_region)] = true;
        for (int r : e.recruited) w.involved[size_t(r)] = true;
      }
      windows_.push_back(w);
    }
    const double kPi = 3.14159265358979323846;
    const double w0 = 2 * kPi * 1.5 / fs, alpha = std::sin(w0) / 2.0;  // RBJ band-pass, Q = 1
    const double a0 = 1 + alpha;
    b0_ = alpha / a0;
    b2_ = -alpha / a0;
    a1_ = -2 * std::cos(w0) / a0;
    a2_ = (1 - alpha) / a0;
    double x1 = 0, x2 = 0, y1 = 0, y2 = 0, energy = 0;
    for (int i = 0; i < int(60 * fs); ++i) {
      const double x = i == 0 ? 1.0 : 0.0;
      const double y = b0_ * x + b2_ * x2 - a1_ * y1 - a2_ * y2;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      energy += y * y;
    }
    gain_ = amplitude_mv / std::sqrt(energy);
    state_.assign(kNumRegions, {0, 0, 0, 0});
  }
  /// Adds the delta activity of sample k (consecutive calls with k increasing) to v[0..regions).
  void add(int64_t k, double* v) {
    while (cur_ < windows_.size() && k >= windows_[cur_].end) {
      ++cur_;
      for (auto& s : state_) s = {0, 0, 0, 0};
    }
    if (cur_ == windows_.size() || k < windows_[cur_].start) return;
    const auto& w = windows_[cur_];
    const double t = double(k - w.start) / fs_;
    const double env = std::min(1.0, t) * std::exp(-t / w.tau_s);
    for (int r = 0; r < kNumRegions; ++r) {
      if (!w.involved[size_t(r)]) continue;
      auto& st = state_[size_t(r)];  // x1, x2, y1, y2
      const double x = rng_.normal();
      const double y = b0_ * x + b2_ * st[1] - a1_ * st[2] - a2_ * st[3];
      st[1] = st[0];
      st[0] = x;
      st[3] = st[2];
      st[2] = y;
      v[r] += gain_ * env * y;
    }
  }

 private:
  struct Window {
    int64_t start = 0, end = 0;
    double tau_s = 1;
    std::vector<bool> involved;
  };
  double fs_;
  Rng rng_;
  std::vector<Window> windows_;
  size_t cur_ = 0;
  double b0_ = 0, b2_ = 0, a1_ = 0, a2_ = 0, gain_ = 0;
  std::vector<std::array<double, 4>> state_;
};

// Initial RMS of the post-ictal delta activity, mV of model output (~2x the background regime's ~0.26 mV).
constexpr double kPostictalDeltaMv = 0.5;

int highpass_width(double sfreq_hz) {
  return 2 * int(std::lround(0.5 * sfreq_hz)) + 1;  // sigma ~ 0.5 s: -3 dB near 0.5 Hz
}

std::string fmt_s(double v) {
  return fmt::format("{:.3f}", v);
}

std::string onset_region_text(const SubjectProfile& p) {
  if (p.onset_regions.empty()) return "generalised";
  std::string s;
  for (size_t i = 0; i < p.onset_regions.size(); ++i) {
    if (i) s += '+';
    s += region_names()[p.onset_regions[i]];
  }
  return s;
}

std::string readme_text(const config::SimulateExperiment& exp, const Cohort& cohort, const SimulateReport& rep) {
  const auto& c = exp.simulate;
  std::string s;
  s += "SYNTHETIC EEG - NOT PATIENT DATA\n\n";
  s += fmt::format("Generated by `epilepsyfm simulate` (epilepsyfm {}), seed {}.\n", version(), exp.run.seed);
  s += fmt::format("{} subjects x {} recordings of {} s, {} channels at {} Hz, {} h in total, {} seizures.\n\n",
                   cohort.subjects.size(), c.recordings_per_subject, c.recording_duration_s, kNumElectrodes, c.sfreq_hz,
                   fmt::format("{:.2f}", rep.hours), rep.n_seizures);
  s += "How the signals were made\n";
  s += "- One neural-mass population per brain region (8 regions: left/right frontal, left/right temporal, central,\n"
       "  left/right parietal, occipital), the model of Wendling et al. 2002 (Eur J Neurosci 15:1499-1508), an\n"
       "  extension of Jansen & Rit 1995 (Biol Cybern 73:357-366) with fast somatic inhibition, coupled between\n"
       "  neighbouring regions (Wendling et al. 2000, Biol Cybern 83:367-378), integrated at oversample x sfreq and\n"
       "  decimated with an anti-aliasing FIR filter.\n";
  s += "- Seizures are paths through the model's excitation/inhibition parameters (A, B, G): focal seizures start\n"
       "  in an onset region with low-voltage fast activity, evolve to a ~10 Hz rhythm slowing to ~4 Hz rhythmic\n"
       "  spikes, spread to neighbouring regions with a delay, end abruptly and are followed by post-ictal slowing;\n"
       "  generalised seizures start in all regions at once; absence seizures are generalised ~3 Hz spike-and-wave\n"
       "  discharges. Interictal spikes are brief excursions into the spiking regime.\n";
  s += "- Region signals are mixed to the 19 10-20 electrodes by a distance-based lead-field-like matrix (volume\n"
       "  conduction), then 1/f background noise, a posterior alpha rhythm, eye blinks (frontal), muscle bursts\n"
       "  (temporal), mains interference and per-subject/per-electrode amplitude and impedance variation are added.\n";
  s += "- The model and all parameter values are cited in include/epilepsyfm/simulate/*.h.\n\n";
  s += "Files\n";
  s += "- sub-XX/sub-XX_rec-YY.edf: EDF+ with one annotation per seizure (label = text, onset, duration).\n";
  s += "- seizures.csv: file,onset_s,offset_s,label (paths relative to this directory); seizures_detail.csv adds the\n"
       "  onset region, the recruited regions and the post-ictal duration.\n";
  s += "- recordings.csv: one row per file (subject, day, medication change, seizures, sha256).\n";
  s += "- subjects.csv, labels_asm_response.csv, labels_rftc_outcome.csv: SYNTHETIC patient-level labels derived\n"
       "  from the simulated parameters: responders' seizure and spike rates fall after the medication change day;\n"
       "  RFTC outcome is good (engel_I) when the onset is focal and unifocal and the lesioned region is the onset\n"
       "  region, else engel_II-IV. They exist to exercise the asm_efficacy and rftc_outcome heads, not to model\n"
       "  real treatment response.\n";
  s += "- simulate.yaml: the resolved configuration; rerunning it with the same seed reproduces identical files.\n";
  return s;
}

}  // namespace

struct RecordingSynthesizer::Impl {
  Impl(const config::SimulateConfig& cfg, const SubjectProfile& subj, const RecordingPlan& rec)
      : fs(double(cfg.sfreq_hz)),
        scale(cfg.model.source_gain_uv_per_mv * subj.amplitude_scale),
        L(leadfield()),
        gain(rec.channel_gain),
        art(ArtifactOptions{fs, cfg.line_freq_hz, cfg.artifacts.background_noise_uv,
                            cfg.artifacts.alpha_uv * subj.amplitude_scale, subj.alpha_freq_hz,
                            cfg.artifacts.line_noise_uv},
            rec, derive_seed(rec.signal_seed, "artifacts")),
        delta(rec, fs, derive_seed(rec.signal_seed, "postictal"), kPostictalDeltaMv) {
    for (int r = 0; r < kNumRegions; ++r) hp.emplace_back(highpass_width(fs));
    preroll = hp[0].delay();
    NeuralMassOptions nm;
    nm.rate_hz = fs * double(cfg.model.oversample);
    nm.input_mean = cfg.model.input_mean;
    nm.input_std = cfg.model.input_std;
    net = std::make_unique<NeuralMassNetwork>(nm, region_coupling(cfg.model.coupling), make_schedule(subj, rec),
                                              int(cfg.model.oversample), derive_seed(rec.signal_seed, "neural_mass"),
                                              /*start_s=*/-double(preroll) / fs, /*burn_in_s=*/5.0);
    src.resize(kNumRegions);
  }

  // Makes at least `n` high-passed source samples (microvolts) available in src. The first `preroll` outputs of
  // the high-passes belong to t < 0 (they fill the filters' delay) and are dropped.
  void fill(int64_t n) {
    while (int64_t(src[0].size()) < n) {
      const int64_t chunk = std::max<int64_t>(int64_t(fs), n - int64_t(src[0].size()));
      raw.clear();
      net->next(chunk, raw);
      double v[kNumRegions];
      for (int64_t i = 0; i < chunk; ++i, ++fed) {
        for (int r = 0; r < kNumRegions; ++r) v[r] = hp[r].push(raw[r][size_t(i)]);
        if (fed < preroll) continue;
        delta.add(fed - preroll, v);
        for (int r = 0; r < kNumRegions; ++r) src[r].push_back(scale * v[r]);
      }
    }
  }

  double fs, scale;
  Eigen::MatrixXd L;
  std::vector<double> gain;
  ArtifactGenerator art;
  PostictalDelta delta;
  std::vector<ZeroPhaseHighPass> hp;
  int64_t preroll = 0, fed = 0;
  std::unique_ptr<NeuralMassNetwork> net;
  std::vector<std::vector<double>> raw, src;
};

RecordingSynthesizer::RecordingSynthesizer(const config::SimulateConfig& cfg, const SubjectProfile& subj,
                                           const RecordingPlan& rec)
    : impl_(std::make_unique<Impl>(cfg, subj, rec)), n_samples_(std::llround(rec.duration_s * double(cfg.sfreq_hz))) {}

RecordingSynthesizer::~RecordingSynthesizer() = default;

void RecordingSynthesizer::next(int64_t n, std::vector<std::vector<double>>& out) {
  n = std::max<int64_t>(0, std::min(n, n_samples_ - pos_));
  auto& m = *impl_;
  m.fill(n);
  out.resize(kNumElectrodes);
  for (int c = 0; c < kNumElectrodes; ++c) {
    auto& o = out[c];
    o.assign(size_t(n), 0.0);
    for (int r = 0; r < kNumRegions; ++r) {
      const double w = m.L(c, r);
      const double* s = m.src[r].data();
      for (int64_t i = 0; i < n; ++i) o[i] += w * s[i];
    }
  }
  m.art.add(n, out);
  for (int c = 0; c < kNumElectrodes; ++c) {
    const double g = m.gain[c];
    for (auto& v : out[c]) v *= g;
  }
  for (auto& s : m.src) s.erase(s.begin(), s.begin() + n);
  pos_ += n;
}

std::vector<std::vector<double>> synthesize_recording(const config::SimulateConfig& cfg, const SubjectProfile& subj,
                                                      const RecordingPlan& rec) {
  RecordingSynthesizer synth(cfg, subj, rec);
  std::vector<std::vector<double>> all(kNumElectrodes), block;
  for (auto& a : all) a.reserve(size_t(synth.n_samples()));
  while (synth.position() < synth.n_samples()) {
    synth.next(int64_t(cfg.sfreq_hz) * 10, block);
    for (int c = 0; c < kNumElectrodes; ++c) all[c].insert(all[c].end(), block[c].begin(), block[c].end());
  }
  return all;
}

WrittenRecording write_recording(const config::SimulateConfig& cfg, const SubjectProfile& subj,
                                 const RecordingPlan& rec, const fs::path& path) {
  io::EdfWriterOptions opt;
  opt.type =
      cfg.file_format == config::SimulatedFileFormat::bdf ? io::EdfFileType::bdf_plus : io::EdfFileType::edf_plus;
  opt.recording_additional = "synthetic EEG";
  opt.equipment = "epilepsyfm";
  std::vector<io::EdfSignalSpec> signals;
  const std::string prefilter = fmt::format("HP:0.5Hz LP:{}Hz", std::lround(0.4 * double(cfg.sfreq_hz)));
  for (const auto& name : electrode_names()) {
    io::EdfSignalSpec s;
    s.label = name;
    s.samples_per_record = cfg.sfreq_hz;
    s.physical_min = -cfg.physical_max_uv;
    s.physical_max = cfg.physical_max_uv;
    s.transducer = "synthetic (neural-mass model)";
    s.prefilter = prefilter;
    signals.push_back(s);
  }
  io::EdfWriter writer(path, opt, signals);
  for (const auto& e : rec.seizures) writer.add_annotation({e.onset_s, e.duration_s, seizure_label(e.type)});
  RecordingSynthesizer synth(cfg, subj, rec);
  std::vector<std::vector<double>> block;
  std::vector<const double*> ptrs(kNumElectrodes);
  while (synth.position() < synth.n_samples()) {
    synth.next(cfg.sfreq_hz, block);
    for (int c = 0; c < kNumElectrodes; ++c) ptrs[c] = block[c].data();
    writer.write_record(ptrs);
  }
  writer.close();
  WrittenRecording out;
  out.clipped_samples = writer.clipped_samples();
  out.sha256 = sha256_file(path);
  return out;
}

SimulateReport simulate_cohort(const config::SimulateExperiment& exp, const fs::path& out_dir, int threads,
                               const std::function<void()>& on_recording_done) {
  const auto t_start = std::chrono::steady_clock::now();
  const auto& cfg = exp.simulate;
  const Cohort cohort = plan_cohort(cfg, uint64_t(exp.run.seed));
  fs::create_directories(out_dir);
  for (const auto& s : cohort.subjects) fs::create_directories(out_dir / s.id);

  const int64_t n_rec = int64_t(cohort.recordings.size());
  std::vector<WrittenRecording> written(static_cast<size_t>(n_rec));
  auto body = [&](int64_t i) {
    const auto& rec = cohort.recordings[size_t(i)];
    written[size_t(i)] = write_recording(cfg, cohort.subjects[size_t(rec.subject)], rec, out_dir / rec.relative_path);
    if (on_recording_done) on_recording_done();
  };
  const int n_threads = resolve_thread_count(threads);
  if (n_threads <= 1 || n_rec <= 1) {
    for (int64_t i = 0; i < n_rec; ++i) body(i);
  } else {
    ThreadPool pool(std::min<int64_t>(n_threads, n_rec) - 1);
    pool.parallel_for(n_rec, body);
  }

  SimulateReport rep;
  rep.n_subjects = int64_t(cohort.subjects.size());
  rep.n_recordings = n_rec;
  std::string seizures = csv_line({"file", "onset_s", "offset_s", "label"});
  std::string detail = csv_line({"file", "subject", "onset_s", "offset_s", "label", "seizure_type", "onset_region",
                                 "recruited_regions", "recruited_at_s", "postictal_s"});
  std::string recordings = csv_line({"file", "subject", "recording", "day", "after_medication_change", "duration_s",
                                     "sfreq_hz", "n_channels", "n_seizures", "n_interictal_spikes", "sha256"});
  for (int64_t i = 0; i < n_rec; ++i) {
    const auto& rec = cohort.recordings[size_t(i)];
    const auto& subj = cohort.subjects[size_t(rec.subject)];
    for (const auto& e : rec.seizures) {
      seizures += csv_line({rec.relative_path, fmt_s(e.onset_s), fmt_s(e.offset_s()), seizure_label(e.type)});
      std::vector<std::string> names, at;
      for (size_t k = 0; k < e.recruited.size(); ++k) {
        names.push_back(region_names()[e.recruited[k]]);
        at.push_back(fmt_s(e.recruited_at_s[k]));
      }
      detail += csv_line({rec.relative_path, subj.id, fmt_s(e.onset_s), fmt_s(e.offset_s()), seizure_label(e.type),
                          seizure_type_name(e.type), e.onset_region >= 0 ? region_names()[e.onset_region] : "all",
                          fmt::format("{}", fmt::join(names, ";")), fmt::format("{}", fmt::join(at, ";")),
                          fmt_s(e.type == SeizureType::absence ? 0.0 : e.postictal_s)});
    }
    recordings +=
        csv_line({rec.relative_path, subj.id, std::to_string(rec.index + 1), fmt::format("{:.1f}", rec.day),
                  rec.after_medication_change ? "1" : "0", fmt::format("{}", rec.duration_s),
                  std::to_string(cfg.sfreq_hz), std::to_string(kNumElectrodes), std::to_string(rec.seizures.size()),
                  std::to_string(rec.spikes.size()), written[size_t(i)].sha256});
    rep.n_seizures += int64_t(rec.seizures.size());
    rep.hours += rec.duration_s / 3600.0;
    rep.clipped_samples += written[size_t(i)].clipped_samples;
    if (written[size_t(i)].clipped_samples > 0) {
      EFM_LOG_WARN("[simulate] {}: {} samples exceeded +-{} uV and were clipped (raise simulate.physical_max_uv)",
                   rec.relative_path, written[size_t(i)].clipped_samples, cfg.physical_max_uv);
    }
  }
  std::string subjects =
      csv_line({"subject", "asm_response", "rftc_outcome", "onset_region", "seizure_type", "n_onset_regions",
                "rftc_lesion_region", "excitability_z", "seizure_rate_per_h", "interictal_spike_rate_per_min",
                "medication_change_day", "alpha_freq_hz", "amplitude_scale", "synthetic"});
  std::string asm_labels = csv_line({"subject", "label"});
  std::string rftc_labels = csv_line({"subject", "label"});
  for (const auto& s : cohort.subjects) {
    const std::string asm_label = s.responder ? "responder" : "non_responder";
    const std::string rftc_label = s.rftc_good_outcome ? "engel_I" : "engel_II-IV";
    subjects += csv_line({s.id, asm_label, rftc_label, onset_region_text(s), seizure_type_name(s.seizure_type),
                          std::to_string(s.onset_regions.size()), region_names()[s.rftc_lesion_region],
                          fmt::format("{:.3f}", s.excitability_z), fmt::format("{:.3f}", s.seizure_rate_per_h),
                          fmt::format("{:.3f}", s.spike_rate_per_min), fmt::format("{}", s.medication_change_day),
                          fmt::format("{:.2f}", s.alpha_freq_hz), fmt::format("{:.3f}", s.amplitude_scale), "yes"});
    asm_labels += csv_line({s.id, asm_label});
    rftc_labels += csv_line({s.id, rftc_label});
  }
  atomic_write_file(out_dir / "seizures.csv", seizures);
  atomic_write_file(out_dir / "seizures_detail.csv", detail);
  atomic_write_file(out_dir / "recordings.csv", recordings);
  atomic_write_file(out_dir / "subjects.csv", subjects);
  atomic_write_file(out_dir / "labels_asm_response.csv", asm_labels);
  atomic_write_file(out_dir / "labels_rftc_outcome.csv", rftc_labels);
  atomic_write_file(out_dir / "simulate.yaml", config::to_yaml(exp));
  rep.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  atomic_write_file(out_dir / "README.txt", readme_text(exp, cohort, rep));
  return rep;
}

}  // namespace efm::sim
