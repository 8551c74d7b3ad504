// The list of every operation the library declares, in the order `tagmetry --help` shows them. A new
// command adds its `xxx_operation().doc()` here; tests/cli/operations_test.cpp then checks its CLI flags,
// docs page and HTTP fields against the declaration.
#include "tagmetry/caption_edit.h"
#include "tagmetry/caption_policy.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/complete.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/generate.h"
#include "tagmetry/infer.h"
#include "tagmetry/ja_captions.h"
#include "tagmetry/ja_to_tags.h"
#include "tagmetry/kohya_bucket_report.h"
#include "tagmetry/kohya_caption.h"
#include "tagmetry/kohya_export.h"
#include "tagmetry/kohya_preflight.h"
#include "tagmetry/lint.h"
#include "tagmetry/model_registry.h"
#include "tagmetry/operations.h"
#include "tagmetry/prepare.h"
#include "tagmetry/provenance.h"
#include "tagmetry/quantize.h"
#include "tagmetry/prompt.h"
#include "tagmetry/retag.h"
#include "tagmetry/review.h"
#include "tagmetry/server.h"
#include "tagmetry/store_operations.h"
#include "tagmetry/tag_pipeline.h"
#include "tagmetry/tag_thresholds.h"

namespace tagmetry {

const std::vector<OperationDoc>& operation_docs() {
  static const std::vector<OperationDoc> docs{
      models_list_operation().doc(),
      models_pull_operation().doc(),
      models_info_operation().doc(),
      quantize_operation().doc(),
      compare_operation().doc(),
      prepare_operation().doc(),
      tag_operation().doc(),
      retag_operation().doc(),
      review_operation().doc(),
      thresholds_operation().doc(),
      provenance_operation().doc(),
      policy_apply_operation().doc(),
      merge_operation().doc(),
      undo_operation().doc(),
      edit_operation().doc(),
      stats_operation().doc(),
      lint_operation().doc(),
      simulate_operation().doc(),
      tokens_operation().doc(),
      kohya_export_operation().doc(),
      kohya_buckets_operation().doc(),
      kohya_preflight_operation().doc(),
      serve_operation().doc(),
      doctor_operation().doc(),
      complete_operation().doc(),
      ja_operation().doc(),
      ja2tags_operation().doc(),
      prompt_operation().doc(),
      generate_operation().doc(),
  };
  return docs;
}

const OperationDoc* find_operation_doc(std::string_view name) {
  for (auto& d : operation_docs())
    if (d.info.name == name) return &d;
  return nullptr;
}

}  // namespace tagmetry
