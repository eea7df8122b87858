#pragma once
// Running a program as a child process and measuring it, for the benchmarks that compare whole command lines
// (bench/ingest, bench/predict). Linux: peak RSS from wait4's rusage.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "epilepsyfm/core/fs.h"

namespace efm::bench {

struct Child {
  int exit_code = -1;
  double wall_s = 0;
  double max_rss_mb = 0;
  double cpu_s = 0;  ///< user + system CPU time of the child
  std::string output;
};

/// Runs argv (argv[0] a path) as a child with stdout and stderr into `log`, measuring wall time, CPU time and the
/// child's peak RSS; `output` is the log's text.
inline Child run_child(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  Child c;
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    if (f) {
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  c.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  c.max_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: kilobytes
  c.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
  c.output = efm::read_file(log);
  return c;
}

}  // namespace efm::bench
