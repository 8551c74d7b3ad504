#include "tagmetry/float16_model.h"
#include "tagmetry/model_registry.h"
#include "tagmetry/quantize.h"
#include "tagmetry/tag_pipeline.h"

namespace tagmetry {

namespace {
std::string sample_words(const TaggerModelOptions& options) {
  return options.int8_sample.empty() ? std::string("8 synthetic images")
                                     : "the first 8 images of " + options.int8_sample.string();
}

// --precision fp16: swap in the fp16 copy (built, checked against fp32 and cached on first use).
Result<ModelFolder> with_fp16(ModelFolder folder, const TagParams& params, const TaggerModelOptions& options) {
  auto note = [&](const std::string& text) {
    if (options.note) options.note(text);
  };
  if (params.device == "cpu" || params.device == "coreml")
    note("warning: --precision fp16 is made for GPUs (--device cuda); ONNX Runtime's CPU provider lacks most fp16 "
         "kernels and runs them in fp32 with conversions in between, so fp32 (or int8) is faster here");
  if (!float16_model_path(folder.model, /*create=*/false).ok())
    note("building the fp16 model once (" + folder.model.filename().string() +
         " -> fp16, then its agreement with fp32 on " + sample_words(options) + ")...");
  std::optional<CheckedFloat16Report> built;
  TM_ASSIGN_OR_RETURN(folder.model, float16_model_path(folder.model, /*create=*/true, options.int8_sample, &built));
  if (built) note("built " + describe(*built, folder.model));
  return folder;
}

// --precision int8 / fp16: swap in the converted copy (built, checked and cached on first use).
Result<ModelFolder> with_precision(ModelFolder folder, const TagParams& params, const TaggerModelOptions& options) {
  if (params.precision == "fp32") return folder;
  if (params.precision == "fp16") return with_fp16(std::move(folder), params, options);
  if (params.precision != "int8")
    return invalid_argument("--precision: '" + params.precision + "' is not one of fp32, fp16, int8");
  auto note = [&](const std::string& text) {
    if (options.note) options.note(text);
  };
  if (params.device != "cpu")
    note("warning: --precision int8 is made for CPUs; with --device " + params.device +
         " ONNX Runtime runs the int8 products on the CPU (its GPU providers lack these kernels) and copies data "
         "back and forth, so fp32 is faster there");
  if (!quantized_model_path(folder.model, /*create=*/false).ok())
    note("building the int8 model once (" + folder.model.filename().string() +
         " -> int8, then its agreement with fp32 on " + sample_words(options) + ")...");
  std::optional<CheckedQuantizeReport> built;
  TM_ASSIGN_OR_RETURN(folder.model, quantized_model_path(folder.model, /*create=*/true, options.int8_sample, &built));
  if (built) note("built " + describe(*built, folder.model));
  return folder;
}
}  // namespace

Result<ModelFolder> resolve_tagger_model(const TagParams& params, const TaggerModelOptions& options) {
  if (!params.model_dir.empty()) {
    TM_ASSIGN_OR_RETURN(ModelFolder folder, find_model_files(params.model_dir, params.model_type));
    return with_precision(std::move(folder), params, options);
  }
  std::optional<ModelType> forced;
  if (params.model_type != "auto" && !params.model_type.empty()) {
    TM_ASSIGN_OR_RETURN(ModelType t, parse_model_type(params.model_type));
    forced = t;
  }
  ModelEntry entry = default_model();
  if (!params.model.empty()) {
    TM_ASSIGN_OR_RETURN(entry, find_model(params.model, forced));
  }
  ResolveOptions resolve;
  resolve.offline = params.offline;
  resolve.progress = options.progress;
  TM_ASSIGN_OR_RETURN(ModelFiles files, resolve_model(entry, resolve));
  return with_precision(ModelFolder{files.model, files.labels, entry.type}, params, options);
}

}  // namespace tagmetry
