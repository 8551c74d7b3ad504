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

}  // namespace tagmetry::testing
