#pragma once
// The flow shared by the int8 and fp16 copies of a model: build into "<output>.partial", check its agreement
// with the fp32 model, rename into place or refuse; and the cached copy beside the fp32 model.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "tagmetry/quantize.h"

namespace tagmetry {

struct AgreementOutcome {
  std::optional<AgreementReport> agreement;
  bool synthetic_sample = false;
  bool below_min_f1 = false;
  bool refused = false;
};

// Calls `build(partial)` (true: the model changed, so check it; false: nothing to check), checks the partial
// model against `input` when asked, then renames it to `output` unless refused. The partial file never
// survives an error or a refusal.
Result<AgreementOutcome> build_and_check(const std::filesystem::path& input, const std::filesystem::path& output,
                                         const std::function<Result<bool>(const std::filesystem::path&)>& build,
                                         const AgreementCheckParams& check);

// ".../model.onnx" → ".../model.<suffix>.onnx".
std::filesystem::path sibling_model_path(const std::filesystem::path& fp32_model, const std::string& suffix);

// Whether `copy` exists and is not older than `fp32_model`.
bool fresh_copy(const std::filesystem::path& copy, const std::filesystem::path& fp32_model);

// The kModel error for a copy refused by its agreement check ("int8", "fp16").
Status refused_copy_error(const std::filesystem::path& fp32_model, const std::string& what, const AgreementReport& a,
                          double min_f1, const std::string& alternative);

// "; tag-set F1 0.967 against fp32 on 8 images (max |dp| 0.0096)" or "" without agreement.
std::string describe_agreement(const std::optional<AgreementReport>& a, bool synthetic);

}  // namespace tagmetry
