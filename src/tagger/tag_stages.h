#pragma once
// The stages of run_tagging (docs/design.md, "Tagging pipeline"), each with its own state:
//
//   scan → decode (worker threads) → [ready queue] → infer → select → write
//
// run_tagging (pipeline.cpp) opens the model and the dataset, then drives the stages: decoder threads
// fill the ready queue, the calling thread batches what arrives, infers (or reads stored scores), selects
// tags, plans and writes the captions, one journal transaction per batch. Private to the tagger module.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tag_queues.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/dataset.h"
#include "tagmetry/status.h"
#include "tagmetry/store.h"
#include "tagmetry/tag_pipeline.h"
#include "tagmetry/tagger.h"

namespace tagmetry::tagging {

// ---- scan -------------------------------------------------------------------------------------------

// What the scan found and decided before any model is loaded.
struct ScanState {
  Dataset ds;
  std::filesystem::path db_path;     // --db, the shard's database, or DATASET/.tagmetry/tagmetry.db
  bool sharded = false;              // --shard given
  std::pair<int, int> shard{0, 1};   // (i, N)
  std::vector<size_t> work;          // indices into ds.items to hash, decode and tag
  // Images not run, in the order the report lists them: kFailed for each image that shares its caption
  // with an earlier one, then kSkippedExisting for each image that has a caption (no append/overwrite).
  std::vector<TagItemResult> not_run;
};

// Checks the params (--append with --overwrite, --batch-size, --caption-extension, --shard), scans
// `dataset_dir`, and checks that the caption folders and the database's folder can be written (kIo, so the
// run does not spend its inference on writes that all fail).
Result<ScanState> scan_stage(const std::filesystem::path& dataset_dir, const TagParams& params);

// ---- decode -----------------------------------------------------------------------------------------

// What the decode stage knows about the run: read-only while its threads run.
struct DecodeInputs {
  const Dataset* ds = nullptr;
  const std::vector<size_t>* work = nullptr;
  const std::unordered_map<std::string, ImageRecord>* known_images = nullptr;  // images table, by relpath
  const std::unordered_set<std::string>* cached = nullptr;  // content hashes with stored scores
  bool sharded = false;
  std::pair<int, int> shard{0, 1};
  const Tagger* tagger = nullptr;
  size_t threads = 1;  // decoder threads (at most one per work item)
  size_t buffers = 1;  // input buffers in the pool (bounds memory)
};

// Worker threads take the work items in order; each hashes its image (the images table's hash when size
// and mtime match), leaves it to another --shard or to its stored scores, or decodes and preprocesses it
// into a pooled buffer. Results arrive through pop() in any order. The destructor stops and joins.
class DecodeStage {
 public:
  explicit DecodeStage(const DecodeInputs& in);
  ~DecodeStage();
  DecodeStage(const DecodeStage&) = delete;
  DecodeStage& operator=(const DecodeStage&) = delete;

  // Pops one decoded image; waits up to `wait`. Returns false when nothing arrived.
  bool pop(Prepared& out, std::chrono::milliseconds wait) { return ready_.pop(out, wait); }
  // Returns a buffer (Prepared::buffer) to the pool once its floats have been copied.
  void release(std::vector<float>* buffer) { pool_.release(buffer); }
  // True when every work item has been taken by a thread (nothing new will start).
  bool all_claimed() const { return next_ >= in_.work->size(); }
  // Stops the threads (they finish the image in hand) and joins them. Idempotent.
  void stop();

 private:
  void decode_loop();

  DecodeInputs in_;
  BufferPool pool_;
  ReadyQueue ready_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// The report line for an image the decode stage could not read, naming it by its dataset-relative path.
TagItemResult decode_failure(const Prepared& p, const DatasetItem& item);

// ---- infer ------------------------------------------------------------------------------------------

// One batch with its scores, as they are stored (float16 round trip), so retag derives the same captions.
struct ScoredBatch {
  std::vector<Prepared*> items;              // inferred first, then reused
  std::vector<std::vector<float>> scores;    // empty: NaN/Inf output, or stored scores that do not fit
  std::vector<bool> fresh;                   // inferred now (else stored scores reused)
  size_t reused = 0;
};

// Runs the model on batches of decoded images and reads the stored scores of the images that have them.
class InferStage {
 public:
  InferStage(Tagger& tagger, const Store& store, int64_t model_id, size_t batch);

  // Infers `pending` (their buffers go back to `decode`), then reads the stored scores of `reuse`; fills
  // each item's width and height. Errors: inference failed, or a stored score could not be read (fatal).
  Result<ScoredBatch> run(std::vector<Prepared>& pending, std::vector<Prepared>& reuse, DecodeStage& decode);

 private:
  Tagger& tagger_;
  const Store& store_;
  int64_t model_id_;
  std::vector<float> input_;  // batch * input_size floats
};

// ---- select -----------------------------------------------------------------------------------------

// The tags of a batch and the caption writes they imply.
struct SelectedBatch {
  std::vector<TagItemResult> results;  // one per scored item; kSkippedExisting ones are not reported again
  std::vector<CaptionWrite> writes;    // captions that change
  std::vector<size_t> write_of;        // index into results, per write
  std::vector<std::string> appeared;   // images whose caption appeared while the run went on: skipped
};

// Selects each image's tags and plans its caption: a new one, tags appended to (a re-run: merged into the
// user's text, not our previous result), or an overwrite (backed up unless it was our own output). A
// caption that appeared meanwhile is never clobbered; a caption that would not change is not written.
class SelectStage {
 public:
  SelectStage(const Dataset& ds, const TagParams& params, const TagSelector& selector, const LabelSet& labels,
              const std::unordered_map<std::string, LastWrite>& last_written);

  // Reads the current captions: call with the caller's write mutex held (TagCallbacks::write_mutex).
  SelectedBatch run(const ScoredBatch& batch) const;

 private:
  // A new or overwritten caption's text: --trigger first (once), then the tags.
  std::string whole_caption(std::vector<SelectedTag> tags) const;
  Result<std::optional<CaptionWrite>> plan_caption(const DatasetItem& item, const std::vector<SelectedTag>& tags,
                                                   TagItemResult& r) const;

  const Dataset& ds_;
  const TagParams& params_;
  const TagSelector& selector_;
  const LabelSet& labels_;
  const std::unordered_map<std::string, LastWrite>& last_written_;
};

// ---- write ------------------------------------------------------------------------------------------

// Writes each batch in one journal transaction (captions, scores, image rows) and reports each image: the
// report's counts and lists, the --output-jsonl line, the caller's on_item.
class WriteStage {
 public:
  WriteStage(CaptionJournal& journal, Store& store, int64_t model_id, TagReport& report, std::ofstream* jsonl,
             const TagCallbacks& callbacks);

  // Reports an image the scan did not run (shared caption, existing caption): no JSONL line.
  void not_run(const TagItemResult& r);
  // The batch's transaction; a write that failed turns its item into kFailed. Errors: the transaction
  // failed (fatal: nothing of the batch was written).
  Status commit(const ScoredBatch& scored, SelectedBatch& selected);
  // Reports the committed batch's images (after the caller's write mutex is released).
  void report_batch(SelectedBatch& selected, size_t reused);
  // Reports one image's outcome.
  void finish(TagItemResult r);

 private:
  CaptionJournal& journal_;
  Store& store_;
  int64_t model_id_;
  TagReport& report_;
  std::ofstream* jsonl_;  // null: no --output-jsonl
  const TagCallbacks& callbacks_;
};

}  // namespace tagmetry::tagging
