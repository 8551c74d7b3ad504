#include <cstdio>
#include "sqlite_db.h"

namespace tagmetry::sql {

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Stmt& Stmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  sqlite3_bind_double(stmt_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view text) {
  sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind(int i, const std::optional<std::string>& text) {
  if (text) return bind(i, std::string_view(*text));
  return bind_null(i);
}
Stmt& Stmt::bind_blob(int i, const void* data, size_t size) {
  sqlite3_bind_blob(stmt_, i, data, static_cast<int>(size), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

bool Stmt::step(Status* status) {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE && status) *status = db_->error(rc);
  return false;
}

Status Stmt::run() {
  Status s;
  while (step(&s)) {
  }
  reset();
  return s;
}

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Stmt::text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, sqlite3_column_bytes(stmt_, col)) : std::string();
}

std::optional<std::string> Stmt::optional_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

const void* Stmt::blob(int col, size_t* size) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  *size = static_cast<size_t>(sqlite3_column_bytes(stmt_, col));
  return p;
}

Db::~Db() { close(); }

void Db::close() {
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
}

Status Db::open(const std::filesystem::path& path, bool create) {
  close();
  path_ = path;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.string().c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = rc == SQLITE_CANTOPEN && !create ? not_found(path.string() + ": no such database")
                                                : error(rc, "cannot open");
    close();
    return s;
  }
  sqlite3_extended_result_codes(db_, 1);
  return {};
}

Status Db::open_read_only(const std::filesystem::path& path, bool immutable) {
  close();
  path_ = path;
  // A URI so that mode=ro / immutable=1 apply; '%', '?' and '#' in the path are escaped.
  std::string uri = "file:";
  for (char c : std::filesystem::absolute(path).string()) {
    if (c == '%' || c == '?' || c == '#') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      uri += buf;
    } else {
      uri += c;
    }
  }
  uri += immutable ? "?immutable=1" : "?mode=ro";
  int rc = sqlite3_open_v2(uri.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = error(rc, "cannot open");
    close();
    return s;
  }
  sqlite3_extended_result_codes(db_, 1);
  return {};
}

Status Db::exec(std::string_view sql) const {
  char* msg = nullptr;
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &msg);
  if (msg) sqlite3_free(msg);
  if (rc != SQLITE_OK) return error(rc);
  return {};
}

Result<Stmt> Db::prepare(std::string_view sql) const {
  Stmt s;
  s.db_ = this;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s.stmt_, nullptr);
  if (rc != SQLITE_OK) return error(rc);
  return s;
}

Status Db::error(int rc, std::string_view what) const {
  std::string prefix = path_.string() + ": " + (what.empty() ? "" : std::string(what) + ": ");
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    return busy(prefix + "the database is locked by another process (another tagmetry run on this "
                             "folder?); wait for it to finish or stop it, then retry");
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
    return corrupt(prefix + "not a Tagmetry database or damaged (" + sqlite3_errstr(rc) +
                   "); move it aside to start a new one (scores will be recomputed)");
  if (primary == SQLITE_FULL) return io_error(prefix + "disk full");
  if (primary == SQLITE_READONLY) return io_error(prefix + "read-only (check the folder's permissions)");
  const char* msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return io_error(prefix + msg);
}

Transaction::~Transaction() {
  if (open_) (void)db_.exec("ROLLBACK");
}

Status Transaction::begin() {
  TM_RETURN_IF_ERROR(db_.exec("BEGIN IMMEDIATE"));
  open_ = true;
  return {};
}

Status Transaction::commit() {
  TM_RETURN_IF_ERROR(db_.exec("COMMIT"));
  open_ = false;
  return {};
}

}  // namespace tagmetry::sql
