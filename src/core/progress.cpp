#include "tagmetry/progress.h"

#include <unistd.h>

#include <cstdio>

#include "tagmetry/strings.h"

namespace tagmetry {

ProgressReporter::ProgressReporter(std::string label, size_t total, bool enabled, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), enabled_(enabled),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

ProgressReporter::~ProgressReporter() { finish(); }

bool ProgressReporter::stderr_is_terminal() { return ::isatty(2) != 0; }

double ProgressReporter::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressReporter::advance(size_t n) {
  done_ += n;
  if (enabled_) draw(false);
}

void ProgressReporter::draw(bool force) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(125)) return;
  last_draw_ = now;
  double secs = elapsed_seconds();
  size_t done = done_, total = total_;
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  char line[256];
  if (total > 0) {
    double eta = rate > 0 ? static_cast<double>(total - std::min(done, total)) / rate : -1;
    std::snprintf(line, sizeof line, "\r%s  %zu/%zu  %.1f %s/s  ETA %s\x1b[K", label_.c_str(), done, total, rate,
                  unit_.c_str(), eta < 0 ? "?" : format_duration(eta).c_str());
  } else {
    std::snprintf(line, sizeof line, "\r%s  %zu  %.1f %s/s\x1b[K", label_.c_str(), done, rate, unit_.c_str());
  }
  std::fputs(line, stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressReporter::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (drawn_) {
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
  }
}

}  // namespace tagmetry
