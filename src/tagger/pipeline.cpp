// run_tagging: opens the model and the dataset, then drives the stages of tag_stages.h:
//   scan → decode (threads) → ready queue → infer → select → write, one journal transaction per batch.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "tag_stages.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/model_registry.h"
#include "tagmetry/sha256.h"
#include "tagmetry/store.h"
#include "tagmetry/tag_thresholds.h"
#include "tagmetry/tag_pipeline.h"
#include "tagmetry/tagger.h"

namespace tagmetry {
namespace fs = std::filesystem;
using namespace tagging;

namespace {

// The model's identity in the database: file hashes (the model file's is cached by path, size, mtime).
Result<ModelRecord> model_record(Store& store, const ModelFolder& model, const TagParams& params, const Tagger& tagger) {
  ModelRecord m;
  std::error_code ec;
  fs::path abs = fs::absolute(model.model, ec);
  m.path = (ec ? model.model : abs).string();
  TM_ASSIGN_OR_RETURN(auto stamp, file_stamp(model.model));
  TM_ASSIGN_OR_RETURN(auto cached, store.cached_file_hash(m.path, stamp.first, stamp.second));
  if (cached) {
    m.sha256 = *cached;
  } else {
    TM_ASSIGN_OR_RETURN(m.sha256, sha256_file_cached(model.model));
    TM_RETURN_IF_ERROR(store.remember_file_hash(m.path, stamp.first, stamp.second, m.sha256));
  }
  TM_ASSIGN_OR_RETURN(m.labels_sha256, sha256_file(model.labels));
  if (!params.model_dir.empty()) {
    m.name = fs::path(params.model_dir).lexically_normal().filename().string();
    if (m.name.empty()) m.name = fs::path(params.model_dir).lexically_normal().parent_path().filename().string();
  } else if (!params.model.empty()) {
    auto entry = find_model(params.model, std::nullopt);
    m.name = entry.ok() ? entry->name : params.model;
  } else {
    m.name = default_model().name;
  }
  m.type = model.type == ModelType::kJoyTag ? "joytag" : "wd";
  m.labels = tagger.labels();
  m.default_general_threshold = tagger.spec().default_general_threshold;
  m.default_character_threshold = tagger.spec().default_character_threshold;
  return m;
}

}  // namespace

Result<TagReport> run_tagging(const fs::path& dataset_dir, const ModelFolder& model, const TagParams& params,
                              const TagCallbacks& callbacks) {
  auto start = std::chrono::steady_clock::now();
  TM_ASSIGN_OR_RETURN(ScanState scan, scan_stage(dataset_dir, params));
  const Dataset& ds = scan.ds;

  // Once per run: the model, the tag selector, the JSONL file, the dataset (lock, database, journal).
  SessionOptions so;
  so.device = params.device;
  so.threads = params.intra_threads;
  so.tf32 = !params.no_tf32;
  TM_ASSIGN_OR_RETURN(std::unique_ptr<Tagger> tagger, Tagger::open(model, so));
  TM_ASSIGN_OR_RETURN(TagSelector selector, TagSelector::create(params, tagger->spec().default_general_threshold,
                                                                tagger->spec().default_character_threshold));
  std::ofstream jsonl;
  if (!params.output_jsonl.empty()) {
    jsonl.open(params.output_jsonl, std::ios::binary | std::ios::trunc);
    if (!jsonl) return io_error(params.output_jsonl + ": cannot write");
  }
  TM_ASSIGN_OR_RETURN(JournaledDataset opened, open_journaled_dataset(dataset_dir, scan.db_path, /*create=*/true,
                                                                     /*exclusive=*/scan.sharded,
                                                                     /*lock=*/!callbacks.write_mutex));
  Store& store = opened.store();
  CaptionJournal& journal = opened.journal();
  journal.begin_operation("tag", params.command_line);
  TM_ASSIGN_OR_RETURN(ModelRecord model_row, model_record(store, model, params, *tagger));
  TM_RETURN_IF_ERROR(store.put_model(model_row));
  TM_RETURN_IF_ERROR(apply_tag_thresholds(selector, params, store, model_row));  // --thresholds
  TM_ASSIGN_OR_RETURN(const auto known_images, store.images());
  std::unordered_set<std::string> cached;
  if (!params.force) {
    TM_ASSIGN_OR_RETURN(cached, store.hashes_with_scores(model_row.id));
  }
  TM_ASSIGN_OR_RETURN(const auto last_written, journal.last_written());

  TagReport report;
  report.setup_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.images = ds.items.size();
  report.model_path = model.model.string();
  report.model_name = model_row.name;
  report.db_path = scan.db_path.string();
  report.device = tagger->session().device();
  report.placement = tagger->session().placement();
  report.thresholds = selector.thresholds();

  WriteStage write_stage(journal, store, model_row.id, report, jsonl.is_open() ? &jsonl : nullptr, callbacks);
  for (const auto& r : scan.not_run) write_stage.not_run(r);

  const std::vector<size_t>& work = scan.work;
  const RunShape shape = run_shape(params, std::thread::hardware_concurrency());
  const size_t batch = static_cast<size_t>(shape.batch_size);
  DecodeInputs decode_in;
  decode_in.ds = &ds;
  decode_in.work = &work;
  decode_in.known_images = &known_images;
  decode_in.cached = &cached;
  decode_in.sharded = scan.sharded;
  decode_in.shard = scan.shard;
  decode_in.tagger = tagger.get();
  decode_in.threads = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(shape.threads), work.size()));
  decode_in.buffers = batch * 2 + decode_in.threads;
  DecodeStage decode_stage(decode_in);
  InferStage infer_stage(*tagger, store, model_row.id, batch);
  SelectStage select_stage(ds, params, selector, tagger->labels(), last_written);

  std::vector<Prepared> pending;  // waiting for inference
  std::vector<Prepared> reuse;    // cached scores, no inference
  size_t received = 0;
  // infer → select → write for what is pending and reusable. Errors are fatal (model or database).
  auto run_batch = [&]() -> Status {
    if (pending.empty() && reuse.empty()) return {};
    TM_ASSIGN_OR_RETURN(ScoredBatch scored, infer_stage.run(pending, reuse, decode_stage));
    {
      // The caller's own writers wait while this batch reads, plans and writes its captions.
      std::unique_lock<std::mutex> caller_writes;
      if (callbacks.write_mutex) caller_writes = std::unique_lock<std::mutex>(*callbacks.write_mutex);
      SelectedBatch selected = select_stage.run(scored);
      TM_RETURN_IF_ERROR(write_stage.commit(scored, selected));
      if (caller_writes.owns_lock()) caller_writes.unlock();
      write_stage.report_batch(selected, scored.reused);
    }
    pending.clear();
    reuse.clear();
    if (callbacks.on_progress) callbacks.on_progress(received, work.size());
    return {};
  };

  Status fatal;
  auto cancelled = [&] { return callbacks.cancel && callbacks.cancel->load(); };
  while (received < work.size() && fatal.ok()) {
    if (cancelled()) {
      report.cancelled = true;
      break;
    }
    Prepared p;
    if (!decode_stage.pop(p, std::chrono::milliseconds(50))) {
      // Nothing new: run what we have rather than wait (keeps the model busy with small batches at the end).
      if ((!pending.empty() || !reuse.empty()) && decode_stage.all_claimed()) fatal = run_batch();
      continue;
    }
    ++received;
    if (p.other_shard) {
      report.other_shards++;
      if (callbacks.on_progress) callbacks.on_progress(received, work.size());
      continue;
    }
    if (p.cached) {
      reuse.push_back(std::move(p));
      if (reuse.size() >= 256) fatal = run_batch();
      continue;
    }
    if (!p.buffer) {
      write_stage.finish(decode_failure(p, ds.items[p.index]));
      if (callbacks.on_progress) callbacks.on_progress(received, work.size());
      continue;
    }
    pending.push_back(std::move(p));
    if (pending.size() >= batch) fatal = run_batch();
  }
  if (fatal.ok() && !report.cancelled) fatal = run_batch();
  decode_stage.stop();
  for (auto& p : pending)
    if (p.buffer) decode_stage.release(p.buffer);
  if (!fatal.ok()) return fatal;
  report.images -= report.other_shards;
  report.spec = tagger->spec();
  report.thresholds_used = selector.used_thresholds();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace tagmetry
