// tagmetry undo DIR: revert the last operation's caption writes; --list shows the journal, --prune N drops
// the history of all but the newest N operations.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <optional>
#include <nlohmann/json.hpp>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/store.h"
#include "tagmetry/store_operations.h"

namespace tagmetry::cli {
namespace {

std::string local_time(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

struct UndoCommand : UndoParams {
  bool json = false;

  int run() {
    namespace fs = std::filesystem;
    fs::path db_path = db.empty() ? default_store_path(dir) : fs::path(db);
    if (list) {  // a reader: no lock, nothing written (works on a read-only dataset and during a run)
      auto store = Store::open_read_only(db_path);
      if (!store.ok()) return fail(store.status());
      auto journal = CaptionJournal::open_read_only(**store, dir);
      if (!journal.ok()) return fail(journal.status());
      return print_list(*journal);
    }
    auto opened = open_journaled_dataset(dir, db_path, /*create=*/false);
    if (!opened.ok()) return fail(opened.status());
    CaptionJournal* journal = &opened->journal();
    if (prune) return run_prune(*journal);

    UndoOptions options{skip_changed, dry_run};
    auto report = undo_last_operation(*journal, options, command_line("tagmetry undo"));
    if (!report.ok()) return fail(report.status());
    const UndoReport& r = *report;
    if (json) {
      nlohmann::json j = to_json(r);
      j["dry_run"] = dry_run;
      std::printf("%s\n", j.dump(2).c_str());
    }
    if (r.operation_id == 0) {
      if (!json && r.history_pruned)
        std::printf("nothing to undo: the history of older operations was pruned (undo --prune)\n");
      else if (!json)
        std::printf("nothing to undo\n");
      return kExitOk;
    }
    if (r.refused) {
      // A summary, not one line per file: a big dataset would print thousands.
      const size_t shown = std::min<size_t>(r.changed.size(), 5);
      for (size_t i = 0; i < shown; ++i)
        print_error(r.changed[i] + ": changed since `" + r.command + "` wrote it; not overwriting");
      if (r.changed.size() > shown)
        print_error("… and " + std::to_string(r.changed.size() - shown) + " more (undo --dry-run --json lists them all)");
      print_error("undo refused: " + std::to_string(r.changed.size()) +
                  " caption(s) were changed by hand since; nothing was written (--skip-changed reverts the others)");
      return kExitSomeFailed;
    }
    if (r.nothing_reverted) {
      if (!json)
        std::printf("nothing reverted: all %zu caption(s) written by operation #%lld (%s) were changed by hand "
                    "since; the operation stays in the history\n",
                    r.changed.size(), static_cast<long long>(r.operation_id), r.command.c_str());
      return kExitOk;
    }
    if (!json) {
      std::printf("%s %zu caption(s) written by operation #%lld (%s)\n", dry_run ? "would revert" : "reverted",
                  r.reverted.size(), static_cast<long long>(r.operation_id), r.command.c_str());
      for (auto& p : r.changed) std::printf("  kept (changed by hand since): %s\n", p.c_str());
    }
    return kExitOk;
  }

  int fail(const Status& s) {
    print_error(s);
    return exit_code_for(s);
  }

  int run_prune(CaptionJournal& journal) {
    auto r = journal.prune(static_cast<size_t>(*prune));
    if (!r.ok()) return fail(r.status());
    if (json) {
      nlohmann::json j{{"kept_operations", *prune},     {"operations_pruned", r->operations_pruned},
                       {"rows_deleted", r->rows_deleted}, {"rows_kept", r->rows_kept},
                       {"bytes_before", r->bytes_before}, {"bytes_after", r->bytes_after}};
      std::printf("%s\n", j.dump(2).c_str());
      return kExitOk;
    }
    if (r->operations_pruned == 0 && r->rows_deleted == 0) {
      std::printf("nothing to prune: the journal holds at most %zu operation(s)\n", static_cast<size_t>(*prune));
      return kExitOk;
    }
    std::printf("pruned the history of %lld operation(s): %lld journal row(s) deleted, %lld kept (the last write "
                "of each caption, for retag); database %.1f MB -> %.1f MB\n",
                static_cast<long long>(r->operations_pruned), static_cast<long long>(r->rows_deleted),
                static_cast<long long>(r->rows_kept), r->bytes_before / 1e6, r->bytes_after / 1e6);
    return kExitOk;
  }

  int print_list(const CaptionJournal& journal) {
    auto ops = journal.operations();
    if (!ops.ok()) return fail(ops.status());
    if (json) {
      nlohmann::json arr = nlohmann::json::array();
      for (auto& op : *ops) arr.push_back(to_json(op));
      std::printf("%s\n", arr.dump(2).c_str());
      return kExitOk;
    }
    if (ops->empty()) std::printf("no caption writes recorded\n");
    for (auto& op : *ops) {
      std::string note = op.undone_by ? "  (undone by #" + std::to_string(*op.undone_by) + ")"
                         : op.undoes  ? "  (reverts #" + std::to_string(*op.undoes) + ")"
                                      : "";
      if (op.pruned) note += "  (history pruned)";
      std::printf("#%-4lld %s  %-6s %5lld file(s)  %s%s\n", static_cast<long long>(op.id), local_time(op.time).c_str(),
                  op.command.c_str(), static_cast<long long>(op.files), op.args.c_str(), note.c_str());
    }
    return kExitOk;
  }
};

RunFunction setup(CLI::App& app) {
  auto cmd = std::make_shared<UndoCommand>();
  auto bound = std::make_shared<BoundOptions<UndoParams>>(app, undo_operation());
  app.get_option("dir")->check(CLI::ExistingDirectory);
  app.get_option("--prune")->excludes("--list")->excludes("--dry-run")->excludes("--skip-changed");
  app.add_flag("--json", cmd->json, "Print JSON on stdout");
  return [cmd, bound] {
    if (Status s = bound->apply(*cmd); !s.ok()) {
      print_error(s);
      return kExitUsage;
    }
    return cmd->run();
  };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(undo_operation(), 13, setup);

}  // namespace tagmetry::cli
