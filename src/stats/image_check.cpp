// Full-decode check of a dataset's images with a per-file cache (see image_check.h).
#include "tagmetry/image_check.h"

#include <mutex>
#include <sstream>
#include <unordered_map>

#include "tagmetry/parallel.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/files.h"
#include "tagmetry/image.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

Status check_image_decodes(const fs::path& path) {
  // image.h's full-decode check: every coded byte is read (JPEGs at 1/8 scale, which skips only the
  // inverse DCT of the discarded detail), and corrupt data is an error, not a grey band.
  return verify_image(path);
}

fs::path image_check_cache_path(const fs::path& root) { return root / ".tagmetry" / "decode-check.tsv"; }

namespace {

constexpr std::string_view kCacheHeader = "tagmetry decode-check 1";

struct CacheEntry {
  FileStamp stamp;
  std::string error;
};

// relpath \t size \t mtime_ns \t error ("" when the image decodes); one image per line.
std::unordered_map<std::string, CacheEntry> read_cache(const fs::path& file) {
  std::unordered_map<std::string, CacheEntry> out;
  auto text = read_file(file);
  if (!text.ok()) return out;
  std::string_view all = *text;
  size_t pos = all.find('\n');
  if (pos == std::string_view::npos || all.substr(0, pos) != kCacheHeader) return out;
  ++pos;
  while (pos < all.size()) {
    size_t end = all.find('\n', pos);
    if (end == std::string_view::npos) break;  // a cut last line is not trusted
    std::string_view line = all.substr(pos, end - pos);
    pos = end + 1;
    size_t t1 = line.find('\t'), t2 = t1 == line.npos ? line.npos : line.find('\t', t1 + 1),
           t3 = t2 == line.npos ? line.npos : line.find('\t', t2 + 1);
    if (t3 == line.npos) continue;
    CacheEntry e;
    try {
      e.stamp.size = std::stoll(std::string(line.substr(t1 + 1, t2 - t1 - 1)));
      e.stamp.mtime_ns = std::stoll(std::string(line.substr(t2 + 1, t3 - t2 - 1)));
    } catch (...) {
      continue;
    }
    e.error = std::string(line.substr(t3 + 1));
    out[std::string(line.substr(0, t1))] = std::move(e);
  }
  return out;
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

ImageCheckResult check_images_decode(const std::vector<fs::path>& images, const std::vector<std::string>& keys,
                                     const ImageCheckOptions& options) {
  ImageCheckResult r;
  r.errors.resize(images.size());
  const bool use_cache = !options.cache_file.empty();
  std::unordered_map<std::string, CacheEntry> cache;
  if (use_cache) cache = read_cache(options.cache_file);
  std::vector<std::optional<FileStamp>> stamps(images.size());
  std::vector<size_t> todo;
  const unsigned threads = core_internal::worker_threads(options.threads);
  core_internal::parallel_for(images.size(), 256, threads, [&](size_t i) { stamps[i] = stat_file_stamp(images[i]); });
  for (size_t i = 0; i < images.size(); ++i) {
    if (use_cache && stamps[i]) {
      auto it = cache.find(keys[i]);
      if (it != cache.end() && it->second.stamp == *stamps[i]) {
        r.errors[i] = it->second.error;
        ++r.cached;
        continue;
      }
    }
    todo.push_back(i);
  }
  core_internal::parallel_for(todo.size(), 1, threads, [&](size_t k) {
    const size_t i = todo[k];
    Status s = check_image_decodes(images[i]);
    if (!s.ok()) r.errors[i] = one_line(s.message());
  });
  r.decoded = todo.size();
  if (!use_cache) return r;
  // Rewrite when anything was decoded or the cache holds files no longer listed.
  if (todo.empty() && cache.size() == images.size()) return r;
  std::string text(kCacheHeader);
  text += '\n';
  for (size_t i = 0; i < images.size(); ++i) {
    if (!stamps[i] || keys[i].find_first_of("\t\n\r") != std::string::npos) continue;
    text += keys[i] + '\t' + std::to_string(stamps[i]->size) + '\t' + std::to_string(stamps[i]->mtime_ns) + '\t' +
            r.errors[i] + '\n';
  }
  std::error_code ec;
  fs::create_directories(options.cache_file.parent_path(), ec);
  if (Status s = write_file_atomic(options.cache_file, text); !s.ok())
    r.cache_note = "decode results not saved (" + s.message() + "); the next run decodes every image again";
  return r;
}

ImageCheckResult check_corpus_images(DatasetCorpus& corpus, bool use_cache, int threads) {
  std::vector<fs::path> paths;
  std::vector<std::string> keys;
  std::vector<size_t> index;
  for (size_t i = 0; i < corpus.items.size(); ++i) {
    const CorpusItem& it = corpus.items[i];
    if (!it.image_error.empty()) continue;  // the header already failed
    paths.push_back(corpus.root / it.image);
    keys.push_back(it.image);
    index.push_back(i);
  }
  ImageCheckOptions options;
  options.threads = threads;
  if (use_cache) options.cache_file = image_check_cache_path(corpus.root);
  ImageCheckResult r = check_images_decode(paths, keys, options);
  for (size_t k = 0; k < index.size(); ++k)
    if (!r.errors[k].empty())
      corpus.items[index[k]].image_error = r.errors[k] + " (a full decode fails: kohya cannot load it)";
  return r;
}

}  // namespace tagmetry
