// Review routes: the review queue, decisions and their undo, tag provenance and per-tag thresholds.
// Thin: the work is the library's (review.h, provenance.h, tag_thresholds.h).
#include "http_util.h"
#include "server_state.h"
#include "tagmetry/dataset.h"
#include "tagmetry/provenance.h"
#include "tagmetry/review.h"
#include "tagmetry/tag_thresholds.h"

namespace tagmetry::server {
namespace fs = std::filesystem;

namespace {

// Runs fn on the dataset opened for writing under the server's own lock (shared with its tag job) and its
// writer mutex, as every caption writer of the server does; reloads `caption` into the index after.
Status with_dataset(State& s, const std::function<Status(JournaledDataset&)>& fn) {
  std::lock_guard guard(s.write_mutex);
  TM_ASSIGN_OR_RETURN(auto lock, s.dataset_lock());
  TM_ASSIGN_OR_RETURN(JournaledDataset opened, open_journaled_dataset(s.root, s.db_path, /*create=*/false,
                                                                     /*exclusive=*/false, /*lock=*/false));
  return fn(opened);
}

json decision_json(State& s, const ReviewDecisionResult& r) {
  json j = json::parse(r.to_json(-1));
  std::vector<uint32_t> ids = s.reload_captions({r.caption});
  j["id"] = ids.empty() ? json() : json(ids.front());
  return j;
}

Result<ReviewParams> params_from_query(const State& s, const httplib::Request& req) {
  ReviewParams p;
  p.recursive = s.params.recursive;
  p.caption_extension = s.params.caption_extension;
  p.db = s.db_path.string();
  for (const auto& [key, value] : req.params) {
    std::string name = key;
    std::replace(name.begin(), name.end(), '_', '-');
    if (name == "db" || name == "recursive" || name == "caption-extension") continue;  // the server's own
    if (!review_options().find(name)) return invalid_argument("review." + key + ": not a known option");
    TM_RETURN_IF_ERROR(review_options().set(p, name, value));
  }
  return p;
}

}  // namespace

void register_review_routes(State& s) {
  auto& http = s.http;

  // GET /api/review?tag=&margin=&max_tags=&max_images=&model=: the queue, each item with its image id.
  http.Get("/api/review", [&s](const httplib::Request& req, httplib::Response& res) {
    auto params = params_from_query(s, req);
    if (!params.ok()) return send_status(res, params.status());
    std::error_code ec;
    if (!fs::exists(s.db_path, ec))
      return send_error(res, 404, "not_found", "no scores yet: tag the folder first");
    auto ds = scan_dataset(s.root, {params->recursive, params->caption_extension});
    if (!ds.ok()) return send_status(res, ds.status());
    auto store = Store::open_read_only(s.db_path);
    if (!store.ok()) return send_status(res, store.status());
    auto queue = build_review_queue(**store, *ds, *params);
    if (!queue.ok()) return send_status(res, queue.status());
    json j = json::parse(queue->to_json(-1));
    for (auto& tag : j["tags"])
      for (auto& item : tag["items"]) {
        int64_t id = s.index->find(item["image"].get<std::string>());
        item["id"] = id < 0 ? json() : json(id);
      }
    send_json(res, j);
  });

  // POST /api/review/decide {"image": RELPATH, "tag": TAG, "decision": "accept"|"reject"}
  http.Post("/api/review/decide", [&s](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.ok()) return send_status(res, body.status());
    if (!body->is_object() || !(*body)["image"].is_string() || !(*body)["tag"].is_string() ||
        !(*body)["decision"].is_string())
      return send_error(res, 400, "bad_request", "expected {\"image\": PATH, \"tag\": TAG, \"decision\": \"accept\"|\"reject\"}");
    auto verdict = parse_verdict((*body)["decision"].get<std::string>());
    if (!verdict.ok()) return send_status(res, verdict.status());
    ReviewDecisionRequest request{(*body)["image"], (*body)["tag"], *verdict, body->value("model", ""),
                                  s.params.caption_extension};
    std::optional<ReviewDecisionResult> result;
    Status st = with_dataset(s, [&](JournaledDataset& ds) -> Status {
      TM_ASSIGN_OR_RETURN(auto r, decide_review(ds, request, "tagmetry serve"));
      result = std::move(r);
      return {};
    });
    if (!st.ok()) return send_status(res, st);
    send_json(res, decision_json(s, *result));
  });

  // POST /api/review/undo: reverts the newest decision (404 when there is none).
  http.Post("/api/review/undo", [&s](const httplib::Request&, httplib::Response& res) {
    std::optional<ReviewDecisionResult> result;
    Status st = with_dataset(s, [&](JournaledDataset& ds) -> Status {
      TM_ASSIGN_OR_RETURN(result, undo_review_decision(ds, "tagmetry serve"));
      return {};
    });
    if (!st.ok()) return send_status(res, st);
    if (!result) return send_error(res, 404, "not_found", "no review decision to undo");
    send_json(res, decision_json(s, *result));
  });

  // GET /api/image/ID/provenance: where each tag of the image's caption came from.
  http.Get(R"(/api/image/(\d+)/provenance)", [&s](const httplib::Request& req, httplib::Response& res) {
    size_t id = 0;
    IndexedImage img;
    if (!image_of(s, req, res, id, img)) return;
    ProvenanceParams p;
    p.image = img.path;
    p.caption_extension = s.params.caption_extension;
    std::string body;
    Status st = s.read_journal([&](const CaptionJournal& journal) -> Status {
      TM_ASSIGN_OR_RETURN(auto store, Store::open_read_only(s.db_path));
      TM_ASSIGN_OR_RETURN(auto prov, caption_provenance(*store, journal, p));
      body = prov.to_json(-1);
      return {};
    });
    if (!st.ok()) return send_status(res, st);
    if (body.empty()) return send_json(res, {{"image", img.path}, {"caption", img.caption_path}, {"model", ""},
                                             {"changed_outside", false}, {"tags", json::array()}});
    send_json(res, json::parse(body));
  });

  // GET /api/thresholds?min_decisions=N: per-tag thresholds learned from the decisions.
  http.Get("/api/thresholds", [&s](const httplib::Request& req, httplib::Response& res) {
    ThresholdsParams p;
    p.db = s.db_path.string();
    for (const auto& [key, value] : req.params) {
      std::string name = key;
      std::replace(name.begin(), name.end(), '_', '-');
      if (name == "db" || !thresholds_options().find(name))
        return send_error(res, 400, "bad_request", "thresholds." + key + ": not a known option");
      if (Status st = thresholds_options().set(p, name, value); !st.ok()) return send_status(res, st);
    }
    auto report = run_thresholds(s.root, p);
    if (!report.ok()) return send_status(res, report.status());
    send_json(res, json::parse(report->to_json(-1)));
  });
}

}  // namespace tagmetry::server
