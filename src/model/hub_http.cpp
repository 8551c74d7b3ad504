#include "hub_http.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "tagmetry/sha256.h"
#include "tagmetry/strings.h"

namespace tagmetry::hub {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Response headers of the latest response in a transfer (cleared at each status line, so after redirects
// only the final response's headers remain). Names are lower-cased.
struct HeaderCapture {
  std::map<std::string, std::string> headers;
  long status = 0;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* cap = static_cast<HeaderCapture*>(user);
  std::string_view line(data, size * count);
  if (line.substr(0, 5) == "HTTP/") {
    cap->headers.clear();
    auto sp = line.find(' ');
    cap->status = sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1, 3)).c_str());
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    cap->headers[to_lower_ascii(trim(line.substr(0, colon)))] = std::string(trim(line.substr(colon + 1)));
  }
  return size * count;
}

std::string header(const HeaderCapture& cap, const std::string& name) {
  auto it = cap.headers.find(name);
  return it == cap.headers.end() ? std::string() : it->second;
}

// "W/\"abc\"" → "abc".
std::string normalize_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

std::optional<uint64_t> parse_size(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (end == s.c_str() || *end != '\0') return std::nullopt;
  return static_cast<uint64_t>(v);
}

std::string where(const Target& t) { return t.repo + ": " + t.file; }

// Common request set-up: headers owned by the returned list (free with curl_slist_free_all).
curl_slist* common_setup(CURL* curl, const std::string& url, const ResolveOptions& options) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options.connect_timeout_s));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.stall_timeout_s));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "tagmetry/" TAGMETRY_VERSION " libcurl");
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_slist* list = curl_slist_append(nullptr, "Accept-Encoding: identity");
  if (!options.hub.token.empty()) {
    // libcurl drops a custom Authorization header when a redirect leaves the host, so the token never
    // reaches the CDN (whose URLs are pre-signed).
    list = curl_slist_append(list, ("Authorization: Bearer " + options.hub.token).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  return list;
}

Status transport_error(const Target& t, CURLcode rc, const char* errbuf, const ResolveOptions& options) {
  std::string detail = errbuf && *errbuf ? errbuf : curl_easy_strerror(rc);
  std::string msg = where(t) + ": ";
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
      msg += "cannot reach " + options.hub.endpoint + " (" + detail +
             "); check the network, set HF_ENDPOINT to a mirror, or use --offline with files already in the cache";
      break;
    default:
      msg += "download failed: " + detail + " (" + t.url + ")";
  }
  return network_error(msg);
}

// Maps an HTTP error status to a Status; `body` is a short excerpt of the error response.
Status http_error(const Target& t, long status, const HeaderCapture& cap, const ResolveOptions& options) {
  const std::string code = header(cap, "x-error-code");
  const std::string hub_msg = header(cap, "x-error-message");
  std::string suffix = " (HTTP " + std::to_string(status) + (hub_msg.empty() ? "" : ": " + hub_msg) + ", " + t.url + ")";
  if (status == 401 || status == 403) {
    if (code == "GatedRepo") {
      return network_error(where(t) + ": " + t.repo + " is gated: accept its terms at " + options.hub.endpoint + "/" +
                           t.repo + " and set HF_TOKEN to a token of that account" + suffix);
    }
    if (options.hub.token.empty()) {
      return network_error(where(t) + ": access denied, needs a token: set HF_TOKEN to a read token "
                           "(https://huggingface.co/settings/tokens); the Hub also answers this way for a repo that "
                           "does not exist" + suffix);
    }
    return network_error(where(t) + ": the token from " + options.hub.token_source +
                         " was refused: check that it can read " + t.repo + suffix);
  }
  if (status == 404) {
    if (code == "RepoNotFound") return not_found(where(t) + ": repository " + t.repo + " not found" + suffix);
    if (code == "RevisionNotFound") return not_found(where(t) + ": revision not found in " + t.repo + suffix);
    return not_found(where(t) + ": file not found" + suffix);
  }
  return network_error(where(t) + ": server error" + suffix);
}

bool transient_status(long status) { return status == 408 || status == 429 || status >= 500; }

bool transient_curl(CURLcode rc) {
  switch (rc) {
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_COULDNT_CONNECT:
      return true;
    default:
      return false;
  }
}

void sleep_ms(int ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

}  // namespace

Result<FileMetadata> fetch_metadata(const Target& target, const ResolveOptions& options) {
  global_init();
  std::string url = target.url;
  int transient_failures = 0;
  for (int hop = 0; hop < 10;) {
    CURL* curl = curl_easy_init();
    if (!curl) return internal_error("libcurl: curl_easy_init failed");
    HeaderCapture cap;
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = common_setup(curl, url, options);
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &cap);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    char* redirect = nullptr;
    curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &redirect);
    std::string next = redirect ? redirect : "";
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    if (rc != CURLE_OK || transient_status(status)) {
      if (++transient_failures <= std::min(options.max_retries, 2) && (rc == CURLE_OK || transient_curl(rc))) {
        sleep_ms(options.retry_delay_ms * transient_failures);
        continue;
      }
      Target t = target;
      t.url = url;
      if (rc != CURLE_OK) return transport_error(t, rc, errbuf, options);
      return http_error(t, status, cap, options);
    }
    const std::string commit = header(cap, "x-repo-commit");
    const std::string linked_etag = header(cap, "x-linked-etag");
    if (status >= 300 && status < 400) {
      bool hub_metadata = !commit.empty() || !linked_etag.empty();
      if (!hub_metadata) {
        if (next.empty()) return network_error(where(target) + ": redirect without a Location (" + url + ")");
        url = next;
        ++hop;
        continue;
      }
    } else if (status >= 400) {
      Target t = target;
      t.url = url;
      return http_error(t, status, cap, options);
    }
    FileMetadata meta;
    meta.commit = commit;
    meta.etag = normalize_etag(!linked_etag.empty() ? linked_etag : header(cap, "etag"));
    meta.size = parse_size(header(cap, "x-linked-size"));
    if (!meta.size && status == 200) meta.size = parse_size(header(cap, "content-length"));
    return meta;
  }
  return network_error(where(target) + ": too many redirects (" + target.url + ")");
}

namespace {

struct Sink {
  int fd = -1;
  uint64_t offset = 0;  // bytes of the file on disk
  uint64_t fetched = 0;
  Sha256 hasher;
  std::optional<uint64_t> expected;
  HeaderCapture cap;
  bool started = false;  // first body byte of this attempt seen
  std::string error_body;
  int write_errno = 0;
  bool overflow = false;
  bool bad_range = false;
  bool cancelled = false;
  CURL* curl = nullptr;
  const Target* target = nullptr;
  const ResolveOptions* options = nullptr;
  uint64_t resumed_from = 0;
};

// Content-Range: bytes START-END/TOTAL → START.
std::optional<uint64_t> content_range_start(const std::string& v) {
  auto sp = v.find(' ');
  auto dash = v.find('-');
  if (sp == std::string::npos || dash == std::string::npos || dash < sp) return std::nullopt;
  return parse_size(v.substr(sp + 1, dash - sp - 1));
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 300) {
    if (s->error_body.size() < 2048) s->error_body.append(data, std::min<size_t>(n, 2048 - s->error_body.size()));
    return n;
  }
  if (!s->started) {
    s->started = true;
    if (status == 206) {
      auto start = content_range_start(header(s->cap, "content-range"));
      if (!start || *start != s->offset) {
        s->bad_range = true;
        return 0;
      }
    } else if (s->offset > 0) {  // 200: the server ignored the Range header; start over
      if (::ftruncate(s->fd, 0) != 0) {
        s->write_errno = errno;
        return 0;
      }
      s->offset = 0;
      s->hasher.reset();
    }
  }
  if (s->expected && s->offset + n > *s->expected) {
    s->overflow = true;
    return 0;
  }
  size_t written = 0;
  while (written < n) {
    ssize_t w = ::pwrite(s->fd, data + written, n - written, static_cast<off_t>(s->offset + written));
    if (w < 0) {
      if (errno == EINTR) continue;
      s->write_errno = errno;
      return 0;
    }
    written += static_cast<size_t>(w);
  }
  s->hasher.update(data, n);
  s->offset += n;
  s->fetched += n;
  if (s->options->progress) {
    DownloadProgress p{s->target->repo, s->target->file, s->offset, s->expected.value_or(0), s->resumed_from};
    if (!s->options->progress(p)) {
      s->cancelled = true;
      return 0;
    }
  }
  return n;
}

// Hashes the first `size` bytes already in the partial file.
Status hash_prefix(const std::filesystem::path& path, uint64_t size, Sha256& hasher) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(path.string() + ": cannot read (" + std::strerror(errno) + ")");
  std::string buf(1 << 20, '\0');
  uint64_t left = size;
  while (left > 0) {
    ssize_t r = ::read(fd, buf.data(), std::min<uint64_t>(buf.size(), left));
    if (r <= 0) {
      ::close(fd);
      return io_error(path.string() + ": read error while resuming");
    }
    hasher.update(buf.data(), static_cast<size_t>(r));
    left -= static_cast<uint64_t>(r);
  }
  ::close(fd);
  return {};
}

}  // namespace

Result<DownloadOutcome> download_to_file(const Target& target, const std::filesystem::path& partial,
                                         std::optional<uint64_t> expected_size, const ResolveOptions& options) {
  global_init();
  Sink sink;
  sink.fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (sink.fd < 0) return io_error(partial.string() + ": cannot create (" + std::strerror(errno) + ")");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{sink.fd};
  struct stat st {};
  if (::fstat(sink.fd, &st) != 0) return io_error(partial.string() + ": " + std::strerror(errno));
  sink.offset = static_cast<uint64_t>(st.st_size);
  sink.expected = expected_size;
  if (expected_size && sink.offset > *expected_size) {
    if (::ftruncate(sink.fd, 0) != 0) return io_error(partial.string() + ": " + std::strerror(errno));
    sink.offset = 0;
  }
  if (sink.offset > 0) TM_RETURN_IF_ERROR(hash_prefix(partial, sink.offset, sink.hasher));
  sink.resumed_from = sink.offset;
  sink.target = &target;
  sink.options = &options;
  if (options.progress) {
    DownloadProgress p{target.repo, target.file, sink.offset, expected_size.value_or(0), sink.resumed_from};
    if (!options.progress(p)) return cancelled(where(target) + ": download cancelled");
  }

  int failures = 0;
  uint64_t best = sink.offset;
  std::string last_error;
  while (!(expected_size && sink.offset == *expected_size)) {
    CURL* curl = curl_easy_init();
    if (!curl) return internal_error("libcurl: curl_easy_init failed");
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = common_setup(curl, target.url, options);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink.cap);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    std::string range = std::to_string(sink.offset) + "-";
    if (sink.offset > 0) curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
    sink.curl = curl;
    sink.started = false;
    sink.error_body.clear();
    sink.cap = {};
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    sink.curl = nullptr;

    if (sink.cancelled) return cancelled(where(target) + ": download cancelled (partial file kept for a resume)");
    if (sink.write_errno != 0) {
      int e = sink.write_errno;
      if (e == ENOSPC || e == EDQUOT) {
        return io_error(partial.string() + ": no space left on device after " + std::to_string(sink.offset) +
                        " bytes (free some space and run again: the download resumes)");
      }
      return io_error(partial.string() + ": write failed (" + std::strerror(e) + ")");
    }
    if (sink.overflow) {
      ::ftruncate(sink.fd, 0);
      return corrupt(where(target) + ": the server sent more than the announced " +
                     std::to_string(expected_size.value_or(0)) + " bytes; download discarded (" + target.url + ")");
    }
    if (rc == CURLE_OK && (status == 200 || status == 206)) {
      if (!expected_size || sink.offset == *expected_size) break;
      last_error = "transfer ended at byte " + std::to_string(sink.offset);  // short body: resume
    } else if (rc == CURLE_OK && status == 416) {
      // Range not satisfiable: our partial file does not fit the server's file; start over.
      if (::ftruncate(sink.fd, 0) != 0) return io_error(partial.string() + ": " + std::strerror(errno));
      sink.offset = 0;
      sink.hasher.reset();
      last_error = "server refused to resume (HTTP 416)";
    } else if (rc == CURLE_OK && status >= 300) {
      Target t = target;
      if (!transient_status(status)) return http_error(t, status, sink.cap, options);
      last_error = "HTTP " + std::to_string(status);
    } else if (sink.bad_range) {
      sink.bad_range = false;
      if (::ftruncate(sink.fd, 0) != 0) return io_error(partial.string() + ": " + std::strerror(errno));
      sink.offset = 0;
      sink.hasher.reset();
      last_error = "server answered the Range request with another range";
    } else if (rc != CURLE_OK) {
      if (!transient_curl(rc)) return transport_error(target, rc, errbuf, options);
      last_error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    }
    // Only a new high-water mark counts as progress, so a server that keeps answering with other ranges
    // (or restarting from 0) cannot keep us looping.
    failures = sink.offset > best ? 0 : failures + 1;
    best = std::max(best, sink.offset);
    if (failures > options.max_retries) {
      return network_error(where(target) + ": download keeps failing at byte " + std::to_string(sink.offset) + " (" +
                           last_error + "); run again to resume (" + target.url + ")");
    }
    sleep_ms(options.retry_delay_ms * std::max(failures, 1) / (failures == 0 ? 4 : 1));
  }
  if (::fsync(sink.fd) != 0) return io_error(partial.string() + ": fsync failed (" + std::strerror(errno) + ")");
  DownloadOutcome out;
  out.size = sink.offset;
  out.fetched = sink.fetched;
  out.sha256 = sink.hasher.finish_hex();
  return out;
}

}  // namespace tagmetry::hub
