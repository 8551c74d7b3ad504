#include "dataset_index.h"



#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "tagmetry/parallel.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/files.h"
#include "tagmetry/strings.h"

namespace tagmetry::server {
namespace fs = std::filesystem;

uint64_t fnv1a_64(std::string_view bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string hex64(uint64_t hash) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(hash));
  return buf;
}

std::string caption_version(const std::optional<std::string>& raw) {
  return raw ? hex64(fnv1a_64(*raw)) : "none";
}

std::string tag_key(std::string_view tag) {
  std::string k(tag);
  std::replace(k.begin(), k.end(), ' ', '_');
  return k;
}

namespace {

bool stat_file(const fs::path& path, int64_t& size, int64_t& mtime_ns) {
  auto stamp = stat_file_stamp(path);
  if (!stamp) return false;
  size = stamp->size;
  mtime_ns = stamp->mtime_ns;
  return true;
}

// Same folder and stem as the image, with the caption extension (caption_path_for on the relpath;
// fs::relative would resolve symlinks with several syscalls per file).
std::string caption_relpath_for(const std::string& image_relpath, const std::string& extension) {
  size_t slash = image_relpath.rfind('/');
  size_t dot = image_relpath.rfind('.');
  bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return (has_ext ? image_relpath.substr(0, dot) : image_relpath) + extension;
}

// ASCII case-insensitive substring test (glibc's strcasestr is vectorised; both strings are NUL-terminated).
bool contains_ci(const std::string& hay, const std::string& needle) {
  return needle.empty() || ::strcasestr(hay.c_str(), needle.c_str()) != nullptr;
}

}  // namespace

void DatasetIndex::read_caption(Entry& item) const {
  item.text.clear();
  item.tags.clear();
  item.error.clear();
  item.exists = false;
  item.hash = 0;
  fs::path file = root_ / item.caption_path;
  if (!stat_file(file, item.caption_size, item.caption_mtime_ns)) {
    item.caption_size = -1;
    item.caption_mtime_ns = 0;
    return;
  }
  auto bytes = read_caption_if_exists(file);  // plain open + read (caption_journal.h)
  if (!bytes.ok()) {
    item.error = bytes.status().message();
    return;
  }
  if (!bytes->has_value()) {  // removed since the stat
    item.caption_size = -1;
    item.caption_mtime_ns = 0;
    return;
  }
  item.exists = true;
  item.hash = fnv1a_64(**bytes);
  size_t bad = find_invalid_utf8(**bytes);
  if (bad != std::string::npos) {
    item.error = item.caption_path + ": not valid UTF-8 (byte offset " + std::to_string(bad) + ")";
    return;
  }
  std::string text = normalize_newlines(strip_utf8_bom(**bytes));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  // Tags of the first line as spans: split on ',' and trim (as parse_tags does).
  size_t line_end = std::min(text.find('\n'), text.size());
  size_t pos = 0;
  while (pos <= line_end) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos || comma > line_end) comma = line_end;
    std::string_view piece = trim(std::string_view(text).substr(pos, comma - pos));
    if (!piece.empty()) item.tags.emplace_back(static_cast<uint32_t>(piece.data() - text.data()), static_cast<uint32_t>(piece.size()));
    pos = comma + 1;
  }
  item.tags.shrink_to_fit();
  item.text = std::move(text);
  item.text.shrink_to_fit();
}

IndexedImage DatasetIndex::snapshot(const Entry& e) const {
  IndexedImage out;
  out.path = e.path;
  out.image = root_ / e.path;
  out.caption_path = e.caption_path;
  out.has_caption = e.exists;
  out.text = e.text;
  out.tags.reserve(e.tags.size());
  for (auto& [off, len] : e.tags) out.tags.emplace_back(e.text, off, len);
  out.version = e.exists ? hex64(e.hash) : "none";
  out.error = e.error;
  out.caption_mtime_ns = e.exists ? e.caption_mtime_ns : 0;
  return out;
}

Result<std::unique_ptr<DatasetIndex>> DatasetIndex::load(const fs::path& root, const ScanOptions& options) {
  TM_ASSIGN_OR_RETURN(Dataset dataset, scan_dataset(root, options));
  std::unique_ptr<DatasetIndex> index(new DatasetIndex());
  index->root_ = dataset.root;
  index->caption_extension_ = options.caption_extension;
  index->scan_options_ = options;
  index->entries_.resize(dataset.items.size());
  index->by_path_.reserve(dataset.items.size());
  index->by_caption_.reserve(dataset.items.size());
  for (size_t i = 0; i < dataset.items.size(); ++i) {
    auto& src = dataset.items[i];
    auto& dst = index->entries_[i];
    dst.path = src.relpath;
    dst.caption_path = caption_relpath_for(dst.path, options.caption_extension);
    index->by_path_.emplace(dst.path, static_cast<uint32_t>(i));
    index->by_caption_.emplace(dst.caption_path, static_cast<uint32_t>(i));
  }
  dataset.items.clear();
  dataset.items.shrink_to_fit();
  core_internal::parallel_for(index->entries_.size(), 256, core_internal::worker_threads(0),
                              [&](size_t i) { index->read_caption(index->entries_[i]); });
  index->rebuild_postings_locked();  // not shared yet: no lock needed
  index->remember_folder_times_locked();
  return index;
}

size_t DatasetIndex::id_count() const {
  std::shared_lock lock(mutex_);
  return entries_.size();
}

size_t DatasetIndex::images() const {
  std::shared_lock lock(mutex_);
  return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(), [](auto& e) { return !e.removed; }));
}

size_t DatasetIndex::captions() const {
  std::shared_lock lock(mutex_);
  return static_cast<size_t>(
      std::count_if(entries_.begin(), entries_.end(), [](auto& e) { return e.exists && !e.removed; }));
}

uint64_t DatasetIndex::generation() const {
  std::shared_lock lock(mutex_);
  return generation_;
}

bool DatasetIndex::get(size_t id, IndexedImage& out) const {
  std::shared_lock lock(mutex_);
  if (id >= entries_.size() || entries_[id].removed) return false;
  out = snapshot(entries_[id]);
  return true;
}

std::string DatasetIndex::missing_message(std::string_view id_text) const {
  std::shared_lock lock(mutex_);
  size_t id = 0;
  auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec == std::errc() && end == id_text.data() + id_text.size() && id < entries_.size() && entries_[id].removed)
    return "image " + std::string(id_text) + " (" + entries_[id].path + ") was removed from the folder";
  return "no image with id " + std::string(id_text);
}

void DatasetIndex::visit(const std::vector<uint32_t>& ids, const std::function<void(uint32_t, const IndexedImage&)>& fn) const {
  std::shared_lock lock(mutex_);
  for (uint32_t id : ids)
    if (id < entries_.size() && !entries_[id].removed) fn(id, snapshot(entries_[id]));
}

int64_t DatasetIndex::find_caption(const std::string& caption_relpath) const {
  std::shared_lock lock(mutex_);
  auto it = by_caption_.find(caption_relpath);
  return it == by_caption_.end() ? -1 : static_cast<int64_t>(it->second);
}

std::optional<HeldCaption> DatasetIndex::held_caption(const std::string& image_relpath) const {
  std::shared_lock lock(mutex_);
  auto it = by_path_.find(image_relpath);
  if (it == by_path_.end()) return std::nullopt;
  const Entry& e = entries_[it->second];
  if (e.removed || !e.error.empty()) return std::nullopt;
  HeldCaption held;
  held.exists = e.exists;
  if (e.exists) held.caption = e.caption_path, held.text = e.text;
  return held;
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
  std::string key;
  for (size_t id = 0; id < entries_.size(); ++id) {
    const Entry& e = entries_[id];
    if (e.removed) continue;
    for (auto& [off, len] : e.tags) {
      std::string_view tag(e.text.data() + off, len);
      std::string_view k = tag;
      if (tag.find(' ') != std::string_view::npos) {  // "long hair" counts as long_hair
        key = tag_key(tag);
        k = key;
      }
      auto it = tag_ids_.find(k);
      if (it == tag_ids_.end()) {
        it = tag_ids_.emplace(std::string(k), static_cast<uint32_t>(tag_names_.size())).first;
        tag_names_.emplace_back(tag);
        postings_.emplace_back();
      }
      auto& list = postings_[it->second];
      if (list.empty() || list.back() != id) list.push_back(static_cast<uint32_t>(id));  // duplicates in one line
    }
  }
  postings_dirty_ = false;
}

std::vector<uint32_t> DatasetIndex::match(const TagFilter& filter) const {
  std::shared_lock<std::shared_mutex> shared(mutex_, std::defer_lock);
  // Posting lists are rebuilt under the exclusive lock; matching itself only reads.
  if (!filter.all.empty() || !filter.any.empty() || !filter.none.empty()) ensure_postings();
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
    result.reserve(entries_.size());
    for (size_t i = 0; i < entries_.size(); ++i)
      if (!entries_[i].removed) result.push_back(static_cast<uint32_t>(i));
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
      const Entry& e = entries_[id];
      if (filter.captioned && e.exists != *filter.captioned) return true;
      return !filter.text.empty() && !contains_ci(e.text, filter.text);
    });
  }
  return result;
}

void DatasetIndex::ensure_postings() const {
  if (!postings_dirty_) return;
  std::unique_lock lock(mutex_);
  if (postings_dirty_) rebuild_postings_locked();
}

std::vector<DatasetTagCount> DatasetIndex::tag_counts() const {
  ensure_postings();
  std::shared_lock lock(mutex_);
  std::vector<DatasetTagCount> out(tag_names_.size());
  for (size_t i = 0; i < tag_names_.size(); ++i) out[i] = {tag_names_[i], postings_[i].size()};
  return out;
}

void DatasetIndex::sort(std::vector<uint32_t>& ids, ImageOrder order) const {
  if (order == ImageOrder::kName) return;  // match() answers in dataset order
  std::shared_lock lock(mutex_);
  auto key = [&](uint32_t id) -> int64_t {
    if (id >= entries_.size()) return INT64_MIN;
    const Entry& e = entries_[id];
    if (order == ImageOrder::kTagCount) return static_cast<int64_t>(e.tags.size());
    return e.exists ? e.caption_mtime_ns : INT64_MIN;
  };
  std::vector<std::pair<int64_t, uint32_t>> keyed;
  keyed.reserve(ids.size());
  for (uint32_t id : ids) keyed.emplace_back(key(id), id);
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = keyed[i].second;
}

size_t DatasetIndex::tag_count(const std::string& tag) const {
  ensure_postings();
  std::shared_lock lock(mutex_);
  auto it = tag_ids_.find(tag_key(tag));
  return it == tag_ids_.end() ? 0 : postings_[it->second].size();
}

bool DatasetIndex::apply_reloaded(size_t id, Entry&& fresh) {
  Entry& cur = entries_[id];
  if (cur.exists == fresh.exists && cur.hash == fresh.hash && cur.error == fresh.error && cur.text == fresh.text) {
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
  Entry fresh;
  {
    std::shared_lock lock(mutex_);
    if (id >= entries_.size() || entries_[id].removed) return false;
    fresh.path = entries_[id].path;
    fresh.caption_path = entries_[id].caption_path;
  }
  read_caption(fresh);
  std::unique_lock lock(mutex_);
  return apply_reloaded(id, std::move(fresh));
}

size_t DatasetIndex::poll() {
  // Stat every caption without holding the lock: copy what is needed first.
  std::vector<std::string> files;
  std::vector<std::pair<int64_t, int64_t>> known;
  {
    std::shared_lock lock(mutex_);
    files.reserve(entries_.size());
    known.reserve(entries_.size());
    for (auto& e : entries_) {
      files.push_back(e.removed ? std::string() : e.caption_path);
      known.emplace_back(e.caption_size, e.caption_mtime_ns);
    }
  }
  std::vector<size_t> stale;
  for (size_t k = 0; k < files.size(); ++k) {
    if (files[k].empty()) continue;  // removed image
    int64_t size = -1, mtime = 0;
    if (!stat_file(root_ / files[k], size, mtime)) size = -1, mtime = 0;
    if (size != known[k].first || mtime != known[k].second) stale.push_back(k);
  }
  size_t changed = 0;
  for (size_t id : stale) changed += reload(id) ? 1 : 0;
  return changed;
}

void DatasetIndex::remember_folder_times_locked() {
  std::unordered_set<std::string> folders{""};
  // Folders of removed images too, while they exist: an image put back there is noticed.
  for (auto& e : entries_) {
    size_t slash = e.path.rfind('/');
    folders.insert(slash == std::string::npos ? std::string() : e.path.substr(0, slash));
  }
  folder_times_.clear();
  for (auto& f : folders) {
    fs::path dir = f.empty() ? root_ : root_ / f;
    int64_t size = 0, mtime = 0;
    if (stat_file(dir, size, mtime)) folder_times_.emplace_back(dir, mtime);
  }
}

DatasetIndex::SyncResult DatasetIndex::sync_images(double min_interval_s) {
  SyncResult result;
  std::vector<std::pair<fs::path, int64_t>> folders;
  {
    std::shared_lock lock(mutex_);
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - last_listing_).count() < min_interval_s)
      return result;
    folders = folder_times_;
  }
  bool changed = false;
  for (auto& [dir, mtime] : folders) {
    int64_t size = 0, now = 0;
    if (!stat_file(dir, size, now) || now != mtime) changed = true;
  }
  if (!changed) return result;
  {
    std::unique_lock lock(mutex_);
    last_listing_ = std::chrono::steady_clock::now();
  }
  auto dataset = scan_dataset(root_, scan_options_);
  if (!dataset.ok()) return result;  // the folder itself is gone for a moment: keep what is shown
  std::unordered_set<std::string> listed;
  listed.reserve(dataset->items.size());
  std::vector<Entry> fresh;
  std::vector<std::pair<uint32_t, Entry>> back;  // removed images that reappeared, with their caption
  {
    std::shared_lock lock(mutex_);
    for (auto& item : dataset->items) {
      listed.insert(item.relpath);
      auto known = by_path_.find(item.relpath);
      if (known != by_path_.end()) {
        const Entry& e = entries_[known->second];
        if (e.removed) {
          Entry again;
          again.path = e.path;
          again.caption_path = e.caption_path;
          back.emplace_back(known->second, std::move(again));
        }
        continue;
      }
      Entry e;
      e.path = item.relpath;
      e.caption_path = caption_relpath_for(e.path, caption_extension_);
      fresh.push_back(std::move(e));
    }
  }
  for (auto& e : fresh) read_caption(e);
  for (auto& [id, e] : back) read_caption(e);
  std::unique_lock lock(mutex_);
  for (auto& e : fresh) {
    if (by_path_.count(e.path)) continue;
    uint32_t id = static_cast<uint32_t>(entries_.size());
    e.changed_at = ++generation_;
    by_path_.emplace(e.path, id);
    by_caption_.emplace(e.caption_path, id);
    entries_.push_back(std::move(e));
    ++result.added;
  }
  for (auto& [id, e] : back) {
    if (!entries_[id].removed) continue;
    e.changed_at = ++generation_;
    entries_[id] = std::move(e);
    ++result.restored;
  }
  for (auto& e : entries_) {
    if (e.removed || listed.count(e.path)) continue;
    e.removed = true;
    e.changed_at = ++generation_;
    ++result.removed;
  }
  if (result.added || result.removed || result.restored) postings_dirty_ = true;
  remember_folder_times_locked();
  return result;
}

std::vector<uint32_t> DatasetIndex::changed_since(uint64_t since, size_t limit, bool* overflow) const {
  std::shared_lock lock(mutex_);
  std::vector<uint32_t> out;
  *overflow = false;
  if (since >= generation_) return out;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].changed_at > since) {
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
