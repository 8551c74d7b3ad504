// Models, images and scores tables; merging shard databases.
#include <chrono>

#include "sqlite_db.h"
#include "tagmetry/store.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Labels as text: one "category<TAB>name" line per label, in output order.
std::string encode_labels(const LabelSet& labels) {
  std::string s = labels.format + "\n";
  for (auto& l : labels.labels) s += std::to_string(static_cast<int>(l.category)) + "\t" + l.name + "\n";
  return s;
}

LabelSet decode_labels(std::string_view text) {
  LabelSet set;
  size_t pos = text.find('\n');
  if (pos == std::string_view::npos) return set;
  set.format = std::string(text.substr(0, pos));
  ++pos;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    size_t tab = line.find('\t');
    if (tab != std::string_view::npos) {
      Label l;
      l.category = static_cast<TagCategory>(std::atoi(std::string(line.substr(0, tab)).c_str()));
      l.name = std::string(line.substr(tab + 1));
      set.labels.push_back(std::move(l));
    }
    pos = end + 1;
  }
  return set;
}

const char* kModelColumns =
    "id, name, path, sha256, labels_sha256, type, general_threshold, character_threshold, last_used";

ModelRecord read_model(const sql::Stmt& q) {
  ModelRecord m;
  m.id = q.int64(0);
  m.name = q.text(1);
  m.path = q.text(2);
  m.sha256 = q.text(3);
  m.labels_sha256 = q.text(4);
  m.type = q.text(5);
  m.default_general_threshold = q.real(6);
  m.default_character_threshold = q.real(7);
  m.last_used = q.int64(8);
  return m;
}

}  // namespace

Status Store::put_model(ModelRecord& m) {
  m.last_used = now_seconds();
  TM_ASSIGN_OR_RETURN(sql::Stmt q, db_->prepare(
      "INSERT INTO models(name, path, sha256, labels_sha256, type, labels, general_threshold, character_threshold, last_used) "
      "VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(sha256, labels_sha256) DO UPDATE SET name=excluded.name, "
      "path=excluded.path, type=excluded.type, labels=excluded.labels, general_threshold=excluded.general_threshold, "
      "character_threshold=excluded.character_threshold, last_used=excluded.last_used"));
  q.bind(1, m.name).bind(2, m.path).bind(3, m.sha256).bind(4, m.labels_sha256).bind(5, m.type)
      .bind(6, encode_labels(m.labels)).bind(7, m.default_general_threshold).bind(8, m.default_character_threshold)
      .bind(9, m.last_used);
  TM_RETURN_IF_ERROR(q.run());
  TM_ASSIGN_OR_RETURN(sql::Stmt id, db_->prepare("SELECT id FROM models WHERE sha256=? AND labels_sha256=?"));
  id.bind(1, m.sha256).bind(2, m.labels_sha256);
  Status s;
  if (!id.step(&s)) return s.ok() ? internal_error("model row missing after insert") : s;
  m.id = id.int64(0);
  return {};
}

namespace {
Result<std::optional<ModelRecord>> query_model(const sql::Db& db, const std::string& where, std::string_view key) {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, db.prepare(std::string("SELECT ") + kModelColumns + ", labels FROM models " + where +
                                              " ORDER BY last_used DESC, id DESC LIMIT 1"));
  if (!key.empty()) q.bind(1, key).bind(2, std::string(key) + "%");
  Status s;
  if (!q.step(&s)) {
    TM_RETURN_IF_ERROR(s);
    return std::optional<ModelRecord>();
  }
  ModelRecord m = read_model(q);
  if (!q.is_null(9)) m.labels = decode_labels(q.text(9));
  return std::optional<ModelRecord>(std::move(m));
}
}  // namespace

Result<std::optional<ModelRecord>> Store::find_model(std::string_view key) const {
  if (key.size() >= 8 && key.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos)
    return query_model(*db_, "WHERE name = ?1 OR sha256 LIKE ?2", to_lower_ascii(key));
  return query_model(*db_, "WHERE name = ?1", key);
}

Result<std::optional<ModelRecord>> Store::latest_model() const { return query_model(*db_, "", {}); }

Result<std::vector<ModelRecord>> Store::models() const {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, db_->prepare(std::string("SELECT ") + kModelColumns +
                                                " FROM models ORDER BY last_used DESC, id DESC"));
  std::vector<ModelRecord> out;
  Status s;
  while (q.step(&s)) out.push_back(read_model(q));
  TM_RETURN_IF_ERROR(s);
  return out;
}

Result<std::optional<std::string>> Store::cached_file_hash(const std::string& path, int64_t size, int64_t mtime_ns) const {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, db_->prepare("SELECT sha256 FROM file_hashes WHERE path=? AND size=? AND mtime_ns=?"));
  q.bind(1, path).bind(2, size).bind(3, mtime_ns);
  Status s;
  if (q.step(&s)) return std::optional<std::string>(q.text(0));
  TM_RETURN_IF_ERROR(s);
  return std::optional<std::string>();
}

Status Store::remember_file_hash(const std::string& path, int64_t size, int64_t mtime_ns, const std::string& sha256) {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, db_->prepare("INSERT OR REPLACE INTO file_hashes(path, size, mtime_ns, sha256) VALUES(?,?,?,?)"));
  return q.bind(1, path).bind(2, size).bind(3, mtime_ns).bind(4, sha256).run();
}

Result<std::unordered_map<std::string, ImageRecord>> Store::images() const {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, db_->prepare("SELECT relpath, sha256, size, mtime_ns, width, height FROM images"));
  std::unordered_map<std::string, ImageRecord> out;
  Status s;
  while (q.step(&s)) {
    ImageRecord r{q.text(0), q.text(1), q.int64(2), q.int64(3), static_cast<int>(q.int64(4)), static_cast<int>(q.int64(5))};
    out.emplace(r.relpath, std::move(r));
  }
  TM_RETURN_IF_ERROR(s);
  return out;
}

Status Store::put_image(const ImageRecord& r) {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, db_->prepare(
      "INSERT OR REPLACE INTO images(relpath, sha256, size, mtime_ns, mtime, width, height) VALUES(?,?,?,?,?,?,?)"));
  return q.bind(1, r.relpath).bind(2, r.sha256).bind(3, r.size).bind(4, r.mtime_ns).bind(5, static_cast<int64_t>(r.mtime_ns / 1000000000))
      .bind(6, r.width).bind(7, r.height).run();
}

Result<std::pair<int, int>> Store::size_of(const std::string& sha256) const {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, db_->prepare("SELECT width, height FROM images WHERE sha256=? AND width > 0 LIMIT 1"));
  q.bind(1, sha256);
  Status s;
  if (q.step(&s)) return std::make_pair(static_cast<int>(q.int64(0)), static_cast<int>(q.int64(1)));
  TM_RETURN_IF_ERROR(s);
  return std::make_pair(0, 0);
}

Result<std::unordered_set<std::string>> Store::hashes_with_scores(int64_t model_id) const {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, db_->prepare("SELECT sha256 FROM scores WHERE model_id=?"));
  q.bind(1, model_id);
  std::unordered_set<std::string> out;
  Status s;
  while (q.step(&s)) out.insert(q.text(0));
  TM_RETURN_IF_ERROR(s);
  return out;
}

Status Store::put_scores(const std::string& sha256, int64_t model_id, const std::vector<float>& probabilities) {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, db_->prepare("INSERT OR REPLACE INTO scores(sha256, model_id, blob, created) VALUES(?,?,?,?)"));
  std::string blob = encode_scores(probabilities);
  return q.bind(1, sha256).bind(2, model_id).bind_blob(3, blob.data(), blob.size()).bind(4, now_seconds()).run();
}

Result<std::vector<float>> Store::get_scores(const std::string& sha256, int64_t model_id, size_t count) const {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, db_->prepare("SELECT blob FROM scores WHERE sha256=? AND model_id=?"));
  q.bind(1, sha256).bind(2, model_id);
  Status s;
  if (!q.step(&s)) {
    TM_RETURN_IF_ERROR(s);
    return std::vector<float>();
  }
  size_t n = 0;
  const void* p = q.blob(0, &n);
  return decode_scores(std::string_view(static_cast<const char*>(p), n), count);
}

Status Store::for_each_scores(int64_t model_id,
                               const std::function<Status(std::string_view, std::string_view)>& fn) const {
  // Reading every score pages through most of the file: map it instead of one pread per page (a third
  // of retag's system time). Only for this scan; afterwards the connection's own setting is restored.
  int64_t mmap_before = 0;
  if (auto q = db_->prepare("PRAGMA mmap_size"); q.ok()) {
    Status ignored;
    if (q->step(&ignored)) mmap_before = q->int64(0);
  }
  if (mmap_before < (int64_t{1} << 30)) (void)db_->exec("PRAGMA mmap_size=1073741824");
  Status s = [&]() -> Status {
    TM_ASSIGN_OR_RETURN(sql::Stmt q, db_->prepare("SELECT sha256, blob FROM scores WHERE model_id=?"));
    q.bind(1, model_id);
    Status step;
    while (q.step(&step)) {
      size_t n = 0;
      const void* p = q.blob(1, &n);
      auto* sha = reinterpret_cast<const char*>(sqlite3_column_text(q.handle(), 0));
      TM_RETURN_IF_ERROR(fn(std::string_view(sha ? sha : ""), std::string_view(static_cast<const char*>(p), n)));
    }
    return step;
  }();
  if (mmap_before < (int64_t{1} << 30)) (void)db_->exec("PRAGMA mmap_size=" + std::to_string(mmap_before));
  return s;
}

Result<std::unordered_map<std::string, std::string>> Store::score_blobs(int64_t model_id) const {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, db_->prepare("SELECT sha256, blob FROM scores WHERE model_id=?"));
  q.bind(1, model_id);
  std::unordered_map<std::string, std::string> out;
  Status s;
  while (q.step(&s)) {
    size_t n = 0;
    const void* p = q.blob(1, &n);
    out.emplace(q.text(0), std::string(static_cast<const char*>(p), n));
  }
  TM_RETURN_IF_ERROR(s);
  return out;
}

Status Store::merge_from(const fs::path& other) {
  {
    // Open it once on its own: migrates an older shard database and gives clear errors for bad files.
    TM_ASSIGN_OR_RETURN(auto in, Store::open(other, /*create=*/false));
  }
  TM_ASSIGN_OR_RETURN(sql::Stmt attach, db_->prepare("ATTACH DATABASE ? AS shard"));
  TM_RETURN_IF_ERROR(attach.bind(1, other.string()).run());
  Status result = [&]() -> Status {
    sql::Transaction tx(*db_);
    TM_RETURN_IF_ERROR(tx.begin());
    TM_RETURN_IF_ERROR(db_->exec(R"sql(
INSERT INTO models(name, path, sha256, labels_sha256, type, labels, general_threshold, character_threshold, last_used)
  SELECT name, path, sha256, labels_sha256, type, labels, general_threshold, character_threshold, last_used
  FROM shard.models WHERE true
  ON CONFLICT(sha256, labels_sha256) DO UPDATE SET
    labels = COALESCE(models.labels, excluded.labels),
    name = CASE WHEN excluded.last_used > models.last_used THEN excluded.name ELSE models.name END,
    path = CASE WHEN excluded.last_used > models.last_used THEN excluded.path ELSE models.path END,
    last_used = MAX(models.last_used, excluded.last_used);
CREATE TEMP TABLE model_map AS
  SELECT s.id AS old_id, m.id AS new_id FROM shard.models s JOIN main.models m
  ON m.sha256 = s.sha256 AND m.labels_sha256 = s.labels_sha256;
INSERT OR IGNORE INTO scores(sha256, model_id, blob, created)
  SELECT s.sha256, mm.new_id, s.blob, s.created FROM shard.scores s JOIN model_map mm ON mm.old_id = s.model_id;
INSERT OR REPLACE INTO images(relpath, sha256, width, height, mtime, size, mtime_ns)
  SELECT relpath, sha256, width, height, mtime, size, mtime_ns FROM shard.images;
INSERT OR IGNORE INTO file_hashes SELECT * FROM shard.file_hashes;
CREATE TEMP TABLE op_map(old_id INTEGER PRIMARY KEY, new_id INTEGER);
)sql"));
    // Operations keep their order; ids are renumbered after the ones already here.
    TM_ASSIGN_OR_RETURN(sql::Stmt ops, db_->prepare("SELECT id, time, command, args FROM shard.operations ORDER BY id"));
    TM_ASSIGN_OR_RETURN(sql::Stmt ins, db_->prepare("INSERT INTO operations(time, command, args) VALUES(?,?,?)"));
    TM_ASSIGN_OR_RETURN(sql::Stmt map, db_->prepare("INSERT INTO op_map VALUES(?,?)"));
    Status s;
    while (ops.step(&s)) {
      TM_RETURN_IF_ERROR(ins.bind(1, ops.int64(1)).bind(2, ops.text(2)).bind(3, ops.text(3)).run());
      TM_RETURN_IF_ERROR(map.bind(1, ops.int64(0)).bind(2, db_->last_insert_id()).run());
    }
    TM_RETURN_IF_ERROR(s);
    TM_RETURN_IF_ERROR(db_->exec(R"sql(
UPDATE operations SET
  undoes = (SELECT m.new_id FROM op_map m JOIN shard.operations so ON so.undoes = m.old_id
            JOIN op_map me ON me.old_id = so.id WHERE me.new_id = operations.id),
  undone_by = (SELECT m.new_id FROM op_map m JOIN shard.operations so ON so.undone_by = m.old_id
               JOIN op_map me ON me.old_id = so.id WHERE me.new_id = operations.id)
  WHERE id IN (SELECT new_id FROM op_map);
INSERT INTO journal(time, relpath, before, after, source, operation_id, state, base)
  SELECT j.time, j.relpath, j.before, j.after, j.source, m.new_id, j.state, j.base
  FROM shard.journal j LEFT JOIN op_map m ON m.old_id = j.operation_id ORDER BY j.id;
DROP TABLE temp.model_map;
DROP TABLE temp.op_map;
)sql"));
    return tx.commit();
  }();
  (void)db_->exec("DROP TABLE IF EXISTS temp.model_map; DROP TABLE IF EXISTS temp.op_map;");
  Status detach = db_->exec("DETACH DATABASE shard");
  if (!result.ok()) return result.with_context("merging " + other.string());
  return detach;
}

}  // namespace tagmetry
