#include "epilepsyfm/core/threads.h"

#include <sched.h>

#include <atomic>
#include <exception>

namespace efm {

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned hc = std::thread::hardware_concurrency();
  return hc > 0 ? static_cast<int>(hc) : 1;
}

int resolve_thread_count(int requested) {
  return requested > 0 ? requested : available_cores();
}

ThreadPool::ThreadPool(int threads) {
  const int n = std::max(1, threads);
  workers_.reserve(n);
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::enqueue(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push(std::move(job));
  }
  cv_.notify_one();
}

void ThreadPool::worker_loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop();
    }
    job();
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t)>& body) {
  if (n <= 0) return;
  // Shared state, so a helper job that only starts after the loop has finished (its pool thread was busy, e.g. a
  // pool worker calling parallel_for on its own pool) finds no work and touches nothing of the caller's. The caller
  // waits only for helpers that actually started, never for queued ones: no deadlock when nested.
  struct State {
    std::atomic<int64_t> next{0};
    int64_t n = 0;
    const std::function<void(int64_t)>* body = nullptr;
    std::mutex mu;
    std::condition_variable cv;
    int active = 0;
    std::exception_ptr first_error;
  };
  auto st = std::make_shared<State>();
  st->n = n;
  st->body = &body;
  auto drain = [st] {
    {
      std::lock_guard<std::mutex> lock(st->mu);
      ++st->active;
    }
    for (int64_t i = st->next++; i < st->n; i = st->next++) {
      try {
        (*st->body)(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(st->mu);
        if (!st->first_error) st->first_error = std::current_exception();
        st->next = st->n;  // stop handing out work
      }
    }
    {
      std::lock_guard<std::mutex> lock(st->mu);
      --st->active;
    }
    st->cv.notify_all();
  };
  const int helpers = static_cast<int>(std::min<int64_t>(size(), n - 1));
  for (int i = 0; i < helpers; ++i) enqueue(drain);
  drain();
  std::unique_lock<std::mutex> lock(st->mu);
  st->cv.wait(lock, [&] { return st->active == 0 && st->next >= st->n; });
  if (st->first_error) std::rethrow_exception(st->first_error);
}

}  // namespace efm
