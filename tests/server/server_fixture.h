#pragma once
// A tagmetry::Server running on a free port in a background thread, with an HTTP client bound to it.

#include <httplib.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tagmetry/server.h"

namespace tagmetry::testing {

class RunningServer {
 public:
  explicit RunningServer(const std::filesystem::path& dataset, ServeParams params = {});
  ~RunningServer();

  Server& server() { return *server_; }
  httplib::Client& client() { return *client_; }
  const std::string& token() const { return server_->token(); }

  // GET `path` and parse the JSON body (status in *status).
  nlohmann::json get(const std::string& path, int* status = nullptr);
  // POST/PUT JSON with the session token (or `token` when given).
  nlohmann::json post(const std::string& path, const nlohmann::json& body, int* status = nullptr,
                      const std::string* token = nullptr);
  nlohmann::json put(const std::string& path, const nlohmann::json& body, int* status = nullptr,
                     const std::string* token = nullptr);

 private:
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
  std::thread thread_;
};

// Polls GET `jobs_path` + `id` (e.g. "/api/jobs/" and 3) until the job's state is no longer running or cancelling and
// returns its last answer; bounded by the number of polls (3,000 × 10 ms), not by a clock: a job that never
// ends is a test failure, not a hang.
// Writes a w×h PNG of one grey `shade` (a small real image for a served dataset); a failed encode is a test
// failure.
void write_grey_png(const std::filesystem::path& path, int w, int h, uint8_t shade);

nlohmann::json wait_for_job_end(RunningServer& srv, const std::string& jobs_path, int id);

}  // namespace tagmetry::testing
