// Opening the scores database: WAL, busy timeout, schema version checks and migrations.

#include <cerrno>
#include <cmath>
#include <cstring>

#include "sqlite_db.h"
#include "tagmetry/sha256.h"
#include "tagmetry/files.h"
#include "tagmetry/store.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

// Schema history. Index i migrates version i to i+1; never edit a shipped step, append a new one.
// Version 1 was the first layout (DESIGN.md "Storage"); version 2 added the hash cache columns, stored
// labels, operations and the two-phase journal state; version 3 an index of pending journal rows.
const char* const kMigrations[] = {
    // 0 → 1
    R"sql(
CREATE TABLE images(relpath TEXT PRIMARY KEY, sha256 TEXT NOT NULL, width INTEGER, height INTEGER, mtime INTEGER);
CREATE TABLE models(id INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, labels_sha256 TEXT NOT NULL,
                    UNIQUE(sha256, labels_sha256));
CREATE TABLE scores(sha256 TEXT NOT NULL, model_id INTEGER NOT NULL, blob BLOB NOT NULL, created INTEGER NOT NULL,
                    PRIMARY KEY(sha256, model_id)) WITHOUT ROWID;
CREATE TABLE journal(id INTEGER PRIMARY KEY, time INTEGER NOT NULL, relpath TEXT NOT NULL, before TEXT, after TEXT,
                     source TEXT NOT NULL);
)sql",
    // 1 → 2
    R"sql(
ALTER TABLE images ADD COLUMN size INTEGER NOT NULL DEFAULT -1;
ALTER TABLE images ADD COLUMN mtime_ns INTEGER NOT NULL DEFAULT -1;
CREATE INDEX images_sha256 ON images(sha256);
ALTER TABLE models ADD COLUMN path TEXT NOT NULL DEFAULT '';
ALTER TABLE models ADD COLUMN type TEXT NOT NULL DEFAULT 'wd';
ALTER TABLE models ADD COLUMN labels TEXT;
ALTER TABLE models ADD COLUMN general_threshold REAL NOT NULL DEFAULT 0.35;
ALTER TABLE models ADD COLUMN character_threshold REAL NOT NULL DEFAULT 0.85;
ALTER TABLE models ADD COLUMN last_used INTEGER NOT NULL DEFAULT 0;
CREATE TABLE file_hashes(path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL);
CREATE TABLE operations(id INTEGER PRIMARY KEY, time INTEGER NOT NULL, command TEXT NOT NULL,
                        args TEXT NOT NULL DEFAULT '', undoes INTEGER, undone_by INTEGER);
ALTER TABLE journal ADD COLUMN operation_id INTEGER;
ALTER TABLE journal ADD COLUMN state TEXT NOT NULL DEFAULT 'done';
ALTER TABLE journal ADD COLUMN base TEXT;
INSERT INTO operations(time, command, args)
  SELECT MIN(time), source, '(journal from schema version 1)' FROM journal GROUP BY source;
UPDATE journal SET operation_id = (SELECT id FROM operations o WHERE o.command = journal.source
                                    AND o.args = '(journal from schema version 1)');
CREATE INDEX journal_relpath ON journal(relpath, id);
CREATE INDEX journal_operation ON journal(operation_id, id);
)sql",
    // 2 → 3: opening the journal looks for pending rows; without an index that scanned the whole journal
    // (it grows by a row per caption write).
    R"sql(
CREATE INDEX journal_pending ON journal(id) WHERE state = 'pending';
)sql",
    // 3 → 4: `undo --prune` drops old operations' history; an operation whose rows are partly kept (the
    // last write of a caption, which retag needs) is marked so undo and redo stop there.
    R"sql(
ALTER TABLE operations ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;
)sql",
};
static_assert(std::size(kMigrations) == kStoreSchemaVersion);
// Migration 1 → 2 wrote the default thresholds as column defaults; a migration is history and stays as it
// ran, so a new default in tagmetry/defaults.h needs a new migration, not an edit of this text.
static_assert(kDefaultGeneralThreshold == 0.35 && kDefaultCharacterThreshold == 0.85,
              "the models table's column defaults (migration 1 → 2) are these values");

int busy_timeout_ms() {
  if (const char* v = std::getenv("TAGMETRY_DB_TIMEOUT_MS")) return std::atoi(v);
  return 3000;
}

}  // namespace

fs::path default_store_path(const fs::path& dataset_dir) { return dataset_dir / ".tagmetry" / "tagmetry.db"; }

fs::path shard_store_path(const fs::path& dataset_dir, int index, int count) {
  return dataset_dir / ".tagmetry" / ("tagmetry.shard-" + std::to_string(index) + "-of-" + std::to_string(count) + ".db");
}

std::string encode_scores(const std::vector<float>& p) {
  std::string blob(p.size() * 2, '\0');
  for (size_t i = 0; i < p.size(); ++i) {
    float v = std::isnan(p[i]) ? 0.f : std::min(1.f, std::max(0.f, p[i]));
    auto q = static_cast<uint16_t>(std::lround(v * 65535.0f));
    blob[2 * i] = static_cast<char>(q & 0xff);
    blob[2 * i + 1] = static_cast<char>(q >> 8);
  }
  return blob;
}

std::vector<float> decode_scores(std::string_view blob, size_t count) {
  if (blob.size() != count * 2) return {};
  std::vector<float> p(count);
  auto* b = reinterpret_cast<const uint8_t*>(blob.data());
  for (size_t i = 0; i < count; ++i) p[i] = static_cast<float>(b[2 * i] | (b[2 * i + 1] << 8)) / 65535.0f;
  return p;
}

float quantize_score(float probability) {
  std::vector<float> one{probability};
  return decode_scores(encode_scores(one), 1)[0];
}

Store::~Store() = default;

const fs::path& Store::path() const { return db_->path(); }

Result<std::unique_ptr<Store>> Store::open(const fs::path& path, bool create, bool exclusive) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (!create) return not_found(path.string() + ": no Tagmetry database here (run `tagmetry tag` first)");
    if (!path.parent_path().empty()) fs::create_directories(path.parent_path(), ec);  // "out.db": here
    if (ec) return io_error(path.parent_path().string() + ": cannot create folder (" + ec.message() + ")");
  }
  std::unique_ptr<Store> store(new Store());
  store->db_ = std::make_unique<sql::Db>();
  TM_RETURN_IF_ERROR(store->db_->open(path, create));
  sqlite3_busy_timeout(store->db_->handle(), busy_timeout_ms());
  if (exclusive) TM_RETURN_IF_ERROR(store->db_->exec("PRAGMA locking_mode=EXCLUSIVE"));
  // The first statements read the header: a file that is not a database fails here.
  TM_ASSIGN_OR_RETURN(sql::Stmt mode, store->db_->prepare("PRAGMA journal_mode=WAL"));
  Status s;
  if (!mode.step(&s) && !s.ok()) return s;
  mode = sql::Stmt();
  TM_RETURN_IF_ERROR(store->db_->exec("PRAGMA synchronous=NORMAL"));
  TM_RETURN_IF_ERROR(store->migrate());
  return store;
}

Result<std::unique_ptr<Store>> Store::open_read_only(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return not_found(path.string() + ": no Tagmetry database here (run `tagmetry tag` first)");
  Status last;
  for (bool immutable : {false, true}) {  // immutable: the folder is read-only, so SQLite cannot make its WAL index
    std::unique_ptr<Store> store(new Store());
    store->db_ = std::make_unique<sql::Db>();
    last = store->db_->open_read_only(path, immutable);
    if (!last.ok()) continue;
    sqlite3_busy_timeout(store->db_->handle(), busy_timeout_ms());
    auto v = store->db_->prepare("PRAGMA user_version");
    if (!v.ok()) {
      last = v.status();
      continue;
    }
    Status s;
    int version = v->step(&s) ? static_cast<int>(v->int64(0)) : 0;
    if (!s.ok()) {
      last = s;
      continue;
    }
    if (version != kStoreSchemaVersion)
      return unsupported(path.string() + ": schema version " + std::to_string(version) + ", this build reads " +
                         std::to_string(kStoreSchemaVersion) + " (run a writing command such as `tagmetry retag` once to migrate it)");
    store->opened_version_ = version;
    return store;
  }
  return last;
}

Status Store::migrate() {
  TM_ASSIGN_OR_RETURN(sql::Stmt v, db_->prepare("PRAGMA user_version"));
  Status s;
  int version = v.step(&s) ? static_cast<int>(v.int64(0)) : 0;
  TM_RETURN_IF_ERROR(s);
  opened_version_ = version;
  if (version > kStoreSchemaVersion)
    return unsupported(db_->path().string() + ": written by a newer Tagmetry (schema version " + std::to_string(version) +
                       ", this build knows up to " + std::to_string(kStoreSchemaVersion) + "); upgrade Tagmetry");
  if (version == kStoreSchemaVersion) return {};
  if (version == 0) {
    TM_ASSIGN_OR_RETURN(sql::Stmt t, db_->prepare("SELECT count(*) FROM sqlite_master"));
    if (t.step(&s) && t.int64(0) > 0)
      return corrupt(db_->path().string() + ": an SQLite database, but not a Tagmetry one (no schema version)");
    TM_RETURN_IF_ERROR(s);
    opened_version_ = kStoreSchemaVersion;
  }
  sql::Transaction tx(*db_);
  TM_RETURN_IF_ERROR(tx.begin());
  for (int i = version; i < kStoreSchemaVersion; ++i) {
    Status m = db_->exec(kMigrations[i]);
    if (!m.ok())
      return m.with_context("migrating schema version " + std::to_string(i) + " to " + std::to_string(i + 1));
  }
  TM_RETURN_IF_ERROR(db_->exec("PRAGMA user_version=" + std::to_string(kStoreSchemaVersion)));
  return tx.commit();
}

Status Store::begin() { return db_->exec("BEGIN IMMEDIATE"); }
Status Store::commit() { return db_->exec("COMMIT"); }
Status Store::rollback() { return db_->exec("ROLLBACK"); }

int shard_of(std::string_view sha256, int count) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < sha256.size(); ++i) {
    char c = sha256[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  return count <= 1 ? 0 : static_cast<int>(v % static_cast<uint64_t>(count));
}

Result<std::pair<int, int>> parse_shard(std::string_view text) {
  auto bad = [&] {
    return invalid_argument("--shard '" + std::string(text) + "': expected i/N with 0 <= i < N (e.g. 0/4 … 3/4)");
  };
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return bad();
  std::string a(text.substr(0, slash)), b(text.substr(slash + 1));
  if (a.empty() || b.empty() || a.find_first_not_of("0123456789") != std::string::npos ||
      b.find_first_not_of("0123456789") != std::string::npos || a.size() > 6 || b.size() > 6)
    return bad();
  int i = std::stoi(a), n = std::stoi(b);
  if (n < 1 || i >= n) return bad();
  return std::make_pair(i, n);
}

Result<std::pair<int64_t, int64_t>> file_stamp(const fs::path& path) {
  auto stamp = stat_file_stamp(path);
  if (!stamp) return io_error(path.string() + ": " + std::strerror(errno));
  return std::make_pair(stamp->size, stamp->mtime_ns);
}

Result<std::string> content_hash(const fs::path& path, const std::string& relpath,
                                 const std::unordered_map<std::string, ImageRecord>& known, ImageRecord* record) {
  TM_ASSIGN_OR_RETURN(auto stamp, file_stamp(path));
  auto it = known.find(relpath);
  std::string sha;
  if (it != known.end() && it->second.size == stamp.first && it->second.mtime_ns == stamp.second &&
      !it->second.sha256.empty()) {
    sha = it->second.sha256;
  } else {
    TM_ASSIGN_OR_RETURN(sha, sha256_file(path));
  }
  if (record) {
    if (it != known.end()) *record = it->second;
    record->relpath = relpath;
    if (record->sha256 != sha) record->width = record->height = 0;
    record->sha256 = sha;
    record->size = stamp.first;
    record->mtime_ns = stamp.second;
  }
  return sha;
}

}  // namespace tagmetry
