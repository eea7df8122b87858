// epilepsyfm simulate: a synthetic cohort of epileptic EEG (neural-mass model) as EDF+ files with seizure
// annotations and label tables (simulate/simulate.h).
#include <fmt/format.h>

#include <cstdio>

#include "cli/args.h"
#include "cli/common.h"
#include "cli/verbs.h"
#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/config/simulate.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/progress.h"
#include "epilepsyfm/simulate/simulate.h"

namespace efm::cli {

int run_simulate(int argc, char** argv) {
  ArgParser args("epilepsyfm simulate --config FILE --out DIR [--set KEY=VALUE]... [--overwrite]",
                 "Simulate a cohort of synthetic epileptic scalp EEG (Wendling neural-mass model, 19 10-20 channels) "
                 "and write it as EDF+ files with seizure annotations, plus seizures.csv, recordings.csv, "
                 "subjects.csv (synthetic patient-level labels), simulate.yaml and README.txt.");
  add_config_options(args);
  args.option("out", "DIR", "output directory (required unless run.out is set in the config)");
  args.flag("overwrite", "replace the output directory if it exists and is not empty");
  args.epilog(
      "The seed is run.seed: the same config and seed give byte-identical files. Example:\n"
      "  epilepsyfm simulate --config configs/simulate/demo.yaml --out sim_demo --set run.seed=7");
  if (!args.parse(argc, argv)) return 0;

  auto exp = load_experiment<config::SimulateExperiment>(args, config_sources(args));
  if (init_logging_or_dump(args, exp)) return 0;
  EFM_CHECK_CONFIG(!exp.run.out.empty(), "simulate: no output directory; give --out DIR (or run.out in the config)");

  const auto dir =
      prepare_run_dir(exp.run.out, args.flag_set("overwrite") ? RunDirMode::overwrite : RunDirMode::create_new);
  log::add_file_sink(dir / "log.txt");
  const auto& s = exp.simulate;
  const int64_t n_rec = s.n_subjects * s.recordings_per_subject;
  EFM_LOG_INFO("[simulate] {} subjects x {} recordings x {} s at {} Hz (seed {}) -> {}", s.n_subjects,
               s.recordings_per_subject, s.recording_duration_s, s.sfreq_hz, exp.run.seed, dir.string());
  ProgressBar bar(ProgressOptions("simulate", n_rec).unit("recordings"));
  const auto report = sim::simulate_cohort(exp, dir, int(exp.run.threads), [&] { bar.advance(); });
  bar.finish();
  EFM_LOG_INFO("[simulate] {} recordings ({:.2f} h of EEG), {} seizures, {} clipped samples in {:.1f} s",
               report.n_recordings, report.hours, report.n_seizures, report.clipped_samples, report.wall_s);
  log::remove_file_sinks();
  return 0;
}

}  // namespace efm::cli
