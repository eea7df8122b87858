// bench_train_step: training-step throughput of the base models on CPU against an independent Python PyTorch
// implementation of the same architecture (bench/reference/labram_step.py, Debian python3-torch), in one run.
//
//   bench_train_step [--threads 0] [--warmup 2] [--steps 5] [--repeats 2] [--batch 8] [--channels 23]
//                    [--seconds 4] [--phases matmul,tokenizer,pretrain] [--matmul-reps 20] [--no-reference]
//
// Measures (same thread count on both sides; 0 = all available cores):
//  1. sgemm GFLOP/s at 1024^2 and 2048^2 (torch mm in C++ and Python; the peak used for MFU);
//  2. tokenizer training step (base, batch 8 x 23 ch x 4 s, AdamW): windows/s;
//  3. pre-training step (base, frozen-tokenizer labels, random 50 % mask, symmetric pass, AdamW, clip 3):
//     windows/s and the ratio (issue 6 target: >= 2x the reference);
//  4. model FLOPs per step (flops.cpp) and MFU = achieved FLOP/s / measured matmul GFLOP/s.
// C++ and Python alternate `repeats` times per workload (the machine is shared, so timings are noisy); each run
// drops `warmup` steps; the figure is the median over all timed steps of a side.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "epilepsyfm/core/threads.h"
#include "epilepsyfm/models/runtime.h"
#include "flops.h"
#include "reference.h"
#include "steps.h"

namespace {

std::string flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return argv[i + 1];
  }
  return fallback;
}

bool has_flag(int argc, char** argv, const std::string& name) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i] == name) return true;
  }
  return false;
}

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

using efm::bench::median;

void print_workload(const std::string& name, const Side& cpp, const Side& py, int64_t batch,
                    const efm::bench::StepFlops& flops, double peak) {
  const double gflop = flops.total() / 1e9;
  std::printf("\n%s step (batch %lld), model FLOPs %.1f GFLOP/step (%.1f trained fwd x3 + %.1f frozen fwd)\n",
              name.c_str(), static_cast<long long>(batch), gflop, flops.trained_forward / 1e9,
              flops.frozen_forward / 1e9);
  std::printf("  %-28s %16s %16s %8s\n", "", "C++ epilepsyfm", "Python ref", "ratio");
  auto row = [&](const char* label, const std::vector<double>& a, const std::vector<double>& b) {
    if (a.empty()) return;
    std::printf("  %-28s %16.3f", label, median(a));
    if (py.ok && !b.empty()) {
      std::printf(" %16.3f %7.2fx\n", median(b), median(b) / median(a));
    } else {
      std::printf(" %16s %8s\n", "-", "-");
    }
  };
  const double cpp_wps = static_cast<double>(batch) / median(cpp.step);
  const double py_wps = py.ok ? static_cast<double>(batch) / median(py.step) : 0.0;
  std::printf("  %-28s %16.2f", "windows/s", cpp_wps);
  if (py.ok) {
    std::printf(" %16.2f %7.2fx\n", py_wps, cpp_wps / py_wps);
  } else {
    std::printf(" %16s %8s\n", "-", "-");
  }
  row("step s (median)", cpp.step, py.step);
  row("  forward s", cpp.forward, py.forward);
  row("  backward s", cpp.backward, py.backward);
  row("  update s (VQ/clip/AdamW)", cpp.update, py.update);
  if (!cpp.labels.empty()) {
    std::printf("  %-28s %16.3f %16s %8s\n", "  (of forward: labels s)", median(cpp.labels), "-", "-");
  }
  std::printf("  %-28s %16.1f", "achieved GFLOP/s", gflop / median(cpp.step));
  if (py.ok) {
    std::printf(" %16.1f\n", gflop / median(py.step));
  } else {
    std::printf("\n");
  }
  std::printf("  %-28s %15.1f%%", "MFU (vs best sgemm rate)", 100.0 * gflop / median(cpp.step) / peak);
  if (py.ok) {
    std::printf(" %15.1f%%\n", 100.0 * gflop / median(py.step) / peak);
  } else {
    std::printf("\n");
  }
  std::printf("  %-28s %16lld", "trainable parameters", static_cast<long long>(cpp.parameters));
  if (py.ok) {
    std::printf(" %16lld %s\n", static_cast<long long>(py.parameters),
                py.parameters == cpp.parameters ? "(equal)" : "(DIFFER)");
  } else {
    std::printf("\n");
  }
  std::printf("  timed steps: C++ %zu, Python %zu\n", cpp.step.size(), py.step.size());
}

}  // namespace

int main(int argc, char** argv) {
  namespace bench = efm::bench;
  const int threads = efm::models::configure_threads(std::stoi(flag(argc, argv, "--threads", "0")));
  bench::StepBenchOptions options;
  options.warmup = std::stoll(flag(argc, argv, "--warmup", "2"));
  options.steps = std::stoll(flag(argc, argv, "--steps", "5"));
  options.geometry.batch = std::stoll(flag(argc, argv, "--batch", "8"));
  options.geometry.channels = std::stoll(flag(argc, argv, "--channels", "23"));
  options.geometry.patches = std::stoll(flag(argc, argv, "--seconds", "4"));
  const int repeats = std::stoi(flag(argc, argv, "--repeats", "2"));
  const int matmul_reps = std::stoi(flag(argc, argv, "--matmul-reps", "20"));
  const std::string phases = flag(argc, argv, "--phases", "matmul,tokenizer,pretrain");
  const auto want = [&phases](const std::string& p) { return phases.find(p) != std::string::npos; };
  bool reference = !has_flag(argc, argv, "--no-reference");

  std::cout << "[bench train_step] LibTorch " << efm::models::torch_version() << ", " << threads
            << " intra-op thread(s) (same for the Python reference), BLAS: "
            << efm::models::blas_vendor(efm::models::loaded_blas_library()) << "\n"
            << "[bench train_step] base size, batch " << options.geometry.batch << " x " << options.geometry.channels
            << " ch x " << options.geometry.patches << " s at 200 Hz (" << options.geometry.tokens()
            << " tokens/window), " << options.warmup << " warm-up + " << options.steps << " timed steps per run, "
            << repeats << " alternating run(s) per side; load average " << load_average() << "\n";
  if (reference) {
    const std::string problem = bench::python_torch_problem();
    if (!problem.empty()) {
      std::cout << "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
                << "!! NO PYTHON REFERENCE: " << problem
                << "!! Install Debian's python3-torch to get the reference and the ratios; C++ numbers only.\n"
                << "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n";
      reference = false;
    }
  }
  std::ostringstream common;
  common << "--threads " << threads << " --warmup " << options.warmup << " --steps " << options.steps << " --batch "
         << options.geometry.batch << " --channels " << options.geometry.channels << " --seconds "
         << options.geometry.patches;

  double cpp_peak = 0.0, py_peak = 0.0;
  if (want("matmul")) {
    const double c1 = bench::matmul_gflops(1024, matmul_reps);
    const double c2 = bench::matmul_gflops(2048, std::max(3, matmul_reps / 4));
    cpp_peak = std::max(c1, c2);
    double p1 = 0.0, p2 = 0.0;
    if (reference) {
      const auto r = bench::run_reference(
          "--phase matmul --threads " + std::to_string(threads) + " --matmul-reps " + std::to_string(matmul_reps),
          "matmul_2048_gflops");
      if (r.ok) {
        p1 = r.number("matmul_1024_gflops");
        p2 = r.number("matmul_2048_gflops");
        py_peak = std::max(p1, p2);
      } else {
        std::cout << "[bench train_step] reference matmul FAILED:\n" << r.output << "\n";
      }
    }
    std::printf("\nmatmul (float32 sgemm, median)   C++ %8.1f GFLOP/s (1024^2)  %8.1f GFLOP/s (2048^2)\n", c1, c2);
    if (py_peak > 0) {
      std::printf("                                 Py  %8.1f GFLOP/s (1024^2)  %8.1f GFLOP/s (2048^2)\n", p1, p2);
    }
  }
  if (cpp_peak <= 0.0) cpp_peak = bench::matmul_gflops(1024, 5);
  // One peak for both sides' MFU: the best sgemm rate measured on this machine in this run (same BLAS library).
  const double peak = std::max(cpp_peak, py_peak);
  std::printf("MFU peak (best sgemm rate of this run): %.1f GFLOP/s\n", peak);

  const efm::models::TokenizerOptions tok = efm::models::tokenizer_preset("base");
  const efm::models::BackboneOptions student = efm::models::backbone_preset("base");
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
                         bench::pretrain_step_flops(tok, student, tok.vq.n_codes(), options.geometry)});
  }
  for (const auto& w : workloads) {
    Side cpp, py;
    bool py_failed = false;
    for (int r = 0; r < repeats; ++r) {
      const bench::StepTimes t = w.cpp(options);
      add(cpp, t);
      std::printf("[bench train_step] %s run %d: C++ median step %.3f s", w.name.c_str(), r + 1, median(t.step));
      if (reference && !py_failed) {
        const auto ref = bench::run_reference("--phase " + w.name + " " + common.str(), w.name + "_step_s");
        Side one;
        py_failed = !add(one, ref, w.name);
        if (!py_failed) {
          std::printf(", Python median step %.3f s", median(one.step));
          add(py, ref, w.name);
        }
      }
      std::printf(" (load %s)\n", load_average().c_str());
      std::fflush(stdout);
    }
    print_workload(w.name, cpp, py, options.geometry.batch, w.flops, peak);
    if (w.name == "pretrain" && py.ok) {
      const double ratio = median(py.step) / median(cpp.step);
      std::printf("  target (issue 6): >= 2x the reference -> %s (%.2fx)\n", ratio >= 2.0 ? "MET" : "NOT MET", ratio);
    }
  }
  std::printf("\n%s\n", bench::flops_formula_text().c_str());
  std::printf(
      "Python reference: bench/reference/labram_step.py (independent PyTorch implementation; symmetric pass as two\n"
      "forwards of B windows, LaBraM's way; C++ computes the mask-independent patch features once and runs the\n"
      "blocks on one batch of 2B windows). Both sides apply the LibTorch 1.13 CPU GroupNorm-backward workaround\n"
      "(contiguous gradient after the TemporalConv flattening); timing unaffected.\n");
  return 0;
}
