#include "fake_hub.h"

#include <httplib.h>

#include <chrono>

#include "tagmetry/sha256.h"

namespace tagmetry::testing {

FakeHub::FakeHub() : server_(std::make_unique<httplib::Server>()) {
  auto& srv = *server_;
  srv.Get(R"(/([^/]+)/([^/]+)/resolve/([^/]+)/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    record(req.method + " " + req.path);
    std::lock_guard<std::mutex> lock(mu_);
    if (!token_.empty() && req.get_header_value("Authorization") != "Bearer " + token_) {
      res.status = 401;
      res.set_content("Invalid credentials", "text/plain");
      return;
    }
    auto it = files_.find(req.matches[1].str() + "/" + req.matches[2].str() + "/" + req.matches[4].str());
    if (it == files_.end()) {
      res.status = 404;
      res.set_header("X-Error-Code", "EntryNotFound");
      res.set_content("Entry not found", "text/plain");
      return;
    }
    const File& f = it->second;
    const std::string real_sha = sha256_hex(f.content);
    res.set_header("X-Repo-Commit", commit_);
    if (f.lfs) {
      const std::string announced = f.announced_sha256.empty() ? real_sha : f.announced_sha256;
      res.status = 302;
      res.set_header("Location", endpoint() + "/cdn/" + real_sha);
      res.set_header("X-Linked-Etag", "\"" + announced + "\"");
      res.set_header("X-Linked-Size", std::to_string(f.content.size()));
      res.set_header("ETag", "\"" + real_sha.substr(0, 40) + "\"");
    } else {
      res.status = 200;
      res.set_header("ETag", "\"" + real_sha.substr(0, 40) + "\"");  // the Hub sends the git blob sha1
      res.set_content(f.content, "text/plain");
    }
  });
  srv.Get(R"(/cdn/([0-9a-f]{64}))", [this](const httplib::Request& req, httplib::Response& res) {
    record(req.method + " " + req.path + (req.has_header("Range") ? " " + req.get_header_value("Range") : ""));
    std::lock_guard<std::mutex> lock(mu_);
    auto blob = blobs_.find(req.matches[1].str());
    if (blob == blobs_.end()) {
      res.status = 404;
      return;
    }
    File& f = files_.at(blob->second);
    const std::string content = f.content;
    if (f.ignore_range) {
      // cpp-httplib applies a request's Range to any response; forget it to act like a server without
      // range support (200 with the whole file).
      const_cast<httplib::Request&>(req).ranges.clear();
      res.status = 200;
      res.set_content(content, "application/octet-stream");
      return;
    }
    size_t stop_at = content.size();
    if (f.cut_after > 0 && f.cuts > 0) {
      --f.cuts;
      stop_at = f.cut_after;
    }
    res.set_content_provider(content.size(), "application/octet-stream",
                             [content, stop_at](size_t offset, size_t length, httplib::DataSink& sink) {
                               if (offset >= stop_at) return false;  // drop the connection mid-transfer
                               size_t n = std::min({length, stop_at - offset, size_t(4096)});
                               sink.write(content.data() + offset, n);
                               return true;
                             });
  });
  port_ = srv.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeHub::~FakeHub() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeHub::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeHub::add_file(const std::string& repo, const std::string& file, File f) {
  std::lock_guard<std::mutex> lock(mu_);
  blobs_[sha256_hex(f.content)] = repo + "/" + file;
  files_[repo + "/" + file] = std::move(f);
}

void FakeHub::add_file(const std::string& repo, const std::string& file, const std::string& content, bool lfs) {
  File f;
  f.content = content;
  f.lfs = lfs;
  add_file(repo, file, std::move(f));
}

void FakeHub::require_token(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  token_ = token;
}

void FakeHub::set_commit(const std::string& commit) {
  std::lock_guard<std::mutex> lock(mu_);
  commit_ = commit;
}

std::string FakeHub::commit() const {
  std::lock_guard<std::mutex> lock(mu_);
  return commit_;
}

void FakeHub::record(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  log_.push_back(line);
}

std::vector<std::string> FakeHub::log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

size_t FakeHub::request_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_.size();
}

}  // namespace tagmetry::testing
