#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <cstring>

#include "tagmetry/dataset_listing.h"
#include "tagmetry/dataset.h"
#include "tagmetry/files.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

const std::vector<std::string>& image_extensions() {
  static const std::vector<std::string> kExtensions{".jpg", ".jpeg", ".png", ".webp", ".avif",
                                                    ".gif", ".bmp",  ".tif", ".tiff", ".jfif"};
  return kExtensions;
}

bool has_image_extension(const fs::path& path) {
  std::string ext = to_lower_ascii(path.extension().string());
  const auto& all = image_extensions();
  return std::find(all.begin(), all.end(), ext) != all.end();
}

fs::path caption_path_for(const fs::path& image, std::string_view caption_extension) {
  fs::path p = image;
  p.replace_extension(fs::path(std::string(caption_extension)));
  return p;
}

namespace dataset_internal {
namespace {

// "root/" as the directory iterator prefixes its entries (root / name adds no separator after one).
std::string entry_prefix(const fs::path& root) {
  std::string prefix = root.native();
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  return prefix;
}

// path.extension() of a file name, lower-cased, without building paths: "" for ".hidden", "." and "..".
std::string lower_extension(std::string_view name) {
  if (name == "." || name == "..") return "";
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "";
  return to_lower_ascii(name.substr(dot));
}

// The length of an image extension ending `name` (case-insensitive), or 0 when it has none.
size_t image_extension_length(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || name.size() - dot > 5) return 0;
  char ext[6];
  size_t n = name.size() - dot;
  for (size_t i = 0; i < n; ++i) {
    char c = name[dot + i];
    ext[i] = c >= 'A' && c <= 'Z' ? char(c + 32) : c;
  }
  std::string_view e(ext, n);
  for (const std::string& known : image_extensions())
    if (e == known) return n;
  return 0;
}

// The listed entries of one folder: names in one buffer, whether each is a regular file (links
// followed) and whether it is a symbolic link.
struct FolderEntries {
  std::string prefix;  // native folder path with its trailing '/'
  std::string names;
  struct Entry {
    uint32_t offset = 0, length = 0;
    bool regular = false, symlink = false;
  };
  std::vector<Entry> entries;
  void add(std::string_view name, bool regular, bool symlink) {
    entries.push_back({uint32_t(names.size()), uint32_t(name.size()), regular, symlink});
    names += name;
  }
  std::string_view name(const Entry& e) const { return std::string_view(names).substr(e.offset, e.length); }
};

// A set of names (views into a folder's listing): open addressing with a power-of-two table, the hash
// kept beside each view. Much cheaper than a node-based set for the 100,000s of names of a big folder.
class NameSet {
 public:
  void reserve(size_t n) {
    size_t size = 16;
    while (size < n * 2) size *= 2;
    slots_.assign(size, Slot{});
    count_ = 0;
  }
  // `h` is hash(name).
  void insert(std::string_view name, uint64_t h) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    size_t k = find_slot(name, h);
    if (slots_[k].data) return;
    slots_[k] = Slot{h, name.data(), uint32_t(name.size())};
    ++count_;
  }
  bool contains(std::string_view name, uint64_t h) const {
    if (count_ == 0) return false;
    return slots_[find_slot(name, h)].data != nullptr;
  }
  bool empty() const { return count_ == 0; }
  static uint64_t hash(std::string_view s) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      h = (h ^ w) * 0xff51afd7ed558ccdull;
      h ^= h >> 32;
    }
    for (; i < s.size(); ++i) h = (h ^ static_cast<unsigned char>(s[i])) * 0x100000001b3ull;
    h ^= h >> 29;
    return h * 0xc4ceb9fe1a85ec53ull;
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    const char* data = nullptr;
    uint32_t size = 0;
  };
  size_t find_slot(std::string_view name, uint64_t h) const {
    const size_t mask = slots_.size() - 1;
    for (size_t k = size_t(h >> 20) & mask;; k = (k + 1) & mask) {
      const Slot& s = slots_[k];
      if (!s.data) return k;
      if (s.hash == h && s.size == name.size() && std::memcmp(s.data, name.data(), name.size()) == 0) return k;
    }
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(std::max<size_t>(16, old.size() * 2), Slot{});
    for (const Slot& s : old)
      if (s.data) slots_[find_slot(std::string_view(s.data, s.size), s.hash)] = s;
  }
  std::vector<Slot> slots_;
  size_t count_ = 0;
};

// The caption file name of an image: its extension replaced as path::replace_extension does.
std::string caption_name_for(std::string_view name, size_t image_ext_length, std::string_view ext) {
  std::string out(name.substr(0, name.size() - image_ext_length));
  if (!ext.empty() && ext[0] != '.') out += '.';
  out += ext;
  return out;
}

// Calls fn(part, begin, end) for `parts` contiguous ranges of [0, n), each on its own thread.
template <class Fn>
void run_parts(unsigned parts, size_t n, Fn&& fn) {
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < parts; ++t) pool.emplace_back([&, t] { fn(t, n * t / parts, n * (t + 1) / parts); });
  fn(0u, size_t(0), n / parts);
  for (auto& t : pool) t.join();
}

// Pairs one folder's images with their captions and finds its orphan captions. A big folder is done on
// two threads: the name sets are split by hash (each thread fills its half), then each thread pairs
// half of the entries; the output keeps the listing order.
void pair_folder(const FolderEntries& f, uint32_t folder, const fs::path& root, const std::string& root_prefix,
                 const ScanOptions& options, std::string_view other_ext, DatasetListing& out) {
  const std::string& cap_ext = options.caption_extension;
  const std::string cap_ext_lower = to_lower_ascii(cap_ext);
  // A caption extension with a separator points outside the image's folder: ask the file system.
  const bool listing_pairs = cap_ext.find('/') == std::string::npos;
  const bool lexical = f.prefix.size() >= root_prefix.size() && f.prefix.compare(0, root_prefix.size(), root_prefix) == 0;
  const std::string relprefix = lexical ? f.prefix.substr(root_prefix.size()) : std::string();
  const size_t n = f.entries.size();
  const unsigned parts = n >= 16384 && std::thread::hardware_concurrency() > 1 ? 2 : 1;
  auto part_of = [parts](uint64_t h) { return parts == 1 ? 0u : unsigned(h >> 63); };

  // What each entry is, with the hashes of the names it is looked up by.
  enum Kind : uint8_t { kNone, kImage, kCaption };
  struct Info {
    Kind kind = kNone;
    uint8_t ext_len = 0;  // image extension
    bool caption_named = false, other_named = false;  // ends with the caption / other extension
    uint64_t name_hash = 0, stem_hash = 0;
  };
  std::vector<Info> info(n);
  run_parts(parts, n, [&](unsigned, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const auto& e = f.entries[i];
      if (!e.regular) continue;
      std::string_view name = f.name(e);
      Info& in = info[i];
      in.caption_named = name.ends_with(cap_ext);
      in.other_named = !other_ext.empty() && name.ends_with(other_ext);
      if (in.caption_named || in.other_named) in.name_hash = NameSet::hash(name);
      if (name.starts_with(".")) continue;
      if (size_t ext_len = image_extension_length(name)) {
        in.kind = kImage;
        in.ext_len = uint8_t(ext_len);
        in.stem_hash = NameSet::hash(name.substr(0, name.size() - ext_len));
      } else if (lower_extension(name) == cap_ext_lower) {
        in.kind = kCaption;
      }
    }
  });
  std::vector<NameSet> caption_names(parts), other_names(parts), image_stems(parts);
  run_parts(parts, parts, [&](unsigned t, size_t, size_t) {
    caption_names[t].reserve(n / 2 / parts + 16);
    image_stems[t].reserve(n / 2 / parts + 16);
    for (size_t i = 0; i < n; ++i) {
      const Info& in = info[i];
      std::string_view name = f.name(f.entries[i]);
      if (in.caption_named && part_of(in.name_hash) == t) caption_names[t].insert(name, in.name_hash);
      if (in.other_named && part_of(in.name_hash) == t) other_names[t].insert(name, in.name_hash);
      if (in.kind == kImage && part_of(in.stem_hash) == t)
        image_stems[t].insert(name.substr(0, name.size() - in.ext_len), in.stem_hash);
    }
  });
  bool any_other = false;
  for (auto& o : other_names) any_other = any_other || !o.empty();
  auto has_stem = [&](std::string_view stem) {
    const uint64_t h = NameSet::hash(stem);
    return image_stems[part_of(h)].contains(stem, h);
  };
  std::vector<std::vector<ListedImage>> images(parts);
  std::vector<std::vector<std::string>> orphans(parts);
  run_parts(parts, n, [&](unsigned t, size_t begin, size_t end) {
    images[t].reserve((end - begin) / 2 + 16);
    for (size_t i = begin; i < end; ++i) {
      const Info& in = info[i];
      const auto& e = f.entries[i];
      std::string_view name = f.name(e);
      if (in.kind == kImage) {
        ListedImage im;
        im.folder = folder;
        im.name = std::string(name);
        // relative_generic()'s answer from the names alone (the entry is root / … / name); a symbolic
        // link keeps the resolving relative_generic(), which a lexical answer would not match.
        if (e.symlink || !lexical)
          im.relpath = relative_generic(fs::path(f.prefix + im.name), root);
        else
          im.relpath = relprefix + im.name;
        if (listing_pairs) {
          im.caption_name = caption_name_for(name, in.ext_len, cap_ext);
          const uint64_t h = NameSet::hash(im.caption_name);
          im.has_caption = caption_names[part_of(h)].contains(im.caption_name, h);
        } else {
          std::error_code ec;
          im.has_caption = fs::is_regular_file(caption_path_for(fs::path(f.prefix + im.name), cap_ext), ec);
        }
        if (any_other) {
          const std::string other = caption_name_for(name, in.ext_len, other_ext);
          const uint64_t h = NameSet::hash(other);
          im.other_caption = other_names[part_of(h)].contains(other, h);
        }
        images[t].push_back(std::move(im));
      } else if (in.kind == kCaption) {
        std::string_view stem = name.substr(0, name.size() - lower_extension(name).size());
        // "img001_jp.txt" style side files belong to "img001": not orphans.
        bool side_file = false;
        if (auto us = stem.rfind('_'); us != std::string_view::npos) side_file = has_stem(stem.substr(0, us));
        if (!has_stem(stem) && !side_file) orphans[t].push_back(f.prefix + std::string(name));
      }
    }
  });
  for (unsigned t = 0; t < parts; ++t) {
    for (auto& im : images[t]) out.images.push_back(std::move(im));
    for (auto& o : orphans[t]) out.orphan_captions.push_back(std::move(o));
  }
}

}  // namespace

// One directory listing per folder pairs images with captions: the entries' types come with the listing
// on most file systems, so pairing needs no stat per image.
Result<DatasetListing> list_dataset(const fs::path& root, const ScanOptions& options, std::string_view other_ext) {
  std::error_code ec;
  if (!fs::exists(root, ec)) return not_found(root.string() + ": no such folder");
  if (!fs::is_directory(root, ec)) return invalid_argument(root.string() + ": not a folder");
  DatasetListing out;
  const std::string root_prefix = entry_prefix(root);
  std::vector<FolderEntries> folders;

  if (options.recursive) {
    std::unordered_map<std::string, size_t> index;  // folder prefix → folders[]
    auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) return io_error(root.string() + ": cannot list (" + ec.message() + ")");
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->is_directory() && it->path().filename().string().starts_with(".")) {
        it.disable_recursion_pending();
        continue;
      }
      std::error_code fec, lec;
      bool regular = it->is_regular_file(fec);
      bool symlink = it->is_symlink(lec) || bool(lec);
      if (!regular) continue;
      const std::string& full = it->path().native();
      size_t slash = full.rfind('/');
      std::string prefix = slash == std::string::npos ? std::string() : full.substr(0, slash + 1);
      auto [pos, inserted] = index.try_emplace(prefix, folders.size());
      if (inserted) folders.emplace_back().prefix = std::move(prefix);
      folders[pos->second].add(std::string_view(full).substr(slash == std::string::npos ? 0 : slash + 1), regular, symlink);
    }
  } else {
    // One folder: readdir directly (a stat only for links and file systems that do not report types),
    // as directory_iterator would list it.
    DIR* dir = ::opendir(root.c_str());
    if (!dir) {
      int err = errno;
      if (err != EACCES)
        return io_error(root.string() + ": cannot list (" + std::error_code(err, std::generic_category()).message() + ")");
    } else {
      FolderEntries& f = folders.emplace_back();
      f.prefix = root_prefix;
      while (dirent* e = ::readdir(dir)) {
        std::string_view name = e->d_name;
        if (name == "." || name == "..") continue;
        bool regular = false, symlink = false;
        if (e->d_type == DT_REG) {
          regular = true;
        } else if (e->d_type == DT_LNK || e->d_type == DT_UNKNOWN) {
          std::error_code fec;
          fs::path full(root_prefix + std::string(name));
          fs::file_status st = fs::symlink_status(full, fec);
          symlink = fs::is_symlink(st);
          regular = symlink ? fs::is_regular_file(full, fec) : fs::is_regular_file(st);
        }
        if (regular) f.add(name, regular, symlink);
      }
      ::closedir(dir);
    }
  }
  size_t total = 0;
  for (auto& f : folders) total += f.entries.size();
  out.images.reserve(total / 2 + 16);
  for (uint32_t i = 0; i < folders.size(); ++i) {
    out.folders.push_back(folders[i].prefix);
    pair_folder(folders[i], i, root, root_prefix, options, other_ext, out);
  }
  // Natural order; large listings sort in two halves on two threads, then merge.
  // Equal relative paths (links resolved to the same file) are ordered by the listed path.
  auto by_relpath = [&out](const ListedImage& a, const ListedImage& b) {
    if (a.relpath != b.relpath) return natural_less(a.relpath, b.relpath);
    if (a.folder != b.folder) return out.folders[a.folder] < out.folders[b.folder];
    return a.name < b.name;
  };
  if (out.images.size() >= 8192 && std::thread::hardware_concurrency() > 1) {
    auto mid = out.images.begin() + long(out.images.size() / 2);
    std::thread first([&] { std::sort(out.images.begin(), mid, by_relpath); });
    std::sort(mid, out.images.end(), by_relpath);
    first.join();
    std::inplace_merge(out.images.begin(), mid, out.images.end(), by_relpath);
  } else {
    std::sort(out.images.begin(), out.images.end(), by_relpath);
  }
  std::sort(out.orphan_captions.begin(), out.orphan_captions.end(),
            [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  return out;
}

}  // namespace dataset_internal

Result<Dataset> scan_dataset(const fs::path& root, const ScanOptions& options) {
  TM_ASSIGN_OR_RETURN(dataset_internal::DatasetListing listing, dataset_internal::list_dataset(root, options, ""));
  Dataset ds;
  ds.root = root;
  ds.items.reserve(listing.images.size());
  for (auto& im : listing.images) {
    DatasetItem item;
    item.image = fs::path(listing.folders[im.folder] + im.name);
    item.relpath = std::move(im.relpath);
    item.caption = caption_path_for(item.image, options.caption_extension);
    item.has_caption = im.has_caption;
    ds.items.push_back(std::move(item));
  }
  ds.orphan_captions.reserve(listing.orphan_captions.size());
  for (auto& o : listing.orphan_captions) ds.orphan_captions.emplace_back(std::move(o));
  return ds;
}

namespace {
// The relative path without its extension ("sub/a.png" → "sub/a").
std::string_view relpath_stem(std::string_view relpath) {
  size_t slash = relpath.rfind('/');
  size_t dot = relpath.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash) ||
      dot == (slash == std::string_view::npos ? 0 : slash + 1))
    return relpath;
  return relpath.substr(0, dot);
}
}  // namespace

CaptionExtensionChoice detect_caption_extension(const fs::path& root, bool recursive, std::string_view fallback) {
  CaptionExtensionChoice c;
  c.extension = std::string(fallback);
  const std::string other = fallback == ".caption" ? ".txt" : ".caption";
  ScanOptions options;
  options.recursive = recursive;
  options.caption_extension = c.extension;
  auto listing = dataset_internal::list_dataset(root, options, other);
  if (!listing.ok()) return c;
  size_t with = 0, with_other = 0;
  for (auto& im : listing->images) with += im.has_caption, with_other += im.other_caption;
  c.captions = with;
  if (with == 0 && with_other > 0) {
    c.extension = other;
    c.switched = true;
    c.captions = with_other;
    c.note = "using the " + std::to_string(with_other) + " " + other + " captions (no image has a " +
             std::string(fallback) + " caption); pass --caption-extension to choose";
  }
  return c;
}

std::vector<std::vector<size_t>> caption_collisions(const std::vector<std::string>& relpaths) {
  std::unordered_map<std::string_view, size_t> group_of;
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < relpaths.size(); ++i) {
    auto [pos, inserted] = group_of.try_emplace(relpath_stem(relpaths[i]), groups.size());
    if (inserted) groups.emplace_back();
    groups[pos->second].push_back(i);
  }
  std::vector<std::vector<size_t>> out;
  for (auto& g : groups)
    if (g.size() > 1) out.push_back(std::move(g));
  return out;
}

std::string caption_collision_message(const std::vector<std::string>& relpaths, const std::vector<size_t>& group,
                                      std::string_view caption_extension) {
  std::string names;
  for (size_t k = 0; k < group.size(); ++k) {
    if (k) names += k + 1 == group.size() ? " and " : ", ";
    names += relpaths[group[k]];
  }
  std::string caption(relpath_stem(relpaths[group[0]]));
  if (!caption_extension.empty() && caption_extension[0] != '.') caption += '.';
  caption += caption_extension;
  return names + " share the caption " + caption;
}

}  // namespace tagmetry
