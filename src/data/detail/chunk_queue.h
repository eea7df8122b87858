#pragma once
// Bounded single-producer single-consumer queue of input chunks between the recording pipeline's reader thread and
// the thread that filters (data/recording_pipeline.h, read_ahead).
#include <Eigen/Core>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>

namespace efm::data::detail {

/// A block of input samples of one segment, [plan.inputs, m] microvolts (before the montage).
struct InputChunk {
  size_t segment = 0;  ///< index into PlannedRecording::spans
  int64_t first = 0;   ///< index of the first sample within the segment
  Eigen::MatrixXf x;
  bool last_of_segment = false;
};

/// close() ends the stream, fail() forwards the producer's exception to pop(), stop() tells the producer that the
/// consumer left (push returns false).
class ChunkQueue {
 public:
  explicit ChunkQueue(size_t depth) : depth_(depth) {}
  bool push(InputChunk c) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return q_.size() < depth_ || stopped_; });
    if (stopped_) return false;
    q_.push_back(std::move(c));
    cv_.notify_all();
    return true;
  }
  std::optional<InputChunk> pop() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !q_.empty() || closed_ || error_; });
    if (error_) std::rethrow_exception(error_);
    if (q_.empty()) return std::nullopt;
    InputChunk c = std::move(q_.front());
    q_.pop_front();
    cv_.notify_all();
    return c;
  }
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  void fail(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::move(e);
    cv_.notify_all();
  }
  void stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    cv_.notify_all();
  }

 private:
  size_t depth_;
  std::deque<InputChunk> q_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false, stopped_ = false;
  std::exception_ptr error_;
};

}  // namespace efm::data::detail
