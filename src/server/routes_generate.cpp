// The Generate page's routes: POST /api/prompt (a request or tags → a prompt in a model's style,
// tagmetry/prompt.h), and the generator fixed at start (--generator): what it offers, generations as
// background jobs (progress, interrupt), and the images they saved. Only style names, prompt options and
// the batch settings come from the browser: no file paths, no other address to contact.
#include <algorithm>
#include <regex>

#include "http_util.h"
#include "server_state.h"
#include "tagmetry/complete.h"
#include "tagmetry/generate.h"
#include "tagmetry/prompt.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

namespace tagmetry::server {
namespace fs = std::filesystem;

namespace {

// The prompt options a page may set (no files: caption input, style files, tag lists, dictionaries).
const std::vector<std::string>& prompt_request_options() {
  static const std::vector<std::string> names = {"style", "input",  "trigger", "rating",    "negative", "top",
                                                 "size",  "aspect", "sampler", "scheduler", "steps",    "cfg"};
  return names;
}

// Sets the options of `set` named in `body` (besides "text"), allowing only `allowed` (kebab-case);
// "loras" is the list of NAME[:WEIGHT].
template <class P>
Status apply_request(const OptionSet<P>& set, P& p, const json& body, const std::vector<std::string>& allowed) {
  json options = json::object();
  for (auto& [key, value] : body.items()) {
    if (key == "text" || key == "loras") continue;
    std::string name = key;
    std::replace(name.begin(), name.end(), '_', '-');
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      return invalid_argument("body." + key + ": not an option the web app may set");
    options[key] = value;
  }
  TM_RETURN_IF_ERROR(apply_json_options(set, p, options, "body"));
  if (body.contains("loras")) {
    const json& loras = body["loras"];
    if (!loras.is_array()) return invalid_argument("body.loras must be a list of NAME[:WEIGHT]");
    for (auto& l : loras) {
      if (!l.is_string()) return invalid_argument("body.loras must be a list of NAME[:WEIGHT]");
      TM_RETURN_IF_ERROR(parse_lora(l.get<std::string>()).status());
      p.loras.push_back(l.get<std::string>());
    }
  }
  auto& names = prompt_style_names();
  if (std::find(names.begin(), names.end(), p.style) == names.end())
    return invalid_argument("body.style: '" + p.style + "' is not a style (" + join(names, ", ") + ")");
  if (p.input == "caption") return invalid_argument("body.input: caption files are read by the CLI only");
  return {};
}

// "auto" never means a file on the server's disk: ASCII with commas is a tag list, the rest a request.
void resolve_input(PromptParams& p, const std::string& text) {
  if (p.input != "auto") return;
  bool ascii = std::all_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x80; });
  p.input = ascii && text.find(',') != std::string::npos ? "tags" : "request";
}

Result<std::string> request_text(const json& body) {
  if (!body.contains("text") || !body["text"].is_string())
    return invalid_argument("body.text (a request or tags) is required");
  return body["text"].get<std::string>();
}

Result<std::shared_ptr<PromptBuilder>> prompt_builder(State& s) {
  const TagDatabase* db = s.tag_database();
  if (!db) return s.vocab.tags_status;
  std::shared_ptr<PromptBuilder> b = PromptBuilder::borrow(*db, [&s]() -> Result<const JaToTags*> {
    const JaToTags* ja = s.ja_to_tags();
    if (!ja) return s.vocab.ja2tags_status;
    return ja;
  });
  return b;
}

// An error from the generator (its answer, or none): 502 with its message, unless the request was refused
// for what it asked (a workflow ComfyUI rejected: 400).
Status upstream(const Status& st) {
  if (st.ok() || st.code() == ErrorCode::kInvalidArgument || st.code() == ErrorCode::kCancelled) return st;
  return network_error(st.message());
}

// The URL without credentials (user:pass@), for the page.
std::string shown_url(const std::string& url) {
  auto scheme = url.find("://");
  auto at = url.find('@', scheme == std::string::npos ? 0 : scheme + 3);
  auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos || (slash != std::string::npos && at > slash)) return url;
  return url.substr(0, scheme + 3) + url.substr(at + 1);
}

// Whether `tagmetry complete` can run offline: its default model converted in the cache.
json completion_state() {
  const CompletionModel* model = nullptr;
  for (auto& m : completion_models())
    if (m.is_default) model = &m;
  if (!model && !completion_models().empty()) model = &completion_models().front();
  if (!model) return {{"available", false}, {"reason", "no completion model is known to this build"}};
  fs::path folder = completion_gguf_path(*model, "x").parent_path().parent_path();
  std::error_code ec;
  for (auto& e : fs::directory_iterator(folder, ec))
    if (fs::exists(e.path() / "model.gguf", ec)) return {{"available", true}, {"model", model->name}};
  return {{"available", false},
          {"model", model->name},
          {"reason", "the completion model " + model->name + " is not in the cache: run `tagmetry complete --model " +
                         model->name + " \"1girl\"` once (it downloads and converts it)"}};
}

json image_json(const SavedImage& img, int batch, int index) {
  std::string name = img.png.filename().string();
  std::string caption;
  if (auto text = read_text_file(img.caption); text.ok()) caption = std::string(trim(*text));
  json j{{"name", name},
         {"url", "/api/generate/images/" + name},
         {"seed", img.seed},
         {"batch", batch},
         {"index", index},
         {"caption", caption}};
  if (img.batch_size > 1) {  // ComfyUI / RunPod: the seed is the batch's; this image sat at batch_pos
    j["batch_size"] = img.batch_size;
    j["batch_pos"] = img.batch_pos;
  }
  return j;
}

void run_generation(State& s, Job& job, GenerateParams p, std::string text) {
  auto builder = prompt_builder(s);
  if (!builder.ok()) return job.finish("failed", nullptr, builder.status().message());
  auto generator = open_generator(p);
  if (!generator.ok()) return job.finish("failed", nullptr, generator.status().message());
  int64_t seed = -1;
  if (!trim(p.seed).empty()) seed = std::stoll(std::string(trim(p.seed)));  // checked before the job started
  const int count = p.count;
  const size_t total = static_cast<size_t>(count) * static_cast<size_t>(p.batch_size);
  json images = json::array(), errors = json::array();
  json prompt;
  size_t done = 0;
  job.set_progress(0, total);
  for (int i = 0; i < count && !job.cancel; ++i) {
    GenerateParams one = p;
    one.count = 1;
    one.seed = seed >= 0 ? std::to_string(seed + static_cast<int64_t>(i) * p.batch_size) : "";
    int last_step = -1;
    auto on_progress = [&](const GeneratorProgress& g) {
      if (g.step == last_step) return;
      last_step = g.step;
      job.emit("step", {{"batch", i + 1},
                        {"batches", count},
                        {"step", g.step},
                        {"steps", g.steps},
                        {"fraction", (i + std::clamp(g.fraction, 0.0, 1.0)) / count}});
    };
    auto report = run_generate(one, **builder, text, on_progress, job.cancel, generator->get());
    if (!report.ok()) {
      if (images.empty() && errors.empty()) return job.finish("failed", nullptr, upstream(report.status()).message());
      errors.push_back("batch " + std::to_string(i + 1) + ": " + report.status().message());
      continue;
    }
    if (prompt.is_null()) prompt = json::parse(report->prompt.to_json());
    for (auto& e : report->errors) errors.push_back("batch " + std::to_string(i + 1) + ": " + e);
    for (size_t k = 0; k < report->images.size(); ++k) {
      json img = image_json(report->images[k], i + 1, static_cast<int>(k));
      images.push_back(img);
      job.emit("image", img);
    }
    done += report->images.size();
    job.set_progress(std::min(done, total), total);
  }
  json out{{"prompt", prompt}, {"images", images}, {"interrupted", job.cancel.load()}, {"errors", errors}};
  job.finish(job.cancel ? "cancelled" : "done", out, "");
}

// The generation job of a /api/generate/jobs/ID/... route; sends 404 and returns nullptr when there is none.
std::shared_ptr<Job> generation_of(State& s, const httplib::Request& req, httplib::Response& res) {
  auto id = parse_id(req.matches[1]);
  auto job = id ? s.generate_jobs.find(static_cast<int>(*id)) : nullptr;
  if (!job) send_error(res, 404, "not_found", "no generation job " + std::string(req.matches[1]));
  return job;
}

bool need_generator(State& s, httplib::Response& res) {
  if (s.generator) return true;
  send_error(res, 404, "no_generator",
             "no generator server: start `tagmetry serve` with --generator URL (A1111 / Forge started with --api, "
             "ComfyUI, or runpod=https://api.runpod.ai/v2/ENDPOINT)");
  return false;
}

}  // namespace

Status configure_generator(State& s) {
  const ServeParams& sp = s.params;
  s.generate_out = sp.generate_out.empty() ? s.root / ".tagmetry" / "generated" : fs::path(sp.generate_out);
  if (sp.generator.empty()) return {};
  GenerateParams g;
  g.backend = sp.backend;
  g.url = sp.generator;
  if (auto eq = sp.generator.find('='); eq != std::string::npos && sp.generator.find("://") > eq) {
    g.backend = sp.generator.substr(0, eq);
    g.url = sp.generator.substr(eq + 1);
  }
  g.user = sp.user;
  g.workflow = sp.workflow;
  g.connect_timeout = sp.connect_timeout;
  g.timeout = sp.timeout;
  g.out = s.generate_out.string();
  auto opened = open_generator(g);  // checks the kind, the URL and the RunPod key; contacts nothing
  if (!opened.ok()) return opened.status().with_context("--generator");
  if (!g.workflow.empty()) TM_RETURN_IF_ERROR(read_text_file(g.workflow).status());
  s.generator = g;
  return {};
}

void register_generate_routes(State& s) {
  s.http.Post("/api/prompt", [&s](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.ok()) return send_status(res, body.status());
    auto text = request_text(*body);
    if (!text.ok()) return send_status(res, text.status());
    PromptParams p;
    Status st = apply_request(prompt_options(), p, *body, prompt_request_options());
    if (!st.ok()) return send_status(res, st);
    resolve_input(p, *text);
    auto builder = prompt_builder(s);
    if (!builder.ok()) return send_status(res, builder.status());
    auto r = (*builder)->build(p, *text);
    if (!r.ok()) return send_status(res, r.status());
    res.set_content(r->to_json(), "application/json");
  });

  // What the page needs to know before it asks anything of the generator.
  s.http.Get("/api/generator", [&s](const httplib::Request&, httplib::Response& res) {
    json j{{"configured", s.generator.has_value()},
           {"styles", prompt_style_names()},
           {"completion", completion_state()}};
    if (s.generator) {
      j["backend"] = s.generator->backend;
      j["url"] = shown_url(s.generator->url);
      j["workflow"] = !s.generator->workflow.empty();
    } else {
      j["how"] =
          "start `tagmetry serve DIR --generator http://127.0.0.1:7860` (AUTOMATIC1111 / Forge started with --api), "
          "--generator comfyui=http://127.0.0.1:8188, or --generator runpod=https://api.runpod.ai/v2/ENDPOINT with "
          "RUNPOD_API_KEY set";
    }
    auto job = s.generate_jobs.current();
    j["job"] = job ? json(job->id()) : json();
    send_json(res, j);
  });

  s.http.Get("/api/generator/inventory", [&s](const httplib::Request&, httplib::Response& res) {
    if (!need_generator(s, res)) return;
    auto generator = open_generator(*s.generator);
    if (!generator.ok()) return send_status(res, generator.status());
    auto inv = (*generator)->inventory();
    if (!inv.ok()) return send_status(res, upstream(inv.status()));
    send_json(res, {{"checkpoints", inv->checkpoints},
                    {"loras", inv->loras},
                    {"samplers", inv->samplers},
                    {"schedulers", inv->schedulers}});
  });

  s.http.Post("/api/generate", [&s](const httplib::Request& req, httplib::Response& res) {
    if (!need_generator(s, res)) return;
    auto body = parse_body(req);
    if (!body.ok()) return send_status(res, body.status());
    auto text = request_text(*body);
    if (!text.ok()) return send_status(res, text.status());
    GenerateParams p = *s.generator;  // the server's connection settings; the page sets the rest
    std::vector<std::string> allowed = prompt_request_options();
    for (const char* name : {"count", "batch-size", "seed", "checkpoint"}) allowed.emplace_back(name);
    Status st = apply_request(generate_options(), p, *body, allowed);
    if (!st.ok()) return send_status(res, st);
    resolve_input(p, *text);
    if (p.count < 1 || p.count > 100 || p.batch_size < 1 || p.batch_size > 16)
      return send_status(res, invalid_argument("body.count must be 1..100 and body.batch_size 1..16"));
    if (!trim(p.seed).empty()) {
      static const std::regex number("-?[0-9]{1,18}");
      std::string seed(trim(p.seed));
      if (!std::regex_match(seed, number) || std::stoll(seed) < -1)
        return send_status(res, invalid_argument("body.seed '" + p.seed + "': expected a whole number (-1: random)"));
    }
    if (p.backend != "a1111" && p.workflow.empty() && trim(p.checkpoint).empty())
      return send_status(res, invalid_argument("body.checkpoint: the built-in ComfyUI graph needs a checkpoint (one of "
                                               "GET /api/generator/inventory's checkpoints)"));
    if (auto running = s.generate_jobs.current())
      return send_error(res, 409, "conflict",
                        "a generation is already running (job " + std::to_string(running->id()) + ")");
    std::string input = *text;
    auto job = s.generate_jobs.start([&s, p, input](Job& j) { run_generation(s, j, p, input); });
    if (!job.ok()) return send_status(res, job.status());
    send_json(res, {{"job", (*job)->id()}});
  });

  s.http.Get(R"(/api/generate/jobs/(\d+))", [&s](const httplib::Request& req, httplib::Response& res) {
    if (auto job = generation_of(s, req, res)) send_json(res, job->summary());
  });

  s.http.Get(R"(/api/generate/jobs/(\d+)/events)", [&s](const httplib::Request& req, httplib::Response& res) {
    if (auto job = generation_of(s, req, res)) stream_job_events(s, job, res);
  });

  // Interrupts the generator (A1111 /interrupt, ComfyUI /interrupt, RunPod /cancel); the images already
  // received are kept.
  s.http.Post(R"(/api/generate/jobs/(\d+)/cancel)", [&s](const httplib::Request& req, httplib::Response& res) {
    auto job = generation_of(s, req, res);
    if (!job) return;
    const json state = job->summary()["state"];
    job->cancel = true;
    send_json(res, {{"state", state == "running" ? json("cancelling") : state}});
  });

  // A saved image or its caption, by file name only (NNNNN-SEED.png / .txt in the output folder).
  s.http.Get(R"(/api/generate/images/([0-9]{5}-[0-9]+\.(png|txt)))",
             [&s](const httplib::Request& req, httplib::Response& res) {
               fs::path file = s.generate_out / std::string(req.matches[1]);
               auto bytes = read_file(file);
               if (!bytes.ok()) return send_error(res, 404, "not_found", "no generated image " + std::string(req.matches[1]));
               res.set_header("Cache-Control", "no-store");
               res.set_content(*bytes, content_type_for(file));
             });
}

}  // namespace tagmetry::server
