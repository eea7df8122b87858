#pragma once
// The Trainer's message for a non-finite loss at step 6 of a toy run with a checkpoint every 2 steps (the same on the
// CPU and on CUDA; trainer_test.cpp and cuda_test.cpp check it).
#include <gmock/gmock.h>

#include <filesystem>
#include <string>

namespace efm::train::test_util {

inline void expect_nonfinite_loss_at_step_6(const std::string& msg, const std::filesystem::path& run_dir) {
  using ::testing::HasSubstr;
  EXPECT_THAT(msg, HasSubstr("non-finite loss (nan) at step 6 (epoch 0, micro-batch 5 of the epoch); batch windows: "
                             "toy"));
  // the corrupted window is the batch's first one
  const auto first = msg.substr(msg.find("batch windows: ") + 15);
  EXPECT_THAT(msg, HasSubstr("; non-finite input values in: " + first.substr(0, first.find(',')) + ";"));
  EXPECT_THAT(msg, HasSubstr("; last good checkpoint: " + (run_dir / "checkpoints" / "step_000004").string()));
}

}  // namespace efm::train::test_util
