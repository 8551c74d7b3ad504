#pragma once
// Private to the server: background jobs (the UI's "tag" run) with an event log that Server-Sent Events
// streams replay from any point, progress figures and cancellation. One job runs at a time.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry::server {

struct JobEvent {
  std::string name;   // "progress", "item", "end"
  std::string data;   // JSON text
};

class Job {
 public:
  explicit Job(int id) : id_(id) {}
  int id() const { return id_; }

  // Appends an event and wakes the streams.
  void emit(std::string name, const nlohmann::json& data);
  void set_progress(size_t done, size_t total);
  // Ends the job: state "done", "failed" or "cancelled"; emits "end".
  void finish(const std::string& state, const nlohmann::json& report, const std::string& error);

  // {"id","state","done","total","rate","eta_seconds","report","error"}
  nlohmann::json summary() const;
  // Events from index `from` on; waits up to `wait_ms` for new ones. *ended is set when the job has ended
  // and every event up to it was returned.
  std::vector<JobEvent> events_from(size_t from, int wait_ms, bool* ended) const;
  bool ended() const;

  // Operations with an id above this one were written by this job (set before it writes anything);
  // undo refuses to revert them while the job runs.
  std::atomic<int64_t> operations_before{INT64_MAX};

  std::atomic<bool> cancel{false};

 private:
  int id_;
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<JobEvent> events_;
  std::string state_ = "running";
  size_t done_ = 0, total_ = 0;
  double started_ = 0, rate_ = 0;
  nlohmann::json report_;
  std::string error_;
};

class TagJobs {
 public:
  ~TagJobs();
  // Starts `body(job)` on a new thread unless a job is running (then kAlreadyExists). `body` must call
  // job.finish() before returning.
  Result<std::shared_ptr<Job>> start(std::function<void(Job&)> body);
  std::shared_ptr<Job> find(int id) const;
  // The job that is running now (nullptr when none), so a reloaded page can follow or cancel it.
  std::shared_ptr<Job> current() const;
  // Cancels the running job (if any) and joins every thread.
  void shutdown();

 private:
  mutable std::mutex mutex_;
  std::map<int, std::shared_ptr<Job>> jobs_;
  std::vector<std::thread> threads_;
  std::shared_ptr<Job> running_;
  int next_id_ = 1;
};

// Seconds on a monotonic clock.
double monotonic_seconds();

}  // namespace tagmetry::server
