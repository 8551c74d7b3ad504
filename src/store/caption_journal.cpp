// Two-phase journaled caption writes, crash recovery, and the dataset lock.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <string_view>
#include <unordered_map>

#include "file_io.h"
#include "journal_internal.h"
#include "ordered_pipeline.h"
#include "sqlite_db.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/files.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {
int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

namespace {
// Opens, sizes and reads a file with plain system calls (the iostream path costs several times more
// per small file, which retag reads 10,000 of). Sets *is_link instead of reading when `follow` is false
// and the path is a symbolic link.
Result<std::optional<std::string>> read_caption(const fs::path& path, bool follow, bool* is_link) {
  if (is_link) *is_link = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) return std::optional<std::string>();
    if (err == ELOOP && !follow && is_link) {
      *is_link = true;
      return std::optional<std::string>();
    }
    return io_error(path.string() + ": cannot open (" + std::strerror(err) + ")");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    return io_error(path.string() + ": cannot read (is it a folder?)");
  }
  std::string data(static_cast<size_t>(std::max<off_t>(st.st_size, 0)), '\0');
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return io_error(path.string() + ": read failed (" + std::strerror(err) + ")");
    }
    if (n == 0) break;  // shrank while reading
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(got);
  return std::optional<std::string>(std::move(data));
}
}  // namespace

Result<std::optional<std::string>> read_caption_if_exists(const fs::path& path) {
  return read_caption(path, /*follow=*/true, nullptr);
}

bool inside_dataset(const fs::path& root, const fs::path& path) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(root, ec);
  if (ec) return false;
  fs::path p = fs::weakly_canonical(path, ec);
  if (ec) return false;
  auto ri = r.begin(), pi = p.begin();
  for (; ri != r.end(); ++ri, ++pi)
    if (pi == p.end() || *ri != *pi) return false;
  return true;
}

Result<std::optional<std::string>> read_dataset_caption(const fs::path& root, const fs::path& path) {
  if (!inside_dataset(root, path)) {
    std::error_code ec;
    fs::path target = fs::weakly_canonical(path, ec);
    return invalid_argument(path.string() + ": a symbolic link to outside the dataset (" + target.string() +
                            "); left unchanged");
  }
  return read_caption_if_exists(path);
}

Result<std::optional<std::string>> store_internal::read_caption_no_follow(const fs::path& path, bool* is_link) {
  return read_caption(path, /*follow=*/false, is_link);
}

Result<CaptionJournal> CaptionJournal::open(Store& store, fs::path root) {
  CaptionJournal j(store, std::move(root));
  TM_RETURN_IF_ERROR(j.recover());
  return j;
}

Result<CaptionJournal> CaptionJournal::open_read_only(Store& store, fs::path root) {
  return CaptionJournal(store, std::move(root));
}

Status CaptionJournal::recover() {
  sql::Db& db = store_->db();
  TM_ASSIGN_OR_RETURN(sql::Stmt q, db.prepare("SELECT id, relpath, after FROM journal WHERE state='pending'"));
  std::vector<std::tuple<int64_t, std::string, std::optional<std::string>>> pending;
  Status s;
  while (q.step(&s)) pending.emplace_back(q.int64(0), q.text(1), q.optional_text(2));
  TM_RETURN_IF_ERROR(s);
  if (pending.empty()) return {};
  TM_ASSIGN_OR_RETURN(sql::Stmt done, db.prepare("UPDATE journal SET state='done' WHERE id=?"));
  TM_ASSIGN_OR_RETURN(sql::Stmt drop, db.prepare("DELETE FROM journal WHERE id=?"));
  std::set<fs::path> folders;
  sql::Transaction tx(db);
  TM_RETURN_IF_ERROR(tx.begin());
  for (auto& [id, relpath, after] : pending) {
    fs::path file = root_ / relpath;
    folders.insert(file.parent_path());
    auto now = read_caption_if_exists(file);
    bool written = now.ok() && *now == after;
    TM_RETURN_IF_ERROR(written ? done.bind(1, id).run() : drop.bind(1, id).run());
  }
  TM_RETURN_IF_ERROR(db.exec("DELETE FROM operations WHERE id NOT IN (SELECT DISTINCT operation_id FROM journal "
                             "WHERE operation_id IS NOT NULL) AND undoes IS NULL"));
  TM_RETURN_IF_ERROR(tx.commit());
  // Temporary files of writes that were cut short (write_file_atomic names them "<file>.tmp-tagmetry-…").
  for (auto& folder : folders) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
      if (it->path().filename().string().find(".tmp-tagmetry-") != std::string::npos) fs::remove(it->path(), ec);
  }
  return {};
}

void CaptionJournal::begin_operation(std::string command, std::string args) {
  command_ = std::move(command);
  args_ = std::move(args);
  operation_id_ = 0;
}

Status CaptionJournal::ensure_operation() {
  if (operation_id_) return {};
  TM_ASSIGN_OR_RETURN(sql::Stmt q, store_->db().prepare("INSERT INTO operations(time, command, args) VALUES(?,?,?)"));
  TM_RETURN_IF_ERROR(q.bind(1, now_seconds()).bind(2, command_.empty() ? std::string("tag") : command_).bind(3, args_).run());
  operation_id_ = store_->db().last_insert_id();
  return {};
}

Result<std::vector<Status>> CaptionJournal::apply(const std::vector<CaptionWrite>& writes,
                                                  const std::function<Status()>& in_transaction,
                                                  std::vector<fs::path>* backups) {
  sql::Db& db = store_->db();
  std::vector<int64_t> ids(writes.size(), 0);
  {
    sql::Transaction tx(db);
    TM_RETURN_IF_ERROR(tx.begin());
    if (in_transaction) TM_RETURN_IF_ERROR(in_transaction());
    if (!writes.empty()) {
      TM_RETURN_IF_ERROR(ensure_operation());
      TM_ASSIGN_OR_RETURN(sql::Stmt ins, db.prepare(
          "INSERT INTO journal(time, relpath, before, after, source, operation_id, state, base) "
          "VALUES(?,?,?,?,?,?,'pending',?)"));
      int64_t t = now_seconds();
      for (size_t i = 0; i < writes.size(); ++i) {
        TM_RETURN_IF_ERROR(ins.bind(1, t).bind(2, writes[i].relpath).bind(3, writes[i].before).bind(4, writes[i].after)
                               .bind(5, writes[i].source.empty() ? command_ : writes[i].source).bind(6, operation_id_).bind(7, writes[i].base).run());
        ids[i] = db.last_insert_id();
      }
    }
    TM_RETURN_IF_ERROR(tx.commit());
  }
  if (writes.empty()) return std::vector<Status>();

  // The files are written on every core: each is its own temp file + rename, so the order between
  // files does not matter; the rows stay pending until all of them are flushed below.
  std::vector<Status> results(writes.size());
  std::vector<std::optional<fs::path>> made(writes.size());
  auto write_one = [&](size_t i) {
    const CaptionWrite& w = writes[i];
    fs::path file = root_ / w.relpath;
    const bool plain = !w.relpath.empty() && w.relpath[0] != '/' && !w.relpath.starts_with("../") &&
                       w.relpath.find("/../") == std::string::npos && !fs::is_symlink(file);
    if (!plain && !inside_dataset(root_, file)) {  // an absolute relpath or a symbolic link out of the dataset
      results[i] = invalid_argument(file.string() + ": outside the dataset (a symbolic link?); left unchanged");
      return;
    }
    if (w.backup && w.before) {
      auto b = backup_file(file);
      if (!b.ok()) {
        results[i] = b.status();
        return;
      }
      made[i] = *b;
    }
    if (w.after) {
      results[i] = write_file_atomic(file, *w.after, FileSync::kDeferred);  // syncfs once per batch below
    } else {
      std::error_code ec;
      fs::remove(file, ec);
      if (ec) results[i] = io_error(file.string() + ": cannot delete (" + ec.message() + ")");
    }
  };
  // Two writes to one file (img.png and img.jpg share img.txt) go to the same thread, in batch order.
  std::vector<std::vector<size_t>> groups;
  {
    std::unordered_map<std::string_view, size_t> group_of;
    group_of.reserve(writes.size());
    for (size_t i = 0; i < writes.size(); ++i) {
      auto [it, fresh] = group_of.try_emplace(writes[i].relpath, groups.size());
      if (fresh) groups.emplace_back();
      groups[it->second].push_back(i);
    }
  }
  store_internal::parallel_for(groups.size(), 64, store_internal::worker_threads(0), [&](size_t g) {
    for (size_t i : groups[g]) write_one(i);
  });
  if (backups)
    for (auto& b : made)
      if (b) backups->push_back(std::move(*b));

  // One flush for the whole batch before the rows are marked done (durable against power loss too).
  if (int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
    ::syncfs(fd);
    ::close(fd);
  }
  sql::Transaction tx(db);
  TM_RETURN_IF_ERROR(tx.begin());
  TM_ASSIGN_OR_RETURN(sql::Stmt done, db.prepare("UPDATE journal SET state='done' WHERE id=?"));
  TM_ASSIGN_OR_RETURN(sql::Stmt drop, db.prepare("DELETE FROM journal WHERE id=?"));
  for (size_t i = 0; i < writes.size(); ++i)
    TM_RETURN_IF_ERROR(results[i].ok() ? done.bind(1, ids[i]).run() : drop.bind(1, ids[i]).run());
  TM_RETURN_IF_ERROR(tx.commit());
  return results;
}

Result<std::unordered_map<std::string, LastWrite>> CaptionJournal::last_written() const {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, store_->db().prepare(
      "SELECT relpath, after, base, source FROM journal WHERE state='done' ORDER BY id"));
  std::unordered_map<std::string, LastWrite> out;
  Status s;
  while (q.step(&s)) out[q.text(0)] = LastWrite{q.optional_text(1), q.optional_text(2), q.text(3)};
  TM_RETURN_IF_ERROR(s);
  return out;
}

Result<std::unordered_map<std::string, LastWrite>> store_internal::last_written_to(
    const Store& store, const std::vector<std::string>& relpaths) {
  sql::Db& db = store.db();
  // One read transaction for all the lookups: outside one, every statement takes and drops the
  // database's shared lock (two fcntl calls each) and revalidates its page cache.
  const bool own_transaction = sqlite3_get_autocommit(db.handle()) != 0;
  if (own_transaction) TM_RETURN_IF_ERROR(db.exec("BEGIN"));
  auto lookups = [&]() -> Result<std::unordered_map<std::string, LastWrite>> {
    TM_ASSIGN_OR_RETURN(sql::Stmt q, db.prepare(
        "SELECT after, base, source FROM journal WHERE relpath=? AND state='done' ORDER BY id DESC LIMIT 1"));
    std::unordered_map<std::string, LastWrite> out;
    out.reserve(relpaths.size());
    for (const auto& relpath : relpaths) {
      q.reset();
      q.bind(1, relpath);
      Status s;
      if (q.step(&s)) out[relpath] = LastWrite{q.optional_text(0), q.optional_text(1), q.text(2)};
      TM_RETURN_IF_ERROR(s);
    }
    return out;
  }();
  if (own_transaction) {
    Status end = db.exec(lookups.ok() ? "COMMIT" : "ROLLBACK");
    if (lookups.ok() && !end.ok()) return end;
  }
  return lookups;
}

Result<std::vector<OperationRecord>> CaptionJournal::operations() const {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, store_->db().prepare(
      "SELECT o.id, o.time, o.command, o.args, (SELECT count(*) FROM journal j WHERE j.operation_id = o.id), "
      "o.undoes, o.undone_by, o.pruned FROM operations o ORDER BY o.id DESC"));
  std::vector<OperationRecord> out;
  Status s;
  while (q.step(&s)) {
    OperationRecord r{q.int64(0), q.int64(1), q.text(2), q.text(3), q.int64(4), {}, {}};
    if (!q.is_null(5)) r.undoes = q.int64(5);
    if (!q.is_null(6)) r.undone_by = q.int64(6);
    r.pruned = q.int64(7) != 0;
    out.push_back(std::move(r));
  }
  TM_RETURN_IF_ERROR(s);
  return out;
}

namespace {

// The journal rows a query selected as (id, operation id, time, relpath, before, after, state, source,
// base), in its order.
Result<std::vector<JournalEntry>> read_entries(sql::Stmt& q) {
  std::vector<JournalEntry> out;
  Status s;
  while (q.step(&s))
    out.push_back({q.int64(0), q.int64(1), q.int64(2), q.text(3), q.optional_text(4), q.optional_text(5), q.text(6),
                   q.text(7), q.optional_text(8)});
  TM_RETURN_IF_ERROR(s);
  return out;
}

}  // namespace

Result<std::vector<JournalEntry>> CaptionJournal::entries(int64_t operation_id) const {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, store_->db().prepare(
      "SELECT id, operation_id, time, relpath, before, after, state, source, NULL FROM journal WHERE operation_id=? "
      "ORDER BY id"));
  q.bind(1, operation_id);
  return read_entries(q);
}

Result<std::vector<JournalEntry>> CaptionJournal::history(const std::string& relpath) const {
  TM_ASSIGN_OR_RETURN(sql::Stmt q, store_->db().prepare(
      "SELECT id, coalesce(operation_id, 0), time, relpath, before, after, state, source, base FROM journal "
      "WHERE relpath=? AND state='done' ORDER BY id"));
  q.bind(1, relpath);
  return read_entries(q);
}

Status CaptionJournal::mark_undone(int64_t operation_id) {
  TM_RETURN_IF_ERROR(ensure_operation());
  TM_ASSIGN_OR_RETURN(sql::Stmt a, store_->db().prepare("UPDATE operations SET undone_by=? WHERE id=?"));
  TM_RETURN_IF_ERROR(a.bind(1, operation_id_).bind(2, operation_id).run());
  TM_ASSIGN_OR_RETURN(sql::Stmt b, store_->db().prepare("UPDATE operations SET undoes=? WHERE id=?"));
  return b.bind(1, operation_id).bind(2, operation_id_).run();
}

Result<std::unique_ptr<DatasetLock>> DatasetLock::acquire(const fs::path& database) {
  fs::path file = database;
  file += ".lock";
  std::error_code ec;
  if (!file.parent_path().empty()) fs::create_directories(file.parent_path(), ec);
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT && ec)  // the folder could not be made: that is the cause (a read-only disk)
    return io_error(file.parent_path().string() + ": cannot create folder (" + ec.message() + ")");
  if (fd < 0) return io_error(file.string() + ": cannot open lock file (" + std::strerror(errno) + ")");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
    return busy(database.string() + ": in use by another tagmetry run (pid " + pid +
                    "); wait for it to finish or stop it, then retry");
  }
  std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  std::unique_ptr<DatasetLock> lock(new DatasetLock());
  lock->fd_ = fd;
  return lock;
}

DatasetLock::~DatasetLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<JournaledDataset> open_journaled_dataset(const fs::path& dataset_dir, const fs::path& db, bool create,
                                                bool exclusive, bool lock) {
  std::error_code ec;
  if (!fs::is_directory(dataset_dir, ec)) return not_found(dataset_dir.string() + ": not a folder");
  const fs::path db_path = db.empty() ? default_store_path(dataset_dir) : db;
  JournaledDataset out;
  if (lock) {
    TM_ASSIGN_OR_RETURN(out.lock_, DatasetLock::acquire(db_path));
  }
  TM_ASSIGN_OR_RETURN(out.store_, Store::open(db_path, create, exclusive));
  TM_ASSIGN_OR_RETURN(CaptionJournal journal, CaptionJournal::open(*out.store_, dataset_dir));
  out.journal_ = std::make_unique<CaptionJournal>(std::move(journal));
  return out;
}

}  // namespace tagmetry
