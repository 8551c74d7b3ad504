// The declarations of `tagmetry undo` and `tagmetry merge` (tools/tagmetry/cmd_undo.cpp, cmd_merge.cpp).
#include "tagmetry/store_operations.h"

namespace tagmetry {

const Operation<UndoParams>& undo_operation() {
  static const Operation<UndoParams> op{
      {"undo", "Revert the caption writes of the last tag/retag/edit/policy/ja run (--list shows the journal)", "",
       "store.md"},
      [] {
        using P = UndoParams;
        OptionSet<P> s;
        s.positional("dir", &P::dir, "Dataset folder");
        s.add("list", &P::list, "Show the journal of operations (newest first) instead of undoing");
        s.add("skip-changed", &P::skip_changed, "Revert the other files when some were changed by hand since");
        s.add("dry-run", &P::dry_run, "Show what would be reverted, write nothing");
        s.add("prune", &P::prune,
              "Drop the undo history of all but the newest N operations and compact the database (what retag "
              "needs is kept)");
        s.range(0, std::nullopt);
        s.add("db", &P::db, "Database file (default: DIR/.tagmetry/tagmetry.db)");
        return s;
      }()};
  return op;
}

const Operation<MergeParams>& merge_operation() {
  static const Operation<MergeParams> op{
      {"merge", "Join shard databases (of tag runs with a shard i/N) into one", "", ""},
      [] {
        OptionSet<MergeParams> s;
        s.positional("out", &MergeParams::out, "Output database (created, or merged into when it exists)");
        s.positional("inputs", &MergeParams::inputs, "Shard databases to join");
        return s;
      }()};
  return op;
}

}  // namespace tagmetry
