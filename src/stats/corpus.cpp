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
#include "tagmetry/clip_token_counter.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/dataset.h"
#include "tagmetry/dataset_listing.h"
#include "tagmetry/dataset_stats.h"
#include "read_all.h"
#include "tagmetry/files.h"
#include "tagmetry/image_header.h"
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

// The separator users put between kohya's fixed, shuffled and fixed-suffix parts (keep_tokens_separator).
constexpr std::string_view kKeepTokensSeparator = "|||";

// parse_tags() (split on the separator, trim, drop empty pieces) without the intermediate vector; a piece
// holding "|||" is split there too (each part is a tag of its own).
// Returns true when the separator is "," and the line is exactly its tags joined by ", " (no other
// whitespace around them, no empty pieces): then its CLIP tokens are its tags' (see TagInterner).
bool split_tags(std::string_view line, std::string_view sep, std::vector<std::string>& out) {
  out.clear();
  if (sep.empty()) {
    std::string_view t = trim(line);
    if (!t.empty()) out.emplace_back(t);
    return false;
  }
  bool joined = sep == ",";
  out.reserve(std::count(line.begin(), line.end(), sep[0]) + 1);
  for (size_t start = 0, expect = 0;;) {
    size_t pos = line.find(sep, start);
    std::string_view piece = line.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start);
    std::string_view t = trim(piece);
    if (t.empty()) {
      joined = false;
    } else if (t.find(kKeepTokensSeparator) != std::string_view::npos) {
      // kohya's keep_tokens_separator ("1girl ||| smile"): the parts are tags of their own, never one tag.
      joined = false;
      for (size_t a = 0;;) {
        size_t b = t.find(kKeepTokensSeparator, a);
        std::string_view part = trim(t.substr(a, b == std::string_view::npos ? std::string_view::npos : b - a));
        if (!part.empty()) out.emplace_back(part);
        if (b == std::string_view::npos) break;
        a = b + kKeepTokensSeparator.size();
      }
    } else {
      const size_t off = size_t(t.data() - line.data());
      if (off != expect || off + t.size() != (pos == std::string_view::npos ? line.size() : pos)) joined = false;
      out.emplace_back(t);
    }
    if (pos == std::string_view::npos) break;
    if (pos + 1 >= line.size() || line[pos + 1] != ' ') joined = false;
    start = pos + sep.size();
    expect = pos + 2;
  }
  return joined;
}

// True when every byte is below 0x80 (valid UTF-8 then), eight bytes at a time.
bool is_ascii(std::string_view s) {
  uint64_t high = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    high |= w;
  }
  for (; i < s.size(); ++i) high |= static_cast<unsigned char>(s[i]);
  return (high & 0x8080808080808080ull) == 0;
}

// Tag ids of one reader thread: an open-addressing table of the distinct tags it has seen (hashed once
// while the line is split, no allocation on a hit). Ids are per thread until load_corpus merges them.
class TagInterner {
 public:
  TagInterner() : slots_(1u << 12) {}
  uint32_t intern(std::string_view tag) {
    uint64_t h = 1469598103934665603ull;
    unsigned char high = 0;
    for (unsigned char c : tag) h = (h ^ c) * 1099511628211ull, high |= c;
    size_t mask = slots_.size() - 1;
    for (size_t k = size_t(h ^ (h >> 29)) & mask;; k = (k + 1) & mask) {
      Slot& s = slots_[k];
      if (s.id == kEmpty) break;
      if (s.hash == h && names_[s.id] == tag) return s.id;
    }
    uint32_t id = uint32_t(names_.size());
    names_.emplace_back(tag);
    tokens_.push_back({kUnknown, kUnknown, high < 0x80});
    if ((names_.size()) * 2 > slots_.size()) grow();
    place(h, id);
    return id;
  }
  std::vector<std::string>& names() { return names_; }

  // The tag's ClipTokenizer::count() alone or followed by "," (cached); false for a tag that is not
  // ASCII. A line of ASCII tags joined by ", " has the sum of its tags' counts (each but the last with
  // its comma): the count of an ASCII line is the sum of its whitespace-separated chunks' (see
  // clip_token_counter.h), and each tag (with its comma) is a run of whole chunks.
  bool tokens(uint32_t id, bool comma, const ClipTokenizer& tok, size_t& out) {
    Tokens& t = tokens_[id];
    if (!t.ascii) return false;
    uint32_t& n = comma ? t.with_comma : t.alone;
    if (n == kUnknown) n = uint32_t(comma ? tok.count(names_[id] + ",") : tok.count(names_[id]));
    out = n;
    return true;
  }

 private:
  static constexpr uint32_t kEmpty = ~0u;
  struct Slot {
    uint64_t hash = 0;
    uint32_t id = kEmpty;
  };
  void place(uint64_t h, uint32_t id) {
    size_t mask = slots_.size() - 1;
    size_t k = size_t(h ^ (h >> 29)) & mask;
    while (slots_[k].id != kEmpty) k = (k + 1) & mask;
    slots_[k] = Slot{h, id};
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& s : old)
      if (s.id != kEmpty) place(s.hash, s.id);
  }
  static constexpr uint32_t kUnknown = ~0u;
  struct Tokens {
    uint32_t alone, with_comma;
    bool ascii;
  };
  std::vector<Slot> slots_;
  std::vector<std::string> names_;
  std::vector<Tokens> tokens_;
};

// The hash of an image's first block kept for the duplicate-image check: all of it for a file that
// fits (its whole content), else its last 512 bytes (cheap, and past the headers images share).
uint64_t head_hash(const ImageHeaderReader& r) {
  if (!r.ok) return 0;
  size_t from = r.whole() ? 0 : r.head_size - 512;
  uint64_t h = 1469598103934665603ull;
  const unsigned char* p = r.head + from;
  const size_t n = r.head_size - from;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 31;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  h ^= uint64_t(n) * 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h ? h : 1;
}

// A folder's descriptor, to open its files by name (no path walk per file); -1 when it cannot be
// opened (files are then opened by path).
struct FolderFd {
  int fd = -1;
  FolderFd() = default;
  FolderFd(const FolderFd&) = delete;
  FolderFd& operator=(const FolderFd&) = delete;
  ~FolderFd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<DatasetCorpus> load_corpus(const fs::path& root, const CorpusOptions& options, const ClipTokenizer* tokenizer) {
  ScanOptions so;
  so.recursive = options.recursive;
  so.caption_extension = options.caption_extension;
  const std::string other_ext = options.caption_extension == ".caption" ? ".txt" : ".caption";
  TM_ASSIGN_OR_RETURN(dataset_internal::DatasetListing ds, dataset_internal::list_dataset(root, so, other_ext));
  if (!tokenizer && options.tokenizer_source) tokenizer = options.tokenizer_source();
  DatasetCorpus corpus;
  corpus.root = root;
  std::string prefix = root.native();
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  // The path relative to root as relative_generic() gives it for a file that is not a symbolic link.
  auto lexical_relpath = [&](const std::string& p) {
    if (!prefix.empty() && p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0) return p.substr(prefix.size());
    return relative_generic(fs::path(p), root);
  };
  for (auto& o : ds.orphan_captions) corpus.orphan_captions.push_back(relative_generic(fs::path(o), root));
  corpus.items.resize(ds.images.size());
  std::vector<FolderFd> folders(ds.folders.size());
  // Each folder's path relative to root ("sub/"), where lexical_relpath() gives it for its files.
  std::vector<std::string> folder_rel(ds.folders.size());
  std::vector<char> folder_relative(ds.folders.size(), 0);
  for (size_t f = 0; f < ds.folders.size(); ++f) {
    const std::string& p = ds.folders[f];
    folders[f].fd = ::open(p.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (!prefix.empty() && p.size() >= prefix.size() && p.compare(0, prefix.size(), prefix) == 0)
      folder_rel[f] = p.substr(prefix.size()), folder_relative[f] = 1;
  }

  unsigned n = options.threads > 0 ? unsigned(options.threads) : std::max(1u, std::thread::hardware_concurrency());
  n = std::min<unsigned>(n, 16);
  std::vector<TagInterner> interners(n);
  std::vector<uint8_t> reader_of(ds.images.size(), 0);  // which thread's tag ids an item holds
  std::atomic<size_t> next{0};
  auto work = [&](unsigned worker) {
    std::string raw;
    ClipTokenCounter counter(tokenizer);
    TagInterner& interner = interners[worker];
    for (;;) {
      size_t i = next.fetch_add(64);
      if (i >= ds.images.size()) return;
      size_t end = std::min(ds.images.size(), i + 64);
      for (; i < end; ++i) {
        const dataset_internal::ListedImage& d = ds.images[i];
        CorpusItem& c = corpus.items[i];
        reader_of[i] = uint8_t(worker);
        const int dir = folders[d.folder].fd;
        const std::string& folder = ds.folders[d.folder];
        c.image = std::move(ds.images[i].relpath);
        c.has_caption = d.has_caption;
        // The tag line, line count, tags and tokens of a caption's text.
        auto take_text = [&](std::string_view t) {
          size_t nl = t.find('\n');
          c.tag_line = std::string(trim(t.substr(0, nl)));
          for (size_t pos = 0; pos <= t.size();) {
            size_t e = t.find('\n', pos);
            if (e == std::string_view::npos) e = t.size();
            if (!trim(t.substr(pos, e - pos)).empty()) ++c.lines;
            pos = e + 1;
          }
          const bool joined = split_tags(c.tag_line, options.separator, c.tags);
          c.tag_ids.resize(c.tags.size());
          for (size_t k = 0; k < c.tags.size(); ++k) c.tag_ids[k] = interner.intern(c.tags[k]);
          if (tokenizer) {
            // Tags joined by ", " (the usual layout): the sum of the tags' cached counts.
            bool by_tags = joined && !c.tags.empty();
            size_t total = 0;
            for (size_t k = 0; by_tags && k < c.tags.size(); ++k) {
              size_t n = 0;
              by_tags = interner.tokens(c.tag_ids[k], k + 1 < c.tags.size(), *tokenizer, n);
              total += n;
            }
            c.tokens = by_tags ? total : counter.count(c.tag_line);
          }
        };
        std::optional<HeldCaption> held;
        if (options.caption_source) held = options.caption_source(c.image);
        if (held) {
          c.has_caption = held->exists;
          if (held->exists) {
            c.caption = held->caption;
            take_text(held->text);
          }
        } else if (d.has_caption) {
          // Opened without following a link: a link's relative path is relative_generic's (resolved).
          const bool by_name = dir >= 0 && !d.caption_name.empty();
          int fd = by_name ? ::openat(dir, d.caption_name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
          auto caption_path = [&] {
            return by_name ? folder + d.caption_name
                           : caption_path_for(fs::path(folder + d.name), options.caption_extension).native();
          };
          if (fd >= 0 && folder_relative[d.folder]) c.caption = folder_rel[d.folder] + d.caption_name;
          else if (fd >= 0) c.caption = lexical_relpath(caption_path());
          else c.caption = relative_generic(fs::path(caption_path()), root);
          if (fd < 0) fd = ::open(caption_path().c_str(), O_RDONLY | O_CLOEXEC);
          std::string text;
          bool fast = fd >= 0 && stats_internal::read_all_and_close(fd, raw);
          std::string_view body = fast ? strip_utf8_bom(raw) : std::string_view();
          std::string_view t;
          if (fast && (is_ascii(body) || find_invalid_utf8(body) == std::string_view::npos)) {
            if (body.find('\r') != std::string_view::npos) text = normalize_newlines(body), t = text;
            else t = body;
          } else {
            auto read = read_text_file(fs::path(caption_path()));  // the exact error text (or a late success)
            if (read.ok()) text = std::move(read).value(), t = text;
            else c.caption_error = read.status().message();
          }
          if (c.caption_error.empty()) take_text(t);
        }
        // One open per image: its header, and its size (the header read tells it for files under 4 KiB,
        // fstat otherwise).
        int fd = dir >= 0 ? ::openat(dir, d.name.c_str(), O_RDONLY | O_CLOEXEC)
                          : ::open((folder + d.name).c_str(), O_RDONLY | O_CLOEXEC);
        bool done = false;
        if (fd >= 0) {
          ImageHeaderReader r(fd);
          struct stat st {};
          if (r.whole()) c.file_size = r.head_size, done = true;
          else if (r.ok && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) c.file_size = uint64_t(st.st_size), done = true;
          if (done) c.head_hash = head_hash(r);
          if (done && options.read_image_sizes) {
            Status s = image_size_from_header(r, [&] { return fs::path(folder + d.name); }, c.width, c.height);
            if (!s.ok()) c.image_error = s.message(), c.width = c.height = 0;
          }
        }
        if (!done) {
          const fs::path image(folder + d.name);
          std::error_code ec;
          c.file_size = fs::file_size(image, ec);
          if (ec) c.file_size = 0;
          if (options.read_image_sizes) {
            Status s = read_image_size(image, c.width, c.height);
            if (!s.ok()) c.image_error = s.message(), c.width = c.height = 0;
          }
        }
        if (fd >= 0) ::close(fd);
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& t : pool) t.join();

  // Corpus-wide tag ids, in order of first use (deterministic whatever thread read what).
  std::vector<std::vector<uint32_t>> global(n);
  for (unsigned t = 0; t < n; ++t) global[t].assign(interners[t].names().size(), ~0u);
  std::unordered_map<std::string_view, uint32_t> by_name;
  for (size_t i = 0; i < corpus.items.size(); ++i) {
    unsigned w = reader_of[i];
    auto& map = global[w];
    for (uint32_t& id : corpus.items[i].tag_ids) {
      uint32_t& g = map[id];
      if (g == ~0u) {
        const std::string& name = interners[w].names()[id];  // stays in place until the end
        g = by_name.try_emplace(name, uint32_t(by_name.size())).first->second;
        if (g == corpus.tag_names.size()) corpus.tag_names.push_back(name);
      }
      id = g;
    }
  }

  // Caption files with the other common extension beside images (the .txt vs .caption trap).
  for (const auto& d : ds.images)
    if (d.other_caption)
      corpus.other_caption_files.push_back(
          relative_generic(caption_path_for(fs::path(ds.folders[d.folder] + d.name), other_ext), root));
  return corpus;
}

}  // namespace tagmetry
