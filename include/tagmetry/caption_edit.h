#pragma once
// Batch edits of kohya caption files (`tagmetry edit`): pure functions on tag lists, and a run over a
// dataset folder that applies one operation to every line of every caption (each line a comma-separated
// list; `sort` only reorders the first, the tag line), never touches *_jp.txt or other non-caption files,
// keeps a file's BOM and line endings, and writes through the caption journal under the dataset lock (so
// `tagmetry undo` reverts it and `retag` re-applies it). The web app reuses both layers.

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tagmetry/operation.h"
#include "tagmetry/status.h"

namespace tagmetry {

enum class MatchMode { kExact, kGlob, kRegex };

// Parses "exact", "glob", "regex".
Result<MatchMode> parse_match_mode(const std::string& name);

// Checks that `tag` (trimmed) can be one tag of a caption's tag line: not empty, no comma (it would be
// read back as two tags) and no line break. The error names the tag.
Status check_tag(std::string_view tag);

// Matches whole tags: exact text, a glob (`*` any run, `?` one character, `[abc]` a set; UTF-8 aware
// for `?`), or an ECMAScript regular expression that must match the whole tag. Copyable; const methods
// are thread-safe.
class TagMatcher {
 public:
  // Errors name the pattern for invalid regular expressions or unclosed '[' in globs.
  static Result<TagMatcher> create(const std::string& pattern, MatchMode mode);

  bool matches(const std::string& tag) const;
  // For regex matchers, replaces the whole tag using $1-style references in `replacement`; otherwise
  // returns `replacement`. Precondition: matches(tag).
  std::string replace(const std::string& tag, const std::string& replacement) const;

  const std::string& pattern() const { return pattern_; }
  MatchMode mode() const { return mode_; }

 private:
  std::string pattern_;
  MatchMode mode_ = MatchMode::kExact;
  std::shared_ptr<const std::regex> regex_;
};

// --- pure edits on one tag list (each returns the new list) ---------------------------------------

enum class AddPosition { kFirst, kLast, kIndex };

// Adds `tags` in the given order at the front (kFirst), end (kLast) or before index `index` (kIndex,
// clamped to the list). A tag already present elsewhere is moved to the requested place, so a trigger
// tag ends up exactly once, where asked.
std::vector<std::string> add_tags(const std::vector<std::string>& tags, const std::vector<std::string>& add,
                                  AddPosition position, size_t index = 0);

// Removes every tag that any matcher matches.
std::vector<std::string> remove_tags(const std::vector<std::string>& tags, const std::vector<TagMatcher>& matchers);

// Replaces every matching tag with `replacement` (regex: with $n references expanded); a replacement
// that is empty removes the tag; duplicates created by the replacement are dropped (first kept).
std::vector<std::string> replace_tags(const std::vector<std::string>& tags, const TagMatcher& matcher,
                                      const std::string& replacement);
// Replaces every matching tag with the tags of `replacements`, in order, at its place (one tag replaced
// by several); the same rules apply to each replacement.
std::vector<std::string> replace_tags(const std::vector<std::string>& tags, const TagMatcher& matcher,
                                      const std::vector<std::string>& replacements);

// Moves the matching tags to the front: tags matched by the first matcher first (in their current
// order), then the second's, …; the rest keep their order.
std::vector<std::string> move_first(const std::vector<std::string>& tags, const std::vector<TagMatcher>& matchers);

// Drops repeated tags, keeping the first occurrence.
std::vector<std::string> dedupe_tags(const std::vector<std::string>& tags);

// Sorts by byte order (which is alphabetical for ASCII tags); stable.
std::vector<std::string> sort_tags_alpha(const std::vector<std::string>& tags);

// Sorts by dataset frequency (`counts`, highest first), ties by byte order.
std::vector<std::string> sort_tags_by_frequency(const std::vector<std::string>& tags,
                                                const std::map<std::string, size_t>& counts);

// --- a run over a dataset folder -------------------------------------------------------------------

struct EditOperation {
  // kToUtf8: convert Shift-JIS / UTF-16 captions to UTF-8 (line endings kept); UTF-8 ones are untouched.
  enum class Kind { kAdd, kRemove, kReplace, kMoveFirst, kDedupe, kSort, kToUtf8 };
  Kind kind = Kind::kAdd;
  // add / remove / move-first: tags or patterns; replace: {OLD, NEW} or {OLD, NEW1, NEW2, …} (one tag
  // replaced by several, in order; the CLI gives one NEW, the web app's tag-wide replace several).
  std::vector<std::string> tags;
  MatchMode match = MatchMode::kExact;
  AddPosition position = AddPosition::kFirst;
  size_t index = 0;               // for AddPosition::kIndex (0-based)
  std::string sort_by = "alpha";  // alpha | frequency | confidence
  // sort: how many leading tags stay in place (kohya's keep_tokens); -1 = the dataset's trigger when it
  // has one (the tag that starts at least 80% of its captions), else none.
  int keep = -1;
};

const char* edit_kind_name(EditOperation::Kind kind);

// An EditOperation checked once and ready to apply to many tag lists (patterns compiled): the edit that
// `tagmetry edit` (run_edit) and the web app's batch edit both run. Copyable; apply() is thread-safe.
class PreparedEdit {
 public:
  // Checks `op`: add, remove and move-first need at least one tag; replace needs OLD and at least one
  // NEW; each tag added, and each non-empty NEW, must be a single tag (check_tag); patterns must compile; sort_by is alpha,
  // frequency or confidence. Tags and patterns are trimmed. Errors (kInvalidArgument) name the tag or
  // pattern.
  static Result<PreparedEdit> create(const EditOperation& op);

  const EditOperation& operation() const { return op_; }
  // The tag list after the edit. kSort here sorts by byte order after op.keep leading tags (none when
  // keep < 0): sorting by frequency or confidence needs the whole dataset (run_edit does it); kToUtf8
  // leaves tags as they are.
  std::vector<std::string> apply(const std::vector<std::string>& tags) const;

 private:
  EditOperation op_;  // tags trimmed
  std::vector<TagMatcher> matchers_;
};

// Tags of `after` missing from `before` (added) and of `before` missing from `after` (removed): how
// EditReport counts tags_added and tags_removed (the distinct tags of a file's edited lines).
struct TagDelta {
  size_t added = 0, removed = 0;
};
TagDelta tag_delta(const std::set<std::string>& before, const std::set<std::string>& after);
// The same for tag lists (each counted once however often it repeats), without building sets: what the
// web app's batch edit counts for thousands of captions.
TagDelta tag_delta(const std::vector<std::string>& before, const std::vector<std::string>& after);

struct EditParams {
  bool dry_run = false;
  bool recursive = false;
  std::string caption_extension = ".txt";
  bool first_line_only = false;  // edit only the tag line of multi-line captions
  std::string db;                // database file; empty = DATASET/.tagmetry/tagmetry.db
  std::string command_line;      // recorded in the journal
};

// `tagmetry edit DIR <operation>`: the run's settings plus the dataset and how TAG arguments match.
// The operation itself (add/remove/…, its TAG arguments and flags) is an EditOperation.
struct EditCommandParams : EditParams {
  std::string dir;
  std::string match = "exact";  // parse_match_mode
};
// The operation's declaration (name, summary, options; include/tagmetry/operation.h).
const Operation<EditCommandParams>& edit_operation();

struct CaptionChange {
  std::string file;    // relative to the dataset root
  std::string before;  // the caption's text before (lines joined with "\n", no BOM or CR)
  std::string after;   // and after
};

struct EditReport {
  std::string operation;  // edit_kind_name() of the operation
  bool dry_run = false;
  size_t files = 0;      // caption files looked at
  size_t changed = 0;    // files whose tag line changed (written unless dry_run)
  size_t tags_added = 0, tags_removed = 0;
  std::vector<CaptionChange> changes;
  std::vector<std::pair<std::string, std::string>> skipped;  // file, reason (not UTF-8, unreadable, write failed)
};

// The report as JSON, as `edit --json` prints it and POST /api/batch answers (docs/edit.md): {"operation",
// "dry_run", "files", "changed", "unchanged", "tags_added", "tags_removed", "changes": [{"file",
// "before", "after"}], "skipped": [{"file", "error"}]}.
nlohmann::json to_json(const EditReport& report);

// Applies `op` to every caption file paired with an image under `root` (files ending in "_jp" +
// extension are never touched) as one journaled operation "edit", holding the dataset lock (not taken
// for dry_run). Unchanged files are not rewritten. Errors: a bad root, an invalid operation (bad
// pattern; sort by confidence without stored scores: kNotFound), another run holding the lock
// (kBusy), a database error. Per-file problems (not UTF-8, a symbolic link to outside the
// dataset, a failed write) go to report.skipped.
Result<EditReport> run_edit(const std::filesystem::path& root, const EditOperation& op, const EditParams& params);

// The leading tag shared by at least `share` of `first_tags` (each caption's first tag; "" for none), or
// "" when no tag is that common or there are fewer than two captions: the dataset's trigger.
std::string common_first_tag(const std::vector<std::string>& first_tags, double share = 0.8);

// A unified-style diff of one change ("--- a/x.txt", "+++ b/x.txt", "@@ -1 +1 @@", "-old", "+new"; one
// -/+ line per caption line).
std::string format_change_diff(const CaptionChange& change);

}  // namespace tagmetry
