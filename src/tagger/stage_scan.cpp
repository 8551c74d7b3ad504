// scan: the params checked, the dataset listed, the outputs checked writable, and what the run will not
// tag decided (tag_stages.h).
#include <unordered_set>

#include "tag_stages.h"
#include "tagmetry/folder_access.h"

namespace tagmetry::tagging {
namespace fs = std::filesystem;

namespace {

// Before the model is loaded: the folders that captions go to, and the database's, must be writable, or
// the run would spend its inference on writes that all fail.
Status check_outputs_writable(const Dataset& ds, const TagParams& params, const fs::path& db_path) {
  std::unordered_set<std::string> checked;
  for (const auto& item : ds.items) {
    if (item.has_caption && !params.append && !params.overwrite) continue;  // skipped: nothing written
    const fs::path folder = item.caption.parent_path();
    if (!checked.insert(folder.native()).second) continue;
    Status s = check_folder_writable(folder);
    if (!s.ok()) return io_error(s.message() + "; tag writes the captions beside the images");
  }
  Status s = check_folder_writable(db_path.parent_path());
  if (!s.ok() && params.db.empty()) return io_error(s.message() + "; use --db PATH to keep the database elsewhere");
  if (!s.ok()) return io_error(db_path.string() + ": cannot create the database (" + s.message() + ")");
  return {};
}

// --image: keeps only the listed images (paths relative to the dataset, '/' or the platform's separator);
// a listed path that is not an image of the dataset is an error naming it.
Status keep_listed_images(Dataset& ds, const std::vector<std::string>& images) {
  if (images.empty()) return {};
  std::unordered_set<std::string> wanted;
  for (const auto& i : images) wanted.insert(fs::path(i).lexically_normal().generic_string());
  std::unordered_set<std::string> found;
  std::vector<DatasetItem> kept;
  for (auto& item : ds.items) {
    if (!wanted.count(item.relpath)) continue;
    found.insert(item.relpath);
    kept.push_back(std::move(item));
  }
  for (const auto& i : images)
    if (!found.count(fs::path(i).lexically_normal().generic_string()))
      return invalid_argument(i + ": --image is not an image of " + ds.root.string());
  ds.items = std::move(kept);
  return {};
}

// One caption per image: of images sharing a stem (a.png, a.jpg → a.txt) only the first is tagged, so no
// caption is overwritten within the run. Then the images that have a caption are skipped unless
// append/overwrite; the rest is the work.
void decide_work(ScanState& scan, const TagParams& params) {
  const auto& items = scan.ds.items;
  std::vector<char> shares_caption(items.size(), 0);
  std::vector<std::string> rel;
  for (auto& it : items) rel.push_back(it.relpath);
  for (auto& group : caption_collisions(rel)) {
    const std::string why = caption_collision_message(rel, group, params.caption_extension);
    for (size_t k = 1; k < group.size(); ++k) {
      const size_t i = group[k];
      shares_caption[i] = 1;
      std::string msg = items[i].relpath + ": not tagged: " + why + " (tagged " + rel[group[0]] +
                        "; rename the others to give each its own caption)";
      scan.not_run.push_back({items[i].relpath, ItemOutcome::kFailed, msg, {}, 0, 0});
    }
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (shares_caption[i]) continue;
    if (items[i].has_caption && !params.append && !params.overwrite) {
      scan.not_run.push_back({items[i].relpath, ItemOutcome::kSkippedExisting, "", {}, 0, 0});
    } else {
      scan.work.push_back(i);
    }
  }
}

}  // namespace

Result<ScanState> scan_stage(const fs::path& dataset_dir, const TagParams& params) {
  if (params.append && params.overwrite) return invalid_argument("--append and --overwrite cannot be used together");
  if (params.batch_size < 0 || params.batch_size > 1024)
    return invalid_argument("--batch-size must be between 1 and 1024 (0: the device's default)");
  if (params.caption_extension.empty() || params.caption_extension[0] != '.')
    return invalid_argument("--caption-extension must start with a dot (e.g. .txt)");
  ScanState scan;
  if (!params.shard.empty()) {
    TM_ASSIGN_OR_RETURN(scan.shard, parse_shard(params.shard));
  }
  TM_ASSIGN_OR_RETURN(scan.ds, scan_dataset(dataset_dir, {params.recursive, params.caption_extension}));
  TM_RETURN_IF_ERROR(keep_listed_images(scan.ds, params.images));
  // The database: scores by content hash, images, the caption journal.
  scan.sharded = !params.shard.empty();
  scan.db_path = !params.db.empty() ? fs::path(params.db)
                 : scan.sharded     ? shard_store_path(dataset_dir, scan.shard.first, scan.shard.second)
                                    : default_store_path(dataset_dir);
  TM_RETURN_IF_ERROR(check_outputs_writable(scan.ds, params, scan.db_path));
  decide_work(scan, params);
  return scan;
}

}  // namespace tagmetry::tagging
