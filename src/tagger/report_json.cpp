// The JSON of a tagging run's report: `tag --json` and the web app's tag job.
#include <nlohmann/json.hpp>

#include "tagmetry/tag_pipeline.h"

namespace tagmetry {

nlohmann::json thresholds_json(bool mcut, const Thresholds& fixed, const ThresholdRange& used) {
  if (!mcut) return {{"general", fixed.general}, {"character", fixed.character}};
  auto range = [&](double min, double max) {
    return used.images ? nlohmann::json{{"min", min}, {"max", max}} : nlohmann::json{{"min", nullptr}, {"max", nullptr}};
  };
  return {{"general", range(used.min.general, used.max.general)},
          {"character", range(used.min.character, used.max.character)}};
}

nlohmann::json to_json(const TagReport& r, bool mcut) {
  nlohmann::json failures = nlohmann::json::array();
  for (auto& [path, message] : r.failures) failures.push_back({{"path", path}, {"error", message}});
  return {{"images", r.images},
          {"tagged", r.tagged},
          {"appended", r.appended},
          {"overwritten", r.overwritten},
          {"skipped_existing", r.skipped_existing},
          {"failed", r.failed},
          {"reused", r.reused},
          {"other_shards", r.other_shards},
          {"database", r.db_path},
          {"model_name", r.model_name},
          {"failures", failures},
          {"skipped", r.skipped},
          {"backups", r.backups},
          {"cancelled", r.cancelled},
          {"seconds", r.seconds},
          {"model", r.model_path},
          {"device", r.device},
          {"provider", r.placement},
          {"mcut", mcut},
          {"thresholds", thresholds_json(mcut, r.thresholds, r.thresholds_used)}};
}

}  // namespace tagmetry
