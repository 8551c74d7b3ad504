#include "tagmetry/model_registry.h"
#include "tagmetry/quantize.h"
#include "tagmetry/tag_pipeline.h"

namespace tagmetry {

namespace {
// --precision int8: swap in the quantized copy (built and cached on first use).
Result<ModelFolder> with_precision(ModelFolder folder, const std::string& precision) {
  if (precision == "int8") {
    TM_ASSIGN_OR_RETURN(folder.model, quantized_model_path(folder.model, /*create=*/true));
  } else if (precision != "fp32") {
    return invalid_argument("--precision: '" + precision + "' is not one of fp32, int8");
  }
  return folder;
}
}  // namespace

Result<ModelFolder> resolve_tagger_model(const TagParams& params, const ProgressCallback& progress) {
  if (!params.model_dir.empty()) {
    TM_ASSIGN_OR_RETURN(ModelFolder folder, find_model_files(params.model_dir, params.model_type));
    return with_precision(std::move(folder), params.precision);
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
  ResolveOptions options;
  options.offline = params.offline;
  options.progress = progress;
  TM_ASSIGN_OR_RETURN(ModelFiles files, resolve_model(entry, options));
  return with_precision(ModelFolder{files.model, files.labels, entry.type}, params.precision);
}

}  // namespace tagmetry
