#pragma once
// A small libcurl client for generator servers (A1111 / Forge, ComfyUI, RunPod): JSON GET/POST against a
// base URL, HTTP basic auth or a Bearer key, a connect timeout, and cancellation. Private to src/generate.
// Credentials are sent in headers only; error messages name the URL without them.

#include <atomic>
#include <string>

#include "tagmetry/status.h"

namespace tagmetry::gen {

struct HttpOptions {
  std::string base_url;    // "http://127.0.0.1:7860" (no trailing slash needed)
  std::string basic_auth;  // "user:pass" or ""
  std::string bearer;      // API key for "Authorization: Bearer", or ""
  int connect_timeout_s = 10;
  int timeout_s = 0;                          // whole request; 0: none (txt2img can take minutes)
  const std::atomic<bool>* cancel = nullptr;  // aborts the transfer when set (curl's progress callback)
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  // GET base_url + path. Transport failures (refused, timed out, reset) are network errors naming the URL;
  // HTTP error statuses are returned as responses (the caller knows what they mean for its API).
  Result<HttpResponse> get(const std::string& path, int timeout_s = -1) const;
  // POST `json` (Content-Type: application/json) to base_url + path.
  Result<HttpResponse> post(const std::string& path, const std::string& json, int timeout_s = -1) const;
  const HttpOptions& options() const { return options_; }
  std::string url(const std::string& path) const;

 private:
  Result<HttpResponse> request(const std::string& method, const std::string& path, const std::string* body,
                               int timeout_s) const;
  HttpOptions options_;
};

// "user:pass" from --user, else from $TAGMETRY_GENERATOR_AUTH; "" when neither.
std::string generator_auth(const std::string& user_option);

}  // namespace tagmetry::gen
