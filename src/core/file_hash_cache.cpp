// sha256_file_cached: a per-user table of file hashes (one line per file: sha256, size, mtime_ns, path,
// tab-separated; the last line for a path wins), appended with one write and compacted when it grows.
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "tagmetry/data_paths.h"
#include "tagmetry/files.h"
#include "tagmetry/sha256.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

constexpr size_t kCompactBytes = 256 * 1024;  // a few thousand entries; rewritten with one line per path

bool parse_int(std::string_view s, int64_t& v) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size();
}

struct Entry {
  std::string sha256;
  FileStamp stamp;
};

// path -> newest entry. Malformed lines (a torn append, a hand edit) are skipped.
std::unordered_map<std::string, Entry> read_table(const std::string& text) {
  std::unordered_map<std::string, Entry> table;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string_view> f;
    size_t start = 0;
    for (size_t i = 0; i <= line.size() && f.size() < 4; ++i)
      if (i == line.size() || (line[i] == '\t' && f.size() < 3)) {
        f.emplace_back(line.data() + start, i - start);
        start = i + 1;
      }
    Entry e;
    if (f.size() != 4 || f[0].size() != 64 || !parse_int(f[1], e.stamp.size) || !parse_int(f[2], e.stamp.mtime_ns))
      continue;
    e.sha256 = std::string(f[0]);
    table[std::string(f[3])] = std::move(e);
  }
  return table;
}

std::string line_of(const std::string& path, const Entry& e) {
  return e.sha256 + "\t" + std::to_string(e.stamp.size) + "\t" + std::to_string(e.stamp.mtime_ns) + "\t" + path + "\n";
}

}  // namespace

Result<std::string> sha256_file_cached(const fs::path& path) {
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  const std::string key = (ec ? path : abs).lexically_normal().string();
  const std::optional<FileStamp> before = stat_file_stamp(path);
  if (key.find_first_of("\t\n") != std::string::npos || !before) return sha256_file(path);

  const fs::path table_path = user_cache_dir() / "file-hashes.tsv";
  auto read = read_file(table_path);
  const std::string text = read.ok() ? std::move(*read) : std::string();  // none yet (or unreadable): empty
  auto table = read_table(text);
  if (auto it = table.find(key); it != table.end() && it->second.stamp == *before) return it->second.sha256;

  TM_ASSIGN_OR_RETURN(std::string sha, sha256_file(path));
  if (stat_file_stamp(path) != before) return sha;  // changed while being read: do not remember
  Entry entry{sha, *before};
  fs::create_directories(table_path.parent_path(), ec);
  if (text.size() + 200 > kCompactBytes) {
    table[key] = entry;
    std::string all;
    for (const auto& [p, e] : table) all += line_of(p, e);
    (void)write_file_atomic(table_path, all);
  } else {
    // One write of a whole line with O_APPEND: concurrent runs interleave lines, never parts of them.
    int fd = ::open(table_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
      std::string line = line_of(key, entry);
      (void)!::write(fd, line.data(), line.size());
      ::close(fd);
    }
  }
  return sha;
}

}  // namespace tagmetry
