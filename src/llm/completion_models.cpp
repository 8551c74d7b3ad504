// The completion models Tagmetry knows (docs/complete.md). Facts from the model cards; sizes approximate.
#include <nlohmann/json.hpp>

#include "llama_runner.h"
#include "tagmetry/complete.h"
#include "tagmetry/model_cache.h"
#include "tagmetry/model_registry.h"
#include "tagmetry/strings.h"

namespace tagmetry {

const std::vector<CompletionModel>& completion_models() {
  static const std::vector<CompletionModel> models = [] {
    std::vector<CompletionModel> m;
    auto add = [&](CompletionModel e) { m.push_back(std::move(e)); };
    add({"dart-v2-moe-sft", "p1atdev/dart-v2-moe-sft", "main", "dart-v2", "Mixtral", "apache-2.0", 166'000'000,
         333'000'000, true, true, "Dart v2 MoE, supervised fine-tuned for completion (default)", ""});
    add({"dart-v2-sft", "p1atdev/dart-v2-sft", "main", "dart-v2", "Mistral", "apache-2.0", 114'000'000, 229'000'000,
         true, false, "Dart v2, supervised fine-tuned for completion", ""});
    add({"dart-v2-moe-base", "p1atdev/dart-v2-moe-base", "main", "dart-v2", "Mixtral", "apache-2.0", 166'000'000,
         333'000'000, false, false, "Dart v2 MoE, pretrained only (continues the tag list)", ""});
    // TIPO and DanTagGen run their published GGUF files (KGen models.py tipo_model_list, gguf_name). TIPO
    // files are F16 (the only ones published by the author); DanTagGen's Q8_0 is its smallest lossless-enough.
    add({"tipo-500m", "KBlueLeaf/TIPO-500M", "main", "tipo", "LLaMA", "kohaku-license-1.0", 500'000'000,
         1'020'000'000, true, false, "TIPO 500M (commercial-use restrictions)", "TIPO-500M_epoch5-F16.gguf"});
    add({"tipo-200m", "KBlueLeaf/TIPO-200M", "main", "tipo", "LLaMA", "kohaku-license-1.0", 200'000'000,
         406'000'000, true, false, "TIPO 200M (commercial-use restrictions)", "TIPO-200M-40Btok-F16.gguf"});
    add({"tipo-100m", "KBlueLeaf/TIPO-100M", "main", "tipo", "LLaMA", "kohaku-license-1.0", 100'000'000,
         203'000'000, true, false, "TIPO 100M (commercial-use restrictions)", "TIPO-100M-F16.gguf"});
    add({"dantaggen-delta-rev2", "KBlueLeaf/DanTagGen-delta-rev2", "main", "dantaggen", "LLaMA", "cc-by-sa-4.0",
         400'000'000, 440'000'000, true, false, "DanTagGen delta-rev2", "ggml-model-Q8_0.gguf"});
    return m;
  }();
  return models;
}

Result<CompletionModel> find_completion_model(const std::string& name) {
  const std::string key = to_lower_ascii(trim(name));
  std::vector<std::string> names;
  for (auto& m : completion_models()) {
    if (to_lower_ascii(m.name) == key || to_lower_ascii(m.repo) == key) return m;
    names.push_back(m.name);
  }
  return not_found("unknown completion model '" + name + "' (known: " + join(names, ", ") +
                   "; or --model-file X.gguf)");
}

std::string CompletionStatus::to_json() const {
  return nlohmann::ordered_json{{"available", available}, {"model", model}, {"reason", reason}}.dump();
}

CompletionStatus completion_status(const CompleteParams& p) {
  CompletionStatus st;
  std::error_code ec;
  const std::string file = !p.model_file.empty() ? p.model_file
                           : std::filesystem::exists(p.model, ec) ? p.model : std::string();
  st.model = file.empty() ? p.model : file;
  if (std::string why = llama_unavailable_reason(); !why.empty()) {
    st.reason = why;
    return st;
  }
  if (!file.empty()) {
    st.available = std::filesystem::exists(file, ec);
    if (!st.available) st.reason = file + ": no such model file";
    return st;
  }
  auto entry = find_completion_model(p.model);
  std::string repo = entry.ok() ? entry->repo : p.model;
  std::vector<std::string> files{"config.json", "tokenizer.json", "model.safetensors"};
  if (entry.ok() && !entry->gguf_file.empty()) files = {entry->gguf_file};
  if (!entry.ok() && !looks_like_repo_id(p.model)) {
    st.reason = entry.status().message();
    return st;
  }
  ResolveOptions ro;
  ro.offline = true;
  for (auto& f : files) {
    auto got = resolve_hub_file(repo, entry.ok() ? entry->revision : "main", f, ro);
    if (!got.ok()) {
      st.reason = st.model + " is not downloaded yet: run `tagmetry complete \"1girl\" --model " + st.model +
                  "` once (or set TAGMETRY_COMPLETE_MODEL)";
      return st;
    }
  }
  st.available = true;
  return st;
}

}  // namespace tagmetry
