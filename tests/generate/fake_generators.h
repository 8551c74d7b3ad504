#pragma once
// Stand-in generator servers for tests, on 127.0.0.1 (random free port, own thread), with the URL layout
// and answers of the real ones (per AUTOMATIC1111 modules/api/api.py + models.py, ComfyUI server.py,
// RunPod's serverless job API): every request is recorded so tests can assert the exact bodies Tagmetry sends.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace tagmetry::testing {

// A small valid PNG (w x h, one colour) made with Tagmetry's encoder.
std::string tiny_png(int w = 8, int h = 8, unsigned char shade = 100);

class FakeServer {
 public:
  virtual ~FakeServer();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(public_port_ ? public_port_ : port_); }
  std::vector<std::string> requests() const;                       // "POST /sdapi/v1/txt2img", in order
  std::vector<std::string> bodies(const std::string& path) const;  // request bodies sent to `path`
  std::vector<std::string> auth_headers() const;                   // Authorization headers received

 protected:
  FakeServer();
  void start();
  void record(const std::string& line, const std::string& auth);       // from the pre-routing handler
  void record_body(const std::string& path, const std::string& body);  // from the route (bodies are read then)
  std::unique_ptr<httplib::Server> server_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int port_ = 0;         // the httplib server
  int public_port_ = 0;  // a front that handles /ws itself and forwards the rest (FakeComfy), or 0

 private:
  std::vector<std::string> requests_;
  std::vector<std::pair<std::string, std::string>> bodies_;
  std::vector<std::string> auth_;
  std::thread thread_;
};

// AUTOMATIC1111 / Forge: /sdapi/v1/{txt2img,progress,interrupt,sd-models,loras,samplers,schedulers}.
class FakeA1111 : public FakeServer {
 public:
  FakeA1111();
  std::string basic_auth;             // "user:pass": other requests get 401 {"detail":"Incorrect username or password"}
  bool return_grid = false;           // images[0] is a grid, index_of_first_image = 1
  int fail_status = 0;                // txt2img answers this status with A1111's error JSON
  int ok_batches_before_failure = 0;  // … after this many good answers
  int failures_left = 1000;           // … this many times
  bool garbage = false;               // txt2img answers HTML
  bool drop = false;                  // txt2img drops the connection mid-answer
  bool no_api = false;                // every /sdapi route answers 404 (server started without --api)
  bool wait_for_progress = false;     // txt2img answers once /progress was polled
  std::atomic<bool>* cancel_on_txt2img = nullptr;  // set when txt2img arrives; answers after /interrupt
  int interrupts = 0;
  int progress_polls = 0;

 private:
  int answered_ = 0;
};

// ComfyUI: POST /prompt, GET /history/{id}, GET /view, GET /object_info/{node}, POST /interrupt, and the
// /ws?clientId= web socket (a front on the public port answers it and forwards every other request to the
// HTTP server): after POST /prompt it sends status, execution_start, progress 14/28 and 28/28 (to the prompt's
// client only), a binary preview frame, a ping, executed, and executing with node null.
class FakeComfy : public FakeServer {
 public:
  explicit FakeComfy(bool websocket = false);
  ~FakeComfy() override;
  std::string ws_client_id;  // the clientId the web socket was opened with
  bool reject = false;       // POST /prompt answers 400 with node_errors
  int history_polls_before_done = 1;
  std::atomic<bool>* cancel_on_prompt = nullptr;
  bool combo_new_format = false;  // /object_info lists choices as ["COMBO", {"options": […]}]
  std::string png = tiny_png(8, 8, 50);
  int interrupts = 0;

 private:
  void front(int listener);
  void connection(int fd);
  int polls_ = 0;
  int batch_ = 1;  // latents in the posted graph's EmptyLatentImage
  bool prompt_posted_ = false;
  bool stopping_ = false;
  int listener_ = -1;
  std::thread front_;
  std::vector<std::thread> connections_;
};

// RunPod serverless: POST /run, GET /status/{id}, POST /cancel/{id}, GET /health.
class FakeRunPod : public FakeServer {
 public:
  FakeRunPod();
  std::string api_key = "rp-key";
  std::string final_status = "COMPLETED";
  std::string png = tiny_png(8, 8, 150);
  std::atomic<bool>* cancel_on_run = nullptr;  // set when /run arrives ("Ctrl-C" during the job)

 private:
  int polls_ = 0;
  bool cancelled_ = false;
};

}  // namespace tagmetry::testing
