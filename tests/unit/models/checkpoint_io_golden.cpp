#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "epilepsyfm/models/checkpoint_io.h"
#include "epilepsyfm/models/tokenizer.h"
#include "model_test_util.h"
#include "support/test_support.h"

// Golden check against PyTorch itself: the torch wheel this build links (.venv) opens our state-dict file with
// torch.load and its default weights_only=True (reader: scripts/golden/read_state_dict.py). Label "golden": it needs
// a Python with torch, and importing torch takes several seconds.

namespace efm::models {
namespace {

const char* kConfig = "model:\n  size: tiny\n  note: \"µV/100, 0.5–70 Hz\"\n";

TEST(CheckpointIo, PythonTorchLoadReadsNamesShapesValuesAndConfig) {
  EFM_REQUIRE_PYTHON(py, "torch");
  efm::test::TempDir dir("ckpt");
  torch::manual_seed(0);
  NeuralTokenizer tok(test::micro_tokenizer());
  tok->train();
  tok->forward(test::random_input(2, 3, 2));
  save_state_dict(*tok, dir / "tok.pt", kConfig);
  const auto r = efm::test::run_command(
      efm::test::shell_quote(py) + " " +
      efm::test::shell_quote((efm::test::source_dir() / "scripts/golden/read_state_dict.py").string()) + " " +
      efm::test::shell_quote((dir / "tok.pt").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::map<std::string, std::vector<std::string>> seen;
  std::istringstream lines(r.output);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    std::string name;
    f >> name;
    std::vector<std::string> fields;
    for (std::string x; f >> x;) fields.push_back(x);
    seen[name] = fields;
  }
  // Config text survives byte for byte (UTF-8, hex-encoded by the script).
  std::string hex;
  for (unsigned char ch : std::string(kConfig)) hex += fmt::format("{:02x}", ch);
  EXPECT_EQ(seen["config"], std::vector<std::string>{hex});
  EXPECT_EQ(seen["format"], std::vector<std::string>{"1"});
  const auto sd = state_dict(*tok);
  EXPECT_EQ(seen.size(), sd.size() + 2);
  for (const auto& [name, t] : sd) {
    ASSERT_TRUE(seen.count(name)) << "python did not see " << name;
    const auto& fields = seen[name];
    ASSERT_EQ(fields.size(), 4u) << name;
    EXPECT_EQ(fields[0], dtype_str(t.scalar_type())) << name;
    std::string shape;
    for (int64_t s : t.sizes()) shape += (shape.empty() ? "" : "x") + std::to_string(s);
    EXPECT_EQ(fields[1], shape.empty() ? "scalar" : shape) << name;
    auto flat = t.detach().reshape({-1}).to(torch::kDouble);
    // Sums: Python adds in float64 like this check; 1e-9 relative covers the 9-digit print.
    const double sum = flat.sum().item<double>();
    EXPECT_NEAR(std::stod(fields[2]), sum, 1e-9 * std::max(1.0, std::abs(sum)) + 1e-12) << name;
    const double first = flat.numel() ? flat[0].item<double>() : 0.0;
    EXPECT_NEAR(std::stod(fields[3]), first, 1e-9 * std::max(1.0, std::abs(first))) << name;
  }
}

}  // namespace
}  // namespace efm::models
