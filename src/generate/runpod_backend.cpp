// RunPod serverless (a ComfyUI worker behind RunPod's job API): POST {endpoint}/run {"input":{"workflow":…}},
// GET {endpoint}/status/{id} until COMPLETED / FAILED / CANCELLED / TIMED_OUT, images from
// output.images[].data (base64), POST {endpoint}/cancel/{id} when interrupted. Bearer key: RUNPOD_API_KEY.
#include <chrono>
#include <thread>

#include "backends.h"

namespace tagmetry::gen {
namespace {

using nlohmann::json;

class RunPodGenerator : public Generator {
 public:
  explicit RunPodGenerator(HttpOptions options) : client_(std::move(options)) {}

  Status http_error(const HttpResponse& r, const std::string& url) {
    if (r.status == 401 || r.status == 403)
      return network_error(url + ": RunPod refused the API key (HTTP " + std::to_string(r.status) +
                           "); set RUNPOD_API_KEY to a key of the endpoint's account");
    if (r.status == 404)
      return network_error(url + ": no such endpoint (HTTP 404); --url https://api.runpod.ai/v2/ENDPOINT_ID");
    return network_error(url + ": HTTP " + std::to_string(r.status));
  }

  Result<ServerInventory> inventory() override {
    const std::string url = client_.url("/health");
    TM_ASSIGN_OR_RETURN(HttpResponse r, client_.get("/health", 60));
    if (r.status != 200) return http_error(r, url);
    TM_ASSIGN_OR_RETURN(json j, parse_json_body(r, url));
    (void)j;
    return ServerInventory{};  // the worker's model list is not exposed by RunPod's job API
  }

  Result<std::vector<GeneratedImage>> generate(const GenerationJob& job, const GeneratorProgressFn& progress,
                                               const std::atomic<bool>& cancel) override {
    try {
      return run(job, progress, cancel);
    } catch (const std::exception& e) {  // a JSON answer of an unexpected shape
      return corrupt(client_.url("/run") + ": unexpected answer (" + e.what() + ")");
    }
  }

  Result<std::vector<GeneratedImage>> run(const GenerationJob& job, const GeneratorProgressFn& progress,
                                          const std::atomic<bool>& cancel) {
    int64_t seed = job.seed >= 0 ? job.seed : random_seed();
    TM_ASSIGN_OR_RETURN(json graph, comfy_graph(job, seed));
    json body = {{"input", {{"workflow", graph}}}};
    std::string url = client_.url("/run");
    TM_ASSIGN_OR_RETURN(HttpResponse r, client_.post("/run", body.dump(), 60));
    if (r.status != 200) return http_error(r, url);
    TM_ASSIGN_OR_RETURN(json started, parse_json_body(r, url));
    std::string id = started.value("id", "");
    if (id.empty()) return corrupt(url + ": the answer has no job id");
    bool cancelled_sent = false;
    json status;
    auto start = std::chrono::steady_clock::now();
    for (;;) {
      if (cancel.load() && !cancelled_sent) {
        cancelled_sent = true;
        (void)client_.post("/cancel/" + id, "{}", 10);
      }
      url = client_.url("/status/" + id);
      TM_ASSIGN_OR_RETURN(HttpResponse s, client_.get("/status/" + id, 60));
      if (s.status != 200) return http_error(s, url);
      TM_ASSIGN_OR_RETURN(status, parse_json_body(s, url));
      std::string st = status.value("status", "");
      if (st == "COMPLETED") break;
      if (st == "FAILED" || st == "CANCELLED" || st == "TIMED_OUT") {
        if (st == "CANCELLED" && cancelled_sent) return std::vector<GeneratedImage>{};
        std::string err = status.contains("error") ? (status["error"].is_string() ? status["error"].get<std::string>()
                                                                                  : status["error"].dump())
                                                   : "";
        return model_error(url + ": job " + st + (err.empty() ? "" : ": " + err));
      }
      if (progress) progress(GeneratorProgress{});
      if (client_.options().timeout_s > 0 &&
          std::chrono::steady_clock::now() - start > std::chrono::seconds(client_.options().timeout_s)) {
        (void)client_.post("/cancel/" + id, "{}", 10);
        return network_error(url + ": the job did not finish within --timeout (cancelled)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(cancelled_sent ? 200 : 1000));
    }
    std::vector<GeneratedImage> out;
    const json output = status.value("output", json::object());
    const json images = output.is_object() ? output.value("images", json::array()) : json::array();
    for (auto& img : images) {
      if (!img.contains("data") || !img["data"].is_string()) continue;
      GeneratedImage g;
      TM_ASSIGN_OR_RETURN(g.png, base64_decode(img["data"].get<std::string>()));
      g.seed = seed;
      g.model = job.checkpoint;
      if (auto dot = g.model.rfind('.'); dot != std::string::npos) g.model = g.model.substr(0, dot);
      out.push_back(std::move(g));
    }
    if (out.empty()) return corrupt(url + ": the job completed without images in output.images[].data");
    mark_batch(out, job.batch_size);
    return out;
  }

 private:
  HttpClient client_;
};

}  // namespace

std::unique_ptr<Generator> make_runpod_generator(HttpOptions options) {
  return std::make_unique<RunPodGenerator>(std::move(options));
}

}  // namespace tagmetry::gen
