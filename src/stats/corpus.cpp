// One parallel pass over a dataset folder: captions, tag lines, CLIP token counts, image sizes.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <unordered_map>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

#include "tagmetry/caption.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/dataset.h"
#include "tagmetry/dataset_stats.h"
#include "read_all.h"
#include "tagmetry/files.h"
#include "tagmetry/image.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

// Reads the rest of an open file with as few reads as its size needs, and closes it. False on any
// failure (the caller then asks read_text_file for the exact error).
bool stats_internal::read_all_and_close(int fd, std::string& out) {
  out.clear();
  char buf[16384];
  bool ok = true;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      ok = false;
      break;
    }
    if (n == 0) break;
    out.append(buf, size_t(n));
    if (size_t(n) < sizeof buf) break;  // a short read of a regular file ends at its end
  }
  ::close(fd);
  return ok;
}


namespace {

uint32_t be32(const unsigned char* p) { return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; }
uint16_t be16(const unsigned char* p) { return uint16_t((p[0] << 8) | p[1]); }
uint32_t le32(const unsigned char* p) { return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24); }
uint16_t le16(const unsigned char* p) { return uint16_t(p[0] | (p[1] << 8)); }

// An open file read with pread: the first block once, anything past it on demand.
struct HeaderReader {
  int fd = -1;
  unsigned char head[4096];
  size_t head_size = 0;
  bool ok = false;  // the first read worked
  explicit HeaderReader(int f) : fd(f) {
    ssize_t n = ::pread(fd, head, sizeof head, 0);
    ok = n >= 0;
    head_size = n > 0 ? size_t(n) : 0;
  }
  // The whole file is in head (a short read of a regular file ends at its end).
  bool whole() const { return ok && head_size < sizeof head; }
  // Copies n bytes at pos into out; false when the file is shorter.
  bool get(uint64_t pos, unsigned char* out, size_t n) const {
    if (pos + n <= head_size) {
      std::memcpy(out, head + pos, n);
      return true;
    }
    return ::pread(fd, out, n, off_t(pos)) == ssize_t(n);
  }
};

// Returns true and sets w/h when the header is one of the directly read formats.
bool fast_size(const HeaderReader& r, int& w, int& h) {
  const unsigned char* b = r.head;
  size_t n = std::min<size_t>(r.head_size, 32);
  if (n >= 24 && std::memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0 && std::memcmp(b + 12, "IHDR", 4) == 0) {
    w = int(be32(b + 16)), h = int(be32(b + 20));
    return true;
  }
  if (n >= 10 && (std::memcmp(b, "GIF87a", 6) == 0 || std::memcmp(b, "GIF89a", 6) == 0)) {
    w = le16(b + 6), h = le16(b + 8);
    return true;
  }
  if (n >= 26 && b[0] == 'B' && b[1] == 'M') {
    w = int(le32(b + 18));
    h = std::abs(int32_t(le32(b + 22)));
    return true;
  }
  if (n >= 30 && std::memcmp(b, "RIFF", 4) == 0 && std::memcmp(b + 8, "WEBP", 4) == 0) {
    if (std::memcmp(b + 12, "VP8 ", 4) == 0) {
      w = le16(b + 26) & 0x3fff, h = le16(b + 28) & 0x3fff;
      return true;
    }
    if (std::memcmp(b + 12, "VP8L", 4) == 0) {
      uint32_t bits = le32(b + 21);
      w = int(bits & 0x3fff) + 1, h = int((bits >> 14) & 0x3fff) + 1;
      return true;
    }
    if (std::memcmp(b + 12, "VP8X", 4) == 0) {
      w = int(b[24] | (b[25] << 8) | (b[26] << 16)) + 1;
      h = int(b[27] | (b[28] << 8) | (b[29] << 16)) + 1;
      return true;
    }
    return false;
  }
  if (n >= 4 && b[0] == 0xff && b[1] == 0xd8) {
    // Walk the JPEG markers to the first SOFn.
    uint64_t pos = 2;
    unsigned char m[9];
    for (int guard = 0; guard < 1000; ++guard) {
      if (!r.get(pos, m, 4)) return false;
      if (m[0] != 0xff) return false;
      unsigned char marker = m[1];
      if (marker == 0xff) {  // fill byte
        ++pos;
        continue;
      }
      if (marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01) {
        pos += 2;
        continue;
      }
      uint16_t len = be16(m + 2);
      bool sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
      if (sof) {
        if (!r.get(pos + 4, m, 5)) return false;
        h = be16(m + 1), w = be16(m + 3);
        return true;
      }
      if (marker == 0xd9 || marker == 0xda || len < 2) return false;
      pos += 2 + len;
    }
  }
  return false;
}

// Width and height from an open image: the header, else libvips' probe.
Status size_from_header(const HeaderReader& r, const fs::path& path, int& width, int& height) {
  if (fast_size(r, width, height) && width > 0 && height > 0) return {};
  auto info = probe_image(path);
  if (!info.ok()) return info.status();
  width = info->width, height = info->height;
  return {};
}

// parse_tags() (split on the separator, trim, drop empty pieces) without the intermediate vector.
void split_tags(std::string_view line, std::string_view sep, std::vector<std::string>& out) {
  out.clear();
  if (sep.empty()) {
    std::string_view t = trim(line);
    if (!t.empty()) out.emplace_back(t);
    return;
  }
  out.reserve(std::count(line.begin(), line.end(), sep[0]) + 1);
  for (size_t start = 0;;) {
    size_t pos = line.find(sep, start);
    std::string_view piece = line.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start);
    std::string_view t = trim(piece);
    if (!t.empty()) out.emplace_back(t);
    if (pos == std::string_view::npos) break;
    start = pos + sep.size();
  }
}

// ClipTokenizer::count() of ASCII tag lines, with a cache per whitespace-separated chunk. Exact: CLIP's
// normalisation of ASCII text only collapses whitespace and lower-cases, and its pre-tokenizer never
// makes a piece across whitespace and starts afresh after it, so a line's count is the sum of its
// chunks' counts. Other text goes to the tokenizer whole. One per thread. The cache is an open-addressing
// table of lower-cased chunks hashed while the line is split (one pass, no allocation on a hit).
class ChunkTokenCounter {
 public:
  explicit ChunkTokenCounter(const ClipTokenizer* tok) : tok_(tok), slots_(1u << 12) {}
  size_t count(std::string_view line) {
    size_t total = 0;
    const size_t n = line.size();
    size_t i = 0;
    while (i < n) {
      while (i < n && is_space(line[i])) ++i;
      if (i == n) break;
      const size_t start = i;
      uint64_t h = 1469598103934665603ull;
      for (; i < n && !is_space(line[i]); ++i) {
        unsigned char c = static_cast<unsigned char>(line[i]);
        if (c >= 0x80) return tok_->count(line);
        h = (h ^ lower(c)) * 1099511628211ull;
      }
      total += lookup(line.substr(start, i - start), h);
    }
    return total;
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0, length = 0, tokens = 0;
    bool used = false;
  };
  static bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
  static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

  uint32_t lookup(std::string_view chunk, uint64_t h) {
    size_t mask = slots_.size() - 1;
    for (size_t k = size_t(h) & mask;; k = (k + 1) & mask) {
      Slot& s = slots_[k];
      if (!s.used) break;
      if (s.hash == h && s.length == chunk.size() && same(chunk, s.offset)) return s.tokens;
    }
    std::string key(chunk);
    for (char& c : key) c = char(lower(static_cast<unsigned char>(c)));
    uint32_t tokens = uint32_t(tok_->count(key));
    if (keys_.size() + key.size() > (64u << 20)) clear();  // bound the memory on endless vocabularies
    if ((used_ + 1) * 2 > slots_.size()) grow();
    insert(h, uint32_t(keys_.size()), uint32_t(key.size()), tokens);
    keys_ += key;
    return tokens;
  }
  bool same(std::string_view chunk, uint32_t offset) const {
    const char* k = keys_.data() + offset;
    for (size_t j = 0; j < chunk.size(); ++j)
      if (char(lower(static_cast<unsigned char>(chunk[j]))) != k[j]) return false;
    return true;
  }
  void insert(uint64_t h, uint32_t offset, uint32_t length, uint32_t tokens) {
    size_t mask = slots_.size() - 1;
    size_t k = size_t(h) & mask;
    while (slots_[k].used) k = (k + 1) & mask;
    slots_[k] = Slot{h, offset, length, tokens, true};
    ++used_;
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    used_ = 0;
    for (const Slot& s : old)
      if (s.used) insert(s.hash, s.offset, s.length, s.tokens);
  }
  void clear() {
    std::fill(slots_.begin(), slots_.end(), Slot{});
    keys_.clear();
    used_ = 0;
  }

  const ClipTokenizer* tok_;
  std::vector<Slot> slots_;
  std::string keys_;
  size_t used_ = 0;
};

// One folder of the dataset: a descriptor to open its files by name (no path walk per file), and the
// entries whose name ends with the other caption extension, with their d_type. ok=false when it cannot
// be listed or opened (callers then ask the file system per file).
struct FolderListing {
  bool ok = false;
  int fd = -1;
  std::unordered_map<std::string, unsigned char> other;
  FolderListing() = default;
  FolderListing(const FolderListing&) = delete;
  FolderListing& operator=(const FolderListing&) = delete;
  ~FolderListing() {
    if (fd >= 0) ::close(fd);
  }
};

void list_folder(const fs::path& dir, std::string_view other_ext, FolderListing& l) {
  const char* name = dir.empty() ? "." : dir.c_str();
  DIR* d = ::opendir(name);
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n.size() >= other_ext.size() && n.substr(n.size() - other_ext.size()) == other_ext) l.other.emplace(n, e->d_type);
  }
  ::closedir(d);
  l.fd = ::open(name, O_PATH | O_DIRECTORY | O_CLOEXEC);
  l.ok = l.fd >= 0;
}

std::string_view file_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return std::string_view(path).substr(slash == std::string::npos ? 0 : slash + 1);
}

}  // namespace

Status read_image_size(const fs::path& path, int& width, int& height) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(path.filename().string() + ": cannot open");
  Status s;
  {
    HeaderReader r(fd);
    s = size_from_header(r, path, width, height);
  }
  ::close(fd);
  return s;
}

Result<DatasetCorpus> load_corpus(const fs::path& root, const CorpusOptions& options, const ClipTokenizer* tokenizer) {
  ScanOptions so;
  so.recursive = options.recursive;
  so.caption_extension = options.caption_extension;
  TM_ASSIGN_OR_RETURN(Dataset ds, scan_dataset(root, so));
  DatasetCorpus corpus;
  corpus.root = root;
  for (auto& o : ds.orphan_captions) corpus.orphan_captions.push_back(relative_generic(o, root));
  corpus.items.resize(ds.items.size());
  const std::string other_ext = options.caption_extension == ".caption" ? ".txt" : ".caption";

  // One listing per folder answers "is there a caption with the other extension" without a stat per
  // file, and its descriptor opens files by name.
  std::unordered_map<std::string, FolderListing> folders;
  for (const DatasetItem& d : ds.items) {
    std::string parent = d.image.parent_path().native();
    if (!folders.count(parent)) list_folder(d.image.parent_path(), other_ext, folders[parent]);
  }
  std::string prefix = root.native();
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  // The path relative to root as relative_generic() gives it for a file that is not a symbolic link.
  auto lexical_relpath = [&](const fs::path& path) {
    const std::string& p = path.native();
    if (!prefix.empty() && p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0) return p.substr(prefix.size());
    return relative_generic(path, root);
  };
  auto other_exists = [&](const DatasetItem& d, const FolderListing& folder) {
    std::error_code ec;
    if (!folder.ok) return fs::is_regular_file(caption_path_for(d.image, other_ext), ec);
    if (folder.other.empty()) return false;
    fs::path other = caption_path_for(d.image, other_ext);
    if (other.parent_path() != d.image.parent_path()) return fs::is_regular_file(other, ec);
    auto it = folder.other.find(std::string(file_name(other.native())));
    if (it == folder.other.end()) return false;
    if (it->second == DT_REG) return true;
    return fs::is_regular_file(other, ec);  // a link or an unknown type: ask
  };

  std::vector<char> has_other(ds.items.size(), 0);
  std::atomic<size_t> next{0};
  auto work = [&] {
    std::string raw;
    ChunkTokenCounter counter(tokenizer);
    std::string last_parent;
    const FolderListing* last_folder = nullptr;
    for (;;) {
      size_t i = next.fetch_add(64);
      if (i >= ds.items.size()) return;
      size_t end = std::min(ds.items.size(), i + 64);
      for (; i < end; ++i) {
        const DatasetItem& d = ds.items[i];
        CorpusItem& c = corpus.items[i];
        const std::string& img = d.image.native();
        size_t slash = img.rfind('/');
        std::string_view parent_text(img.data(), slash == std::string::npos ? 0 : slash);
        if (!last_folder || parent_text != last_parent) {
          last_parent = d.image.parent_path().native();
          last_folder = &folders.at(last_parent);
          if (last_parent != parent_text) last_folder = nullptr;  // odd spelling ("a//b"): no cache
        }
        const FolderListing& folder = last_folder ? *last_folder : folders.at(d.image.parent_path().native());
        c.image = d.relpath;
        c.has_caption = d.has_caption;
        has_other[i] = other_exists(d, folder) ? 1 : 0;
        if (d.has_caption) {
          // Opened without following a link: a link's relative path is relative_generic's (resolved).
          int fd = folder.ok ? ::openat(folder.fd, std::string(file_name(d.caption.native())).c_str(),
                                        O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                             : -1;
          c.caption = fd >= 0 ? lexical_relpath(d.caption) : relative_generic(d.caption, root);
          if (fd < 0) fd = ::open(d.caption.c_str(), O_RDONLY | O_CLOEXEC);
          std::string text;
          bool fast = fd >= 0 && stats_internal::read_all_and_close(fd, raw);
          std::string_view body = fast ? strip_utf8_bom(raw) : std::string_view();
          std::string_view t;
          if (fast && find_invalid_utf8(body) == std::string_view::npos) {
            if (body.find('\r') != std::string_view::npos) text = normalize_newlines(body), t = text;
            else t = body;
          } else {
            auto read = read_text_file(d.caption);  // the exact error text (or a late success)
            if (read.ok()) text = std::move(read).value(), t = text;
            else c.caption_error = read.status().message();
          }
          if (c.caption_error.empty()) {
            size_t nl = t.find('\n');
            c.tag_line = std::string(trim(t.substr(0, nl)));
            for (size_t pos = 0; pos <= t.size();) {
              size_t e = t.find('\n', pos);
              if (e == std::string_view::npos) e = t.size();
              if (!trim(t.substr(pos, e - pos)).empty()) ++c.lines;
              pos = e + 1;
            }
            split_tags(c.tag_line, options.separator, c.tags);
            if (tokenizer) c.tokens = counter.count(c.tag_line);
          }
        }
        // One open per image: its header, and its size (the header read tells it for files under 4 KiB,
        // fstat otherwise).
        int fd = folder.ok ? ::openat(folder.fd, std::string(file_name(d.image.native())).c_str(), O_RDONLY | O_CLOEXEC)
                           : ::open(d.image.c_str(), O_RDONLY | O_CLOEXEC);
        bool done = false;
        if (fd >= 0) {
          HeaderReader r(fd);
          struct stat st {};
          if (r.whole()) c.file_size = r.head_size, done = true;
          else if (r.ok && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) c.file_size = uint64_t(st.st_size), done = true;
          if (done && options.read_image_sizes) {
            Status s = size_from_header(r, d.image, c.width, c.height);
            if (!s.ok()) c.image_error = s.message(), c.width = c.height = 0;
          }
        }
        if (!done) {
          std::error_code ec;
          c.file_size = fs::file_size(d.image, ec);
          if (ec) c.file_size = 0;
          if (options.read_image_sizes) {
            Status s = read_image_size(d.image, c.width, c.height);
            if (!s.ok()) c.image_error = s.message(), c.width = c.height = 0;
          }
        }
        if (fd >= 0) ::close(fd);
      }
    }
  };
  unsigned n = options.threads > 0 ? unsigned(options.threads) : std::max(1u, std::thread::hardware_concurrency());
  n = std::min<unsigned>(n, 16);
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();

  // Caption files with the other common extension beside images (the .txt vs .caption trap).
  for (size_t i = 0; i < ds.items.size(); ++i)
    if (has_other[i])
      corpus.other_caption_files.push_back(relative_generic(caption_path_for(ds.items[i].image, other_ext), root));
  return corpus;
}

}  // namespace tagmetry
