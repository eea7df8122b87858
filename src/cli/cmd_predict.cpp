// epilepsyfm predict: stream one recording through preprocessing and a fine-tuned seizure detector; per-second
// probabilities and detected events (CSV and EDF+), with constant memory (eval/predict.h).
#include <fmt/format.h>

#include "cli/args.h"
#include "cli/common.h"
#include "cli/verbs.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/eval/inference/predict.h"

namespace efm::cli {

int run_predict(int argc, char** argv) {
  ArgParser args("epilepsyfm predict --checkpoint CKPT --input FILE.edf --out DIR [--labels CSV] [--set KEY=VALUE]...",
                 "Stream a recording through the ingest preprocessing of the model's training store and a "
                 "fine-tuned seizure_detection model: writes DIR/<name>_probabilities.csv (per second), "
                 "<name>_events.csv and <name>_events.edf (EDF+ with the probability as a 1-Hz signal and the "
                 "detections as annotations). Memory does not grow with the recording's length.");
  add_log_option(args);
  args.option("checkpoint", "CKPT", "finetune run directory (best checkpoint), checkpoint directory or model.pt");
  args.option("input", "FILE", "recording (EDF/BDF/EDF+/...)");
  args.option("out", "DIR", "output directory");
  args.option("labels", "CSV", "reference seizures `file,onset_s,offset_s,label`: score the detections (latency)");
  args.multi("set", "KEY=VALUE", "override the checkpoint's predict.* settings, e.g. --set predict.threshold=0.7");
  args.flag("no-progress", "no progress bar");
  if (!parse_and_init_logging(args, argc, argv)) return 0;
  EFM_CHECK_CONFIG(args.has("checkpoint") && args.has("input") && args.has("out"),
                   "predict: give --checkpoint CKPT, --input FILE and --out DIR");
  eval::PredictOptions o;
  o.checkpoint = args.get("checkpoint");
  o.input = args.get("input");
  o.out_dir = args.get("out");
  o.sets = args.get_all("set");
  if (args.has("labels")) o.labels = args.get("labels");
  o.progress = !args.flag_set("no-progress");
  const eval::PredictResult r = eval::run_predict(o);
  std::string text = fmt::format("{} detected event(s)\n", r.events.size());
  for (const auto& e : r.events) text += fmt::format("  {:.1f} - {:.1f} s\n", e.start_s, e.end_s);
  if (r.score) {
    text += fmt::format("reference: {} seizure(s), detected {}, false alarms {}; latency:", r.score->n_reference,
                        r.score->true_positives, r.score->false_positives);
    for (double l : r.score->latencies_s()) text += fmt::format(" {:+.1f} s", l);
    text += "\n";
  }
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace efm::cli
