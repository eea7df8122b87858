#pragma once
// A thread that runs tasks in posting order: the store side of one ingested file (data/detail/store_sink.h), so that
// the file's own thread goes on filtering.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace efm::data::detail {

/// post() waits while `depth` tasks are pending. The first exception of a task ends the work: post() and drain()
/// rethrow it. The destructor drops pending tasks and joins.
class OrderedWorker {
 public:
  explicit OrderedWorker(size_t depth) : depth_(depth), thread_([this] { loop(); }) {}
  ~OrderedWorker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      q_.clear();
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  OrderedWorker(const OrderedWorker&) = delete;
  OrderedWorker& operator=(const OrderedWorker&) = delete;

  void post(std::function<void()> task) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return q_.size() < depth_ || error_; });
    if (error_) std::rethrow_exception(error_);
    q_.push_back(std::move(task));
    cv_.notify_all();
  }
  /// Waits until every posted task ran.
  void drain() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return (q_.empty() && !busy_) || error_; });
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !q_.empty() || stop_; });
        if (q_.empty()) return;
        task = std::move(q_.front());
        q_.pop_front();
        busy_ = true;
      }
      std::exception_ptr error;
      try {
        task();
      } catch (...) {
        error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        busy_ = false;
        if (error && !error_) {
          error_ = error;
          q_.clear();
        }
      }
      cv_.notify_all();
    }
  }

  size_t depth_;
  std::deque<std::function<void()>> q_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, busy_ = false;
  std::exception_ptr error_;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace efm::data::detail
