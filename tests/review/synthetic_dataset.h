#pragma once
// A dataset folder with stored scores of a synthetic model and no model file: what review, retag,
// provenance and thresholds read, with scores chosen by the test.

#include <filesystem>
#include <string>
#include <vector>

#include "tagmetry/labels.h"
#include "tagmetry/store.h"
#include "test_support.h"

namespace tagmetry::testing {

// Labels: smile, glasses, holding_umbrella, long_hair (general), hatsune_miku (character), general and
// explicit (rating). Scores are given in this order.
LabelSet synthetic_labels();
inline constexpr size_t kSmile = 0, kGlasses = 1, kUmbrella = 2, kLongHair = 3, kMiku = 4;

// Writes img0.png … (distinct bytes, not decodable: nothing here decodes) into `dir` and stores
// `scores[i]` for img<i> under model "synthetic" (default thresholds 0.35 / 0.85). Returns the content
// hashes. Captions are not written.
std::vector<std::string> make_synthetic_dataset(const std::filesystem::path& dir,
                                                const std::vector<std::vector<float>>& scores,
                                                const std::string& model_name = "synthetic");

// Scores for the labels above: the general ones given, hatsune_miku 0.01, ratings 0.9 / 0.05.
std::vector<float> scores(float smile, float glasses, float umbrella, float long_hair);

}  // namespace tagmetry::testing
