#pragma once
// What connects the decode stage to the inference thread: a decoded image (Prepared), the fixed pool of
// input buffers, and the queue of decoded images. Private to the tagger module (tag_stages.h).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "tagmetry/status.h"
#include "tagmetry/store.h"

namespace tagmetry::tagging {

// A decoded, preprocessed image waiting for inference (or the reason it could not be decoded).
struct Prepared {
  size_t index = 0;
  std::vector<float>* buffer = nullptr;  // from the pool; null on failure
  Status status;
  int width = 0, height = 0;
  ImageRecord record;        // relpath, content hash, size, mtime (for the images table)
  bool cached = false;       // scores stored: no decode, no inference
  bool other_shard = false;  // belongs to another --shard
};

// Fixed set of input buffers: decoders block when all are in flight, which bounds memory.
class BufferPool {
 public:
  BufferPool(size_t count, size_t floats) : storage_(count, std::vector<float>(floats)) {
    for (auto& b : storage_) free_.push_back(&b);
  }
  // Waits for a free buffer; null when `stop` was set meanwhile.
  std::vector<float>* acquire(const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !free_.empty() || stop; });
    if (free_.empty()) return nullptr;
    auto* b = free_.back();
    free_.pop_back();
    return b;
  }
  void release(std::vector<float>* b) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      free_.push_back(b);
    }
    cv_.notify_one();
  }
  // Wakes every waiting decoder (after `stop` was set). Taking the mutex first means a decoder that has
  // just checked `stop` is already waiting when notified, so the wake-up cannot be missed.
  void wake_all() {
    { std::lock_guard<std::mutex> lock(mu_); }
    cv_.notify_all();
  }

 private:
  std::vector<std::vector<float>> storage_;
  std::vector<std::vector<float>*> free_;
  std::mutex mu_;
  std::condition_variable cv_;
};

// Decoded images in the order they were finished. Thread-safe.
class ReadyQueue {
 public:
  void push(Prepared p) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      items_.push_back(std::move(p));
    }
    cv_.notify_one();
  }
  // Pops one item; waits up to `wait` when empty. Returns false when nothing arrived.
  bool pop(Prepared& out, std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, wait, [&] { return !items_.empty(); })) return false;
    out = std::move(items_.front());
    items_.pop_front();
    return true;
  }

 private:
  std::deque<Prepared> items_;
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace tagmetry::tagging
