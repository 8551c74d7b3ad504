#include "http_client.h"

#include <curl/curl.h>

#include <cstdlib>
#include <mutex>

#include "tagmetry/strings.h"

namespace tagmetry::gen {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel && cancel->load() ? 1 : 0;
}

}  // namespace

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
}

std::string HttpClient::url(const std::string& path) const { return options_.base_url + path; }

Result<HttpResponse> HttpClient::get(const std::string& path, int timeout_s) const {
  return request("GET", path, nullptr, timeout_s);
}

Result<HttpResponse> HttpClient::post(const std::string& path, const std::string& json, int timeout_s) const {
  return request("POST", path, &json, timeout_s);
}

Result<HttpResponse> HttpClient::request(const std::string& method, const std::string& path, const std::string* body,
                                         int timeout_s) const {
  global_init();
  CURL* curl = curl_easy_init();
  if (!curl) return internal_error("curl_easy_init failed");
  const std::string u = url(path);
  HttpResponse resp;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, u.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.connect_timeout_s));
  int total = timeout_s >= 0 ? timeout_s : options_.timeout_s;
  if (total > 0) curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(total));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "tagmetry/" TAGMETRY_VERSION);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, options_.cancel);
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  if (body) {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  if (!options_.basic_auth.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERPWD, options_.basic_auth.c_str());
  }
  if (!options_.bearer.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + options_.bearer).c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp.status);
  char* ct = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
  if (ct) resp.content_type = ct;
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc == CURLE_ABORTED_BY_CALLBACK) return cancelled(method + " " + u + ": interrupted");
  if (rc != CURLE_OK) {
    std::string detail = *errbuf ? errbuf : curl_easy_strerror(rc);
    switch (rc) {
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_CONNECT:
        return network_error(options_.base_url + " is not reachable (" + detail + "); is the server running?");
      case CURLE_OPERATION_TIMEDOUT:
        return network_error(method + " " + u + ": no answer in time (" + detail + ")");
      default:
        return network_error(method + " " + u + ": connection failed (" + detail + ")");
    }
  }
  return resp;
}

std::string generator_auth(const std::string& user_option) {
  if (!user_option.empty()) return user_option;
  const char* env = std::getenv("TAGMETRY_GENERATOR_AUTH");
  return env ? env : "";
}

}  // namespace tagmetry::gen
