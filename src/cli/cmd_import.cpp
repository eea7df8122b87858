// epilepsyfm import: LaBraM or braindecode backbone weights -> a run directory for finetune --init; LaBraM's VQ-NSP
// tokenizer -> a tokenizer run for pretrain --tokenizer (interop/import.h).
#include <fmt/format.h>

#include "cli/args.h"
#include "cli/common.h"
#include "cli/verbs.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/enum_names.h"
#include "epilepsyfm/interop/import.h"

namespace efm::cli {

int run_import(int argc, char** argv) {
  ArgParser args("epilepsyfm import [--format auto|labram|braindecode] WEIGHTS.pth OUT_RUN",
                 "Convert a LaBraM checkpoint (labram-base.pth, a fine-tuned LaBraM model, with or without the "
                 "'model' wrapper and 'student.' prefix) or a braindecode Labram state dict into a run directory "
                 "that `finetune --init OUT_RUN` takes, or LaBraM's VQ-NSP tokenizer (vqnsp.pth) into one that "
                 "`pretrain --tokenizer OUT_RUN` takes. The model config is inferred from the tensors; every "
                 "tensor is checked and the load is reported by name (docs/interop.md).");
  add_log_option(args);
  args.positional("weights", "the file torch.save wrote");
  args.positional("out", "the run directory to create");
  args.option("format", "NAME", "auto (from the tensor names), labram or braindecode");
  args.option("heads", "N", "attention heads, when the file has no QK-norm to tell them");
  args.option("preprocess-profile", "NAME", "the preprocessing the weights expect (default labram)");
  args.option("montage", "NAME", "the montage of the data the weights learnt from (default referential)");
  args.flag("overwrite", "replace an existing OUT_RUN");
  if (!parse_and_init_logging(args, argc, argv)) return 0;
  interop::ImportOptions o;
  o.source = args.get("weights");
  o.out = args.get("out");
  const std::string format = args.has("format") ? args.get("format") : "auto";
  if (format != "auto") o.layout = parse_enum<interop::ForeignLayout>(format, "--format");
  if (args.has("heads")) o.heads = parse_int(args.get("heads"), "--heads");
  if (args.has("preprocess-profile")) o.preprocess_profile = args.get("preprocess-profile");
  if (args.has("montage")) o.montage = parse_enum<config::MontageKind>(args.get("montage"), "--montage");
  o.overwrite = args.flag_set("overwrite");
  const interop::ImportResult r = interop::import_weights(o);
  std::fputs(fmt::format("{}: {} {}, {}\n", r.weights.string(), enum_name(r.layout),
                         r.kind == config::ExperimentKind::tokenizer ? "tokenizer" : "backbone", r.report.summary())
                 .c_str(),
             stdout);
  return 0;
}

}  // namespace efm::cli
