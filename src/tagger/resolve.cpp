#include "tagmetry/model_registry.h"
#include "tagmetry/tag_pipeline.h"

namespace tagmetry {

Result<ModelFolder> resolve_tagger_model(const TagParams& params, const ProgressCallback& progress) {
  if (!params.model_dir.empty()) return find_model_files(params.model_dir, params.model_type);
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
  return ModelFolder{files.model, files.labels, entry.type};
}

}  // namespace tagmetry
