// select: each scored image's tags and the caption write they imply (tag_stages.h).
#include <algorithm>

#include "tag_stages.h"
#include "tagmetry/caption.h"
#include "tagmetry/caption_file.h"
#include "tagmetry/files.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace tagging {

SelectStage::SelectStage(const Dataset& ds, const TagParams& params, const TagSelector& selector,
                         const LabelSet& labels, const std::unordered_map<std::string, LastWrite>& last_written)
    : ds_(ds), params_(params), selector_(selector), labels_(labels), last_written_(last_written) {}

SelectedBatch SelectStage::run(const ScoredBatch& batch) const {
  SelectedBatch out;
  for (size_t i = 0; i < batch.items.size(); ++i) {
    const Prepared& p = *batch.items[i];
    const DatasetItem& item = ds_.items[p.index];
    TagItemResult r{item.relpath, ItemOutcome::kTagged, "", {}, p.record.width, p.record.height};
    if (batch.scores[i].empty()) {
      r.outcome = ItemOutcome::kFailed;
      r.message = item.relpath + (batch.fresh[i] ? ": the model produced NaN or infinite scores"
                                                 : ": stored scores do not match the model (run with --force)");
    } else {
      r.tags = selector_.select(labels_, batch.scores[i]);
      auto w = plan_caption(item, r.tags, r);
      if (!w.ok()) {
        r.outcome = ItemOutcome::kFailed;
        r.message = w.status().message();
      } else if (*w) {
        out.writes.push_back(std::move(**w));
        out.write_of.push_back(out.results.size());
      } else if (r.outcome == ItemOutcome::kSkippedExisting) {
        out.appeared.push_back(item.relpath);
      }
    }
    out.results.push_back(std::move(r));
  }
  return out;
}

// A caption the run writes whole (new or overwritten): --trigger first (once), then the selected tags.
std::string SelectStage::whole_caption(std::vector<SelectedTag> tags) const {
  if (params_.trigger.empty()) return selector_.caption(tags);
  std::erase_if(tags, [&](const SelectedTag& t) { return same_tag(t.tag, params_.trigger); });
  std::string rest = selector_.caption(tags);
  return rest.empty() ? params_.trigger : params_.trigger + params_.caption_separator + rest;
}

// The caption write for one image, or nullopt when nothing is to be written (r.outcome says why).
Result<std::optional<CaptionWrite>> SelectStage::plan_caption(const DatasetItem& item,
                                                              const std::vector<SelectedTag>& tags,
                                                              TagItemResult& r) const {
  std::vector<std::string> names;
  for (auto& t : tags) names.push_back(t.tag);
  CaptionWrite w;
  w.relpath = relative_generic(item.caption, ds_.root);
  // A caption that is a symbolic link to outside the dataset is never read or written through.
  if (std::error_code ec; fs::is_symlink(item.caption, ec)) {
    TM_ASSIGN_OR_RETURN(w.before, read_dataset_caption(ds_.root, item.caption));
  } else {
    TM_ASSIGN_OR_RETURN(w.before, read_caption_if_exists(item.caption));
  }
  auto lw = last_written_.find(w.relpath);
  // Our own earlier model output (a hand edit, even one made in the web app, is not ours).
  const bool ours = w.before && lw != last_written_.end() && lw->second.by_model() && lw->second.after == w.before;
  if (w.before && params_.append) {
    // Never append to a caption that is not UTF-8 (Shift-JIS, UTF-16): name its encoding and skip it.
    TM_RETURN_IF_ERROR(parse_caption_file(*w.before, w.relpath).status());
    // Re-running an append merges into the user's text, not into our previous result.
    w.base = ours && lw->second.base ? lw->second.base : w.before;
    w.after = append_tags_to_caption(*w.base, names, params_.caption_separator);
    r.outcome = ItemOutcome::kAppended;
  } else if (w.before && params_.overwrite) {
    w.after = whole_caption(tags);
    w.backup = !ours;  // our own earlier write is in the journal already
    r.outcome = ItemOutcome::kOverwritten;
  } else if (w.before) {
    // Appeared while we were running (another process): never clobber it.
    r.outcome = ItemOutcome::kSkippedExisting;
    return std::optional<CaptionWrite>();
  } else {
    w.after = whole_caption(tags);
  }
  if (w.after == w.before) return std::optional<CaptionWrite>();
  return std::optional<CaptionWrite>(std::move(w));
}

}  // namespace tagging
}  // namespace tagmetry
