#pragma once
// Batch edits of kohya caption files (`tagmetry edit`): pure functions on tag lists, and a run over a
// dataset folder that applies one operation to every caption's tag line (the first line; further lines
// of hybrid captions are kept byte for byte), never touches *_jp.txt or other non-caption files, keeps a
// file's BOM and line endings, and writes atomically. The web app reuses both layers.

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

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
  enum class Kind { kAdd, kRemove, kReplace, kMoveFirst, kDedupe, kSort };
  Kind kind = Kind::kAdd;
  std::vector<std::string> tags;  // add / remove / move-first: tags or patterns; replace: {OLD, NEW}
  MatchMode match = MatchMode::kExact;
  AddPosition position = AddPosition::kFirst;
  size_t index = 0;               // for AddPosition::kIndex (0-based)
  std::string sort_by = "alpha";  // alpha | frequency | confidence
};

const char* edit_kind_name(EditOperation::Kind kind);

struct EditParams {
  bool dry_run = false;
  bool recursive = false;
  std::string caption_extension = ".txt";
};

struct CaptionChange {
  std::string file;    // relative to the dataset root
  std::string before;  // tag line before
  std::string after;   // tag line after
};

struct EditReport {
  size_t files = 0;      // caption files looked at
  size_t changed = 0;    // files whose tag line changed (written unless dry_run)
  size_t tags_added = 0, tags_removed = 0;
  std::vector<CaptionChange> changes;
  std::vector<std::pair<std::string, std::string>> skipped;  // file, reason (not UTF-8, unreadable, write failed)
};

// Applies `op` to the tag line of every caption file paired with an image under `root` (files ending
// in "_jp" + extension are never touched). Unchanged files are not rewritten. Errors only for a bad
// root or an invalid operation (bad pattern; sort by confidence, which needs stored model scores that
// this version does not keep: kUnsupported); per-file problems go to report.skipped.
Result<EditReport> run_edit(const std::filesystem::path& root, const EditOperation& op, const EditParams& params);

// A unified-style diff of one change ("--- a/x.txt", "+++ b/x.txt", "@@ -1 +1 @@", "-old", "+new").
std::string format_change_diff(const CaptionChange& change);

}  // namespace tagmetry
