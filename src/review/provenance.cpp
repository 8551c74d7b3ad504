// Tag provenance from the caption journal and the stored scores.
#include "tagmetry/provenance.h"

#include <algorithm>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "tagmetry/caption.h"
#include "tagmetry/caption_file.h"
#include "tagmetry/dataset.h"
#include "tagmetry/files.h"
#include "tagmetry/retag.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_selection.h"
#include "tagmetry/tag_thresholds.h"

namespace tagmetry {
namespace fs = std::filesystem;

const char* origin_name(TagOrigin origin) {
  switch (origin) {
    case TagOrigin::kModel: return "model";
    case TagOrigin::kEdit: return "edit";
    case TagOrigin::kReview: return "review";
    default: return "external";
  }
}

const Operation<ProvenanceParams>& provenance_operation() {
  static const Operation<ProvenanceParams> op{{"tags", "Where each tag of a caption came from (model score, edit, review, outside)", "", "review.md"}, [] {
    OptionSet<ProvenanceParams> s;
    s.add("image", &ProvenanceParams::image, "The image whose caption to explain (path relative to DIR)")
        .add("model", &ProvenanceParams::model, "Model whose scores to show: name or sha256 prefix (default: the one used last)")
        .add("db", &ProvenanceParams::db, "Database file (default: DIR/.tagmetry/tagmetry.db)")
        .add("caption-extension", &ProvenanceParams::caption_extension, "Caption file extension");
    return s;
  }()};
  return op;
}

const OptionSet<ProvenanceParams>& provenance_options() { return provenance_operation().options; }

namespace {

std::vector<std::string> tag_line(const std::optional<std::string>& text) {
  if (!text) return {};
  auto file = parse_caption_file(*text, "caption");
  if (!file.ok() || file->lines.empty()) return {};
  return parse_tags(file->lines[0]);
}

bool has_tag(const std::vector<std::string>& tags, const std::string& tag) {
  return std::any_of(tags.begin(), tags.end(), [&](const std::string& t) { return same_tag(t, tag); });
}

// The value of `--name V` / `--name=V` in a recorded command line, or "".
std::string arg_value(const std::vector<std::string>& words, const std::string& name, bool* present = nullptr) {
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i] == "--" + name) {
      if (present) *present = true;
      return i + 1 < words.size() ? words[i + 1] : "";
    }
    if (words[i].starts_with("--" + name + "=")) {
      if (present) *present = true;
      return words[i].substr(name.size() + 3);
    }
  }
  return "";
}

// The threshold a tag/retag run with command line `args` applied to `label` (category `category`).
std::optional<double> run_threshold(const std::string& args, const std::string& label, TagCategory category,
                                    const ModelRecord* model, const Store& store) {
  std::vector<std::string> words = split_trimmed(args, " ");
  bool mcut = false;
  arg_value(words, "mcut", &mcut);
  auto number = [](const std::string& s) -> std::optional<double> {
    if (s.empty()) return std::nullopt;
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size() ? std::optional<double>(v) : std::nullopt;
  };
  std::string per_tag = arg_value(words, "thresholds");
  if (!per_tag.empty() && model) {
    std::optional<TagThresholdMap> map;
    if (per_tag == "learned") {
      auto learned = learn_tag_thresholds(store, *model, {});
      if (learned.ok()) map = learned->learned_map();
    } else if (auto csv = read_thresholds_csv(per_tag); csv.ok()) {
      map = std::move(*csv);
    }
    if (map)
      if (auto it = map->find(label); it != map->end()) return it->second;
  }
  if (mcut) return std::nullopt;
  const bool character = category == TagCategory::kCharacter;
  if (auto v = number(arg_value(words, character ? "character-threshold" : "general-threshold"))) return v;
  if (auto v = number(arg_value(words, "threshold"))) return v;
  if (!model) return std::nullopt;
  return character ? model->default_character_threshold : model->default_general_threshold;
}

}  // namespace

std::string CaptionProvenance::to_json(int indent) const {
  nlohmann::json tags_json = nlohmann::json::array();
  for (auto& t : tags) {
    nlohmann::json j{{"tag", t.tag},
                     {"origin", origin_name(t.origin)},
                     {"command", t.command},
                     {"operation", t.operation_id},
                     {"time", t.time},
                     {"score", t.score ? nlohmann::json(*t.score) : nlohmann::json(nullptr)},
                     {"threshold", t.threshold ? nlohmann::json(*t.threshold) : nlohmann::json(nullptr)},
                     {"decision", t.decision ? nlohmann::json(verdict_name(*t.decision)) : nlohmann::json(nullptr)}};
    tags_json.push_back(std::move(j));
  }
  nlohmann::json j{{"image", image}, {"caption", caption}, {"model", model}, {"changed_outside", changed_outside},
                   {"tags", tags_json}};
  return j.dump(indent);
}

Result<CaptionProvenance> caption_provenance(const Store& store, const CaptionJournal& journal,
                                             const ProvenanceParams& params) {
  const fs::path root = journal.root();
  std::string rel = replace_all(params.image, "\\", "/");
  const fs::path image = root / rel;
  if (rel.empty() || !fs::is_regular_file(image) || !has_image_extension(image))
    return not_found(params.image + ": no such image in " + root.string());
  CaptionProvenance out;
  out.image = rel;
  const fs::path caption_path = caption_path_for(image, params.caption_extension);
  out.caption = relative_generic(caption_path, root);
  TM_ASSIGN_OR_RETURN(auto current, read_dataset_caption(root, caption_path));
  TM_ASSIGN_OR_RETURN(auto history, journal.history(out.caption));
  TM_ASSIGN_OR_RETURN(auto operations, journal.operations());
  std::unordered_map<int64_t, const OperationRecord*> operation_of;
  for (auto& op : operations) operation_of.emplace(op.id, &op);
  out.changed_outside = !history.empty() && history.back().after != current;

  // Scores of the image.
  std::optional<ModelRecord> model;
  if (auto m = pick_stored_model(store, params.model); m.ok()) model = std::move(*m);
  else if (!params.model.empty()) return m.status();
  std::vector<float> scores;
  std::string sha;
  {
    std::unordered_map<std::string, ImageRecord> known;
    TM_ASSIGN_OR_RETURN(auto stored, stored_image(store, rel));
    if (stored) known.emplace(rel, *stored);
    std::error_code ec;
    if (!fs::is_regular_file(image, ec)) return not_found(rel + ": the image is no longer in the folder");
    TM_ASSIGN_OR_RETURN(sha, content_hash(image, rel, known, nullptr));
  }
  if (model) {
    out.model = model->name;
    TM_ASSIGN_OR_RETURN(scores, store.get_scores(sha, model->id, model->labels.size()));
  }

  const std::vector<std::string> last_after = history.empty() ? std::vector<std::string>{} : tag_line(history.back().after);
  for (const std::string& tag : tag_line(current)) {
    TagProvenance p;
    p.tag = tag;
    // The write that added it: the newest whose before lacks it and whose after has it. Undo, redo and
    // retag's re-applied edits only carry a tag forward: its origin is the write before them.
    const JournalEntry* added = nullptr;
    bool carried_by_retag = false;
    if (!out.changed_outside || has_tag(last_after, tag)) {
      for (size_t k = history.size(); k-- > 0;) {
        const JournalEntry& e = history[k];
        if (!has_tag(tag_line(e.after), tag)) break;  // not in this write's text: added outside since
        if (e.command == "undo" || e.command == "redo") {
          // It restored the text from before the write it reverted: continue from before that write.
          size_t r = k;
          while (r-- > 0 && !(history[r].after == e.before && history[r].before == e.after)) {
          }
          if (r == static_cast<size_t>(-1)) break;
          k = r;
          continue;
        }
        if (has_tag(tag_line(e.before), tag)) continue;
        if (e.command == "retag:edits") {
          carried_by_retag = true;
          continue;
        }
        added = &e;
        break;
      }
    }
    if (added) {
      p.command = added->command;
      p.operation_id = added->operation_id;
      p.time = added->time;
      if (added->command == "tag" || added->command == "retag") p.origin = TagOrigin::kModel;
      else if (added->command == "review") p.origin = TagOrigin::kReview;
      else p.origin = TagOrigin::kEdit;
    } else if (carried_by_retag) {
      p.origin = TagOrigin::kModel;
      p.command = "retag";
    }
    const std::string label = replace_all(tag, " ", "_");
    TagCategory category = TagCategory::kGeneral;
    if (model)
      for (size_t i = 0; i < model->labels.size(); ++i)
        if (same_tag(model->labels.labels[i].name, tag)) {
          category = model->labels.labels[i].category;
          if (i < scores.size()) p.score = scores[i];
          break;
        }
    if (p.origin == TagOrigin::kModel) {
      std::string args;
      if (added)
        if (auto op = operation_of.find(added->operation_id); op != operation_of.end()) args = op->second->args;
      p.threshold = run_threshold(args, label, category, model ? &*model : nullptr, store);
    }
    TM_ASSIGN_OR_RETURN(auto decision, find_review_decision(store, sha, model ? label : label));
    if (decision) p.decision = decision->verdict;
    out.tags.push_back(std::move(p));
  }
  return out;
}

Result<CaptionProvenance> run_tag_provenance(const fs::path& dataset_dir, const ProvenanceParams& params) {
  if (params.image.empty()) return invalid_argument("--image is required (the image whose caption to explain)");
  const fs::path db = params.db.empty() ? default_store_path(dataset_dir) : fs::path(params.db);
  TM_ASSIGN_OR_RETURN(auto store, Store::open_read_only(db));
  TM_ASSIGN_OR_RETURN(auto journal, CaptionJournal::open_read_only(*store, dataset_dir));
  return caption_provenance(*store, journal, params);
}

}  // namespace tagmetry
