#include "tagmetry/tagger_spec.h"

#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

TaggerSpec default_spec(ModelType type) {
  TaggerSpec s;
  s.type = type;
  if (type == ModelType::kWd) {
    // SmilingWolf's WD14/WD v3 exports: NHWC, BGR, 0–255 (normalisation inside the graph), sigmoid inside.
    s.layout = TensorLayout::kNhwc;
    s.bgr = true;
    s.scale_to_unit = false;
    s.output_is_logits = false;
    s.default_general_threshold = kDefaultGeneralThreshold;
    s.default_character_threshold = kDefaultCharacterThreshold;
  } else {
    // fancyfeast/joytag: NCHW, RGB, /255 then CLIP mean/std, logits out.
    s.layout = TensorLayout::kNchw;
    s.bgr = false;
    s.scale_to_unit = true;
    for (int c = 0; c < 3; ++c) s.mean[c] = float(kClipImageMean[c]), s.std[c] = float(kClipImageStd[c]);
    s.output_is_logits = true;
    s.default_general_threshold = 0.4;
    s.default_character_threshold = 0.4;
  }
  return s;
}

Result<ModelFolder> find_model_files(const fs::path& dir, std::string_view forced_type) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return not_found(dir.string() + ": model folder not found");
  ModelFolder folder;
  folder.model = dir / "model.onnx";
  if (!fs::is_regular_file(folder.model, ec)) {
    // Accept a single *.onnx file under another name.
    fs::path only;
    int n = 0;
    for (auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".onnx" && e.path().filename().string().find(".int8.") == std::string::npos) {
        only = e.path();
        ++n;
      }
    }
    if (n != 1) return not_found(dir.string() + ": no model.onnx in the model folder");
    folder.model = only;
  }
  const fs::path wd = dir / "selected_tags.csv", joy = dir / "top_tags.txt";
  std::string forced = to_lower_ascii(forced_type);
  if (forced.empty() || forced == "auto") {
    if (fs::is_regular_file(wd, ec)) {
      folder.type = ModelType::kWd;
      folder.labels = wd;
    } else if (fs::is_regular_file(joy, ec)) {
      folder.type = ModelType::kJoyTag;
      folder.labels = joy;
    } else {
      return not_found(dir.string() + ": no labels file (selected_tags.csv for WD models, top_tags.txt for JoyTag)");
    }
    return folder;
  }
  TM_ASSIGN_OR_RETURN(folder.type, parse_model_type(forced));
  folder.labels = folder.type == ModelType::kWd ? wd : joy;
  if (!fs::is_regular_file(folder.labels, ec))
    return not_found(dir.string() + ": missing " + folder.labels.filename().string() + " (needed by a " +
                     model_type_name(folder.type) + " model)");
  return folder;
}

}  // namespace tagmetry
