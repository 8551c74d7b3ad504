// AUTOMATIC1111 / Forge / reForge through /sdapi/v1 (modules/api/api.py): txt2img with progress polling
// from a second connection, interrupt, model / LoRA / sampler / scheduler lists.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "backends.h"
#include "tagmetry/png_text.h"
#include "tagmetry/strings.h"

namespace tagmetry::gen {
namespace {

using nlohmann::json;

// Maps an HTTP error of the A1111 API to a message that says what to do.
Status a1111_error(const HttpResponse& r, const std::string& url, bool have_auth) {
  if (r.status == 401)
    return have_auth ? network_error(url +
                                     ": the server refused the credentials (HTTP 401); check --user NAME:PASS "
                                     "or TAGMETRY_GENERATOR_AUTH against its --api-auth")
                     : network_error(url +
                                     ": the server needs credentials (HTTP 401): pass --user NAME:PASS or set "
                                     "TAGMETRY_GENERATOR_AUTH (A1111 --api-auth)");
  if (r.status == 404)
    return network_error(url +
                         ": not found (HTTP 404): the API is not enabled; start AUTOMATIC1111 / Forge with --api "
                         "(or --nowebui)");
  std::string detail;
  try {
    json j = json::parse(r.body);
    for (const char* k : {"errors", "detail", "error"})
      if (j.contains(k) && !j[k].is_null()) {
        detail = j[k].is_string() ? j[k].get<std::string>() : j[k].dump();
        break;
      }
  } catch (...) {
    detail = r.body.substr(0, 200);
  }
  return network_error(url + ": HTTP " + std::to_string(r.status) + (detail.empty() ? "" : ": " + detail));
}

class A1111Generator : public Generator {
 public:
  explicit A1111Generator(HttpOptions options) : client_(std::move(options)) {}

  Result<json> get_json(const std::string& path) {
    TM_ASSIGN_OR_RETURN(HttpResponse r, client_.get(path, 60));
    if (r.status != 200) return a1111_error(r, client_.url(path), !client_.options().basic_auth.empty());
    return parse_json_body(r, client_.url(path));
  }

  Result<ServerInventory> inventory() override {
    try {
      return list();
    } catch (const std::exception& e) {  // a JSON answer of an unexpected shape
      return corrupt(client_.url("/sdapi/v1") + ": unexpected answer (" + e.what() + ")");
    }
  }

  Result<ServerInventory> list() {
    ServerInventory inv;
    TM_ASSIGN_OR_RETURN(json models, get_json("/sdapi/v1/sd-models"));
    for (auto& m : models) inv.checkpoints.push_back(m.value("title", m.value("model_name", "")));
    auto loras = get_json("/sdapi/v1/loras");  // absent when the Lora extension is disabled
    if (loras.ok())
      for (auto& l : *loras) inv.loras.push_back(l.value("alias", l.value("name", "")));
    TM_ASSIGN_OR_RETURN(json samplers, get_json("/sdapi/v1/samplers"));
    for (auto& s : samplers) inv.samplers.push_back(s.value("name", ""));
    auto schedulers = get_json("/sdapi/v1/schedulers");  // A1111 1.9+
    if (schedulers.ok())
      for (auto& s : *schedulers) inv.schedulers.push_back(s.value("label", s.value("name", "")));
    return inv;
  }

  Result<std::vector<GeneratedImage>> generate(const GenerationJob& job, const GeneratorProgressFn& progress,
                                               const std::atomic<bool>& cancel) override {
    const PromptResult& p = job.prompt;
    json body = {{"prompt", p.positive},
                 {"negative_prompt", p.negative},
                 {"seed", job.seed},
                 {"sampler_name", p.sampler},
                 {"scheduler", p.scheduler},
                 {"batch_size", job.batch_size},
                 {"n_iter", 1},
                 {"steps", p.steps},
                 {"cfg_scale", p.cfg},
                 {"width", p.size.width},
                 {"height", p.size.height},
                 {"send_images", true},
                 {"save_images", false}};
    if (!job.checkpoint.empty()) {
      // Kept loaded afterwards: restoring would reload the previous checkpoint after every batch.
      body["override_settings"] = {{"sd_model_checkpoint", job.checkpoint}};
      body["override_settings_restore_afterwards"] = false;
    }

    // Progress and interrupt from a second connection while txt2img runs.
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::thread poller([&] {
      bool interrupted = false;
      std::unique_lock lock(mu);
      while (!done) {
        cv.wait_for(lock, std::chrono::milliseconds(500));
        if (done) break;
        lock.unlock();
        if (cancel.load() && !interrupted) {
          interrupted = true;
          (void)client_.post("/sdapi/v1/interrupt", "{}", 10);
        }
        if (progress) {
          auto r = client_.get("/sdapi/v1/progress?skip_current_image=true", 10);
          if (r.ok() && r->status == 200) {
            try {
              json j = json::parse(r->body);
              GeneratorProgress g;
              g.fraction = j.value("progress", 0.0);
              if (j.contains("state") && j["state"].is_object()) {
                g.step = j["state"].value("sampling_step", 0);
                g.steps = j["state"].value("sampling_steps", 0);
              }
              progress(g);
            } catch (...) {
            }
          }
        }
        lock.lock();
      }
    });
    auto r = client_.post("/sdapi/v1/txt2img", body.dump());
    {
      std::lock_guard lock(mu);
      done = true;
    }
    cv.notify_all();
    poller.join();
    const std::string url = client_.url("/sdapi/v1/txt2img");
    if (!r.ok()) return r.status();
    if (r->status != 200) return a1111_error(*r, url, !client_.options().basic_auth.empty());
    try {
      return decode(*r, url, job);
    } catch (const std::exception& e) {  // a JSON answer of an unexpected shape
      return corrupt(url + ": unexpected answer (" + e.what() + ")");
    }
  }

  Result<std::vector<GeneratedImage>> decode(const HttpResponse& r, const std::string& url, const GenerationJob& job) {
    TM_ASSIGN_OR_RETURN(json res, parse_json_body(r, url));
    if (!res.contains("images") || !res["images"].is_array())
      return corrupt(url + ": the answer has no \"images\" list");
    json info = json::object();
    if (res.contains("info") && res["info"].is_string()) {
      try {
        info = json::parse(res["info"].get<std::string>());  // processing.py Processed.js(), dumped twice
      } catch (...) {
      }
    }
    size_t first = info.value("index_of_first_image", 0);  // 1 when images[0] is the grid
    std::vector<GeneratedImage> out;
    const json& images = res["images"];
    for (size_t i = first; i < images.size(); ++i) {
      if (!images[i].is_string()) return corrupt(url + ": images[" + std::to_string(i) + "] is not base64 text");
      GeneratedImage g;
      TM_ASSIGN_OR_RETURN(g.png, base64_decode(images[i].get<std::string>()));
      size_t k = i - first;
      if (info.contains("all_seeds") && info["all_seeds"].is_array() && k < info["all_seeds"].size())
        g.seed = info["all_seeds"][k].is_number_integer() ? info["all_seeds"][k].get<int64_t>() : -1;
      else if (info.contains("seed") && info["seed"].is_number_integer())
        g.seed = info["seed"].get<int64_t>() + static_cast<int64_t>(k);
      else
        g.seed = job.seed >= 0 ? job.seed + static_cast<int64_t>(k) : -1;
      if (info.contains("sd_model_name") && info["sd_model_name"].is_string()) g.model = info["sd_model_name"];
      if (info.contains("sd_model_hash") && info["sd_model_hash"].is_string()) g.model_hash = info["sd_model_hash"];
      if (info.contains("infotexts") && info["infotexts"].is_array() && i < info["infotexts"].size() &&
          info["infotexts"][i].is_string())
        for (auto& [key, value] : parse_infotext_parameters(info["infotexts"][i].get<std::string>()))
          if (key == "Lora hashes") g.lora_hashes = value;
      out.push_back(std::move(g));
    }
    return out;
  }

 private:
  HttpClient client_;
};

}  // namespace

std::unique_ptr<Generator> make_a1111_generator(HttpOptions options) {
  return std::make_unique<A1111Generator>(std::move(options));
}

}  // namespace tagmetry::gen
