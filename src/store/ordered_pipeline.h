#pragma once
// Private to the store module: jobs pushed by one thread, worked on by a few, results in push order.

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "tagmetry/parallel.h"

namespace tagmetry::store_internal {

using core_internal::parallel_for;
using core_internal::worker_threads;

// Runs work(job) for every pushed job on `threads` threads in all: threads - 1 workers plus the pushing
// thread, which runs a queued job itself instead of waiting when `max_queued` jobs are waiting (so a
// producer that outpaces the workers helps them, and memory stays bounded). finish() returns the results
// in push order, whatever order the jobs ran in. `work` must be safe to call from several threads at once
// and must not throw. push() and finish() are for one (the producing) thread only.
template <class Job, class Out>
class OrderedPipeline {
 public:
  OrderedPipeline(unsigned threads, size_t max_queued, std::function<Out(Job&)> work)
      : work_(std::move(work)), max_queued_(std::max<size_t>(1, max_queued)) {
    for (unsigned t = 1; t < threads; ++t) workers_.emplace_back([this] { worker(); });
  }
  OrderedPipeline(const OrderedPipeline&) = delete;
  OrderedPipeline& operator=(const OrderedPipeline&) = delete;
  ~OrderedPipeline() { stop(); }

  void push(Job job) {
    if (workers_.empty()) {  // one thread: run it here, now
      results_.emplace_back(work_(job));
      return;
    }
    std::unique_lock lock(mu_);
    size_t seq = results_.size();
    results_.emplace_back();
    queue_.emplace_back(seq, std::move(job));
    if (queue_.size() > max_queued_) {
      run_one(lock);
    } else {
      cv_.notify_one();
    }
  }

  // Waits for every job (helping with the queued ones) and returns their results in push order.
  std::vector<Out> finish() {
    {
      std::unique_lock lock(mu_);
      while (!queue_.empty()) run_one(lock);
    }
    stop();
    std::vector<Out> out;
    out.reserve(results_.size());
    for (auto& r : results_) out.push_back(std::move(*r));
    results_.clear();
    return out;
  }

 private:
  // Takes the oldest queued job and runs it with the lock released. Called with `lock` held.
  void run_one(std::unique_lock<std::mutex>& lock) {
    auto [seq, job] = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Out out = work_(job);
    lock.lock();
    results_[seq].emplace(std::move(out));
  }

  void worker() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing and nothing left
      run_one(lock);
    }
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::function<Out(Job&)> work_;
  size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<size_t, Job>> queue_;
  std::deque<std::optional<Out>> results_;  // by push order; a deque so growing never moves a slot
  std::vector<std::thread> workers_;
  bool closing_ = false;
};

}  // namespace tagmetry::store_internal
