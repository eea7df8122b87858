#include "epilepsyfm/train/runner.h"

#include <fmt/format.h>

#include <algorithm>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/threads.h"
#include "epilepsyfm/models/runtime.h"
#include "epilepsyfm/train/cuda_settings.h"
#include "epilepsyfm/train/run_dir.h"

namespace efm::train {
namespace fs = std::filesystem;

Session start_session(const config::RunConfig& run, const SessionOptions& options) {
  const fs::path dir = options.run_dir.empty() ? fs::path(run.out) : options.run_dir;
  if (dir.empty()) throw ConfigError("no run directory: give --out RUN (or run.out in the config)");
  Session s;
  const DistEnv env = options.distributed ? DistEnv::from_environment() : DistEnv{};
  s.device = models::select_device(run.device, env.local_rank);
  if (options.distributed) s.dist = ProcessGroup::create(env, std::chrono::minutes(5), s.device);
  int threads = static_cast<int>(run.threads);
  if (threads == 0 && env.local_world_size > 1) {
    // N processes on one machine each using every core only compete with each other.
    threads = std::max(1, available_cores() / env.local_world_size);
  }
  s.threads = models::configure_threads(threads);
  models::seed_torch(static_cast<uint64_t>(run.seed), run.deterministic);
  const CudaSettings cuda = apply_cuda_settings(run);
  s.run_dir = fs::absolute(dir);
  const auto torch_info = models::torch_build_info();
  EFM_LOG_INFO("[run] {} thread(s), device {}, {}, torch {}, BLAS {}, {}", s.threads, s.device.str(), env.describe(),
               torch_info.version, torch_info.blas, cuda.describe());
  return s;
}

void open_run(Session& s, RunDirMode mode, const std::string& config_yaml) {
  if (s.is_main()) s.run_dir = RunDir::open(s.run_dir, mode, config_yaml).path();
  if (!s.dist) return;
  s.dist->barrier();
  if (!s.dist->is_main() && !fs::is_directory(s.run_dir)) {
    throw DataError(
        fmt::format("rank {}: the run directory {} written by rank 0 is not visible here (runs on "
                    "several machines need a shared file system)",
                    s.dist->rank(), s.run_dir.string()));
  }
}

TrainingData open_training_data(DataConfig& data) {
  if (data.store.empty()) throw ConfigError("no store: give --store STORE (or data.store in the config)");
  TrainingData d;
  d.source = std::make_shared<data::StoreWindowSource>(data.store);
  const io::StoreReader& store = d.source->store();
  if (store.recordings().empty()) {
    throw ConfigError(fmt::format("data.store: {} holds no recordings", store.dir().string()));
  }
  d.preprocessing = store.details(0)->preprocessing.spec;
  if (data.preprocessing) {
    config::PreprocessingCheck check;
    check.learnt = "data.preprocessing: the config records";
    check.data = fmt::format("the store {} was preprocessed with", store.dir().string());
    check.allow_key = "data.allow_preprocessing_mismatch";
    check.allowed = data.allow_preprocessing_mismatch;
    check.remedy = "use the store the run was made with";
    check.log_tag = "[data]";
    config::check_preprocessing(*data.preprocessing, d.preprocessing, check);
  }
  data.preprocessing = d.preprocessing;

  data::WindowOptions wo;
  wo.window_s = data.window_s;
  wo.stride_s = data.stride_s;
  wo.drop_rejected = data.drop_rejected;
  wo.labels = data.labels;
  d.index = std::make_shared<data::WindowIndex>(data::WindowIndex::build(*d.source, wo));
  const auto& st = d.index->stats();
  if (d.index->size() == 0) {
    throw ConfigError(fmt::format(
        "data: no {} s windows in {} ({} recording(s); {} too short, {} windows rejected, {} dropped by the label "
        "filter)",
        data.window_s, store.dir().string(), store.recordings().size(), st.short_recordings, st.dropped_rejected,
        st.dropped_label));
  }
  EFM_LOG_INFO(
      "[data] {}: {} recordings, {} windows of {} s (stride {} s) in {} channel group(s); {} rejected, {} "
      "recordings shorter than a window; preprocessing {}",
      store.dir().string(), store.recordings().size(), d.index->size(), data.window_s, data.stride_s,
      d.index->groups().size(), st.dropped_rejected, st.short_recordings, d.preprocessing.describe());
  return d;
}

void check_model_fits(const models::BackboneImpl& model, const TrainingData& data) {
  const auto& recs = data.source->recordings();
  for (const auto& g : data.index->groups()) {
    const auto& first = recs[static_cast<size_t>(g.recordings.front())];
    models::SignalSpec spec;
    spec.channel_names = first.channel_names;
    spec.sfreq_hz = first.sfreq_hz;
    spec.window_samples = g.window_samples;
    spec.patch_samples = model.options().patch_samples();
    try {
      model.check_spec(spec);
    } catch (const Error& e) {
      throw ConfigError(
          fmt::format("recording '{}' ({} channels): {}", first.id, first.channel_names.size(), e.what()));
    }
    const int64_t max_id = *std::max_element(first.channel_ids.begin(), first.channel_ids.end());
    if (model.options().use_electrodes() && max_id >= model.options().n_electrodes()) {
      throw ConfigError(
          fmt::format("recording '{}': electrode id {} is outside the model's table of {} rows; raise "
                      "model.n_electrodes",
                      first.id, max_id, model.options().n_electrodes()));
    }
  }
}

TrainResult fit(const Session& session, const config::RunConfig& run, const config::TrainConfig& train_config,
                const std::string& config_yaml, TrainingTask& task, std::shared_ptr<const data::WindowSource> source,
                std::shared_ptr<const data::WindowIndex> index, const FitFlags& flags) {
  TrainerOptions opt;
  opt.train = train_config;
  opt.seed = static_cast<uint64_t>(run.seed);
  opt.deterministic = run.deterministic;
  opt.run_dir = session.run_dir;
  opt.config_yaml = config_yaml;
  opt.device = session.device;
  opt.dist = session.dist;
  opt.progress = flags.progress;
  Trainer trainer(opt, task, std::move(source), std::move(index));
  if (flags.resume) trainer.resume();
  return trainer.fit();
}

}  // namespace efm::train
