#pragma once
// The journal of every caption file Tagmetry writes (tag, retag, undo): before and after text, time and
// the command, grouped into operations so `tagmetry undo` can revert the last one.
//
// Writes are two-phase so a crash at any moment is detectable: the journal rows are committed as
// "pending" before the files are renamed into place (temp file + rename: a reader sees the old or the new
// file, never a mix), flushed with one syncfs per batch, then marked "done". Opening the journal settles rows an interrupted run left
// pending by looking at the files: a file holding the new text was written (done), any other was not
// (the row is dropped). Captions on disk stay the truth.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tagmetry/status.h"
#include "tagmetry/store.h"

namespace tagmetry {

struct CaptionWrite {
  std::string relpath;                 // caption path relative to the dataset root
  std::optional<std::string> before;   // text it had (nullopt: the file did not exist)
  std::optional<std::string> after;    // text to write (nullopt: delete the file; only undo does this)
  bool backup = false;                 // copy the old file to a .bak beside it first (--overwrite)
  // For --append: the user's text the tags were merged into, so retag can merge new tags into the same
  // text instead of the previous result. nullopt for a caption Tagmetry wrote in full.
  std::optional<std::string> base;
  // The journal row's source when it differs from the operation's command ("retag:edits": a retag that
  // re-applied later edits); empty = the command.
  std::string source;
};

// What Tagmetry last wrote to a caption file.
struct LastWrite {
  std::optional<std::string> after;
  std::optional<std::string> base;
  std::string command;  // the row's source: "tag", "retag", "retag:edits", "edit", "policy", "undo", "serve:edit", …

  // True when a model run (tag, retag) wrote this text alone. Any other writer wrote something a person
  // chose (the web editor, `edit`, a policy, undo restoring the user's text): overwrite keeps a .bak of it,
  // and retag either re-applies those edits on top of the new tags (carries_tag_edits) or keeps it.
  bool by_model() const { return command == "tag" || command == "retag"; }
};

struct JournalEntry {
  int64_t id = 0;
  int64_t operation_id = 0;
  int64_t time = 0;  // unix seconds
  std::string relpath;
  std::optional<std::string> before, after;
  std::string state;  // "pending" or "done"
  std::string command;  // the operation's command (the journal row's source)
  std::optional<std::string> base;  // CaptionWrite::base (history() only)
};

struct OperationRecord {
  int64_t id = 0;
  int64_t time = 0;
  std::string command;  // "tag", "retag", "undo"
  std::string args;     // the command line, for --list
  int64_t files = 0;    // caption writes recorded
  std::optional<int64_t> undoes;     // for an undo: the operation it reverted
  std::optional<int64_t> undone_by;  // set once an undo reverted this operation
  bool pruned = false;               // its history was pruned: it can no longer be undone or redone
};

struct JournalPruneReport {
  int64_t operations_pruned = 0;  // operations whose history was dropped (kept: the newest `keep`)
  int64_t rows_deleted = 0;       // journal rows deleted
  int64_t rows_kept = 0;          // rows of pruned operations kept: the last write of each caption
  int64_t bytes_before = 0, bytes_after = 0;  // database file size (after VACUUM)
};

class CaptionJournal {
 public:
  // Binds `store`'s journal to the dataset at `root` (caption relpaths are relative to it) and settles
  // writes an interrupted run left pending. `store` must outlive the journal.
  static Result<CaptionJournal> open(Store& store, std::filesystem::path root);

  // Binds the journal without settling pending rows and without writing anything: for readers (undo
  // --list, the web app's history) that hold no dataset lock, may run while another run writes, and may
  // be on a read-only folder. Never call apply on it.
  static Result<CaptionJournal> open_read_only(Store& store, std::filesystem::path root);

  // Names the operation the following writes belong to. The operation row is created with the first
  // write, so a run that writes nothing leaves no entry.
  void begin_operation(std::string command, std::string args);

  // Journals `writes` as pending, runs `in_transaction` (e.g. storing the batch's scores) in the same
  // transaction, writes the files, then marks them done. Returns one Status per write (a failed write
  // leaves that file unchanged and its row removed); a database error is returned as the overall error.
  // `backups` receives the .bak files made. Not thread-safe.
  Result<std::vector<Status>> apply(const std::vector<CaptionWrite>& writes,
                                    const std::function<Status()>& in_transaction = {},
                                    std::vector<std::filesystem::path>* backups = nullptr);

  // What Tagmetry last wrote to each caption (done rows), by relpath.
  Result<std::unordered_map<std::string, LastWrite>> last_written() const;

  // The done writes to one caption, oldest first (what retag walks back to find its own last write
  // under later edits).
  Result<std::vector<JournalEntry>> history(const std::string& relpath) const;

  // Operations, newest first.
  Result<std::vector<OperationRecord>> operations() const;
  // The journal rows of one operation, in write order.
  Result<std::vector<JournalEntry>> entries(int64_t operation_id) const;

  // Drops the undo history of all but the newest `keep` operations and compacts the database. What retag
  // needs to recognise its own writes (the last write of each caption, without its before text) is kept,
  // and the operations it belongs to are marked pruned: undo and redo stop there. Not inside a transaction.
  Result<JournalPruneReport> prune(size_t keep);

  // Marks `operation_id` as reverted by the current operation (set by begin_operation + a write).
  Status mark_undone(int64_t operation_id);
  // The current operation's id, or 0 before its first write.
  int64_t operation_id() const { return operation_id_; }
  const std::filesystem::path& root() const { return root_; }
  // The database the journal lives in.
  Store& store() const { return *store_; }

 private:
  CaptionJournal(Store& store, std::filesystem::path root) : store_(&store), root_(std::move(root)) {}
  Status recover();
  Status ensure_operation();

  Store* store_;
  std::filesystem::path root_;
  std::string command_, args_;
  int64_t operation_id_ = 0;
};

// Reads a caption file: nullopt when it does not exist; an error when it exists but cannot be read.
Result<std::optional<std::string>> read_caption_if_exists(const std::filesystem::path& path);

// Whether `path` resolves inside the dataset folder `root`: false for a symbolic link (or a path through
// one) whose target lies outside it. Writers never read or write such a file.
bool inside_dataset(const std::filesystem::path& root, const std::filesystem::path& path);

// read_caption_if_exists for a caption writer: also an error (kInvalidArgument) naming the file when it is a
// symbolic link to outside `root` ("a.txt: a symbolic link to outside the dataset (/x/a.txt); left unchanged").
Result<std::optional<std::string>> read_dataset_caption(const std::filesystem::path& root,
                                                        const std::filesystem::path& path);

struct UndoOptions {
  bool skip_changed = false;  // revert what can be reverted, leave files changed by hand as they are
  bool dry_run = false;
};

struct UndoReport {
  bool nothing_reverted = false;      // skip_changed and every file was changed: no operation recorded
  int64_t operation_id = 0;        // the operation reverted (0: nothing to undo)
  std::string command;             // its command
  std::vector<std::string> reverted;  // relpaths restored (or deleted when they did not exist before)
  std::vector<std::string> changed;   // relpaths changed by hand since: refused (or skipped)
  bool refused = false;               // nothing was written because of `changed`
  bool history_pruned = false;        // operation_id 0 because the next operation's history was pruned
};

// One operation as JSON, as `undo --list --json` lists it and GET /api/history answers: {"id", "time",
// "command", "args", "files", "undoes", "undone_by" (null when not), "pruned"}.
nlohmann::json to_json(const OperationRecord& op);

// The report as JSON, as `undo --json` prints it and POST /api/undo and /api/redo answer (docs/undo.md):
// {"operation", "command", "reverted": [relpaths], "changed": [relpaths], "refused", "nothing_reverted",
// "history_pruned"}.
nlohmann::json to_json(const UndoReport& report);

// Reverts the newest operation that is not an undo and was not undone yet. When any of its files was
// changed since Tagmetry wrote it, nothing is written and `refused` is set (unless skip_changed).
Result<UndoReport> undo_last_operation(CaptionJournal& journal, const UndoOptions& options,
                                       const std::string& args);

// Reverts `target` (restores each file's text from before the operation) as a new operation named
// `command` ("undo" or "redo") and marks `target` as undone by it. Refuses like undo_last_operation.
Result<UndoReport> revert_operation(CaptionJournal& journal, const OperationRecord& target, const UndoOptions& options,
                                    const std::string& command, const std::string& args);

// The undo a redo would revert: walking back from the newest operation over undone edits and redos, the
// first undo not itself reverted; nullopt when a live edit comes first (a new edit clears the redo list).
Result<std::optional<OperationRecord>> redo_candidate(const CaptionJournal& journal);

// Re-applies what the last undo reverted (reverts that undo as a "redo" operation, which a later undo
// reverts again). operation_id is 0 when there is nothing to redo.
Result<UndoReport> redo_last_undo(CaptionJournal& journal, const UndoOptions& options, const std::string& args);

// An advisory lock (flock) on `<database>.lock` for the life of the object, so two runs cannot write the
// same database and captions at once (shards use different databases, hence different locks). The OS
// releases it if the process dies.
class DatasetLock {
 public:
  // Errors (kBusy) when another process holds it: "… in use by another tagmetry run (pid N) …".
  static Result<std::unique_ptr<DatasetLock>> acquire(const std::filesystem::path& database);
  ~DatasetLock();

 private:
  DatasetLock() = default;
  int fd_ = -1;
};

// A dataset opened for caption writes. Every writer (tag, retag, undo, edit, policy apply, ja, the web
// app) opens one with open_journaled_dataset, which takes the dataset lock, then opens the database,
// then the journal (settling writes an interrupted run left pending) — always in that order. The lock
// is held until the object dies. Movable; use from one thread at a time.
class JournaledDataset {
 public:
  Store& store() { return *store_; }
  CaptionJournal& journal() { return *journal_; }
  const std::filesystem::path& root() const { return journal_->root(); }

 private:
  friend Result<JournaledDataset> open_journaled_dataset(const std::filesystem::path&, const std::filesystem::path&,
                                                         bool, bool, bool);
  JournaledDataset() = default;
  std::unique_ptr<DatasetLock> lock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CaptionJournal> journal_;
};

// Opens `dataset_dir` for writing: lock on `db` (empty: default_store_path(dataset_dir)), the database
// (created when `create`; `exclusive` as in Store::open), the journal. Errors: `dataset_dir` is not a folder
// (kNotFound), the lock is held by another run (kBusy), the database cannot be opened (see
// Store::open). `lock` false: the caller already holds the dataset lock (the web app's server holds it
// for its whole life and serialises its own writers), so none is taken here.
Result<JournaledDataset> open_journaled_dataset(const std::filesystem::path& dataset_dir,
                                                const std::filesystem::path& db = {}, bool create = true,
                                                bool exclusive = false, bool lock = true);

}  // namespace tagmetry
