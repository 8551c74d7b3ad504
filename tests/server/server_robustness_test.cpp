// The serve API under awkward input and load: wrong JSON types, tags that are two tags, negative
// indices, NaN thresholds, oversized or body-less requests (all 400/413 with the JSON error body the docs
// promise), caption layout kept by saves and batch edits, one spelling per tag in the stats, the history
// readable while another run holds the dataset lock, and answers while many connections stall.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "server_fixture.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "tagmetry/store.h"
#include "test_support.h"

namespace tagmetry::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

void write_png(const fs::path& path, uint8_t shade) {
  RgbImage img;
  img.width = img.height = 32;
  img.pixels.assign(static_cast<size_t>(32) * 32 * 3, shade);
  auto bytes = encode_image(img, EncodeOptions{});
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  write_all(path, *bytes);
}

// A TCP connection to the server on which the test writes raw bytes.
class RawSocket {
 public:
  explicit RawSocket(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  bool send(const std::string& bytes) { return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size()); }
  // Reads until the peer closes or `limit_s` seconds pass.
  std::string read_all_for(int limit_s) {
    timeval tv{limit_s, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class ServerRobustnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = tmp / "set";
    fs::create_directories(root);
    write_png(root / "a.png", 10);
    write_png(root / "b.png", 20);
    write_png(root / "c.png", 30);
    write_all(root / "a.txt", "1girl, brown_hair, smile\n");
    write_all(root / "b.txt", "1girl, brown hair\nA sentence.\n");
    write_all(root / "c.txt", "\xEF\xBB\xBF" "solo, brown_hair\r\n");
    srv = std::make_unique<RunningServer>(root);
  }

  TempDir tmp;
  fs::path root;
  std::unique_ptr<RunningServer> srv;
};

TEST_F(ServerRobustnessTest, SavesAndBatchEditsKeepTheFinalNewlineBomAndCrlf) {
  int status = 0;
  json a = srv->get("/api/image/0");
  json saved = srv->put("/api/image/0/caption", {{"text", "1girl, brown_hair, smile, sky"}, {"version", a["version"]}}, &status);
  ASSERT_EQ(status, 200) << saved.dump();
  EXPECT_EQ(read_all(root / "a.txt"), "1girl, brown_hair, smile, sky\n");
  json r = srv->post("/api/batch", {{"ids", {0, 1, 2}}, {"op", {{"kind", "add"}, {"tags", {"grin"}}, {"position", "last"}}}}, &status);
  ASSERT_EQ(status, 200) << r.dump();
  EXPECT_EQ(read_all(root / "a.txt"), "1girl, brown_hair, smile, sky, grin\n");
  EXPECT_EQ(read_all(root / "b.txt"), "1girl, brown hair, grin\nA sentence.\n");
  EXPECT_EQ(read_all(root / "c.txt"), "\xEF\xBB\xBF" "solo, brown_hair, grin\r\n");
}

TEST_F(ServerRobustnessTest, StatsCountBothSpellingsAsOneTag) {
  json stats = srv->get("/api/stats");
  int brown = -1;
  for (auto& t : stats["tags"]) {
    EXPECT_NE(t["tag"], "brown hair") << stats["tags"].dump();
    if (t["tag"] == "brown_hair") brown = t["count"];
  }
  EXPECT_EQ(brown, 3) << stats["tags"].dump();
  // The sidebar agrees.
  json tags = srv->get("/api/tags");
  bool found = false;
  for (auto& t : tags["tags"]) {
    if (t["tag"] != "brown_hair") continue;
    found = true;
    EXPECT_EQ(t["count"], 3);
  }
  EXPECT_TRUE(found) << tags.dump();
}

TEST_F(ServerRobustnessTest, HistoryIsReadableWhileAnotherRunHoldsTheLock) {
  int status = 0;
  json a = srv->get("/api/image/0");
  srv->put("/api/image/0/caption", {{"text", "edited"}, {"version", a["version"]}}, &status);
  ASSERT_EQ(status, 200);
  auto lock = DatasetLock::acquire(default_store_path(root));  // as `tagmetry tag` in another process
  ASSERT_TRUE(lock.ok()) << lock.status().message();
  json h = srv->get("/api/history", &status);
  EXPECT_EQ(status, 200) << h.dump();
  EXPECT_EQ(h["can_undo"], true);
  ASSERT_FALSE(h["operations"].empty());
  EXPECT_EQ(h["operations"][0]["command"], "serve:edit");
  // A write does wait its turn: refused with a clear message, nothing written.
  json again = srv->get("/api/image/0");
  json refused = srv->put("/api/image/0/caption", {{"text", "other"}, {"version", again["version"]}}, &status);
  EXPECT_EQ(status, 409) << refused.dump();
  EXPECT_EQ(refused["error"]["code"], "busy");
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("another tagmetry run"), std::string::npos);
  EXPECT_EQ(read_all(root / "a.txt"), "edited\n");
}

TEST_F(ServerRobustnessTest, WrongJsonTypesAreBadRequestsWithAJsonError) {
  int status = 0;
  json a = srv->get("/api/image/0");
  const std::vector<std::pair<std::string, json>> posts = {
      {"/api/batch", {{"ids", {0}}, {"op", {{"kind", 5}, {"tags", {"x"}}}}}},
      {"/api/batch", {{"ids", {0}}, {"op", {{"kind", "add"}, {"tags", {"x"}}, {"position", 3}}}}},
      {"/api/batch", {{"ids", {0}}, {"op", {{"kind", "add"}, {"tags", {"x"}}, {"position", "index"}, {"index", -1}}}}},
      {"/api/batch", {{"ids", {0}}, {"op", {{"kind", "add"}, {"tags", {"x, y"}}}}}},
      {"/api/batch", {{"ids", {0}}, {"op", {{"kind", "replace"}, {"tags", {"smile", "a, b"}}}}}},
      {"/api/batch", {{"ids", {-1}}, {"op", {{"kind", "add"}, {"tags", {"x"}}}}}},
      {"/api/jobs/tag", {{"general_threshold", "nan"}}},
      {"/api/jobs/tag", {{"character_threshold", "inf"}}},
      {"/api/jobs/tag", {{"device", "cuda"}}},
      {"/api/jobs/tag", {{"intra_threads", 64}}},
  };
  for (auto& [path, body] : posts) {
    json r = srv->post(path, body, &status);
    EXPECT_EQ(status, 400) << path << " " << body.dump() << " -> " << r.dump();
    EXPECT_EQ(r["error"]["code"], "bad_request") << r.dump();
  }
  // Through routes that read a field with the wrong type directly.
  json r = srv->put("/api/image/0/caption", {{"text", {1, 2}}, {"version", a["version"]}}, &status);
  EXPECT_EQ(status, 400) << r.dump();
  r = srv->post("/api/preview", {{"ids", "0"}}, &status);
  EXPECT_LT(status, 500) << r.dump();
  EXPECT_TRUE(r["error"].is_object()) << r.dump();
  EXPECT_EQ(read_all(root / "a.txt"), "1girl, brown_hair, smile\n");
}

TEST_F(ServerRobustnessTest, OversizedAndBodylessRequestsGetTheJsonError) {
  std::string huge(9u << 20, 'x');
  auto h = srv->client().Post("/api/batch", {{"X-Tagmetry-Token", srv->token()}}, huge, "application/json");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 413);
  json body = json::parse(h->body, nullptr, false);
  ASSERT_FALSE(body.is_discarded()) << h->body;
  EXPECT_EQ(body["error"]["code"], "too_large");

  // curl -X POST without -d sends no Content-Length.
  RawSocket raw(srv->server().port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("POST /api/undo HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(srv->server().port()) +
                       "\r\nX-Tagmetry-Token: " + srv->token() + "\r\nConnection: close\r\n\r\n"));
  std::string answer = raw.read_all_for(10);
  auto blank = answer.find("\r\n\r\n");
  ASSERT_NE(blank, std::string::npos) << answer;
  std::string status_line = answer.substr(0, answer.find("\r\n"));
  json j = json::parse(answer.substr(blank + 4), nullptr, false);
  if (status_line.find(" 404 ") != std::string::npos) {
    EXPECT_EQ(j["error"]["message"], "nothing to undo") << answer;  // served like -d ''
  } else {
    EXPECT_NE(status_line.find(" 400 "), std::string::npos) << answer;
    ASSERT_FALSE(j.is_discarded()) << answer;
    EXPECT_NE(j["error"]["message"].get<std::string>().find("-d ''"), std::string::npos) << answer;
  }
}

TEST_F(ServerRobustnessTest, ImagesCannotBeEmbeddedByOtherSites) {
  auto r = srv->client().Get("/api/image/0/thumb");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Cross-Origin-Resource-Policy"), "same-origin");
  auto s = srv->client().Get("/api/session");
  EXPECT_EQ(s->get_header_value("Cross-Origin-Resource-Policy"), "same-origin");
}

// 60 connections that send part of a request and keep trickling bytes (many tabs, a slow client) each
// hold a worker; the server still answers another request.
TEST_F(ServerRobustnessTest, KeepsAnsweringWhileSixtyConnectionsStall) {
  const int port = srv->server().port();
  std::vector<std::unique_ptr<RawSocket>> stalled;
  for (int i = 0; i < 60; ++i) {
    stalled.push_back(std::make_unique<RawSocket>(port));
    ASSERT_TRUE(stalled.back()->connected());
    stalled.back()->send("GET /api/session HTTP/1.1\r\n");
  }
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    while (!done) {
      for (auto& s : stalled) s->send("X");
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the server accept them all
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(20, 0);
  auto r = client.Get("/api/images");
  done = true;
  trickle.join();
  ASSERT_TRUE(r) << "no answer with 60 stalled connections: " << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["total"], 3);
}

// A stop that comes while run() is still starting (SIGTERM right after the port was printed) used to be
// lost: httplib's stop() does nothing before it listens, so the server then listened for ever.
TEST(ServerStop, AStopWhileStartingIsNeverLost) {
  TempDir tmp;
  fs::create_directories(tmp / "set");
  for (int i = 0; i < 30; ++i) {
    ServeParams p;
    p.port = 0;
    p.poll_seconds = 1;
    p.web_root = (tmp / "no-web").string();
    auto server = Server::create(tmp / "set", p);
    ASSERT_TRUE(server.ok()) << server.status().message();
    ASSERT_TRUE((*server)->bind().ok());
    std::promise<void> returned;
    auto ran = returned.get_future();
    if (i % 3 == 0) (*server)->stop();  // before run() even began
    std::thread runner([&] {
      (void)(*server)->run();
      returned.set_value();
    });
    if (i % 3 == 1) std::this_thread::yield();
    if (i % 3 != 0) (*server)->stop();  // while run() starts
    bool stopped = ran.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
    if (!stopped) (*server)->stop();  // the lost stop: stop it now that it listens, to fail cleanly
    runner.join();
    ASSERT_TRUE(stopped) << "iteration " << i << ": run() kept listening after stop()";
  }
}

}  // namespace
}  // namespace tagmetry::testing
