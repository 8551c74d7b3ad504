#include <algorithm>

#include "tagmetry/tag_pipeline.h"

namespace tagmetry {

const Operation<TagParams>& tag_operation() {
  static const Operation<TagParams> op{{"tag", "Tag images with a WD14 / WD v3 / JoyTag model and write kohya-compatible captions", "POST /api/jobs/tag", "tag.md"}, [] {
    OptionSet<TagParams> s;
    s.group("Model")
        .add("model", &TagParams::model, "Model name from `tagmetry models list` (downloaded and cached)", {}, "TAGMETRY_MODEL")
        .add("model-dir", &TagParams::model_dir, "Local folder with model.onnx and selected_tags.csv / top_tags.txt")
        .add("model-type", &TagParams::model_type, "Model layout (detected from the labels file)", {"auto", "wd", "joytag"})
        .add("offline", &TagParams::offline, "Never touch the network (HF_HUB_OFFLINE=1 does the same)")
        .add("device", &TagParams::device, "Execution provider", {"cpu", "cuda", "tensorrt", "coreml"}, "TAGMETRY_DEVICE")
        .add("precision", &TagParams::precision,
             "int8: a dynamically quantized copy for CPUs (model.int8.onnx, docs/quantize.md); fp16: a float16 copy "
             "for GPUs (model.fp16.onnx, docs/gpu.md); each built once beside the model and checked against fp32",
             {"fp32", "fp16", "int8"})
        .add("batch-size", &TagParams::batch_size, "Images per inference batch (0 = 4 on the CPU, 64 on a GPU)")
        .add("threads", &TagParams::threads, "Decode/preprocess threads (0 = min(4, cores) on the CPU, cores - 1 on a GPU)")
        .add("no-tf32", &TagParams::no_tf32, "--device cuda: no TF32 for float32 matrix products (slower, bit-closer to the CPU)")
        .add("intra-threads", &TagParams::intra_threads, "ONNX Runtime threads (0 = one per core)")
        .add("force", &TagParams::force, "Run the model even for images whose scores are stored")
        .add("shard", &TagParams::shard, "Process only shard i of N (i/N, 0-based, by content hash) into its own database")
        .add("db", &TagParams::db, "Database file (default: DIR/.tagmetry/tagmetry.db, or tagmetry.shard-i-of-N.db)");
    add_selection_options(s);
    s.group("Files")
        .add("recursive", &TagParams::recursive, "Tag images in subfolders too")
        .add("append", &TagParams::append, "Merge new tags into existing captions (no duplicates)")
        .add("overwrite", &TagParams::overwrite, "Replace existing captions (a .bak copy is kept)")
        .add("image", &TagParams::images, "Tag only this image (path relative to DIR; repeatable)")
        .add("trigger", &TagParams::trigger, "Put this tag first in every new or overwritten caption (a LoRA trigger word)")
        .add("caption-extension", &TagParams::caption_extension, "Caption file extension")
        .add("output-jsonl", &TagParams::output_jsonl, "Also write one JSON line per image (path, size, tags, probabilities)");
    return s;
  }()};
  return op;
}

const OptionSet<TagParams>& tag_options() { return tag_operation().options; }

RunShape run_shape(const TagParams& params, unsigned cores) {
  cores = std::max(1u, cores);
  const bool gpu = params.device == "cuda" || params.device == "tensorrt";
  RunShape shape;
  shape.batch_size = params.batch_size > 0 ? params.batch_size : gpu ? 64 : 4;
  shape.threads = params.threads > 0 ? params.threads
                  : gpu             ? static_cast<int>(std::max(1u, cores - 1))
                                    : static_cast<int>(std::min(4u, cores));
  return shape;
}

}  // namespace tagmetry
