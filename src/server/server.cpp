// tagmetry serve: assembly of the HTTP server — options, safety middleware, static front end, shared state.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <algorithm>

#include "http_util.h"
#include "server_state.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/files.h"
#include "tagmetry/ja_dictionary.h"
#include "tagmetry/ja_to_tags.h"
#include "tagmetry/generate.h"
#include "tagmetry/server.h"
#include "tagmetry/tag_database.h"

namespace tagmetry {
namespace fs = std::filesystem;
using namespace server;

const Operation<ServeParams>& serve_operation() {
  static const Operation<ServeParams> op{{"serve", "Local web app: gallery, tag editor, filters, stats, kohya preview, ja → tags", "", "serve.md"}, [] {
    OptionSet<ServeParams> s;
    s.group("Server")
        .add("host", &ServeParams::host, "Address to listen on (anything but loopback exposes your dataset: a warning is printed)")
        .add("port", &ServeParams::port, "Port (0 = any free port)")
        .add("allowed-hosts", &ServeParams::allowed_hosts,
             "More names the app may be opened under (Host header), comma-separated: NAME (any port), NAME:PORT, or *.DOMAIN (e.g. *.proxy.runpod.net)",
             {}, "TAGMETRY_ALLOWED_HOSTS")
        .add("token", &ServeParams::token,
             "Access token every request must carry: open http://HOST:PORT/?token=TOKEN once (a cookie keeps it), scripts send Authorization: Bearer TOKEN",
             {}, "TAGMETRY_TOKEN")
        .add("open", &ServeParams::open, "Open the web app in the default browser")
        .add("web-root", &ServeParams::web_root, "Folder of the built front end (default: beside the binary, share/tagmetry/web)")
        .add("threads", &ServeParams::threads, "HTTP worker threads (each serves one open connection: a browser tab keeps about 6, an event stream one)")
        .add("poll-seconds", &ServeParams::poll_seconds, "Check caption files for outside changes every N seconds (0 = never)")
        .add("rescan-seconds", &ServeParams::rescan_seconds, "List the folder again for added and removed images at most every N seconds (when a folder changed)");
    s.group("Dataset")
        .add("recursive", &ServeParams::recursive, "Include images in subfolders")
        .add("caption-extension", &ServeParams::caption_extension, "Caption file extension")
        .add("trigger", &ServeParams::trigger, "Trigger tag: pinned first in the editor and in prompts")
        .add("db", &ServeParams::db, "Scores database (default: DATASET/.tagmetry/tagmetry.db)")
        .add("tags-db", &ServeParams::tags_db, "Danbooru tag list for autocomplete (default: the shipped one)")
        .add("model-dir", &ServeParams::model_dir, "Folder of model folders the web app's tag job may use (models by name come from the cache)");
    s.group("Generator")
        .add("generator", &ServeParams::generator,
             "Generator server for the Generate page: URL, or KIND=URL (a1111=http://127.0.0.1:7860, "
             "comfyui=http://127.0.0.1:8188, runpod=https://api.runpod.ai/v2/ENDPOINT)")
        .add("generate-out", &ServeParams::generate_out,
             "Folder for generated images (default: DATASET/.tagmetry/generated)");
    // The connection options are `tagmetry generate`'s own declarations (name, help, choices, environment).
    auto reuse = [&s](const char* name, auto field) {
      const auto& info = generate_options().find(name)->info;
      s.add(info.name, field, info.help, info.choices, info.env);
    };
    reuse("backend", &ServeParams::backend);
    reuse("user", &ServeParams::user);
    reuse("workflow", &ServeParams::workflow);
    reuse("connect-timeout", &ServeParams::connect_timeout);
    reuse("timeout", &ServeParams::timeout);
    return s;
  }()};
  return op;
}

const OptionSet<ServeParams>& serve_options() { return serve_operation().options; }

namespace {

fs::path exe_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

fs::path find_web_root(const ServeParams& params) {
  std::vector<fs::path> candidates;
  if (!params.web_root.empty()) candidates.emplace_back(params.web_root);  // explicit: only this one
  else if (const char* env = std::getenv("TAGMETRY_WEB_DIR"); env && *env) candidates.emplace_back(env);
  fs::path exe = params.web_root.empty() ? exe_dir() : fs::path();
  if (!exe.empty()) {
    candidates.push_back(exe.parent_path() / "share" / "tagmetry" / "web");
    candidates.push_back(exe / "web");
  }
  std::error_code ec;
  for (auto& c : candidates)
    if (fs::exists(c / "index.html", ec)) return c;
  return {};
}

constexpr const char* kNoFrontEnd =
    "<!doctype html><meta charset=utf-8><title>Tagmetry</title><body style='font-family:sans-serif;max-width:40em;"
    "margin:3em auto'><h1>Tagmetry</h1><p>The server is running, but the web front end was not found. Build it "
    "with <code>make build</code> (it needs Node.js and <code>npm ci</code> in <code>web/</code>, which "
    "<code>scripts/install-deps.sh</code> runs), or pass <code>--web-root</code>.</p><p>The JSON API works: "
    "<a href='/api/session'>/api/session</a>.</p>";

void serve_static(Server::State& s, const httplib::Request& req, httplib::Response& res) {
  if (req.path.rfind("/api/", 0) == 0 || req.path == "/api") {
    send_error(res, 404, "not_found", "no API route " + req.method + " " + req.path);
    return;
  }
  if (!safe_url_path(req.path)) {
    send_error(res, 403, "forbidden", "refusing path " + req.path);
    return;
  }
  if (s.web_root.empty()) {
    res.set_content(kNoFrontEnd, "text/html; charset=utf-8");
    return;
  }
  std::string rel = req.path.substr(1);
  fs::path file = rel.empty() ? s.web_root / "index.html" : s.web_root / rel;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) file = s.web_root / "index.html";  // client-side routes
  fs::path web_canonical = fs::weakly_canonical(s.web_root, ec);
  if (!resolves_inside(web_canonical, file)) {
    send_error(res, 403, "forbidden", "refusing path " + req.path);
    return;
  }
  auto bytes = read_file(file);
  if (!bytes.ok()) {
    send_status(res, bytes.status());
    return;
  }
  bool hashed_asset = rel.rfind("assets/", 0) == 0;  // Vite names them by content hash
  res.set_header("Cache-Control", hashed_asset ? "public, max-age=31536000, immutable" : "no-cache");
  res.set_content(std::move(*bytes), content_type_for(file));
}

}  // namespace

// --- State --------------------------------------------------------------------------------------------

void Server::State::refresh_scores() {
  auto view = std::make_shared<ScoresView>();
  std::error_code ec;
  if (fs::exists(db_path, ec)) {
    auto store = Store::open(db_path, /*create=*/false);
    if (store.ok()) {
      auto model = (*store)->latest_model();
      if (model.ok()) view->model = std::move(*model);
      auto images = (*store)->images();
      if (images.ok())
        for (auto& [rel, rec] : *images) view->hash_by_relpath.emplace(rel, rec.sha256);
    }
  }
  std::lock_guard lock(scores_mutex);
  scores = std::move(view);
}

std::shared_ptr<const ScoresView> Server::State::current_scores() {
  std::lock_guard lock(scores_mutex);
  return scores;
}

namespace {
// Runs `load` (returning Result<T>) once; keeps the value in `slot` or the error in `status`.
template <typename T, typename Load>
const T* load_once(std::once_flag& once, std::unique_ptr<T>& slot, Status& status, Load load) {
  std::call_once(once, [&] {
    auto loaded = load();
    if (loaded.ok()) slot = std::make_unique<T>(std::move(*loaded));
    else status = loaded.status();
  });
  return slot.get();
}
}  // namespace

const TagDatabase* Server::State::tag_database() {
  return load_once(tags_once, vocab.tags, vocab.tags_status, [&] {
    return params.tags_db.empty() ? TagDatabase::load_default() : TagDatabase::load(params.tags_db);
  });
}

const JaDictionary* Server::State::ja_dictionary() {
  return load_once(ja_once, vocab.ja, vocab.ja_status, [] { return JaDictionary::load_default(); });
}

const JaToTags* Server::State::ja_to_tags() {
  std::call_once(ja2tags_once, [&] {
    const TagDatabase* db = tag_database();
    const JaDictionary* dict = ja_dictionary();
    if (!db || !dict) {
      vocab.ja2tags_status = !db ? vocab.tags_status : vocab.ja_status;
      return;
    }
    auto j = JaToTags::create(*db, *dict);
    if (j.ok()) vocab.ja2tags = std::move(*j);
    else vocab.ja2tags_status = j.status();
  });
  return vocab.ja2tags.get();
}

std::shared_ptr<const Server::State::LintByImage> Server::State::cached_lint() {
  std::lock_guard lock(lint_cache_mutex);
  return lint_cache;
}

const ClipTokenizer* Server::State::clip_tokenizer() {
  return load_once(clip_once, vocab.clip, vocab.clip_status, [] { return ClipTokenizer::load_default(); });
}

Result<std::shared_ptr<DatasetLock>> Server::State::dataset_lock() {
  std::lock_guard guard(lock_mutex);
  if (auto held = held_lock.lock()) return held;
  TM_ASSIGN_OR_RETURN(std::unique_ptr<DatasetLock> fresh, DatasetLock::acquire(db_path));
  std::shared_ptr<DatasetLock> shared = std::move(fresh);
  held_lock = shared;
  return shared;
}

Result<std::vector<Status>> Server::State::write_captions(
    const std::string& command, const std::function<Result<std::vector<CaptionWrite>>()>& build,
    std::vector<CaptionWrite>* written, int64_t* operation_id) {
  std::vector<Status> results;
  TM_RETURN_IF_ERROR(with_journal([&](CaptionJournal& journal) -> Status {
    TM_ASSIGN_OR_RETURN(std::vector<CaptionWrite> writes, build());
    if (!writes.empty()) {
      journal.begin_operation(command, "tagmetry serve");
      TM_ASSIGN_OR_RETURN(results, journal.apply(writes));
    }
    if (operation_id) *operation_id = journal.operation_id();
    std::vector<std::string> paths;
    for (auto& w : writes) paths.push_back(w.relpath);
    reload_captions(paths);
    if (written) *written = std::move(writes);
    return {};
  }));
  return results;
}

// The one way the server opens the dataset for writing: its shared dataset lock, then
// open_journaled_dataset (database, journal) without a second lock.
Status Server::State::with_journal(const std::function<Status(CaptionJournal&)>& fn) {
  std::lock_guard guard(write_mutex);
  TM_ASSIGN_OR_RETURN(auto lock, dataset_lock());  // the server's own lock, shared with its tag job
  TM_ASSIGN_OR_RETURN(JournaledDataset opened, open_journaled_dataset(root, db_path, /*create=*/true,
                                                                     /*exclusive=*/false, /*lock=*/false));
  return fn(opened.journal());
}

Status Server::State::read_journal(const std::function<Status(const CaptionJournal&)>& fn) {
  std::error_code ec;
  if (!fs::exists(db_path, ec)) return {};
  TM_ASSIGN_OR_RETURN(auto store, Store::open_read_only(db_path));
  TM_ASSIGN_OR_RETURN(CaptionJournal journal, CaptionJournal::open_read_only(*store, root));
  return fn(journal);
}

std::vector<uint32_t> Server::State::reload_captions(const std::vector<std::string>& caption_relpaths) {
  std::vector<uint32_t> ids;
  for (auto& c : caption_relpaths) {
    int64_t id = index->find_caption(c);
    if (id >= 0) {
      ids.push_back(static_cast<uint32_t>(id));
      index->reload(static_cast<size_t>(id));
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

// --- Server -------------------------------------------------------------------------------------------

Result<std::unique_ptr<Server>> Server::create(const fs::path& dataset_dir, const ServeParams& params) {
  std::error_code ec;
  if (!fs::is_directory(dataset_dir, ec)) return not_found(dataset_dir.string() + ": not a folder");
  std::unique_ptr<Server> server(new Server());
  server->state_ = std::make_unique<State>();
  State& s = *server->state_;
  s.params = params;
  s.root = dataset_dir;
  s.root_canonical = fs::canonical(dataset_dir, ec);
  if (ec) return io_error(dataset_dir.string() + ": " + ec.message());
  s.db_path = params.db.empty() ? default_store_path(dataset_dir) : fs::path(params.db);
  s.web_root = find_web_root(params);
  s.token = random_token();
  if (!access_token_valid(params.token))
    return invalid_argument("--token / TAGMETRY_TOKEN: use 8 to 256 letters, digits or - . _ ~ (it goes into a URL and a cookie)");
  TM_RETURN_IF_ERROR(server::configure_generator(s));

  auto t0 = std::chrono::steady_clock::now();
  ScanOptions scan;
  scan.recursive = params.recursive;
  scan.caption_extension = params.caption_extension;
  TM_ASSIGN_OR_RETURN(s.index, DatasetIndex::load(dataset_dir, scan));
  s.index_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.refresh_scores();

  httplib::Server& http = s.http;
  http.new_task_queue = [n = std::max(2, params.threads)] { return new httplib::ThreadPool(static_cast<size_t>(n)); };
  http.set_payload_max_length(8u << 20);
  http.set_keep_alive_max_count(1000);
  // httplib serves one connection per worker thread; idle keep-alive connections of closed tabs would
  // hold workers for the default 5 s.
  http.set_keep_alive_timeout(2);
  // A connection that sends part of a request and then stalls is dropped after 3 s (default 5 s).
  http.set_read_timeout(3, 0);
  http.set_tcp_nodelay(true);  // small JSON replies: no Nagle delay
  http.set_pre_routing_handler([&s](const httplib::Request& req, httplib::Response& res) {
    // Debian's cpp-httplib compresses text and JSON with Brotli at its slowest setting whenever the client
    // accepts it (every browser does): 300+ ms for a 200-item page. On a local connection compression
    // costs more than it saves, so the server never compresses. (The request object is not const; the
    // handler just receives it as const.)
    const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "no-referrer");
    // Other sites cannot embed the dataset's images and thumbnails (no-cors loads).
    res.set_header("Cross-Origin-Resource-Policy", "same-origin");
    const std::string& host_header = req.get_header_value("Host");
    if (!host_allowed(host_header, s.params.host, s.port) && !host_listed(host_header, s.params.allowed_hosts)) {
      send_error(res, 403, "host", "unexpected Host header '" + req.get_header_value("Host") +
                                       "' (open the app at " + std::string("http://127.0.0.1:") +
                                       std::to_string(s.port) + "/)");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!s.params.token.empty()) {
      AccessCheck access = check_access_token(req, s.params.token);
      if (access == AccessCheck::kMissing) {
        send_error(res, 401, "token",
                   "this server needs its access token: open /?token=TOKEN once, or send Authorization: Bearer TOKEN "
                   "(the TOKEN given to serve with --token or TAGMETRY_TOKEN)");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (access == AccessCheck::kFromQuery)
        res.set_header("Set-Cookie", std::string(kAccessCookie) + "=" + s.params.token + "; Path=/; HttpOnly; SameSite=Strict");
    }
    bool changes_state = req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS";
    if (changes_state && req.get_header_value("X-Tagmetry-Token") != s.token) {
      send_error(res, 403, "csrf", "missing or wrong X-Tagmetry-Token header (get it from GET /api/session)");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method == "OPTIONS") {
      send_error(res, 403, "forbidden", "cross-origin requests are not allowed");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unexpected error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const json::exception& e) {
      // A JSON value of the wrong type or range in the request ({"text": 5}, an id of -1): the client's
      // mistake, whichever route read it.
      std::string message = e.what();
      if (auto p = message.find("] "); p != std::string::npos) message = message.substr(p + 2);
      return send_error(res, 400, "bad_request", "wrong JSON type in the request: " + message);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send_error(res, 500, "internal", what);
  });
  // Answers httplib makes itself (413 for a body over the limit, 400 for a request it cannot read) carry
  // the same JSON error body as the routes' own.
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413)
      return send_error(res, 413, "too_large", "request body over the 8 MiB limit");
    if (res.status == 400 && req.method == "POST" && !req.has_header("Content-Length"))
      return send_error(res, 400, "bad_request",
                        "a POST needs a Content-Length header (with curl, add -d '' to a POST without a body)");
    if (res.status >= 400)
      send_error(res, res.status, res.status == 404 ? "not_found" : "bad_request",
                 "HTTP " + std::to_string(res.status) + " for " + req.method + " " + req.path);
  });

  http.Get("/api/session", [&s](const httplib::Request&, httplib::Response& res) {
    auto scores = s.current_scores();
    json j{{"token", s.token},
           {"root", s.root_canonical.string()},
           {"name", s.root_canonical.filename().string()},
           {"images", s.index->images()},
           {"captions", s.index->captions()},
           {"caption_extension", s.params.caption_extension},
           {"separator", ", "},
           {"trigger", s.params.trigger},
           {"model_dir", s.params.model_dir},
           {"generation", s.index->generation()},
           {"has_scores", scores && scores->model.has_value()},
           {"version", TAGMETRY_VERSION}};
    send_json(res, j);
  });
  register_gallery_routes(s);
  register_edit_routes(s);
  register_tag_routes(s);
  register_analysis_routes(s);
  register_bucket_routes(s);
  register_job_routes(s);
  register_review_routes(s);
  register_generate_routes(s);
  register_duplicate_routes(s);
  http.Get(".*", [&s](const httplib::Request& req, httplib::Response& res) { serve_static(s, req, res); });
  auto not_allowed = [](const httplib::Request& req, httplib::Response& res) {
    send_error(res, 404, "not_found", "no API route " + req.method + " " + req.path);
  };
  http.Post(".*", not_allowed);
  http.Put(".*", not_allowed);
  http.Delete(".*", not_allowed);
  return server;
}

Server::~Server() {
  if (state_) stop();
  if (state_ && state_->poller.joinable()) state_->poller.join();
  if (state_ && state_->warmer.joinable()) state_->warmer.join();
}

Status Server::bind() {
  State& s = *state_;
  if (s.params.port == 0) {
    int port = s.http.bind_to_any_port(s.params.host);
    if (port <= 0) return io_error("cannot listen on " + s.params.host + " (any port)");
    s.port = port;
  } else {
    if (!s.http.bind_to_port(s.params.host, s.params.port))
      return io_error("cannot listen on " + s.params.host + ":" + std::to_string(s.params.port) +
                      " (in use? try --port 0 or another port)");
    s.port = s.params.port;
  }
  return {};
}

Status Server::run() {
  State& s = *state_;
  s.run_started = true;
  struct Finished {
    State& s;
    ~Finished() { s.run_finished = true; }
  } finished{s};
  if (s.stopping) return {};
  if (s.params.poll_seconds > 0 && !s.poller.joinable()) {
    s.poller = std::thread([&s] {
      std::unique_lock lock(s.poll_mutex);
      while (!s.stopping) {
        s.poll_cv.wait_for(lock, std::chrono::seconds(s.params.poll_seconds));
        if (s.stopping) break;
        lock.unlock();
        s.index->poll();
        s.index->sync_images(s.params.rescan_seconds);
        lock.lock();
      }
    });
  }
  // Load the vocabulary (tag list, Japanese dictionary, tokenizer) in the background, so the first
  // sidebar, autocomplete and preview requests do not wait for it.
  if (!s.warmer.joinable())
    s.warmer = std::thread([&s] {
      s.tag_database();
      if (!s.stopping) s.ja_dictionary();
      if (!s.stopping) s.clip_tokenizer();
    });
  if (s.params.open) {
    std::string cmd = "xdg-open '" + url() + "' >/dev/null 2>&1 &";
    if (std::system(cmd.c_str()) != 0) { /* no browser: the URL is printed anyway */ }
  }
  if (!s.http.listen_after_bind() && !s.stopping) return io_error("the HTTP server stopped unexpectedly");
  return {};
}

void Server::stop() {
  State& s = *state_;
  bool was = s.stopping.exchange(true);
  {
    // Under the poller's mutex, so a poller between its check of `stopping` and its wait is not missed.
    std::lock_guard lock(s.poll_mutex);
  }
  s.poll_cv.notify_all();
  s.jobs.shutdown();
  s.generate_jobs.shutdown();
  // run() checks `stopping` before it listens; once it got past that check, wait for the listener to be up
  // (httplib's stop() does nothing before), then stop it.
  if (s.run_started)
    while (!s.http.is_running() && !s.run_finished) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!was || s.http.is_running()) s.http.stop();
}

int Server::port() const { return state_->port; }
std::string Server::url() const {
  std::string host = state_->params.host;
  if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(state_->port) + "/";
}
const std::string& Server::token() const { return state_->token; }
size_t Server::images() const { return state_->index->images(); }
double Server::index_seconds() const { return state_->index_seconds; }
const fs::path& Server::web_root() const { return state_->web_root; }

}  // namespace tagmetry
