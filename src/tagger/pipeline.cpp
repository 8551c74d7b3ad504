#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "tagmetry/caption.h"
#include "tagmetry/dataset.h"
#include "tagmetry/files.h"
#include "tagmetry/strings.h"
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
  void wake_all() { cv_.notify_all(); }

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

bool same_tag(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if ((a[i] == ' ' ? '_' : a[i]) != (b[i] == ' ' ? '_' : b[i])) return false;
  return true;
}

nlohmann::json item_json(const TagItemResult& r) {
  nlohmann::json tags = nlohmann::json::array();
  for (auto& t : r.tags)
    tags.push_back({{"tag", t.tag}, {"label", t.label}, {"probability", std::round(t.probability * 1e4) / 1e4},
                    {"category", category_name(t.category)}});
  return {{"path", r.relpath}, {"width", r.width}, {"height", r.height}, {"tags", tags}};
}

}  // namespace

std::string append_tags_to_caption(std::string_view existing, const std::vector<std::string>& new_tags,
                                   std::string_view separator) {
  CaptionText caption = parse_caption_text(existing);
  std::string sep_char(trim(separator).empty() ? std::string(separator) : std::string(trim(separator)));
  std::vector<std::string> tags = caption.lines.empty() ? std::vector<std::string>{} : parse_tags(caption.lines[0], sep_char);
  for (auto& t : new_tags)
    if (std::none_of(tags.begin(), tags.end(), [&](const std::string& e) { return same_tag(e, t); })) tags.push_back(t);
  std::string line = format_tags(tags, separator);
  if (caption.lines.empty()) caption.lines.push_back(line);
  else caption.lines[0] = line;
  return caption.text();
}

Result<TagReport> run_tagging(const fs::path& dataset_dir, const ModelFolder& model, const TagParams& params,
                              const TagCallbacks& callbacks) {
  if (params.append && params.overwrite) return invalid_argument("--append and --overwrite cannot be used together");
  if (params.batch_size < 1 || params.batch_size > 1024) return invalid_argument("--batch-size must be between 1 and 1024");
  if (params.caption_extension.empty() || params.caption_extension[0] != '.')
    return invalid_argument("--caption-extension must start with a dot (e.g. .txt)");
  auto start = std::chrono::steady_clock::now();

  TM_ASSIGN_OR_RETURN(Dataset ds, scan_dataset(dataset_dir, {params.recursive, params.caption_extension}));
  SessionOptions so;
  so.device = params.device;
  so.threads = params.intra_threads;
  TM_ASSIGN_OR_RETURN(std::unique_ptr<Tagger> tagger, Tagger::open(model, so));
  TM_ASSIGN_OR_RETURN(TagSelector selector, TagSelector::create(params, tagger->spec().default_general_threshold,
                                                                tagger->spec().default_character_threshold));
  std::ofstream jsonl;
  if (!params.output_jsonl.empty()) {
    jsonl.open(params.output_jsonl, std::ios::binary | std::ios::trunc);
    if (!jsonl) return io_error(params.output_jsonl + ": cannot write");
  }

  TagReport report;
  report.images = ds.items.size();
  report.model_path = model.model.string();
  report.thresholds = selector.thresholds();

  std::vector<size_t> work;  // indices of items to run
  for (size_t i = 0; i < ds.items.size(); ++i) {
    if (ds.items[i].has_caption && !params.append && !params.overwrite) {
      report.skipped_existing++;
      report.skipped.push_back(ds.items[i].relpath);
      if (callbacks.on_item) callbacks.on_item({ds.items[i].relpath, ItemOutcome::kSkippedExisting, "", {}, 0, 0});
    } else {
      work.push_back(i);
    }
  }

  const size_t batch = static_cast<size_t>(params.batch_size);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t decoders = std::max<size_t>(1, std::min<size_t>(params.threads > 0 ? params.threads : std::min(4u, cores), work.size()));
  BufferPool pool(batch * 2 + decoders, tagger->input_size());
  ReadyQueue ready;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  auto cancelled = [&] { return callbacks.cancel && callbacks.cancel->load(); };

  std::vector<std::thread> threads;
  for (size_t t = 0; t < (work.empty() ? 0 : decoders); ++t) {
    threads.emplace_back([&] {
      while (!stop) {
        size_t k = next++;
        if (k >= work.size()) break;
        Prepared p;
        p.index = work[k];
        p.buffer = pool.acquire(stop);
        if (!p.buffer) break;
        ImageInfo original;
        auto image = load_padded_square(ds.items[p.index].image, tagger->spec().side, {}, &original);
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

  auto write_caption_for = [&](const DatasetItem& item, const std::vector<SelectedTag>& tags, TagItemResult& r) {
    std::vector<std::string> names;
    for (auto& t : tags) names.push_back(t.tag);
    std::string text = selector.caption(tags);
    std::error_code ec;
    bool exists = fs::exists(item.caption, ec);
    if (exists && params.append) {
      auto old = read_text_file(item.caption);
      if (!old.ok()) return old.status();
      text = append_tags_to_caption(*old, names, params.caption_separator);
      r.outcome = ItemOutcome::kAppended;
    } else if (exists && params.overwrite) {
      TM_ASSIGN_OR_RETURN(fs::path backup, backup_file(item.caption));
      report.backups.push_back(backup.string());
      r.outcome = ItemOutcome::kOverwritten;
    } else if (exists) {
      // Appeared while we were running (another process): never clobber it.
      r.outcome = ItemOutcome::kSkippedExisting;
      report.skipped_existing++;
      report.skipped.push_back(item.relpath);
      return Status();
    }
    return write_file_atomic(item.caption, text);
  };

  std::vector<Prepared> pending;
  std::vector<float> input(batch * tagger->input_size());
  size_t received = 0;
  Status fatal;
  auto run_batch = [&] {
    if (pending.empty()) return;
    const size_t n = pending.size(), floats = tagger->input_size();
    for (size_t i = 0; i < n; ++i) {
      std::copy(pending[i].buffer->begin(), pending[i].buffer->end(), input.begin() + i * floats);
      pool.release(pending[i].buffer);
    }
    auto probs = tagger->infer(input.data(), n);
    if (!probs.ok()) {
      fatal = probs.status();
      pending.clear();
      return;
    }
    for (size_t i = 0; i < n; ++i) {
      const DatasetItem& item = ds.items[pending[i].index];
      TagItemResult r{item.relpath, ItemOutcome::kTagged, "", {}, pending[i].width, pending[i].height};
      if ((*probs)[i].empty()) {
        r.outcome = ItemOutcome::kFailed;
        r.message = item.relpath + ": the model produced NaN or infinite scores";
      } else {
        r.tags = selector.select(tagger->labels(), (*probs)[i]);
        Status s = write_caption_for(item, r.tags, r);
        if (!s.ok()) {
          r.outcome = ItemOutcome::kFailed;
          r.message = s.message();
        }
      }
      if (r.outcome != ItemOutcome::kSkippedExisting) finish_item(std::move(r));
    }
    pending.clear();
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
      if (!pending.empty() && next >= work.size()) run_batch();
      continue;
    }
    ++received;
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
  if (!fatal.ok()) return fatal;
  report.spec = tagger->spec();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace tagmetry
