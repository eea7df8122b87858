// The training engine end to end through real processes (efm_toy_train, built from tests/support/toy): SIGKILL
// and resume, SIGTERM, NaN, and 2-process data parallelism via `epilepsyfm launch`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/train/checkpoint.h"
#include "support/test_support.h"

using ::testing::HasSubstr;

namespace efm::test {
namespace {
namespace fs = std::filesystem;

const std::string kToy = EFM_TOY_TRAIN_PATH;

// Common arguments: deterministic, one intra-op thread, 2 loader workers, 30 steps with checkpoints every 10.
std::vector<std::string> toy_args(const fs::path& out, int64_t steps = 30, int64_t batch = 8) {
  return {"--out",     out.string(),
          "--threads", "1",
          "--set",     "run.deterministic=true",
          "--set",     "run.log_level=info",
          "--set",     "train.steps=" + std::to_string(steps),
          "--set",     "train.batch_size=" + std::to_string(batch),
          "--set",     "train.checkpoint_every=10",
          "--set",     "train.log_every=5",
          "--set",     "train.lr=0.003",
          "--set",     "train.warmup_steps=3"};
}

std::string command_line(const std::string& program, const std::vector<std::string>& args) {
  std::string cmd = shell_quote(program);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  return cmd;
}

// Starts `program args` in the background with output to `log`; returns the pid.
pid_t start(const std::string& program, const std::vector<std::string>& args, const fs::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

// Exit code (128 + signal for a killed process).
int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool wait_until(const std::function<bool()>& cond, double timeout_s) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

std::map<std::string, torch::Tensor> final_params(const fs::path& run) {
  return train::read_module_state(run / "checkpoints" / "step_000030" / "model.pt");
}

TEST(TrainE2E, SigkillAfterCheckpointThenResumeEqualsUninterrupted) {
  TempDir tmp("kill");
  const auto full = run_command(command_line(kToy, toy_args(tmp / "full")));
  ASSERT_EQ(full.exit_code, 0) << full.output;

  // 60 ms per micro-batch: the checkpoint of step 10 appears after ~0.6 s, the run would end after ~1.8 s.
  auto args = toy_args(tmp / "killed");
  args.insert(args.end(), {"--sleep-ms", "60"});
  const pid_t pid = start(kToy, args, tmp / "killed.log");
  const bool saw = wait_until([&] { return fs::exists(tmp / "killed" / "checkpoints" / "latest"); }, 60);
  ::kill(pid, SIGKILL);
  EXPECT_EQ(wait_for(pid), 128 + SIGKILL);
  ASSERT_TRUE(saw) << read_file(tmp / "killed.log");
  const std::string latest = read_file(tmp / "killed" / "checkpoints" / "latest");
  ASSERT_NE(latest, "step_000030\n") << "the run finished before it was killed; the test proves nothing";

  auto resume_args = toy_args(tmp / "killed");
  resume_args.push_back("--resume");
  const auto resumed = run_command(command_line(kToy, resume_args));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("resumed from"));
  // deterministic CPU run, same thread count: bit-identical parameters
  const auto a = final_params(tmp / "full"), b = final_params(tmp / "killed");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
  // and no duplicated metrics rows: 6 log steps (5..30) x 6 train metrics
  const auto rows = read_csv(tmp / "killed" / "metrics.csv").rows.size();
  EXPECT_EQ(rows, read_csv(tmp / "full" / "metrics.csv").rows.size());
}

TEST(TrainE2E, SigtermSavesAndExits143) {
  TempDir tmp("term");
  auto args = toy_args(tmp / "run");
  args.insert(args.end(), {"--sleep-ms", "40"});
  const pid_t pid = start(kToy, args, tmp / "run.log");
  // wait until training runs (the first metrics row is written at step 5)
  ASSERT_TRUE(wait_until([&] { return fs::exists(tmp / "run" / "metrics.csv"); }, 60));
  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_for(pid), 143) << read_file(tmp / "run.log");
  const std::string log = read_file(tmp / "run.log");
  EXPECT_THAT(log, HasSubstr("signal 15 received: stopped after step"));
  const std::string latest = read_file(tmp / "run" / "checkpoints" / "latest");
  const std::string state =
      read_file(tmp / "run" / "checkpoints" / latest.substr(0, latest.size() - 1) / "trainer.yaml");
  // the checkpoint is the step where it stopped
  const int64_t step = std::stoll(latest.substr(5));
  EXPECT_GE(step, 5);
  EXPECT_LT(step, 30);
  EXPECT_THAT(state, HasSubstr("step: " + std::to_string(step) + "\n"));
}

TEST(TrainE2E, NanStopsWithStepWindowsAndLastCheckpoint) {
  TempDir tmp("nan");
  auto args = toy_args(tmp / "run");
  args.insert(args.end(), {"--nan-at-step", "13"});
  const auto r = run_command(command_line(kToy, args));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("non-finite loss (nan) at step 13 (epoch 0, micro-batch 12 of the epoch); batch "
                                  "windows: toy"));
  EXPECT_THAT(r.output, HasSubstr("; non-finite input values in: toy"));
  EXPECT_THAT(r.output, HasSubstr("; last good checkpoint: " + (tmp / "run" / "checkpoints" / "step_000010").string()));
}

// 2 processes x batch 4 (store collectives over 127.0.0.1, started by `epilepsyfm launch`) vs 1 process x batch 8: the
// sampler gives the same 8 windows per step, gradients are averaged, so parameters agree up to float32
// summation order (mean of two 4-window means vs one 8-window mean, ~1e-7 relative per step, grown by 30 AdamW
// steps): tolerance 1e-5 absolute.
TEST(TrainE2E, TwoProcessesEqualOneProcessWithSameGlobalBatch) {
  TempDir tmp("ddp");
  const auto one = run_command(command_line(kToy, toy_args(tmp / "one", 30, 8)));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  std::vector<std::string> launch = {"launch", "--nproc", "2", "--program", kToy, "--"};
  for (const auto& a : toy_args(tmp / "two", 30, 4)) launch.push_back(a);
  const auto two = run_cli(launch);
  ASSERT_EQ(two.exit_code, 0) << two.output;
  EXPECT_THAT(two.output, HasSubstr("[rank 0] "));
  EXPECT_THAT(two.output, HasSubstr("[dist] joined: rank 0/2"));
  EXPECT_THAT(two.output, HasSubstr("global batch 8 = 4 x accumulation 1 x 2 process(es)"));
  const auto a = final_params(tmp / "one"), b = final_params(tmp / "two");
  ASSERT_EQ(a.size(), b.size());
  double max_diff = 0;
  for (const auto& [name, t] : a) {
    max_diff = std::max(max_diff, (t - b.at(name)).abs().max().item<double>());
    EXPECT_TRUE(torch::allclose(t, b.at(name), /*rtol=*/0, /*atol=*/1e-5)) << name;
  }
  std::printf("[ddp] max |param diff| after 30 steps: %.3g\n", max_diff);
  // the parameters moved (a run that does nothing would pass the comparison)
  EXPECT_GT((a.at("encoder.weight") -
             train::read_module_state(tmp / "one" / "checkpoints" / "step_000010" / "model.pt").at("encoder.weight"))
                .abs()
                .max()
                .item<double>(),
            1e-4);
}

TEST(TrainE2E, LaunchForwardsSigtermToAllRanks) {
  TempDir tmp("ddpterm");
  auto args = toy_args(tmp / "run", 30, 4);
  args.insert(args.end(), {"--sleep-ms", "40"});
  std::vector<std::string> launch = {"launch", "--nproc", "2", "--program", kToy, "--"};
  launch.insert(launch.end(), args.begin(), args.end());
  const pid_t pid = start(EFM_CLI_PATH, launch, tmp / "launch.log");
  ASSERT_TRUE(wait_until([&] { return fs::exists(tmp / "run" / "metrics.csv"); }, 60));
  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_for(pid), 143) << read_file(tmp / "launch.log");
  const std::string log = read_file(tmp / "launch.log");
  EXPECT_THAT(log, HasSubstr("[rank 0] "));
  EXPECT_THAT(log, HasSubstr("[rank 1] "));  // rank 1 prints the interruption warning
  EXPECT_THAT(log, HasSubstr("interrupted by signal 15"));
  EXPECT_TRUE(fs::exists(tmp / "run" / "checkpoints" / "latest"));
}

TEST(TrainE2E, LaunchReturnsFirstFailureAndPrefixesOutput) {
  const auto ok = run_cli({"launch", "--nproc", "2", "--", "version"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_THAT(ok.output, HasSubstr("[rank 0] epilepsyfm"));
  EXPECT_THAT(ok.output, HasSubstr("[rank 1] epilepsyfm"));
  const auto bad = run_cli({"launch", "--nproc", "2", "--", "no-such-verb"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  // the first rank to fail stops the other, which may be killed before it prints: either rank's line will do
  EXPECT_THAT(bad.output, ::testing::ContainsRegex("\\[rank [01]\\] epilepsyfm: unknown verb 'no-such-verb'"));
  EXPECT_THAT(bad.output, ::testing::ContainsRegex("rank [01] exited with code 2; stopping the other ranks"));
  const auto usage = run_cli({"launch", "--nproc", "2"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.output, HasSubstr("launch: nothing to run"));
  const auto no_n = run_cli({"launch", "--", "version"});
  EXPECT_EQ(no_n.exit_code, 2);
  EXPECT_THAT(no_n.output, HasSubstr("launch: --nproc N is required"));
  const auto bad_n = run_cli({"launch", "--nproc", "two", "--", "version"});
  EXPECT_EQ(bad_n.exit_code, 2);
  EXPECT_THAT(bad_n.output, HasSubstr("launch: --nproc expects an integer, got 'two'"));
}

}  // namespace
}  // namespace efm::test
