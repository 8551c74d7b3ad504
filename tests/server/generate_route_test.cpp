// The Generate page's routes against the stand-in generators (tests/generate/fake_generators.h): what the
// generator offers, a generation job (progress events, images saved with their parameters, interrupt),
// and the errors (no generator, unreachable, credentials, options the page may not set).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fake_generators.h"
#include "server_fixture.h"
#include "tagmetry/png_text.h"
#include "test_support.h"

namespace tagmetry {
namespace {

using nlohmann::json;

ServeParams with_generator(const std::string& generator, const std::filesystem::path& out) {
  ServeParams p;
  p.rescan_seconds = 0;
  p.generator = generator;
  p.generate_out = out.string();
  return p;
}

TEST(GenerateRoutes, WithoutAGeneratorThePageIsToldHowToConnectOne) {
  testing::TempDir dir;
  testing::RunningServer srv(dir.path(), with_generator("", dir / "out"));
  json g = srv.get("/api/generator");
  EXPECT_EQ(g["configured"], false);
  EXPECT_NE(g["how"].get<std::string>().find("--generator http://127.0.0.1:7860"), std::string::npos);
  EXPECT_TRUE(g["completion"].contains("available"));
  int status = 0;
  json inv = srv.get("/api/generator/inventory", &status);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(inv["error"]["code"], "no_generator");
  srv.post("/api/generate", {{"text", "1girl"}}, &status);
  EXPECT_EQ(status, 404);
  // The prompt preview still works.
  json prompt = srv.post("/api/prompt", {{"text", "1girl, smile"}, {"style", "none"}}, &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(prompt["positive"], "1girl, smile");
}

TEST(GenerateRoutes, ListsWhatTheGeneratorOffers) {
  testing::FakeA1111 a1111;
  testing::TempDir dir;
  testing::RunningServer srv(dir.path(), with_generator(a1111.url(), dir / "out"));
  json g = srv.get("/api/generator");
  EXPECT_EQ(g["configured"], true);
  EXPECT_EQ(g["backend"], "a1111");
  EXPECT_EQ(g["url"], a1111.url());
  int status = 0;
  json inv = srv.get("/api/generator/inventory", &status);
  ASSERT_EQ(status, 200) << inv.dump();
  EXPECT_EQ(inv["checkpoints"], json({"animagine-xl-4.0-opt.safetensors [6327eca98b]",
                                      "noobaiXL_v11.safetensors [ee5a2a0d0b]"}));
  EXPECT_EQ(inv["loras"], json({"mychar", "detail"}));
  EXPECT_EQ(inv["samplers"], json({"DPM++ 2M", "Euler a"}));
  EXPECT_EQ(inv["schedulers"], json({"Automatic", "Karras"}));
}

TEST(GenerateRoutes, GeneratesInTheBackgroundAndSavesEachImageWithItsParameters) {
  testing::FakeA1111 a1111;
  testing::TempDir dir;
  testing::RunningServer srv(dir.path(), with_generator("a1111=" + a1111.url(), dir / "out"));
  int status = 0;
  json started = srv.post("/api/generate",
                          {{"text", "1girl, smile"},
                           {"style", "animagine-xl-4.0"},
                           {"trigger", "mychar"},
                           {"loras", {"mychar:0.8"}},
                           {"seed", "1234"},
                           {"count", 2},
                           {"batch_size", 2},
                           {"checkpoint", "noobaiXL_v11"}},
                          &status);
  ASSERT_EQ(status, 200) << started.dump();
  json end = testing::wait_for_job_end(srv, "/api/generate/jobs/", started["job"]);
  ASSERT_EQ(end["state"], "done") << end.dump();
  const json& images = end["report"]["images"];
  ASSERT_EQ(images.size(), 4u);
  std::vector<std::string> names;
  for (auto& i : images) names.push_back(i["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"00001-1234.png", "00002-1235.png", "00003-1236.png", "00004-1237.png"}));
  EXPECT_EQ(images[3]["seed"], 1237);
  EXPECT_EQ(images[3]["batch"], 2);
  EXPECT_EQ(images[3]["url"], "/api/generate/images/00004-1237.png");
  EXPECT_EQ(images[0]["caption"], "mychar, 1girl, smile");
  EXPECT_EQ(end["report"]["prompt"]["positive"],
            "mychar, 1girl, safe, smile, masterpiece, high score, great score, absurdres, <lora:mychar:0.8>");
  // The server's own settings plus the page's: the second batch goes on from seed + batch size.
  auto bodies = a1111.bodies("/sdapi/v1/txt2img");
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(json::parse(bodies[0])["seed"], 1234);
  EXPECT_EQ(json::parse(bodies[1])["seed"], 1236);
  EXPECT_EQ(json::parse(bodies[0])["override_settings"]["sd_model_checkpoint"], "noobaiXL_v11");
  // Saved by the library function the CLI uses: PNG with the parameters chunk, caption beside it.
  auto res = srv.client().Get("/api/generate/images/00002-1235.png");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "image/png");
  std::string params = testing::take(png_text(res->body, "parameters"));
  EXPECT_NE(params.find("Seed: 1235, Size: 832x1216"), std::string::npos) << params;
  EXPECT_EQ(testing::read_all(dir / "out" / "00002-1235.txt"), "mychar, 1girl, smile\n");
  // The event stream replays the run: progress, one image event per image, the end.
  auto events = srv.client().Get("/api/generate/jobs/" + std::to_string(started["job"].get<int>()) + "/events");
  ASSERT_TRUE(events);
  size_t image_events = 0;
  for (size_t at = 0; (at = events->body.find("event: image\n", at)) != std::string::npos; ++at) ++image_events;
  EXPECT_EQ(image_events, 4u);
  EXPECT_NE(events->body.find("event: end\ndata: {\"error\":null,\"report\""), std::string::npos);
}

TEST(GenerateRoutes, InterruptStopsTheGeneratorAndKeepsTheImagesReceived) {
  testing::FakeA1111 a1111;
  std::atomic<bool> arrived{false};
  a1111.cancel_on_txt2img = &arrived;  // txt2img waits for /interrupt
  testing::TempDir dir;
  testing::RunningServer srv(dir.path(), with_generator(a1111.url(), dir / "out"));
  int status = 0;
  json started = srv.post("/api/generate", {{"text", "1girl"}, {"seed", 7}, {"count", 3}, {"batch_size", 4}}, &status);
  ASSERT_EQ(status, 200) << started.dump();
  const std::string job = std::to_string(started["job"].get<int>());
  for (int i = 0; i < 2000 && !arrived; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(arrived);
  json second = srv.post("/api/generate", {{"text", "1girl"}}, &status);
  EXPECT_EQ(status, 409);
  EXPECT_EQ(second["error"]["message"], "a generation is already running (job " + job + ")");
  json c = srv.post("/api/generate/jobs/" + job + "/cancel", json::object(), &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(c["state"], "cancelling");
  json end = testing::wait_for_job_end(srv, "/api/generate/jobs/", started["job"]);
  EXPECT_EQ(end["state"], "cancelled");
  EXPECT_EQ(end["report"]["interrupted"], true);
  ASSERT_EQ(end["report"]["images"].size(), 1u);
  EXPECT_EQ(end["report"]["images"][0]["name"], "00001-7.png");
  EXPECT_EQ(a1111.interrupts, 1);
  EXPECT_EQ(a1111.bodies("/sdapi/v1/txt2img").size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "00001-7.png"));
}

TEST(GenerateRoutes, GeneratorErrorsAreBadGatewayWithTheGeneratorsMessage) {
  std::string gone_url;
  {
    testing::FakeA1111 gone;  // a port that was free a moment ago
    gone_url = gone.url();
  }
  testing::TempDir dir;
  {
    ServeParams p = with_generator(gone_url, dir / "out");
    p.connect_timeout = 2;
    testing::RunningServer srv(dir.path(), p);
    int status = 0;
    json inv = srv.get("/api/generator/inventory", &status);
    EXPECT_EQ(status, 502);
    EXPECT_EQ(inv["error"]["code"], "bad_gateway");
    EXPECT_EQ(inv["error"]["message"].get<std::string>().rfind(gone_url + " is not reachable (", 0), 0u)
        << inv.dump();
    json started = srv.post("/api/generate", {{"text", "1girl"}}, &status);
    ASSERT_EQ(status, 200);
    json end = testing::wait_for_job_end(srv, "/api/generate/jobs/", started["job"]);
    EXPECT_EQ(end["state"], "failed");
    EXPECT_EQ(end["error"].get<std::string>().rfind(gone_url + " is not reachable (", 0), 0u) << end.dump();
  }
  testing::FakeA1111 locked;
  locked.basic_auth = "me:secret";
  {
    testing::RunningServer srv(dir.path(), with_generator(locked.url(), dir / "out"));
    int status = 0;
    json inv = srv.get("/api/generator/inventory", &status);
    EXPECT_EQ(status, 502);
    EXPECT_NE(inv["error"]["message"].get<std::string>().find("the server needs credentials (HTTP 401)"),
              std::string::npos)
        << inv.dump();
  }
  {
    ServeParams p = with_generator(locked.url(), dir / "out");
    p.user = "me:secret";
    testing::RunningServer srv(dir.path(), p);
    int status = 0;
    srv.get("/api/generator/inventory", &status);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(locked.auth_headers().back(), "Basic bWU6c2VjcmV0");
    EXPECT_EQ(srv.get("/api/generator").dump().find("secret"), std::string::npos);
  }
}

TEST(GenerateRoutes, ThePageSetsOnlyPromptAndBatchOptions) {
  testing::FakeA1111 a1111;
  testing::TempDir dir;
  testing::RunningServer srv(dir.path(), with_generator(a1111.url(), dir / "out"));
  int status = 0;
  for (auto [key, value] : std::vector<std::pair<std::string, json>>{{"out", "/tmp/elsewhere"},
                                                                     {"url", "http://10.0.0.1:7860"},
                                                                     {"workflow", "/etc/passwd"},
                                                                     {"user", "a:b"},
                                                                     {"tags_db", "/etc/passwd"}}) {
    json r = srv.post("/api/generate", {{"text", "1girl"}, {key, value}}, &status);
    EXPECT_EQ(status, 400) << key;
    EXPECT_EQ(r["error"]["message"], "body." + key + ": not an option the web app may set");
  }
  json r = srv.post("/api/generate", {{"text", "1girl"}, {"seed", "abc"}}, &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(r["error"]["message"], "body.seed 'abc': expected a whole number (-1: random)");
  srv.post("/api/generate", {{"text", "1girl"}, {"count", 0}}, &status);
  EXPECT_EQ(status, 400);
  srv.post("/api/generate", {{"text", "1girl"}, {"loras", {"x:heavy"}}}, &status);
  EXPECT_EQ(status, 400);
  EXPECT_TRUE(a1111.bodies("/sdapi/v1/txt2img").empty());
  // Only saved images, by name.
  srv.client().Get("/api/generate/images/..%2F..%2Fetc%2Fpasswd");
  auto res = srv.client().Get("/api/generate/images/00001-1.png");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST(GenerateRoutes, TheGeneratorOptionIsCheckedAtStart) {
  testing::TempDir dir;
  ServeParams p;
  p.generator = "ftp://127.0.0.1:1";
  auto s = Server::create(dir.path(), p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "--generator: --url 'ftp://127.0.0.1:1': expected http://HOST:PORT or https://…");
  p.generator = "sdnext=http://127.0.0.1:1";
  s = Server::create(dir.path(), p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "--generator: --backend 'sdnext': expected a1111, comfyui or runpod");
}

TEST(GenerateRoutes, ComfyUiThroughTheServer) {
  testing::FakeComfy comfy;
  testing::TempDir dir;
  testing::RunningServer srv(dir.path(), with_generator("comfyui=" + comfy.url(), dir / "out"));
  EXPECT_EQ(srv.get("/api/generator")["backend"], "comfyui");
  int status = 0;
  json none = srv.post("/api/generate", {{"text", "1girl"}}, &status);  // ComfyUI has no "loaded one"
  EXPECT_EQ(status, 400);
  EXPECT_EQ(none["error"]["message"],
            "body.checkpoint: the built-in ComfyUI graph needs a checkpoint (one of GET /api/generator/inventory's "
            "checkpoints)");
  EXPECT_TRUE(comfy.bodies("/prompt").empty());
  json started = srv.post(
      "/api/generate", {{"text", "1girl"}, {"seed", 42}, {"checkpoint", "animagine-xl-4.0-opt.safetensors"}}, &status);
  ASSERT_EQ(status, 200) << started.dump();
  json end = testing::wait_for_job_end(srv, "/api/generate/jobs/", started["job"]);
  ASSERT_EQ(end["state"], "done") << end.dump();
  ASSERT_EQ(end["report"]["images"].size(), 1u);
  EXPECT_EQ(end["report"]["images"][0]["name"], "00001-42.png");
  EXPECT_EQ(json::parse(comfy.bodies("/prompt")[0])["prompt"]["3"]["inputs"]["seed"], 42);
  EXPECT_FALSE(end["report"]["images"][0].contains("batch_pos"));  // a batch of one: the seed alone
  // A batch of two shares the seed; each image says where it sat.
  started = srv.post("/api/generate",
                     {{"text", "1girl"}, {"seed", 43}, {"batch_size", 2}, {"checkpoint", "animagine-xl-4.0-opt.safetensors"}},
                     &status);
  ASSERT_EQ(status, 200) << started.dump();
  end = testing::wait_for_job_end(srv, "/api/generate/jobs/", started["job"]);
  ASSERT_EQ(end["state"], "done") << end.dump();
  ASSERT_EQ(end["report"]["images"].size(), 2u);
  EXPECT_EQ(end["report"]["images"][1]["name"], "00003-43.png");
  EXPECT_EQ(end["report"]["images"][1]["seed"], 43);
  EXPECT_EQ(end["report"]["images"][1]["batch_size"], 2);
  EXPECT_EQ(end["report"]["images"][1]["batch_pos"], 1);
}

}  // namespace
}  // namespace tagmetry
