#include "tagmetry/files.h"
#include "tagmetry/folder_access.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {
std::string errno_text(int err) { return std::strerror(err); }
}  // namespace

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return not_found(path.string() + ": no such file");
    return io_error(path.string() + ": cannot open (" + errno_text(errno) + ")");
  }
  std::string data;
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  if (size > 0) {
    data.resize(static_cast<size_t>(size));
    in.seekg(0);
    in.read(data.data(), size);
    if (!in) return io_error(path.string() + ": read failed");
  } else if (size < 0) {
    return io_error(path.string() + ": cannot read (is it a folder?)");
  }
  return data;
}

Result<std::string> read_text_file(const fs::path& path) {
  TM_ASSIGN_OR_RETURN(std::string raw, read_file(path));
  std::string_view body = strip_utf8_bom(raw);
  size_t off = find_invalid_utf8(body);
  if (off != std::string_view::npos) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "not valid UTF-8 (byte 0x%02x at offset %zu)",
                  static_cast<unsigned char>(body[off]), off);
    return corrupt(path.string() + ": " + buf);
  }
  return normalize_newlines(body);
}

namespace {
// The folder that writing into `folder` would write to (it, or its nearest existing parent), and 0 when
// files can be created there, else the errno saying why (ENOTDIR: it is not a folder).
int folder_write_errno(const fs::path& folder, fs::path* written) {
  fs::path dir = folder.empty() ? fs::path(".") : folder;
  std::error_code ec;
  while (!fs::exists(dir, ec) && dir.has_relative_path() && dir.has_parent_path()) dir = dir.parent_path();
  if (!fs::exists(dir, ec)) dir = ".";  // a relative path none of whose folders exists yet
  *written = dir;
  if (!fs::is_directory(dir, ec)) return ENOTDIR;
  return ::access(dir.c_str(), W_OK) == 0 ? 0 : errno;
}
}  // namespace

Status check_folder_writable(const fs::path& folder) {
  fs::path dir;
  const int err = folder_write_errno(folder, &dir);
  if (err == 0) return {};
  if (err == ENOTDIR) return io_error(dir.string() + ": not a folder");
  if (err == EROFS) return io_error(dir.string() + " is read-only (" + errno_text(err) + ")");
  return io_error(dir.string() + " is not writable (" + errno_text(err) + ")");
}

Status write_file_atomic(const fs::path& path, std::string_view content, FileSync sync) {
  static std::atomic<unsigned> counter{0};
  thread_local std::random_device rd;
  fs::path tmp = path;
  tmp += ".tmp-tagmetry-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(rd() % 100000);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    fs::path dir;
    if (err == ENOENT) {  // the folder is missing: say why it could not be made (a read-only disk), if that is why
      const int why = folder_write_errno(path.parent_path(), &dir);
      if (why != 0) err = why;
    }
    return io_error(path.string() + ": cannot write (" + errno_text(err) + ")");
  }
  // Keep the permissions of an existing file.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) ::fchmod(fd, st.st_mode & 07777);
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return io_error(path.string() + ": write failed (" + errno_text(err) + ")");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if ((sync == FileSync::kFsync && ::fsync(fd) != 0) || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error(path.string() + ": write failed (" + errno_text(err) + ")");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error(path.string() + ": cannot replace (" + errno_text(err) + ")");
  }
  return {};
}

Result<fs::path> backup_file(const fs::path& path) {
  for (int i = 1; i < 10000; ++i) {
    fs::path candidate = path;
    candidate += i == 1 ? ".bak" : ".bak" + std::to_string(i);
    std::error_code ec;
    if (fs::exists(candidate, ec)) continue;
    fs::copy_file(path, candidate, fs::copy_options::none, ec);
    if (ec) return io_error(path.string() + ": cannot back up to " + candidate.string() + " (" + ec.message() + ")");
    return candidate;
  }
  return io_error(path.string() + ": too many backups beside it");
}

std::optional<FileStamp> stat_file_stamp(const fs::path& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileStamp{static_cast<int64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec};
}

std::string relative_generic(const fs::path& path, const fs::path& base) {
  std::error_code ec;
  fs::path rel = fs::relative(path, base, ec);
  if (ec || rel.empty() || *rel.begin() == "..") {
    // Not under base (e.g. a symlink into another folder): the absolute path, so that `base / result`
    // names the same file whether base was given relative or absolute.
    fs::path abs = fs::absolute(path, ec);
    return (ec ? path : abs).generic_string();
  }
  return rel.generic_string();
}

}  // namespace tagmetry
