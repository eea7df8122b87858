// bench_train_step: training-step throughput of the base models on CPU against an independent Python PyTorch
// implementation of the same architecture (bench/reference/labram_step.py, run by the Python of the torch wheel this
// build links: the same PyTorch version on both sides), in one run.
//
//   bench_train_step [--threads 0] [--warmup 2] [--steps 5] [--repeats 2] [--batch 8] [--channels 23]
//                    [--seconds 4] [--phases matmul,kernels,tokenizer,pretrain] [--matmul-reps 20] [--no-reference]
//
// Measures (same thread count on both sides; 0 = all available cores):
//  1. sgemm GFLOP/s at 1024^2 and 2048^2 (torch mm in C++ and Python; the peak used for MFU);
//  2. the hand-written kernels of models/detail against the LibTorch built-ins (kernels.h);
//  3. tokenizer training step (base, batch 8 x 23 ch x 4 s, AdamW): windows/s;
//  4. pre-training step (base, frozen-tokenizer labels, random 50 % mask, symmetric pass, AdamW, clip 3):
//     windows/s and the ratio to the reference (target: >= 2x);
//  5. model FLOPs per step (flops.cpp) and MFU = achieved FLOP/s / measured matmul GFLOP/s.
// C++ and Python alternate `repeats` times per workload (the machine is shared, so timings are noisy); each run
// drops `warmup` steps; the figure is the median over all timed steps of a side.
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/bench_args.h"
#include "epilepsyfm/core/threads.h"
#include "epilepsyfm/models/runtime.h"
#include "flops.h"
#include "kernels.h"
#include "reference.h"
#include "steps.h"

namespace {

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

void append(std::vector<double>& to, const std::vector<double>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

struct Side {
  std::vector<double> step, forward, backward, update, labels;
  int64_t parameters = 0;
  bool ok = false;
};

void add(Side& s, const efm::bench::StepTimes& t) {
  append(s.step, t.step);
  append(s.forward, t.forward);
  append(s.backward, t.backward);
  append(s.update, t.update);
  append(s.labels, t.labels);
  s.parameters = t.parameters;
  s.ok = true;
}

bool add(Side& s, const efm::bench::ReferenceRun& r, const std::string& prefix) {
  if (!r.ok) {
    std::cout << "[bench train_step] reference " << prefix << " FAILED:\n" << r.output << "\n";
    return false;
  }
  append(s.step, r.numbers(prefix + "_step_s"));
  append(s.forward, r.numbers(prefix + "_forward_s"));
  append(s.backward, r.numbers(prefix + "_backward_s"));
  append(s.update, r.numbers(prefix + "_update_s"));
  s.parameters = static_cast<int64_t>(r.number(prefix + "_params"));
  s.ok = true;
  return true;
}

using efm::bench::flag;
using efm::bench::has_flag;
using efm::bench::median;

/// A Python reference side: its label and the environment prefix it runs with.
struct ReferenceSide {
  std::string label;
  std::string env;
  Side times;
  bool failed = false;
};

void print_workload(const std::string& name, const Side& cpp, const std::vector<ReferenceSide>& refs, int64_t batch,
                    const efm::bench::StepFlops& flops, double peak) {
  const double gflop = flops.total() / 1e9;
  std::printf("\n%s step (batch %lld), model FLOPs %.1f GFLOP/step (%.1f trained fwd x3 + %.1f frozen fwd)\n",
              name.c_str(), static_cast<long long>(batch), gflop, flops.trained_forward / 1e9,
              flops.frozen_forward / 1e9);
  std::printf("  %-28s %16s", "", "C++ epilepsyfm");
  for (size_t i = 0; i < refs.size(); ++i)
    std::printf(" %16s %8s", ("Python ref " + std::string(1, 'A' + i)).c_str(), "ratio");
  std::printf("\n");
  // One row: the C++ value, then each reference's value and `ratio(ref, cpp)`.
  auto row = [&](const char* label, double c, const std::function<double(const Side&)>& value,
                 const std::function<double(double, double)>& ratio, const char* format) {
    std::printf("  %-28s ", label);
    std::printf(format, c);
    for (const auto& r : refs) {
      const double v = r.times.ok ? value(r.times) : 0.0;
      if (v > 0.0) {
        std::printf(" ");
        std::printf(format, v);
        std::printf(" %7.2fx", ratio(v, c));
      } else {
        std::printf(" %16s %8s", "-", "-");
      }
    }
    std::printf("\n");
  };
  const auto faster_if_smaller = [](double ref, double c) { return ref / c; };
  const auto faster_if_larger = [](double ref, double c) { return c / ref; };
  const auto wps = [batch](const Side& s) {
    return s.step.empty() ? 0.0 : static_cast<double>(batch) / median(s.step);
  };
  row("windows/s", wps(cpp), wps, faster_if_larger, "%16.2f");
  const auto timing = [&](const char* label, std::vector<double> Side::*field) {
    if ((cpp.*field).empty()) return;
    row(
        label, median(cpp.*field), [field](const Side& s) { return (s.*field).empty() ? 0.0 : median(s.*field); },
        faster_if_smaller, "%16.3f");
  };
  timing("step s (median)", &Side::step);
  timing("  forward s", &Side::forward);
  timing("  backward s", &Side::backward);
  timing("  update s (VQ/clip/AdamW)", &Side::update);
  if (!cpp.labels.empty()) std::printf("  %-28s %16.3f\n", "  (of forward: labels s)", median(cpp.labels));
  const auto gflops = [gflop](const Side& s) { return s.step.empty() ? 0.0 : gflop / median(s.step); };
  row("achieved GFLOP/s", gflops(cpp), gflops, faster_if_larger, "%16.1f");
  const auto mfu = [&](const Side& s) { return 100.0 * gflops(s) / peak; };
  row("MFU % (vs best sgemm rate)", mfu(cpp), mfu, faster_if_larger, "%16.1f");
  std::printf("  %-28s %16lld", "trainable parameters", static_cast<long long>(cpp.parameters));
  for (const auto& r : refs) {
    if (!r.times.ok) continue;
    std::printf(" %16lld %8s", static_cast<long long>(r.times.parameters),
                r.times.parameters == cpp.parameters ? "(equal)" : "(DIFFER)");
  }
  std::printf("\n  timed steps: C++ %zu", cpp.step.size());
  for (size_t i = 0; i < refs.size(); ++i)
    std::printf(", Python ref %c %zu", static_cast<char>('A' + i), refs[i].times.step.size());
  std::printf("\n");
  for (size_t i = 0; i < refs.size(); ++i)
    std::printf("  Python ref %c: %s\n", static_cast<char>('A' + i), refs[i].label.c_str());
}

// The matmul phase: C++ (and, with a reference, Python) sgemm rates; returns the C++ peak, sets `py_peak`.
double matmul_phase(const efm::bench::StepBenchOptions& options, int matmul_reps, bool reference,
                    const std::string& common, double& py_peak) {
  namespace bench = efm::bench;
  double cpp_peak = 0.0;
  const auto dtype = options.bf16 ? torch::kBFloat16 : torch::kFloat;
  const double c1 = bench::matmul_gflops(1024, matmul_reps, options.device, dtype);
  const double c2 = bench::matmul_gflops(2048, std::max(3, matmul_reps / 4), options.device, dtype);
  cpp_peak = std::max(c1, c2);
  double p1 = 0.0, p2 = 0.0;
  if (reference) {
    const auto r = bench::run_reference("--phase matmul " + common + " --matmul-reps " + std::to_string(matmul_reps),
                                        "matmul_2048_gflops");
    if (r.ok) {
      p1 = r.number("matmul_1024_gflops");
      p2 = r.number("matmul_2048_gflops");
      py_peak = std::max(p1, p2);
    } else {
      std::cout << "[bench train_step] reference matmul FAILED:\n" << r.output << "\n";
    }
  }
  std::printf("\nmatmul (%-8s mm, median)      C++ %8.1f GFLOP/s (1024^2)  %8.1f GFLOP/s (2048^2)  LibTorch mm\n",
              options.bf16 ? "bfloat16" : "float32", c1, c2);
  if (py_peak > 0) {
    std::printf("                                 Py  %8.1f GFLOP/s (1024^2)  %8.1f GFLOP/s (2048^2)\n", p1, p2);
  }
  return cpp_peak;
}

// The kernels phase: the hand-written kernels against LibTorch's built-ins.
void kernel_phase(const efm::bench::StepBenchOptions& options, int matmul_reps) {
  namespace bench = efm::bench;
  // The base pre-training step's shapes: 2B windows (symmetric pass), one layer's attention core; the masked
  // tokens of both passes against the 8192-code lm_head.
  const efm::models::BackboneOptions b = efm::models::backbone_preset(options.size);
  const int64_t windows = 2 * options.geometry.batch;
  const int64_t tokens = options.geometry.tokens() + 1;
  const int64_t rows = options.geometry.batch * options.geometry.tokens();
  const auto times =
      bench::kernel_times(windows, tokens, b.heads(), b.embed_dim() / b.heads(), rows,
                          efm::models::tokenizer_preset(options.size).vq().n_codes(), std::max(5, matmul_reps / 2));
  std::printf("\nhand-written kernels vs LibTorch built-ins (base step shapes; median ms, forward + backward)\n");
  std::printf("  %-42s %10s %10s %8s %10s  %s\n", "", "kernel", "built-in", "ratio", "max|diff|", "verdict");
  for (const auto& k : times) {
    std::printf("  %-42s %10.2f %10.2f %7.2fx %10.1e  %s (%s vs %s)\n", k.name.c_str(), k.kernel_ms, k.builtin_ms,
                k.ratio(), k.max_abs_diff, k.ratio() >= bench::kKeepRatio ? "KEEP" : "REMOVE", k.kernel.c_str(),
                k.builtin.c_str());
  }
  std::printf("  (keep a kernel only at >= %.1fx over the built-in in this run)\n", bench::kKeepRatio);
}

}  // namespace

int run_bench(int argc, char** argv) {
  namespace bench = efm::bench;
  const int threads = efm::models::configure_threads(std::stoi(flag(argc, argv, "--threads", "0")));
  bench::StepBenchOptions options;
  options.warmup = std::stoll(flag(argc, argv, "--warmup", "2"));
  options.steps = std::stoll(flag(argc, argv, "--steps", "5"));
  options.geometry.batch = std::stoll(flag(argc, argv, "--batch", "8"));
  options.geometry.channels = std::stoll(flag(argc, argv, "--channels", "23"));
  options.geometry.patches = std::stoll(flag(argc, argv, "--seconds", "4"));
  options.profile = flag(argc, argv, "--profile", "");
  options.size = flag(argc, argv, "--size", "base");
  options.device = efm::models::select_device(flag(argc, argv, "--device", "cpu"));
  options.bf16 = has_flag(argc, argv, "--bf16");
  const int repeats = std::stoi(flag(argc, argv, "--repeats", "2"));
  const int matmul_reps = std::stoi(flag(argc, argv, "--matmul-reps", "20"));
  const std::string phases = flag(argc, argv, "--phases", "matmul,kernels,tokenizer,pretrain");
  const auto want = [&phases](const std::string& p) { return phases.find(p) != std::string::npos; };
  bool reference = !has_flag(argc, argv, "--no-reference");

  const efm::models::TorchBuildInfo torch_info = efm::models::torch_build_info();
  std::cout << "[bench train_step] LibTorch " << torch_info.version << " (" << efm::models::torch_library_path()
            << "), " << threads << " intra-op thread(s) (same for the Python reference), BLAS " << torch_info.blas
            << ", oneDNN " << torch_info.onednn << ", CPU kernels " << torch_info.cpu_capability << "\n"
            << "[bench train_step] " << options.size << " size on " << options.device.str()
            << (options.bf16 ? " (bf16 autocast)" : " (float32)") << ", batch " << options.geometry.batch << " x "
            << options.geometry.channels << " ch x " << options.geometry.patches << " s at 200 Hz ("
            << options.geometry.tokens() << " tokens/window), " << options.warmup << " warm-up + " << options.steps
            << " timed steps per run, " << repeats << " alternating run(s) per side; load average " << load_average()
            << "\n"
            << "[bench train_step] C++ side: attention " << efm::models::attention_implementation() << "\n";
  if (reference) {
    const std::string problem = bench::python_torch_problem();
    if (!problem.empty()) {
      std::cout << "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
                << "!! NO PYTHON REFERENCE: " << problem
                << "!! Run scripts/setup.sh (it installs the torch wheel into .venv) to get the reference and the "
                   "ratios; C++ numbers only.\n"
                << "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n";
      reference = false;
    }
  }
  std::ostringstream common;
  common << "--size " << options.size << " --device " << (options.device.is_cuda() ? "cuda" : "cpu")
         << (options.bf16 ? " --bf16" : "") << " --threads " << threads << " --warmup " << options.warmup << " --steps "
         << options.steps << " --batch " << options.geometry.batch << " --channels " << options.geometry.channels
         << " --seconds " << options.geometry.patches;

  double cpp_peak = 0.0, py_peak = 0.0;
  if (want("matmul")) cpp_peak = matmul_phase(options, matmul_reps, reference, common.str(), py_peak);
  if (cpp_peak <= 0.0) {
    cpp_peak = bench::matmul_gflops(1024, 5, options.device, options.bf16 ? torch::kBFloat16 : torch::kFloat);
  }
  // One peak for both sides' MFU: the best sgemm rate measured on this machine in this run (LibTorch's BLAS).
  const double peak = std::max(cpp_peak, py_peak);
  std::printf("MFU peak (best sgemm rate of this run): %.1f GFLOP/s\n", peak);

  if (want("kernels") && options.device.is_cpu()) kernel_phase(options, matmul_reps);
  const efm::models::TokenizerOptions tok = efm::models::tokenizer_preset(options.size);
  const efm::models::BackboneOptions student = efm::models::backbone_preset(options.size);
  struct Workload {
    std::string name;
    bench::StepTimes (*cpp)(const bench::StepBenchOptions&);
    bench::StepFlops flops;
  };
  std::vector<Workload> workloads;
  if (want("tokenizer")) {
    workloads.push_back({"tokenizer", &bench::tokenizer_steps, bench::tokenizer_step_flops(tok, options.geometry)});
  }
  if (want("pretrain")) {
    workloads.push_back({"pretrain", &bench::pretrain_steps,
                         bench::pretrain_step_flops(tok, student, tok.vq().n_codes(), options.geometry)});
  }
  // The reference runs in this process's environment (thread variables included) with the same thread count: the
  // same PyTorch version, called from Python as users run it.
  const std::vector<std::pair<std::string, std::string>> reference_envs{
      {"python (" + std::string(bench::kPython) + ") with the same PyTorch, environment and thread count", ""}};
  for (const auto& w : workloads) {
    Side cpp;
    std::vector<ReferenceSide> refs;
    if (reference) {
      for (const auto& [label, env] : reference_envs) refs.push_back({label, env, {}, false});
    }
    for (int r = 0; r < repeats; ++r) {
      const bench::StepTimes t = w.cpp(options);
      add(cpp, t);
      std::printf("[bench train_step] %s run %d: C++ median step %.3f s", w.name.c_str(), r + 1, median(t.step));
      for (size_t i = 0; i < refs.size(); ++i) {
        auto& ref = refs[i];
        if (ref.failed) continue;
        const auto out = bench::run_reference("--phase " + w.name + " " + common.str(), w.name + "_step_s", ref.env);
        Side one;
        ref.failed = !add(one, out, w.name);
        if (ref.failed) continue;
        std::printf(", Python %c median step %.3f s", static_cast<char>('A' + i), median(one.step));
        add(ref.times, out, w.name);
      }
      std::printf(" (load %s)\n", load_average().c_str());
      std::fflush(stdout);
    }
    print_workload(w.name, cpp, refs, options.geometry.batch, w.flops, peak);
    if (w.name == "pretrain") {
      for (size_t i = 0; i < refs.size(); ++i) {
        if (!refs[i].times.ok) continue;
        const double ratio = median(refs[i].times.step) / median(cpp.step);
        std::printf("  target: >= 2x the reference; vs Python ref %c: %.2fx -> %s\n", static_cast<char>('A' + i), ratio,
                    ratio >= 2.0 ? "met" : "not met");
      }
    }
  }
  std::printf("\n%s\n", bench::flops_formula_text().c_str());
  std::printf(
      "Python reference: bench/reference/labram_step.py (independent PyTorch implementation; symmetric pass as two\n"
      "forwards of B windows, LaBraM's way; C++ computes the mask-independent patch features once and runs the\n"
      "blocks on one batch of 2B windows).\n");
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run_bench(argc, argv);
  } catch (const std::exception& e) {
    // e.g. --device cuda without a GPU: the message says what is available
    std::cerr << "bench_train_step: " << e.what() << "\n";
    return 2;
  }
}
