#include "hub_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "tagmetry/files.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(trim(v)) : std::string();
}

bool env_true(const char* name) {
  std::string v = to_lower_ascii(env(name));
  return v == "1" || v == "true" || v == "yes" || v == "on";
}

}  // namespace

HubConfig HubConfig::from_environment() {
  HubConfig c;
  if (std::string e = env("HF_ENDPOINT"); !e.empty()) {
    while (!e.empty() && e.back() == '/') e.pop_back();
    c.endpoint = e;
  }
  fs::path home;
  if (std::string h = env("HF_HOME"); !h.empty()) {
    home = h;
  } else if (std::string x = env("XDG_CACHE_HOME"); !x.empty()) {
    home = fs::path(x) / "huggingface";
  } else {
    std::string user_home = env("HOME");
    home = (user_home.empty() ? fs::temp_directory_path() : fs::path(user_home)) / ".cache" / "huggingface";
  }
  if (std::string hc = env("HF_HUB_CACHE"); !hc.empty()) c.cache_dir = hc;
  else c.cache_dir = home / "hub";
  if (std::string t = env("HF_TOKEN"); !t.empty()) {
    c.token = t;
    c.token_source = "HF_TOKEN";
  } else if (std::string legacy = env("HUGGING_FACE_HUB_TOKEN"); !legacy.empty()) {
    c.token = legacy;
    c.token_source = "HUGGING_FACE_HUB_TOKEN";
  } else {
    fs::path token_file = env("HF_TOKEN_PATH").empty() ? home / "token" : fs::path(env("HF_TOKEN_PATH"));
    std::error_code ec;
    if (fs::is_regular_file(token_file, ec)) {
      if (auto text = read_file(token_file); text.ok() && !trim(*text).empty()) {
        c.token = std::string(trim(*text));
        c.token_source = token_file.string();
      }
    }
  }
  c.offline = env_true("HF_HUB_OFFLINE");
  return c;
}

std::string repo_folder_name(std::string_view repo) { return "models--" + replace_all(repo, "/", "--"); }

std::string hub_file_url(const HubConfig& hub, std::string_view repo, std::string_view revision,
                         std::string_view file) {
  // Revisions such as "refs/pr/1" keep their slashes URL-encoded, as the Hub expects.
  return hub.endpoint + "/" + std::string(repo) + "/resolve/" + replace_all(revision, "/", "%2F") + "/" +
         std::string(file);
}

namespace hub {

RepoPaths repo_paths(const HubConfig& hub, std::string_view repo) {
  RepoPaths p;
  p.root = hub.cache_dir / repo_folder_name(repo);
  p.blobs = p.root / "blobs";
  p.snapshots = p.root / "snapshots";
  p.refs = p.root / "refs";
  p.locks = hub.cache_dir / ".locks" / repo_folder_name(repo);
  return p;
}

Status check_relative_name(std::string_view what, std::string_view name) {
  if (name.empty()) return invalid_argument(std::string(what) + " is empty");
  if (name.front() == '/') return invalid_argument(std::string(what) + " '" + std::string(name) + "' is absolute");
  for (auto& part : split(name, "/")) {
    if (part.empty() || part == "." || part == "..")
      return invalid_argument(std::string(what) + " '" + std::string(name) + "' is not a plain relative name");
  }
  return {};
}

std::string snapshot_name(const RepoPaths& paths, std::string_view revision) {
  fs::path ref = paths.refs / std::string(revision);
  std::error_code ec;
  if (fs::is_regular_file(ref, ec)) {
    if (auto text = read_file(ref); text.ok() && !trim(*text).empty()) return std::string(trim(*text));
  }
  return std::string(revision);
}

std::optional<HubFile> find_cached_file(const RepoPaths& paths, std::string_view revision, std::string_view file) {
  HubFile f;
  f.commit = snapshot_name(paths, revision);
  f.path = paths.snapshots / f.commit / std::string(file);
  std::error_code ec;
  if (!fs::is_regular_file(f.path, ec)) return std::nullopt;  // follows the symlink: a dangling one is a miss
  f.size = fs::file_size(f.path, ec);
  if (ec) return std::nullopt;
  if (fs::is_symlink(f.path, ec)) f.etag = fs::read_symlink(f.path, ec).filename().string();
  return f;
}

Status link_snapshot(const RepoPaths& paths, std::string_view commit, std::string_view file, std::string_view blob) {
  fs::path link = paths.snapshots / std::string(commit) / std::string(file);
  fs::path target = paths.blobs / std::string(blob);
  std::error_code ec;
  fs::create_directories(link.parent_path(), ec);
  if (ec) return io_error(link.parent_path().string() + ": cannot create folder (" + ec.message() + ")");
  fs::remove(link, ec);  // a stale entry from an earlier snapshot state
  fs::create_symlink(fs::relative(target, link.parent_path()), link, ec);
  if (ec) {
    ec.clear();
    fs::copy_file(target, link, fs::copy_options::overwrite_existing, ec);
    if (ec) return io_error(link.string() + ": cannot link or copy the blob (" + ec.message() + ")");
  }
  return {};
}

Status write_ref(const RepoPaths& paths, std::string_view revision, std::string_view commit) {
  if (revision == commit || commit.empty()) return {};
  fs::path ref = paths.refs / std::string(revision);
  std::error_code ec;
  fs::create_directories(ref.parent_path(), ec);
  if (ec) return io_error(ref.parent_path().string() + ": cannot create folder (" + ec.message() + ")");
  return write_file_atomic(ref, commit);
}

Result<BlobLock> BlobLock::acquire(const RepoPaths& paths, const std::string& name) {
  std::error_code ec;
  fs::create_directories(paths.locks, ec);
  if (ec) return io_error(paths.locks.string() + ": cannot create folder (" + ec.message() + ")");
  fs::path lock = paths.locks / (name + ".lock");
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(lock.string() + ": cannot open lock file (" + std::strerror(errno) + ")");
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int e = errno;
    ::close(fd);
    return io_error(lock.string() + ": cannot lock (" + std::strerror(e) + ")");
  }
  return BlobLock(fd);
}

BlobLock::~BlobLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace hub
}  // namespace tagmetry
