// Review decisions written to captions through the journal, and their undo.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "tagmetry/caption.h"
#include "tagmetry/caption_file.h"
#include "tagmetry/dataset.h"
#include "tagmetry/files.h"
#include "tagmetry/retag.h"
#include "tagmetry/review.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_selection.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

bool has_tag(const std::vector<std::string>& tags, const std::string& label) {
  return std::any_of(tags.begin(), tags.end(), [&](const std::string& t) { return same_tag(t, label); });
}

// `text` (a caption's bytes, or nullopt for no file) with `label` added at the end of the tag line or
// removed from it; other lines and the line endings kept. Errors for text that is not UTF-8.
Result<std::optional<std::string>> with_tag(const std::optional<std::string>& text, const std::string& label,
                                            bool add, const std::string& name) {
  if (!text) {
    if (!add) return text;
    return std::optional<std::string>(label);
  }
  TM_ASSIGN_OR_RETURN(CaptionFile file, parse_caption_file(*text, name));
  std::vector<std::string> tags = file.lines.empty() ? std::vector<std::string>{} : parse_tags(file.lines[0]);
  if (add == has_tag(tags, label)) return text;
  if (add) {
    // Written the way the caption already writes tags: with spaces when it uses them.
    bool spaces = std::any_of(tags.begin(), tags.end(), [](const std::string& t) { return t.find(' ') != std::string::npos; });
    bool underscores = std::any_of(tags.begin(), tags.end(), [](const std::string& t) { return t.find('_') != std::string::npos; });
    tags.push_back(spaces && !underscores ? remove_underscore(label) : label);
  } else {
    std::erase_if(tags, [&](const std::string& t) { return same_tag(t, label); });
  }
  file.set_line(0, format_tags(tags));
  return std::optional<std::string>(file.bytes());
}

struct Target {
  std::string image, caption;  // relpaths
  fs::path caption_path;
  std::string sha256;
};

Result<Target> resolve_image(JournaledDataset& dataset, const std::string& image, const std::string& extension) {
  const fs::path root = dataset.root();
  std::string rel = replace_all(image, "\\", "/");
  if (rel.empty() || rel[0] == '/' || rel.starts_with("../") || rel.find("/../") != std::string::npos)
    return invalid_argument(image + ": not a path inside the dataset");
  fs::path path = root / rel;
  if (!has_image_extension(path) || !fs::is_regular_file(path)) return not_found(image + ": no such image in " + root.string());
  if (!inside_dataset(root, path)) return invalid_argument(image + ": a symbolic link to outside the dataset");
  Target t;
  t.image = rel;
  t.caption_path = caption_path_for(path, extension);
  t.caption = relative_generic(t.caption_path, root);
  std::unordered_map<std::string, ImageRecord> known;
  TM_ASSIGN_OR_RETURN(auto stored, stored_image(dataset.store(), rel));
  if (stored) known.emplace(rel, *stored);
  TM_ASSIGN_OR_RETURN(t.sha256, content_hash(path, rel, known, nullptr));
  return t;
}

// Writes `after` over `before` as one "review" operation, running `in_transaction` with the journal rows.
Status write_caption_change(JournaledDataset& dataset, const Target& target, const std::optional<std::string>& before,
                            const std::optional<std::string>& after, const std::string& args,
                            const std::function<Status()>& in_transaction) {
  if (before == after) {
    TM_RETURN_IF_ERROR(dataset.store().begin());
    Status s = in_transaction();
    if (!s.ok()) {
      (void)dataset.store().rollback();
      return s;
    }
    return dataset.store().commit();
  }
  CaptionWrite w;
  w.relpath = target.caption;
  w.before = before;
  w.after = after;
  dataset.journal().begin_operation("review", args);
  TM_ASSIGN_OR_RETURN(auto results, dataset.journal().apply({w}, in_transaction));
  if (!results.empty() && !results[0].ok()) return results[0];
  return {};
}

ReviewDecisionResult result_of(const Target& t, const std::string& label, ReviewVerdict verdict,
                               const std::optional<std::string>& before, const std::optional<std::string>& after) {
  ReviewDecisionResult r;
  r.image = t.image;
  r.caption = t.caption;
  r.label = label;
  r.verdict = verdict;
  r.written = before != after;
  r.text = after;
  return r;
}

}  // namespace

std::string ReviewDecisionResult::to_json(int indent) const {
  nlohmann::json j{{"image", image},     {"caption", caption}, {"tag", label}, {"decision", verdict_name(verdict)},
                   {"written", written}, {"text", text ? nlohmann::json(*text) : nlohmann::json(nullptr)}};
  return j.dump(indent);
}

Result<ReviewDecisionResult> decide_review(JournaledDataset& dataset, const ReviewDecisionRequest& request,
                                           const std::string& args) {
  if (trim(request.label).empty()) return invalid_argument("no tag to decide on");
  TM_ASSIGN_OR_RETURN(Target target, resolve_image(dataset, request.image, request.caption_extension));
  Store& store = dataset.store();
  // The model's spelling of the label, and its score for the image.
  ReviewDecision d;
  d.sha256 = target.sha256;
  d.label = replace_all(trim(request.label), " ", "_");
  d.verdict = request.verdict;
  d.image = target.image;
  d.caption = target.caption;
  auto model = pick_stored_model(store, request.model);
  if (model.ok()) {
    for (size_t i = 0; i < model->labels.size(); ++i)
      if (same_tag(model->labels.labels[i].name, d.label)) {
        d.label = model->labels.labels[i].name;
        TM_ASSIGN_OR_RETURN(auto scores, store.get_scores(target.sha256, model->id, model->labels.size()));
        if (i < scores.size()) d.score = scores[i];
        d.model_id = model->id;
        break;
      }
  } else if (!request.model.empty()) {
    return model.status();
  }
  TM_ASSIGN_OR_RETURN(auto before, read_dataset_caption(dataset.root(), target.caption_path));
  TM_ASSIGN_OR_RETURN(auto after, with_tag(before, d.label, request.verdict == ReviewVerdict::kAccept, target.caption));
  d.before = before;
  d.after = after;
  TM_RETURN_IF_ERROR(write_caption_change(dataset, target, before, after, args,
                                          [&]() { return put_review_decision(store, d); }));
  return result_of(target, d.label, d.verdict, before, after);
}

Result<std::optional<ReviewDecisionResult>> undo_review_decision(JournaledDataset& dataset, const std::string& args) {
  Store& store = dataset.store();
  TM_ASSIGN_OR_RETURN(auto last, last_review_decision(store));
  if (!last) return std::optional<ReviewDecisionResult>();
  Target target;
  target.image = last->image;
  target.caption = last->caption;
  target.caption_path = dataset.root() / last->caption;
  target.sha256 = last->sha256;
  TM_ASSIGN_OR_RETURN(auto current, read_dataset_caption(dataset.root(), target.caption_path));
  std::optional<std::string> restored = current;
  if (last->before != last->after) {
    if (current == last->after) {
      restored = last->before;  // nobody changed it since: exactly as it was
    } else {
      // Changed since (another decision on the same caption): only this tag goes back.
      bool was_in = false;
      if (last->before) {
        auto file = parse_caption_file(*last->before, target.caption);
        if (file.ok() && !file->lines.empty()) was_in = has_tag(parse_tags(file->lines[0]), last->label);
      }
      TM_ASSIGN_OR_RETURN(restored, with_tag(current, last->label, was_in, target.caption));
    }
  }
  TM_RETURN_IF_ERROR(write_caption_change(dataset, target, current, restored, args,
                                          [&]() { return delete_review_decision(store, last->sha256, last->label); }));
  return std::optional<ReviewDecisionResult>(result_of(target, last->label, last->verdict, current, restored));
}

}  // namespace tagmetry
