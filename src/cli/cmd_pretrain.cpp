// epilepsyfm pretrain: masked EEG modelling (LaBraM MEM, EpilepsyFM region masking) against the codes of a frozen
// tokenizer. Works under `epilepsyfm launch` (data parallel).
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "cli/args.h"
#include "cli/common.h"
#include "cli/learning.h"
#include "cli/verbs.h"
#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/models/checkpoint_io.h"
#include "epilepsyfm/train/learning_tasks.h"
#include "epilepsyfm/train/model_files.h"
#include "epilepsyfm/train/trainer.h"

namespace efm::cli {
namespace fs = std::filesystem;

namespace {

// The tokenizer was trained on one preprocessing; its codes only mean something for data preprocessed the same way.
void check_tokenizer_preprocessing(const train::LoadedTokenizer& tok, const train::PretrainExperiment& exp) {
  config::PreprocessingCheck check;
  check.learnt = fmt::format("the tokenizer {} was trained on", tok.file.description);
  check.data = fmt::format("the store {} holds", exp.data.store);
  check.allow_key = "data.allow_preprocessing_mismatch";
  check.allowed = exp.data.allow_preprocessing_mismatch;
  check.remedy =
      "its codes would not describe this data. Re-ingest the store with the tokenizer's preprocessing or train a "
      "tokenizer on this store";
  check.log_tag = "[pretrain]";
  check.origin = "the tokenizer " + tok.file.description;
  config::check_preprocessing(tok.experiment.data.preprocessing, *exp.data.preprocessing, check);
}

}  // namespace

int run_pretrain(int argc, char** argv) {
  ArgParser args("epilepsyfm pretrain --config FILE --store STORE --tokenizer TOK_RUN --out RUN [--set KEY=VALUE]...",
                 "Masked EEG pretraining: tokens of the store's windows are masked (strategy mask.strategy: random, "
                 "channel_set or region) and the model predicts the frozen tokenizer's code of each masked token, in a "
                 "symmetric pass with the complementary mask. Writes metrics.csv (losses, masked-token accuracy, label "
                 "statistics), checkpoints and RUN/pretrained.pt.");
  add_learning_options(args);
  args.option("tokenizer", "TOK_RUN",
              "tokenizer run, checkpoint directory or tokenizer.pt (sets tokenizer.checkpoint)");
  args.epilog(
      "Example: epilepsyfm pretrain --config configs/pretrain/tiny.yaml --config configs/pretrain/mask_random.yaml "
      "--store stores/shared --tokenizer runs/tok_tiny --out runs/pt_tiny\nData parallel: epilepsyfm launch "
      "--nproc 2 -- pretrain ... (docs/distributed.md)");
  if (!args.parse(argc, argv)) return 0;

  auto exp = load_experiment<train::PretrainExperiment>(args, learning_config_sources(args));
  set_from_option(args, "tokenizer", exp.tokenizer.checkpoint);
  if (init_logging_or_dump(args, exp)) return 0;
  if (exp.tokenizer.checkpoint.empty()) {
    throw ConfigError("no tokenizer: give --tokenizer TOK_RUN (or tokenizer.checkpoint in the config)");
  }

  train::Session session = train::start_session(exp.run);
  train::TrainingData data = train::open_training_data(exp.data);
  train::LoadedTokenizer tok = train::load_tokenizer(exp.tokenizer.checkpoint);
  check_tokenizer_preprocessing(tok, exp);
  tok.tokenizer->to(session.device);
  train::check_model_fits(*tok.tokenizer->encoder, data);

  train::PretrainTaskOptions po{
      models::MaskedEegModelOptions(exp.model.to_options()).codebook_size(tok.tokenizer->options().vq().n_codes()),
      exp.mask.to_options(), static_cast<uint64_t>(exp.run.seed)};
  train::PretrainTask task(po, tok.tokenizer);
  task.masked_model()->to(session.device);
  train::check_model_fits(*task.masked_model()->backbone, data);
  const std::string config_yaml = config::to_yaml(exp);
  train::open_run(session, run_dir_mode(args), config_yaml);
  EFM_LOG_INFO(
      "[pretrain] model {} ({} parameters: backbone {}, lm_head {} classes); mask {} ratio {}; labels from "
      "{} ({} codes, chance accuracy {:.2e})",
      exp.model.size, models::count_parameters(*task.masked_model()),
      models::count_parameters(*task.masked_model()->backbone), po.model.codebook_size(), exp.mask.strategy,
      exp.mask.ratio, tok.file.description, po.model.codebook_size(),
      1.0 / static_cast<double>(po.model.codebook_size()));

  const train::TrainResult result =
      train::fit(session, exp.run, exp.train, config_yaml, task, data.source, data.index, fit_flags(args));

  if (session.is_main()) {
    const fs::path out = session.run_dir / train::kPretrainedFile;
    models::save_state_dict(*task.masked_model(), out, config_yaml);
    auto metric = [&](const char* name) { return last_metric_text(result, name); };
    EFM_LOG_INFO(
        "[pretrain] done: {} steps; last interval: loss {}, masked-token accuracy {} (symmetric pass {}), "
        "most frequent label {} of tokens, chance {:.2e}; weights {}",
        result.steps, metric("train/loss"), metric("train/accuracy"), metric("train/accuracy_symmetric"),
        metric("train/label_majority_frac"), 1.0 / static_cast<double>(po.model.codebook_size()), out.string());
  }
  return 0;
}

}  // namespace efm::cli
