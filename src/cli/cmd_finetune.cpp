// epilepsyfm finetune: a task head on a (pretrained or fresh) backbone, with model selection on validation,
// test scores at the selected step and report.html (eval/finetune.h, docs/heads.md).
#include <fmt/format.h>

#include <cstdio>

#include "cli/args.h"
#include "cli/common.h"
#include "cli/verbs.h"
#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/eval/finetune/finetune.h"
#include "epilepsyfm/train/run_dir.h"

namespace efm::cli {

namespace {

std::vector<int64_t> parse_seeds(const std::string& text) {
  std::vector<int64_t> out;
  size_t from = 0;
  while (from <= text.size()) {
    const size_t comma = text.find(',', from);
    const std::string item = text.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    const int64_t s = parse_int(item, "--seeds");
    EFM_CHECK_CONFIG(s >= 0, "--seeds: seeds must be >= 0, got {}", s);
    out.push_back(s);
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return out;
}

std::string list_heads() {
  std::string out = "heads (finetune.head):\n";
  for (const auto& name : eval::head_registry().names()) {
    const auto& s = eval::head_registry().get(name).spec;
    out += fmt::format("  {:<18} {} -> {}\n  {:<18} loss: {}; labels: {}; selected on val/{}\n", name,
                       eval::input_text(s.input), s.output, "", s.loss, s.labels, s.selection_metric);
  }
  return out;
}

}  // namespace

int run_finetune(int argc, char** argv) {
  ArgParser args("epilepsyfm finetune --config FILE [--store STORE] [--init CKPT] --out RUN [--seeds 0,1,2]",
                 "Fine-tune a task head (configs/finetune/<head>.yaml) on a store: seeded split (subjects never "
                 "shared between train/val/test), training with model selection on the validation split, test "
                 "metrics at the selected step, metrics.csv/json and report.html in the run directory.");
  add_config_options(args);
  args.option("out", "RUN", "run directory (sets run.out)");
  args.option("store", "STORE", "store written by `epilepsyfm ingest` (sets data.store)");
  args.option("init", "CKPT", "pretrained backbone: model.pt, checkpoint or run directory (sets init.checkpoint)");
  args.option("seeds", "S,S,...", "one run per seed in RUN/seed_<s>, then mean ± std over seeds in RUN/summary.csv");
  args.flag("resume", "continue the run in RUN from its latest checkpoint");
  args.flag("overwrite", "replace RUN if it exists");
  args.flag("no-progress", "no progress bar");
  args.flag("list-heads", "list the registered heads and exit");
  args.epilog(
      "Example: epilepsyfm finetune --config configs/finetune/seizure_detection.yaml --store stores/demo --init "
      "runs/pretrain --out runs/sd --seeds 0,1,2\nThen: epilepsyfm evaluate --run runs/sd ; epilepsyfm predict "
      "--checkpoint runs/sd/seed_0 --input x.edf --out pred");
  if (!args.parse(argc, argv)) return 0;
  if (args.flag_set("list-heads")) {
    std::fputs(list_heads().c_str(), stdout);
    return 0;
  }
  auto exp = load_experiment<eval::FinetuneExperiment>(args, config_sources(args));
  set_from_option(args, "init", exp.init.checkpoint);
  if (init_logging_or_dump(args, exp)) return 0;
  EFM_CHECK_CONFIG(!exp.run.out.empty(), "finetune: no run directory; give --out RUN (or run.out)");
  eval::head_registry().get(exp.finetune.head, "finetune.head");  // unknown heads fail before anything is written
  const auto dir = train::RunDir::open(exp.run.out, run_dir_mode(args), config::to_yaml(exp)).path();
  eval::FinetuneRunOptions ro;
  ro.progress = !args.flag_set("no-progress");
  ro.resume = args.flag_set("resume");
  if (args.has("seeds")) {
    EFM_CHECK_CONFIG(!ro.resume, "--resume with --seeds: resume one seed's run directory (RUN/seed_<s>) instead");
    eval::run_finetune_seeds(exp, dir, parse_seeds(args.get("seeds")), ro);
  } else {
    eval::run_finetune(exp, dir, ro);
  }
  log::remove_file_sinks();
  return 0;
}

}  // namespace efm::cli
