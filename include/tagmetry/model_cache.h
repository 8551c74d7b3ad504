#pragma once
// Getting model files onto the disk: the Hugging Face Hub download protocol
// (`{endpoint}/{repo}/resolve/{revision}/{file}`) written into the Hub's own cache layout, so files that
// Python tools (huggingface_hub, kohya-ss, ComfyUI nodes) downloaded are reused, and ours are reused by them:
//
//   $HF_HUB_CACHE (default $HF_HOME/hub, default ~/.cache/huggingface/hub)
//     models--ORG--NAME/
//       blobs/<etag>                 file contents; etag = sha256 for LFS files, git sha1 otherwise
//       blobs/<etag>.incomplete      an interrupted download, resumed with an HTTP Range request
//       snapshots/<commit>/<file>    relative symlink to ../../blobs/<etag>
//       refs/<revision>              the commit hash that <revision> ("main") resolved to
//     .locks/models--ORG--NAME/<etag>.lock   flock()ed while a blob is written (same as huggingface_hub)
//
// Downloads follow redirects (the Hub sends LFS files to a CDN), resume interrupted transfers, verify the
// size and, when the ETag is a sha256 (LFS files), the sha256; a file that fails verification is deleted
// and never appears in snapshots/. Offline mode never opens a connection.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "tagmetry/model_registry.h"
#include "tagmetry/status.h"

namespace tagmetry {

// Where and how to reach the Hub. Value type; copy freely.
struct HubConfig {
  std::string endpoint = "https://huggingface.co";  // no trailing slash
  std::string token;                                // sent as "Authorization: Bearer <token>" when non-empty
  std::string token_source;                         // "HF_TOKEN", "<path to token file>", or "" (no token)
  std::filesystem::path cache_dir;                  // the hub cache (…/huggingface/hub)
  bool offline = false;                             // HF_HUB_OFFLINE

  // Reads HF_ENDPOINT, HF_TOKEN (else HUGGING_FACE_HUB_TOKEN, else the file HF_TOKEN_PATH or
  // $HF_HOME/token written by `huggingface-cli login`), HF_HUB_CACHE, HF_HOME (default
  // $XDG_CACHE_HOME/huggingface, default ~/.cache/huggingface) and HF_HUB_OFFLINE (1/true/yes/on).
  // Empty variables count as unset.
  static HubConfig from_environment();
};

// "SmilingWolf/wd-vit-tagger-v3" → "models--SmilingWolf--wd-vit-tagger-v3".
std::string repo_folder_name(std::string_view repo);

// `{endpoint}/{repo}/resolve/{revision}/{file}`.
std::string hub_file_url(const HubConfig& hub, std::string_view repo, std::string_view revision,
                         std::string_view file);

// Progress of one file's download. Called from the downloading thread, often (every received chunk):
// throttle any drawing. `done` counts bytes on disk including a resumed prefix; `total` is 0 when unknown.
struct DownloadProgress {
  std::string repo;
  std::string file;
  uint64_t done = 0;
  uint64_t total = 0;
  uint64_t resumed_from = 0;  // bytes that were already on disk from an interrupted download
};
// Return false to cancel the download (the resolve call then fails with kCancelled; the partial file is
// kept for a later resume).
using ProgressCallback = std::function<bool(const DownloadProgress&)>;

struct ResolveOptions {
  HubConfig hub = HubConfig::from_environment();
  bool offline = false;            // never touch the network (also when hub.offline)
  bool check_for_updates = false;  // ask the Hub what `revision` points to now even when the files are cached
  ProgressCallback progress;       // may be empty
  int max_retries = 5;             // attempts after a transfer breaks off without progress
  int retry_delay_ms = 1000;       // wait before retry n is n × this
  int connect_timeout_s = 20;
  int stall_timeout_s = 60;        // abort a transfer that receives nothing for this long
};

// One file in the cache.
struct HubFile {
  std::filesystem::path path;  // snapshots/<commit>/<file> (a symlink into blobs/, or a copy)
  std::string commit;          // the snapshot folder name (a commit hash, or the revision on plain servers)
  std::string etag;            // blob name
  uint64_t size = 0;
  uint64_t downloaded_bytes = 0;  // fetched over the network by this call (0: served from the cache)
  std::string warning;            // non-empty when an update check failed and the cached copy was used
};

// Returns the local path of `file` of `repo` at `revision`, downloading it when it is not cached (or when
// options.check_for_updates and the Hub's `revision` moved). Errors (all name the repo and file):
//   kNetwork   host unreachable, timeouts, HTTP 5xx after retries, 401/403 ("needs a token: set HF_TOKEN"
//              or "the token was refused")
//   kNotFound  HTTP 404 (repo, revision or file does not exist), or offline and not cached
//   kCorrupt   size or sha256 mismatch (the download is deleted; nothing is added to snapshots/)
//   kIo        cannot write the cache; disk full (the partial file is kept for a resume)
//   kCancelled the progress callback returned false
// Thread-safe; concurrent calls for the same blob (in this or another process) wait on its lock file.
Result<HubFile> resolve_hub_file(std::string_view repo, std::string_view revision, std::string_view file,
                                 const ResolveOptions& options);

// The two files a tagger needs.
struct ModelFiles {
  std::filesystem::path model;   // model.onnx
  std::filesystem::path labels;  // selected_tags.csv or top_tags.txt
  std::string commit;
  uint64_t downloaded_bytes = 0;  // 0 when everything came from the cache
  std::string warning;            // non-empty when an update check failed and cached files were used
};

// Resolves entry.model_file and entry.labels_file of entry.repo at entry.revision (see resolve_hub_file).
// With the files cached and !check_for_updates this makes no network request at all.
Result<ModelFiles> resolve_model(const ModelEntry& entry, const ResolveOptions& options);

// Looks only in the cache (never the network): the model's files when both are there, else kNotFound
// with a message saying what is missing and how to get it.
Result<ModelFiles> find_cached_model(const ModelEntry& entry, const HubConfig& hub);

}  // namespace tagmetry
