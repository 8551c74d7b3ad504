#pragma once
// Private to the server: what every route shares (Server::State), and the route registration functions
// (one file per group of routes).

#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "dataset_index.h"
#include "tag_job.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/generate.h"
#include "tagmetry/server.h"
#include "tagmetry/store.h"

namespace tagmetry {
class TagDatabase;
class JaDictionary;
class JaToTags;
class ClipTokenizer;
}  // namespace tagmetry

namespace tagmetry::server {

// The model scores the editor shows: the newest model of the database and each image's content hash.
struct ScoresView {
  std::optional<ModelRecord> model;
  std::unordered_map<std::string, std::string> hash_by_relpath;
};

// Lazily loaded vocabulary: the Danbooru tag list, the Japanese dictionary, ja2tags, the CLIP tokenizer.
struct Vocabulary {
  std::unique_ptr<TagDatabase> tags;
  std::unique_ptr<JaDictionary> ja;
  std::unique_ptr<JaToTags> ja2tags;
  std::unique_ptr<ClipTokenizer> clip;
  Status tags_status, ja_status, ja2tags_status, clip_status;
};

}  // namespace tagmetry::server

namespace tagmetry {

struct Server::State {
  ServeParams params;
  std::filesystem::path root;            // as given
  std::filesystem::path root_canonical;  // symlinks resolved
  std::filesystem::path db_path;
  std::filesystem::path web_root;
  std::string token;
  double index_seconds = 0;
  int port = 0;

  std::unique_ptr<server::DatasetIndex> index;
  httplib::Server http;

  std::atomic<bool> stopping{false};
  // run() has begun / returned: stop() waits for the listener to be up before stopping it, so a stop
  // that comes while run() is still starting cannot be lost (the server would then listen for ever).
  std::atomic<bool> run_started{false}, run_finished{false};
  std::thread poller;
  std::thread warmer;  // loads the vocabulary after start
  std::mutex poll_mutex;
  std::condition_variable poll_cv;

  // Scores (read side), refreshed after tag jobs.
  std::mutex scores_mutex;
  std::shared_ptr<const server::ScoresView> scores;
  // Replaces `scores` from the database (no database: an empty view).
  void refresh_scores();
  std::shared_ptr<const server::ScoresView> current_scores();

  // Vocabulary, loaded on first use.
  std::once_flag tags_once, ja_once, ja2tags_once, clip_once;
  server::Vocabulary vocab;
  const TagDatabase* tag_database();  // nullptr when it could not be loaded (vocab.tags_status says why)
  const JaDictionary* ja_dictionary();
  const JaToTags* ja_to_tags();
  const ClipTokenizer* clip_tokenizer();

  // Caption writes: takes the dataset lock, opens the database and journal, applies `writes` as one
  // operation named `command`, then reloads the images concerned into the index. Returns per-write
  // statuses. Serialised (one writer at a time in this process).
  // `build` runs under those locks and returns the writes (it re-reads files to check versions, so a
  // check and its write cannot interleave with another writer of this process).
  // The dataset lock is taken once for the whole process and shared: the tag job holds it for its run,
  // and the editor's writes, undo and redo share it (in-process writers are serialised by write_mutex;
  // the job takes write_mutex around each batch), so they never refuse the server's own job.
  std::mutex write_mutex;
  std::mutex lock_mutex;
  std::weak_ptr<DatasetLock> held_lock;
  // The shared dataset lock: the one this process holds, or a fresh one. Errors when another process
  // holds it.
  Result<std::shared_ptr<DatasetLock>> dataset_lock();
  Result<std::vector<Status>> write_captions(const std::string& command,
                                             const std::function<Result<std::vector<CaptionWrite>>()>& build,
                                             std::vector<CaptionWrite>* written, int64_t* operation_id);
  // Runs fn(journal) under the dataset lock (undo, redo).
  Status with_journal(const std::function<Status(CaptionJournal&)>& fn);
  // Runs fn(journal) on a read-only journal, without the dataset lock (history): works while the tag job
  // or another run writes. fn is not called when there is no database yet.
  Status read_journal(const std::function<Status(const CaptionJournal&)>& fn);
  // Reloads the index entries of these caption relpaths; returns their image ids (dataset order).
  std::vector<uint32_t> reload_captions(const std::vector<std::string>& caption_relpaths);

  server::TagJobs jobs;

  // The generator of the Generate page (--generator): connection settings, or nullopt when none was given;
  // the folder its images are saved in; its jobs (one generation at a time, besides the tag job).
  std::optional<GenerateParams> generator;
  std::filesystem::path generate_out;
  server::TagJobs generate_jobs;
};

}  // namespace tagmetry

namespace tagmetry::server {

using State = Server::State;

void register_gallery_routes(State& s);   // routes_gallery.cpp: images, image, file, thumb, derive
void register_edit_routes(State& s);      // routes_edit.cpp: caption PUT, batch, history, undo, redo, changes
void register_tag_routes(State& s);       // routes_tags.cpp: tags, vocab
void register_analysis_routes(State& s);  // routes_analysis.cpp: stats, lint, preview, ja2tags, complete
void register_bucket_routes(State& s);    // routes_buckets.cpp: kohya buckets
void register_job_routes(State& s);       // routes_jobs.cpp: models, tag jobs, SSE
void register_review_routes(State& s);    // routes_review.cpp: review queue, decisions, provenance, thresholds
void register_generate_routes(State& s);  // routes_generate.cpp: prompt, generator, generation jobs
// Reads --generator / --backend / --user … into s.generator and s.generate_out (nothing is contacted);
// errors (kInvalidArgument) say what is wrong with the option.
Status configure_generator(State& s);
// Streams a job's events as Server-Sent Events (routes_jobs.cpp; the tag and generation jobs).
void stream_job_events(State& s, std::shared_ptr<Job> job, httplib::Response& res);

// Looks up the image of an /api/image/ID/... route; sends 404 (saying when the image was removed from the
// folder) and returns false when there is none.
bool image_of(State& s, const httplib::Request& req, httplib::Response& res, size_t& id, IndexedImage& img);

// Parses the filter query parameters (all, any, none, text, captioned) of a request.
TagFilter filter_from_query(const httplib::Request& req);
// Parses a filter object {"all": [...], ...} from a JSON body.
Result<TagFilter> filter_from_json(const nlohmann::json& j);

}  // namespace tagmetry::server
