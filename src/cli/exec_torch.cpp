#include "cli/exec_torch.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"

namespace efm::cli {

void exec_torch_binary(int argc, char** argv) {
  namespace fs = std::filesystem;
  fs::path torch_bin;
  if (const char* env = std::getenv("EPILEPSYFM_TORCH_BINARY"); env && *env) {
    torch_bin = env;
  } else {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    torch_bin = (ec ? fs::path(".") : self.parent_path()) / "epilepsyfm-torch";
  }
  std::vector<std::string> storage{torch_bin.string()};
  for (int i = 0; i < argc; ++i) storage.emplace_back(argv[i]);
  std::vector<char*> args;
  for (auto& s : storage) args.push_back(s.data());
  args.push_back(nullptr);
  log::flush();
  ::execv(torch_bin.c_str(), args.data());
  throw Error("cannot start " + torch_bin.string() + " (needed for the verb '" + std::string(argc > 0 ? argv[0] : "") +
              "'): " + std::strerror(errno) +
              "; it is built and installed beside epilepsyfm (set EPILEPSYFM_TORCH_BINARY to use another path)");
}

}  // namespace efm::cli
