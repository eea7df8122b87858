// efm_toy_train: trains the toy task through train::Trainer, for the subprocess tests (kill-and-resume,
// SIGTERM, NaN, 2-process data parallelism). Not installed.
//
//   efm_toy_train --out DIR [--resume] [--set train.steps=20]... [--nan-at-step S] [--sleep-ms MS]
//                 [--threads N] [--eval]
// Distributed settings come from the environment (RANK/WORLD_SIZE/..., e.g. via `epilepsyfm launch`).
// Exit codes as the epilepsyfm binary: 0 ok, 1 runtime error, 2 config error, 128+sig after SIGINT/SIGTERM.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/config/run.h"
#include "epilepsyfm/config/train.h"
#include "epilepsyfm/config/yaml_io.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/data/windows.h"
#include "epilepsyfm/models/runtime.h"
#include "epilepsyfm/train/trainer.h"
#include "toy/toy_task.h"

namespace efm::test {
struct ToyExperiment {
  config::RunConfig run;
  config::TrainConfig train;
  template <class V>
  void visit(V& v) {
    v("run", run);
    v("train", train);
  }
};
}  // namespace efm::test

EFM_INSTANTIATE_CONFIG(efm::test::ToyExperiment)

namespace {

int run(int argc, char** argv) {
  using namespace efm;
  std::string out;
  bool resume = false, with_eval = false;
  int64_t nan_at = 0, sleep_ms = 0;
  int threads = 1;
  config::ConfigSources sources;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw ConfigError("option " + a + " needs a value");
      return argv[++i];
    };
    if (a == "--out") {
      out = value();
    } else if (a == "--resume") {
      resume = true;
    } else if (a == "--eval") {
      with_eval = true;
    } else if (a == "--set") {
      sources.sets.push_back(value());
    } else if (a == "--nan-at-step") {
      nan_at = std::stoll(value());
    } else if (a == "--sleep-ms") {
      sleep_ms = std::stoll(value());
    } else if (a == "--threads") {
      threads = std::stoi(value());
    } else {
      throw ConfigError("efm_toy_train: unknown option '" + a + "'");
    }
  }
  if (out.empty()) throw ConfigError("efm_toy_train: --out DIR is required");
  auto exp = config::load<test::ToyExperiment>(sources);
  log::init(exp.run.log_level);

  const auto env = train::DistEnv::from_environment();
  auto dist = train::ProcessGroup::create(env);
  models::configure_threads(threads);
  models::seed_torch(static_cast<uint64_t>(exp.run.seed), exp.run.deterministic);

  std::filesystem::path run_dir = std::filesystem::absolute(out);
  if (dist->is_main()) {
    run_dir = prepare_run_dir(out, resume ? RunDirMode::resume : RunDirMode::create_new);
    log::add_file_sink(run_dir / "log.txt");
    atomic_write_file(run_dir / "config.yaml", config::to_yaml(exp));
  }
  dist->barrier();

  auto source = test::make_toy_source();
  data::WindowOptions wo;
  wo.window_s = 2.0;
  wo.stride_s = 1.0;
  wo.require_label = true;
  auto index = std::make_shared<data::WindowIndex>(data::WindowIndex::build(*source, wo));

  test::ToyTaskOptions to;
  to.window_samples = 100;
  to.nan_at_step = nan_at;
  to.sleep_ms = sleep_ms;
  to.evaluate = with_eval;
  test::ToyTask task(to, source);

  train::TrainerOptions opt;
  opt.train = exp.train;
  opt.seed = static_cast<uint64_t>(exp.run.seed);
  opt.deterministic = exp.run.deterministic;
  opt.run_dir = run_dir;
  opt.config_yaml = config::to_yaml(exp);
  opt.dist = dist;
  opt.progress = false;
  train::Trainer trainer(opt, task, source, index);
  if (resume) trainer.resume();
  const auto result = trainer.fit();
  if (dist->is_main()) {
    std::printf("steps %lld loss %.6f\n", static_cast<long long>(result.steps),
                result.last_metrics.count("train/loss") ? result.last_metrics.at("train/loss") : -1.0);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return efm::run_guarded([&] { return run(argc, argv); });
}
