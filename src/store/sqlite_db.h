#pragma once
// Thin RAII wrapper over the SQLite C API for the store module (private to src/store). Errors become
// Status values that name the database file; "database is locked" and "not a database" get messages a
// user can act on.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "tagmetry/status.h"

namespace tagmetry::sql {

class Db;

// A prepared statement. Bind parameters are 1-based, columns 0-based. Not thread-safe.
class Stmt {
 public:
  Stmt() = default;
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  ~Stmt();

  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::string_view text);
  Stmt& bind(int i, const char* text) { return bind(i, std::string_view(text)); }
  Stmt& bind(int i, const std::string& text) { return bind(i, std::string_view(text)); }
  Stmt& bind(int i, const std::optional<std::string>& text);  // NULL when empty optional
  Stmt& bind_blob(int i, const void* data, size_t size);
  Stmt& bind_null(int i);

  // Advances: true when a row is available, false when done. Errors are returned through `status`.
  bool step(Status* status);
  // Runs to completion (for INSERT/UPDATE); returns the error, if any.
  Status run();
  void reset();

  int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string text(int col) const;
  std::optional<std::string> optional_text(int col) const;
  sqlite3_stmt* handle() const { return stmt_; }
  // Pointer valid until the next step/reset.
  const void* blob(int col, size_t* size) const;

 private:
  friend class Db;
  const Db* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Db {
 public:
  Db() = default;
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Opens (creating when `create`) the database at `path`.
  Status open(const std::filesystem::path& path, bool create);
  // Opens the database at `path` for reading only (never writes, takes no write lock). `immutable`
  // also skips SQLite's locking and WAL index, for a database on a read-only file system.
  Status open_read_only(const std::filesystem::path& path, bool immutable);
  void close();
  Status exec(std::string_view sql) const;
  Result<Stmt> prepare(std::string_view sql) const;
  int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }

  // A Status for the last error of this connection: "<file>: <what>".
  Status error(int rc, std::string_view what = {}) const;
  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

// BEGIN IMMEDIATE … COMMIT; rolls back in the destructor unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(const Db& db) : db_(db) {}
  ~Transaction();
  Status begin();
  Status commit();

 private:
  const Db& db_;
  bool open_ = false;
};

}  // namespace tagmetry::sql
