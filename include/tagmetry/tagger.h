#pragma once
// A loaded tagger: ONNX session + spec + labels, checked against each other. Converts decoded images
// to the model's input tensor and returns per-label probabilities.

#include <filesystem>
#include <memory>
#include <vector>

#include "tagmetry/image.h"
#include "tagmetry/infer.h"
#include "tagmetry/labels.h"
#include "tagmetry/status.h"
#include "tagmetry/tagger_spec.h"

namespace tagmetry {

class Tagger {
 public:
  // Opens `folder.model` and its labels, reads what the model says about itself (input layout and
  // side, output size, logits or probabilities: see GraphSummary::output_kind) and checks the labels
  // count against the output size.
  // Errors are kModel/kNotFound/kCorrupt naming the file: truncated model, label count mismatch.
  static Result<std::unique_ptr<Tagger>> open(const ModelFolder& folder, const SessionOptions& options);

  const TaggerSpec& spec() const { return spec_; }
  const LabelSet& labels() const { return labels_; }
  const InferenceSession& session() const { return *session_; }
  const std::filesystem::path& model_path() const { return model_path_; }

  // Floats per image in the input tensor (side * side * 3).
  size_t input_size() const { return static_cast<size_t>(spec_.side) * spec_.side * 3; }

  // Writes `image` (must be side x side RGB) into `dst` (input_size() floats) in the model's layout,
  // channel order and value range. Thread-safe.
  void preprocess(const RgbImage& image, float* dst) const;

  // Decodes `path` and preprocesses it into `dst`. Thread-safe.
  Status load_and_preprocess(const std::filesystem::path& path, float* dst) const;

  // Runs `count` preprocessed images (contiguous in `input`) and returns one probability vector per
  // image (sigmoid applied when the model outputs logits: spec().output_is_logits, fixed by open()). An
  // image whose output has NaN/Inf gets an empty vector. Not thread-safe (one inference thread).
  Result<std::vector<std::vector<float>>> infer(const float* input, size_t count);

 private:
  Tagger() = default;

  TaggerSpec spec_;
  LabelSet labels_;
  std::unique_ptr<InferenceSession> session_;
  std::filesystem::path model_path_;
};

}  // namespace tagmetry
