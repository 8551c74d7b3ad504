#pragma once
// `tagmetry tag`: decode/preprocess threads hash each image (SHA-256 of the bytes) and decode only those
// without stored scores; they feed batched inference through a bounded pool of buffers (memory stays
// bounded whatever the folder size). The inference thread stores the scores (store.h), selects tags from
// the stored (quantized) values and writes captions through the journal (caption_journal.h), one
// transaction per batch, so a run killed at any moment resumes where it stopped. Existing captions are
// skipped unless append or overwrite (with a backup) is asked.

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "tagmetry/operation.h"
#include "tagmetry/status.h"
#include "tagmetry/tag_selection.h"
#include "tagmetry/tagger_spec.h"

namespace tagmetry {

struct TagParams : SelectionParams {
  std::string model;              // registry name (downloaded/cached); see model_registry.h
  std::string model_dir;          // local folder with model.onnx + labels (wins over --model)
  std::string model_type = "auto";
  bool offline = false;
  std::string device = "cpu";
  std::string precision = "fp32"; // fp32 | fp16 | int8 (cached model.fp16.onnx / model.int8.onnx; float16_model.h, quantize.h)
  int batch_size = 0;             // images per inference batch; 0 = the device's default (run_shape)
  int threads = 0;                // decode/preprocess threads; 0 = the device's default (run_shape)
  bool no_tf32 = false;           // --device cuda: full float32 matrix products (TF32 is allowed by default)
  int intra_threads = 0;          // ONNX Runtime threads; 0 = one per core
  bool recursive = false;
  bool append = false;
  bool overwrite = false;
  std::vector<std::string> images;  // --image: tag only these (paths relative to the dataset); empty = all
  std::string trigger;              // --trigger: put first in every caption the run writes whole (new, overwritten)
  std::string caption_extension = ".txt";
  std::string output_jsonl;
  bool force = false;             // run the model even for images with stored scores
  std::string shard;              // "i/N": only images whose content hash falls in shard i of N
  std::string db;                 // database file; empty = DATASET/.tagmetry/tagmetry.db (or the shard's)
  std::string command_line;       // recorded in the journal (not an option)
};

// The batch size and decode threads a run uses: the user's values where set (> 0), else the device's
// defaults: on the CPU 4 images and min(4, cores) threads; on a GPU (cuda, tensorrt) 64 images and every
// core but one (decoding is then the limit, and the inference thread mostly waits on the GPU).
struct RunShape {
  int batch_size = 4;
  int threads = 1;
};
RunShape run_shape(const TagParams& params, unsigned cores);

// The declaration of every `tag` option (CLI flags, server JSON, docs come from it).
// The operation's declaration (name, summary, options; include/tagmetry/operation.h).
const Operation<TagParams>& tag_operation();
const OptionSet<TagParams>& tag_options();

enum class ItemOutcome { kTagged, kAppended, kOverwritten, kSkippedExisting, kFailed };

struct TagItemResult {
  std::string relpath;
  ItemOutcome outcome = ItemOutcome::kTagged;
  std::string message;            // error for kFailed
  std::vector<SelectedTag> tags;  // for tagged/appended/overwritten
  int width = 0, height = 0;      // original size (after EXIF orientation)
};

struct TagReport {
  size_t images = 0;      // images found
  size_t tagged = 0;      // new caption files
  size_t appended = 0;
  size_t overwritten = 0;
  size_t skipped_existing = 0;
  size_t failed = 0;
  size_t reused = 0;      // images whose stored scores were used (no decode, no inference)
  size_t other_shards = 0;  // images left to other shards (--shard)
  std::vector<std::pair<std::string, std::string>> failures;  // relpath, message
  std::vector<std::string> skipped;                           // relpaths with an existing caption
  std::vector<std::string> backups;                           // backup files written by overwrite
  double seconds = 0;        // the whole run
  double setup_seconds = 0;  // of which: scan, model load, database open, model hash (once per run)
  bool cancelled = false;
  std::string model_path;
  std::string model_name;   // as stored in the database (retag --model takes it)
  std::string db_path;
  std::string device;     // --device as run ("cuda")
  std::string placement;  // where ONNX Runtime put the model's nodes: "CUDAExecutionProvider (all 367 nodes)"
  TaggerSpec spec;
  Thresholds thresholds;
  ThresholdRange thresholds_used;  // with --mcut: the range of the per-image thresholds
};

struct TagCallbacks {
  std::function<void(size_t done, size_t total)> on_progress;   // called from the inference thread
  std::function<void(const TagItemResult&)> on_item;            // after each image is written/failed
  const std::atomic<bool>* cancel = nullptr;                    // set to stop early (Ctrl-C)
  // Set by a caller that holds the dataset lock itself and writes captions of its own while the run goes
  // on (the web app's tag job): run_tagging then does not take the lock, and reads, plans and writes
  // each batch's captions with this mutex held, so the caller's writes land between batches.
  std::mutex* write_mutex = nullptr;
};

// Tags every image of `dataset_dir` with the model in `model`. A per-image problem (corrupt image,
// unreadable caption) is recorded in the report and the run continues; a model problem is an error.
Result<TagReport> run_tagging(const std::filesystem::path& dataset_dir, const ModelFolder& model,
                              const TagParams& params, const TagCallbacks& callbacks = {});

// The report as JSON, as `tag --json` prints it and the web app's tag job reports it (docs/tag.md):
// {"images", "tagged", "appended", "overwritten", "skipped_existing", "failed", "reused", "other_shards",
// "database", "model_name", "model" (its path), "failures": [{"path", "error"}], "skipped", "backups",
// "cancelled", "seconds", "device", "provider", "mcut", "thresholds"}. `mcut`: the run chose thresholds
// per image (TagParams::mcut).
nlohmann::json to_json(const TagReport& report, bool mcut);

// {"general": G, "character": C}: the thresholds applied; with `mcut`, where each image gets its own,
// their range over the run: {"general": {"min", "max"}, "character": {"min", "max"}} (null while no image
// was selected for). In the --json summaries of tag and retag.
nlohmann::json thresholds_json(bool mcut, const Thresholds& fixed, const ThresholdRange& used);

}  // namespace tagmetry

#include "tagmetry/model_cache.h"

namespace tagmetry {

struct TaggerModelOptions {
  ProgressCallback progress;  // downloads (may be empty)
  // --precision int8/fp16: the copy is built on first use, its agreement with fp32 checked on the first
  // images of this folder (the dataset about to be tagged; empty: synthetic images).
  std::filesystem::path int8_sample;
  // One-line notices for the user: that the int8 model is being built, then what it measured. May be empty.
  std::function<void(const std::string&)> note;
};

// The model a `tag` run uses: --model-dir (local files, type detected or --model-type), else --model
// (a registry name or repo id, downloaded into the Hugging Face cache unless --offline), else the
// default model; with --precision int8 its cached int8 copy (quantize.h), refused when it changes too
// many tags.
Result<ModelFolder> resolve_tagger_model(const TagParams& params, const TaggerModelOptions& options = {});

}  // namespace tagmetry
