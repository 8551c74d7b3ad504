// One parallel pass over a dataset folder: captions, tag lines, CLIP token counts, image sizes.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

#include "tagmetry/caption.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/dataset.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/files.h"
#include "tagmetry/image.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

uint32_t be32(const unsigned char* p) { return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; }
uint16_t be16(const unsigned char* p) { return uint16_t((p[0] << 8) | p[1]); }
uint32_t le32(const unsigned char* p) { return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24); }
uint16_t le16(const unsigned char* p) { return uint16_t(p[0] | (p[1] << 8)); }

struct File {
  FILE* f = nullptr;
  explicit File(const fs::path& p) : f(std::fopen(p.c_str(), "rb")) {}
  ~File() {
    if (f) std::fclose(f);
  }
};

// Returns true and sets w/h when the header is one of the directly read formats.
bool fast_size(FILE* f, int& w, int& h) {
  unsigned char b[32];
  size_t n = std::fread(b, 1, sizeof b, f);
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
    long pos = 2;
    unsigned char m[9];
    for (int guard = 0; guard < 1000; ++guard) {
      if (std::fseek(f, pos, SEEK_SET) != 0 || std::fread(m, 1, 4, f) != 4) return false;
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
        if (std::fread(m, 1, 5, f) != 5) return false;
        h = be16(m + 1), w = be16(m + 3);
        return true;
      }
      if (marker == 0xd9 || marker == 0xda || len < 2) return false;
      pos += 2 + len;
    }
  }
  return false;
}

}  // namespace

Status read_image_size(const fs::path& path, int& width, int& height) {
  {
    File file(path);
    if (!file.f) return io_error(path.filename().string() + ": cannot open");
    if (fast_size(file.f, width, height) && width > 0 && height > 0) return {};
  }
  auto info = probe_image(path);
  if (!info.ok()) return info.status();
  width = info->width, height = info->height;
  return {};
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

  std::vector<char> has_other(ds.items.size(), 0);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (;;) {
      size_t i = next.fetch_add(64);
      if (i >= ds.items.size()) return;
      size_t end = std::min(ds.items.size(), i + 64);
      for (; i < end; ++i) {
        const DatasetItem& d = ds.items[i];
        CorpusItem& c = corpus.items[i];
        c.image = d.relpath;
        c.has_caption = d.has_caption;
        std::error_code ec;
        c.file_size = fs::file_size(d.image, ec);
        if (ec) c.file_size = 0;
        has_other[i] = fs::is_regular_file(caption_path_for(d.image, other_ext), ec) ? 1 : 0;
        if (d.has_caption) {
          c.caption = relative_generic(d.caption, root);
          auto text = read_text_file(d.caption);
          if (!text.ok()) {
            c.caption_error = text.status().message();
          } else {
            std::string_view t = *text;
            size_t nl = t.find('\n');
            c.tag_line = std::string(trim(t.substr(0, nl)));
            for (auto& l : split(t, "\n"))
              if (!trim(l).empty()) ++c.lines;
            c.tags = parse_tags(c.tag_line, options.separator);
            if (tokenizer) c.tokens = tokenizer->count(c.tag_line);
          }
        }
        if (options.read_image_sizes) {
          Status s = read_image_size(d.image, c.width, c.height);
          if (!s.ok()) c.image_error = s.message(), c.width = c.height = 0;
        }
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
