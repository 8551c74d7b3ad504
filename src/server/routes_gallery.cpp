// Gallery routes: image lists with tag filters, one image with its stored scores, the image file, the
// thumbnail, and captions re-derived from stored scores (the editor's threshold slider).
#include <algorithm>

#include "http_util.h"
#include "server_state.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/files.h"
#include "tagmetry/image_header.h"
#include "tagmetry/tag_selection.h"
#include "thumbnails.h"

namespace tagmetry::server {
namespace fs = std::filesystem;

namespace {

// The image file may be served: it exists (a file removed since the last rescan answers 404, as the
// rescan will) and resolves inside the dataset folder (a symlink out of it answers 403).
bool servable(State& s, const IndexedImage& img, httplib::Response& res) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(img.image, ec))) {
    send_error(res, 404, "not_found", img.path + ": no longer in the folder");
    return false;
  }
  if (!resolves_inside(s.root_canonical, img.image)) {
    send_error(res, 403, "forbidden", img.path + ": resolves outside the dataset folder (symlink); not served");
    return false;
  }
  return true;
}

json image_summary(uint32_t id, const IndexedImage& img) {
  return {{"id", id},        {"path", img.path},   {"caption", img.text},
          {"tags", img.tags}, {"version", img.version}, {"has_caption", img.has_caption},
          {"error", img.error.empty() ? json() : json(img.error)}};
}

// What the gallery cell says besides the caption: the image file's size in bytes (null when it cannot
// be read), the caption's last edit (Unix seconds, null without a caption) and the lint rules naming the
// image (null before the first lint run).
void add_cell_facts(json& item, const IndexedImage& img, const State::LintByImage* lint, uint32_t id) {
  std::error_code ec;
  auto size = fs::file_size(img.image, ec);
  item["size"] = ec ? json() : json(size);
  item["edited"] = img.has_caption ? json(img.caption_mtime_ns / 1000000000) : json();
  if (!lint) {
    item["lint"] = nullptr;
    return;
  }
  auto it = lint->rules.find(id);
  item["lint"] = it == lint->rules.end() ? json::array() : json(it->second);
}

// The ids of a list request: the filter's, in the order of `sort` (name, tags, edited, lint).
Result<std::vector<uint32_t>> listed_ids(State& s, const httplib::Request& req) {
  std::vector<uint32_t> ids = s.index->match(filter_from_query(req));
  const std::string sort = req.has_param("sort") ? req.get_param_value("sort") : "name";
  if (sort == "name") return ids;
  if (sort == "tags") s.index->sort(ids, ImageOrder::kTagCount);
  else if (sort == "edited") s.index->sort(ids, ImageOrder::kLastEdit);
  else if (sort == "lint") {
    // Most findings first; the lint run is cached until a caption changes.
    TM_ASSIGN_OR_RETURN(auto lint, lint_by_image(s));
    auto count = [&](uint32_t id) {
      auto it = lint->rules.find(id);
      return it == lint->rules.end() ? size_t{0} : it->second.size();
    };
    std::stable_sort(ids.begin(), ids.end(), [&](uint32_t a, uint32_t b) { return count(a) > count(b); });
  } else {
    return invalid_argument("sort must be name, tags, edited or lint");
  }
  return ids;
}

// The stored scores of an image for the view's model (empty when none).
Result<std::vector<float>> stored_scores(State& s, const ScoresView& view, const IndexedImage& img) {
  if (!view.model) return std::vector<float>();
  auto hash = view.hash_by_relpath.find(img.path);
  if (hash == view.hash_by_relpath.end()) return std::vector<float>();
  TM_ASSIGN_OR_RETURN(auto store, Store::open(s.db_path, /*create=*/false));
  return store->get_scores(hash->second, view.model->id, view.model->labels.size());
}

// Selection options from query parameters: any `tag` selection option by name (underscores or dashes),
// plus the short forms general= and character=.
Result<SelectionParams> selection_from_query(const httplib::Request& req) {
  static const OptionSet<SelectionParams> options = [] {
    OptionSet<SelectionParams> set;
    add_selection_options(set);
    return set;
  }();
  SelectionParams p;
  for (auto& [key, value] : req.params) {
    std::string name = key;
    std::replace(name.begin(), name.end(), '_', '-');
    if (name == "general") name = "general-threshold";
    if (name == "character") name = "character-threshold";
    if (options.find(name)) TM_RETURN_IF_ERROR(options.set(p, name, value));
  }
  return p;
}

}  // namespace

// Looks up the image of an /api/image/ID/... route; sends 404 and returns false when there is none.
bool image_of(State& s, const httplib::Request& req, httplib::Response& res, size_t& id, IndexedImage& img) {
  auto parsed = parse_id(req.matches[1]);
  if (!parsed || !s.index->get(*parsed, img)) {
    send_error(res, 404, "not_found", s.index->missing_message(req.matches[1].str()));
    return false;
  }
  id = *parsed;
  return true;
}

TagFilter filter_from_query(const httplib::Request& req) {
  TagFilter f;
  auto collect = [&](const char* key, std::vector<std::string>& out) {
    size_t n = req.get_param_value_count(key);
    for (size_t i = 0; i < n; ++i) {
      std::string v = req.get_param_value(key, i);
      if (!v.empty()) out.push_back(v);
    }
  };
  collect("all", f.all);
  collect("any", f.any);
  collect("none", f.none);
  f.text = req.get_param_value("text");
  std::string captioned = req.get_param_value("captioned");
  if (captioned == "yes" || captioned == "true") f.captioned = true;
  if (captioned == "no" || captioned == "false") f.captioned = false;
  return f;
}

Result<TagFilter> filter_from_json(const json& j) {
  if (!j.is_object()) return invalid_argument("filter must be an object");
  TagFilter f;
  auto list = [&](const char* key, std::vector<std::string>& out) -> Status {
    if (!j.contains(key)) return {};
    if (!j[key].is_array()) return invalid_argument(std::string("filter.") + key + " must be an array of tags");
    for (auto& v : j[key]) {
      if (!v.is_string()) return invalid_argument(std::string("filter.") + key + " must be an array of tags");
      out.push_back(v.get<std::string>());
    }
    return {};
  };
  TM_RETURN_IF_ERROR(list("all", f.all));
  TM_RETURN_IF_ERROR(list("any", f.any));
  TM_RETURN_IF_ERROR(list("none", f.none));
  if (j.contains("text") && j["text"].is_string()) f.text = j["text"].get<std::string>();
  if (j.contains("captioned") && j["captioned"].is_boolean()) f.captioned = j["captioned"].get<bool>();
  return f;
}

void register_gallery_routes(State& s) {
  auto& http = s.http;

  http.Get("/api/images", [&s](const httplib::Request& req, httplib::Response& res) {
    size_t offset = 0, limit = 200;
    if (req.has_param("offset")) {
      auto v = parse_id(req.get_param_value("offset"));
      if (!v) return send_error(res, 400, "bad_request", "offset must be a non-negative integer");
      offset = *v;
    }
    if (req.has_param("limit")) {
      auto v = parse_id(req.get_param_value("limit"));
      if (!v || *v == 0 || *v > 1000) return send_error(res, 400, "bad_request", "limit must be 1..1000");
      limit = *v;
    }
    uint64_t generation = s.index->generation();
    auto listed = listed_ids(s, req);
    if (!listed.ok()) return send_status(res, listed.status());
    const std::vector<uint32_t>& ids = *listed;
    std::vector<uint32_t> page;
    for (size_t i = offset; i < ids.size() && page.size() < limit; ++i) page.push_back(ids[i]);
    json items = json::array();
    std::vector<std::pair<uint32_t, IndexedImage>> shown;
    s.index->visit(page, [&](uint32_t id, const IndexedImage& img) { shown.emplace_back(id, img); });
    auto lint = s.cached_lint();
    for (auto& [id, img] : shown) {  // file sizes are read outside the index's lock
      json item = image_summary(id, img);
      add_cell_facts(item, img, lint.get(), id);
      items.push_back(std::move(item));
    }
    send_json(res, {{"total", ids.size()}, {"offset", offset}, {"generation", generation}, {"items", std::move(items)}});
  });

  http.Get("/api/images/ids", [&s](const httplib::Request& req, httplib::Response& res) {
    auto ids = listed_ids(s, req);
    if (!ids.ok()) return send_status(res, ids.status());
    send_json(res, {{"total", ids->size()}, {"ids", *ids}});
  });

  http.Get(R"(/api/image/(\d+))", [&s](const httplib::Request& req, httplib::Response& res) {
    size_t id;
    IndexedImage img;
    if (!image_of(s, req, res, id, img)) return;
    json j = image_summary(static_cast<uint32_t>(id), img);
    j["caption_path"] = img.caption_path;
    int width = 0, height = 0;  // from the header (a few bytes), as stored; null when unreadable
    bool sized = read_image_size(img.image, width, height).ok();
    j["width"] = sized ? json(width) : json();
    j["height"] = sized ? json(height) : json();
    j["lines"] = json::array();
    if (!img.text.empty()) {
      size_t start = 0;
      while (start <= img.text.size()) {
        size_t end = img.text.find('\n', start);
        if (end == std::string::npos) end = img.text.size();
        j["lines"].push_back(img.text.substr(start, end - start));
        start = end + 1;
      }
    }
    auto view = s.current_scores();
    j["scores"] = nullptr;
    auto scores = stored_scores(s, *view, img);
    if (scores.ok() && !scores->empty()) {
      const ModelRecord& m = *view->model;
      std::vector<size_t> order;
      for (size_t i = 0; i < scores->size(); ++i)
        if ((*scores)[i] >= 0.05f) order.push_back(i);
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return (*scores)[a] > (*scores)[b]; });
      json tags = json::array();
      for (size_t i : order)
        tags.push_back({{"tag", m.labels.labels[i].name},
                        {"score", (*scores)[i]},
                        {"category", category_name(m.labels.labels[i].category)}});
      j["scores"] = {{"model", m.name},
                     {"general_threshold", m.default_general_threshold},
                     {"character_threshold", m.default_character_threshold},
                     {"tags", std::move(tags)}};
    }
    send_json(res, j);
  });

  http.Get(R"(/api/image/(\d+)/file)", [&s](const httplib::Request& req, httplib::Response& res) {
    size_t id;
    IndexedImage img;
    if (!image_of(s, req, res, id, img)) return;
    if (!servable(s, img, res)) return;
    auto bytes = read_file(img.image);
    if (!bytes.ok()) return send_status(res, bytes.status());
    res.set_header("Cache-Control", "no-cache");
    res.set_content(std::move(*bytes), content_type_for(img.image));
  });

  http.Get(R"(/api/image/(\d+)/thumb)", [&s](const httplib::Request& req, httplib::Response& res) {
    size_t id;
    IndexedImage img;
    if (!image_of(s, req, res, id, img)) return;
    int size = 256;
    if (req.has_param("size")) {
      std::string v = req.get_param_value("size");
      if (v != "128" && v != "256" && v != "512") return send_error(res, 400, "bad_request", "size must be 128, 256 or 512");
      size = std::stoi(v);
    }
    if (!servable(s, img, res)) return;
    auto jpeg = thumbnail_jpeg(img.image, img.path, size, s.root / ".tagmetry" / "thumbs");
    if (!jpeg.ok()) {
      int http = jpeg.status().code() == ErrorCode::kNotFound ? 404 : 422;
      return send_error(res, http, http == 404 ? "not_found" : "unsupported", jpeg.status().message());
    }
    res.set_header("Cache-Control", "max-age=3600");
    res.set_content(std::move(*jpeg), "image/jpeg");
  });

  http.Get(R"(/api/image/(\d+)/derive)", [&s](const httplib::Request& req, httplib::Response& res) {
    size_t id;
    IndexedImage img;
    if (!image_of(s, req, res, id, img)) return;
    auto view = s.current_scores();
    auto scores = stored_scores(s, *view, img);
    if (!scores.ok()) return send_status(res, scores.status());
    if (scores->empty()) return send_error(res, 404, "not_found", img.path + ": no stored scores (run a tag job first)");
    auto params = selection_from_query(req);
    if (!params.ok()) return send_status(res, params.status());
    const ModelRecord& m = *view->model;
    auto selector = TagSelector::create(*params, m.default_general_threshold, m.default_character_threshold);
    if (!selector.ok()) return send_status(res, selector.status());
    auto tags = selector->select(m.labels, *scores);
    json list = json::array();
    for (auto& t : tags) list.push_back(t.tag);
    send_json(res, {{"tags", list},
                    {"text", selector->caption(tags)},
                    {"general_threshold", selector->thresholds().general},
                    {"character_threshold", selector->thresholds().character}});
  });
}

}  // namespace tagmetry::server
