// The ComfyUI and RunPod back ends against stand-in servers: the exact graph posted, /history polling,
// /view downloads, node errors, interrupt and cancel, the object_info lists, RunPod's job states.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

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

GenerateParams params(const std::string& backend, const std::string& url, const std::filesystem::path& out) {
  GenerateParams p;
  p.backend = backend;
  p.url = url;
  p.out = out.string();
  p.style = "animagine-xl-4.0";
  p.trigger = "mychar";
  p.loras = {"mychar:0.8", "detail:0.5"};
  p.seed = "42";
  p.checkpoint = "animagine-xl-4.0-opt.safetensors";
  p.sampler = "DPM++ 2M";
  p.scheduler = "Karras";
  return p;
}

const char* kPositive = "mychar, 1girl, safe, smile, masterpiece, high score, great score, absurdres";

json expected_graph() {
  return json::parse(R"({
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "animagine-xl-4.0-opt.safetensors"}},
    "10": {"class_type": "LoraLoader", "inputs": {"model": ["4", 0], "clip": ["4", 1], "lora_name": "mychar.safetensors",
           "strength_model": 0.8, "strength_clip": 0.8}},
    "11": {"class_type": "LoraLoader", "inputs": {"model": ["10", 0], "clip": ["10", 1], "lora_name": "detail.safetensors",
           "strength_model": 0.5, "strength_clip": 0.5}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "POSITIVE", "clip": ["11", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "NEGATIVE", "clip": ["11", 1]}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 832, "height": 1216, "batch_size": 1}},
    "3": {"class_type": "KSampler", "inputs": {"model": ["11", 0], "seed": 42, "steps": 28, "cfg": 5.0,
          "sampler_name": "dpmpp_2m", "scheduler": "karras", "positive": ["6", 0], "negative": ["7", 0],
          "latent_image": ["5", 0], "denoise": 1.0}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "Tagmetry"}}
  })");
}

TEST(ComfyUI, PostsTheBuiltInGraphPollsHistoryAndSavesTheImage) {
  testing::FakeComfy server;
  testing::TempDir dir;
  std::atomic<bool> cancel{false};
  GenerateReport r =
      take(run_generate(params("comfyui", server.url(), dir.path()), builder(), "1girl, smile", {}, cancel));
  auto bodies = server.bodies("/prompt");
  ASSERT_EQ(bodies.size(), 1u);
  json body = json::parse(bodies[0]);
  json graph = expected_graph();
  graph["6"]["inputs"]["text"] = kPositive;
  graph["7"]["inputs"]["text"] = r.prompt.negative;
  EXPECT_EQ(body["prompt"], graph);
  const std::string client_id = body["client_id"];
  EXPECT_EQ(client_id.rfind("tagmetry-", 0), 0u);
  // This server has no web socket (404): Tagmetry falls back to polling /history.
  auto reqs = server.requests();
  EXPECT_EQ(join(reqs, "\n"), "GET /ws?clientId=" + client_id +
                                  "\nPOST /prompt\nGET /history/5f1c2a3b-0000-4000-8000-000000000001\nGET "
                                  "/history/5f1c2a3b-0000-4000-8000-000000000001\nGET "
                                  "/view?filename=Tagmetry_00001_.png&subfolder=&type=output");
  ASSERT_EQ(r.images.size(), 1u);
  EXPECT_EQ(r.images[0].png.filename(), "00001-42.png");
  // ComfyUI writes no `parameters`; Tagmetry does, with the A1111 sampler names the prompt used.
  EXPECT_EQ(take(png_text(testing::read_all(r.images[0].png), "parameters")),
            std::string(kPositive) + ", <lora:mychar:0.8>, <lora:detail:0.5>\nNegative prompt: " + r.prompt.negative +
                "\nSteps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 5, Seed: 42, Size: 832x1216, Model: "
                "animagine-xl-4.0-opt");
}

// ComfyUI's KSampler draws a latent batch's noise from one seed (comfy/sample.py prepare_noise:
// torch.manual_seed(seed), one randn over the whole batch): image k is reproduced by the same seed and
// batch size, not by seed + k. Each image records that seed and where it sat in the batch.
TEST(ComfyUI, ImagesOfABatchRecordTheBatchSeedAndTheirPosition) {
  testing::FakeComfy server;
  testing::TempDir dir;
  std::atomic<bool> cancel{false};
  GenerateParams p = params("comfyui", server.url(), dir.path());
  p.batch_size = 3;
  p.count = 2;
  GenerateReport r = take(run_generate(p, builder(), "1girl, smile", {}, cancel));
  auto bodies = server.bodies("/prompt");
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(json::parse(bodies[0])["prompt"]["3"]["inputs"]["seed"], 42);
  EXPECT_EQ(json::parse(bodies[0])["prompt"]["5"]["inputs"]["batch_size"], 3);
  EXPECT_EQ(json::parse(bodies[1])["prompt"]["3"]["inputs"]["seed"], 45);  // the next batch: seed + batch size
  ASSERT_EQ(r.images.size(), 6u);
  std::vector<std::string> names;
  for (auto& i : r.images) names.push_back(i.png.filename().string());
  EXPECT_EQ(names, (std::vector<std::string>{"00001-42.png", "00002-42.png", "00003-42.png", "00004-45.png",
                                             "00005-45.png", "00006-45.png"}));
  EXPECT_EQ(r.images[2].seed, 42);
  EXPECT_EQ(r.images[2].batch_pos, 2);
  EXPECT_EQ(take(png_text(testing::read_all(r.images[2].png), "parameters")),
            std::string(kPositive) + ", <lora:mychar:0.8>, <lora:detail:0.5>\nNegative prompt: " + r.prompt.negative +
                "\nSteps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 5, Seed: 42, Size: 832x1216, Model: "
                "animagine-xl-4.0-opt, Batch size: 3, Batch pos: 2");
  // The images differ (the fake's shade per position) and each is its own file.
  EXPECT_NE(testing::read_all(r.images[0].png), testing::read_all(r.images[1].png));
  json report = json::parse(r.to_json());
  EXPECT_EQ(report["images"][4]["seed"], 45);
  EXPECT_EQ(report["images"][4]["batch_size"], 3);
  EXPECT_EQ(report["images"][4]["batch_pos"], 1);
  // A batch of one: the seed alone reproduces it, nothing more is written.
  p.batch_size = 1;
  p.count = 1;
  GenerateReport one = take(run_generate(p, builder(), "1girl, smile", {}, cancel));
  ASSERT_EQ(one.images.size(), 1u);
  EXPECT_EQ(take(png_text(testing::read_all(one.images[0].png), "parameters")).find("Batch"), std::string::npos);
  EXPECT_FALSE(json::parse(one.to_json())["images"][0].contains("batch_pos"));
}

TEST(ComfyUI, ProgressFromTheWebSocket) {
  testing::FakeComfy server(/*websocket=*/true);
  server.history_polls_before_done = 0;  // done when `executing` says so
  testing::TempDir dir;
  std::atomic<bool> cancel{false};
  std::vector<std::pair<int, int>> steps;
  GenerateReport r = take(run_generate(
      params("comfyui", server.url(), dir.path()), builder(), "1girl, smile",
      [&](const GeneratorProgress& g) { steps.emplace_back(g.step, g.steps); }, cancel));
  // Only this prompt's progress (not the other prompt's), then `executing` with node null ends the wait.
  EXPECT_EQ(steps, (std::vector<std::pair<int, int>>{{14, 28}, {28, 28}}));
  json body = json::parse(server.bodies("/prompt")[0]);
  EXPECT_EQ(server.ws_client_id, body["client_id"].get<std::string>());
  EXPECT_EQ(join(server.requests(), "\n"),
            "POST /prompt\nGET /history/5f1c2a3b-0000-4000-8000-000000000001\nGET "
            "/view?filename=Tagmetry_00001_.png&subfolder=&type=output");
  ASSERT_EQ(r.images.size(), 1u);
  EXPECT_EQ(r.images[0].png.filename(), "00001-42.png");
}

TEST(ComfyUI, NodeErrorsNameTheNodeAndInput) {
  testing::FakeComfy server;
  server.reject = true;
  testing::TempDir dir;
  std::atomic<bool> cancel{false};
  GenerateParams p = params("comfyui", server.url(), dir.path());
  p.checkpoint = "missing.safetensors";
  auto r = run_generate(p, builder(), "1girl", {}, cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            server.url() +
                "/prompt: ComfyUI rejected the workflow: node 4 (CheckpointLoaderSimple): input 'ckpt_name': "
                "Value not in list (ckpt_name: 'missing.safetensors' not in "
                "['animagine-xl-4.0-opt.safetensors'])");
}

TEST(ComfyUI, UserWorkflowPlaceholders) {
  testing::FakeComfy server;
  testing::TempDir dir;
  testing::write_all(dir / "wf.json", R"({
    "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "{{checkpoint}}"}},
    "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{positive}}, extra", "clip": ["1", 1]}},
    "3": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}", "steps": "{{steps}}", "cfg": "{{cfg}}",
          "sampler_name": "{{sampler}}", "scheduler": "{{scheduler}}"}},
    "4": {"class_type": "EmptyLatentImage", "inputs": {"width": "{{width}}", "height": "{{height}}", "batch_size": "{{batch_size}}"}}
  })");
  GenerateParams p = params("comfyui", server.url(), dir / "out");
  p.workflow = (dir / "wf.json").string();
  p.loras = {};
  std::atomic<bool> cancel{false};
  GenerateReport r = take(run_generate(p, builder(), "1girl, smile", {}, cancel));
  json graph = json::parse(server.bodies("/prompt")[0])["prompt"];
  EXPECT_EQ(graph["1"]["inputs"]["ckpt_name"], "animagine-xl-4.0-opt.safetensors");
  EXPECT_EQ(graph["2"]["inputs"]["text"], std::string(kPositive) + ", extra");
  EXPECT_EQ(graph["3"]["inputs"],
            json::parse(R"({"seed": 42, "steps": 28, "cfg": 5.0, "sampler_name": "dpmpp_2m", "scheduler": "karras"})"));
  EXPECT_EQ(graph["4"]["inputs"], json::parse(R"({"width": 832, "height": 1216, "batch_size": 1})"));
  EXPECT_EQ(r.images.size(), 1u);
}

TEST(ComfyUI, CancelPostsInterrupt) {
  testing::FakeComfy server(/*websocket=*/true);
  std::atomic<bool> cancel{false};
  server.cancel_on_prompt = &cancel;
  testing::TempDir dir;
  GenerateParams p = params("comfyui", server.url(), dir.path());
  p.count = 2;
  GenerateReport r = take(run_generate(p, builder(), "1girl", {}, cancel));
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(server.interrupts, 1);
  EXPECT_TRUE(r.images.empty());
  EXPECT_EQ(server.bodies("/prompt").size(), 1u);
}

TEST(ComfyUI, CheckReadsObjectInfoInBothComboFormats) {
  for (bool modern : {false, true}) {
    testing::FakeComfy server;
    server.combo_new_format = modern;
    GenerateParams p = params("comfyui", server.url(), "unused");
    p.loras = {"mychar:0.8", "style"};
    auto gen = take(open_generator(p));
    CheckReport c = take(check_generator(p, *gen));
    EXPECT_EQ(join(c.inventory.checkpoints, "|"), "animagine-xl-4.0-opt.safetensors|noobaiXL_v11.safetensors");
    EXPECT_EQ(join(c.inventory.samplers, "|"), "euler|euler_ancestral");
    EXPECT_EQ(join(c.inventory.schedulers, "|"), "normal|karras");
    EXPECT_EQ(c.problems,
              std::vector<std::string>{"unknown LoRA 'style' (closest: detail.safetensors, mychar.safetensors)"});
  }
}

TEST(RunPod, RunsTheGraphAsAJobAndDecodesTheImage) {
  testing::FakeRunPod server;
  testing::TempDir dir;
  setenv("RUNPOD_API_KEY", "rp-key", 1);
  std::atomic<bool> cancel{false};
  GenerateReport r =
      take(run_generate(params("runpod", server.url(), dir.path()), builder(), "1girl, smile", {}, cancel));
  json body = json::parse(server.bodies("/run")[0]);
  json graph = expected_graph();
  graph["6"]["inputs"]["text"] = kPositive;
  graph["7"]["inputs"]["text"] = r.prompt.negative;
  EXPECT_EQ(body, json({{"input", {{"workflow", graph}}}}));
  EXPECT_EQ(join(server.requests(), "\n"), "POST /run\nGET /status/sync-1234\nGET /status/sync-1234");
  EXPECT_EQ(server.auth_headers()[0], "Bearer rp-key");
  ASSERT_EQ(r.images.size(), 1u);
  std::string png = testing::read_all(r.images[0].png);
  EXPECT_NE(take(png_text(png, "parameters")).find("Seed: 42, Size: 832x1216"), std::string::npos);
  EXPECT_EQ(r.to_json().find("rp-key"), std::string::npos);
}

TEST(RunPod, CtrlCCancelsTheJob) {
  testing::FakeRunPod server;
  std::atomic<bool> cancel{false};
  server.cancel_on_run = &cancel;
  testing::TempDir dir;
  setenv("RUNPOD_API_KEY", "rp-key", 1);
  GenerateParams p = params("runpod", server.url(), dir.path());
  p.count = 3;
  GenerateReport r = take(run_generate(p, builder(), "1girl", {}, cancel));
  EXPECT_TRUE(r.interrupted);
  EXPECT_TRUE(r.images.empty());
  EXPECT_EQ(join(server.requests(), "\n"), "POST /run\nPOST /cancel/sync-1234\nGET /status/sync-1234");
}

TEST(RunPod, FailedJobAndMissingKey) {
  testing::FakeRunPod server;
  server.final_status = "FAILED";
  testing::TempDir dir;
  setenv("RUNPOD_API_KEY", "rp-key", 1);
  std::atomic<bool> cancel{false};
  auto r = run_generate(params("runpod", server.url(), dir.path()), builder(), "1girl", {}, cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), server.url() + "/status/sync-1234: job FAILED: workflow failed");
  setenv("RUNPOD_API_KEY", "other", 1);
  auto refused = run_generate(params("runpod", server.url(), dir.path()), builder(), "1girl", {}, cancel);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            server.url() +
                "/run: RunPod refused the API key (HTTP 401); set RUNPOD_API_KEY to a key of "
                "the endpoint's account");
  unsetenv("RUNPOD_API_KEY");
  auto missing = open_generator(params("runpod", server.url(), dir.path()));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "--backend runpod needs the API key in RUNPOD_API_KEY");
}

}  // namespace
}  // namespace tagmetry
