#include "http_util.h"

#include <cctype>
#include <fstream>
#include <random>

#include "tagmetry/strings.h"

namespace tagmetry::server {
namespace fs = std::filesystem;

void send_json(httplib::Response& res, const json& body, int status) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int http_status, std::string_view code, std::string_view message,
                const json& extra) {
  json body = extra.is_object() ? extra : json::object();
  body["error"] = {{"code", code}, {"message", message}};
  send_json(res, body, http_status);
}

// Every code is listed (no default) so that a new ErrorCode needs a decision here (-Wswitch).
HttpError http_error_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound: return {404, "not_found"};
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kCorrupt: return {400, "bad_request"};
    case ErrorCode::kAlreadyExists: return {409, "conflict"};
    case ErrorCode::kBusy: return {409, "busy"};
    case ErrorCode::kCancelled: return {409, "cancelled"};
    case ErrorCode::kUnsupported:
    case ErrorCode::kModel: return {422, "unsupported"};
    case ErrorCode::kNetwork: return {502, "bad_gateway"};  // a server Tagmetry talks to (generator, Hub) failed
    case ErrorCode::kOk:
    case ErrorCode::kIo:
    case ErrorCode::kInternal: return {500, "internal"};
  }
  return {500, "internal"};
}

void send_status(httplib::Response& res, const Status& status) {
  const HttpError e = http_error_for(status.code());
  send_error(res, e.status, e.code, status.message());
}

Result<json> parse_body(const httplib::Request& req) {
  if (req.body.empty()) return json::object();
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid_argument("request body is not valid JSON");
  if (!j.is_object()) return invalid_argument("request body must be a JSON object");
  return j;
}

std::optional<size_t> parse_id(const std::string& text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  size_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  return v;
}

bool host_allowed(std::string_view host_header, std::string_view bind_host, int port) {
  std::string host = to_lower_ascii(trim(host_header));
  std::string suffix = ":" + std::to_string(port);
  if (host.size() <= suffix.size() || host.compare(host.size() - suffix.size(), suffix.size(), suffix) != 0) {
    if (port != 80) return false;  // a browser omits :80 only
  } else {
    host.resize(host.size() - suffix.size());
  }
  if (host == "127.0.0.1" || host == "localhost" || host == "[::1]") return true;
  std::string bind(bind_host);
  if (bind.find(':') != std::string::npos && bind.front() != '[') {
    bind.insert(bind.begin(), '[');  // (not "[" + bind + "]": GCC 12 reports a false -Wrestrict there)
    bind.push_back(']');
  }
  return !bind.empty() && bind != "0.0.0.0" && bind != "[::]" && host == to_lower_ascii(bind);
}

bool host_listed(std::string_view host_header, std::string_view allowed) {
  std::string host = to_lower_ascii(trim(host_header));
  if (host.empty()) return false;
  size_t colon = host.rfind(':');
  bool has_port = colon != std::string::npos && host.find(']', colon) == std::string::npos;
  std::string name = has_port ? host.substr(0, colon) : host;
  for (const std::string& listed : split_trimmed(allowed, ",")) {
    std::string entry = to_lower_ascii(listed);
    if (entry == host || entry == name) return true;
    // "*.example.com": any name under example.com (a proxy giving each pod its own name), any port.
    if (entry.size() > 2 && entry.compare(0, 2, "*.") == 0 && name.size() > entry.size() - 1 &&
        name.compare(name.size() - (entry.size() - 1), entry.size() - 1, entry, 1) == 0)
      return true;
  }
  return false;
}

bool access_token_valid(std::string_view token) {
  if (token.empty()) return true;
  if (token.size() < 8 || token.size() > 256) return false;
  for (char c : token)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_' && c != '~') return false;
  return true;
}

namespace {

bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or "".
std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view pair = trim(header.substr(0, end));
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == name) return trim(pair.substr(eq + 1));
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return {};
}

}  // namespace

AccessCheck check_access_token(const httplib::Request& req, std::string_view token) {
  const std::string& auth = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() > kBearer.size() && auth.compare(0, kBearer.size(), kBearer) == 0 &&
      same_secret(std::string_view(auth).substr(kBearer.size()), token))
    return AccessCheck::kFromHeaderOrCookie;
  if (same_secret(cookie_value(req.get_header_value("Cookie"), kAccessCookie), token))
    return AccessCheck::kFromHeaderOrCookie;
  if (req.has_param("token") && same_secret(req.get_param_value("token"), token)) return AccessCheck::kFromQuery;
  return AccessCheck::kMissing;
}

bool safe_url_path(std::string_view path) {
  if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos) return false;
  if (path.find('%') != std::string_view::npos) return false;  // decoded once already: a '%' left is double encoding
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == ".." || seg == ".") return false;
    start = end + 1;
  }
  return true;
}

bool resolves_inside(const fs::path& root_canonical, const fs::path& path) {
  std::error_code ec;
  fs::path real = fs::canonical(path, ec);
  if (ec) return false;
  auto r = root_canonical.begin();
  auto p = real.begin();
  for (; r != root_canonical.end(); ++r, ++p)
    if (p == real.end() || *p != *r) return false;
  return true;
}

const char* content_type_for(const fs::path& path) {
  std::string ext = to_lower_ascii(path.extension().string());
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".webp") return "image/webp";
  if (ext == ".gif") return "image/gif";
  if (ext == ".avif") return "image/avif";
  if (ext == ".bmp") return "image/bmp";
  if (ext == ".tif" || ext == ".tiff") return "image/tiff";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::string json_option_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_null()) return "";
  return v.dump();
}

std::string random_token() {
  std::random_device rd;  // /dev/urandom on Linux
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 4; ++i) {
    uint32_t v = rd();
    for (int k = 0; k < 8; ++k) out.push_back(kHex[(v >> (k * 4)) & 15]);
  }
  return out;
}

}  // namespace tagmetry::server
