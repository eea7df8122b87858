#pragma once
/// Thread-runtime environment of the LibTorch binaries.
///
/// LibTorch's intra-op pool is GNU OpenMP, while matrix products run on OpenBLAS's own pthreads
/// (libopenblas0-pthread). With libgomp's default wait policy, idle OpenMP workers spin for a while after each
/// parallel region; during the OpenBLAS call that follows they compete with its threads for the same cores. On the
/// 2-core reference machine this more than doubled the base pre-training step (bench/train_step: 2.47 s with the
/// default, 1.03 s with OMP_WAIT_POLICY=PASSIVE, same run, same binary). libgomp reads the variable once, when it is
/// loaded, so it must be in the environment before the process starts: the front `epilepsyfm` puts it there before
/// it execs `epilepsyfm-torch`, and binaries started directly re-exec themselves once (reexec_with_thread_env).
/// A value the user set is always kept (set OMP_WAIT_POLICY=ACTIVE to get libgomp's default behaviour back).
#include <string>

namespace efm {

/// The variable and the value epilepsyfm uses when it is unset.
inline constexpr const char* kOmpWaitPolicyVar = "OMP_WAIT_POLICY";
inline constexpr const char* kOmpWaitPolicyDefault = "PASSIVE";
/// Set to "1" next to OMP_WAIT_POLICY when epilepsyfm (not the user) chose the value; children see it too.
inline constexpr const char* kThreadEnvMarkerVar = "EPILEPSYFM_OMP_WAIT_POLICY_DEFAULTED";

/// OMP_WAIT_POLICY as this process sees it ("" when unset), and whether epilepsyfm set it.
struct ThreadEnv {
  std::string omp_wait_policy;
  bool set_by_epilepsyfm = false;
};
ThreadEnv current_thread_env();

/// Sets OMP_WAIT_POLICY=PASSIVE (and the marker) in this process's environment unless OMP_WAIT_POLICY is already set
/// (to anything). Returns true if it set it. Only affects processes started afterwards (exec/fork) and an OpenMP
/// runtime not yet loaded.
bool set_default_thread_env();

/// For binaries that link LibTorch (libgomp is already loaded when main runs): if set_default_thread_env() changed
/// the environment, replaces this process by a fresh start of the same executable with the same arguments, so that
/// libgomp sees the setting. Returns normally when nothing had to change or when the re-exec failed (the program
/// then runs with the default policy; a warning goes to stderr).
void reexec_with_thread_env(int argc, char** argv);

}  // namespace efm
