#include <fmt/format.h>

#include <cstdio>

#include "cli/args.h"
#include "cli/common.h"
#include "cli/verbs.h"
#include "epilepsyfm/core/threads.h"
#include "epilepsyfm/core/version.h"
#include "epilepsyfm/io/reader.h"
#include "epilepsyfm/io/store.h"
#include "epilepsyfm/models/runtime.h"

namespace efm::cli {

int run_version(int argc, char** argv) {
  ArgParser args("epilepsyfm version [--threads N]",
                 "Print the versions of epilepsyfm and its libraries, the LibTorch actually linked (its BLAS, oneDNN "
                 "and CUDA), the thread count and the visible GPUs.");
  args.option("threads", "N", "LibTorch intra-op threads to configure (0 = all available cores)", "0");
  add_log_option(args);
  if (!parse_and_init_logging(args, argc, argv)) return 0;

  const int threads = models::configure_threads(std::stoi(args.get("threads")));
  const auto torch_info = models::torch_build_info();
  std::string out;
  out += fmt::format("epilepsyfm      {}\n", version());
  out += fmt::format("git revision    {}\n", git_revision());
  out += fmt::format("LibTorch        {} ({})\n", torch_info.version, models::torch_library_path());
  out += fmt::format("BLAS            {}\n", torch_info.blas.empty() ? "unknown" : torch_info.blas);
  out += fmt::format("oneDNN          {}\n", torch_info.onednn.empty() ? "not built in" : torch_info.onednn);
  out += fmt::format("CPU kernels     {}\n", torch_info.cpu_capability.empty() ? "unknown" : torch_info.cpu_capability);
  out += fmt::format("threads         {} (LibTorch intra-op), {} cores available\n", threads, available_cores());
  out += fmt::format("attention       {}\n", models::attention_implementation());
  out += fmt::format("CUDA            {}\n", models::cuda_summary(torch_info));
  out += fmt::format("readers         {}{}\n", io::reader_library_versions(),
                     io::biosig_available() ? "" : " (BioSig not built in: -DEFM_WITH_BIOSIG=ON enables it)");
  out += fmt::format("store           {}\n", io::hdf5_library_version());
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace efm::cli
