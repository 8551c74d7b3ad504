#pragma once
// Private to the server: JSON responses, the Status → HTTP mapping, request parsing and the safety
// checks every route shares (Host header, CSRF token, paths).

#include <httplib.h>

#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "tagmetry/options.h"
#include "tagmetry/status.h"

namespace tagmetry::server {

using json = nlohmann::json;

// Sends `body` as JSON with `status`.
void send_json(httplib::Response& res, const json& body, int status = 200);
// Sends {"error": {"code", "message"}} (plus the members of `extra`) with `http_status`.
void send_error(httplib::Response& res, int http_status, std::string_view code, std::string_view message,
                const json& extra = json::object());
// The HTTP status and the JSON error code for a library error code, decided by the code alone:
// not_found 404, invalid_argument/corrupt 400 "bad_request", already_exists 409 "conflict", busy (another
// process holds the dataset) 409 "busy", cancelled 409, unsupported/model 422 "unsupported", network (a
// server Tagmetry contacts: the generator, the Hub) 502 "bad_gateway", else 500 "internal".
struct HttpError {
  int status = 500;
  const char* code = "internal";
};
HttpError http_error_for(ErrorCode code);
// Sends `status` as {"error": {"code", "message"}} with the status and code of http_error_for.
void send_status(httplib::Response& res, const Status& status);

// Parses the JSON body; errors (kInvalidArgument) say what is wrong.
Result<json> parse_body(const httplib::Request& req);
// The path parameter at `index` of a regex route as an image id, or nullopt.
std::optional<size_t> parse_id(const std::string& text);

// True when `host_header` (e.g. "127.0.0.1:7860") names this server: loopback names or `bind_host`, with
// `port`. Guards against DNS rebinding.
bool host_allowed(std::string_view host_header, std::string_view bind_host, int port);
// True when `host_header` is in `allowed` (serve --allowed-hosts: comma-separated, "name" matches any port,
// "name:port" that port only, "*.domain" any name under domain; case-insensitive).
bool host_listed(std::string_view host_header, std::string_view allowed);

// The cookie that keeps the access token (serve --token) in the browser after /?token=TOKEN.
inline constexpr std::string_view kAccessCookie = "tagmetry_token";
// True when `token` may be an access token: empty (none), or 8-256 characters of [A-Za-z0-9-._~].
bool access_token_valid(std::string_view token);
enum class AccessCheck { kMissing, kFromHeaderOrCookie, kFromQuery };
// Where `req` carries `token`: "Authorization: Bearer TOKEN", the kAccessCookie cookie or ?token=TOKEN
// (compared in constant time), or kMissing.
AccessCheck check_access_token(const httplib::Request& req, std::string_view token);
// True when a URL path (already percent-decoded) is safe to map into a folder: no "..", "." segments,
// backslashes, NUL, or further percent-encoded dots.
bool safe_url_path(std::string_view decoded_path);
// True when `path` resolves (symlinks followed) to a file inside `root_canonical`.
bool resolves_inside(const std::filesystem::path& root_canonical, const std::filesystem::path& path);
// Content-Type for a file name's extension.
const char* content_type_for(const std::filesystem::path& path);

// Value of a JSON field as option text ("true", "0.1", "a,b"; null → "").
std::string json_option_text(const json& value);

// Sets `params` from a JSON object whose keys are option names of `set` written with '_' or '-'
// ({"general_threshold": 0.3}). Unknown keys are errors naming `what` and the key.
template <class P>
Status apply_json_options(const OptionSet<P>& set, P& params, const json& object, const std::string& what) {
  if (!object.is_object()) return invalid_argument(what + " must be an object");
  for (auto& [key, value] : object.items()) {
    std::string name = key;
    std::replace(name.begin(), name.end(), '_', '-');
    if (!set.find(name)) return invalid_argument(what + "." + key + ": not a known option");
    if (value.is_array()) {  // a repeatable option: ["a", "b"] sets the whole list
      std::vector<std::string> values;
      for (auto& v : value) values.push_back(json_option_text(v));
      TM_RETURN_IF_ERROR(set.set_list(params, name, values));
      continue;
    }
    TM_RETURN_IF_ERROR(set.set(params, name, json_option_text(value)));
  }
  return {};
}

// Sets `params` from the request's query parameters as apply_json_options does; only the options named in
// `allowed` (snake_case) are taken, others are errors ("the CLI's", the server's dataset stands in for them).
template <class P>
Status apply_query_options(const OptionSet<P>& set, P& params, const httplib::Request& req,
                           std::initializer_list<std::string_view> allowed) {
  json query = json::object();
  for (auto& [key, value] : req.params) {
    std::string name = key;
    std::replace(name.begin(), name.end(), '-', '_');
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      return invalid_argument("query." + key + ": not an option of this route");
    query[name] = value;
  }
  return apply_json_options(set, params, query, "query");
}

// A fresh random token (32 hex digits) from the OS's random source.
std::string random_token();

}  // namespace tagmetry::server
