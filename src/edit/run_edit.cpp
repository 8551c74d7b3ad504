// run_edit: applies one EditOperation to every caption file of a dataset folder, through the journal.
#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>

#include "tagmetry/caption.h"
#include "tagmetry/caption_edit.h"
#include "tagmetry/caption_file.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/dataset.h"
#include "tagmetry/files.h"
#include "tagmetry/store.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

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
    case EditOperation::Kind::kToUtf8: return "to-utf8";
  }
  return "edit";
}

std::string format_change_diff(const CaptionChange& c) {
  std::vector<std::string> before = split(c.before, "\n"), after = split(c.after, "\n");
  std::string out = "--- a/" + c.file + "\n+++ b/" + c.file + "\n";
  if (before.size() == 1 && after.size() == 1) out += "@@ -1 +1 @@\n";
  else out += "@@ -1," + std::to_string(before.size()) + " +1," + std::to_string(after.size()) + " @@\n";
  for (auto& l : before) out += "-" + l + "\n";
  for (auto& l : after) out += "+" + l + "\n";
  return out;
}

std::string common_first_tag(const std::vector<std::string>& first_tags, double share) {
  if (first_tags.size() < 2) return "";
  std::unordered_map<std::string, size_t> count;
  std::string best;
  for (auto& t : first_tags) {
    if (t.empty()) continue;
    size_t n = ++count[t];
    if (n > (best.empty() ? 0 : count[best])) best = t;
  }
  if (best.empty() || static_cast<double>(count[best]) < share * static_cast<double>(first_tags.size())) return "";
  return best;
}

namespace {

bool is_jp_caption(const fs::path& caption, const std::string& ext) {
  std::string name = caption.filename().string();
  std::string suffix = "_jp" + ext;
  return name.size() > suffix.size() && to_lower_ascii(name.substr(name.size() - suffix.size())) == to_lower_ascii(suffix);
}

std::string joined_text(const CaptionFile& c) { return join(c.lines, "\n"); }

// Model scores by image relpath, then by tag (normalised: "long hair" and "long_hair" are one tag), from
// the database `tag` filled. Errors (kNotFound) when there is none or it holds no model.
struct StoredConfidence {
  std::unordered_map<std::string, std::unordered_map<std::string, float>> by_image;
};

Result<StoredConfidence> load_confidence(const fs::path& root, const EditParams& params, const Dataset& dataset) {
  const fs::path db_path = params.db.empty() ? default_store_path(root) : fs::path(params.db);
  auto opened = Store::open_read_only(db_path);
  if (!opened.ok()) {
    if (opened.status().code() != ErrorCode::kNotFound) return opened.status();
    return not_found("sort --by confidence needs the model scores that `tagmetry tag` stores; there is no database at " +
                     db_path.string() + " (run `tagmetry tag` first, or use --by alpha or --by frequency)");
  }
  Store& store = **opened;
  TM_ASSIGN_OR_RETURN(auto model, store.latest_model());
  if (!model || model->labels.size() == 0)
    return not_found("sort --by confidence needs the model scores that `tagmetry tag` stores; " + db_path.string() +
                     " holds none (run `tagmetry tag` first, or use --by alpha or --by frequency)");
  TM_ASSIGN_OR_RETURN(auto images, store.images());
  StoredConfidence out;
  for (const auto& item : dataset.items) {
    auto it = images.find(item.relpath);
    if (it == images.end()) continue;
    TM_ASSIGN_OR_RETURN(auto scores, store.get_scores(it->second.sha256, model->id, model->labels.size()));
    if (scores.empty()) continue;
    auto& m = out.by_image[item.relpath];
    for (size_t i = 0; i < scores.size(); ++i) m[normalize_tag_name(model->labels.labels[i].name)] = scores[i];
  }
  return out;
}

std::vector<std::string> sort_by_confidence(const std::vector<std::string>& tags,
                                            const std::unordered_map<std::string, float>* scores) {
  std::vector<std::string> out = tags;
  auto score = [&](const std::string& t) {
    if (!scores) return -1.0f;
    auto it = scores->find(normalize_tag_name(t));
    return it == scores->end() ? -1.0f : it->second;  // tags the model never scored go last, in their order
  };
  std::stable_sort(out.begin(), out.end(), [&](const std::string& a, const std::string& b) { return score(a) > score(b); });
  return out;
}

}  // namespace

Result<EditReport> run_edit(const fs::path& root, const EditOperation& op, const EditParams& params) {
  using Kind = EditOperation::Kind;
  // Validate the operation before touching anything.
  TM_ASSIGN_OR_RETURN(const PreparedEdit prepared, PreparedEdit::create(op));

  // The lock first, so no other run writes between our reads and our writes.
  std::optional<JournaledDataset> opened;
  if (!params.dry_run) {
    TM_ASSIGN_OR_RETURN(JournaledDataset o, open_journaled_dataset(root, params.db));
    opened.emplace(std::move(o));
  }

  ScanOptions scan;
  scan.recursive = params.recursive;
  scan.caption_extension = params.caption_extension;
  TM_ASSIGN_OR_RETURN(Dataset dataset, scan_dataset(root, scan));

  StoredConfidence confidence;
  if (op.kind == Kind::kSort && op.sort_by == "confidence") {
    TM_ASSIGN_OR_RETURN(confidence, load_confidence(root, params, dataset));
  }

  EditReport report;
  report.operation = edit_kind_name(op.kind);
  report.dry_run = params.dry_run;
  struct Entry {
    const DatasetItem* item;
    std::string rel;
    std::string bytes;
    CaptionFile caption;
  };
  std::vector<Entry> entries;
  std::set<std::string> seen;  // a.png and a.jpg share a.txt: edit it once
  for (const auto& item : dataset.items) {
    if (!item.has_caption || is_jp_caption(item.caption, params.caption_extension)) continue;
    std::string rel = relative_generic(item.caption, dataset.root);
    if (!seen.insert(rel).second) continue;
    ++report.files;
    auto bytes = read_dataset_caption(dataset.root, item.caption);
    if (!bytes.ok() || !bytes->has_value()) {
      report.skipped.emplace_back(rel, bytes.ok() ? item.caption.string() + ": disappeared" : bytes.status().message());
      continue;
    }
    Entry e{&item, rel, std::move(**bytes), {}};
    if (op.kind == Kind::kToUtf8) {
      entries.push_back(std::move(e));
      continue;
    }
    auto c = parse_caption_file(e.bytes, item.caption.string());
    if (!c.ok()) {
      report.skipped.emplace_back(rel, c.status().message());
      continue;
    }
    e.caption = std::move(c).value();
    entries.push_back(std::move(e));
  }

  std::map<std::string, size_t> counts;
  if (op.kind == Kind::kSort && op.sort_by == "frequency") {
    for (const auto& e : entries)
      if (!e.caption.lines.empty())
        for (const auto& t : dedupe_tags(parse_tags(e.caption.lines[0]))) ++counts[t];
  }
  std::string trigger;
  if (op.kind == Kind::kSort && op.keep < 0) {
    std::vector<std::string> firsts;
    for (const auto& e : entries) {
      auto tags = e.caption.lines.empty() ? std::vector<std::string>{} : parse_tags(e.caption.lines[0]);
      firsts.push_back(tags.empty() ? "" : tags[0]);
    }
    trigger = common_first_tag(firsts);
  }

  auto edit_line = [&](const std::vector<std::string>& before, const Entry& e) {
    switch (op.kind) {
      case Kind::kSort: {
        // The leading keep_tokens tags (the trigger) stay where they are.
        size_t keep = op.keep >= 0 ? static_cast<size_t>(op.keep) : (!trigger.empty() && !before.empty() && before[0] == trigger);
        keep = std::min(keep, before.size());
        std::vector<std::string> head(before.begin(), before.begin() + static_cast<long>(keep));
        std::vector<std::string> tail(before.begin() + static_cast<long>(keep), before.end());
        if (op.sort_by == "alpha") tail = sort_tags_alpha(tail);
        else if (op.sort_by == "frequency") tail = sort_tags_by_frequency(tail, counts);
        else {
          auto it = confidence.by_image.find(e.item->relpath);
          tail = sort_by_confidence(tail, it == confidence.by_image.end() ? nullptr : &it->second);
        }
        head.insert(head.end(), tail.begin(), tail.end());
        return head;
      }
      default: return prepared.apply(before);
    }
  };

  std::vector<CaptionWrite> writes;
  std::vector<CaptionChange> changes;
  std::vector<std::pair<size_t, size_t>> tag_counts;  // added, removed per write
  for (auto& e : entries) {
    CaptionWrite w;
    w.relpath = e.rel;
    w.before = e.bytes;
    size_t added = 0, removed = 0;
    CaptionChange change{e.rel, "", ""};
    if (op.kind == Kind::kToUtf8) {
      auto valid = parse_caption_file(e.bytes, e.item->caption.string());
      if (valid.ok()) continue;  // already UTF-8
      auto converted = convert_caption_to_utf8(e.bytes, e.item->caption.string());
      if (!converted.ok()) {
        report.skipped.emplace_back(e.rel, converted.status().message());
        continue;
      }
      w.after = *converted;
      change.before = "(" + guess_non_utf8_encoding(e.bytes) + ")";
      change.after = normalize_newlines(*converted);
      while (!change.after.empty() && change.after.back() == '\n') change.after.pop_back();
    } else {
      CaptionFile after = e.caption;
      // sort reorders the tag line only: further lines of hybrid captions are sentences.
      const size_t lines = op.kind == Kind::kSort || params.first_line_only ? std::min<size_t>(1, after.lines.size())
                                                                              : after.lines.size();
      std::set<std::string> b, a;  // the tags of the edited lines, before and after
      for (size_t i = 0; i < lines; ++i) {
        if (trim(after.lines[i]).empty()) continue;
        const std::vector<std::string> before = parse_tags(after.lines[i]);
        std::vector<std::string> edited = edit_line(before, e);
        b.insert(before.begin(), before.end());
        a.insert(edited.begin(), edited.end());
        if (edited != before) after.lines[i] = format_tags(edited);
      }
      const TagDelta delta = tag_delta(b, a);
      added = delta.added;
      removed = delta.removed;
      w.after = after.bytes();
      if (w.after == w.before) continue;
      change.before = joined_text(e.caption);
      change.after = joined_text(after);
    }
    writes.push_back(std::move(w));
    changes.push_back(std::move(change));
    tag_counts.emplace_back(added, removed);
  }

  std::vector<Status> results(writes.size());
  if (!params.dry_run && !writes.empty()) {
    CaptionJournal& journal = opened->journal();
    journal.begin_operation("edit", params.command_line);
    TM_ASSIGN_OR_RETURN(results, journal.apply(writes));
  }
  for (size_t i = 0; i < writes.size(); ++i) {
    if (!results[i].ok()) {
      report.skipped.emplace_back(writes[i].relpath, results[i].message());
      continue;
    }
    report.tags_added += tag_counts[i].first;
    report.tags_removed += tag_counts[i].second;
    ++report.changed;
    report.changes.push_back(std::move(changes[i]));
  }
  return report;
}

const Operation<EditCommandParams>& edit_operation() {
  static const Operation<EditCommandParams> op{
      {"edit", "Batch-edit caption tags: add (trigger tag), remove, replace, move-first, dedupe, sort, to-utf8", "",
       "edit.md"},
      [] {
        using P = EditCommandParams;
        OptionSet<P> s;
        s.positional("dir", &P::dir, "Dataset folder (images with caption files beside them)");
        s.add("match", &P::match,
              "How TAG arguments match tags: exact, glob (*, ? = one character, [abc]), regex (ECMAScript, must "
              "match the whole tag)",
              {"exact", "glob", "regex"});
        s.add("dry-run", &P::dry_run, "Print a diff of each changed tag line and the summary; write nothing");
        s.add("recursive", &P::recursive, "Also edit captions in subfolders (folders starting with . are skipped)");
        s.add("caption-extension", &P::caption_extension, "Caption file extension (kohya's caption_extension)");
        s.add("first-line-only", &P::first_line_only,
              "Edit only the first (tag) line of multi-line captions; default: every line");
        s.add("db", &P::db,
              "Database file holding the journal and the scores that sort by confidence reads (default: "
              "DIR/.tagmetry/tagmetry.db)");
        return s;
      }()};
  return op;
}

}  // namespace tagmetry
