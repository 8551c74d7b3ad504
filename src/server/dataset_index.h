#pragma once
// Private to the server: the in-memory index of a dataset folder the API answers from — every image with
// its caption text, tag line and version, tag counts and per-tag posting lists for AND / OR / NOT
// filters. Thread-safe: readers share a lock; reloads take it exclusively. Captions on disk stay the
// truth: reload()/poll() re-read files, and every change bumps a generation counter.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tagmetry/dataset.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/status.h"

namespace tagmetry::server {

// A snapshot of one image's entry, as routes use it.
struct IndexedImage {
  std::string path;                  // image relpath ('/' separators)
  std::filesystem::path image;       // full path
  std::string caption_path;          // caption relpath
  bool has_caption = false;          // the caption file exists
  std::string text;                  // display text: BOM removed, CRLF → LF ("" when none or unreadable)
  std::vector<std::string> tags;     // tags of the first line, as written
  std::string version = "none";      // caption_version() of the file's bytes
  std::string error;                 // unreadable / not UTF-8
  int64_t caption_mtime_ns = 0;      // the caption file's modification time (0: none)
};

// Gallery orders: the dataset's (natural order of the path, i.e. by name), most tags first, newest
// caption edit first (images without a caption last).
enum class ImageOrder { kName, kTagCount, kLastEdit };

// 16 hex digits of a 64-bit FNV-1a hash of the bytes, or "none" for a missing file.
std::string caption_version(const std::optional<std::string>& raw);
// 64-bit FNV-1a of the bytes (caption versions, thumbnail cache names), and as 16 hex digits.
uint64_t fnv1a_64(std::string_view bytes);
std::string hex64(uint64_t hash);

// The key tags are counted and filtered by: spaces written as underscores ("long hair" = "long_hair").
std::string tag_key(std::string_view tag);

struct TagFilter {
  std::vector<std::string> all, any, none;
  std::string text;                  // substring of the caption text, ASCII case-insensitive
  std::optional<bool> captioned;
  bool empty() const { return all.empty() && any.empty() && none.empty() && text.empty() && !captioned; }
};

struct DatasetTagCount {
  std::string tag;   // the spelling seen first
  size_t count = 0;  // images whose tag line has it
};

class DatasetIndex {
 public:
  // Scans `root` and reads every caption in parallel. Errors only for an unreadable root.
  static Result<std::unique_ptr<DatasetIndex>> load(const std::filesystem::path& root, const ScanOptions& options);

  const std::filesystem::path& root() const { return root_; }
  const std::string& caption_extension() const { return caption_extension_; }
  // Ids run from 0 to id_count() - 1; images removed from the folder keep their id but are left out of
  // get(), visit(), match() and the counts.
  size_t id_count() const;
  size_t images() const;    // images in the folder now
  size_t captions() const;  // of those, with a caption file
  uint64_t generation() const;

  // A snapshot of one image's entry; false when `id` is out of range or its image was removed.
  bool get(size_t id, IndexedImage& out) const;
  // Why get(id) failed, for an error message: "no image with id N" or "image N (PATH) was removed from
  // the folder".
  std::string missing_message(std::string_view id_text) const;
  // Calls fn(id, snapshot) for each id in `ids` under one shared lock (ids out of range are skipped).
  void visit(const std::vector<uint32_t>& ids, const std::function<void(uint32_t, const IndexedImage&)>& fn) const;
  // The id of an image relpath, or of a caption relpath; -1 when none.
  int64_t find(const std::string& relpath) const;
  int64_t find_caption(const std::string& caption_relpath) const;
  // The caption of an image as the index holds it, for stats and lint (CorpusOptions::caption_source);
  // nullopt when the image is not in the index (or was removed) or its caption could not be read.
  std::optional<HeldCaption> held_caption(const std::string& image_relpath) const;

  // Ids matching the filter, in dataset order.
  std::vector<uint32_t> match(const TagFilter& filter) const;
  // Sorts `ids` (from match()) by `order`; ties keep dataset order.
  void sort(std::vector<uint32_t>& ids, ImageOrder order) const;
  // Every tag of the dataset's tag lines with its image count (unsorted).
  std::vector<DatasetTagCount> tag_counts() const;
  // Image count of one tag (by tag_key).
  size_t tag_count(const std::string& tag) const;

  // Re-reads the caption of `id` from disk. Returns true when it changed (the generation is bumped).
  bool reload(size_t id);
  // Checks every caption file's size and mtime and reloads the changed ones. Returns how many changed.
  size_t poll();
  // Lists the folder again: appends images that are not in the index yet, marks images that disappeared
  // as removed and brings back ones that reappeared (ids stay stable; every change bumps the generation).
  // Cheap when nothing changed: only the modification times of the folders that hold images are
  // compared. At most one listing per `min_interval_s` (caption writes also touch the folders).
  struct SyncResult {
    size_t added = 0, removed = 0, restored = 0;
  };
  SyncResult sync_images(double min_interval_s = 10);
  // Ids changed after generation `since`, at most `limit` (more: *overflow is set and ids is empty).
  std::vector<uint32_t> changed_since(uint64_t since, size_t limit, bool* overflow) const;

 private:
  // Compact storage: tags are spans of `text` (a 100,000-image dataset fits in well under 500 MB).
  struct Entry {
    std::string path, caption_path;
    std::string text;
    std::vector<std::pair<uint32_t, uint32_t>> tags;  // offset, length in text
    std::string error;
    uint64_t hash = 0;
    bool exists = false;
    bool removed = false;  // the image is no longer in the folder
    int64_t caption_size = -1, caption_mtime_ns = 0;
    uint64_t changed_at = 0;
  };
  void read_caption(Entry& entry) const;  // fills text/tags/hash/exists/error/size/mtime
  IndexedImage snapshot(const Entry& entry) const;
  void rebuild_postings_locked() const;
  void ensure_postings() const;  // rebuilds under the exclusive lock when stale
  bool apply_reloaded(size_t id, Entry&& fresh);

  // Folders that hold images, with their modification time at the last listing.
  std::vector<std::pair<std::filesystem::path, int64_t>> folder_times_;
  std::chrono::steady_clock::time_point last_listing_ = std::chrono::steady_clock::now();
  void remember_folder_times_locked();

  std::filesystem::path root_;
  std::string caption_extension_;
  ScanOptions scan_options_;
  mutable std::shared_mutex mutex_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, uint32_t> by_path_, by_caption_;
  uint64_t generation_ = 1;
  // Posting lists, rebuilt lazily after changes.
  mutable std::atomic<bool> postings_dirty_{true};
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  mutable std::unordered_map<std::string, uint32_t, KeyHash, std::equal_to<>> tag_ids_;
  mutable std::vector<std::string> tag_names_;
  mutable std::vector<std::vector<uint32_t>> postings_;
};

}  // namespace tagmetry::server
