// epilepsyfm tokenizer: trains the VQ neural tokenizer (LaBraM VQ-NSP) on a store; `tokenizer encode` writes the
// code ids of a store's windows. Works under `epilepsyfm launch` (data parallel).
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/args.h"
#include "cli/common.h"
#include "cli/learning.h"
#include "cli/verbs.h"
#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/data/loader.h"
#include "epilepsyfm/models/checkpoint_io.h"
#include "epilepsyfm/models/runtime.h"
#include "epilepsyfm/train/learning_tasks.h"
#include "epilepsyfm/train/model_files.h"
#include "epilepsyfm/train/trainer.h"

namespace efm::cli {
namespace fs = std::filesystem;

namespace {

int run_tokenizer_encode(int argc, char** argv);

}  // namespace

int run_tokenizer(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "encode") return run_tokenizer_encode(argc - 1, argv + 1);
  ArgParser args("epilepsyfm tokenizer --config FILE --store STORE --out RUN [--set KEY=VALUE]...",
                 "Train the VQ neural tokenizer (LaBraM VQ-NSP): each 1-s patch of the store's windows is encoded, "
                 "quantised to the nearest code of an EMA codebook and decoded into its Fourier amplitude and phase. "
                 "Writes metrics.csv (losses, codebook usage, perplexity), checkpoints and RUN/tokenizer.pt.\n"
                 "Sub-command: `epilepsyfm tokenizer encode --help` writes the codes of a store's windows.");
  add_learning_options(args);
  args.epilog(
      "Example: epilepsyfm tokenizer --config configs/tokenizer/tiny.yaml --store stores/shared --out "
      "runs/tok_tiny\nData parallel: epilepsyfm launch --nproc 2 -- tokenizer ... (docs/distributed.md)");
  if (!args.parse(argc, argv)) return 0;

  auto exp = load_experiment<train::TokenizerExperiment>(args, learning_config_sources(args));
  if (init_logging_or_dump(args, exp)) return 0;

  train::Session session = train::start_session(exp.run);
  train::TrainingData data = train::open_training_data(exp.data);
  train::TokenizerTask task(exp.tokenizer.to_options());
  task.tokenizer()->to(session.device);
  train::check_model_fits(*task.tokenizer()->encoder, data);
  const std::string config_yaml = config::to_yaml(exp);
  train::open_run(session, run_dir_mode(args), config_yaml);
  const auto& q = task.tokenizer()->options().vq();
  EFM_LOG_INFO("[tokenizer] encoder {} ({} parameters), codebook {} x {}, decoder depth {}; {} parameters in total",
               exp.tokenizer.encoder.size, models::count_parameters(*task.tokenizer()->encoder), q.n_codes(),
               q.code_dim(), exp.tokenizer.decoder_depth, models::count_parameters(*task.tokenizer()));

  const train::TrainResult result =
      train::fit(session, exp.run, exp.train, config_yaml, task, data.source, data.index, fit_flags(args));

  if (session.is_main()) {
    const fs::path out = session.run_dir / train::kTokenizerFile;
    models::save_state_dict(*task.tokenizer(), out, config_yaml);
    EFM_LOG_INFO(
        "[tokenizer] done: {} steps; last interval: loss {} (amplitude {}, phase {}, commitment {}), codebook usage "
        "{}, perplexity {} of {} codes; weights {}",
        result.steps, last_metric_text(result, "train/loss"), last_metric_text(result, "train/amplitude_loss"),
        last_metric_text(result, "train/phase_loss"), last_metric_text(result, "train/commitment_loss"),
        last_metric_text(result, "train/codebook_usage", "{:.3f}"),
        last_metric_text(result, "train/codebook_perplexity", "{:.1f}"), q.n_codes(), out.string());
  }
  return 0;
}

namespace {

// epilepsyfm tokenizer encode: one CSV row per window with its codes in token order (channel-major).
int run_tokenizer_encode(int argc, char** argv) {
  ArgParser args("epilepsyfm tokenizer encode --tokenizer TOK_RUN --store STORE --out CODES.csv",
                 "Write the code id of every token of a store's windows, as the tokenizer labels them for "
                 "pretraining. One row per window: recording_id, start_sample, label, n_channels, n_patches, codes "
                 "(space-separated, channel-major: token c*n_patches + t is channel c, second t). Prints codebook "
                 "usage, perplexity and the most frequent code's share.");
  args.option("tokenizer", "TOK_RUN", "tokenizer run directory, checkpoint directory or tokenizer.pt");
  args.option("store", "STORE", "the store to encode");
  args.option("out", "FILE", "output CSV (written atomically)");
  args.option("window-s", "S", "window length in seconds (default: the tokenizer run's data.window_s)");
  args.option("stride-s", "S", "window stride in seconds (default: the window length)");
  args.option("batch-size", "N", "windows per forward pass", "32");
  args.option("threads", "N", "LibTorch threads, 0 = all cores", "0");
  args.flag("allow-preprocessing-mismatch", "encode a store preprocessed differently from the tokenizer's");
  add_log_option(args);
  if (!parse_and_init_logging(args, argc, argv)) return 0;
  for (const char* required : {"tokenizer", "store", "out"}) {
    if (!args.has(required)) throw ConfigError(fmt::format("tokenizer encode: --{} is required", required));
  }
  models::configure_threads(static_cast<int>(parse_int(args.get("threads"), "--threads")));
  train::LoadedTokenizer tok = train::load_tokenizer(args.get("tokenizer"));
  tok.tokenizer->eval();
  tok.tokenizer->quantizer->set_update(false);
  tok.tokenizer->quantizer->reset_usage();

  train::DataConfig dc = tok.experiment.data;
  dc.store = args.get("store");
  if (args.has("window-s")) dc.window_s = parse_double(args.get("window-s"), "--window-s");
  dc.stride_s = args.has("stride-s") ? parse_double(args.get("stride-s"), "--stride-s") : dc.window_s;
  dc.labels.clear();
  dc.drop_rejected = false;
  dc.allow_preprocessing_mismatch = args.flag_set("allow-preprocessing-mismatch");
  train::TrainingData data = train::open_training_data(dc);
  train::check_model_fits(*tok.tokenizer->encoder, data);

  data::SamplerOptions so;
  so.batch_size = parse_int(args.get("batch-size"), "--batch-size");
  so.shuffle = false;
  so.tail = data::TailPolicy::keep;
  data::Loader loader(data.source, data::BatchSampler(data.index, so), data::LoaderOptions().workers(1).epochs(1));
  const auto& labels = data.source->label_names();
  std::string csv = csv_line({"recording_id", "start_sample", "label", "n_channels", "n_patches", "codes"});
  int64_t windows = 0;
  while (auto batch = loader.next()) {
    const torch::Tensor codes = tok.tokenizer->encode(train::eeg_input(*batch)).to(torch::kCPU).contiguous();
    const int64_t c = batch->signal.size(1), n = codes.size(1);
    for (int64_t i = 0; i < batch->size(); ++i) {
      const int64_t* p = codes.data_ptr<int64_t>() + i * n;
      const int64_t label = batch->labels.defined() ? batch->labels[i].item<int64_t>() : -1;
      csv += csv_line({batch->recording_ids[static_cast<size_t>(i)],
                       std::to_string(batch->start_samples[static_cast<size_t>(i)]),
                       label >= 0 ? labels[static_cast<size_t>(label)] : "", std::to_string(c), std::to_string(n / c),
                       fmt::format("{}", fmt::join(p, p + n, " "))});
    }
    windows += batch->size();
  }
  atomic_write_file(args.get("out"), csv);
  const auto& q = *tok.tokenizer->quantizer;
  const torch::Tensor counts = q.usage_counts();
  const double tokens = counts.sum().item<double>();
  std::printf(
      "[encode] %lld windows, %.0f tokens -> %s\n[encode] codebook usage %.4f (%lld of %lld codes), "
      "perplexity %.1f, most frequent code %lld (%.4f of tokens)\n",
      static_cast<long long>(windows), tokens, args.get("out").c_str(), q.usage(),
      static_cast<long long>((counts > 0).sum().item<int64_t>()), static_cast<long long>(counts.size(0)),
      q.perplexity(), static_cast<long long>(counts.argmax().item<int64_t>()),
      counts.max().item<double>() / std::max(tokens, 1.0));
  return 0;
}

}  // namespace

}  // namespace efm::cli
