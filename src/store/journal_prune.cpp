// tagmetry undo --prune: drop old operations' undo history and compact the database.
#include <system_error>

#include "sqlite_db.h"
#include "tagmetry/caption_journal.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

int64_t database_bytes(const fs::path& db) {
  int64_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ec;
    auto size = fs::file_size(fs::path(db.string() + suffix), ec);
    if (!ec) total += static_cast<int64_t>(size);
  }
  return total;
}

Result<int64_t> count(const sql::Db& db, const std::string& query, int64_t cutoff) {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, db.prepare(query));
  q.bind(1, cutoff);
  Status s;
  int64_t n = q.step(&s) ? q.int64(0) : 0;
  TM_RETURN_IF_ERROR(s);
  return n;
}

}  // namespace

Result<JournalPruneReport> CaptionJournal::prune(size_t keep) {
  sql::Db& db = store_->db();
  JournalPruneReport report;
  report.bytes_before = report.bytes_after = database_bytes(store_->path());
  TM_ASSIGN_OR_RETURN(auto ops, operations());  // newest first
  // Operations with ids below `cutoff` lose their history. Their rows in `operations` stay (marked
  // pruned), so --list still shows them and undo can say why it stops there.
  if (ops.size() <= keep) return report;
  const int64_t cutoff = keep == 0 ? ops.front().id + 1 : ops[keep - 1].id;

  {
    sql::Transaction tx(db);  // rolls back on any error below
    TM_RETURN_IF_ERROR(tx.begin());
    TM_ASSIGN_OR_RETURN(report.operations_pruned,
                        count(db, "SELECT count(*) FROM operations WHERE id < ? AND pruned = 0", cutoff));
    // Keep each caption's newest written row (retag compares the file with it); drop the rest.
    TM_ASSIGN_OR_RETURN(sql::Stmt del, db.prepare(
        "DELETE FROM journal WHERE operation_id < ?1 AND id NOT IN "
        "(SELECT MAX(id) FROM journal WHERE state = 'done' GROUP BY relpath)"));
    TM_RETURN_IF_ERROR(del.bind(1, cutoff).run());
    report.rows_deleted = db.changes();
    TM_ASSIGN_OR_RETURN(sql::Stmt strip, db.prepare("UPDATE journal SET before = NULL WHERE operation_id < ?1"));
    TM_RETURN_IF_ERROR(strip.bind(1, cutoff).run());
    TM_ASSIGN_OR_RETURN(report.rows_kept, count(db, "SELECT count(*) FROM journal WHERE operation_id < ?", cutoff));
    TM_ASSIGN_OR_RETURN(sql::Stmt mark, db.prepare("UPDATE operations SET pruned = 1 WHERE id < ?1"));
    TM_RETURN_IF_ERROR(mark.bind(1, cutoff).run());
    TM_RETURN_IF_ERROR(tx.commit());
  }
  // Give the space back to the file system: VACUUM rewrites the database, the checkpoint empties the WAL.
  TM_RETURN_IF_ERROR(db.exec("VACUUM"));
  TM_RETURN_IF_ERROR(db.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  report.bytes_after = database_bytes(store_->path());
  return report;
}

}  // namespace tagmetry
