#pragma once
// Private to the server: the in-memory index of a dataset folder the API answers from — every image with
// its caption text, tag line and version, tag counts and per-tag posting lists for AND / OR / NOT
// filters. Thread-safe: readers share a lock; reloads take it exclusively. Captions on disk stay the
// truth: reload()/poll() re-read files, and every change bumps a generation counter.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tagmetry/dataset.h"
#include "tagmetry/status.h"

namespace tagmetry::server {

struct IndexedImage {
  std::string path;                  // image relpath ('/' separators)
  std::filesystem::path image;       // full path
  std::string caption_path;          // caption relpath
  std::optional<std::string> raw;    // caption file bytes; nullopt when there is no file
  std::string text;                  // display text: BOM removed, CRLF → LF ("" when none or unreadable)
  std::vector<std::string> tags;     // tags of the first line, as written
  std::string version = "none";      // caption_version(raw)
  std::string error;                 // unreadable / not UTF-8
  int64_t caption_size = -1, caption_mtime_ns = 0;
  uint64_t changed_at = 0;           // generation of its last change
};

// 16 hex digits of a 64-bit FNV-1a hash of the bytes, or "none" for a missing file.
std::string caption_version(const std::optional<std::string>& raw);

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
  size_t size() const;
  size_t captions() const;
  uint64_t generation() const;

  // A copy of one image's entry; false when `id` is out of range.
  bool get(size_t id, IndexedImage& out) const;
  // Calls fn(id, image) for each id in `ids` under one shared lock (ids out of range are skipped).
  template <class Fn>
  void visit(const std::vector<uint32_t>& ids, Fn&& fn) const {
    std::shared_lock lock(mutex_);
    for (uint32_t id : ids)
      if (id < images_.size()) fn(id, images_[id]);
  }
  // The id of an image relpath, or -1.
  int64_t find(const std::string& relpath) const;

  // Ids matching the filter, in dataset order.
  std::vector<uint32_t> match(const TagFilter& filter) const;
  // Every tag of the dataset's tag lines with its image count (unsorted).
  std::vector<DatasetTagCount> tag_counts() const;
  // Image count of one tag (by tag_key).
  size_t tag_count(const std::string& tag) const;

  // Re-reads the caption of `id` from disk. Returns true when it changed (the generation is bumped).
  bool reload(size_t id);
  // Checks every caption file's size and mtime and reloads the changed ones. Returns how many changed.
  size_t poll();
  // Ids changed after generation `since`, at most `limit` (more: *overflow is set and ids is empty).
  std::vector<uint32_t> changed_since(uint64_t since, size_t limit, bool* overflow) const;

 private:
  void read_caption(IndexedImage& item) const;  // fills raw/text/tags/version/error/size/mtime
  void rebuild_postings_locked() const;
  bool apply_reloaded(size_t id, IndexedImage&& fresh);

  std::filesystem::path root_;
  std::string caption_extension_;
  mutable std::shared_mutex mutex_;
  std::vector<IndexedImage> images_;
  std::unordered_map<std::string, uint32_t> by_path_;
  uint64_t generation_ = 1;
  // Posting lists, rebuilt lazily after changes.
  mutable bool postings_dirty_ = true;
  mutable std::unordered_map<std::string, uint32_t> tag_ids_;
  mutable std::vector<std::string> tag_names_;
  mutable std::vector<std::vector<uint32_t>> postings_;
};

}  // namespace tagmetry::server
