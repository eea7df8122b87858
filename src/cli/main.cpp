// epilepsyfm: one command, one verb per task. The verb table lists only verbs that work.
// This file builds two executables (see src/cli/CMakeLists.txt and exec_torch.h): the torch-free front binary
// `epilepsyfm`, which runs the verbs marked torch = false itself and execs `epilepsyfm-torch` for the others, and
// `epilepsyfm-torch`, which runs them all.
#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "cli/exec_torch.h"
#include "cli/verbs.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/version.h"

namespace {

struct Verb {
  const char* name;
  int (*run)(int argc, char** argv);  ///< nullptr in the front binary for torch verbs
  bool torch;                         ///< needs LibTorch: the front binary execs epilepsyfm-torch
  const char* summary;
};

// Torch verbs are not linked into the front binary.
#ifdef EFM_CLI_FRONT
#define EFM_TORCH_VERB(fn) nullptr
#else
#define EFM_TORCH_VERB(fn) fn
#endif

// In pipeline order.
constexpr Verb kVerbs[] = {
    {"simulate", efm::cli::run_simulate, false,
     "synthetic epileptic EEG cohort (neural-mass model) as EDF+ with seizure labels"},
    {"ingest", efm::cli::run_ingest, false, "preprocess recordings and labels into a sharded HDF5 store"},
    {"inspect", efm::cli::run_inspect, false,
     "summarise a store (recordings, channels, hours, labels, readers), a model size or trained weights"},
    {"tokenizer", EFM_TORCH_VERB(efm::cli::run_tokenizer), true,
     "train the VQ neural tokenizer on a store; `tokenizer encode` writes the codes of a store's windows"},
    {"pretrain", EFM_TORCH_VERB(efm::cli::run_pretrain), true,
     "masked EEG pretraining against a frozen tokenizer's codes (random, channel-set or region masks)"},
    {"finetune", EFM_TORCH_VERB(efm::cli::run_finetune), true,
     "fine-tune a task head (seizure detection/type, forecasting, ASM, RFTC) with model selection and report"},
    {"evaluate", EFM_TORCH_VERB(efm::cli::run_evaluate), true,
     "re-score a finetune run (test split or another store), rewrite report.html"},
    {"predict", EFM_TORCH_VERB(efm::cli::run_predict), true,
     "stream a recording through a seizure detector: per-second P, events, EDF+"},
    {"embed", EFM_TORCH_VERB(efm::cli::run_embed), true,
     "per-window embeddings of a store or a recording (and a window classifier's logits) as HDF5"},
    {"import", EFM_TORCH_VERB(efm::cli::run_import), true,
     "LaBraM / braindecode Labram weights -> a run for finetune --init; LaBraM's VQ-NSP -> a tokenizer run "
     "(config inferred, every tensor checked)"},
    {"export", EFM_TORCH_VERB(efm::cli::run_export), true,
     "a run's backbone (+ linear head) as a braindecode Labram state dict, with its constructor arguments"},
    {"report", efm::cli::run_report, false,
     "one HTML page over a pipeline's runs (tokenizer, pretraining, each task's test metrics)"},
    {"launch", efm::cli::run_launch, false, "run N data-parallel processes of a verb on this machine"},
    {"version", EFM_TORCH_VERB(efm::cli::run_version), true, "print versions, BLAS, threads and CUDA availability"},
};

void print_usage(std::FILE* to) {
  std::string out =
      "usage: epilepsyfm <verb> [options]   (epilepsyfm <verb> --help for the verb's options)\n\nverbs:\n";
  for (const auto& v : kVerbs) out += fmt::format("  {:<12} {}\n", v.name, v.summary);
  out += "\nexit codes: 0 ok, 1 runtime failure, 2 usage or configuration error, 128+N interrupted by signal N\n";
  std::fputs(out.c_str(), to);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string verb = argv[1];
  if (verb == "--help" || verb == "-h" || verb == "help") {
    print_usage(stdout);
    return 0;
  }
  if (verb == "--version") {
    std::printf("%s\n", efm::tool_version().c_str());
    return 0;
  }
  for (const auto& v : kVerbs) {
    if (verb != v.name) continue;
    return efm::run_guarded([&] {
      if (v.run == nullptr) efm::cli::exec_torch_binary(argc - 1, argv + 1);
      return v.run(argc - 1, argv + 1);
    });
  }
  std::fprintf(stderr, "epilepsyfm: unknown verb '%s'\n\n", verb.c_str());
  print_usage(stderr);
  return 2;
}
