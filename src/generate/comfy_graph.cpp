// ComfyUI API-format graphs: the built-in SDXL text-to-image graph and user workflows with placeholders.
// Node inputs and output indices from ComfyUI nodes.py (CheckpointLoaderSimple → MODEL 0, CLIP 1, VAE 2;
// LoraLoader → MODEL 0, CLIP 1).
#include "backends.h"
#include "tagmetry/strings.h"

namespace tagmetry::gen {

using nlohmann::json;

std::string comfy_sampler(std::string_view a) {
  static const std::pair<const char*, const char*> map[] = {{"Euler a", "euler_ancestral"},
                                                            {"Euler", "euler"},
                                                            {"LMS", "lms"},
                                                            {"Heun", "heun"},
                                                            {"DPM2", "dpm_2"},
                                                            {"DPM2 a", "dpm_2_ancestral"},
                                                            {"DPM++ 2S a", "dpmpp_2s_ancestral"},
                                                            {"DPM++ 2M", "dpmpp_2m"},
                                                            {"DPM++ SDE", "dpmpp_sde"},
                                                            {"DPM++ 2M SDE", "dpmpp_2m_sde"},
                                                            {"DPM++ 3M SDE", "dpmpp_3m_sde"},
                                                            {"DPM fast", "dpm_fast"},
                                                            {"DPM adaptive", "dpm_adaptive"},
                                                            {"LCM", "lcm"},
                                                            {"DDIM", "ddim"},
                                                            {"UniPC", "uni_pc"},
                                                            {"Restart", "restart"}};
  for (auto& [from, to] : map)
    if (a == from) return to;
  return replace_all(to_lower_ascii(a), " ", "_");  // already a ComfyUI name ("euler_ancestral")
}

std::string comfy_scheduler(std::string_view a) {
  std::string s = to_lower_ascii(a);
  if (s == "automatic" || s.empty()) return "normal";
  if (s == "ddim") return "ddim_uniform";
  return replace_all(s, " ", "_");  // Karras → karras, SGM Uniform → sgm_uniform
}

namespace {

std::string lora_file(const std::string& name) {
  return name.find('.') == std::string::npos ? name + ".safetensors" : name;
}

// Replaces {{name}} placeholders in every string of `v`. A string that is exactly one numeric placeholder
// becomes that number.
void fill(json& v, const json& values) {
  if (v.is_object() || v.is_array()) {
    for (auto& e : v) fill(e, values);
    return;
  }
  if (!v.is_string()) return;
  std::string s = v.get<std::string>();
  if (s.size() > 4 && s.rfind("{{", 0) == 0 && s.ends_with("}}")) {
    std::string key = s.substr(2, s.size() - 4);
    if (values.contains(key) && !values[key].is_string()) {
      v = values[key];
      return;
    }
  }
  for (auto& [key, value] : values.items()) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    s = replace_all(s, "{{" + key + "}}", text);
  }
  v = s;
}

}  // namespace

Result<json> comfy_graph(const GenerationJob& job, int64_t seed) {
  const PromptResult& p = job.prompt;
  if (!job.workflow.empty()) {
    json w;
    try {
      w = json::parse(job.workflow);
    } catch (const std::exception& e) {
      return invalid_argument("--workflow: not JSON (" + std::string(e.what()) + ")");
    }
    if (!w.is_object() || w.empty() || !w.begin()->is_object() || !w.begin()->contains("class_type"))
      return invalid_argument(
          "--workflow: not an API-format workflow (save it with ComfyUI's \"Export (API)\"): "
          "expected {\"3\": {\"class_type\": …, \"inputs\": {…}}, …}");
    json values = {{"positive", p.positive_text},
                   {"negative", p.negative},
                   {"seed", seed},
                   {"steps", p.steps},
                   {"cfg", p.cfg},
                   {"width", p.size.width},
                   {"height", p.size.height},
                   {"batch_size", job.batch_size},
                   {"sampler", comfy_sampler(p.sampler)},
                   {"scheduler", comfy_scheduler(p.scheduler)},
                   {"checkpoint", job.checkpoint}};
    fill(w, values);
    return w;
  }
  if (job.checkpoint.empty())
    return invalid_argument(
        "--backend comfyui needs --checkpoint FILE (a name from ComfyUI's models/checkpoints; "
        "--check lists them) or --workflow");
  json g;
  g["4"] = {{"class_type", "CheckpointLoaderSimple"}, {"inputs", {{"ckpt_name", job.checkpoint}}}};
  json model = {"4", 0}, clip = {"4", 1};
  int id = 10;
  for (auto& l : p.loras) {
    std::string node = std::to_string(id++);
    g[node] = {{"class_type", "LoraLoader"},
               {"inputs",
                {{"model", model},
                 {"clip", clip},
                 {"lora_name", lora_file(l.name)},
                 {"strength_model", l.weight},
                 {"strength_clip", l.weight}}}};
    model = {node, 0};
    clip = {node, 1};
  }
  g["6"] = {{"class_type", "CLIPTextEncode"}, {"inputs", {{"text", p.positive_text}, {"clip", clip}}}};
  g["7"] = {{"class_type", "CLIPTextEncode"}, {"inputs", {{"text", p.negative}, {"clip", clip}}}};
  g["5"] = {{"class_type", "EmptyLatentImage"},
            {"inputs", {{"width", p.size.width}, {"height", p.size.height}, {"batch_size", job.batch_size}}}};
  g["3"] = {{"class_type", "KSampler"},
            {"inputs",
             {{"model", model},
              {"seed", seed},
              {"steps", p.steps},
              {"cfg", p.cfg},
              {"sampler_name", comfy_sampler(p.sampler)},
              {"scheduler", comfy_scheduler(p.scheduler)},
              {"positive", {"6", 0}},
              {"negative", {"7", 0}},
              {"latent_image", {"5", 0}},
              {"denoise", 1.0}}}};
  g["8"] = {{"class_type", "VAEDecode"}, {"inputs", {{"samples", {"3", 0}}, {"vae", {"4", 2}}}}};
  g["9"] = {{"class_type", "SaveImage"}, {"inputs", {{"images", {"8", 0}}, {"filename_prefix", "Tagmetry"}}}};
  return g;
}

}  // namespace tagmetry::gen
