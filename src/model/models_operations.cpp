// The declarations of `tagmetry models list|pull|info` (include/tagmetry/operation.h).
#include "tagmetry/model_registry.h"

namespace tagmetry {
namespace {

// The options `pull` and `info` share, after their positional argument.
void add_model_options(OptionSet<ModelsParams>& s) {
  s.add("json", &ModelsParams::json, "Print JSON");
  // HF_HUB_OFFLINE=1 has the same effect (read by HubConfig, with huggingface_hub's parsing).
  s.add("offline", &ModelsParams::offline,
        "Never touch the network; use only the Hugging Face cache (also HF_HUB_OFFLINE=1)");
  s.add("model-type", &ModelsParams::model_type,
        "Layout of an unregistered repo id or a folder (default for folders: detected from the labels file)",
        {"", "wd", "joytag"});
}

}  // namespace

const Operation<ModelsParams>& models_list_operation() {
  static const Operation<ModelsParams> op = [] {
    Operation<ModelsParams> o;
    o.info = {"models list", "List the known models and whether each is in the Hugging Face cache", "", "models.md"};
    o.options.add("json", &ModelsParams::json, "Print JSON");
    return o;
  }();
  return op;
}

const Operation<ModelsParams>& models_pull_operation() {
  static const Operation<ModelsParams> op = [] {
    Operation<ModelsParams> o;
    o.info = {"models pull", "Download models into the Hugging Face cache (resumable)", "", "models.md"};
    o.options.positional("names", &ModelsParams::names,
                         "Model names or repo ids (NAME[@REVISION]); default: the default model", /*required=*/false);
    add_model_options(o.options);
    o.options.add("quantize", &ModelsParams::quantize,
                  "Also build the int8 copy (model.int8.onnx beside the model, agreement checked on synthetic "
                  "images) for tag --precision int8");
    return o;
  }();
  return op;
}

const Operation<ModelsParams>& models_info_operation() {
  static const Operation<ModelsParams> op = [] {
    Operation<ModelsParams> o;
    o.info = {"models info", "Show a model's registry entry and what its ONNX file declares", "", "models.md"};
    o.options.positional("name", &ModelsParams::name, "Model name, repo id, or a folder with model.onnx and its labels");
    add_model_options(o.options);
    return o;
  }();
  return op;
}

}  // namespace tagmetry
