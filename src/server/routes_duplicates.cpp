// Near-duplicate routes: groups of images that `tagmetry prepare --dedupe` would collapse (the same dHash
// distance and colour rules, the same keep-the-plainest-name order), setting one aside (moved into
// DATASET/.tagmetry/set-aside/, never deleted), and merging captions (the union of tags, journaled).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "http_util.h"
#include "server_state.h"
#include "tagmetry/caption.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/image.h"
#include "tagmetry/parallel.h"
#include "tagmetry/prepare.h"
#include "tagmetry/store.h"
#include "tagmetry/strings.h"

namespace tagmetry::server {
namespace fs = std::filesystem;

namespace {

// The perceptual fingerprint of one image file, cached by path, size and modification time.
struct Fingerprint {
  int64_t size = -1, mtime_ns = 0;
  bool ok = false;
  uint64_t dhash = 0;
  std::array<uint8_t, 48> colours{};
};

std::mutex fingerprint_mutex;
std::unordered_map<std::string, Fingerprint> fingerprints;  // by image path (absolute)

bool file_stamp(const fs::path& file, int64_t& size, int64_t& mtime_ns) {
  std::error_code ec;
  auto sz = fs::file_size(file, ec);
  if (ec) return false;
  auto t = fs::last_write_time(file, ec);
  if (ec) return false;
  size = static_cast<int64_t>(sz);
  mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return true;
}

Fingerprint fingerprint_of(const fs::path& image) {
  Fingerprint f;
  if (!file_stamp(image, f.size, f.mtime_ns)) return f;
  {
    std::lock_guard lock(fingerprint_mutex);
    auto it = fingerprints.find(image.string());
    if (it != fingerprints.end() && it->second.size == f.size && it->second.mtime_ns == f.mtime_ns) return it->second;
  }
  DecodeOptions options;
  options.min_long_side = 256;  // JPEGs shrink on load; the 9x8 dHash grid does not need more
  auto pixels = load_rgb(image, options);
  if (pixels.ok()) {
    f.ok = true;
    f.dhash = difference_hash(*pixels);
    f.colours = colour_signature(*pixels);
  }
  std::lock_guard lock(fingerprint_mutex);
  fingerprints[image.string()] = f;
  return f;
}

struct Duplicate {
  uint32_t id = 0;
  int distance = 0;
};
struct DuplicateGroup {
  uint32_t keep = 0;
  std::vector<Duplicate> duplicates;
};

// Groups as `prepare --dedupe` forms them: images in prepare order; each one within `max_distance`
// (dHash) and kNearDuplicateColourDistance (colours) of an image kept before it is its duplicate.
std::vector<DuplicateGroup> near_duplicate_groups(const DatasetIndex& index, int max_distance) {
  std::vector<uint32_t> ids = index.match(TagFilter{});
  std::vector<IndexedImage> images;
  std::vector<uint32_t> image_ids;
  index.visit(ids, [&](uint32_t id, const IndexedImage& img) {
    images.push_back(img);
    image_ids.push_back(id);
  });
  std::vector<size_t> order(images.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return prepare_order_less(images[a].path, images[b].path); });
  std::vector<Fingerprint> prints(images.size());
  core_internal::parallel_for(images.size(), 4, core_internal::worker_threads(0),
                              [&](size_t i) { prints[i] = fingerprint_of(images[i].image); });
  std::vector<DuplicateGroup> groups;
  std::vector<std::pair<size_t, size_t>> kept;  // image index, group index (or SIZE_MAX: none yet)
  for (size_t i : order) {
    if (!prints[i].ok) continue;
    bool found = false;
    for (auto& [k, g] : kept) {
      int d = hamming_distance(prints[k].dhash, prints[i].dhash);
      if (d <= max_distance && colour_distance(prints[k].colours, prints[i].colours) <= kNearDuplicateColourDistance) {
        if (g == SIZE_MAX) {
          g = groups.size();
          groups.push_back({image_ids[k], {}});
        }
        groups[g].duplicates.push_back({image_ids[i], d});
        found = true;
        break;
      }
    }
    if (!found) kept.emplace_back(i, SIZE_MAX);
  }
  return groups;
}

// The ids of body[key] (an array of known image ids), or a 400 sent.
bool ids_of(State& s, const json& body, const char* key, std::vector<uint32_t>& out, httplib::Response& res) {
  if (!body.contains(key) || !body[key].is_array() || body[key].empty()) {
    send_error(res, 400, "bad_request", std::string("body.") + key + " (image ids) is required");
    return false;
  }
  for (auto& v : body[key]) {
    IndexedImage img;
    if (!v.is_number_unsigned() || !s.index->get(v.get<size_t>(), img)) {
      send_error(res, 400, "bad_request", std::string("body.") + key + " holds an unknown image id: " + v.dump());
      return false;
    }
    out.push_back(v.get<uint32_t>());
  }
  return true;
}

// Moves `from` (inside the dataset) to the same relative path under `aside`, never over an existing file
// (a numbered name is used instead). Returns the new path relative to the dataset root.
Result<std::string> move_aside(const fs::path& root, const std::string& relpath, const fs::path& aside) {
  fs::path dest = aside / relpath;
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec) return io_error(dest.parent_path().string() + ": cannot create (" + ec.message() + ")");
  for (int n = 1; fs::exists(fs::symlink_status(dest, ec)); ++n)
    dest = aside / (fs::path(relpath).parent_path() / (fs::path(relpath).stem().string() + " (" + std::to_string(n) + ")" +
                                                        fs::path(relpath).extension().string()));
  fs::rename(root / relpath, dest, ec);
  if (ec) return io_error(relpath + ": cannot move to " + dest.string() + " (" + ec.message() + ")");
  return fs::relative(dest, root).generic_string();
}

}  // namespace

void register_duplicate_routes(State& s) {
  auto& http = s.http;

  // Near duplicates: {"groups": [{"keep": id, "duplicates": [{"id", "distance"}]}], "distance": N}.
  http.Get("/api/duplicates", [&s](const httplib::Request& req, httplib::Response& res) {
    int distance = 4;
    if (req.has_param("distance")) {
      auto v = parse_id(req.get_param_value("distance"));
      if (!v || *v > 64) return send_error(res, 400, "bad_request", "distance must be 0..64");
      distance = static_cast<int>(*v);
    }
    json groups = json::array();
    for (auto& g : near_duplicate_groups(*s.index, distance)) {
      json dups = json::array();
      for (auto& d : g.duplicates) dups.push_back({{"id", d.id}, {"distance", d.distance}});
      groups.push_back({{"keep", g.keep}, {"duplicates", dups}});
    }
    send_json(res, {{"groups", groups}, {"distance", distance}});
  });

  // Sets images aside: each image and its caption file move to DATASET/.tagmetry/set-aside/ (same
  // relative path), out of the dataset (the scan skips dot folders) and out of training; nothing is
  // deleted. → {"moved": [{"id", "image", "caption"}], "skipped": [{"id", "error"}]}.
  http.Post("/api/duplicates/set-aside", [&s](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.ok()) return send_status(res, body.status());
    std::vector<uint32_t> ids;
    if (!ids_of(s, *body, "ids", ids, res)) return;
    auto lock = s.dataset_lock();
    if (!lock.ok()) return send_status(res, lock.status());
    std::lock_guard writer(s.write_mutex);
    const fs::path aside = s.root / ".tagmetry" / "set-aside";
    json moved = json::array(), skipped = json::array();
    for (uint32_t id : ids) {
      IndexedImage img;
      if (!s.index->get(id, img)) continue;
      auto image = move_aside(s.root, img.path, aside);
      if (!image.ok()) {
        skipped.push_back({{"id", id}, {"error", image.status().message()}});
        continue;
      }
      json caption;
      std::error_code ec;
      if (fs::exists(s.root / img.caption_path, ec)) {
        auto c = move_aside(s.root, img.caption_path, aside);
        if (c.ok()) caption = *c;
        else skipped.push_back({{"id", id}, {"error", c.status().message()}});
      }
      moved.push_back({{"id", id}, {"image", *image}, {"caption", caption}});
    }
    s.index->sync_images(0);
    send_json(res, {{"moved", moved}, {"skipped", skipped}});
  });

  // Merges captions: the tags of `from` that `keep`'s tag line lacks (spaces = underscores) are appended
  // to it, as one journaled operation ("serve:merge"). → {"id", "caption", "added": [...], "operation"}.
  http.Post("/api/duplicates/merge", [&s](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.ok()) return send_status(res, body.status());
    std::vector<uint32_t> keep_ids, from;
    if (!ids_of(s, *body, "from", from, res)) return;
    json keep_json = json::array({body->value("keep", json())});
    if (!ids_of(s, json{{"keep", keep_json}}, "keep", keep_ids, res)) return;
    IndexedImage keep;
    s.index->get(keep_ids[0], keep);
    std::vector<std::string> added;
    int64_t operation = 0;
    auto results = s.write_captions(
        "serve:merge",
        [&]() -> Result<std::vector<CaptionWrite>> {
          TM_ASSIGN_OR_RETURN(auto current, read_caption_if_exists(s.root / keep.caption_path));
          std::string text = current ? parse_caption_text(*current).text() : std::string();
          CaptionText caption = parse_caption_text(text);
          std::vector<std::string> tags = caption.tags();
          std::vector<std::string> keys;
          for (auto& t : tags) keys.push_back(tag_key(t));
          for (uint32_t id : from) {
            IndexedImage other;
            if (id == keep_ids[0] || !s.index->get(id, other)) continue;
            TM_ASSIGN_OR_RETURN(auto raw, read_caption_if_exists(s.root / other.caption_path));
            if (!raw) continue;
            for (auto& t : parse_caption_text(*raw).tags()) {
              if (std::find(keys.begin(), keys.end(), tag_key(t)) != keys.end()) continue;
              keys.push_back(tag_key(t));
              tags.push_back(t);
              added.push_back(t);
            }
          }
          if (added.empty()) return std::vector<CaptionWrite>();
          if (caption.lines.empty()) caption.lines.push_back("");
          caption.lines[0] = format_tags(tags);
          CaptionWrite w;
          w.relpath = keep.caption_path;
          w.before = current;
          w.after = in_file_layout(caption.text(), current);
          return std::vector<CaptionWrite>{w};
        },
        nullptr, &operation);
    if (!results.ok()) return send_status(res, results.status());
    for (auto& r : *results)
      if (!r.ok()) return send_status(res, r);
    s.index->reload(keep_ids[0]);
    IndexedImage now;
    s.index->get(keep_ids[0], now);
    send_json(res, {{"id", keep_ids[0]},
                    {"caption", now.text},
                    {"added", added},
                    {"operation", operation == 0 ? json() : json(operation)}});
  });
}

}  // namespace tagmetry::server
