// epilepsyfm ingest: recordings -> HDF5 store (data/ingest.h, docs/store.md).
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#ifdef __GLIBC__  // defined by the C library headers above
#include <malloc.h>
#endif

#include "cli/args.h"
#include "cli/common.h"
#include "cli/verbs.h"
#include "epilepsyfm/config/ingest.h"
#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/data/ingest.h"

namespace efm::cli {
namespace fs = std::filesystem;

int run_ingest(int argc, char** argv) {
  ArgParser args("epilepsyfm ingest --config FILE [--input DIR_OR_GLOB]... [--labels FILE_OR_DIR]... --out STORE",
                 "Preprocess EDF/BDF/... recordings into a sharded HDF5 store with labels and window tables "
                 "(schema: docs/store.md). Re-running on the same store skips recordings already ingested with "
                 "the same settings and appends new ones.");
  add_config_options(args);
  args.multi("input", "DIR_OR_GLOB", "recordings: a folder (recursive), a file or a glob; replaces ingest.input.paths");
  args.multi("labels", "FILE_OR_DIR", "a label file or folder (format detected); adds to ingest.labels.sources");
  args.option("out", "STORE", "the store directory (sets run.out)");
  args.option("workers", "N", "files processed in parallel, 0 = all cores (sets ingest.workers)");
  args.flag("keep-going", "exit code 0 even if some files failed (they are still listed)");
  args.flag("overwrite", "delete the store at --out first (only if it is an epilepsyfm store)");
  args.flag("no-progress", "no progress bar");
  args.epilog(
      "Exit codes: 0 all files ingested or skipped; 1 some file or label file failed (unless --keep-going); 2 bad "
      "configuration or usage.\nExample: epilepsyfm ingest --config configs/ingest/chbmit.yaml --input "
      "/data/chbmit --out stores/chbmit");
  if (!args.parse(argc, argv)) return 0;

  auto exp = load_experiment<config::IngestExperiment>(args, config_sources(args));
  if (args.has("input")) exp.ingest.input.paths = args.get_all("input");
  for (const auto& l : args.get_all("labels")) exp.ingest.labels.sources.push_back({"auto", {l}});
  if (args.has("workers")) {
    exp.ingest.workers = parse_int(args.get("workers"), "--workers");
    if (exp.ingest.workers < 0) throw ConfigError("--workers: must be >= 0");
  }
  if (args.flag_set("keep-going")) exp.ingest.keep_going = true;
  init_logging(args, exp.run.log_level);
  data::resolve_ingest_config(exp.ingest);
  if (dump_config(args, exp)) return 0;
  if (exp.run.out.empty()) throw ConfigError("no store directory: give --out STORE (or run.out in the config)");
  const fs::path store = exp.run.out;
  if (args.flag_set("overwrite") && fs::exists(store)) {
    const bool is_store = fs::exists(store / "manifest.csv") || fs::exists(store / "config.yaml");
    if (!is_store && !fs::is_empty(store)) {
      throw ConfigError(
          fmt::format("--overwrite: {} is not an epilepsyfm store (no manifest.csv); refusing to "
                      "delete it",
                      store.string()));
    }
    EFM_LOG_WARN("[ingest] --overwrite: deleting the store {}", store.string());
    fs::remove_all(store);
  }
  fs::create_directories(store);
  log::add_file_sink(store / "ingest.log");

#ifdef __GLIBC__
  // Ingest allocates and frees blocks of 0.1-1 MB per chunk on several threads. glibc's defaults serve them with
  // fresh mmaps or give the top of the heap back to the kernel between chunks, so every chunk faults in and zeroes
  // new pages (about a third of the page faults of a 1-h ingest); keeping freed blocks for reuse avoids that. Peak
  // RSS stays bounded by the blocks alive at once (bench/ingest: +3 MB).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
  data::IngestHooks hooks;
  hooks.show_progress = !args.flag_set("no-progress");
  const data::IngestSummary summary = data::run_ingest(exp.ingest, store, hooks);
  std::fputs(data::format_summary(summary).c_str(), stdout);
  std::fflush(stdout);
  if (summary.any_failed() && !exp.ingest.keep_going) {
    EFM_LOG_ERROR("[ingest] {} file(s) and {} label file(s) failed (see above); exit code 1 (--keep-going: 0)",
                  summary.n_failed, summary.n_label_files_failed);
    return 1;
  }
  return 0;
}

}  // namespace efm::cli
