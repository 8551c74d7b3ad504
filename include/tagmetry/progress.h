#pragma once
// Progress on a terminal: "tag  1,234/10,000  12.3 img/s  ETA 11m52s". Writes to stderr, at most
// ~8 times a second, only when enabled (the CLI enables it when stderr is a terminal and --json is off).
// Thread-safe: advance() may be called from any thread.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace tagmetry {

class ProgressReporter {
 public:
  // `total` may be 0 when unknown (no ETA then). `unit` is the rate's unit ("img").
  ProgressReporter(std::string label, size_t total, bool enabled, std::string unit = "img");
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  void set_total(size_t total) { total_ = total; }
  void advance(size_t n = 1);
  // Clears the line (if any was drawn). Idempotent.
  void finish();

  size_t done() const { return done_; }
  double elapsed_seconds() const;

  // True when stderr is a terminal.
  static bool stderr_is_terminal();

 private:
  void draw(bool force);

  std::string label_;
  std::string unit_;
  std::atomic<size_t> total_;
  std::atomic<size_t> done_{0};
  bool enabled_;
  bool drawn_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex mu_;
};

}  // namespace tagmetry
