// The A1111 / Forge back end against a stand-in server: the exact txt2img body, the saved PNG's parameters,
// the grid skipped, progress, interrupt, and every fault (401, 404 without --api, 500, garbage, a dropped
// connection, nothing listening).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "fake_generators.h"
#include "tagmetry/generate.h"
#include "tagmetry/png_text.h"
#include "tagmetry/strings.h"
#include "test_support.h"

namespace tagmetry {
namespace {

using nlohmann::json;
using testing::take;

const PromptBuilder& builder() {
  static std::unique_ptr<PromptBuilder> b = take(PromptBuilder::open(PromptParams{}));
  return *b;
}

GenerateParams params(const std::string& url, const std::filesystem::path& out) {
  GenerateParams p;
  p.backend = "a1111";
  p.url = url;
  p.out = out.string();
  p.style = "animagine-xl-4.0";
  p.trigger = "mychar";
  p.loras = {"mychar:0.8"};
  p.seed = "1234";
  return p;
}

Result<GenerateReport> run(const GenerateParams& p, const std::string& input = "1girl, smile") {
  std::atomic<bool> cancel{false};
  return run_generate(p, builder(), input, {}, cancel);
}

const char* kPositive =
    "mychar, 1girl, safe, smile, masterpiece, high score, great score, absurdres, <lora:mychar:0.8>";
const char* kNegative =
    "lowres, bad anatomy, bad hands, text, error, missing finger, extra digits, fewer digits, cropped, worst quality, "
    "low quality, low score, bad score, average score, signature, watermark, username, blurry";

TEST(A1111, SendsTheTxt2ImgBodyAndSavesImagesWithParameters) {
  testing::FakeA1111 server;
  testing::TempDir dir;
  GenerateParams p = params(server.url(), dir / "gen");
  p.count = 2;
  p.batch_size = 2;
  p.checkpoint = "animagine-xl-4.0-opt.safetensors [6327eca98b]";
  GenerateReport r = take(run(p));

  auto bodies = server.bodies("/sdapi/v1/txt2img");
  ASSERT_EQ(bodies.size(), 2u);
  json expected = {{"prompt", kPositive},
                   {"negative_prompt", kNegative},
                   {"seed", 1234},
                   {"sampler_name", "Euler a"},
                   {"scheduler", "Automatic"},
                   {"batch_size", 2},
                   {"n_iter", 1},
                   {"steps", 28},
                   {"cfg_scale", 5.0},
                   {"width", 832},
                   {"height", 1216},
                   {"send_images", true},
                   {"save_images", false},
                   {"override_settings", {{"sd_model_checkpoint", "animagine-xl-4.0-opt.safetensors [6327eca98b]"}}},
                   {"override_settings_restore_afterwards", false}};
  EXPECT_EQ(json::parse(bodies[0]), expected);
  expected["seed"] = 1236;  // the second batch goes on from seed + batch size
  EXPECT_EQ(json::parse(bodies[1]), expected);

  ASSERT_EQ(r.images.size(), 4u);
  EXPECT_EQ(r.images[0].png, dir / "gen" / "00001-1234.png");
  EXPECT_EQ(r.images[1].png, dir / "gen" / "00002-1235.png");
  EXPECT_EQ(r.images[3].png, dir / "gen" / "00004-1237.png");
  EXPECT_TRUE(r.errors.empty());
  EXPECT_FALSE(r.interrupted);
  std::string png = testing::read_all(r.images[1].png);
  EXPECT_EQ(png_text_chunk_type(png, "parameters"), "tEXt");
  EXPECT_EQ(take(png_text(png, "parameters")),
            std::string(kPositive) + "\nNegative prompt: " + kNegative +
                "\nSteps: 28, Sampler: Euler a, Schedule type: Automatic, CFG scale: 5, Seed: 1235, Size: 832x1216, "
                "Model hash: 6327eca98b, Model: animagineXL40_v4Opt, Lora hashes: \"mychar: 0123456789ab\"");
  EXPECT_EQ(testing::read_all(dir / "gen" / "00002-1235.txt"), "mychar, 1girl, smile\n");

  // A second run numbers on from the files already there.
  p.count = 1;
  p.batch_size = 1;
  GenerateReport again = take(run(p));
  ASSERT_EQ(again.images.size(), 1u);
  EXPECT_EQ(again.images[0].png, dir / "gen" / "00005-1234.png");
}

TEST(A1111, JapanesePromptGoesIntoITXt) {
  testing::FakeA1111 server;
  testing::TempDir dir;
  GenerateParams p = params(server.url(), dir.path());
  p.negative = "低品質";
  GenerateReport r = take(run(p));
  ASSERT_EQ(r.images.size(), 1u);
  std::string png = testing::read_all(r.images[0].png);
  EXPECT_EQ(png_text_chunk_type(png, "parameters"), "iTXt");
  EXPECT_NE(take(png_text(png, "parameters")).find("\nNegative prompt: 低品質\n"), std::string::npos);
}

TEST(A1111, SkipsTheGridAndReadsRandomSeedsFromInfo) {
  testing::FakeA1111 server;
  server.return_grid = true;
  testing::TempDir dir;
  GenerateParams p = params(server.url(), dir.path());
  p.seed = "";
  p.batch_size = 3;
  GenerateReport r = take(run(p));
  EXPECT_EQ(json::parse(server.bodies("/sdapi/v1/txt2img")[0])["seed"], -1);
  ASSERT_EQ(r.images.size(), 3u);  // not 4: images[0] was the grid
  EXPECT_EQ(r.images[0].png.filename(), "00001-3000000000.png");
  EXPECT_EQ(r.images[2].png.filename(), "00003-3000000002.png");
  // The pixels are the first real image's (8x8), not the grid's (16x16).
  std::string png = testing::read_all(r.images[0].png);
  EXPECT_EQ(png.substr(16, 8), std::string("\0\0\0\x08\0\0\0\x08", 8));
}

TEST(A1111, BasicAuthFromTheOptionOrTheEnvironment) {
  testing::FakeA1111 server;
  server.basic_auth = "me:secret";
  testing::TempDir dir;
  GenerateParams p = params(server.url(), dir.path());
  auto refused = run(p);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            server.url() +
                "/sdapi/v1/txt2img: the server needs credentials (HTTP 401): pass --user NAME:PASS or set "
                "TAGMETRY_GENERATOR_AUTH (A1111 --api-auth)");
  p.user = "me:wrong";
  auto wrong = run(p);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("refused the credentials (HTTP 401)"), std::string::npos);
  EXPECT_EQ(wrong.status().message().find("wrong"), std::string::npos);  // never the password
  p.user = "me:secret";
  GenerateReport r = take(run(p));
  EXPECT_EQ(r.images.size(), 1u);
  EXPECT_EQ(server.auth_headers().back(), "Basic bWU6c2VjcmV0");
  std::string meta = take(png_text(testing::read_all(r.images[0].png), "parameters"));
  EXPECT_EQ(meta.find("secret"), std::string::npos);
  EXPECT_EQ(r.to_json().find("secret"), std::string::npos);
}

TEST(A1111, ApiNotEnabled) {
  testing::FakeA1111 server;
  server.no_api = true;
  testing::TempDir dir;
  auto r = run(params(server.url(), dir.path()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), server.url() +
                                      "/sdapi/v1/txt2img: not found (HTTP 404): the API is not enabled; start "
                                      "AUTOMATIC1111 / Forge with --api (or --nowebui)");
}

TEST(A1111, AFailingFirstBatchStopsTheRun) {
  testing::FakeA1111 server;
  server.fail_status = 500;
  testing::TempDir dir;
  GenerateParams p = params(server.url(), dir.path());
  p.count = 2;
  auto r = run(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), server.url() + "/sdapi/v1/txt2img: HTTP 500: CUDA out of memory");
  EXPECT_EQ(server.bodies("/sdapi/v1/txt2img").size(), 1u);
}

TEST(A1111, ALaterFailingBatchIsReportedAndTheRestGoOn) {
  testing::FakeA1111 server;
  server.fail_status = 500;
  server.ok_batches_before_failure = 1;
  server.failures_left = 1;
  testing::TempDir dir;
  GenerateParams p = params(server.url(), dir.path());
  p.count = 3;
  GenerateReport r = take(run(p));
  ASSERT_EQ(r.images.size(), 2u);
  EXPECT_EQ(r.images[0].png.filename(), "00001-1234.png");
  EXPECT_EQ(r.images[1].png.filename(), "00002-1236.png");
  EXPECT_EQ(r.errors,
            std::vector<std::string>{"batch 2: " + server.url() + "/sdapi/v1/txt2img: HTTP 500: CUDA out of memory"});
}

TEST(A1111, GarbageAnswer) {
  testing::FakeA1111 server;
  server.garbage = true;
  testing::TempDir dir;
  auto r = run(params(server.url(), dir.path()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), server.url() +
                                      "/sdapi/v1/txt2img: the server answered something that is not JSON (HTTP 200, "
                                      "'<html><body>Gradio</body></html>'); is this the right URL and --backend?");
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(A1111, DroppedConnection) {
  testing::FakeA1111 server;
  server.drop = true;
  testing::TempDir dir;
  auto r = run(params(server.url(), dir.path()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("POST " + server.url() + "/sdapi/v1/txt2img: connection failed (", 0), 0u)
      << r.status().message();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // no half-written PNG
}

TEST(A1111, NothingListening) {
  testing::TempDir dir;
  int port;
  {
    testing::FakeA1111 gone;  // a port that was free a moment ago
    port = std::stoi(gone.url().substr(gone.url().rfind(':') + 1));
  }
  GenerateParams p = params("http://127.0.0.1:" + std::to_string(port), dir.path());
  p.connect_timeout = 2;
  auto r = run(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("http://127.0.0.1:" + std::to_string(port) + " is not reachable (", 0), 0u)
      << r.status().message();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(A1111, ProgressIsPolledFromASecondConnection) {
  testing::FakeA1111 server;
  server.wait_for_progress = true;
  testing::TempDir dir;
  std::vector<GeneratorProgress> seen;
  std::atomic<bool> cancel{false};
  GenerateReport r = take(run_generate(
      params(server.url(), dir.path()), builder(), "1girl", [&](const GeneratorProgress& g) { seen.push_back(g); },
      cancel));
  EXPECT_EQ(r.images.size(), 1u);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].step, 14);
  EXPECT_EQ(seen[0].steps, 28);
  EXPECT_DOUBLE_EQ(seen[0].fraction, 0.5);
  EXPECT_NE(std::find(server.requests().begin(), server.requests().end(), "GET /sdapi/v1/progress"),
            server.requests().end());
}

TEST(A1111, CancelInterruptsTheServerAndKeepsTheImagesReceived) {
  testing::FakeA1111 server;
  std::atomic<bool> cancel{false};
  server.cancel_on_txt2img = &cancel;  // "Ctrl-C" while the first batch runs
  testing::TempDir dir;
  GenerateParams p = params(server.url(), dir.path());
  p.count = 3;
  p.batch_size = 4;
  GenerateReport r = take(run_generate(p, builder(), "1girl", {}, cancel));
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(server.interrupts, 1);
  ASSERT_EQ(r.images.size(), 1u);  // what the interrupted batch had finished
  EXPECT_TRUE(std::filesystem::exists(dir / "00001-1234.png"));
  EXPECT_EQ(server.bodies("/sdapi/v1/txt2img").size(), 1u);  // no further batch
}

TEST(A1111, CheckListsTheServerAndNamesWhatIsWrong) {
  testing::FakeA1111 server;
  GenerateParams p = params(server.url(), "unused");
  p.checkpoint = "animagine-xl-4.0-opt";
  p.loras = {"mychar:0.8", "mychra"};
  p.sampler = "Euler A";
  auto gen = take(open_generator(p));
  CheckReport c = take(check_generator(p, *gen));
  EXPECT_EQ(join(c.inventory.checkpoints, "|"),
            "animagine-xl-4.0-opt.safetensors [6327eca98b]|noobaiXL_v11.safetensors [ee5a2a0d0b]");
  EXPECT_EQ(join(c.inventory.loras, "|"), "mychar|detail");
  EXPECT_EQ(join(c.inventory.schedulers, "|"), "Automatic|Karras");
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_EQ(c.problems[0], "unknown LoRA 'mychra' (closest: mychar, detail)");
  p.checkpoint = "animagine-xl-3.1";
  p.loras = {};
  p.sampler = "Euler b";
  c = take(check_generator(p, *gen));
  ASSERT_EQ(c.problems.size(), 2u);
  EXPECT_EQ(c.problems[0],
            "unknown checkpoint 'animagine-xl-3.1' (closest: animagine-xl-4.0-opt.safetensors [6327eca98b], "
            "noobaiXL_v11.safetensors [ee5a2a0d0b])");
  EXPECT_EQ(c.problems[1], "unknown sampler 'Euler b' (closest: Euler a, DPM++ 2M)");
}

TEST(A1111, CheckSaysWhatIsWrongWithTheServer) {
  testing::FakeA1111 server;
  server.basic_auth = "me:secret";
  GenerateParams p = params(server.url(), "unused");
  auto gen = take(open_generator(p));
  auto c = check_generator(p, *gen);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), server.url() +
                                      "/sdapi/v1/sd-models: the server needs credentials (HTTP 401): pass --user "
                                      "NAME:PASS or set TAGMETRY_GENERATOR_AUTH (A1111 --api-auth)");
  server.no_api = true;
  c = check_generator(p, *gen);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), server.url() +
                                      "/sdapi/v1/sd-models: not found (HTTP 404): the API is not enabled; start "
                                      "AUTOMATIC1111 / Forge with --api (or --nowebui)");
}

}  // namespace
}  // namespace tagmetry
