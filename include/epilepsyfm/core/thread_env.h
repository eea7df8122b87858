#pragma once
/// Thread-runtime environment of the LibTorch binaries.
///
/// LibTorch's intra-op pool is GNU OpenMP, while matrix products run on OpenBLAS's own pthreads
/// (libopenblas0-pthread). Both pools let idle workers spin before they sleep, and on a machine with as many threads
/// as cores a spinning worker of one pool takes a core from the working threads of the other:
/// - libgomp's default wait policy: OpenMP workers spin after each parallel region, during the OpenBLAS call that
///   follows. On the 2-core reference machine this more than doubled the base pre-training step (bench/train_step:
///   2.47 s with the default, 1.03 s with OMP_WAIT_POLICY=PASSIVE, same run, same binary).
/// - OpenBLAS's thread timeout (2^28 cycles by default, ~0.1 s): its workers keep polling (sched_yield) after each
///   product, during the LibTorch operations that follow. With OPENBLAS_THREAD_TIMEOUT=16 (2^16 cycles, ~25 us) the
///   system CPU time of a 4-step base pre-training bench run fell from 4.5-5.7 s to 1.7-1.8 s (three alternating
///   runs each); the step time did not change beyond this shared machine's run-to-run noise (1.09-1.41 s against
///   1.23-1.31 s). It frees the cores for other work on a shared node.
/// Both libraries read their variable once, when they are loaded, so it must be in the environment before the
/// process starts: the front `epilepsyfm` puts the defaults there before it execs `epilepsyfm-torch`, and binaries
/// started directly re-exec themselves once (reexec_with_thread_env). A value the user set is always kept (e.g.
/// OMP_WAIT_POLICY=ACTIVE and OPENBLAS_THREAD_TIMEOUT=28 give the libraries' own behaviour back).
#include <string>
#include <vector>

namespace efm {

/// The variables and the values epilepsyfm uses when they are unset.
inline constexpr const char* kOmpWaitPolicyVar = "OMP_WAIT_POLICY";
inline constexpr const char* kOmpWaitPolicyDefault = "PASSIVE";
inline constexpr const char* kOpenblasThreadTimeoutVar = "OPENBLAS_THREAD_TIMEOUT";
inline constexpr const char* kOpenblasThreadTimeoutDefault = "16";
/// Comma-separated names of the variables that epilepsyfm (not the user) set; children see it too.
inline constexpr const char* kThreadEnvMarkerVar = "EPILEPSYFM_THREAD_ENV_DEFAULTED";

struct ThreadEnvVar {
  std::string name;
  std::string value;               ///< "" when unset
  bool set_by_epilepsyfm = false;  ///< our default, not the caller's value
};

/// The thread variables (OMP_WAIT_POLICY, OPENBLAS_THREAD_TIMEOUT) as this process sees them.
std::vector<ThreadEnvVar> current_thread_env();
/// One line for `version` and the benchmarks, e.g.
/// "OMP_WAIT_POLICY=PASSIVE (epilepsyfm default), OPENBLAS_THREAD_TIMEOUT=4 (yours)".
std::string thread_env_summary();

/// Sets each thread variable that is unset to epilepsyfm's default and records it in the marker. Returns true if it
/// set any. Only affects processes started afterwards (exec/fork) and libraries not yet loaded.
bool set_default_thread_env();

/// For binaries that link LibTorch (libgomp and OpenBLAS are already loaded when main runs): if
/// set_default_thread_env() changed the environment, replaces this process by a fresh start of the same executable
/// with the same arguments, so that the libraries see the settings. Returns normally when nothing had to change or
/// when the re-exec failed (the program then runs with the libraries' defaults; a warning goes to stderr).
void reexec_with_thread_env(int argc, char** argv);

}  // namespace efm
