// epilepsyfm launch: data-parallel training on one machine. Spawns N copies of this binary (or --program) with the
// torchrun environment (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), prefixes each
// output line with "[rank r] ", forwards SIGINT/SIGTERM once to every child (so each saves a checkpoint and exits
// with 128+sig; a second signal kills them), and returns the first non-zero exit code, stopping the other
// ranks (SIGTERM, then SIGKILL after a grace period) when one fails on its own.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/common.h"
#include "cli/verbs.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/log.h"

namespace efm::cli {

namespace {

std::atomic<int> g_signal{0};
std::atomic<int> g_signal_count{0};
extern "C" void on_launch_signal(int sig) {
  g_signal.store(sig);
  g_signal_count.fetch_add(1);
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  EFM_CHECK_DATA(fd >= 0, "launch: cannot create a socket to find a free port: {}", std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  EFM_CHECK_DATA(ok, "launch: cannot find a free port: {}", std::strerror(errno));
  return ntohs(addr.sin_port);
}

struct Child {
  int rank = 0;
  pid_t pid = -1;
  int out_fd = -1, err_fd = -1;
  std::string out_buf, err_buf;
  bool running = false;
  int exit_code = 0;
};

void emit(std::FILE* to, const std::string& prefix, std::string& buf, bool flush_all) {
  size_t pos;
  while ((pos = buf.find('\n')) != std::string::npos) {
    std::fputs((prefix + buf.substr(0, pos + 1)).c_str(), to);
    buf.erase(0, pos + 1);
  }
  if (flush_all && !buf.empty()) {
    std::fputs((prefix + buf + "\n").c_str(), to);
    buf.clear();
  }
  std::fflush(to);
}

// Reads what is available on the children's pipes (waiting at most timeout_ms); closes pipes at EOF.
void pump(std::vector<Child>& children, int timeout_ms, bool prefix) {
  std::vector<pollfd> fds;
  std::vector<std::pair<Child*, bool>> who;  // (child, is_stderr)
  for (auto& c : children) {
    if (c.out_fd >= 0) {
      fds.push_back({c.out_fd, POLLIN, 0});
      who.emplace_back(&c, false);
    }
    if (c.err_fd >= 0) {
      fds.push_back({c.err_fd, POLLIN, 0});
      who.emplace_back(&c, true);
    }
  }
  if (fds.empty()) {
    ::usleep(static_cast<useconds_t>(timeout_ms) * 1000);
    return;
  }
  if (::poll(fds.data(), fds.size(), timeout_ms) <= 0) return;
  char buf[65536];
  for (size_t i = 0; i < fds.size(); ++i) {
    if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    Child& c = *who[i].first;
    const bool is_err = who[i].second;
    const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
    std::string& b = is_err ? c.err_buf : c.out_buf;
    const std::string pre = prefix ? "[rank " + std::to_string(c.rank) + "] " : "";
    if (n > 0) {
      b.append(buf, static_cast<size_t>(n));
      emit(is_err ? stderr : stdout, pre, b, false);
    } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
      emit(is_err ? stderr : stdout, pre, b, true);
      ::close(fds[i].fd);
      (is_err ? c.err_fd : c.out_fd) = -1;
    }
  }
}

pid_t spawn(const std::string& program, const std::vector<std::string>& args, int rank, int nproc,
            const std::string& addr, int port, int* out_fd, int* err_fd) {
  int out_pipe[2], err_pipe[2];
  EFM_CHECK_DATA(::pipe(out_pipe) == 0 && ::pipe(err_pipe) == 0, "launch: pipe failed: {}", std::strerror(errno));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  EFM_CHECK_DATA(pid >= 0, "launch: fork failed: {}", std::strerror(errno));
  if (pid == 0) {
    // Own process group: a terminal Ctrl-C reaches only the launcher, which forwards it exactly once.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a launcher that was killed
    if (::getppid() != parent) ::_exit(1);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[0]);
    ::close(err_pipe[1]);
    ::setenv("RANK", std::to_string(rank).c_str(), 1);
    ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
    ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
    ::setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
    ::setenv("MASTER_ADDR", addr.c_str(), 1);
    ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    std::fprintf(stderr, "launch: cannot execute %s: %s\n", program.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  *out_fd = out_pipe[0];
  *err_fd = err_pipe[0];
  return pid;
}

int int_option(const ArgParser& args, const std::string& name, const std::string& text) {
  size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  EFM_CHECK_CONFIG(used == text.size() && !text.empty(), "launch: --{} expects an integer, got '{}'", name, text);
  (void)args;
  return v;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

int run_launch(int argc, char** argv) {
  ArgParser args("epilepsyfm launch --nproc N [--master-port P] -- <verb> <args...>",
                 "Run N data-parallel processes of a verb on this machine (one per GPU, cuda:LOCAL_RANK, over NCCL; "
                 "CPU: collectives through the rendezvous store). Each gets RANK, WORLD_SIZE, LOCAL_RANK, "
                 "LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT; "
                 "output lines are prefixed with the rank. See docs/distributed.md for multi-machine runs.");
  args.option("nproc", "N", "number of processes (one per device)");
  args.option("master-addr", "ADDR", "rendezvous address", "127.0.0.1");
  args.option("master-port", "P", "rendezvous port (default: $MASTER_PORT, else a free port)");
  args.option("program", "PATH", "executable to run instead of this epilepsyfm binary (tools built on the library)");
  args.option("grace", "SECONDS", "after a rank fails, whole seconds the others get to exit before SIGKILL", "10");
  args.flag("no-prefix", "do not prefix output lines with [rank r]");
  args.allow_rest("the verb and its arguments, run in every process");
  add_log_option(args);
  if (!parse_and_init_logging(args, argc, argv)) return 0;

  EFM_CHECK_CONFIG(args.has("nproc"), "launch: --nproc N is required (number of processes, one per device)");
  const int nproc = int_option(args, "nproc", args.get("nproc"));
  EFM_CHECK_CONFIG(nproc >= 1 && nproc <= 1024, "launch: --nproc must be in 1..1024, got {}", nproc);
  EFM_CHECK_CONFIG(!args.rest().empty(), "launch: nothing to run; usage: epilepsyfm launch --nproc N -- <verb> ...");
  int port = 0;
  if (args.has("master-port")) {
    port = int_option(args, "master-port", args.get("master-port"));
  } else if (const char* p = std::getenv("MASTER_PORT"); p && *p) {
    port = int_option(args, "master-port ($MASTER_PORT)", p);
  } else {
    port = free_port();
  }
  EFM_CHECK_CONFIG(port >= 1 && port <= 65535, "launch: --master-port must be in 1..65535, got {}", port);
  const double grace_s = int_option(args, "grace", args.get("grace"));
  std::string program = args.has("program") ? args.get("program") : std::string();
  if (program.empty()) program = std::filesystem::read_symlink("/proc/self/exe").string();
  EFM_CHECK_CONFIG(::access(program.c_str(), X_OK) == 0, "launch: --program {} is not an executable file", program);
  const bool prefix = !args.flag_set("no-prefix");
  EFM_LOG_INFO("[launch] {} processes of '{}', rendezvous {}:{}", nproc, args.rest().front(), args.get("master-addr"),
               port);

  struct sigaction sa {
  }, old_int{}, old_term{};
  sa.sa_handler = on_launch_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);

  std::vector<Child> children(static_cast<size_t>(nproc));
  for (int r = 0; r < nproc; ++r) {
    Child& c = children[static_cast<size_t>(r)];
    c.rank = r;
    c.pid = spawn(program, args.rest(), r, nproc, args.get("master-addr"), port, &c.out_fd, &c.err_fd);
    c.running = true;
  }

  int first_failure = 0;
  int forwarded = 0;  // signals forwarded so far
  bool stopping = false;
  auto stop_deadline = std::chrono::steady_clock::now();
  auto running = [&] {
    for (const auto& c : children) {
      if (c.running) return true;
    }
    return false;
  };
  while (running() ||
         std::any_of(children.begin(), children.end(), [](const Child& c) { return c.out_fd >= 0 || c.err_fd >= 0; })) {
    pump(children, 100, prefix);
    const int count = g_signal_count.load();
    if (count > forwarded) {
      // First signal: forward it (graceful save); a second one: kill.
      const int sig = forwarded == 0 && count == 1 ? g_signal.load() : SIGKILL;
      for (auto& c : children) {
        if (c.running) ::kill(c.pid, sig);
      }
      forwarded = count;
    }
    for (auto& c : children) {
      if (!c.running) continue;
      int status = 0;
      if (::waitpid(c.pid, &status, WNOHANG) != c.pid) continue;
      c.running = false;
      c.exit_code = decode_status(status);
      if (c.exit_code != 0 && first_failure == 0) {
        first_failure = c.exit_code;
        if (forwarded == 0 && !stopping) {
          EFM_LOG_ERROR("[launch] rank {} exited with code {}; stopping the other ranks", c.rank, c.exit_code);
          stopping = true;
          stop_deadline =
              std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(grace_s * 1000));
          for (auto& o : children) {
            if (o.running) ::kill(o.pid, SIGTERM);
          }
        }
      }
    }
    if (stopping && std::chrono::steady_clock::now() > stop_deadline) {
      for (auto& o : children) {
        if (o.running) ::kill(o.pid, SIGKILL);
      }
    }
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  if (first_failure == 0) EFM_LOG_INFO("[launch] all {} processes finished", nproc);
  return first_failure;
}

}  // namespace efm::cli
