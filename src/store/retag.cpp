// tagmetry retag: captions from stored scores, no model.
#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "journal_internal.h"
#include "ordered_pipeline.h"
#include "retag_derive.h"
#include "sqlite_db.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/dataset.h"
#include "tagmetry/files.h"
#include "tagmetry/model_registry.h"
#include "tagmetry/retag.h"
#include "tagmetry/store.h"
#include "tagmetry/tag_pipeline.h"

namespace tagmetry {
namespace fs = std::filesystem;

const Operation<RetagParams>& retag_operation() {
  static const Operation<RetagParams> op{{"retag", "Re-derive captions from stored scores with new thresholds/options (no model run)", "", "tag.md"}, [] {
    OptionSet<RetagParams> s;
    s.group("Scores")
        .add("model", &RetagParams::model, "Model whose stored scores to use: name or sha256 prefix (default: the one used last on this folder)")
        .add("db", &RetagParams::db, "Database file (default: DIR/.tagmetry/tagmetry.db)");
    add_selection_options(s);
    s.group("Files")
        .add("recursive", &RetagParams::recursive, "Include images in subfolders")
        .add("append", &RetagParams::append, "Also merge tags into captions not written by Tagmetry (no duplicates)")
        .add("overwrite", &RetagParams::overwrite, "Also replace captions not written by Tagmetry (a .bak copy is kept)")
        .add("caption-extension", &RetagParams::caption_extension, "Caption file extension")
        .add("dry-run", &RetagParams::dry_run, "Report what would change, write nothing")
        .add("threads", &RetagParams::threads, "Threads deriving captions (0 = all cores)", {},
             "TAGMETRY_THREADS");
    return s;
  }()};
  return op;
}

const OptionSet<RetagParams>& retag_options() { return retag_operation().options; }

namespace {

Result<ModelRecord> pick_model(const Store& store, const std::string& key) {
  if (key.empty()) {
    TM_ASSIGN_OR_RETURN(auto m, store.latest_model());
    if (!m) return not_found(store.path().string() + ": no model has been run on this folder yet (run `tagmetry tag`)");
    return *m;
  }
  TM_ASSIGN_OR_RETURN(auto m, store.find_model(key));
  if (!m) {
    // Registry aliases ("wd-vit-tagger-v3") name the same model as its short name.
    auto entry = find_model(key, std::nullopt);
    if (entry.ok()) {
      TM_ASSIGN_OR_RETURN(m, store.find_model(entry->name));
    }
  }
  if (!m) {
    TM_ASSIGN_OR_RETURN(auto all, store.models());
    std::string names;
    for (auto& r : all) names += (names.empty() ? "" : ", ") + r.name + " (" + r.sha256.substr(0, 8) + ")";
    return not_found("no stored scores for model '" + key + "' in " + store.path().string() +
                     (names.empty() ? "" : "; it has: " + names));
  }
  return *m;
}

}  // namespace

Result<RetagReport> run_retag(const fs::path& dataset_dir, const RetagParams& params, const RetagCallbacks& callbacks) {
  if (params.append && params.overwrite) return invalid_argument("--append and --overwrite cannot be used together");
  if (params.caption_extension.empty() || params.caption_extension[0] != '.')
    return invalid_argument("--caption-extension must start with a dot (e.g. .txt)");
  auto start = std::chrono::steady_clock::now();
  TM_ASSIGN_OR_RETURN(Dataset ds, scan_dataset(dataset_dir, {params.recursive, params.caption_extension}));
  const fs::path db_path = params.db.empty() ? default_store_path(dataset_dir) : fs::path(params.db);
  TM_ASSIGN_OR_RETURN(JournaledDataset opened, open_journaled_dataset(dataset_dir, db_path, /*create=*/false));
  Store* store = &opened.store();
  CaptionJournal& journal = opened.journal();
  // retag reads most of the database (every score, the journal rows of every caption): map it rather
  // than pread it page by page.
  (void)store->db().exec("PRAGMA mmap_size=1073741824");
  TM_ASSIGN_OR_RETURN(ModelRecord model, pick_model(*store, params.model));
  if (model.labels.size() == 0)
    return not_found(store->path().string() + ": model '" + model.name +
                     "' has no stored labels (database from an older Tagmetry); run `tagmetry tag --force` once");
  TM_ASSIGN_OR_RETURN(TagSelector selector, TagSelector::create(params, model.default_general_threshold,
                                                                model.default_character_threshold));
  RetagReport report;
  report.images = ds.items.size();
  report.model_name = model.name;
  report.model_sha256 = model.sha256;
  report.thresholds = selector.thresholds();

  // Content hash of every image (from the stat cache when the file is unchanged).
  TM_ASSIGN_OR_RETURN(auto known, store->images());
  std::unordered_map<std::string, std::vector<size_t>> by_hash;
  std::vector<ImageRecord> refreshed;
  for (size_t i = 0; i < ds.items.size(); ++i) {
    ImageRecord rec;
    auto sha = content_hash(ds.items[i].image, ds.items[i].relpath, known, &rec);
    if (!sha.ok()) {
      report.failed++;
      report.failures.emplace_back(ds.items[i].relpath, sha.status().message());
      continue;
    }
    auto it = known.find(ds.items[i].relpath);
    if (it == known.end() || it->second.sha256 != rec.sha256 || it->second.mtime_ns != rec.mtime_ns ||
        it->second.size != rec.size)
      refreshed.push_back(rec);
    by_hash[*sha].push_back(i);
  }
  // Derive on every core while the scores are read; outcomes come back in read order.
  std::vector<std::string> relpaths = store_internal::caption_relpaths(ds);
  TM_ASSIGN_OR_RETURN(auto last, store_internal::last_written_to(*store, relpaths));
  store_internal::ScoreFilter filter(model.labels, selector.thresholds(), /*keep_all=*/params.mcut);
  TM_ASSIGN_OR_RETURN(auto edit_base, store_internal::tag_edits_since_tagging(journal, last));
  store_internal::DeriveContext context{&ds, &params, &model.labels, &selector, &filter, &relpaths, &last, &edit_base};
  std::vector<bool> has_scores(ds.items.size(), false);
  size_t done = 0;
  auto derived = store_internal::derive_captions(
      *store, model.id, context, by_hash, store_internal::worker_threads(params.threads), callbacks.cancel,
      [&](size_t n) {
        if (callbacks.on_progress) callbacks.on_progress(done += n, ds.items.size());
      },
      has_scores);
  Status scan = derived.status();
  std::vector<CaptionWrite> writes;
  if (derived.ok()) {
    for (auto& o : *derived) {
      const DatasetItem& item = ds.items[o.item];
      if (o.kind == store_internal::CaptionOutcome::kLink) {
        TM_ASSIGN_OR_RETURN(o, store_internal::decide_link_caption(context, *store, std::move(o)));
      }
      switch (o.kind) {
        case store_internal::CaptionOutcome::kWrite:
          if (o.reapplied) report.reapplied++;
          writes.push_back(std::move(o.write));
          break;
        case store_internal::CaptionOutcome::kUnchanged: report.unchanged++; break;
        case store_internal::CaptionOutcome::kKept:
          report.kept_edited++;
          report.kept.push_back(item.relpath);
          if (o.policy) report.kept_policy.push_back(item.relpath);
          break;
        case store_internal::CaptionOutcome::kFailed:
          report.failed++;
          report.failures.emplace_back(item.relpath, std::move(o.message));
          break;
        case store_internal::CaptionOutcome::kLink: break;  // decided above
      }
    }
  }
  if (scan.code() == ErrorCode::kCancelled) report.cancelled = true;
  else TM_RETURN_IF_ERROR(scan);
  for (auto& [sha, list] : by_hash)
    for (size_t i : list)
      if (!has_scores[i] && !report.cancelled) {
        report.no_scores++;
        report.missing.push_back(ds.items[i].relpath);
      }
  std::sort(report.missing.begin(), report.missing.end());
  if (params.dry_run || report.cancelled) {
    report.written = params.dry_run ? writes.size() : 0;
    report.thresholds_used = selector.used_thresholds();
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
  }

  journal.begin_operation("retag", params.command_line);
  const size_t chunk = 2000;
  for (size_t from = 0; from < writes.size() || from == 0; from += chunk) {
    std::vector<CaptionWrite> part(
        std::make_move_iterator(writes.begin() + static_cast<long>(std::min(from, writes.size()))),
        std::make_move_iterator(writes.begin() + static_cast<long>(std::min(from + chunk, writes.size()))));
    std::vector<fs::path> backups;
    auto results = journal.apply(part, [&]() -> Status {
      if (from == 0)
        for (auto& r : refreshed) TM_RETURN_IF_ERROR(store->put_image(r));
      return {};
    }, &backups);
    TM_RETURN_IF_ERROR(results.status());
    for (auto& b : backups) report.backups.push_back(b.string());
    for (size_t i = 0; i < part.size(); ++i) {
      if ((*results)[i].ok()) report.written++;
      else {
        report.failed++;
        report.failures.emplace_back(part[i].relpath, (*results)[i].message());
      }
    }
    if (writes.empty()) break;
  }
  report.thresholds_used = selector.used_thresholds();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace tagmetry
