// GET /api/buckets: `tagmetry buckets` for the served dataset (its dataset_config.toml and train.sh
// when present); query parameters are the command's options (resolution=1024&bucket_no_upscale=true).
// Each image gets its gallery id for thumbnails.
#include <algorithm>

#include "http_util.h"
#include "server_state.h"
#include "tagmetry/kohya_bucket_report.h"

namespace tagmetry::server {

void register_bucket_routes(State& s) {
  s.http.Get("/api/buckets", [&s](const httplib::Request& req, httplib::Response& res) {
    KohyaBucketsParams params;
    json query = json::object();
    for (auto& [key, value] : req.params) query[key] = value;
    if (Status st = apply_json_options(kohya_buckets_options(), params, query, "query"); !st.ok())
      return send_status(res, st);
    if (!params.config.empty() || !params.train_script.empty() || !params.reg_data_dir.empty() || !params.html.empty())
      return send_error(res, 400, "bad_request",
                        "config, train_script and reg_data_dir are read from the dataset folder; html is the CLI's");
    if (auto script = apply_kohya_train_script(s.root, params); !script.ok()) return send_status(res, script.status());
    auto set = kohya_training_set(s.root, params);
    if (!set.ok()) return send_status(res, set.status());
    const KohyaBucketsReport report = simulate_kohya_buckets(*set, params, s.root);
    json j = json::parse(report.to_json(-1), nullptr, false);
    if (j.is_discarded()) return send_error(res, 500, "internal", "buckets JSON did not parse");
    for (auto& image : j["images"]) {
      const int64_t id = s.index->find(image["file"].get<std::string>());
      image["id"] = id >= 0 ? json(id) : json(nullptr);
    }
    send_json(res, j);
  });
}

}  // namespace tagmetry::server
