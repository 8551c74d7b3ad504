// tagmetry undo (and the web app's redo): revert one operation's caption writes, refusing to clobber
// files changed by hand since.
#include <map>
#include <nlohmann/json.hpp>

#include "tagmetry/caption_journal.h"
#include "tagmetry/review_decisions.h"

namespace tagmetry {

nlohmann::json to_json(const OperationRecord& op) {
  return {{"id", op.id},
          {"time", op.time},
          {"command", op.command},
          {"args", op.args},
          {"files", op.files},
          {"undoes", op.undoes ? nlohmann::json(*op.undoes) : nlohmann::json()},
          {"undone_by", op.undone_by ? nlohmann::json(*op.undone_by) : nlohmann::json()},
          {"pruned", op.pruned}};
}

nlohmann::json to_json(const UndoReport& r) {
  return {{"operation", r.operation_id}, {"command", r.command},     {"reverted", r.reverted},
          {"changed", r.changed},        {"refused", r.refused},     {"nothing_reverted", r.nothing_reverted},
          {"history_pruned", r.history_pruned}};
}

Result<UndoReport> revert_operation(CaptionJournal& journal, const OperationRecord& target, const UndoOptions& options,
                                    const std::string& command, const std::string& args) {
  UndoReport report;
  report.operation_id = target.id;
  report.command = target.command;
  TM_ASSIGN_OR_RETURN(auto entries, journal.entries(target.id));

  // Per file: the text the operation left (its last write) and the text before its first write.
  std::map<std::string, std::pair<std::optional<std::string>, std::optional<std::string>>> files;  // before, after
  for (auto& e : entries) {
    if (e.state != "done") continue;
    auto it = files.find(e.relpath);
    if (it == files.end()) files.emplace(e.relpath, std::make_pair(e.before, e.after));
    else it->second.second = e.after;
  }
  std::vector<CaptionWrite> writes;
  for (auto& [relpath, texts] : files) {
    TM_ASSIGN_OR_RETURN(auto now, read_caption_if_exists(journal.root() / relpath));
    if (now != texts.second) {
      report.changed.push_back(relpath);
      continue;
    }
    if (now == texts.first) continue;  // already as it was
    CaptionWrite w;
    w.relpath = relpath;
    w.before = now;
    w.after = texts.first;
    writes.push_back(std::move(w));
  }
  if (!report.changed.empty() && !options.skip_changed) {
    report.refused = true;
    return report;
  }
  if (writes.empty() && !report.changed.empty()) {
    // Every file was changed since: reverting nothing must not mark the operation undone, or the next
    // undo would silently go further back.
    report.nothing_reverted = true;
    return report;
  }
  for (auto& w : writes) report.reverted.push_back(w.relpath);
  if (options.dry_run) return report;
  journal.begin_operation(command, args);
  const int64_t target_id = target.id;
  TM_ASSIGN_OR_RETURN(auto results, journal.apply(writes, [&]() -> Status {
    if (target.command == "review")  // the captions no longer say what was decided: forget the decisions
      for (auto& w : writes) TM_RETURN_IF_ERROR(forget_review_decisions(journal.store(), w.relpath, w.before));
    return journal.mark_undone(target_id);
  }));
  for (size_t i = 0; i < results.size(); ++i)
    if (!results[i].ok()) return results[i];
  return report;
}

Result<UndoReport> undo_last_operation(CaptionJournal& journal, const UndoOptions& options, const std::string& args) {
  TM_ASSIGN_OR_RETURN(auto ops, journal.operations());
  for (auto& op : ops) {
    if (op.pruned) {
      UndoReport none;
      none.history_pruned = true;
      return none;
    }
    if (op.command == "undo" || op.undone_by || op.files == 0) continue;
    return revert_operation(journal, op, options, "undo", args);
  }
  return UndoReport{};
}

Result<std::optional<OperationRecord>> redo_candidate(const CaptionJournal& journal) {
  TM_ASSIGN_OR_RETURN(auto ops, journal.operations());
  for (auto& op : ops) {
    if (op.pruned) return std::optional<OperationRecord>();  // its before texts are gone
    if (op.files == 0) continue;
    if (op.undone_by) continue;               // reverted edits and redone undos: look further back
    if (op.command == "redo") continue;       // a redo re-applied an older edit: its undo may be next
    if (op.command == "undo") return std::optional<OperationRecord>(op);
    return std::optional<OperationRecord>();  // a live edit is newer than any undo: nothing to redo
  }
  return std::optional<OperationRecord>();
}

Result<UndoReport> redo_last_undo(CaptionJournal& journal, const UndoOptions& options, const std::string& args) {
  TM_ASSIGN_OR_RETURN(auto target, redo_candidate(journal));
  if (!target) return UndoReport{};
  return revert_operation(journal, *target, options, "redo", args);
}

}  // namespace tagmetry
