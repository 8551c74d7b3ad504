// Analysis routes: dataset stats and lint (as `tagmetry stats` / `lint`), the kohya caption preview, and
// Japanese → tags.
#include <algorithm>

#include "http_util.h"
#include "server_state.h"
#include "tagmetry/caption_policy.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/complete.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/ja_to_tags.h"
#include "tagmetry/kohya_caption.h"
#include "tagmetry/kohya_config.h"
#include "tagmetry/lint.h"
#include "tagmetry/tag_database.h"

namespace tagmetry::server {
namespace fs = std::filesystem;

namespace {

// The corpus stats and lint measure: captions from the in-memory index, image headers and the folder's
// other files from disk.
Result<DatasetCorpus> corpus_of(State& s) {
  CorpusOptions options;
  options.recursive = s.params.recursive;
  options.caption_extension = s.params.caption_extension;
  const DatasetIndex& index = *s.index;
  options.caption_source = [&index](const std::string& image_relpath) { return index.held_caption(image_relpath); };
  return load_corpus(s.root, options, s.clip_tokenizer());
}

// Caption settings for the preview: a dataset_config.toml inside the dataset, or `settings` over the
// default policy's kohya recommendation.
Result<KohyaCaptionParams> preview_settings(State& s, const json& body, std::vector<std::string>& warnings) {
  KohyaCaptionParams params;
  if (auto policy = load_policy_preset("default"); policy.ok()) policy->kohya.apply_to(params);
  if (body.contains("config") && body["config"].is_string() && !body["config"].get<std::string>().empty()) {
    std::string rel = body["config"].get<std::string>();
    fs::path file = fs::path(rel).is_absolute() ? fs::path(rel) : s.root / rel;
    if (!resolves_inside(s.root_canonical, file))
      return not_found(rel + ": no such file inside the dataset folder");
    TM_ASSIGN_OR_RETURN(KohyaDatasetConfig config, read_kohya_dataset_config(file));
    warnings.insert(warnings.end(), config.warnings.begin(), config.warnings.end());
    if (config.subsets.empty()) return invalid_argument(rel + ": no [[datasets.subsets]]");
    const KohyaSubset* chosen = &config.subsets.front();
    std::error_code ec;
    for (auto& sub : config.subsets)
      if (fs::equivalent(sub.image_dir, s.root, ec)) chosen = &sub;
    if (chosen->caption_extension != s.params.caption_extension)
      warnings.push_back("the subset's caption_extension is " + chosen->caption_extension + ", the dataset's " +
                         s.params.caption_extension + ": kohya would not read these caption files");
    return chosen->caption;
  }
  if (body.contains("settings")) {
    json settings = body["settings"];
    if (settings.is_object()) settings.erase("max_token_length");  // the preview's own setting
    TM_RETURN_IF_ERROR(apply_json_options(kohya_caption_options(), params, settings, "settings"));
  }
  TM_RETURN_IF_ERROR(params.validate());
  return params;
}

LintParams default_lint_params(State& s) {
  LintParams params;
  params.trigger = s.params.trigger;
  params.caption_extension = s.params.caption_extension;
  return params;
}

// Remembers which rules name each image (by its image or caption path).
void cache_lint(State& s, const std::vector<LintFinding>& findings, uint64_t generation) {
  auto result = std::make_shared<State::LintByImage>();
  result->generation = generation;
  for (auto& f : findings)
    for (auto& file : f.files) {
      int64_t id = s.index->find(file);
      if (id < 0) id = s.index->find_caption(file);
      if (id < 0) continue;
      auto& rules = result->rules[static_cast<uint32_t>(id)];
      if (std::find(rules.begin(), rules.end(), f.rule) == rules.end()) rules.push_back(f.rule);
    }
  std::lock_guard lock(s.lint_cache_mutex);
  if (!s.lint_cache || s.lint_cache->generation <= generation) s.lint_cache = std::move(result);
}

}  // namespace

Result<std::shared_ptr<const State::LintByImage>> lint_by_image(State& s) {
  std::lock_guard run(s.lint_mutex);
  uint64_t generation = s.index->generation();
  if (auto cached = s.cached_lint(); cached && cached->generation == generation) return cached;
  TM_ASSIGN_OR_RETURN(auto corpus, corpus_of(s));
  TM_ASSIGN_OR_RETURN(auto findings, lint_dataset(corpus, default_lint_params(s), s.clip_tokenizer(), s.tag_database()));
  cache_lint(s, findings, generation);
  return s.cached_lint();
}

void register_analysis_routes(State& s) {
  auto& http = s.http;

  http.Get("/api/stats", [&s](const httplib::Request& req, httplib::Response& res) {
    StatsCommandParams params;
    if (Status st = apply_query_options(stats_operation().options, params, req, {"near_constant_share", "top_pairs"});
        !st.ok())
      return send_status(res, st);
    auto corpus = corpus_of(s);
    if (!corpus.ok()) return send_status(res, corpus.status());
    // `long hair` and `long_hair` are one tag, as in the sidebar and the filters.
    for (auto& item : corpus->items) {
      bool spaced = false;
      for (auto& t : item.tags)
        if (t.find(' ') != std::string::npos) t = tag_key(t), spaced = true;
      if (spaced) item.tag_ids.clear();
    }
    send_json(res, to_json(compute_stats(*corpus, params.stats_params(), s.tag_database())));
  });

  http.Get("/api/lint", [&s](const httplib::Request& req, httplib::Response& res) {
    uint64_t generation = s.index->generation();
    LintCommandParams params;
    params.trigger = s.params.trigger;
    if (Status st = apply_query_options(lint_operation().options, params, req, {"trigger", "resolution", "max_tokens"});
        !st.ok())
      return send_status(res, st);
    params.caption_extension = s.params.caption_extension;
    auto corpus = corpus_of(s);
    if (!corpus.ok()) return send_status(res, corpus.status());
    auto findings = lint_dataset(*corpus, params, s.clip_tokenizer(), s.tag_database());
    if (!findings.ok()) return send_status(res, findings.status());
    if (!req.has_param("trigger") && !req.has_param("resolution") && !req.has_param("max_tokens"))
      cache_lint(s, *findings, generation);
    json body = to_json(*findings);
    for (size_t i = 0; i < findings->size(); ++i) {  // and the image ids of each finding's files
      json ids = json::array();
      for (auto& file : (*findings)[i].files) {
        int64_t id = s.index->find(file);
        if (id < 0) id = s.index->find_caption(file);
        if (id >= 0) ids.push_back(id);
      }
      body["findings"][i]["ids"] = ids;
    }
    send_json(res, body);
  });

  // The gallery's lint badges: lints the dataset when it changed since the last run.
  http.Get("/api/lint/images", [&s](const httplib::Request&, httplib::Response& res) {
    auto lint = lint_by_image(s);
    if (!lint.ok()) return send_status(res, lint.status());
    send_json(res, {{"generation", (*lint)->generation}, {"images", (*lint)->rules.size()}});
  });

  http.Post("/api/preview", [&s](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.ok()) return send_status(res, body.status());
    const ClipTokenizer* tokenizer = s.clip_tokenizer();
    if (!tokenizer) return send_status(res, s.vocab.clip_status);
    std::vector<std::string> warnings;
    auto params = preview_settings(s, *body, warnings);
    if (!params.ok()) return send_status(res, params.status());
    int epochs = body->value("epochs", 3);
    if (epochs < 1 || epochs > 20) return send_error(res, 400, "bad_request", "epochs must be 1..20");
    std::vector<uint64_t> seeds{42};
    if (body->contains("seeds")) {
      seeds.clear();
      if (!(*body)["seeds"].is_array()) return send_error(res, 400, "bad_request", "seeds must be an array of integers");
      for (auto& v : (*body)["seeds"]) {
        if (!v.is_number_integer()) return send_error(res, 400, "bad_request", "seeds must be an array of integers");
        seeds.push_back(v.get<uint64_t>());
      }
      if (seeds.empty() || seeds.size() > 10) return send_error(res, 400, "bad_request", "give 1..10 seeds");
    }
    int max_tokens = kClipChunkTokens;
    if (body->contains("settings") && (*body)["settings"].contains("max_token_length")) {
      max_tokens = (*body)["settings"]["max_token_length"].get<int>();
      if (!is_kohya_max_token_length(max_tokens))
        return send_error(res, 400, "bad_request", "max_token_length must be 75, 150 or 225");
    }
    std::vector<uint32_t> ids;
    if (body->contains("ids") && (*body)["ids"].is_array())
      for (auto& v : (*body)["ids"])
        if (v.is_number_unsigned() && v.get<size_t>() < s.index->id_count()) ids.push_back(v.get<uint32_t>());
    if (ids.empty()) return send_error(res, 400, "bad_request", "ids: pick at least one image");
    if (ids.size() > 50) return send_error(res, 400, "bad_request", "ids: at most 50 images per preview");

    json images = json::array();
    s.index->visit(ids, [&](uint32_t id, const IndexedImage& img) {
      std::string caption = kohya_caption_from_file_text(img.has_caption ? img.text : std::string(), params->enable_wildcard);
      json samples = json::array();
      for (auto& sample : kohya_sample_captions(*tokenizer, *params, KohyaTrainingState{}, caption, seeds, epochs,
                                                static_cast<size_t>(max_tokens), /*tag_positions=*/true))
        samples.push_back(to_json(sample));
      images.push_back({{"id", id}, {"path", img.path}, {"source", caption}, {"samples", samples}});
    });
    send_json(res, {{"max_token_length", max_tokens}, {"warnings", warnings}, {"images", images}});
  });

  http.Post("/api/ja2tags", [&s](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.ok()) return send_status(res, body.status());
    if (!body->contains("text") || !(*body)["text"].is_string())
      return send_error(res, 400, "bad_request", "body.text (the request) is required");
    const JaToTags* converter = s.ja_to_tags();
    if (!converter) return send_status(res, s.vocab.ja2tags_status);
    Ja2TagsParams options;  // the request's options: top, min_count (as `ja2tags --top --min-count`)
    json given = *body;
    given.erase("text");
    for (auto& [key, value] : given.items())
      if (key != "top" && key != "min_count") return send_error(res, 400, "bad_request", "body." + key + ": not an option of this route");
    if (Status st = apply_json_options(ja2tags_operation().options, options, given, "body"); !st.ok())
      return send_status(res, st);
    auto result = converter->convert((*body)["text"].get<std::string>(), options);
    if (!result.ok()) return send_status(res, result.status());
    json out = to_json(*result);
    // and each tag's post count, which the page shows
    for (size_t i = 0; i < result->tags.size(); ++i) out["tags"][i]["count"] = result->tags[i].count;
    for (size_t i = 0; i < result->negative.size(); ++i) out["negative"][i]["count"] = result->negative[i].count;
    send_json(res, out);
  });

  // Whether the server can complete tags now (llama.cpp built in, the model of TAGMETRY_COMPLETE_MODEL or
  // the default one on disk): {"available":bool,"model":"…","reason":"…"}. The Japanese page's button.
  http.Get("/api/complete", [](const httplib::Request&, httplib::Response& res) {
    CompleteParams params;
    if (Status env = complete_options().apply_env(params); !env.ok()) return send_status(res, env);
    send_json(res, json::parse(completion_status(params).to_json()));
  });

  // tagmetry complete (docs/complete.md): {"tags": "1girl, blue hair", "options": {"seed": 1, ...}} ->
  // the same JSON as `complete --json`. Runs on this request's thread; a model not cached yet is
  // downloaded and converted first (minutes), so the web app passes "offline": true unless asked.
  http.Post("/api/complete", [](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.ok()) return send_status(res, body.status());
    if (!body->contains("tags") || !(*body)["tags"].is_string())
      return send_error(res, 400, "bad_request", "body.tags (comma-separated tags) is required");
    CompleteParams params;
    if (Status env = complete_options().apply_env(params); !env.ok()) return send_status(res, env);
    if (body->contains("options")) {
      Status st = apply_json_options(complete_options(), params, (*body)["options"], "options");
      if (!st.ok()) return send_status(res, st);
    }
    auto r = complete_tags({(*body)["tags"].get<std::string>()}, params);
    if (!r.ok()) return send_status(res, r.status());
    send_json(res, json::parse(r->to_json()));
  });
}

}  // namespace tagmetry::server
