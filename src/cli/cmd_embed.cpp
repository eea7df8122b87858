// epilepsyfm embed: per-window embeddings (and a fine-tuned window classifier's logits) of a store, as HDF5
// (eval/inference/embed.h, docs/embed.md).
#include <fmt/format.h>

#include <cstdio>

#include "cli/args.h"
#include "cli/common.h"
#include "cli/verbs.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/enum_names.h"
#include "epilepsyfm/eval/inference/embed.h"

namespace efm::cli {

namespace {

void add_embed_options(ArgParser& args) {
  args.option("model", "MODEL",
              "pretraining or fine-tuning run directory (a fine-tuning run's best checkpoint), checkpoint directory "
              "or model file");
  args.option("store", "STORE", "the store to embed (written by `epilepsyfm ingest`)");
  args.option("input", "FILE",
              "a recording (EDF/BDF/...) to stream through the ingest settings of the model's store instead");
  args.option("out", "FILE", "the HDF5 file to write (OUT.partial until complete)");
  args.option("split", "PART", "all, or train | val | test of a fine-tuning run's split (its splits.csv)", "all");
  args.option("window-s", "S", "window length in seconds (default: the run's data.window_s)");
  args.option("stride-s", "S", "distance between window starts in seconds (default: the window length)");
  args.option("batch-size", "N", "windows per forward pass", "64");
  args.option("device", "DEVICE", "auto | cpu | cuda | cuda:N", "auto");
  args.option("threads", "N", "LibTorch threads, 0 = all cores", "0");
  args.flag("allow-preprocessing-mismatch", "embed a store preprocessed differently from the model's training data");
  args.flag("no-progress", "no progress bar");
  add_log_option(args);
}

eval::EmbedOptions embed_options(const ArgParser& args) {
  EFM_CHECK_CONFIG(args.has("model") && args.has("out") && (args.has("store") || args.has("input")),
                   "embed: give --model MODEL, --store STORE (or --input FILE) and --out FILE");
  eval::EmbedOptions o;
  o.model = args.get("model");
  if (args.has("store")) o.store = args.get("store");
  if (args.has("input")) o.input = args.get("input");
  o.out = args.get("out");
  o.split = parse_enum<eval::EmbedSplit>(args.get("split"), "--split");
  if (args.has("window-s")) o.window_s = parse_double(args.get("window-s"), "--window-s");
  if (args.has("stride-s")) o.stride_s = parse_double(args.get("stride-s"), "--stride-s");
  o.batch_size = parse_int(args.get("batch-size"), "--batch-size");
  o.device = args.get("device");
  o.threads = static_cast<int>(parse_int(args.get("threads"), "--threads"));
  o.allow_preprocessing_mismatch = args.flag_set("allow-preprocessing-mismatch");
  o.progress = !args.flag_set("no-progress");
  return o;
}

}  // namespace

int run_embed(int argc, char** argv) {
  ArgParser args(
      "epilepsyfm embed --model MODEL (--store STORE | --input FILE.edf) --out FILE.h5 [--split all|train|val|test] "
      "[--batch-size N] [--device DEVICE]",
      "Write the embedding of every window of a store under a trained backbone (a pretraining run, or a "
      "fine-tuning run's best checkpoint) to one HDF5 file: /embedding [N, d] float32, /recording [N] (a row of "
      "/recordings), /start_s [N], /channel_group [N] (a dataset of /channels), and for a fine-tuned "
      "seizure_detection or seizure_type model its /logits [N, K]. The store must be preprocessed as the model's "
      "training data. With --input, one recording is streamed through the ingest settings of the model's training "
      "store instead (as `predict` does). Rows are appended batch by batch: memory does not grow with the number "
      "of windows. "
      "docs/embed.md shows how to read the file with h5py.");
  add_embed_options(args);
  if (!parse_and_init_logging(args, argc, argv)) return 0;
  const eval::EmbedResult r = eval::run_embed(embed_options(args));
  std::fputs(
      fmt::format("{} windows of {} recordings: embedding [{}, {}]{} -> {}\n", r.windows, r.recordings, r.windows,
                  r.embed_dim, r.n_logits > 0 ? fmt::format(", logits [{}, {}]", r.windows, r.n_logits) : std::string(),
                  args.get("out"))
          .c_str(),
      stdout);
  return 0;
}

}  // namespace efm::cli
