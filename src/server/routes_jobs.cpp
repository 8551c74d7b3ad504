// Tag job routes: the models that can be used, starting `tag` on the dataset in the background, its state,
// its live events (Server-Sent Events) and cancellation.
#include <algorithm>

#include "http_util.h"
#include "server_state.h"
#include "tagmetry/data_paths.h"
#include "tagmetry/model_cache.h"
#include "tagmetry/model_registry.h"
#include "tagmetry/tag_pipeline.h"

namespace tagmetry {

const std::vector<std::string>& tag_job_option_names() {
  static const std::vector<std::string> names = [] {
    // --image: the page's selection (paths the scan checks are images of the dataset); --trigger: the
    // dataset's trigger first in the captions the job writes.
    std::vector<std::string> out = {"model",      "model-dir", "model-type", "offline",   "precision", "batch-size",
                                    "threads",    "force",     "append",     "overwrite", "image",     "trigger"};
    OptionSet<TagParams> selection;
    add_selection_options(selection);
    // --thresholds names a file: a web page must not make the server read one (learned thresholds are the
    // dataset's own; a CSV belongs on the command line).
    for (auto& o : selection.options())
      if (o.info.name != "thresholds") out.push_back(o.info.name);
    return out;
  }();
  return names;
}

}  // namespace tagmetry

namespace tagmetry::server {
namespace fs = std::filesystem;

namespace {

const char* outcome_name(ItemOutcome o) {
  switch (o) {
    case ItemOutcome::kTagged: return "tagged";
    case ItemOutcome::kAppended: return "appended";
    case ItemOutcome::kOverwritten: return "overwritten";
    case ItemOutcome::kSkippedExisting: return "skipped";
    case ItemOutcome::kFailed: return "failed";
  }
  return "unknown";
}

// TagParams from a JSON object of `tag` options (names with '_' or '-'). Options that would escape the
// dataset or the job (output files, shards, other databases) are refused.
Result<TagParams> tag_params_from_json(const json& body, const ServeParams& serve) {
  TagParams p;
  p.recursive = serve.recursive;
  p.caption_extension = serve.caption_extension;
  p.db = serve.db;
  for (auto& [key, value] : body.items()) {
    std::string name = key;
    std::replace(name.begin(), name.end(), '_', '-');
    const auto& allowed = tag_job_option_names();
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end() && tag_options().find(name))
      return invalid_argument(key + ": not settable from the web app (it belongs to the server or its dataset)");
  }
  TM_RETURN_IF_ERROR(apply_json_options(tag_options(), p, body, "tag job option"));
  if (!p.model_dir.empty()) {
    // Only folders the server was started with (--model-dir) or the model caches: a web page cannot make
    // the server load an arbitrary file as a model.
    std::error_code ec;
    fs::path dir = fs::weakly_canonical(fs::absolute(p.model_dir, ec), ec);
    auto inside = [&](const fs::path& root) {
      if (root.empty()) return false;
      std::error_code rec;
      fs::path r = fs::weakly_canonical(fs::absolute(root, rec), rec);
      auto rel = dir.lexically_relative(r);
      return !rec && !rel.empty() && *rel.begin() != "..";
    };
    if (!inside(serve.model_dir) && !inside(HubConfig::from_environment().cache_dir) && !inside(user_cache_dir()))
      return invalid_argument("model_dir " + p.model_dir + ": not inside the folder the server was started with (" +
                              (serve.model_dir.empty() ? std::string("start it with --model-dir DIR")
                                                       : "--model-dir " + serve.model_dir) +
                              ") or the model cache");
  }
  p.command_line = "tagmetry serve (tag job)";
  return p;
}

// The job of a /api/jobs/ID/... route; sends 404 and returns nullptr when there is none.
auto job_of(State& s, const httplib::Request& req, httplib::Response& res) {
  auto id = parse_id(req.matches[1]);
  auto job = id ? s.jobs.find(static_cast<int>(*id)) : nullptr;
  if (!job) send_error(res, 404, "not_found", "no job " + std::string(req.matches[1]));
  return job;
}

void run_tag_job(State& s, Job& job, const TagParams& params) {
  TaggerModelOptions model_options;
  model_options.int8_sample = s.index->root();
  model_options.note = [&job](const std::string& text) { job.emit("note", {{"message", text}}); };
  auto model = resolve_tagger_model(params, model_options);
  if (!model.ok()) return job.finish("failed", nullptr, model.status().message());
  // The job shares the server's dataset lock and writes each batch under its write mutex, so the editor's
  // saves, batch edits and undo keep working while it runs.
  auto lock = s.dataset_lock();
  if (!lock.ok()) return job.finish("failed", nullptr, lock.status().message());
  {
    std::lock_guard guard(s.write_mutex);
    int64_t last = 0;
    Status st = s.read_journal([&](const CaptionJournal& journal) -> Status {
      TM_ASSIGN_OR_RETURN(auto ops, journal.operations());
      if (!ops.empty()) last = ops.front().id;
      return {};
    });
    job.operations_before = st.ok() ? last : 0;
  }
  TagCallbacks callbacks;
  callbacks.write_mutex = &s.write_mutex;
  callbacks.cancel = &job.cancel;
  callbacks.on_progress = [&job](size_t done, size_t total) { job.set_progress(done, total); };
  callbacks.on_item = [&s, &job](const TagItemResult& item) {
    int64_t id = s.index->find(item.relpath);
    json data{{"path", item.relpath}, {"outcome", outcome_name(item.outcome)}};
    data["id"] = id >= 0 ? json(id) : json();
    if (item.outcome == ItemOutcome::kFailed) data["message"] = item.message;
    if (id >= 0) {
      s.index->reload(static_cast<size_t>(id));
      IndexedImage img;
      if (s.index->get(static_cast<size_t>(id), img)) {
        data["caption"] = img.text;
        data["tags"] = img.tags;
        data["version"] = img.version;
      }
    }
    job.emit("item", data);
  };
  auto report = run_tagging(s.root, *model, params, callbacks);
  s.refresh_scores();
  if (!report.ok()) return job.finish("failed", nullptr, report.status().message());
  job.finish(report->cancelled ? "cancelled" : "done", to_json(*report, params.mcut), "");
}

}  // namespace

void stream_job_events(State& s, std::shared_ptr<Job> job, httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  auto cursor = std::make_shared<size_t>(0);
  res.set_chunked_content_provider("text/event-stream", [&s, job, cursor](size_t, httplib::DataSink& sink) {
    bool ended = false;
    auto events = job->events_from(*cursor, 1000, &ended);
    if (events.empty() && !ended) {
      // Keep-alive comment, so a closed browser tab is noticed (the write fails) and the thread freed.
      static const char kPing[] = ": ping\n\n";
      if (!sink.write(kPing, sizeof(kPing) - 1)) return false;
    }
    for (auto& e : events) {
      std::string chunk = "event: " + e.name + "\ndata: " + e.data + "\n\n";
      if (!sink.write(chunk.data(), chunk.size())) return false;
      ++*cursor;
    }
    if (ended || s.stopping) sink.done();
    return true;
  });
}

void register_job_routes(State& s) {
  auto& http = s.http;

  http.Get("/api/models", [&s](const httplib::Request&, httplib::Response& res) {
    HubConfig hub = HubConfig::from_environment();
    std::vector<std::string> in_db;
    std::error_code ec;
    if (fs::exists(s.db_path, ec))
      if (auto store = Store::open(s.db_path, false); store.ok())
        if (auto models = (*store)->models(); models.ok())
          for (auto& m : *models) in_db.push_back(m.name);
    json list = json::array();
    for (auto& entry : model_registry()) {
      bool cached = find_cached_model(entry, hub).ok();
      bool used = std::find(in_db.begin(), in_db.end(), entry.name) != in_db.end();
      list.push_back({{"name", entry.name}, {"family", entry.family}, {"repo", entry.repo}, {"cached", cached},
                      {"in_database", used}, {"general_threshold", entry.general_threshold},
                      {"character_threshold", entry.character_threshold}, {"bytes", entry.approx_bytes}});
    }
    for (auto& name : in_db)
      if (std::none_of(model_registry().begin(), model_registry().end(), [&](auto& e) { return e.name == name; }))
        list.push_back({{"name", name}, {"cached", false}, {"in_database", true}});
    send_json(res, {{"models", list}, {"default", default_model().name}});
  });

  http.Post("/api/jobs/tag", [&s](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.ok()) return send_status(res, body.status());
    auto params = tag_params_from_json(*body, s.params);
    if (!params.ok()) return send_status(res, params.status());
    TagParams p = *params;
    auto job = s.jobs.start([&s, p](Job& j) { run_tag_job(s, j, p); });
    if (!job.ok()) return send_status(res, job.status());
    send_json(res, {{"job", (*job)->id()}});
  });

  // The running job, if any: a reloaded page re-attaches to it.
  http.Get("/api/jobs/current", [&s](const httplib::Request&, httplib::Response& res) {
    auto job = s.jobs.current();
    send_json(res, job ? job->summary() : json{{"id", nullptr}, {"state", "none"}});
  });

  http.Get(R"(/api/jobs/(\d+))", [&s](const httplib::Request& req, httplib::Response& res) {
    auto job = job_of(s, req, res);
    if (!job) return;
    send_json(res, job->summary());
  });

  http.Post(R"(/api/jobs/(\d+)/cancel)", [&s](const httplib::Request& req, httplib::Response& res) {
    auto job = job_of(s, req, res);
    if (!job) return;
    const json state = job->summary()["state"];
    job->cancel = true;
    send_json(res, {{"state", state == "running" ? json("cancelling") : state}});
  });

  http.Get(R"(/api/jobs/(\d+)/events)", [&s](const httplib::Request& req, httplib::Response& res) {
    auto job = job_of(s, req, res);
    if (!job) return;
    stream_job_events(s, job, res);
  });
}

}  // namespace tagmetry::server
