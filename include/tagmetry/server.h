#pragma once
// `tagmetry serve`: the local web app's HTTP server (docs/serve.md, API in docs/serve-api.md). A JSON API
// over the library (gallery, caption editing through the journal, batch edits, undo/redo, tag counts and
// filters, stats and lint, kohya preview, Japanese → tags, a tag job with live progress) plus the built
// front end (web/).
//
// Safety: binds 127.0.0.1 by default; serves dataset files by image id only (symlinks leading out of
// the dataset are refused) and front-end files from the front-end folder only; checks the Host header
// (DNS rebinding); every POST/PUT/DELETE needs the per-run token from GET /api/session (CSRF); body size
// limits; every caption write is atomic and journaled. With an access token (ServeParams::token, for a
// server reachable by others: containers, rented GPUs) every request must also carry that token.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tagmetry/operation.h"
#include "tagmetry/status.h"

namespace tagmetry {

struct ServeParams {
  std::string host = "127.0.0.1";
  std::string allowed_hosts;       // more Host header names, comma-separated: "name" (any port) or "name:port"
  std::string token;               // access token every request must carry; empty = none (docs/serve.md)
  int port = 7860;                 // 0 = any free port
  bool open = false;               // open the default browser on start
  std::string web_root;            // built front end; empty = <exe>/../share/tagmetry/web, then $TAGMETRY_WEB_DIR
  bool recursive = false;
  std::string caption_extension = ".txt";
  std::string trigger;             // the trigger tag the editor pins first and prompts start with
  std::string db;                  // scores database; empty = DATASET/.tagmetry/tagmetry.db
  std::string tags_db;             // Danbooru tag list for autocomplete; empty = the shipped one
  std::string model_dir;           // the tag job may use model folders inside it (besides the model caches)
  int threads = 128;               // HTTP worker threads (one per open connection: a browser keeps ~6 per tab;
                                   // idle or stalled connections hold one each until they time out)
  int poll_seconds = 2;            // how often caption files are checked for changes made elsewhere
  int rescan_seconds = 10;         // at most how often the folder is listed again (added / removed images)
  // The generator the Generate page drives (fixed at start: the browser never names another address).
  std::string generator;           // URL, or KIND=URL (a1111=…, comfyui=…, runpod=…); "" = none
  std::string backend = "a1111";   // its kind when `generator` is a bare URL (generate's --backend)
  std::string user;                // NAME:PASS basic auth (generate's --user, $TAGMETRY_GENERATOR_AUTH)
  std::string workflow;            // ComfyUI / RunPod workflow file (generate's --workflow)
  int connect_timeout = 10;        // seconds (generate's --connect-timeout)
  int timeout = 900;               // seconds for one batch (generate's --timeout)
  std::string generate_out;        // where generated images go; "" = DATASET/.tagmetry/generated
};

// The declaration of every `serve` option.
// The operation's declaration (name, summary, options; include/tagmetry/operation.h).
const Operation<ServeParams>& serve_operation();
const OptionSet<ServeParams>& serve_options();

// The `tag` options (kebab-case names) a web page may set for the server's tag job (POST /api/jobs/tag):
// the model, how to run it, what to do with existing captions, and tag selection. The rest (output files,
// shards, databases, devices, the dataset's own settings) stays the server's. web/src/api.ts names the
// same list (TagJobParams; tests/server/api_types_test.cpp compares them).
const std::vector<std::string>& tag_job_option_names();

class Server {
 public:
  // Scans `dataset_dir` and reads every caption (the in-memory index the API answers from), opens the
  // scores database and the tag vocabulary. Errors: not a folder (kNotFound), an unreadable database.
  static Result<std::unique_ptr<Server>> create(const std::filesystem::path& dataset_dir, const ServeParams& params);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds host:port (port 0: a free port). Errors (kIo) name the address when it is taken.
  Status bind();
  // Serves until stop() is called (from another thread or a signal handler thread). Call after bind().
  Status run();
  // Stops run(); safe from any thread, idempotent. Running tag jobs are cancelled.
  void stop();

  int port() const;
  // "http://127.0.0.1:PORT/"
  std::string url() const;
  // The CSRF token of this run (tests; the web app gets it from /api/session).
  const std::string& token() const;
  // Images in the index and seconds it took to build (for the startup line and benchmarks).
  size_t images() const;
  double index_seconds() const;
  // The front-end folder in use, or empty when none was found (the API still works; / says how to build it).
  const std::filesystem::path& web_root() const;

  struct State;  // private
 private:
  Server() = default;
  std::unique_ptr<State> state_;
};

}  // namespace tagmetry
