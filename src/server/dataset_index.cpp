#include "dataset_index.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include "tagmetry/caption.h"
#include "tagmetry/files.h"
#include "tagmetry/strings.h"

namespace tagmetry::server {
namespace fs = std::filesystem;

std::string caption_version(const std::optional<std::string>& raw) {
  if (!raw) return "none";
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : *raw) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string tag_key(std::string_view tag) {
  std::string k(tag);
  std::replace(k.begin(), k.end(), ' ', '_');
  return k;
}

namespace {

bool stat_file(const fs::path& path, int64_t& size, int64_t& mtime_ns) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  size = st.st_size;
  mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return true;
}

bool contains_ci(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

// Runs fn(i) for i in [0, n) on a few threads.
template <class Fn>
void parallel_for(size_t n, Fn&& fn) {
  size_t threads = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), 8);
  if (n < 256 || threads == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (;;) {
      size_t begin = next.fetch_add(256);
      if (begin >= n) return;
      size_t end = std::min(n, begin + 256);
      for (size_t i = begin; i < end; ++i) fn(i);
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

}  // namespace

void DatasetIndex::read_caption(IndexedImage& item) const {
  item.raw.reset();
  item.text.clear();
  item.tags.clear();
  item.error.clear();
  fs::path file = root_ / item.caption_path;
  if (!stat_file(file, item.caption_size, item.caption_mtime_ns)) {
    item.caption_size = -1;
    item.caption_mtime_ns = 0;
    item.version = "none";
    return;
  }
  auto bytes = read_file(file);
  if (!bytes.ok()) {
    item.error = bytes.status().message();
    item.version = "none";
    return;
  }
  item.raw = std::move(*bytes);
  item.version = caption_version(item.raw);
  size_t bad = find_invalid_utf8(*item.raw);
  if (bad != std::string::npos) {
    item.error = item.caption_path + ": not valid UTF-8 (byte offset " + std::to_string(bad) + ")";
    return;
  }
  CaptionText caption = parse_caption_text(*item.raw);
  item.text = caption.text();
  item.tags = caption.tags();
}

Result<std::unique_ptr<DatasetIndex>> DatasetIndex::load(const fs::path& root, const ScanOptions& options) {
  TM_ASSIGN_OR_RETURN(Dataset dataset, scan_dataset(root, options));
  std::unique_ptr<DatasetIndex> index(new DatasetIndex());
  index->root_ = dataset.root;
  index->caption_extension_ = options.caption_extension;
  index->images_.resize(dataset.items.size());
  for (size_t i = 0; i < dataset.items.size(); ++i) {
    auto& src = dataset.items[i];
    auto& dst = index->images_[i];
    dst.path = src.relpath;
    dst.image = src.image;
    dst.caption_path = relative_generic(src.caption, dataset.root);
    index->by_path_.emplace(dst.path, static_cast<uint32_t>(i));
  }
  parallel_for(index->images_.size(), [&](size_t i) { index->read_caption(index->images_[i]); });
  return index;
}

size_t DatasetIndex::size() const {
  std::shared_lock lock(mutex_);
  return images_.size();
}

size_t DatasetIndex::captions() const {
  std::shared_lock lock(mutex_);
  return static_cast<size_t>(std::count_if(images_.begin(), images_.end(), [](auto& i) { return i.raw.has_value(); }));
}

uint64_t DatasetIndex::generation() const {
  std::shared_lock lock(mutex_);
  return generation_;
}

bool DatasetIndex::get(size_t id, IndexedImage& out) const {
  std::shared_lock lock(mutex_);
  if (id >= images_.size()) return false;
  out = images_[id];
  return true;
}

int64_t DatasetIndex::find(const std::string& relpath) const {
  std::shared_lock lock(mutex_);
  auto it = by_path_.find(relpath);
  return it == by_path_.end() ? -1 : static_cast<int64_t>(it->second);
}

void DatasetIndex::rebuild_postings_locked() const {
  tag_ids_.clear();
  tag_names_.clear();
  postings_.clear();
  for (size_t id = 0; id < images_.size(); ++id) {
    for (auto& tag : images_[id].tags) {
      std::string key = tag_key(tag);
      auto [it, inserted] = tag_ids_.emplace(std::move(key), static_cast<uint32_t>(tag_names_.size()));
      if (inserted) {
        tag_names_.push_back(tag);
        postings_.emplace_back();
      }
      auto& list = postings_[it->second];
      if (list.empty() || list.back() != id) list.push_back(static_cast<uint32_t>(id));  // duplicates in one line
    }
  }
  postings_dirty_ = false;
}

std::vector<uint32_t> DatasetIndex::match(const TagFilter& filter) const {
  std::unique_lock<std::shared_mutex> exclusive(mutex_, std::defer_lock);
  std::shared_lock<std::shared_mutex> shared(mutex_, std::defer_lock);
  // Posting lists are rebuilt under the exclusive lock; matching itself only reads.
  exclusive.lock();
  if (postings_dirty_) rebuild_postings_locked();
  exclusive.unlock();
  shared.lock();

  auto postings_of = [&](const std::string& tag) -> const std::vector<uint32_t>* {
    auto it = tag_ids_.find(tag_key(trim(tag)));
    return it == tag_ids_.end() ? nullptr : &postings_[it->second];
  };
  std::vector<uint32_t> result;
  bool have = false;  // result holds a candidate set (else: every image)
  for (auto& t : filter.all) {
    const auto* p = postings_of(t);
    if (!p) return {};
    if (!have) {
      result = *p;
      have = true;
    } else {
      std::vector<uint32_t> out;
      std::set_intersection(result.begin(), result.end(), p->begin(), p->end(), std::back_inserter(out));
      result.swap(out);
    }
  }
  if (!filter.any.empty()) {
    std::vector<uint32_t> any;
    for (auto& t : filter.any) {
      const auto* p = postings_of(t);
      if (!p) continue;
      std::vector<uint32_t> out;
      std::set_union(any.begin(), any.end(), p->begin(), p->end(), std::back_inserter(out));
      any.swap(out);
    }
    if (!have) {
      result = std::move(any);
      have = true;
    } else {
      std::vector<uint32_t> out;
      std::set_intersection(result.begin(), result.end(), any.begin(), any.end(), std::back_inserter(out));
      result.swap(out);
    }
  }
  if (!have) {
    result.resize(images_.size());
    for (size_t i = 0; i < result.size(); ++i) result[i] = static_cast<uint32_t>(i);
  }
  for (auto& t : filter.none) {
    const auto* p = postings_of(t);
    if (!p) continue;
    std::vector<uint32_t> out;
    std::set_difference(result.begin(), result.end(), p->begin(), p->end(), std::back_inserter(out));
    result.swap(out);
  }
  if (!filter.text.empty() || filter.captioned) {
    std::erase_if(result, [&](uint32_t id) {
      const auto& img = images_[id];
      if (filter.captioned && img.raw.has_value() != *filter.captioned) return true;
      return !filter.text.empty() && !contains_ci(img.text, filter.text);
    });
  }
  return result;
}

std::vector<DatasetTagCount> DatasetIndex::tag_counts() const {
  std::unique_lock lock(mutex_);
  if (postings_dirty_) rebuild_postings_locked();
  std::vector<DatasetTagCount> out(tag_names_.size());
  for (size_t i = 0; i < tag_names_.size(); ++i) out[i] = {tag_names_[i], postings_[i].size()};
  return out;
}

size_t DatasetIndex::tag_count(const std::string& tag) const {
  std::unique_lock lock(mutex_);
  if (postings_dirty_) rebuild_postings_locked();
  auto it = tag_ids_.find(tag_key(tag));
  return it == tag_ids_.end() ? 0 : postings_[it->second].size();
}

bool DatasetIndex::apply_reloaded(size_t id, IndexedImage&& fresh) {
  auto& cur = images_[id];
  if (cur.raw == fresh.raw && cur.error == fresh.error) {
    cur.caption_size = fresh.caption_size;  // touched, same bytes
    cur.caption_mtime_ns = fresh.caption_mtime_ns;
    return false;
  }
  fresh.changed_at = ++generation_;
  cur = std::move(fresh);
  postings_dirty_ = true;
  return true;
}

bool DatasetIndex::reload(size_t id) {
  IndexedImage fresh;
  {
    std::shared_lock lock(mutex_);
    if (id >= images_.size()) return false;
    fresh = images_[id];
  }
  read_caption(fresh);
  std::unique_lock lock(mutex_);
  return apply_reloaded(id, std::move(fresh));
}

size_t DatasetIndex::poll() {
  // Stat every caption without the lock held for long: collect candidates first.
  std::vector<std::pair<size_t, fs::path>> files;
  std::vector<std::pair<int64_t, int64_t>> known;
  {
    std::shared_lock lock(mutex_);
    files.reserve(images_.size());
    for (size_t i = 0; i < images_.size(); ++i) {
      files.emplace_back(i, root_ / images_[i].caption_path);
      known.emplace_back(images_[i].caption_size, images_[i].caption_mtime_ns);
    }
  }
  std::vector<size_t> stale;
  for (size_t k = 0; k < files.size(); ++k) {
    int64_t size = -1, mtime = 0;
    if (!stat_file(files[k].second, size, mtime)) size = -1, mtime = 0;
    if (size != known[k].first || mtime != known[k].second) stale.push_back(files[k].first);
  }
  size_t changed = 0;
  for (size_t id : stale) changed += reload(id) ? 1 : 0;
  return changed;
}

std::vector<uint32_t> DatasetIndex::changed_since(uint64_t since, size_t limit, bool* overflow) const {
  std::shared_lock lock(mutex_);
  std::vector<uint32_t> out;
  *overflow = false;
  if (since >= generation_) return out;
  for (size_t i = 0; i < images_.size(); ++i) {
    if (images_[i].changed_at > since) {
      if (out.size() == limit) {
        *overflow = true;
        out.clear();
        return out;
      }
      out.push_back(static_cast<uint32_t>(i));
    }
  }
  return out;
}

}  // namespace tagmetry::server
