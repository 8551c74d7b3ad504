#include "tag_job.h"

#include <chrono>

namespace tagmetry::server {

double monotonic_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void Job::emit(std::string name, const nlohmann::json& data) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back({std::move(name), data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  }
  cv_.notify_all();
}

void Job::set_progress(size_t done, size_t total) {
  nlohmann::json data;
  {
    std::lock_guard lock(mutex_);
    double now = monotonic_seconds();
    if (started_ == 0) started_ = now;
    done_ = done;
    total_ = total;
    double elapsed = now - started_;
    rate_ = elapsed > 0 && done > 0 ? static_cast<double>(done) / elapsed : 0.0;
    data = {{"done", done}, {"total", total}, {"rate", rate_}};
    data["eta_seconds"] = rate_ > 0 ? nlohmann::json(static_cast<double>(total - std::min(done, total)) / rate_)
                                    : nlohmann::json();
  }
  emit("progress", data);
}

void Job::finish(const std::string& state, const nlohmann::json& report, const std::string& error) {
  {
    std::lock_guard lock(mutex_);
    state_ = state;
    report_ = report;
    error_ = error;
  }
  emit("end", {{"state", state}, {"report", report}, {"error", error.empty() ? nlohmann::json() : nlohmann::json(error)}});
}

nlohmann::json Job::summary() const {
  std::lock_guard lock(mutex_);
  nlohmann::json j{{"id", id_}, {"state", state_}, {"done", done_}, {"total", total_}, {"rate", rate_}};
  j["eta_seconds"] = rate_ > 0 ? nlohmann::json(static_cast<double>(total_ - std::min(done_, total_)) / rate_)
                               : nlohmann::json();
  j["report"] = report_.is_null() ? nlohmann::json() : report_;
  j["error"] = error_.empty() ? nlohmann::json() : nlohmann::json(error_);
  if (state_ == "running" && cancel) j["state"] = "cancelling";
  return j;
}

std::vector<JobEvent> Job::events_from(size_t from, int wait_ms, bool* ended) const {
  std::unique_lock lock(mutex_);
  auto has_new = [&] { return events_.size() > from || state_ != "running"; };
  if (!has_new()) cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), has_new);
  std::vector<JobEvent> out;
  for (size_t i = from; i < events_.size(); ++i) out.push_back(events_[i]);
  *ended = state_ != "running" && !events_.empty() && events_.back().name == "end";
  return out;
}

bool Job::ended() const {
  std::lock_guard lock(mutex_);
  return state_ != "running";
}

TagJobs::~TagJobs() { shutdown(); }

std::shared_ptr<Job> TagJobs::current() const {
  std::lock_guard lock(mutex_);
  return running_ && !running_->ended() ? running_ : nullptr;
}

Result<std::shared_ptr<Job>> TagJobs::start(std::function<void(Job&)> body) {
  std::lock_guard lock(mutex_);
  if (running_) {
    bool ended = false;
    running_->events_from(0, 0, &ended);
    if (!ended) return already_exists("a tag job is already running (job " + std::to_string(running_->id()) + ")");
  }
  auto job = std::make_shared<Job>(next_id_++);
  jobs_[job->id()] = job;
  running_ = job;
  threads_.emplace_back([job, body = std::move(body)] { body(*job); });
  return job;
}

std::shared_ptr<Job> TagJobs::find(int id) const {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second;
}

void TagJobs::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    if (running_) running_->cancel = true;
    threads.swap(threads_);
  }
  for (auto& t : threads)
    if (t.joinable()) t.join();
}

}  // namespace tagmetry::server
