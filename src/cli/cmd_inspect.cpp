// epilepsyfm inspect: human-readable summaries of the project's artefacts. Each kind of positional target is one
// inspector (a row of kInspectors): today the HDF5 store. Models and trained weights have their own options
// (--model SIZE|CONFIG, --checkpoint PATH; cli/inspect_models.h).
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "cli/args.h"
#include "cli/common.h"
#include "cli/exec_torch.h"
#include "cli/inspect_models.h"
#include "cli/verbs.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/io/store.h"

namespace efm::cli {
namespace fs = std::filesystem;

namespace {

std::string hours(double seconds) {
  return fmt::format("{:.2f}", seconds / 3600.0);
}

std::string store_overview(const io::StoreReader& r) {
  const auto& rows = r.recordings();
  std::set<std::string> subjects, shards;
  std::map<std::string, int> readers;
  std::map<std::string, int64_t> window_labels;
  double seconds = 0;
  int64_t windows = 0, seizure = 0, rejected = 0, with_dev = 0;
  for (const auto& e : rows) {
    subjects.insert(e.subject);
    shards.insert(e.shard);
    ++readers[e.reader];
    seconds += e.duration_s;
    windows += e.n_windows;
    seizure += e.n_seizure_windows;
    rejected += e.n_rejected_windows;
    with_dev += e.n_deviations > 0;
    if (e.window_labels.empty()) continue;
    const CsvTable parts = parse_csv(e.window_labels, ';', false);
    for (const auto& part : parts.rows.front()) {
      const auto eq = part.rfind('=');
      if (eq == std::string::npos) continue;
      window_labels[part.substr(0, eq)] += parse_int(part.substr(eq + 1), "window_labels");
    }
  }
  uint64_t bytes = 0;
  for (const auto& s : shards) bytes += fs::file_size(r.dir() / s);
  std::string out = fmt::format("store        {}\n", r.dir().string());
  out += fmt::format("recordings   {} ({} subjects), {} h, {} shard(s), {:.1f} MB\n", rows.size(), subjects.size(),
                     hours(seconds), shards.size(), bytes / 1e6);
  if (!rows.empty()) {
    const auto d = r.details(0);
    const auto& p = d->preprocessing;
    out += fmt::format("preprocess   {}; stored as {} uV\n", p.spec.describe(), d->dtype);
    out += fmt::format("windows      {} ({} s, stride {} s), {} seizure, {} rejected{}; min overlap {}\n", windows,
                       p.window_length_samples / p.spec.sfreq_hz, p.window_stride_samples / p.spec.sfreq_hz, seizure,
                       rejected, p.reject_abs_uv > 0 ? fmt::format(" (|x| >= {} uV)", p.reject_abs_uv) : "",
                       p.min_overlap);
    out += fmt::format("tool         {} (config {})\n", d->tool_version, rows.front().config_hash.substr(0, 12));
  }
  std::string labels;
  for (const auto& l : r.labels()) {
    const auto it = window_labels.find(l.name);
    labels += fmt::format("{}{}={}{}", labels.empty() ? "" : ", ", l.name, it == window_labels.end() ? 0 : it->second,
                          l.seizure ? " (seizure)" : "");
  }
  out += fmt::format("labels       {}\n", labels.empty() ? "none" : labels);
  std::string rd;
  for (const auto& [name, n] : readers) rd += fmt::format("{}{} {}", rd.empty() ? "" : ", ", name, n);
  out += fmt::format("readers      {}; {} recording(s) with tolerated format deviations\n", rd.empty() ? "none" : rd,
                     with_dev);
  return out;
}

std::string recordings_table(const io::StoreReader& r) {
  std::string out = fmt::format("\n{:<40} {:<14} {:<7} {:<6} {:>4} {:>8} {:>7} {:>7} {:>6} {:>4}\n", "recording",
                                "subject", "reader", "format", "ch", "hours", "windows", "seizure", "reject", "dev");
  for (const auto& e : r.recordings()) {
    out += fmt::format("{:<40} {:<14} {:<7} {:<6} {:>4} {:>8} {:>7} {:>7} {:>6} {:>4}\n", e.recording_id, e.subject,
                       e.reader, e.format, e.n_channels, hours(e.duration_s), e.n_windows, e.n_seizure_windows,
                       e.n_rejected_windows, e.n_deviations);
  }
  return out;
}

std::string recording_detail(const io::StoreReader& r, size_t index) {
  const auto& e = r.recordings()[index];
  const auto d = r.details(index);
  std::string out = fmt::format("recording    {} (subject {}{}, {})\n", e.recording_id, e.subject,
                                e.session.empty() ? "" : ", session " + e.session, e.shard);
  out += fmt::format("source       {} (sha256 {})\n", e.source_path, e.source_sha256);
  out += fmt::format("reader       {} ({})\n", e.reader, e.format);
  out += fmt::format("signal       {} channels x {} samples ({} s at {} Hz)\n", e.n_channels, e.n_samples, e.duration_s,
                     e.sfreq_hz);
  out += fmt::format("channels     {}\n", fmt::join(d->channels, " "));
  if (!d->dropped_channels.empty()) out += fmt::format("dropped      {}\n", fmt::join(d->dropped_channels, "; "));
  out += fmt::format("segments     {}\n", d->segments.size());
  out += fmt::format("labels from  {}\n",
                     d->label_sources.empty() ? "none" : fmt::format("{}", fmt::join(d->label_sources, ", ")));
  out += fmt::format("windows      {} ({})\n", e.n_windows, e.window_labels);
  out += fmt::format("events       {}\n", d->events.size());
  for (size_t i = 0; i < d->events.size() && i < 50; ++i) {
    const auto& ev = d->events[i];
    out += fmt::format("  {:>10.3f} {:>10.3f}  {}{}{}\n", ev.onset_s, ev.offset_s, ev.label,
                       i < d->event_seizure.size() && d->event_seizure[i] ? "  [seizure]" : "",
                       ev.channel.empty() ? "" : "  (" + ev.channel + ")");
  }
  if (d->events.size() > 50) out += fmt::format("  ... {} more\n", d->events.size() - 50);
  for (const auto& dv : d->deviations) out += "deviation    " + dv + "\n";
  for (const auto& w : d->warnings) out += "warning      " + w + "\n";
  return out;
}

int inspect_store(const ArgParser& args, const fs::path& dir) {
  const io::StoreReader r(dir);
  if (args.has("recording")) {
    const auto idx = r.find(args.get("recording"));
    if (!idx)
      throw ConfigError(
          fmt::format("--recording: '{}' is not in the store {}", args.get("recording"), r.dir().string()));
    std::fputs(recording_detail(r, *idx).c_str(), stdout);
    return 0;
  }
  std::string out = store_overview(r);
  if (!args.flag_set("summary")) out += recordings_table(r);
  std::fputs(out.c_str(), stdout);
  return 0;
}

struct Inspector {
  const char* what;
  bool (*matches)(const fs::path& target);
  int (*run)(const ArgParser& args, const fs::path& target);
};

bool is_store(const fs::path& p) {
  return fs::is_directory(p) && fs::exists(p / "manifest.csv");
}

constexpr Inspector kInspectors[] = {
    {"store (a directory with manifest.csv, written by `epilepsyfm ingest`)", is_store, inspect_store},
};

}  // namespace

int run_inspect(int argc, char** argv) {
  ArgParser args("epilepsyfm inspect TARGET [options] | --model SIZE|CONFIG | --checkpoint PATH",
                 "Summarise a store (recordings, channels, hours, label counts, the reader used per recording and "
                 "tolerated format deviations), a model (parameter counts per component) or trained weights.");
  args.positional("TARGET", "what to inspect: a store directory", /*required=*/false);
  args.option("model", "SIZE|CONFIG",
              "parameter counts per component of a size preset (tiny, base, large, huge) or of the models a "
              "tokenizer/pretrain config describes");
  args.option("checkpoint", "PATH",
              "a run directory, checkpoint directory or weights file (tokenizer.pt, pretrained.pt, model.pt): kind, "
              "step, preprocessing, tensors, codebook state");
  args.option("recording", "ID", "store: details of one recording (channels, events, deviations, warnings)");
  args.flag("summary", "store: the overview only, without the per-recording table");
  add_log_option(args);
  if (!parse_and_init_logging(args, argc, argv)) return 0;
  if (args.has("model") || args.has("checkpoint")) {
    if (args.has("TARGET") || (args.has("model") && args.has("checkpoint"))) {
      throw ConfigError("inspect: give one of TARGET, --model or --checkpoint");
    }
#ifdef EFM_CLI_FRONT
    exec_torch_binary(argc, argv);  // models and weights need LibTorch
#else
    const std::string text =
        args.has("model") ? describe_model(args.get("model")) : describe_checkpoint(args.get("checkpoint"));
    std::fputs(text.c_str(), stdout);
    return 0;
#endif
  }
  if (!args.has("TARGET")) throw ConfigError("inspect: nothing to inspect; give TARGET, --model or --checkpoint");
  const fs::path target = args.get("TARGET");
  if (!fs::exists(target)) throw ConfigError(fmt::format("inspect: '{}' does not exist", target.string()));
  for (const auto& ins : kInspectors) {
    if (ins.matches(target)) return ins.run(args, target);
  }
  std::string known;
  for (const auto& ins : kInspectors) known += fmt::format("\n  - {}", ins.what);
  throw ConfigError(fmt::format("inspect: don't know what '{}' is; supported:{}", target.string(), known));
}

}  // namespace efm::cli
