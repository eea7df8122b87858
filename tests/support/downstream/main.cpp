#include <cstdio>

#include "epilepsyfm/core/sha256.h"
#include "epilepsyfm/core/version.h"

int main() {
  std::printf("downstream ok: epilepsyfm %s, sha256(abc)=%s\n", efm::version().c_str(), efm::sha256_hex("abc").c_str());
  return 0;
}
