// tagmetry edit DIR <operation>: batch edits of caption tag lines (add/remove/replace/move-first/dedupe/
// sort) with exact, glob or regex matching, --dry-run diffs and a summary.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/caption_edit.h"

namespace tagmetry::cli {
namespace {

struct EditState {
  EditOperation op;
  std::vector<std::string> args;
  bool first = false, last = false;
  int position = -1;
  std::string sort_by = "alpha";
  int keep = -1;
};

int run(EditState& st, bool json, const BoundOptions<EditCommandParams>& bound) {
  EditCommandParams params;
  if (Status s = bound.apply(params); !s.ok()) {
    print_error(s);
    return kExitUsage;
  }
  auto mode = parse_match_mode(params.match);
  if (!mode.ok()) {
    print_error(mode.status());
    return kExitUsage;
  }
  EditOperation op = st.op;
  op.match = *mode;
  op.tags = st.args;
  op.sort_by = st.sort_by;
  op.keep = st.keep;
  if ((st.first ? 1 : 0) + (st.last ? 1 : 0) + (st.position >= 0 ? 1 : 0) > 1) {
    print_error("add: use only one of --first, --last, --position");
    return kExitUsage;
  }
  if (st.last) op.position = AddPosition::kLast;
  if (st.position >= 0) {
    op.position = AddPosition::kIndex;
    op.index = static_cast<size_t>(st.position);
  }
  params.caption_extension =
      resolve_caption_extension(params.dir, params.recursive, params.caption_extension, bound.given("caption-extension"));
  params.command_line = command_line("tagmetry edit");
  auto report = run_edit(params.dir, op, params);
  if (!report.ok()) {
    print_error(report.status());
    return exit_code_for(report.status());
  }
  const EditReport& r = *report;
  if (json) {
    std::cout << to_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    if (params.dry_run)
      for (const auto& c : r.changes) std::fputs(format_change_diff(c).c_str(), stdout);
    for (const auto& [file, why] : r.skipped) print_error("skipped " + why);
    std::printf("%s: %zu of %zu caption files %s (%zu tags added, %zu removed)%s\n", edit_kind_name(op.kind), r.changed,
                r.files, params.dry_run ? "would change" : "changed", r.tags_added, r.tags_removed,
                r.skipped.empty() ? "" : (", " + std::to_string(r.skipped.size()) + " skipped").c_str());
  }
  return r.skipped.empty() ? kExitOk : kExitSomeFailed;
}

RunFunction setup_edit(CLI::App& sub) {
  auto st = std::make_shared<EditState>();
  auto json = std::make_shared<bool>(false);
  auto bound = std::make_shared<BoundOptions<EditCommandParams>>(sub, edit_operation());
  sub.add_flag("--json", *json, "Print the summary (and changes) as JSON");
  sub.require_subcommand(1);
  auto op = [&sub, st](const char* name, const char* help, EditOperation::Kind kind) {
    CLI::App* c = sub.add_subcommand(name, help);
    c->fallthrough(true);  // --dry-run etc. may follow the operation
    c->callback([st, kind] { st->op.kind = kind; });
    return c;
  };
  CLI::App* add = op("add", "Add TAGs (default first; a tag already present is moved)", EditOperation::Kind::kAdd);
  add->add_option("TAG", st->args, "Tags to add")->required();
  add->add_flag("--first", st->first, "Put the tags first (default)");
  add->add_flag("--last", st->last, "Put the tags last");
  add->add_option("--position", st->position, "Put the tags before the N-th tag (0-based)");
  op("remove", "Remove tags matching TAG patterns", EditOperation::Kind::kRemove)
      ->add_option("TAG", st->args, "Tags or patterns")->required();
  op("replace", "Replace tags matching OLD with NEW (regex: $1 references)", EditOperation::Kind::kReplace)
      ->add_option("OLD NEW", st->args, "Pattern and replacement")->required()->expected(2);
  op("move-first", "Move matching tags to the front, in argument order", EditOperation::Kind::kMoveFirst)
      ->add_option("TAG", st->args, "Tags or patterns")->required();
  op("dedupe", "Remove repeated tags (first kept)", EditOperation::Kind::kDedupe);
  CLI::App* sort = op("sort", "Sort the tags of the tag line (the leading trigger stays first)", EditOperation::Kind::kSort);
  sort->add_option("--by", st->sort_by,
                   "alpha, frequency (in this dataset, highest first) or confidence (the scores `tag` stored)")
      ->check(CLI::IsMember({"alpha", "frequency", "confidence"}));
  sort->add_option("--keep", st->keep,
                   "Leading tags that stay in place (kohya's keep_tokens); default: the trigger, when the "
                   "captions share a first tag")
      ->check(CLI::NonNegativeNumber);
  op("to-utf8", "Convert Shift-JIS and UTF-16 captions to UTF-8 (journaled: undo reverts it)",
     EditOperation::Kind::kToUtf8);
  return [st, json, bound]() { return run(*st, *json, *bound); };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(edit_operation(), 30, setup_edit);

}  // namespace tagmetry::cli
