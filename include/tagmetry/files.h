#pragma once
// File I/O with the project's safety rules: atomic writes (temp file in the same folder, fsync, rename),
// text reads that reject non-UTF-8 with a message naming the file, and backups before any overwrite.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "tagmetry/status.h"

namespace tagmetry {

// Size and modification time (nanoseconds since the epoch) of a file, following symlinks: what caches of
// file contents (hashes, captions) compare to see whether a file changed.
struct FileStamp {
  int64_t size = -1;
  int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};
// The stamp of `path`; nullopt when it cannot be stat'ed (errno says why). Allocates nothing, for loops
// over many files.
std::optional<FileStamp> stat_file_stamp(const std::filesystem::path& path);

// Reads the whole file as bytes. Errors name the path.
Result<std::string> read_file(const std::filesystem::path& path);

// Reads a UTF-8 text file: strips a BOM, converts CRLF/CR to LF. Non-UTF-8 content is an error
// ("a.txt: not valid UTF-8 (byte 0xff at offset 12)"), so nothing is silently mangled.
Result<std::string> read_text_file(const std::filesystem::path& path);

// Whether write_file_atomic flushes the file before the rename (kFsync), or leaves that to a caller that
// writes many files and flushes them together (kDeferred: the caption journal calls syncfs once per batch
// and only then marks the writes done).
enum class FileSync { kFsync, kDeferred };

// Writes `content` to `path` atomically: a temporary file beside it, fsync (see FileSync), rename over the
// target, keeping an existing file's permissions. Readers see either the old file or the new one, never a
// partial file; a crash leaves at worst a stray "*.tmp-tagmetry-*" file. The target's folder must exist.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         FileSync sync = FileSync::kFsync);

// Copies `path` to a free backup name beside it ("a.txt" → "a.txt.bak", then "a.txt.bak2", …) and
// returns that name. Errors if the copy fails.
Result<std::filesystem::path> backup_file(const std::filesystem::path& path);

// Returns `path` relative to `base` with '/' separators (generic form), or the absolute path when it is
// not under base (symlinks resolved), so `base / result` always names `path`.
std::string relative_generic(const std::filesystem::path& path, const std::filesystem::path& base);

}  // namespace tagmetry
