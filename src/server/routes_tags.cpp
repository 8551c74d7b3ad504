// Tag routes: the dataset's tags with counts (sidebar), and autocomplete from the Danbooru tag list.
#include <algorithm>
#include <unordered_set>

#include "http_util.h"
#include "server_state.h"
#include "tagmetry/ja_dictionary.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

namespace tagmetry::server {

namespace {

bool has_non_ascii(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

std::string japanese_of(const JaDictionary* ja, const std::string& tag) {
  if (!ja) return {};
  const std::string* j = ja->find(tag);
  return j ? *j : std::string();
}

}  // namespace

void register_tag_routes(State& s) {
  auto& http = s.http;

  http.Get("/api/tags", [&s](const httplib::Request& req, httplib::Response& res) {
    std::string sort = req.has_param("sort") ? req.get_param_value("sort") : "count";
    if (sort != "count" && sort != "name") return send_error(res, 400, "bad_request", "sort must be count or name");
    size_t limit = SIZE_MAX;
    if (req.has_param("limit")) {
      auto v = parse_id(req.get_param_value("limit"));
      if (!v) return send_error(res, 400, "bad_request", "limit must be a non-negative integer");
      limit = *v;
    }
    std::string search = std::string(trim(req.get_param_value("search")));
    std::string needle = tag_key(to_lower_ascii(search));
    bool japanese = has_non_ascii(search);
    const JaDictionary* ja = s.ja_dictionary();
    const TagDatabase* db = s.tag_database();

    auto counts = s.index->tag_counts();
    std::vector<const DatasetTagCount*> list;
    for (auto& c : counts) {
      if (!search.empty()) {
        bool hit = to_lower_ascii(tag_key(c.tag)).find(needle) != std::string::npos;
        if (!hit && japanese) hit = japanese_of(ja, c.tag).find(search) != std::string::npos;
        if (!hit) continue;
      }
      list.push_back(&c);
    }
    if (sort == "count")
      std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->count != b->count ? a->count > b->count : a->tag < b->tag; });
    else
      std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->tag < b->tag; });
    json tags = json::array();
    for (size_t i = 0; i < list.size() && i < limit; ++i) {
      const TagInfo* info = db ? db->find(list[i]->tag) : nullptr;
      tags.push_back({{"tag", list[i]->tag},
                      {"count", list[i]->count},
                      {"ja", japanese_of(ja, list[i]->tag)},
                      {"category", info ? tag_category_name(info->category) : "unknown"}});
    }
    send_json(res, {{"total", list.size()}, {"tags", std::move(tags)}});
  });

  http.Get("/api/vocab", [&s](const httplib::Request& req, httplib::Response& res) {
    std::string q = std::string(trim(req.get_param_value("q")));
    size_t limit = 10;
    if (req.has_param("limit")) {
      auto v = parse_id(req.get_param_value("limit"));
      if (!v || *v == 0 || *v > 100) return send_error(res, 400, "bad_request", "limit must be 1..100");
      limit = *v;
    }
    const TagDatabase* db = s.tag_database();
    if (!db) return send_status(res, s.vocab.tags_status);
    const JaDictionary* ja = s.ja_dictionary();
    std::vector<const TagInfo*> found;
    std::unordered_set<const TagInfo*> seen;
    auto add = [&](const TagInfo* t) {
      if (t && found.size() < limit && seen.insert(t).second) found.push_back(t);
    };
    if (!q.empty()) {
      if (has_non_ascii(q) && ja) {
        for (auto& [tag, jp] : ja->search(q, limit * 4)) add(db->find_name(tag));
      }
      for (auto* t : db->prefix_search(q, limit)) add(t);
      if (found.size() < limit)
        for (auto* t : db->substring_search(q, limit)) add(t);
    }
    json tags = json::array();
    for (auto* t : found) {
      std::vector<std::string> aliases(t->aliases.begin(), t->aliases.begin() + std::min<size_t>(t->aliases.size(), 5));
      tags.push_back({{"tag", t->name},
                      {"category", tag_category_name(t->category)},
                      {"count", t->count},
                      {"aliases", aliases},
                      {"ja", japanese_of(ja, t->name)},
                      {"in_dataset", s.index->tag_count(t->name)}});
    }
    send_json(res, {{"tags", std::move(tags)}});
  });

  // The editor's chip colours: GET /api/vocab/lookup?tag=A&tag=B (at most 500) answers
  // {"vocabulary": bool, "tags": [{"tag", "category" ("unknown" when not in the tag list), "name" (the
  // tag list's spelling; an alias resolves to its tag)}]} in the order asked. Without a tag list
  // "vocabulary" is false and every tag "unknown", so the page marks nothing.
  http.Get("/api/vocab/lookup", [&s](const httplib::Request& req, httplib::Response& res) {
    const size_t n = req.get_param_value_count("tag");
    if (n > 500) return send_error(res, 400, "bad_request", "at most 500 tags per lookup");
    const TagDatabase* db = s.tag_database();
    json tags = json::array();
    for (size_t i = 0; i < n; ++i) {
      std::string tag = std::string(trim(req.get_param_value("tag", i)));
      const TagInfo* t = db && !tag.empty() ? db->find(tag) : nullptr;
      tags.push_back({{"tag", tag},
                      {"category", t ? tag_category_name(t->category) : "unknown"},
                      {"name", t ? t->name : std::string()}});
    }
    send_json(res, {{"vocabulary", db != nullptr}, {"tags", std::move(tags)}});
  });
}

}  // namespace tagmetry::server
