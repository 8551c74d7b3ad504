#pragma once
// Reading and writing the Hugging Face Hub cache layout (see model_cache.h). Private to src/model.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "tagmetry/model_cache.h"
#include "tagmetry/status.h"

namespace tagmetry::hub {

struct RepoPaths {
  std::filesystem::path root;       // <cache>/models--ORG--NAME
  std::filesystem::path blobs;
  std::filesystem::path snapshots;
  std::filesystem::path refs;
  std::filesystem::path locks;      // <cache>/.locks/models--ORG--NAME
};

RepoPaths repo_paths(const HubConfig& hub, std::string_view repo);

// Rejects names that could escape the cache folder ("..", absolute paths, empty parts).
Status check_relative_name(std::string_view what, std::string_view name);

// The snapshot folder `revision` points to: refs/<revision> when present, else `revision` itself
// (a commit hash, or a revision fetched from a server that sends no X-Repo-Commit).
std::string snapshot_name(const RepoPaths& paths, std::string_view revision);

// The cached file for `revision` when its snapshot entry exists and resolves to a readable file.
std::optional<HubFile> find_cached_file(const RepoPaths& paths, std::string_view revision, std::string_view file);

// Points snapshots/<commit>/<file> at blobs/<blob> (relative symlink; a copy where symlinks fail).
Status link_snapshot(const RepoPaths& paths, std::string_view commit, std::string_view file, std::string_view blob);

// Writes refs/<revision> = commit (no newline, as huggingface_hub does), unless revision == commit.
Status write_ref(const RepoPaths& paths, std::string_view revision, std::string_view commit);

// An exclusive flock() on <locks>/<name>.lock, released on destruction.
class BlobLock {
 public:
  static Result<BlobLock> acquire(const RepoPaths& paths, const std::string& name);
  BlobLock(BlobLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  BlobLock(const BlobLock&) = delete;
  BlobLock& operator=(const BlobLock&) = delete;
  BlobLock& operator=(BlobLock&&) = delete;
  ~BlobLock();

 private:
  explicit BlobLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace tagmetry::hub
