// write: one journal transaction per batch, then each image's outcome reported (tag_stages.h).
#include <cmath>
#include <nlohmann/json.hpp>

#include "tag_stages.h"
#include "tagmetry/tag_database.h"

namespace tagmetry::tagging {
namespace fs = std::filesystem;

namespace {

nlohmann::json item_json(const TagItemResult& r) {
  nlohmann::json tags = nlohmann::json::array();
  for (auto& t : r.tags)
    tags.push_back({{"tag", t.tag}, {"label", t.label}, {"probability", std::round(t.probability * 1e4) / 1e4},
                    {"category", category_name(t.category)}});
  return {{"path", r.relpath}, {"width", r.width}, {"height", r.height}, {"tags", tags}};
}

}  // namespace

WriteStage::WriteStage(CaptionJournal& journal, Store& store, int64_t model_id, TagReport& report,
                       std::ofstream* jsonl, const TagCallbacks& callbacks)
    : journal_(journal), store_(store), model_id_(model_id), report_(report), jsonl_(jsonl), callbacks_(callbacks) {}

void WriteStage::not_run(const TagItemResult& r) {
  if (r.outcome == ItemOutcome::kFailed) {
    report_.failed++;
    report_.failures.emplace_back(r.relpath, r.message);
  } else {
    report_.skipped_existing++;
    report_.skipped.push_back(r.relpath);
  }
  if (callbacks_.on_item) callbacks_.on_item(r);
}

Status WriteStage::commit(const ScoredBatch& scored, SelectedBatch& selected) {
  for (auto& relpath : selected.appeared) {
    report_.skipped_existing++;
    report_.skipped.push_back(relpath);
  }
  std::vector<fs::path> backups;
  auto written = journal_.apply(selected.writes, [&]() -> Status {
    for (size_t i = 0; i < scored.items.size(); ++i) {
      if (scored.fresh[i] && !scored.scores[i].empty())
        TM_RETURN_IF_ERROR(store_.put_scores(scored.items[i]->record.sha256, model_id_, scored.scores[i]));
      TM_RETURN_IF_ERROR(store_.put_image(scored.items[i]->record));
    }
    return {};
  }, &backups);
  if (!written.ok()) return written.status();
  for (auto& b : backups) report_.backups.push_back(b.string());
  for (size_t k = 0; k < selected.writes.size(); ++k) {
    if ((*written)[k].ok()) continue;
    selected.results[selected.write_of[k]].outcome = ItemOutcome::kFailed;
    selected.results[selected.write_of[k]].message = (*written)[k].message();
  }
  return {};
}

void WriteStage::report_batch(SelectedBatch& selected, size_t reused) {
  report_.reused += reused;
  for (auto& r : selected.results)
    if (r.outcome != ItemOutcome::kSkippedExisting) finish(std::move(r));
}

void WriteStage::finish(TagItemResult r) {
  switch (r.outcome) {
    case ItemOutcome::kTagged: report_.tagged++; break;
    case ItemOutcome::kAppended: report_.appended++; break;
    case ItemOutcome::kOverwritten: report_.overwritten++; break;
    case ItemOutcome::kFailed: report_.failed++; report_.failures.emplace_back(r.relpath, r.message); break;
    case ItemOutcome::kSkippedExisting: break;
  }
  if (jsonl_ && r.outcome != ItemOutcome::kFailed) *jsonl_ << item_json(r).dump() << '\n';
  if (callbacks_.on_item) callbacks_.on_item(r);
}

}  // namespace tagmetry::tagging
