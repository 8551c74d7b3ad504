// Loading the tagcomplete CSV into TagDatabase (parsing, gzip, indexes).
#include "tagmetry/tag_database.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <mutex>

#include "tagmetry/data_paths.h"
#include "tagmetry/files.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

const char* tag_category_name(TagCategory category) { return category_name(category); }

TagCategory tag_category_from_number(int number) {
  switch (number) {
    case 0: return TagCategory::kGeneral;
    case 1: return TagCategory::kArtist;
    case 3: return TagCategory::kCopyright;
    case 4: return TagCategory::kCharacter;
    case 5: return TagCategory::kMeta;
    default: return TagCategory::kUnknown;
  }
}

std::string normalize_tag_name(std::string_view text) {
  std::string_view t = trim(text);
  std::string out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '\\' && i + 1 < t.size() && (t[i + 1] == '(' || t[i + 1] == ')')) continue;  // A1111 escape
    if (c == ' ') {
      if (!out.empty() && out.back() == '_') continue;
      c = '_';
    } else if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    out.push_back(c);
  }
  return out;
}

namespace {
Result<std::string> gunzip(const std::string& data, const fs::path& path) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return internal_error("zlib init failed");
  std::string out;
  out.resize(std::max<size_t>(data.size() * 4, 1 << 16));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (true) {
    if (zs.total_out >= out.size()) out.resize(out.size() * 2);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + zs.total_out);
    zs.avail_out = static_cast<uInt>(out.size() - zs.total_out);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // truncated
  }
  size_t produced = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return corrupt(path.string() + ": damaged or truncated gzip data");
  out.resize(produced);
  return out;
}
}  // namespace

Result<std::string> read_data_text(const fs::path& path) {
  std::string data;
  {
    Result<std::string> read = read_file(path);
    if (!read.ok()) return read.status();
    data.swap(read.value());
  }
  if (std::string_view(data).substr(0, 2) == std::string_view("\x1f\x8b", 2)) {
    TM_ASSIGN_OR_RETURN(data, gunzip(data, path));
  }
  if (data.size() >= 3 && data.compare(0, 3, "\xEF\xBB\xBF") == 0) data.erase(0, 3);
  return data;
}

std::vector<std::string> split_csv_line(std::string_view line) {
  std::vector<std::string> fields;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(cur));
      cur.clear();
    } else if (c != '\r') {
      cur.push_back(c);
    }
  }
  fields.push_back(std::move(cur));
  return fields;
}

TagDatabase::TagDatabase() = default;
TagDatabase::~TagDatabase() = default;
TagDatabase::TagDatabase(TagDatabase&&) noexcept = default;
TagDatabase& TagDatabase::operator=(TagDatabase&&) noexcept = default;

namespace {
// Already in Danbooru spelling (the common case in tag files): no copy-and-normalise needed.
bool is_normal_name(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  for (char c : s)
    if (c == ' ' || c == '\\' || (c >= 'A' && c <= 'Z') || c == '\t' || c == '\r') return false;
  return true;
}

// Splits a CSV record into views when no field holds an escaped quote (""); otherwise falls back to
// split_csv_line (copies in `storage`).
void split_fields(std::string_view line, std::vector<std::string_view>& out, std::vector<std::string>& storage) {
  out.clear();
  if (line.find("\"\"") != std::string_view::npos) {
    storage = split_csv_line(line);
    for (auto& f : storage) out.emplace_back(f);
    return;
  }
  size_t i = 0;
  while (true) {
    if (i < line.size() && line[i] == '"') {
      size_t close = line.find('"', i + 1);
      if (close == std::string_view::npos) close = line.size();
      out.push_back(line.substr(i + 1, close - i - 1));
      i = line.find(',', close);
    } else {
      size_t comma = line.find(',', i);
      out.push_back(line.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i));
      i = comma;
    }
    if (i == std::string_view::npos) break;
    ++i;
  }
}
}  // namespace

Result<TagDatabase> TagDatabase::parse(std::string_view text, std::string_view source) {
  TagDatabase db;
  db.tags_.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  std::vector<std::string_view> f;
  std::vector<std::string> storage;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    split_fields(line, f, storage);
    int64_t count = 0;
    int category = 0;
    if (f.size() < 3 || trim(f[0]).empty()) {
      ++db.skipped_rows_;
      continue;
    }
    std::string_view cs = trim(f[1]), ns = trim(f[2]);
    if (std::from_chars(cs.data(), cs.data() + cs.size(), category).ec != std::errc() ||
        std::from_chars(ns.data(), ns.data() + ns.size(), count).ec != std::errc()) {
      ++db.skipped_rows_;  // e.g. a header row
      continue;
    }
    TagInfo& info = db.tags_.emplace_back();
    info.name = is_normal_name(f[0]) ? std::string(f[0]) : normalize_tag_name(f[0]);
    info.category = tag_category_from_number(category);
    info.count = count;
    if (f.size() > 3 && !f[3].empty()) {
      std::string_view a = f[3];
      while (!a.empty()) {
        size_t comma = a.find(',');
        std::string_view one = trim(a.substr(0, comma));
        if (!one.empty()) info.aliases.push_back(is_normal_name(one) ? std::string(one) : normalize_tag_name(one));
        if (comma == std::string_view::npos) break;
        a.remove_prefix(comma + 1);
      }
    }
  }
  if (db.tags_.empty()) return corrupt(std::string(source) + ": no tag rows (expected name,category,count,\"aliases\")");
  auto by_count = [](const TagInfo& a, const TagInfo& b) { return a.count > b.count; };
  if (!std::is_sorted(db.tags_.begin(), db.tags_.end(), by_count)) std::stable_sort(db.tags_.begin(), db.tags_.end(), by_count);
  db.build_indexes();
  return db;
}

void TagDatabase::build_indexes() {
  by_name_.reserve(tags_.size());
  for (uint32_t i = 0; i < tags_.size(); ++i) by_name_.emplace(tags_[i].name, i);  // first (most popular) wins
  for (uint32_t i = 0; i < tags_.size(); ++i) {
    for (auto& a : tags_[i].aliases) {
      if (!by_name_.count(a)) by_alias_.emplace(a, i);
    }
  }
  max_count_ = tags_.empty() ? 1 : std::max<int64_t>(1, tags_.front().count);
  lazy_ = std::make_unique<LazyIndex>();
}

const std::vector<std::pair<std::string_view, uint32_t>>& TagDatabase::sorted_keys() const {
  std::call_once(lazy_->once, [this] {
    auto& keys = lazy_->sorted_keys;
    keys.reserve(by_name_.size() + by_alias_.size());
    for (auto& [k, v] : by_name_) keys.emplace_back(k, v);
    for (auto& [k, v] : by_alias_) keys.emplace_back(k, v);
    std::sort(keys.begin(), keys.end());
  });
  return lazy_->sorted_keys;
}

Result<TagDatabase> TagDatabase::load(const fs::path& path) {
  TM_ASSIGN_OR_RETURN(std::string text, read_data_text(path));
  return parse(text, path.string());
}

Result<TagDatabase> TagDatabase::load_default() {
  TM_ASSIGN_OR_RETURN(fs::path path, find_data_file("tags/danbooru.csv.gz"));
  return load(path);
}

const TagInfo* TagDatabase::find_name(std::string_view name) const {
  std::string key = normalize_tag_name(name);
  auto it = by_name_.find(std::string_view(key));
  return it == by_name_.end() ? nullptr : &tags_[it->second];
}

const TagInfo* TagDatabase::find(std::string_view name) const {
  std::string key = normalize_tag_name(name);
  if (auto it = by_name_.find(std::string_view(key)); it != by_name_.end()) return &tags_[it->second];
  if (auto it = by_alias_.find(std::string_view(key)); it != by_alias_.end()) return &tags_[it->second];
  return nullptr;
}

}  // namespace tagmetry
