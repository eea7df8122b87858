#pragma once
// The front binary `epilepsyfm` does not link LibTorch: starting it costs milliseconds instead of the ~1 s of CPU
// and ~170 MB that loading LibTorch takes, which matters for ingest, inspect and the many short CLI calls of
// scripts. Verbs that need torch are run by `epilepsyfm-torch`, installed beside it, which the front binary execs
// with the same arguments (so exit codes, signals and output are the torch binary's own).
namespace efm::cli {

/// True in the torch-free front binary (compiled with EFM_CLI_FRONT).
constexpr bool kFrontBinary =
#ifdef EFM_CLI_FRONT
    true;
#else
    false;
#endif

/// Replaces this process with `epilepsyfm-torch <verb> <args...>` (argv[0] is the verb). The torch binary is looked
/// up beside /proc/self/exe, or taken from $EPILEPSYFM_TORCH_BINARY. Throws efm::Error when it cannot be started.
[[noreturn]] void exec_torch_binary(int argc, char** argv);

}  // namespace efm::cli
