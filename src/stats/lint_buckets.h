#pragma once
// The lint rules that look at kohya's buckets (bucket-crop, bucket-upscale, bucket-single), kept apart
// from lint.cpp's caption rules.
#include <vector>

#include "tagmetry/dataset_stats.h"
#include "tagmetry/lint.h"

namespace tagmetry::stats_internal {

// Appends the bucket findings for the items with a known size. Settings: params.resolution (square),
// kohya's min/max_bucket_reso defaults widened to hold it, or the first [[datasets]] of params.config.
void lint_bucket_rules(const DatasetCorpus& corpus, const LintParams& params, std::vector<LintFinding>& out);

}  // namespace tagmetry::stats_internal
