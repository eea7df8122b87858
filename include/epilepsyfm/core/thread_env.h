#pragma once
/// Thread-runtime environment of the LibTorch binaries.
///
/// LibTorch's intra-op pool is GNU OpenMP. epilepsyfm's Linear layers run their products through oneDNN on
/// that same pool (models/detail/gemm_linear.h); LibTorch's remaining products run on OpenBLAS's own pthreads
/// (libopenblas0-pthread). Idle workers of both pools wait before they sleep, and how long matters on a machine with
/// as many threads as cores:
/// - libgomp: a worker that has finished a parallel region spins GOMP_SPINCOUNT iterations (libgomp's default
///   300000, ~3 ms; 0 with OMP_WAIT_POLICY=PASSIVE) before it sleeps in the kernel. epilepsyfm sets
///   GOMP_SPINCOUNT=20000 (~0.2 ms): long enough to bridge the gaps between the step's consecutive operations without
///   a kernel wake-up (on a VM each one costs tens of microseconds), short enough not to hold a core through a long
///   OpenBLAS product. Base pre-training step on the 2-core reference machine (bench/train_step, oneDNN products,
///   median of 8 steps per run): 0.74 / 0.77 / 0.74 s with OMP_WAIT_POLICY=PASSIVE against 0.65 / 0.63 / 0.62 s
///   with ACTIVE (alternating runs); in a second alternating series 0.59 / 0.60 s with GOMP_SPINCOUNT=20000,
///   0.58 / 0.65 s with libgomp's default spin and 0.62 / 0.59 s with ACTIVE. When the products ran on OpenBLAS
///   (EPILEPSYFM_GEMM=blas) PASSIVE was the better choice: 1.03 s against 2.47 s with libgomp's default spin and
///   1.41 s with GOMP_SPINCOUNT=1000, because spinning OpenMP workers then take the cores from OpenBLAS's threads.
/// - OpenBLAS's thread timeout (2^28 cycles by default, ~0.1 s): its workers keep polling (sched_yield) after each
///   product, during the LibTorch operations that follow. With OPENBLAS_THREAD_TIMEOUT=16 (2^16 cycles, ~25 us) the
///   system CPU time of a 4-step base pre-training bench run fell from 4.5-5.7 s to 1.7-1.8 s (three alternating
///   runs each); the step time did not change beyond this shared machine's run-to-run noise (1.09-1.41 s against
///   1.23-1.31 s). It frees the cores for other work on a shared node.
/// Both libraries read their variable once, when they are loaded, so it must be in the environment before the
/// process starts: the front `epilepsyfm` puts the defaults there before it execs `epilepsyfm-torch`, and binaries
/// started directly re-exec themselves once (reexec_with_thread_env). A value the user set is always kept, and
/// GOMP_SPINCOUNT is not defaulted when the user set OMP_WAIT_POLICY (libgomp lets GOMP_SPINCOUNT override the
/// policy). OMP_WAIT_POLICY=PASSIVE, or GOMP_SPINCOUNT=300000 with OPENBLAS_THREAD_TIMEOUT=28, give the other
/// behaviours back.
#include <string>
#include <vector>

namespace efm {

/// The variables and the values epilepsyfm uses when they are unset (GOMP_SPINCOUNT only when OMP_WAIT_POLICY is
/// unset too; OMP_WAIT_POLICY itself is never set by epilepsyfm, only reported).
inline constexpr const char* kOmpWaitPolicyVar = "OMP_WAIT_POLICY";
inline constexpr const char* kGompSpinCountVar = "GOMP_SPINCOUNT";
inline constexpr const char* kGompSpinCountDefault = "20000";
inline constexpr const char* kOpenblasThreadTimeoutVar = "OPENBLAS_THREAD_TIMEOUT";
inline constexpr const char* kOpenblasThreadTimeoutDefault = "16";
/// Comma-separated names of the variables that epilepsyfm (not the user) set; children see it too.
inline constexpr const char* kThreadEnvMarkerVar = "EPILEPSYFM_THREAD_ENV_DEFAULTED";

struct ThreadEnvVar {
  std::string name;
  std::string value;               ///< "" when unset
  bool set_by_epilepsyfm = false;  ///< our default, not the caller's value
};

/// The thread variables (OMP_WAIT_POLICY, GOMP_SPINCOUNT, OPENBLAS_THREAD_TIMEOUT) as this process sees them.
std::vector<ThreadEnvVar> current_thread_env();
/// One line for `version` and the benchmarks, e.g.
/// "OMP_WAIT_POLICY unset (library default), GOMP_SPINCOUNT=20000 (epilepsyfm default), OPENBLAS_THREAD_TIMEOUT=4
/// (yours)".
std::string thread_env_summary();

/// Sets each thread variable that is unset to epilepsyfm's default (GOMP_SPINCOUNT only if OMP_WAIT_POLICY is unset
/// too) and records it in the marker. Returns true if it
/// set any. Only affects processes started afterwards (exec/fork) and libraries not yet loaded.
bool set_default_thread_env();

/// For binaries that link LibTorch (libgomp and OpenBLAS are already loaded when main runs): if
/// set_default_thread_env() changed the environment, replaces this process by a fresh start of the same executable
/// with the same arguments, so that the libraries see the settings. Returns normally when nothing had to change or
/// when the re-exec failed (the program then runs with the libraries' defaults; a warning goes to stderr).
void reexec_with_thread_env(int argc, char** argv);

}  // namespace efm
