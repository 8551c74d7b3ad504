#pragma once
// The HTTP side of Hub downloads (libcurl): a HEAD request that reads a file's metadata, and a resumable,
// hashing GET into a partial file. Private to src/model.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "tagmetry/model_cache.h"
#include "tagmetry/status.h"

namespace tagmetry::hub {

// What the Hub says about a file before it is downloaded.
struct FileMetadata {
  std::string commit;             // X-Repo-Commit ("" from servers that are not the Hub)
  std::string etag;               // X-Linked-Etag (LFS: sha256) or ETag, quotes and W/ removed; may be ""
  std::optional<uint64_t> size;   // X-Linked-Size or Content-Length
};

// Identifies a request in error messages: "SmilingWolf/wd-vit-tagger-v3: model.onnx".
struct Target {
  std::string repo;
  std::string file;
  std::string url;
};

// HEAD `target.url` without following cross-host redirects (the Hub puts the metadata on the redirect to its
// CDN; relative redirects, e.g. a renamed repo, are followed). Maps HTTP and transport errors to Status.
Result<FileMetadata> fetch_metadata(const Target& target, const ResolveOptions& options);

struct DownloadOutcome {
  uint64_t size = 0;            // final file size
  uint64_t fetched = 0;         // bytes received over the network
  std::string sha256;           // of the whole file, lowercase hex
};

// GETs `target.url` (following redirects) into `partial`, resuming from its current size with a Range
// request and retrying broken transfers. The sha256 covers the whole file, resumed prefix included.
// `expected_size` (when known) bounds the download and is used for progress.
Result<DownloadOutcome> download_to_file(const Target& target, const std::filesystem::path& partial,
                                         std::optional<uint64_t> expected_size, const ResolveOptions& options);

}  // namespace tagmetry::hub
