#pragma once
// Private: OUT/manifest.csv as prepare writes it (row by row, so a killed run keeps the provenance of what
// it wrote) and reads it back for --resume.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry::prepare_internal {

inline constexpr std::string_view kManifestHeader = "file,source,width,height,bytes,sha256,status,note\n";

// One row of a manifest: the fields resume needs, and the row's text (with its newline) to keep it as is.
struct ManifestRecord {
  std::string file;    // output name ("" when nothing was written)
  std::string source;  // relative to IN
  std::string sha256;
  std::string status;  // written | duplicate | near_duplicate | failed
  std::string row;
};

// Parses a manifest written by prepare (quoted fields may hold commas, quotes and newlines). Errors name
// the file and the line.
Result<std::vector<ManifestRecord>> read_manifest(const std::filesystem::path& path);

// The manifest file of a run, appended to as inputs finish. Not thread-safe (the committing thread owns it).
class ManifestWriter {
 public:
  ManifestWriter() = default;
  ManifestWriter(const ManifestWriter&) = delete;
  ManifestWriter& operator=(const ManifestWriter&) = delete;
  ~ManifestWriter();

  // Replaces `path` atomically with `initial` (the header and any rows kept from before) and opens it for
  // appending.
  Status open(const std::filesystem::path& path, std::string_view initial);
  // Appends one row; the kernel has it when this returns (a kill -9 keeps it).
  Status append(std::string_view row);
  // Flushes to disk and closes.
  Status close();

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

// Whether a failed write failed because the disk (or the quota) is full.
bool is_disk_full(const Status& status);

}  // namespace tagmetry::prepare_internal
