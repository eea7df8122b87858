#pragma once
/// Thread control. `available_cores()` honours the CPU affinity mask (Slurm, taskset); thread counts of 0 mean
/// "all available cores". LibTorch's own intra-op pool is set separately by models/runtime.h (LibTorch on Debian
/// defaults to 1 thread, so it must be set explicitly).
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace efm {

/// Number of cores this process may run on (>= 1).
int available_cores();
/// `requested` if > 0, else available_cores().
int resolve_thread_count(int requested);

/// A fixed-size pool of worker threads. Tasks are run in submission order; exceptions propagate through futures.
class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()); }

  template <class F>
  auto submit(F&& f) -> std::future<decltype(f())> {
    using R = decltype(f());
    auto task = std::make_shared<std::packaged_task<R()>>(std::forward<F>(f));
    std::future<R> result = task->get_future();
    enqueue([task] { (*task)(); });
    return result;
  }

  /// Calls body(i) for i in [0, n) on the pool (and the calling thread) and waits; rethrows the first exception.
  void parallel_for(int64_t n, const std::function<void(int64_t)>& body);

 private:
  void enqueue(std::function<void()> job);
  void worker_loop();

  std::vector<std::thread> workers_;
  std::queue<std::function<void()>> jobs_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace efm
