#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/train/distributed.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::train {
namespace {

TEST(Slurm, FirstHostOfNodeList) {
  EXPECT_EQ(first_slurm_host("node[01-03,07],gpu5"), "node01");
  EXPECT_EQ(first_slurm_host("node[7,9]"), "node7");
  EXPECT_EQ(first_slurm_host("a,b"), "a");
  EXPECT_EQ(first_slurm_host("single"), "single");
  EXPECT_EQ(first_slurm_host("rack1-n[2-4]-ib"), "rack1-n2-ib");
}

// Sets environment variables for one test and restores them.
class EnvGuard {
 public:
  void set(const char* k, const char* v) {
    const char* old = std::getenv(k);
    saved_.emplace_back(k, old ? std::optional<std::string>(old) : std::nullopt);
    if (v) {
      ::setenv(k, v, 1);
    } else {
      ::unsetenv(k);
    }
  }
  ~EnvGuard() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) {
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      } else {
        ::unsetenv(it->first.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

void clear_dist_env(EnvGuard& g) {
  for (const char* k :
       {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "SLURM_PROCID",
        "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE", "SLURM_NODELIST", "SLURM_JOB_NODELIST"}) {
    g.set(k, nullptr);
  }
}

TEST(DistEnvTest, SingleTorchrunAndSlurm) {
  EnvGuard g;
  clear_dist_env(g);
  DistEnv e = DistEnv::from_environment();
  EXPECT_EQ(e.world_size, 1);
  EXPECT_EQ(e.origin, "single");

  g.set("RANK", "3");
  g.set("WORLD_SIZE", "4");
  g.set("LOCAL_RANK", "1");
  g.set("MASTER_ADDR", "10.0.0.5");
  g.set("MASTER_PORT", "29511");
  e = DistEnv::from_environment();
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.describe(), "rank 3/4 (local 1/4), rendezvous 10.0.0.5:29511 (torchrun)");

  clear_dist_env(g);
  g.set("SLURM_PROCID", "5");
  g.set("SLURM_NTASKS", "8");
  g.set("SLURM_LOCALID", "1");
  g.set("SLURM_NTASKS_PER_NODE", "4(x2)");
  g.set("SLURM_JOB_NODELIST", "gpu[12-13]");
  e = DistEnv::from_environment();
  EXPECT_EQ(e.rank, 5);
  EXPECT_EQ(e.world_size, 8);
  EXPECT_EQ(e.local_world_size, 4);
  EXPECT_EQ(e.master_addr, "gpu12");
  EXPECT_EQ(e.master_port, 29500);
  EXPECT_EQ(e.origin, "slurm");

  clear_dist_env(g);
  g.set("RANK", "2");
  g.set("WORLD_SIZE", "2");
  EXPECT_THAT([] { DistEnv::from_environment(); }, ThrowsMessage<ConfigError>(HasSubstr("rank 2 is outside [0, 2)")));
  g.set("RANK", "x");
  EXPECT_THAT([] { DistEnv::from_environment(); },
              ThrowsMessage<ConfigError>(HasSubstr("environment variable RANK='x': expected a non-negative integer")));
}

TEST(ProcessGroupTest, WorldOfOneIsNoOp) {
  ProcessGroup pg;
  auto t = torch::tensor({1.0f, 2.0f});
  pg.all_reduce_sum(t);
  pg.barrier();
  EXPECT_TRUE(torch::equal(t, torch::tensor({1.0f, 2.0f})));
  EXPECT_TRUE(pg.is_main());
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Two ranks as two threads of this process, CPU collectives through the TCPStore on 127.0.0.1.
TEST(ProcessGroupTest, TwoRankStoreCollectives) {
  const int port = free_port();
  std::vector<torch::Tensor> results(2), grads(2), params(2), undefined_grad(2), maxes(2), sums(2);
  std::vector<std::string> errors(2);
  auto body = [&](int rank) {
    try {
      DistEnv env;
      env.rank = rank;
      env.world_size = 2;
      env.master_port = port;
      auto pg = ProcessGroup::create(env, std::chrono::seconds(30));
      auto t = torch::tensor({1.0f + rank, 10.0f * (rank + 1)});
      pg->all_reduce_sum(t);
      results[rank] = t;
      // Float sums in rank order on every rank: bit-identical results across ranks. (Values from a formula: the
      // global random generator is shared by the two rank threads.)
      auto noise = (torch::arange(1000, torch::kFloat) * (0.37f * static_cast<float>(rank + 1))).sin();
      pg->all_reduce_sum(noise);
      sums[rank] = noise;
      auto m = torch::tensor({rank == 0 ? 15 : 2}, torch::kInt32);
      pg->all_reduce_max(m);
      maxes[rank] = m;
      // gradients: rank r has grad (r+1) * [1, 2, 3]; a second parameter has a gradient only on rank 1
      auto p = torch::zeros({3}, torch::requires_grad());
      p.mutable_grad() = torch::tensor({1.0f, 2.0f, 3.0f}) * static_cast<float>(rank + 1);
      auto q = torch::zeros({2}, torch::requires_grad());
      if (rank == 1) q.mutable_grad() = torch::tensor({4.0f, 6.0f});
      auto never = torch::zeros({2}, torch::requires_grad());
      pg->average_gradients({p, q, never}, /*bucket_bytes=*/8);  // tiny buckets: several all-reduces
      grads[rank] = torch::cat({p.grad(), q.grad()});
      undefined_grad[rank] = never.grad();
      // broadcast_parameters: rank 0's weights everywhere
      torch::nn::Linear lin(2, 2);
      torch::NoGradGuard ng;
      lin->weight.fill_(static_cast<float>(rank + 5));
      pg->broadcast_parameters(*lin);
      params[rank] = lin->weight.clone();
      pg->barrier();
    } catch (const std::exception& e) {
      errors[rank] = e.what();
    }
  };
  std::thread t0(body, 0), t1(body, 1);
  t0.join();
  t1.join();
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
  const auto n0 = (torch::arange(1000, torch::kFloat) * 0.37f).sin();
  const auto n1 = (torch::arange(1000, torch::kFloat) * 0.74f).sin();
  EXPECT_TRUE(torch::equal(sums[0], sums[1]));
  EXPECT_TRUE(torch::equal(sums[0], n0 + n1));
  for (int r = 0; r < 2; ++r) {
    EXPECT_TRUE(torch::equal(results[r], torch::tensor({3.0f, 30.0f})));
    EXPECT_EQ(maxes[r].item<int>(), 15);
    EXPECT_TRUE(torch::allclose(grads[r], torch::tensor({1.5f, 3.0f, 4.5f, 2.0f, 3.0f})));
    EXPECT_FALSE(undefined_grad[r].defined());
    EXPECT_TRUE(torch::equal(params[r], torch::full({2, 2}, 5.0f)));
  }
}

TEST(ProcessGroupTest, RendezvousTimeoutNamesAddress) {
  DistEnv env;
  env.rank = 1;  // a client with no server
  env.world_size = 2;
  env.master_port = free_port();
  EXPECT_THAT([&] { ProcessGroup::create(env, std::chrono::milliseconds(1500)); },
              ThrowsMessage<DataError>(HasSubstr("rank 1/2 could not join the process group at 127.0.0.1:")));
}

}  // namespace
}  // namespace efm::train
