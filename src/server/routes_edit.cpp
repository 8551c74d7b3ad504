// Editing routes: one caption (with version check), batch tag edits, undo/redo through the journal,
// the history, and the list of captions changed since a generation.
#include <algorithm>
#include <cstdint>

#include "http_util.h"
#include "server_state.h"
#include "tagmetry/caption.h"
#include "tagmetry/caption_edit.h"
#include "tagmetry/strings.h"

namespace tagmetry::server {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxCaptionBytes = 1u << 20;

// The batch edit of a request body's `op` ({"kind": "add", "tags": [...], "position", "index", "match"}),
// checked as `tagmetry edit` checks it. Kinds: add, remove, replace, move_first.
Result<PreparedEdit> edit_from_json(const json& op) {
  if (op.contains("kind") && !op["kind"].is_string()) return invalid_argument("op.kind must be a string");
  if (op.contains("position") && !op["position"].is_string()) return invalid_argument("op.position must be a string");
  if (op.contains("match") && !op["match"].is_string()) return invalid_argument("op.match must be a string");
  EditOperation edit;
  const std::string kind = op.value("kind", "");
  if (kind == "add") edit.kind = EditOperation::Kind::kAdd;
  else if (kind == "remove") edit.kind = EditOperation::Kind::kRemove;
  else if (kind == "replace") edit.kind = EditOperation::Kind::kReplace;
  else if (kind == "move_first") edit.kind = EditOperation::Kind::kMoveFirst;
  else return invalid_argument("op.kind must be add, remove, replace or move_first");
  if (op.contains("tags")) {
    if (!op["tags"].is_array()) return invalid_argument("op.tags must be an array of strings");
    for (auto& t : op["tags"]) {
      if (!t.is_string()) return invalid_argument("op.tags must be an array of strings");
      edit.tags.push_back(t.get<std::string>());
    }
  }
  if (edit.kind == EditOperation::Kind::kReplace && edit.tags.size() < 2)
    return invalid_argument("op.tags must be [OLD, NEW, …] for replace");
  TM_ASSIGN_OR_RETURN(edit.match, parse_match_mode(op.value("match", "exact")));
  const std::string position = op.value("position", "first");
  if (position == "first") edit.position = AddPosition::kFirst;
  else if (position == "last") edit.position = AddPosition::kLast;
  else if (position == "index") edit.position = AddPosition::kIndex;
  else return invalid_argument("op.position must be first, last or index");
  if (op.contains("index")) {
    if (!op["index"].is_number_unsigned()) return invalid_argument("op.index must be a whole number >= 0");
    edit.index = op["index"].get<size_t>();
  }
  return PreparedEdit::create(edit);
}

}  // namespace

std::string in_file_layout(std::string text, const std::optional<std::string>& current) {
  if (!current) return text;
  std::string out;
  bool bom = current->rfind("\xEF\xBB\xBF", 0) == 0;
  bool crlf = current->find("\r\n") != std::string::npos;
  bool final_newline = !current->empty() && current->back() == '\n';
  if (final_newline && !text.empty() && text.back() != '\n') text += '\n';
  if (bom) out = "\xEF\xBB\xBF";
  out += crlf ? replace_all(text, "\n", "\r\n") : text;
  return out;
}

void register_edit_routes(State& s) {
  auto& http = s.http;

  http.Put(R"(/api/image/(\d+)/caption)", [&s](const httplib::Request& req, httplib::Response& res) {
    size_t id = 0;
    IndexedImage img;
    if (!image_of(s, req, res, id, img)) return;
    auto body = parse_body(req);
    if (!body.ok()) return send_status(res, body.status());
    if (!body->contains("text") || !(*body)["text"].is_string())
      return send_error(res, 400, "bad_request", "body.text (the caption) is required");
    if (!body->contains("version") || !(*body)["version"].is_string())
      return send_error(res, 400, "bad_request", "body.version (the version the edit started from) is required");
    std::string text = (*body)["text"].get<std::string>();
    std::string version = (*body)["version"].get<std::string>();
    if (text.size() > kMaxCaptionBytes) return send_error(res, 413, "too_large", "caption over 1 MiB");
    if (!is_valid_utf8(text)) return send_error(res, 400, "bad_request", "caption text is not valid UTF-8");
    text = normalize_newlines(text);

    std::optional<std::string> conflict_text;
    std::string conflict_version;
    int64_t operation = 0;
    auto results = s.write_captions(
        "serve:edit",
        [&]() -> Result<std::vector<CaptionWrite>> {
          TM_ASSIGN_OR_RETURN(auto current, read_caption_if_exists(s.root / img.caption_path));
          std::string now = caption_version(current);
          if (now != version) {
            conflict_version = now;
            conflict_text = current ? parse_caption_text(*current).text() : std::string();
            return already_exists(img.caption_path + ": changed since the editor loaded it");
          }
          std::string after = in_file_layout(text, current);
          if (current && *current == after) return std::vector<CaptionWrite>();
          CaptionWrite w;
          w.relpath = img.caption_path;
          w.before = current;
          w.after = after;
          return std::vector<CaptionWrite>{w};
        },
        nullptr, &operation);
    if (!results.ok()) {
      if (conflict_text) {
        return send_error(res, 409, "conflict", results.status().message(),
                          {{"current", {{"caption", *conflict_text}, {"version", conflict_version}}}, {"yours", text}});
      }
      return send_status(res, results.status());
    }
    for (auto& r : *results)
      if (!r.ok()) return send_status(res, r);
    s.index->reload(id);
    IndexedImage now;
    s.index->get(id, now);
    send_json(res, {{"id", id},
                    {"version", now.version},
                    {"caption", now.text},
                    {"tags", now.tags},
                    {"operation", operation == 0 ? json() : json(operation)}});
  });

  http.Post("/api/batch", [&s](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.ok()) return send_status(res, body.status());
    if (!body->contains("op") || !(*body)["op"].is_object())
      return send_error(res, 400, "bad_request", "body.op (the edit) is required");
    const json op = (*body)["op"];
    std::vector<uint32_t> ids;
    if (body->contains("ids")) {
      if (!(*body)["ids"].is_array()) return send_error(res, 400, "bad_request", "body.ids must be an array of image ids");
      for (auto& v : (*body)["ids"]) {
        if (!v.is_number_unsigned() || v.get<size_t>() >= s.index->id_count())
          return send_error(res, 400, "bad_request", "body.ids holds an unknown image id: " + v.dump());
        ids.push_back(v.get<uint32_t>());
      }
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    } else if (body->contains("filter")) {
      auto filter = filter_from_json((*body)["filter"]);
      if (!filter.ok()) return send_status(res, filter.status());
      ids = s.index->match(*filter);
    } else {
      return send_error(res, 400, "bad_request", "body.ids or body.filter is required");
    }
    // Validate the op once (bad patterns are a 400 before anything is written).
    auto edit = edit_from_json(op);
    if (!edit.ok()) return send_status(res, edit.status());

    bool dry_run = false;
    if (body->contains("dry_run")) {
      if (!(*body)["dry_run"].is_boolean()) return send_error(res, 400, "bad_request", "body.dry_run must be true or false");
      dry_run = (*body)["dry_run"].get<bool>();
    }
    size_t max_changes = SIZE_MAX;
    if (body->contains("max_changes")) {
      if (!(*body)["max_changes"].is_number_unsigned())
        return send_error(res, 400, "bad_request", "body.max_changes must be a whole number >= 0");
      max_changes = (*body)["max_changes"].get<size_t>();
    }
    EditReport report;
    report.operation = edit_kind_name(edit->operation().kind);
    report.dry_run = dry_run;
    json skipped_ids = json::array();
    auto skip = [&](const std::string& file, const std::string& why, uint32_t id) {
      report.skipped.emplace_back(file, why);
      skipped_ids.push_back(id);
    };
    std::vector<uint32_t> write_ids;  // the image of each write
    std::vector<CaptionChange> changes;
    std::vector<TagDelta> deltas;
    // The edit of one caption (`current`: its file's bytes, nullopt when it has none): the write, or
    // nothing when the tag line does not change.
    auto plan = [&](const IndexedImage& img, uint32_t id, const std::optional<std::string>& current,
                    std::vector<CaptionWrite>& writes) {
      if (current && !is_valid_utf8(*current)) {
        skip(img.caption_path, img.caption_path + ": not valid UTF-8; not edited", id);
        return;
      }
      // Only the tag line (the first line) changes. Removing from, replacing in or reordering a
      // missing caption does nothing; adding creates it.
      if (!current && edit->operation().kind != EditOperation::Kind::kAdd) return;
      std::string text = current ? parse_caption_text(*current).text() : std::string();
      CaptionText caption = parse_caption_text(text);
      const std::vector<std::string> before = caption.tags();
      const std::vector<std::string> after = edit->apply(before);
      if (caption.lines.empty()) caption.lines.push_back("");
      caption.lines[0] = format_tags(after);
      std::string edited = caption.text();
      if (current && edited == text) return;
      CaptionWrite w;
      w.relpath = img.caption_path;
      if (!dry_run) {  // a preview writes nothing
        w.before = current;
        w.after = in_file_layout(edited, current);
      }
      writes.push_back(std::move(w));
      write_ids.push_back(id);
      // A preview lists the first max_changes files; the rest are only counted.
      if (!dry_run || changes.size() < max_changes) changes.push_back({img.caption_path, text, edited});
      else changes.emplace_back();
      deltas.push_back(tag_delta(before, after));
    };
    int64_t operation = 0;
    std::vector<CaptionWrite> written;
    std::vector<Status> statuses;
    if (dry_run) {
      // The preview answers from the index (what the gallery shows), under its shared lock, without
      // reading files or taking the dataset lock: the apply that follows re-reads every file under it.
      s.index->visit(ids, [&](uint32_t id, const IndexedImage& img) {
        ++report.files;
        if (!img.error.empty()) return skip(img.caption_path, img.error, id);
        plan(img, id, img.has_caption ? std::optional<std::string>(img.text) : std::nullopt, written);
      });
      statuses.assign(written.size(), Status());
    } else {
      std::vector<IndexedImage> images;
      std::vector<uint32_t> image_ids;
      s.index->visit(ids, [&](uint32_t id, const IndexedImage& img) {
        images.push_back(img);
        image_ids.push_back(id);
      });
      report.files = images.size();
      auto results = s.write_captions(
          "serve:batch",
          [&]() -> Result<std::vector<CaptionWrite>> {
            std::vector<CaptionWrite> writes;
            for (size_t k = 0; k < images.size(); ++k) {
              const IndexedImage& img = images[k];
              auto current = read_caption_if_exists(s.root / img.caption_path);
              if (!current.ok()) {
                skip(img.caption_path, current.status().message(), image_ids[k]);
                continue;
              }
              plan(img, image_ids[k], *current, writes);
            }
            return writes;
          },
          &written, &operation);
      if (!results.ok()) return send_status(res, results.status());
      statuses = std::move(*results);
    }
    std::vector<uint32_t> changed_ids;
    for (size_t i = 0; i < statuses.size(); ++i) {
      if (!statuses[i].ok()) {
        skip(written[i].relpath, statuses[i].message(), write_ids[i]);
        continue;
      }
      changed_ids.push_back(write_ids[i]);
      ++report.changed;
      report.tags_added += deltas[i].added;
      report.tags_removed += deltas[i].removed;
      if (report.changes.size() < max_changes) report.changes.push_back(std::move(changes[i]));
    }
    // write_captions() already reloaded the written captions into the index.
    const std::vector<uint32_t>& changed = changed_ids;
    json out = to_json(report);  // the keys of `edit --json`, and the server's ids
    out["ids"] = changed;
    out["skipped_ids"] = skipped_ids;
    out["operation_id"] = operation == 0 ? json() : json(operation);
    send_json(res, out);
  });

  http.Get("/api/history", [&s](const httplib::Request&, httplib::Response& res) {
    json ops = json::array();
    bool can_undo = false, can_redo = false;
    {
      Status st = s.read_journal([&](const CaptionJournal& journal) -> Status {
        TM_ASSIGN_OR_RETURN(auto list, journal.operations());
        for (auto& op : list) {
          if (op.command != "undo" && !op.undone_by && op.files > 0) can_undo = true;
          if (ops.size() < 50) {
            json o = to_json(op);  // the keys of `undo --list --json`, and whether it is undone
            o["undone"] = op.undone_by.has_value();
            ops.push_back(std::move(o));
          }
        }
        TM_ASSIGN_OR_RETURN(auto redo, redo_candidate(journal));
        can_redo = redo.has_value();
        return {};
      });
      if (!st.ok()) return send_status(res, st);
    }
    send_json(res, {{"operations", ops}, {"can_undo", can_undo}, {"can_redo", can_redo}});
  });

  auto revert = [&s](bool redo, httplib::Response& res) {
    UndoReport report;
    Status st = s.with_journal([&](CaptionJournal& journal) -> Status {
      if (auto job = s.jobs.current(); job && !redo) {
        // The running tag job keeps writing into its operation: it can be undone once it ends.
        TM_ASSIGN_OR_RETURN(auto ops, journal.operations());
        for (auto& op : ops) {
          if (op.command == "undo" || op.undone_by) continue;
          if (op.command == "tag" && op.id > job->operations_before)
            return already_exists("the running tag job's captions can be undone once it ends (or cancel it)");
          break;
        }
      }
      auto r = redo ? redo_last_undo(journal, {}, "tagmetry serve") : undo_last_operation(journal, {}, "tagmetry serve");
      TM_RETURN_IF_ERROR(r.status());
      report = std::move(*r);
      return {};
    });
    if (!st.ok()) return send_status(res, st);
    if (report.operation_id == 0)
      return send_error(res, 404, "not_found",
                        redo                      ? "nothing to redo"
                        : report.history_pruned ? "nothing to undo: the history of older operations was pruned"
                                                : "nothing to undo");
    std::vector<uint32_t> reverted = s.reload_captions(report.reverted);
    std::vector<uint32_t> changed = s.reload_captions(report.changed);
    json body = to_json(report);  // and the image ids of those caption files
    body["reverted_ids"] = reverted;
    body["changed_ids"] = changed;
    if (report.refused) {
      return send_error(res, 409, "conflict",
                        std::to_string(report.changed.size()) + " caption(s) changed since operation #" +
                            std::to_string(report.operation_id) + " wrote them; nothing was " +
                            (redo ? "redone" : "undone"),
                        body);
    }
    send_json(res, body);
  };
  http.Post("/api/undo", [revert](const httplib::Request&, httplib::Response& res) { revert(false, res); });
  http.Post("/api/redo", [revert](const httplib::Request&, httplib::Response& res) { revert(true, res); });

  http.Get("/api/changes", [&s](const httplib::Request& req, httplib::Response& res) {
    uint64_t since = 0;
    if (req.has_param("since")) {
      auto v = parse_id(req.get_param_value("since"));
      if (!v) return send_error(res, 400, "bad_request", "since must be a generation number");
      since = *v;
    }
    bool overflow = false;
    uint64_t generation = s.index->generation();
    auto ids = s.index->changed_since(since, 1000, &overflow);
    json j{{"generation", generation}, {"ids", ids}};
    if (overflow) j["all"] = true;
    send_json(res, j);
  });
}

}  // namespace tagmetry::server
