// run_edit: applies one EditOperation to the tag line of every caption file in a dataset folder.
#include <set>

#include "tagmetry/caption.h"
#include "tagmetry/caption_edit.h"
#include "tagmetry/dataset.h"
#include "tagmetry/files.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

const char* edit_kind_name(EditOperation::Kind kind) {
  switch (kind) {
    case EditOperation::Kind::kAdd: return "add";
    case EditOperation::Kind::kRemove: return "remove";
    case EditOperation::Kind::kReplace: return "replace";
    case EditOperation::Kind::kMoveFirst: return "move-first";
    case EditOperation::Kind::kDedupe: return "dedupe";
    case EditOperation::Kind::kSort: return "sort";
  }
  return "edit";
}

std::string format_change_diff(const CaptionChange& c) {
  return "--- a/" + c.file + "\n+++ b/" + c.file + "\n@@ -1 +1 @@\n-" + c.before + "\n+" + c.after + "\n";
}

namespace {

// A caption file split so that everything but the tag line is kept byte for byte.
struct CaptionBytes {
  std::string bom;       // "\xEF\xBB\xBF" or ""
  std::string tag_line;  // first line without its line ending
  std::string rest;      // from the first line ending to the end of the file
};

Result<CaptionBytes> split_caption(const fs::path& path) {
  TM_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  CaptionBytes c;
  std::string_view body = bytes;
  if (body.substr(0, 3) == "\xEF\xBB\xBF") {
    c.bom = "\xEF\xBB\xBF";
    body.remove_prefix(3);
  }
  if (size_t bad = find_invalid_utf8(body); bad != std::string_view::npos) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(body[bad]));
    return corrupt(path.string() + ": not valid UTF-8 (byte " + hex + " at offset " + std::to_string(bad + c.bom.size()) +
                   "); left unchanged");
  }
  size_t eol = body.find_first_of("\r\n");
  c.tag_line = std::string(body.substr(0, eol));
  if (eol != std::string_view::npos) c.rest = std::string(body.substr(eol));
  return c;
}

bool is_jp_caption(const fs::path& caption, const std::string& ext) {
  std::string name = caption.filename().string();
  std::string suffix = "_jp" + ext;
  return name.size() > suffix.size() && to_lower_ascii(name.substr(name.size() - suffix.size())) == to_lower_ascii(suffix);
}

Result<std::vector<TagMatcher>> matchers_for(const std::vector<std::string>& patterns, MatchMode mode) {
  std::vector<TagMatcher> out;
  for (const auto& p : patterns) {
    TM_ASSIGN_OR_RETURN(TagMatcher m, TagMatcher::create(p, mode));
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

Result<EditReport> run_edit(const fs::path& root, const EditOperation& op, const EditParams& params) {
  using Kind = EditOperation::Kind;
  // Validate the operation before touching anything.
  std::vector<TagMatcher> matchers;
  if (op.kind == Kind::kRemove || op.kind == Kind::kMoveFirst || op.kind == Kind::kReplace) {
    std::vector<std::string> patterns = op.tags;
    if (op.kind == Kind::kReplace) {
      if (op.tags.size() != 2) return invalid_argument("replace needs OLD and NEW");
      patterns = {op.tags[0]};
    }
    TM_ASSIGN_OR_RETURN(matchers, matchers_for(patterns, op.match));
  }
  std::vector<std::string> add;
  for (const auto& t : op.tags) {
    std::string tag(trim(t));
    if (op.kind == Kind::kAdd && (tag.empty() || tag.find(',') != std::string::npos))
      return invalid_argument("add: '" + t + "' is not a single tag (empty or contains a comma)");
    add.push_back(tag);
  }
  if ((op.kind == Kind::kAdd || op.kind == Kind::kRemove || op.kind == Kind::kMoveFirst) && op.tags.empty())
    return invalid_argument(std::string(edit_kind_name(op.kind)) + " needs at least one tag");
  if (op.kind == Kind::kSort && op.sort_by == "confidence")
    return unsupported("sort --by confidence needs the model scores that `tagmetry tag` stores; none are stored for " +
                       root.string() + " (use --by alpha or --by frequency)");
  if (op.kind == Kind::kSort && op.sort_by != "alpha" && op.sort_by != "frequency")
    return invalid_argument("sort --by: '" + op.sort_by + "' is not one of alpha, frequency, confidence");

  ScanOptions scan;
  scan.recursive = params.recursive;
  scan.caption_extension = params.caption_extension;
  TM_ASSIGN_OR_RETURN(Dataset dataset, scan_dataset(root, scan));

  EditReport report;
  struct Entry {
    fs::path path;
    std::string rel;
    CaptionBytes caption;
  };
  std::vector<Entry> entries;
  for (const auto& item : dataset.items) {
    if (!item.has_caption || is_jp_caption(item.caption, params.caption_extension)) continue;
    ++report.files;
    std::string rel = relative_generic(item.caption, dataset.root);
    auto c = split_caption(item.caption);
    if (!c.ok()) {
      report.skipped.emplace_back(rel, c.status().message());
      continue;
    }
    entries.push_back({item.caption, rel, std::move(c).value()});
  }

  std::map<std::string, size_t> counts;
  if (op.kind == Kind::kSort && op.sort_by == "frequency") {
    for (const auto& e : entries)
      for (const auto& t : dedupe_tags(parse_tags(e.caption.tag_line))) ++counts[t];
  }

  for (auto& e : entries) {
    const std::vector<std::string> before = parse_tags(e.caption.tag_line);
    std::vector<std::string> after;
    switch (op.kind) {
      case Kind::kAdd: after = add_tags(before, add, op.position, op.index); break;
      case Kind::kRemove: after = remove_tags(before, matchers); break;
      case Kind::kReplace: after = replace_tags(before, matchers[0], op.tags[1]); break;
      case Kind::kMoveFirst: after = move_first(before, matchers); break;
      case Kind::kDedupe: after = dedupe_tags(before); break;
      case Kind::kSort:
        after = op.sort_by == "alpha" ? sort_tags_alpha(before) : sort_tags_by_frequency(before, counts);
        break;
    }
    if (after == before) continue;
    const std::string new_line = format_tags(after);
    if (!params.dry_run) {
      Status s = write_file_atomic(e.path, e.caption.bom + new_line + e.caption.rest);
      if (!s.ok()) {
        report.skipped.emplace_back(e.rel, s.message());
        continue;
      }
    }
    std::set<std::string> b(before.begin(), before.end()), a(after.begin(), after.end());
    for (const auto& t : a) report.tags_added += b.count(t) ? 0 : 1;
    for (const auto& t : b) report.tags_removed += a.count(t) ? 0 : 1;
    ++report.changed;
    report.changes.push_back({e.rel, e.caption.tag_line, new_line});
  }
  return report;
}

}  // namespace tagmetry
