// ComfyUI (server.py): POST /prompt, poll GET /history/{id} (progress from GET /queue position), images
// from GET /view, POST /interrupt, lists from GET /object_info/{node}.
#include <curl/curl.h>

#include <chrono>
#include <thread>

#include "backends.h"
#include "tagmetry/strings.h"
#include "websocket.h"

namespace tagmetry::gen {
namespace {

using nlohmann::json;

std::string escape_query(const std::string& s) {
  char* e = curl_easy_escape(nullptr, s.c_str(), static_cast<int>(s.size()));
  std::string out = e ? e : "";
  curl_free(e);
  return out;
}

// "node 6 (CLIPTextEncode): clip: Required input is missing; …" from a 400 answer of POST /prompt.
std::string node_errors_text(const json& body) {
  std::vector<std::string> parts;
  if (body.contains("node_errors") && body["node_errors"].is_object()) {
    for (auto& [id, e] : body["node_errors"].items()) {
      if (!e.is_object()) continue;
      std::string cls = e.value("class_type", "");
      const json errors = e.value("errors", json::array());
      for (auto& err : errors) {
        if (!err.is_object()) continue;
        std::string input;
        if (err.contains("extra_info") && err["extra_info"].is_object())
          input = err["extra_info"].value("input_name", "");
        std::string msg = err.value("message", "");
        std::string details = err.value("details", "");
        parts.push_back("node " + id + (cls.empty() ? "" : " (" + cls + ")") +
                        (input.empty() ? "" : ": input '" + input + "'") + ": " + msg +
                        (details.empty() ? "" : " (" + details + ")"));
      }
    }
  }
  if (parts.empty() && body.contains("error") && body["error"].is_object())
    parts.push_back(body["error"].value("message", "") +
                    (body["error"].value("details", "").empty() ? "" : ": " + body["error"].value("details", "")));
  return join(parts, "; ");
}

// Reads a combo input's choices from /object_info/{node}: [["a", "b"], {…}] or ["COMBO", {"options": […]}].
std::vector<std::string> combo(const json& info, const std::string& node, const std::string& input) {
  std::vector<std::string> out;
  try {
    const json& spec = info.at(node).at("input").at("required").at(input);
    const json* list = nullptr;
    if (spec.is_array() && !spec.empty() && spec[0].is_array())
      list = &spec[0];
    else if (spec.is_array() && spec.size() > 1 && spec[1].is_object() && spec[1].contains("options"))
      list = &spec[1]["options"];
    if (list)
      for (auto& v : *list)
        if (v.is_string()) out.push_back(v.get<std::string>());
  } catch (...) {
  }
  return out;
}

class ComfyGenerator : public Generator {
 public:
  explicit ComfyGenerator(HttpOptions options) : client_(std::move(options)) {}

  Result<json> get_json(const std::string& path) {
    TM_ASSIGN_OR_RETURN(HttpResponse r, client_.get(path, 60));
    if (r.status != 200)
      return network_error(client_.url(path) + ": HTTP " + std::to_string(r.status) +
                           (r.status == 404 ? " (is this a ComfyUI server?)" : ""));
    return parse_json_body(r, client_.url(path));
  }

  Result<ServerInventory> inventory() override {
    try {
      return list();
    } catch (const std::exception& e) {
      return corrupt(client_.url("/object_info") + ": unexpected answer (" + e.what() + ")");
    }
  }

  Result<ServerInventory> list() {
    ServerInventory inv;
    TM_ASSIGN_OR_RETURN(json ckpt, get_json("/object_info/CheckpointLoaderSimple"));
    inv.checkpoints = combo(ckpt, "CheckpointLoaderSimple", "ckpt_name");
    TM_ASSIGN_OR_RETURN(json lora, get_json("/object_info/LoraLoader"));
    inv.loras = combo(lora, "LoraLoader", "lora_name");
    TM_ASSIGN_OR_RETURN(json ks, get_json("/object_info/KSampler"));
    inv.samplers = combo(ks, "KSampler", "sampler_name");
    inv.schedulers = combo(ks, "KSampler", "scheduler");
    return inv;
  }

  Result<std::vector<GeneratedImage>> generate(const GenerationJob& job, const GeneratorProgressFn& progress,
                                               const std::atomic<bool>& cancel) override {
    try {
      return run(job, progress, cancel);
    } catch (const std::exception& e) {  // a JSON answer of an unexpected shape
      return corrupt(client_.url("/prompt") + ": unexpected answer (" + e.what() + ")");
    }
  }

  Result<std::vector<GeneratedImage>> run(const GenerationJob& job, const GeneratorProgressFn& progress,
                                          const std::atomic<bool>& cancel) {
    int64_t seed = job.seed >= 0 ? job.seed : random_seed();
    TM_ASSIGN_OR_RETURN(json graph, comfy_graph(job, seed));
    // Progress comes over /ws to the socket whose clientId the prompt names (server.py send_sync);
    // without a socket, /history is polled.
    const std::string client_id = "tagmetry-" + std::to_string(random_seed());
    std::unique_ptr<WebSocket> ws;
    if (auto w = WebSocket::connect(client_.options().base_url, "/ws?clientId=" + client_id,
                                    client_.options().connect_timeout_s);
        w.ok())
      ws = std::move(w).value();
    json body = {{"prompt", graph}, {"client_id", client_id}};
    const std::string url = client_.url("/prompt");
    TM_ASSIGN_OR_RETURN(HttpResponse r, client_.post("/prompt", body.dump(), 60));
    TM_ASSIGN_OR_RETURN(json answer, parse_json_body(r, url));
    if (r.status == 400) return invalid_argument(url + ": ComfyUI rejected the workflow: " + node_errors_text(answer));
    if (r.status != 200) return network_error(url + ": HTTP " + std::to_string(r.status));
    std::string id = answer.value("prompt_id", "");
    if (id.empty()) return corrupt(url + ": the answer has no prompt_id");

    bool interrupted = false;
    auto start = std::chrono::steady_clock::now();
    auto timed_out = [&] {
      return client_.options().timeout_s > 0 &&
             std::chrono::steady_clock::now() - start > std::chrono::seconds(client_.options().timeout_s);
    };
    // Web socket messages until `executing` with node null (the prompt finished), an error or an interrupt.
    while (ws) {
      if (cancel.load() && !interrupted) {
        interrupted = true;
        (void)client_.post("/interrupt", "{}", 10);
      }
      auto m = ws->read_text(500);
      if (!m.ok()) break;  // closed: poll /history below
      if (!*m) {
        if (timed_out()) return network_error(client_.url("/ws") + ": the prompt did not finish within --timeout");
        continue;
      }
      json msg;
      try {
        msg = json::parse(**m);
      } catch (...) {
        continue;
      }
      if (!msg.is_object() || !msg.contains("data") || !msg["data"].is_object()) continue;
      const json& data = msg["data"];
      if (data.value("prompt_id", "") != id) continue;
      std::string type = msg.value("type", "");
      if (type == "progress" && progress) {
        GeneratorProgress g;
        g.step = data.value("value", 0);
        g.steps = data.value("max", 0);
        g.fraction = g.steps > 0 ? static_cast<double>(g.step) / g.steps : 0;
        progress(g);
      } else if ((type == "executing" && data.contains("node") && data["node"].is_null()) ||
                 type == "execution_error" || type == "execution_interrupted" || type == "execution_success") {
        break;
      }
    }

    // The outputs from /history/{id} (polled until the prompt is there when there was no web socket).
    json entry;
    for (;;) {
      if (cancel.load() && !interrupted) {
        interrupted = true;
        (void)client_.post("/interrupt", "{}", 10);
      }
      TM_ASSIGN_OR_RETURN(json history, get_json("/history/" + escape_query(id)));
      if (history.contains(id)) {
        entry = history[id];
        break;
      }
      if (progress) progress(GeneratorProgress{});
      if (timed_out())
        return network_error(client_.url("/history/" + id) + ": the prompt did not finish within --timeout");
      std::this_thread::sleep_for(std::chrono::milliseconds(interrupted ? 200 : 500));
    }
    if (entry.contains("status") && entry["status"].value("status_str", "") == "error" && !interrupted) {
      std::string why;
      const json messages = entry["status"].value("messages", json::array());
      for (auto& m : messages)
        if (m.is_array() && m.size() == 2 && m[0] == "execution_error" && m[1].is_object())
          why = "node " + m[1].value("node_id", "?") + " (" + m[1].value("node_type", "?") +
                "): " + m[1].value("exception_message", "");
      return model_error(client_.url("/history/" + id) + ": generation failed" + (why.empty() ? "" : ": " + why));
    }
    std::vector<GeneratedImage> out;
    std::string model = job.checkpoint;
    if (auto dot = model.rfind('.'); dot != std::string::npos) model = model.substr(0, dot);
    const json outputs = entry.value("outputs", json::object());
    for (auto& [node, output] : outputs.items()) {
      const json images = output.is_object() ? output.value("images", json::array()) : json::array();
      for (auto& img : images) {
        if (!img.is_object()) continue;
        if (img.value("type", "output") != "output") continue;  // previews
        std::string path = "/view?filename=" + escape_query(img.value("filename", "")) +
                           "&subfolder=" + escape_query(img.value("subfolder", "")) + "&type=output";
        TM_ASSIGN_OR_RETURN(HttpResponse v, client_.get(path, 120));
        if (v.status != 200) return network_error(client_.url(path) + ": HTTP " + std::to_string(v.status));
        GeneratedImage g;
        g.png = std::move(v.body);
        g.seed = seed;  // one seed for the whole latent batch (batch position set below)
        g.model = model;
        out.push_back(std::move(g));
      }
    }
    mark_batch(out, job.batch_size);
    return out;
  }

 private:
  HttpClient client_;
};

}  // namespace

std::unique_ptr<Generator> make_comfyui_generator(HttpOptions options) {
  return std::make_unique<ComfyGenerator>(std::move(options));
}

}  // namespace tagmetry::gen
