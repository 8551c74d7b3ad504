#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_set>

#include "tagmetry/caption.h"
#include "tagmetry/caption_file.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/dataset.h"
#include "tagmetry/files.h"
#include "tagmetry/folder_access.h"
#include "tagmetry/model_registry.h"
#include "tagmetry/sha256.h"
#include "tagmetry/store.h"
#include "tagmetry/tag_thresholds.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"
#include "tagmetry/tag_pipeline.h"
#include "tagmetry/tagger.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

// A decoded, preprocessed image waiting for inference (or the reason it could not be decoded).
struct Prepared {
  size_t index = 0;
  std::vector<float>* buffer = nullptr;  // from the pool; null on failure
  Status status;
  int width = 0, height = 0;
  ImageRecord record;        // relpath, content hash, size, mtime (for the images table)
  bool cached = false;       // scores stored: no decode, no inference
  bool other_shard = false;  // belongs to another --shard
};

// Fixed set of input buffers: decoders block when all are in flight, which bounds memory.
class BufferPool {
 public:
  BufferPool(size_t count, size_t floats) : storage_(count, std::vector<float>(floats)) {
    for (auto& b : storage_) free_.push_back(&b);
  }
  std::vector<float>* acquire(const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !free_.empty() || stop; });
    if (free_.empty()) return nullptr;
    auto* b = free_.back();
    free_.pop_back();
    return b;
  }
  void release(std::vector<float>* b) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      free_.push_back(b);
    }
    cv_.notify_one();
  }
  // Wakes every waiting decoder (after `stop` was set). Taking the mutex first means a decoder that has
  // just checked `stop` is already waiting when notified, so the wake-up cannot be missed.
  void wake_all() {
    { std::lock_guard<std::mutex> lock(mu_); }
    cv_.notify_all();
  }

 private:
  std::vector<std::vector<float>> storage_;
  std::vector<std::vector<float>*> free_;
  std::mutex mu_;
  std::condition_variable cv_;
};

class ReadyQueue {
 public:
  void push(Prepared p) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      items_.push_back(std::move(p));
    }
    cv_.notify_one();
  }
  // Pops one item; waits up to `wait` when empty. Returns false when nothing arrived.
  bool pop(Prepared& out, std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, wait, [&] { return !items_.empty(); })) return false;
    out = std::move(items_.front());
    items_.pop_front();
    return true;
  }

 private:
  std::deque<Prepared> items_;
  std::mutex mu_;
  std::condition_variable cv_;
};

nlohmann::json item_json(const TagItemResult& r) {
  nlohmann::json tags = nlohmann::json::array();
  for (auto& t : r.tags)
    tags.push_back({{"tag", t.tag}, {"label", t.label}, {"probability", std::round(t.probability * 1e4) / 1e4},
                    {"category", category_name(t.category)}});
  return {{"path", r.relpath}, {"width", r.width}, {"height", r.height}, {"tags", tags}};
}

}  // namespace

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

}  // namespace

Result<TagReport> run_tagging(const fs::path& dataset_dir, const ModelFolder& model, const TagParams& params,
                              const TagCallbacks& callbacks) {
  if (params.append && params.overwrite) return invalid_argument("--append and --overwrite cannot be used together");
  if (params.batch_size < 0 || params.batch_size > 1024)
    return invalid_argument("--batch-size must be between 1 and 1024 (0: the device's default)");
  if (params.caption_extension.empty() || params.caption_extension[0] != '.')
    return invalid_argument("--caption-extension must start with a dot (e.g. .txt)");
  std::pair<int, int> shard{0, 1};
  if (!params.shard.empty()) {
    TM_ASSIGN_OR_RETURN(shard, parse_shard(params.shard));
  }
  auto start = std::chrono::steady_clock::now();

  TM_ASSIGN_OR_RETURN(Dataset ds, scan_dataset(dataset_dir, {params.recursive, params.caption_extension}));
  // The database: scores by content hash, images, the caption journal.
  const bool sharded = !params.shard.empty();
  const fs::path db_path = !params.db.empty() ? fs::path(params.db)
                           : sharded        ? shard_store_path(dataset_dir, shard.first, shard.second)
                                            : default_store_path(dataset_dir);
  TM_RETURN_IF_ERROR(check_outputs_writable(ds, params, db_path));
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

  TM_ASSIGN_OR_RETURN(JournaledDataset opened, open_journaled_dataset(dataset_dir, db_path, /*create=*/true,
                                                                     /*exclusive=*/sharded,
                                                                     /*lock=*/!callbacks.write_mutex));
  Store* store = &opened.store();
  CaptionJournal& journal = opened.journal();
  journal.begin_operation("tag", params.command_line);
  TM_ASSIGN_OR_RETURN(ModelRecord model_row, model_record(*store, model, params, *tagger));
  TM_RETURN_IF_ERROR(store->put_model(model_row));
  TM_RETURN_IF_ERROR(apply_tag_thresholds(selector, params, *store, model_row));  // --thresholds
  TM_ASSIGN_OR_RETURN(const auto known_images, store->images());
  std::unordered_set<std::string> cached;
  if (!params.force) {
    TM_ASSIGN_OR_RETURN(cached, store->hashes_with_scores(model_row.id));
  }
  TM_ASSIGN_OR_RETURN(const auto last_written, journal.last_written());

  TagReport report;
  report.setup_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.images = ds.items.size();
  report.model_path = model.model.string();
  report.model_name = model_row.name;
  report.db_path = db_path.string();
  report.device = tagger->session().device();
  report.placement = tagger->session().placement();
  report.thresholds = selector.thresholds();

  // One caption per image: of images sharing a stem (a.png, a.jpg → a.txt) only the first is tagged, so
  // no caption is overwritten within the run.
  std::vector<char> shares_caption(ds.items.size(), 0);
  {
    std::vector<std::string> rel;
    for (auto& it : ds.items) rel.push_back(it.relpath);
    for (auto& group : caption_collisions(rel)) {
      const std::string why = caption_collision_message(rel, group, params.caption_extension);
      for (size_t k = 1; k < group.size(); ++k) {
        const size_t i = group[k];
        shares_caption[i] = 1;
        std::string msg = ds.items[i].relpath + ": not tagged: " + why + " (tagged " + rel[group[0]] +
                          "; rename the others to give each its own caption)";
        report.failed++;
        report.failures.emplace_back(ds.items[i].relpath, msg);
        if (callbacks.on_item) callbacks.on_item({ds.items[i].relpath, ItemOutcome::kFailed, msg, {}, 0, 0});
      }
    }
  }
  std::vector<size_t> work;  // indices of items to run
  for (size_t i = 0; i < ds.items.size(); ++i) {
    if (shares_caption[i]) continue;
    if (ds.items[i].has_caption && !params.append && !params.overwrite) {
      report.skipped_existing++;
      report.skipped.push_back(ds.items[i].relpath);
      if (callbacks.on_item) callbacks.on_item({ds.items[i].relpath, ItemOutcome::kSkippedExisting, "", {}, 0, 0});
    } else {
      work.push_back(i);
    }
  }

  const RunShape shape = run_shape(params, std::thread::hardware_concurrency());
  const size_t batch = static_cast<size_t>(shape.batch_size);
  const size_t decoders = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(shape.threads), work.size()));
  BufferPool pool(batch * 2 + decoders, tagger->input_size());
  ReadyQueue ready;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  auto cancelled = [&] { return callbacks.cancel && callbacks.cancel->load(); };

  // Decoder threads: hash, then decode only what has no stored scores and belongs to this shard.
  std::vector<std::thread> threads;
  for (size_t t = 0; t < (work.empty() ? 0 : decoders); ++t) {
    threads.emplace_back([&] {
      while (!stop) {
        size_t k = next++;
        if (k >= work.size()) break;
        Prepared p;
        p.index = work[k];
        const DatasetItem& item = ds.items[p.index];
        auto sha = content_hash(item.image, item.relpath, known_images, &p.record);
        if (!sha.ok()) {
          p.status = sha.status();
          ready.push(std::move(p));
          continue;
        }
        if (sharded && shard_of(*sha, shard.second) != shard.first) {
          p.other_shard = true;
          ready.push(std::move(p));
          continue;
        }
        if (cached.count(*sha)) {
          p.cached = true;
          ready.push(std::move(p));
          continue;
        }
        p.buffer = pool.acquire(stop);
        if (!p.buffer) break;
        ImageInfo original;
        auto image = load_padded_square(item.image, tagger->spec().side, {}, &original);
        if (image.ok()) {
          tagger->preprocess(*image, p.buffer->data());
          p.width = original.width;
          p.height = original.height;
        } else {
          pool.release(p.buffer);
          p.buffer = nullptr;
          p.status = image.status();
        }
        ready.push(std::move(p));
      }
    });
  }

  auto finish_item = [&](TagItemResult r) {
    switch (r.outcome) {
      case ItemOutcome::kTagged: report.tagged++; break;
      case ItemOutcome::kAppended: report.appended++; break;
      case ItemOutcome::kOverwritten: report.overwritten++; break;
      case ItemOutcome::kFailed: report.failed++; report.failures.emplace_back(r.relpath, r.message); break;
      case ItemOutcome::kSkippedExisting: break;
    }
    if (jsonl.is_open() && r.outcome != ItemOutcome::kFailed) jsonl << item_json(r).dump() << '\n';
    if (callbacks.on_item) callbacks.on_item(r);
  };

  // The caption write for one image, or nullopt when nothing is to be written.
  auto plan_caption = [&](const DatasetItem& item, const std::vector<SelectedTag>& tags,
                          TagItemResult& r) -> Result<std::optional<CaptionWrite>> {
    std::vector<std::string> names;
    for (auto& t : tags) names.push_back(t.tag);
    CaptionWrite w;
    w.relpath = relative_generic(item.caption, ds.root);
    // A caption that is a symbolic link to outside the dataset is never read or written through.
    if (std::error_code ec; fs::is_symlink(item.caption, ec)) {
      TM_ASSIGN_OR_RETURN(w.before, read_dataset_caption(ds.root, item.caption));
    } else {
      TM_ASSIGN_OR_RETURN(w.before, read_caption_if_exists(item.caption));
    }
    auto lw = last_written.find(w.relpath);
    // Our own earlier model output (a hand edit, even one made in the web app, is not ours).
    const bool ours = w.before && lw != last_written.end() && lw->second.by_model() && lw->second.after == w.before;
    if (w.before && params.append) {
      // Never append to a caption that is not UTF-8 (Shift-JIS, UTF-16): name its encoding and skip it.
      TM_RETURN_IF_ERROR(parse_caption_file(*w.before, w.relpath).status());
      // Re-running an append merges into the user's text, not into our previous result.
      w.base = ours && lw->second.base ? lw->second.base : w.before;
      w.after = append_tags_to_caption(*w.base, names, params.caption_separator);
      r.outcome = ItemOutcome::kAppended;
    } else if (w.before && params.overwrite) {
      w.after = selector.caption(tags);
      w.backup = !ours;  // our own earlier write is in the journal already
      r.outcome = ItemOutcome::kOverwritten;
    } else if (w.before) {
      // Appeared while we were running (another process): never clobber it.
      r.outcome = ItemOutcome::kSkippedExisting;
      report.skipped_existing++;
      report.skipped.push_back(item.relpath);
      return std::optional<CaptionWrite>();
    } else {
      w.after = selector.caption(tags);
    }
    if (w.after == w.before) return std::optional<CaptionWrite>();
    return std::optional<CaptionWrite>(std::move(w));
  };

  std::vector<Prepared> pending;  // waiting for inference
  std::vector<Prepared> reuse;    // cached scores, no inference
  std::vector<float> input(batch * tagger->input_size());
  size_t received = 0;
  Status fatal;
  auto run_batch = [&] {
    if (pending.empty() && reuse.empty()) return;
    std::vector<std::vector<float>> probs;
    if (!pending.empty()) {
      const size_t n = pending.size(), floats = tagger->input_size();
      for (size_t i = 0; i < n; ++i) {
        std::copy(pending[i].buffer->begin(), pending[i].buffer->end(), input.begin() + i * floats);
        pool.release(pending[i].buffer);
      }
      auto inferred = tagger->infer(input.data(), n);
      if (!inferred.ok()) {
        fatal = inferred.status();
        pending.clear();
        reuse.clear();
        return;
      }
      probs = std::move(*inferred);
    }
    // Captions are selected from the values as stored, so retag derives exactly the same ones.
    std::vector<Prepared*> items;
    std::vector<std::vector<float>> scores;
    std::vector<bool> fresh;
    for (size_t i = 0; i < pending.size(); ++i) {
      items.push_back(&pending[i]);
      scores.push_back(probs[i].empty() ? probs[i] : decode_scores(encode_scores(probs[i]), probs[i].size()));
      fresh.push_back(true);
    }
    for (auto& p : reuse) {
      auto stored = store->get_scores(p.record.sha256, model_row.id, tagger->labels().size());
      if (!stored.ok()) {
        fatal = stored.status();
        break;
      }
      if (p.record.width == 0) {
        auto size = store->size_of(p.record.sha256);
        if (size.ok()) std::tie(p.record.width, p.record.height) = *size;
      }
      items.push_back(&p);
      scores.push_back(std::move(*stored));
      fresh.push_back(false);
    }
    if (!fatal.ok()) return;
    // The caller's own writers wait while this batch reads, plans and writes its captions.
    std::unique_lock<std::mutex> caller_writes;
    if (callbacks.write_mutex) caller_writes = std::unique_lock<std::mutex>(*callbacks.write_mutex);
    std::vector<TagItemResult> results;
    std::vector<CaptionWrite> writes;
    std::vector<size_t> write_of;  // results index per write
    for (size_t i = 0; i < items.size(); ++i) {
      Prepared& p = *items[i];
      const DatasetItem& item = ds.items[p.index];
      if (fresh[i]) p.record.width = p.width, p.record.height = p.height;
      TagItemResult r{item.relpath, ItemOutcome::kTagged, "", {}, p.record.width, p.record.height};
      if (scores[i].empty()) {
        r.outcome = ItemOutcome::kFailed;
        r.message = item.relpath + (fresh[i] ? ": the model produced NaN or infinite scores"
                                             : ": stored scores do not match the model (run with --force)");
      } else {
        r.tags = selector.select(tagger->labels(), scores[i]);
        auto w = plan_caption(item, r.tags, r);
        if (!w.ok()) {
          r.outcome = ItemOutcome::kFailed;
          r.message = w.status().message();
        } else if (*w) {
          writes.push_back(std::move(**w));
          write_of.push_back(results.size());
        }
      }
      results.push_back(std::move(r));
    }
    std::vector<fs::path> backups;
    auto written = journal.apply(writes, [&]() -> Status {
      for (size_t i = 0; i < items.size(); ++i) {
        if (fresh[i] && !scores[i].empty()) TM_RETURN_IF_ERROR(store->put_scores(items[i]->record.sha256, model_row.id, scores[i]));
        TM_RETURN_IF_ERROR(store->put_image(items[i]->record));
      }
      return {};
    }, &backups);
    if (!written.ok()) {
      fatal = written.status();
      return;
    }
    if (caller_writes.owns_lock()) caller_writes.unlock();
    for (auto& b : backups) report.backups.push_back(b.string());
    for (size_t k = 0; k < writes.size(); ++k) {
      if ((*written)[k].ok()) continue;
      results[write_of[k]].outcome = ItemOutcome::kFailed;
      results[write_of[k]].message = (*written)[k].message();
    }
    report.reused += reuse.size();
    for (auto& r : results)
      if (r.outcome != ItemOutcome::kSkippedExisting) finish_item(std::move(r));
    pending.clear();
    reuse.clear();
    if (callbacks.on_progress) callbacks.on_progress(received, work.size());
  };

  while (received < work.size() && fatal.ok()) {
    if (cancelled()) {
      report.cancelled = true;
      break;
    }
    Prepared p;
    if (!ready.pop(p, std::chrono::milliseconds(50))) {
      // Nothing new: run what we have rather than wait (keeps the model busy with small batches at the end).
      if ((!pending.empty() || !reuse.empty()) && next >= work.size()) run_batch();
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
      if (reuse.size() >= 256) run_batch();
      continue;
    }
    if (!p.buffer) {
      const DatasetItem& item = ds.items[p.index];
      std::string msg = p.status.message();
      // Decoder messages already name the file by full path; report it relative to the dataset.
      msg = replace_all(msg, item.image.string(), item.relpath);
      if (msg.starts_with(": ")) msg = msg.substr(2);
      finish_item({item.relpath, ItemOutcome::kFailed, msg, {}, 0, 0});
      if (callbacks.on_progress) callbacks.on_progress(received, work.size());
      continue;
    }
    pending.push_back(std::move(p));
    if (pending.size() >= batch) run_batch();
  }
  if (fatal.ok() && !report.cancelled) run_batch();
  stop = true;
  pool.wake_all();
  for (auto& t : threads) t.join();
  for (auto& p : pending)
    if (p.buffer) pool.release(p.buffer);
  if (!fatal.ok()) return fatal;
  report.images -= report.other_shards;
  report.spec = tagger->spec();
  report.thresholds_used = selector.used_thresholds();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace tagmetry
