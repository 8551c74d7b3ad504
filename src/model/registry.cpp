// The model registry as data. Thresholds: WD general = the P=R threshold published on each model card
// (SmilingWolf/*, checked 2026), WD character = 0.85 (SmilingWolf's wd-tagger demo default; the cards
// publish no per-category value), JoyTag = 0.4 (the threshold its F1 is reported at: "F1@0.4=0.578").
#include "tagmetry/model_registry.h"

#include "tagmetry/strings.h"

namespace tagmetry {
namespace {

constexpr uint64_t kMB = 1000ull * 1000ull;

ModelEntry wd(std::string name, std::string repo_name, std::string family, double general, std::string source,
              std::string description, uint64_t approx_mb, std::vector<std::string> extra_aliases = {}) {
  ModelEntry e;
  e.name = std::move(name);
  e.repo = "SmilingWolf/" + repo_name;
  e.aliases = std::move(extra_aliases);
  e.aliases.push_back(repo_name);
  e.type = ModelType::kWd;
  e.family = std::move(family);
  e.model_file = "model.onnx";
  e.labels_file = "selected_tags.csv";
  e.general_threshold = general;
  e.character_threshold = kDefaultCharacterThreshold;
  e.threshold_source = std::move(source) + "; character 0.85 = WD tagger demo default";
  static_assert(kDefaultCharacterThreshold == 0.85, "threshold_source names the value");
  e.description = std::move(description);
  e.approx_bytes = approx_mb * kMB;
  return e;
}

std::vector<ModelEntry> build_registry() {
  std::vector<ModelEntry> r;
  // WD v3 (Dataset v3, 10,861 labels, dynamic batch, 448 px; needs onnxruntime >= 1.17).
  r.push_back(wd("wd-vit-v3", "wd-vit-tagger-v3", "WD v3", 0.2614, "model card v2.0: P=R threshold 0.2614",
                 "ViT-B/16, 448 px; the default: fastest v3 on CPU, batchable", 379));
  r.back().is_default = true;
  r.push_back(wd("wd-swinv2-v3", "wd-swinv2-tagger-v3", "WD v3", 0.2653, "model card v2.0: P=R threshold 0.2653",
                 "SwinV2-B, 448 px; best F1 of the base-size v3 models (0.4541), slower than ViT on CPU", 467));
  r.push_back(wd("wd-convnext-v3", "wd-convnext-tagger-v3", "WD v3", 0.2682,
                 "model card v2.0: P=R threshold 0.2682", "ConvNeXt-B, 448 px", 395));
  r.push_back(wd("wd-vit-large-v3", "wd-vit-large-tagger-v3", "WD v3", 0.2606,
                 "model card v1.0: P=R threshold 0.2606 (not re-checked)", "ViT-L, 448 px; ~3x the compute of ViT-B",
                 1260));
  r.push_back(wd("wd-eva02-large-v3", "wd-eva02-large-tagger-v3", "WD v3", 0.5296,
                 "model card v1.0: P=R threshold 0.5296",
                 "EVA02-L, 448 px; best F1 of all WD models (0.4772), ~3x the compute of ViT-B", 1260));
  // WD14 v2 (Dataset v2, 9,083 labels, batch fixed to 1 in some exports, 448 px).
  r.push_back(wd("wd14-moat-v2", "wd-v1-4-moat-tagger-v2", "WD14 v2", 0.3771, "model card: P=R threshold 0.3771",
                 "MOAT, 448 px; best F1 of the v2 models (0.6911 on Dataset v2)", 326, {"wd14-moat"}));
  r.push_back(wd("wd14-swinv2-v2", "wd-v1-4-swinv2-tagger-v2", "WD14 v2", 0.3771,
                 "model card: P=R threshold 0.3771", "SwinV2, 448 px", 387, {"wd14-swinv2"}));
  r.push_back(wd("wd14-convnext-v2", "wd-v1-4-convnext-tagger-v2", "WD14 v2", 0.3685,
                 "model card: P=R threshold 0.3685", "ConvNeXt, 448 px; kohya-ss sd-scripts' default tagger", 394,
                 {"wd14-convnext"}));
  r.push_back(wd("wd14-convnextv2-v2", "wd-v1-4-convnextv2-tagger-v2", "WD14 v2", 0.3710,
                 "model card: P=R threshold 0.3710", "ConvNeXtV2, 448 px", 396, {"wd14-convnextv2"}));
  r.push_back(wd("wd14-vit-v2", "wd-v1-4-vit-tagger-v2", "WD14 v2", 0.3537, "model card: P=R threshold 0.3537",
                 "ViT, 448 px", 378, {"wd14-vit"}));
  // JoyTag.
  ModelEntry joy;
  joy.name = "joytag";
  joy.repo = "fancyfeast/joytag";
  joy.type = ModelType::kJoyTag;
  joy.family = "JoyTag";
  joy.model_file = "model.onnx";
  joy.labels_file = "top_tags.txt";
  joy.general_threshold = 0.4;
  joy.character_threshold = 0.4;
  joy.threshold_source = "repo commit message: F1@0.4=0.578";
  joy.description = "ViT-B/16, 448 px, NCHW, CLIP normalisation, logits; ~5,000 tags, no rating/character split";
  joy.approx_bytes = 366 * kMB;
  r.push_back(std::move(joy));
  return r;
}

bool iequals(std::string_view a, std::string_view b) { return to_lower_ascii(a) == to_lower_ascii(b); }

std::string known_names() {
  std::vector<std::string> names;
  for (auto& e : model_registry()) names.push_back(e.name);
  return join(names, ", ");
}

}  // namespace

const char* model_type_name(ModelType type) { return type == ModelType::kJoyTag ? "joytag" : "wd"; }

Result<ModelType> parse_model_type(std::string_view text) {
  std::string t = to_lower_ascii(trim(text));
  if (t == "wd") return ModelType::kWd;
  if (t == "joytag") return ModelType::kJoyTag;
  return invalid_argument("model type '" + std::string(text) + "' is not one of wd, joytag");
}

const std::vector<ModelEntry>& model_registry() {
  static const std::vector<ModelEntry> registry = build_registry();
  return registry;
}

const ModelEntry& default_model() {
  for (auto& e : model_registry())
    if (e.is_default) return e;
  return model_registry().front();
}

bool looks_like_repo_id(std::string_view name) {
  auto slash = name.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == name.size()) return false;
  if (name.find('/', slash + 1) != std::string_view::npos) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == '/';
    if (!ok) return false;
  }
  return name.find("..") == std::string_view::npos;
}

Result<ModelEntry> find_model(std::string_view name_with_revision, std::optional<ModelType> type_for_unknown_repo) {
  std::string_view name = trim(name_with_revision);
  std::string revision;
  if (auto at = name.rfind('@'); at != std::string_view::npos) {
    revision = std::string(trim(name.substr(at + 1)));
    name = trim(name.substr(0, at));
    if (revision.empty()) return invalid_argument("model '" + std::string(name_with_revision) + "': empty revision after '@'");
  }
  if (name.empty()) return invalid_argument("empty model name; known models: " + known_names());
  for (auto& e : model_registry()) {
    bool match = iequals(e.name, name) || iequals(e.repo, name);
    for (auto& a : e.aliases) match = match || iequals(a, name);
    if (match) {
      ModelEntry copy = e;
      if (!revision.empty()) copy.revision = revision;
      return copy;
    }
  }
  if (looks_like_repo_id(name) && type_for_unknown_repo) {
    ModelEntry e;
    e.name = std::string(name);
    e.repo = std::string(name);
    e.type = *type_for_unknown_repo;
    e.registered = false;
    if (e.type == ModelType::kJoyTag) {
      e.family = "JoyTag layout";
      e.labels_file = "top_tags.txt";
      e.general_threshold = e.character_threshold = 0.4;
    } else {
      e.family = "WD layout";
      e.labels_file = "selected_tags.csv";
      e.general_threshold = kDefaultGeneralThreshold;
      e.character_threshold = kDefaultCharacterThreshold;
    }
    e.threshold_source = "family default (unregistered repo)";
    e.description = "unregistered repo, " + std::string(model_type_name(e.type)) + " layout assumed";
    if (!revision.empty()) e.revision = revision;
    return e;
  }
  std::string hint = looks_like_repo_id(name) ? " (an unregistered repo id needs --model-type wd|joytag)" : "";
  return not_found("unknown model '" + std::string(name) + "'" + hint + "; known models: " + known_names());
}

}  // namespace tagmetry
