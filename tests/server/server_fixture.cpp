#include "server_fixture.h"

#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <chrono>

namespace tagmetry::testing {

RunningServer::RunningServer(const std::filesystem::path& dataset, ServeParams params) {
  params.port = 0;
  if (params.web_root.empty()) params.web_root = (dataset.parent_path() / "no-web").string();
  auto created = Server::create(dataset, params);
  if (!created.ok()) throw std::runtime_error(created.status().message());
  server_ = std::move(*created);
  Status bound = server_->bind();
  if (!bound.ok()) throw std::runtime_error(bound.message());
  thread_ = std::thread([this] { (void)server_->run(); });
  client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  client_->set_read_timeout(30, 0);
  // Wait until it answers, so stop() never races the start of listening.
  for (int i = 0; i < 200; ++i) {
    // (401: it answers, but wants the access token of params.token.)
    if (auto r = client_->Get("/api/session"); r && (r->status == 200 || r->status == 401)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("server did not start");
}

RunningServer::~RunningServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

namespace {
nlohmann::json parse(const httplib::Result& r, int* status) {
  if (!r) {
    ADD_FAILURE() << "no HTTP response: " << httplib::to_string(r.error());
    if (status) *status = 0;
    return nullptr;
  }
  if (status) *status = r->status;
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded()) ADD_FAILURE() << "not JSON: " << r->body.substr(0, 200);
  return j;
}
}  // namespace

nlohmann::json RunningServer::get(const std::string& path, int* status) { return parse(client_->Get(path), status); }

nlohmann::json RunningServer::post(const std::string& path, const nlohmann::json& body, int* status,
                                   const std::string* token) {
  httplib::Headers h{{"X-Tagmetry-Token", token ? *token : server_->token()}};
  return parse(client_->Post(path, h, body.dump(), "application/json"), status);
}

nlohmann::json RunningServer::put(const std::string& path, const nlohmann::json& body, int* status,
                                  const std::string* token) {
  httplib::Headers h{{"X-Tagmetry-Token", token ? *token : server_->token()}};
  return parse(client_->Put(path, h, body.dump(), "application/json"), status);
}

nlohmann::json wait_for_job_end(RunningServer& srv, const std::string& jobs_path, int id) {
  const std::string job_path = jobs_path + std::to_string(id);
  nlohmann::json j;
  for (int i = 0; i < 3000; ++i) {
    j = srv.get(job_path);
    if (j["state"] != "running" && j["state"] != "cancelling") return j;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "the job at " << job_path << " did not end: " << j.dump();
  return j;
}

void write_grey_png(const std::filesystem::path& path, int w, int h, uint8_t shade) {
  RgbImage img;
  img.width = w;
  img.height = h;
  img.pixels.assign(static_cast<size_t>(w) * h * 3, shade);
  auto bytes = encode_image(img, EncodeOptions{});
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  write_all(path, *bytes);
}

}  // namespace tagmetry::testing
