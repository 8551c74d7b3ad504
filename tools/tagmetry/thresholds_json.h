#pragma once
// The thresholds of a tag or retag run in its --json summary.

#include <nlohmann/json.hpp>

#include "tagmetry/tag_selection.h"

namespace tagmetry::cli {

// {"general": G, "character": C}: the thresholds applied; with --mcut (`mcut`), where each image gets its
// own, their range over the run: {"general": {"min", "max"}, "character": {"min", "max"}} (null while no
// image was selected for).
inline nlohmann::json thresholds_json(bool mcut, const Thresholds& fixed, const ThresholdRange& used) {
  if (!mcut) return {{"general", fixed.general}, {"character", fixed.character}};
  auto range = [&](double min, double max) {
    return used.images ? nlohmann::json{{"min", min}, {"max", max}} : nlohmann::json{{"min", nullptr}, {"max", nullptr}};
  };
  return {{"general", range(used.min.general, used.max.general)},
          {"character", range(used.min.character, used.max.character)}};
}

}  // namespace tagmetry::cli
