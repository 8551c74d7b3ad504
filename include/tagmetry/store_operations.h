#pragma once
// The declarations of the commands that work on the scores database itself: `tagmetry undo` (the caption
// journal, include/tagmetry/caption_journal.h) and `tagmetry merge` (shard databases, Store::merge_from).

#include <optional>
#include <string>
#include <vector>

#include "tagmetry/operation.h"

namespace tagmetry {

// `tagmetry undo DIR`: revert the newest operation, or list (`list`) or prune (`prune`) the journal.
struct UndoParams {
  std::string dir;
  std::string db;  // database file; empty = DIR/.tagmetry/tagmetry.db
  bool list = false;
  bool skip_changed = false;
  bool dry_run = false;
  std::optional<int> prune;  // keep the newest N operations' history
};
const Operation<UndoParams>& undo_operation();

// `tagmetry merge OUT.db IN.db…`: join shard databases into `out`.
struct MergeParams {
  std::string out;
  std::vector<std::string> inputs;
};
const Operation<MergeParams>& merge_operation();

}  // namespace tagmetry
