// epilepsyfm export: a run's backbone (and linear head) as a braindecode Labram state dict (interop/export.h).
#include <fmt/format.h>

#include "cli/args.h"
#include "cli/common.h"
#include "cli/verbs.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/interop/export.h"

namespace efm::cli {

int run_export(int argc, char** argv) {
  ArgParser args("epilepsyfm export --format braindecode MODEL OUT.pt [--n-times N] [--channel-as OURS=THEIRS]...",
                 "Write a run's backbone, and a fine-tuned window classifier's linear head, as a state dict that "
                 "braindecode's Labram loads with load_state_dict(strict=True); OUT.json beside it holds the "
                 "constructor arguments and the channel names for its forward (docs/interop.md).");
  add_log_option(args);
  args.positional("model", "a run directory (a fine-tuning run: its best checkpoint), checkpoint or weights file");
  args.positional("out", "the .pt file to write");
  args.option("format", "NAME", "braindecode (the only one)");
  args.option("n-times", "N", "samples per window (default: a fine-tuning run's window)");
  args.multi("channel-as", "OURS=THEIRS", "give channel OURS braindecode's row of electrode THEIRS, e.g. EEG=CZ");
  if (!parse_and_init_logging(args, argc, argv)) return 0;
  const std::string format = args.has("format") ? args.get("format") : "braindecode";
  EFM_CHECK_CONFIG(format == "braindecode", "--format: allowed values are 'braindecode', but got '{}'", format);
  interop::ExportOptions o;
  o.model = args.get("model");
  o.out = args.get("out");
  if (args.has("n-times")) o.n_times = parse_int(args.get("n-times"), "--n-times");
  for (const std::string& pair : args.get_all("channel-as")) {
    const size_t eq = pair.find('=');
    EFM_CHECK_CONFIG(eq != std::string::npos && eq > 0 && eq + 1 < pair.size(),
                     "--channel-as: expected OURS=THEIRS (e.g. EEG=CZ), got '{}'", pair);
    o.channel_as.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
  }
  const interop::ExportResult r = interop::export_braindecode(o);
  std::fputs(fmt::format("{} and {}\n", r.weights.string(), r.json.string()).c_str(), stdout);
  return 0;
}

}  // namespace efm::cli
