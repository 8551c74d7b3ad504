#pragma once
// How a tagger model wants its input and what its output means (DESIGN.md, "Tagger model
// specifications"). What can be read from the model file (input shape and layout, output size, logits
// or probabilities) is read; the model type only fills in what cannot be read (channel order, normalisation).

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "tagmetry/defaults.h"
#include "tagmetry/labels.h"
#include "tagmetry/model_registry.h"  // ModelType
#include "tagmetry/status.h"

namespace tagmetry {

enum class TensorLayout { kNhwc, kNchw };

// OpenAI CLIP's image normalisation (RGB), which JoyTag's input uses.
inline constexpr std::array<double, 3> kClipImageMean{0.48145466, 0.4578275, 0.40821073};
inline constexpr std::array<double, 3> kClipImageStd{0.26862954, 0.26130258, 0.27577711};

struct TaggerSpec {
  ModelType type = ModelType::kWd;
  TensorLayout layout = TensorLayout::kNhwc;
  int side = 448;
  bool bgr = true;                            // channel order fed to the model
  bool scale_to_unit = false;                 // divide by 255
  std::array<float, 3> mean{0, 0, 0};         // subtracted after scaling, in RGB order
  std::array<float, 3> std{1, 1, 1};          // divided after the mean, in RGB order
  bool output_is_logits = false;              // apply sigmoid to the output (read from the model by Tagger::open)
  size_t output_size = 0;
  double default_general_threshold = kDefaultGeneralThreshold;
  double default_character_threshold = kDefaultCharacterThreshold;

  // Human-readable lines: what was read from the model and what was assumed from the type.
  std::vector<std::string> read_from_model;
  std::vector<std::string> assumed;
};

// Spec defaults for a model type (DESIGN.md table), before anything is read from a model.
TaggerSpec default_spec(ModelType type);

// Files of a local model folder: model.onnx plus selected_tags.csv (WD) or top_tags.txt (JoyTag).
struct ModelFolder {
  std::filesystem::path model;
  std::filesystem::path labels;
  ModelType type = ModelType::kWd;
};

// Finds the model and labels files in `dir`; `forced_type` ("auto", "wd", "joytag") overrides detection.
// Errors: missing model.onnx, missing labels file (naming which one the type needs).
Result<ModelFolder> find_model_files(const std::filesystem::path& dir, std::string_view forced_type = "auto");

}  // namespace tagmetry
