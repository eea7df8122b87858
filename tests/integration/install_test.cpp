// A small downstream CMake project builds and runs against the installed package (find_package(epilepsyfm)).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

using ::testing::HasSubstr;

namespace efm {

TEST(Install, DownstreamProjectBuildsAndRuns) {
  test::TempDir dir("install");
  const std::string prefix = (dir / "prefix").string();
  const std::string q_bin = test::shell_quote(test::binary_dir().string());
  auto r = test::run_command("cmake --install " + q_bin + " --prefix " + test::shell_quote(prefix));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  const std::string src = (test::source_dir() / "tests" / "support" / "downstream").string();
  const std::string build = (dir / "build").string();
  r = test::run_command("cmake -S " + test::shell_quote(src) + " -B " + test::shell_quote(build) +
                        " -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" +
                        test::shell_quote(prefix + ";" + EFM_TEST_TORCH_CMAKE_PREFIX));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_command("cmake --build " + test::shell_quote(build));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_command(test::shell_quote(build + "/downstream"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("downstream ok: epilepsyfm 0.1.0"));
  EXPECT_THAT(r.output, HasSubstr("sha256(abc)=ba7816bf"));
}

}  // namespace efm
