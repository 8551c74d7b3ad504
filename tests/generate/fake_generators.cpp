#include "fake_generators.h"

#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"

namespace tagmetry::testing {

using nlohmann::json;

namespace {

std::string base64(const std::string& in) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = uint8_t(in[i]) << 16 | uint8_t(in[i + 1]) << 8 | uint8_t(in[i + 2]);
    out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], a[v & 63]};
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {a[v >> 18], a[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16 | uint8_t(in[i + 1]) << 8;
    out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], '='};
  }
  return out;
}

}  // namespace

std::string tiny_png(int w, int h, unsigned char shade) {
  RgbImage img;
  img.width = w;
  img.height = h;
  img.pixels.assign(static_cast<size_t>(w) * h * 3, shade);
  return encode_image(img, EncodeOptions{}).value();
}

FakeServer::FakeServer() : server_(std::make_unique<httplib::Server>()) {}

FakeServer::~FakeServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void FakeServer::start() {
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void FakeServer::record(const std::string& line, const std::string& auth) {
  std::lock_guard lock(mu_);
  requests_.push_back(line);
  auth_.push_back(auth);
}

void FakeServer::record_body(const std::string& path, const std::string& body) {
  std::lock_guard lock(mu_);
  bodies_.emplace_back(path, body);
}

std::vector<std::string> FakeServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::vector<std::string> FakeServer::bodies(const std::string& path) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (auto& [p, b] : bodies_)
    if (p == path) out.push_back(b);
  return out;
}

std::vector<std::string> FakeServer::auth_headers() const {
  std::lock_guard lock(mu_);
  return auth_;
}

FakeA1111::FakeA1111() {
  auto& srv = *server_;
  // Every route passes through the API's HTTPBasic check (api.py add_api_route) first.
  srv.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    record(req.method + " " + req.path, req.get_header_value("Authorization"));
    if (no_api) {
      res.status = 404;
      res.set_content("{\"detail\":\"Not Found\"}", "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!basic_auth.empty() && req.get_header_value("Authorization") != "Basic " + base64(basic_auth)) {
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic");
      res.set_content("{\"detail\":\"Incorrect username or password\"}", "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  srv.Post("/sdapi/v1/txt2img", [this](const httplib::Request& req, httplib::Response& res) {
    record_body(req.path, req.body);
    if (fail_status && answered_ >= ok_batches_before_failure && failures_left > 0) {
      --failures_left;
      ++answered_;
      res.status = fail_status;
      res.set_content("{\"error\":\"RuntimeError\",\"detail\":\"\",\"body\":\"\",\"errors\":\"CUDA out of memory\"}",
                      "application/json");
      return;
    }
    if (garbage) {
      res.set_content("<html><body>Gradio</body></html>", "text/html");
      return;
    }
    if (drop) {
      res.set_content_provider(1000, "application/json", [](size_t, size_t, httplib::DataSink& sink) {
        sink.write("{\"images\":[\"iVBO", 15);
        return false;
      });
      return;
    }
    ++answered_;
    json body = json::parse(req.body);
    int batch = body.value("batch_size", 1);
    int64_t seed = body.value("seed", int64_t(-1));
    if (seed < 0) seed = 3000000000LL;  // "random": above 2^31, as real seeds often are
    if (wait_for_progress || cancel_on_txt2img) {
      std::unique_lock lock(mu_);
      if (cancel_on_txt2img) cancel_on_txt2img->store(true);
      cv_.wait_for(lock, std::chrono::seconds(20),
                   [&] { return cancel_on_txt2img ? interrupts > 0 : progress_polls > 0; });
      if (cancel_on_txt2img) batch = 1;  // interrupted: the images finished so far
    }
    json images = json::array(), seeds = json::array(), infotexts = json::array();
    if (return_grid && batch > 1) {
      images.push_back(base64(tiny_png(16, 16, 0)));
      infotexts.push_back("grid");
    }
    for (int i = 0; i < batch; ++i) {
      std::string png = tiny_png(8, 8, static_cast<unsigned char>(10 + i));
      images.push_back(base64(png));
      seeds.push_back(seed + i);
      infotexts.push_back(body.value("prompt", "") + "\nSteps: 28, Sampler: Euler a, Seed: " +
                          std::to_string(seed + i) + ", Lora hashes: \"mychar: 0123456789ab\", Version: v1.10.1");
    }
    json info = {{"prompt", body.value("prompt", "")},
                 {"all_seeds", seeds},
                 {"seed", seed},
                 {"index_of_first_image", return_grid && batch > 1 ? 1 : 0},
                 {"sd_model_name", "animagineXL40_v4Opt"},
                 {"sd_model_hash", "6327eca98b"},
                 {"infotexts", infotexts}};
    json out = {{"images", images}, {"parameters", body}, {"info", info.dump()}};
    res.set_content(out.dump(), "application/json");
  });
  srv.Get("/sdapi/v1/progress", [this](const httplib::Request&, httplib::Response& res) {
    {
      std::lock_guard lock(mu_);
      ++progress_polls;
    }
    cv_.notify_all();
    res.set_content(R"({"progress":0.5,"eta_relative":1.0,"state":{"job":"","job_count":1,"job_no":0,)"
                    R"("sampling_step":14,"sampling_steps":28,"interrupted":false,"skipped":false},)"
                    R"("current_image":null,"textinfo":null,"current_task":null})",
                    "application/json");
  });
  srv.Post("/sdapi/v1/interrupt", [this](const httplib::Request&, httplib::Response& res) {
    {
      std::lock_guard lock(mu_);
      ++interrupts;
    }
    cv_.notify_all();
    res.set_content("{}", "application/json");
  });
  srv.Get("/sdapi/v1/sd-models", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        R"([{"title":"animagine-xl-4.0-opt.safetensors [6327eca98b]","model_name":"animagine-xl-4.0-opt",)"
        R"("hash":"6327eca98b","sha256":"6327eca98b","filename":"/m/animagine-xl-4.0-opt.safetensors","config":null},)"
        R"({"title":"noobaiXL_v11.safetensors [ee5a2a0d0b]","model_name":"noobaiXL_v11","hash":"ee5a2a0d0b",)"
        R"("sha256":null,"filename":"/m/noobaiXL_v11.safetensors","config":null}])",
        "application/json");
  });
  srv.Get("/sdapi/v1/loras", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"([{"name":"mychar_v2","alias":"mychar","path":"/l/mychar_v2.safetensors","metadata":{}},)"
                    R"({"name":"detail","alias":"detail","path":"/l/detail.safetensors","metadata":{}}])",
                    "application/json");
  });
  srv.Get("/sdapi/v1/samplers", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        R"([{"name":"DPM++ 2M","aliases":["k_dpmpp_2m"],"options":{}},{"name":"Euler a","aliases":["k_euler_a"],"options":{}}])",
        "application/json");
  });
  srv.Get("/sdapi/v1/schedulers", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        R"([{"name":"automatic","label":"Automatic","aliases":null,"default_rho":-1,"need_inner_model":false},)"
        R"({"name":"karras","label":"Karras","aliases":null,"default_rho":7.0,"need_inner_model":false}])",
        "application/json");
  });
  start();
}

namespace {

std::string ws_frame(int opcode, const std::string& payload) {
  std::string f;
  f += static_cast<char>(0x80 | opcode);
  if (payload.size() < 126) {
    f += static_cast<char>(payload.size());
  } else {
    f += static_cast<char>(126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xFF);
  }
  return f + payload;
}

bool send_all(int fd, const std::string& data) {
  return ::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
}

}  // namespace

FakeComfy::~FakeComfy() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (listener_ >= 0) ::shutdown(listener_, SHUT_RDWR);
  if (front_.joinable()) front_.join();
  for (auto& t : connections_) t.join();
  if (listener_ >= 0) ::close(listener_);
}

void FakeComfy::front(int listener) {
  for (;;) {
    int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) return;
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    connections_.emplace_back([this, fd] { connection(fd); });
  }
}

// One client connection on the public port: a web socket upgrade for /ws, otherwise a byte pump to httplib.
void FakeComfy::connection(int fd) {
  std::string head;
  char buf[8192];
  while (head.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      ::close(fd);
      return;
    }
    head.append(buf, static_cast<size_t>(n));
  }
  if (head.rfind("GET /ws?clientId=", 0) == 0) {
    std::string id = head.substr(17, head.find(' ', 17) - 17);
    {
      std::lock_guard lock(mu_);
      ws_client_id = id;
    }
    send_all(fd,
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: x\r\n\r\n");
    const std::string pid = "5f1c2a3b-0000-4000-8000-000000000001";
    send_all(fd,
             ws_frame(1, R"({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": ")" +
                             id + "\"}}"));
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(20), [&] { return prompt_posted_ || stopping_; });
    lock.unlock();
    std::string preview = "\0\0\0\1\0\0\0\2" + tiny_png(2, 2, 9);  // PREVIEW_IMAGE, PNG
    send_all(fd, ws_frame(1, R"({"type": "execution_start", "data": {"prompt_id": ")" + pid + "\"}}"));
    send_all(
        fd,
        ws_frame(1, R"({"type": "progress", "data": {"value": 14, "max": 28, "prompt_id": "other", "node": "3"}})"));
    send_all(fd, ws_frame(1, R"({"type": "progress", "data": {"value": 14, "max": 28, "prompt_id": ")" + pid +
                                 R"(", "node": "3"}})"));
    send_all(fd, ws_frame(2, preview));
    send_all(fd, ws_frame(9, "hi"));
    send_all(fd, ws_frame(1, R"({"type": "progress", "data": {"value": 28, "max": 28, "prompt_id": ")" + pid +
                                 R"(", "node": "3"}})"));
    send_all(
        fd,
        ws_frame(
            1,
            R"({"type": "executed", "data": {"node": "9", "display_node": "9", "output": {"images": [{"filename": "Tagmetry_00001_.png", "subfolder": "", "type": "output"}]}, "prompt_id": ")" +
                pid + "\"}}"));
    send_all(fd, ws_frame(1, R"({"type": "executing", "data": {"node": null, "display_node": null, "prompt_id": ")" +
                                 pid + "\"}}"));
    // Wait for the client to go (it answers the ping with a pong first).
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 5000) > 0 && ::recv(fd, buf, sizeof buf, 0) > 0) {
    }
    ::close(fd);
    return;
  }
  // Forward to the HTTP server.
  int up = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port_));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(up, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || !send_all(up, head)) {
    ::close(up);
    ::close(fd);
    return;
  }
  pollfd p[2] = {{fd, POLLIN, 0}, {up, POLLIN, 0}};
  for (;;) {
    if (::poll(p, 2, 1000) < 0) break;
    bool closed = false;
    for (int i = 0; i < 2; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = ::recv(p[i].fd, buf, sizeof buf, 0);
      if (n <= 0 || !send_all(p[1 - i].fd, std::string(buf, static_cast<size_t>(n)))) closed = true;
    }
    if (closed) break;
    std::lock_guard lock(mu_);
    if (stopping_) break;
  }
  ::close(up);
  ::close(fd);
}

FakeComfy::FakeComfy(bool websocket) {
  auto& srv = *server_;
  srv.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
    std::string line = req.method + " " + req.path;
    if (!req.params.empty()) {
      std::string q;
      for (auto& [k, v] : req.params) q += (q.empty() ? "?" : "&") + k + "=" + v;
      line += q;
    }
    record(line, req.get_header_value("Authorization"));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  srv.Post("/prompt", [this](const httplib::Request& req, httplib::Response& res) {
    record_body(req.path, req.body);
    if (reject) {
      res.status = 400;
      res.set_content(
          R"({"error":{"type":"prompt_outputs_failed_validation","message":"Prompt outputs failed validation","details":"","extra_info":{}},)"
          R"("node_errors":{"4":{"errors":[{"type":"value_not_in_list","message":"Value not in list",)"
          R"("details":"ckpt_name: 'missing.safetensors' not in ['animagine-xl-4.0-opt.safetensors']",)"
          R"("extra_info":{"input_name":"ckpt_name"}}],"dependent_outputs":["9"],"class_type":"CheckpointLoaderSimple"}}})",
          "application/json");
      return;
    }
    if (cancel_on_prompt) cancel_on_prompt->store(true);
    {
      std::lock_guard lock(mu_);
      prompt_posted_ = true;
      // One output image per latent in the batch (EmptyLatentImage batch_size), as SaveImage writes them.
      batch_ = 1;
      json graph = json::parse(req.body, nullptr, false);
      if (graph.is_object() && graph.contains("prompt") && graph["prompt"].is_object())
        for (auto& [id, node] : graph["prompt"].items())
          if (node.value("class_type", "") == "EmptyLatentImage" && node["inputs"]["batch_size"].is_number_integer())
            batch_ = node["inputs"]["batch_size"].get<int>();
    }
    cv_.notify_all();
    res.set_content(R"({"prompt_id":"5f1c2a3b-0000-4000-8000-000000000001","number":0,"node_errors":{}})",
                    "application/json");
  });
  srv.Get(R"(/history/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    if (req.matches[1] != "5f1c2a3b-0000-4000-8000-000000000001" || polls_++ < history_polls_before_done) {
      res.set_content("{}", "application/json");
      return;
    }
    bool stopped = interrupts > 0;
    json entry = json::parse(
        R"({"prompt": [0, "5f1c2a3b-0000-4000-8000-000000000001", {}, {}, ["9"]], "outputs": {"9": {"images": [)"
        R"({"filename": "Tagmetry_00001_.png", "subfolder": "", "type": "output"}]}},)"
        R"("status": {"status_str": "success", "completed": true, "messages": []}, "meta": {}})");
    for (int i = 2; i <= batch_; ++i)
      entry["outputs"]["9"]["images"].push_back(
          {{"filename", "Tagmetry_0000" + std::to_string(i) + "_.png"}, {"subfolder", ""}, {"type", "output"}});
    if (stopped) {
      entry["outputs"] = json::object();
      entry["status"]["status_str"] = "error";
      entry["status"]["completed"] = false;
    }
    res.set_content(json{{req.matches[1].str(), entry}}.dump(), "application/json");
  });
  srv.Get("/view", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    const std::string name = req.get_param_value("filename");
    if (name.size() != 19 || name.rfind("Tagmetry_0000", 0) != 0 || name[13] < '1' || name[13] - '0' > batch_ ||
        req.get_param_value("type") != "output") {
      res.status = 404;
      return;
    }
    // Each image of a batch differs (the shade), so tests can tell them apart.
    res.set_content(name[13] == '1' ? png : tiny_png(8, 8, static_cast<unsigned char>(50 + name[13] - '0')), "image/png");
  });
  srv.Post("/interrupt", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mu_);
    ++interrupts;
    res.status = 200;
  });
  srv.Get(R"(/object_info/(\w+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto combo = [&](json options) {
      return combo_new_format ? json{"COMBO", {{"options", options}}} : json{options, json::object()};
    };
    std::string node = req.matches[1];
    json required;
    if (node == "CheckpointLoaderSimple")
      required = {{"ckpt_name", combo({"animagine-xl-4.0-opt.safetensors", "noobaiXL_v11.safetensors"})}};
    else if (node == "LoraLoader")
      required = {{"lora_name", combo({"mychar.safetensors", "detail.safetensors"})}};
    else if (node == "KSampler")
      required = {{"sampler_name", combo({"euler", "euler_ancestral"})}, {"scheduler", combo({"normal", "karras"})}};
    else {
      res.status = 404;
      return;
    }
    res.set_content(json{{node, {{"input", {{"required", required}}}}}}.dump(), "application/json");
  });
  start();
  if (websocket) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listener_, 16);
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    public_port_ = ntohs(a.sin_port);
    front_ = std::thread([this] { front(listener_); });
  }
}

FakeRunPod::FakeRunPod() {
  auto& srv = *server_;
  srv.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    record(req.method + " " + req.path, req.get_header_value("Authorization"));
    if (req.get_header_value("Authorization") != "Bearer " + api_key) {
      res.status = 401;
      res.set_content("{\"error\":\"Unauthorized\"}", "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  srv.Post("/run", [this](const httplib::Request& req, httplib::Response& res) {
    record_body(req.path, req.body);
    if (cancel_on_run) cancel_on_run->store(true);
    res.set_content(R"({"id":"sync-1234","status":"IN_QUEUE"})", "application/json");
  });
  srv.Get("/status/sync-1234", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mu_);
    if (cancelled_) {
      res.set_content(R"({"id":"sync-1234","status":"CANCELLED"})", "application/json");
      return;
    }
    if (polls_++ < 1) {
      res.set_content(R"({"id":"sync-1234","status":"IN_PROGRESS","delayTime":10})", "application/json");
      return;
    }
    json out = {{"id", "sync-1234"}, {"status", final_status}, {"delayTime", 10}, {"executionTime", 900}};
    if (final_status == "COMPLETED")
      out["output"]["images"] =
          json::array({json{{"filename", "ComfyUI_00001_.png"}, {"type", "base64"}, {"data", base64(png)}}});
    else
      out["error"] = "workflow failed";
    res.set_content(out.dump(), "application/json");
  });
  srv.Post("/cancel/sync-1234", [this](const httplib::Request&, httplib::Response& res) {
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
    }
    res.set_content(R"({"id":"sync-1234","status":"CANCELLED"})", "application/json");
  });
  srv.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        R"({"jobs":{"completed":1,"failed":0,"inProgress":0,"inQueue":0,"retried":0},"workers":{"idle":1,"running":0}})",
        "application/json");
  });
  start();
}

}  // namespace tagmetry::testing
