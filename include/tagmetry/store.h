#pragma once
// The scores database of a dataset, DATASET/.tagmetry/tagmetry.db (SQLite, WAL): which images exist
// (relative path, content hash, size, mtime), which models ran (model and labels file hashes, the label
// list itself so captions can be re-derived without the model files), every model output per image
// (keyed by content hash, so a renamed or moved image keeps its scores) and the journal of caption writes
// (see caption_journal.h). The schema is versioned (PRAGMA user_version) and migrated on open.
//
// Scores are stored as 16-bit fixed point: q = round(p * 65535), read back as q / 65535 (absolute error
// <= 7.7e-6, 2 bytes per label). `tag` selects tags from the same quantized values it stores, so `retag`
// with the same options derives byte-identical captions.
//
// A Store is one SQLite connection: use it from one thread at a time.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tagmetry/defaults.h"
#include "tagmetry/labels.h"
#include "tagmetry/status.h"

namespace tagmetry {

namespace sql {
class Db;
}

// The schema version this build writes. Older databases are migrated on open; newer ones are refused.
inline constexpr int kStoreSchemaVersion = 4;

// DATASET/.tagmetry/tagmetry.db
std::filesystem::path default_store_path(const std::filesystem::path& dataset_dir);

// The database file of shard `index` of `count`: DATASET/.tagmetry/tagmetry.shard-<index>-of-<count>.db
std::filesystem::path shard_store_path(const std::filesystem::path& dataset_dir, int index, int count);

// Scores codec: one uint16 per label (little endian). Values outside [0, 1] are clamped.
std::string encode_scores(const std::vector<float>& probabilities);
// Returns the probabilities, or an empty vector when `blob` does not hold `count` values.
std::vector<float> decode_scores(std::string_view blob, size_t count);
// The value a probability reads back as after a round trip through the database.
float quantize_score(float probability);

struct ModelRecord {
  int64_t id = 0;
  std::string name;            // registry name, or the model folder's name for --model-dir
  std::string path;            // model file it was last loaded from (may since be deleted)
  std::string sha256;          // of the model file
  std::string labels_sha256;   // of the labels file
  std::string type;            // "wd" or "joytag"
  LabelSet labels;             // label list (retag needs no labels file)
  double default_general_threshold = kDefaultGeneralThreshold;
  double default_character_threshold = kDefaultCharacterThreshold;
  int64_t last_used = 0;       // unix seconds
};

struct ImageRecord {
  std::string relpath;   // relative to the dataset root, '/' separators
  std::string sha256;    // of the file bytes
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int width = 0, height = 0;  // after EXIF orientation; 0 when never decoded
};

class Store {
 public:
  // Opens the database at `path`, creating it (and its folder) when `create`; enables WAL, migrates an
  // older schema. `exclusive` keeps the file locked for this connection only (no shared-memory file:
  // safer on network filesystems, used for shard databases). Errors: kNotFound (no database and not
  // `create`), kCorrupt (not a database / damaged), kBusy (locked by another process), kIo (read-only), kUnsupported
  // (written by a newer Tagmetry).
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& path, bool create = true,
                                             bool exclusive = false);
  // Opens an existing database for reading only: no migration, no lock, no write (undo --list on a
  // read-only folder or while another run writes). Errors: kNotFound, kCorrupt, kUnsupported (older or
  // newer schema than this build reads without migrating).
  static Result<std::unique_ptr<Store>> open_read_only(const std::filesystem::path& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& path() const;
  // Schema version found on open (before migration); kStoreSchemaVersion for a new database.
  int opened_version() const { return opened_version_; }

  // Transactions group writes (one per batch keeps tagging fast and crash-safe). Not nestable.
  Status begin();
  Status commit();
  Status rollback();

  // --- models ---
  // Inserts the model (or finds it by model+labels hash), updates name/path/last_used, sets m.id.
  Status put_model(ModelRecord& m);
  // The most recently used model whose name, model sha256 (or a prefix of >= 8 digits) matches `key`.
  Result<std::optional<ModelRecord>> find_model(std::string_view key) const;
  // The most recently used model, or nullopt for a database that has none.
  Result<std::optional<ModelRecord>> latest_model() const;
  Result<std::vector<ModelRecord>> models() const;  // without labels, newest first
  // A previously computed file hash for (path, size, mtime), so model files are hashed once.
  Result<std::optional<std::string>> cached_file_hash(const std::string& path, int64_t size, int64_t mtime_ns) const;
  Status remember_file_hash(const std::string& path, int64_t size, int64_t mtime_ns, const std::string& sha256);

  // --- images ---
  Result<std::unordered_map<std::string, ImageRecord>> images() const;  // by relpath
  Status put_image(const ImageRecord& image);
  // Width and height last seen for a content hash (any path), or 0x0.
  Result<std::pair<int, int>> size_of(const std::string& sha256) const;

  // --- scores ---
  // Content hashes that have scores for `model_id`.
  Result<std::unordered_set<std::string>> hashes_with_scores(int64_t model_id) const;
  Status put_scores(const std::string& sha256, int64_t model_id, const std::vector<float>& probabilities);
  // Scores of one image (dequantized), or an empty vector when there are none.
  Result<std::vector<float>> get_scores(const std::string& sha256, int64_t model_id, size_t count) const;
  // Calls `fn(sha256, blob)` for every stored score row of the model (blob: 2 bytes per label, see
  // decode_scores; valid during the call). Stops with fn's error, if any.
  Status for_each_scores(int64_t model_id, const std::function<Status(std::string_view, std::string_view)>& fn) const;
  // Raw score blobs of a model: sha256 → blob (tests and merge checks).
  Result<std::unordered_map<std::string, std::string>> score_blobs(int64_t model_id) const;

  // Copies images, models, scores and journal of the database at `other` into this one. Models are
  // matched by their hashes; scores already present are kept; journal operations are appended.
  Status merge_from(const std::filesystem::path& other);

  // For the journal (caption_journal.cpp). Not part of the stable API.
  sql::Db& db() const { return *db_; }

 private:
  Store() = default;
  Status migrate();

  std::unique_ptr<sql::Db> db_;
  int opened_version_ = 0;
};

// Content hash helpers shared by tag, retag and shards.

// The shard (0..count-1) an image with this content hash belongs to: the first 8 hex digits as a
// number, modulo count. Deterministic across machines and runs.
int shard_of(std::string_view sha256, int count);

// Parses "i/N" (0 <= i < N). Errors name the expected form.
Result<std::pair<int, int>> parse_shard(std::string_view text);

// File size and modification time (ns since epoch), for the hash cache.
Result<std::pair<int64_t, int64_t>> file_stamp(const std::filesystem::path& path);

// Returns the content hash of `path`: the stored one when the images table has the same relpath, size
// and mtime (the file is not read), else the SHA-256 of its bytes. `record` (when given) receives the
// up-to-date row to store.
Result<std::string> content_hash(const std::filesystem::path& path, const std::string& relpath,
                                 const std::unordered_map<std::string, ImageRecord>& known, ImageRecord* record);

}  // namespace tagmetry
