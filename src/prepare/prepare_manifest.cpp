#include "prepare_manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tagmetry/files.h"
#include "tagmetry/tag_database.h"

namespace tagmetry::prepare_internal {
namespace fs = std::filesystem;

Result<std::vector<ManifestRecord>> read_manifest(const fs::path& path) {
  TM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  if (text.rfind(kManifestHeader, 0) != 0)
    return corrupt(path.string() + ": not a prepare manifest (the first line is not \"" +
                   std::string(kManifestHeader.substr(0, kManifestHeader.size() - 1)) + "\")");
  std::vector<ManifestRecord> records;
  size_t pos = kManifestHeader.size();
  int line = 2;
  while (pos < text.size()) {
    // A record ends at the first newline outside quotes.
    size_t end = pos;
    bool quoted = false;
    while (end < text.size() && (quoted || text[end] != '\n')) {
      if (text[end] == '"') quoted = !quoted;
      ++end;
    }
    if (end == text.size()) break;  // a row cut short by a crash: not recorded
    std::string_view row(text.data() + pos, end - pos);
    std::vector<std::string> f = split_csv_line(row);
    if (f.size() != 8)
      return corrupt(path.string() + ": line " + std::to_string(line) + ": expected 8 fields, found " +
                     std::to_string(f.size()));
    records.push_back({f[0], f[1], f[5], f[6], std::string(text.data() + pos, end - pos + 1)});
    for (char c : row) line += c == '\n';
    ++line;
    pos = end + 1;
  }
  return records;
}

ManifestWriter::~ManifestWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status ManifestWriter::open(const fs::path& path, std::string_view initial) {
  path_ = path;
  TM_RETURN_IF_ERROR(write_file_atomic(path, initial));
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return io_error(path.string() + ": cannot open (" + std::strerror(errno) + ")");
  return {};
}

Status ManifestWriter::append(std::string_view row) {
  while (!row.empty()) {
    ssize_t n = ::write(fd_, row.data(), row.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(path_.string() + ": write failed (" + std::strerror(errno) + ")");
    }
    row.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status ManifestWriter::close() {
  if (fd_ < 0) return {};
  const bool synced = ::fsync(fd_) == 0;
  const int err = errno;
  const bool closed = ::close(fd_) == 0;
  fd_ = -1;
  if (!synced || !closed) return io_error(path_.string() + ": write failed (" + std::strerror(synced ? errno : err) + ")");
  return {};
}

bool is_disk_full(const Status& status) {
  const std::string& m = status.message();
  return m.find(std::strerror(ENOSPC)) != std::string::npos || m.find(std::strerror(EDQUOT)) != std::string::npos;
}

}  // namespace tagmetry::prepare_internal
