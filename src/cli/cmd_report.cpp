// epilepsyfm report: one HTML page over the run directories of a pipeline (tokenizer, pretraining, fine-tuning runs;
// eval/pipeline_report.h). Torch-free: it reads the files the runs wrote.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "cli/args.h"
#include "cli/common.h"
#include "cli/verbs.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/eval/report/pipeline_report.h"

namespace efm::cli {
namespace fs = std::filesystem;

int run_report(int argc, char** argv) {
  ArgParser args("epilepsyfm report --run RUN [--run RUN]... --out REPORT.html [--title TEXT]",
                 "Summarise the runs of a pipeline in one self-contained HTML page: tokenizer and pretraining runs "
                 "(first and last logged loss, codebook usage, masked-token accuracy, loss curve) and fine-tuning "
                 "runs (head, initialisation, test metrics at the selected step or mean ± std over seeds, with a "
                 "link to each run's report.html).");
  args.multi("run", "RUN", "a run directory written by tokenizer, pretrain or finetune (repeatable; page order)");
  args.option("out", "FILE", "the HTML file to write");
  args.option("title", "TEXT", "page title", "epilepsyfm pipeline report");
  add_log_option(args);
  args.epilog("Example: epilepsyfm report --run runs/tok --run runs/pt --run runs/sd --out runs/report.html");
  if (!parse_and_init_logging(args, argc, argv)) return 0;
  if (!args.has("run")) throw ConfigError("report: give at least one --run RUN");
  if (!args.has("out")) throw ConfigError("report: --out FILE is required");
  std::vector<fs::path> runs;
  for (const auto& r : args.get_all("run")) runs.emplace_back(r);
  const size_t n = eval::write_pipeline_report(runs, args.get("out"), args.get("title"));
  EFM_LOG_INFO("[report] {} run(s) -> {}", n, args.get("out"));
  return 0;
}

}  // namespace efm::cli
