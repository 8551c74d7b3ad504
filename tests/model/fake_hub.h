#pragma once
// A Hugging Face Hub stand-in for tests: cpp-httplib on 127.0.0.1 (random free port, own thread) serving
// `/{org}/{name}/resolve/{revision}/{file}` the way the Hub does: LFS files answer with a 302 to
// `/cdn/<sha256>` carrying X-Repo-Commit, X-Linked-Etag and X-Linked-Size; small files answer 200 with a
// git-style ETag. It can require a token, cut transfers short, and lie about a file's sha256.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace tagmetry::testing {

class FakeHub {
 public:
  struct File {
    std::string content;
    bool lfs = true;                 // redirect to /cdn/<sha256> with X-Linked-* headers
    size_t cut_after = 0;            // when > 0, transfers stop at this absolute byte offset …
    int cuts = 0;                    // … this many times (then full transfers)
    std::string announced_sha256;    // when set, announced instead of the real sha256 (a lying server)
    bool ignore_range = false;       // answer Range requests with 200 and the whole file
  };

  FakeHub();
  ~FakeHub();
  FakeHub(const FakeHub&) = delete;
  FakeHub& operator=(const FakeHub&) = delete;

  // "http://127.0.0.1:PORT".
  std::string endpoint() const;
  // Serves `file` of `repo` ("org/name") at every revision.
  void add_file(const std::string& repo, const std::string& file, File f);
  void add_file(const std::string& repo, const std::string& file, const std::string& content, bool lfs = true);
  // Every request then needs "Authorization: Bearer <token>" (401 otherwise). Empty: no check.
  void require_token(const std::string& token);
  // The commit the repos are at (X-Repo-Commit).
  void set_commit(const std::string& commit);
  std::string commit() const;

  // Requests served so far, as "METHOD PATH [Range]" lines.
  std::vector<std::string> log() const;
  size_t request_count() const;

 private:
  void record(const std::string& line);

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::map<std::string, File> files_;        // "org/name/file" → file
  std::map<std::string, std::string> blobs_;  // sha256 → "org/name/file"
  std::string token_;
  std::string commit_ = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
  std::vector<std::string> log_;
};

}  // namespace tagmetry::testing
