// epilepsyfm: one binary, one verb per task. The verb table lists only verbs that work.
#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "cli/verbs.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/version.h"

namespace {

struct Verb {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* summary;
};

constexpr Verb kVerbs[] = {
    {"ingest", efm::cli::run_ingest, "preprocess recordings and labels into a sharded HDF5 store"},
    {"inspect", efm::cli::run_inspect, "summarise a store (recordings, channels, hours, labels, readers)"},
    {"simulate", efm::cli::run_simulate,
     "synthetic epileptic EEG cohort (neural-mass model) as EDF+ with seizure labels"},
    {"finetune", efm::cli::run_finetune,
     "fine-tune a task head (seizure detection/type, forecasting, ASM, RFTC) with model selection and report"},
    {"evaluate", efm::cli::run_evaluate, "re-score a finetune run (test split or another store), rewrite report.html"},
    {"predict", efm::cli::run_predict, "stream a recording through a seizure detector: per-second P, events, EDF+"},
    {"version", efm::cli::run_version, "print versions, BLAS, threads and CUDA availability"},
    {"launch", efm::cli::run_launch, "run N data-parallel processes of a verb on this machine"},
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
    try {
      return v.run(argc - 1, argv + 1);
    } catch (const efm::Interrupted& e) {
      EFM_LOG_WARN("{}", e.what());
      efm::log::flush();
      return 128 + e.signal_number();
    } catch (const efm::ConfigError& e) {
      EFM_LOG_ERROR("{}", e.what());
      efm::log::flush();
      return 2;
    } catch (const efm::ArgumentError& e) {
      EFM_LOG_ERROR("{}", e.what());
      efm::log::flush();
      return 2;
    } catch (const std::exception& e) {
      EFM_LOG_ERROR("{}", e.what());
      efm::log::flush();
      return 1;
    }
  }
  std::fprintf(stderr, "epilepsyfm: unknown verb '%s'\n\n", verb.c_str());
  print_usage(stderr);
  return 2;
}
