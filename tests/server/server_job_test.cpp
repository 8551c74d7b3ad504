// A tag job started through the API with a known-answer model: live events (SSE), captions on disk equal
// to `tagmetry tag`'s, stored scores in the editor, the threshold slider's derive equal to `retag`, and
// cancellation.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fixtures.h"
#include "server_fixture.h"
#include "test_support.h"

namespace tagmetry::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kImages = {"red_448x224.png", "blue_300x500.png", "grey.png", "truncated.png"};

json wait_for_job(RunningServer& srv, int id) {
  json j;
  for (int i = 0; i < 600; ++i) {
    j = srv.get("/api/jobs/" + std::to_string(id));
    if (j["state"] != "running" && j["state"] != "cancelling") return j;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "job did not end: " << j.dump();
  return j;
}

TEST(ServerJob, TagsTheDatasetLikeTheCliAndStreamsEvents) {
  TempDir tmp;
  fs::path web = tmp / "web", cli = tmp / "cli";
  copy_images(kImages, web);
  copy_images(kImages, cli);
  std::string model_dir = (known_answer_models() / "wd").string();

  auto ref = run_cli({"tag", cli.string(), "--model-dir", model_dir, "--general-threshold", "0.5"});
  ASSERT_EQ(ref.exit_code, 1) << ref.err;  // truncated.png fails, the rest are tagged

  RunningServer srv(web);
  int status = 0;
  json started = srv.post("/api/jobs/tag", {{"model_dir", model_dir}, {"general_threshold", 0.5}}, &status);
  ASSERT_EQ(status, 200) << started.dump();
  int id = started["job"];

  // The event stream replays from the start, so it is complete whenever we connect.
  std::string stream;
  auto r = srv.client().Get("/api/jobs/" + std::to_string(id) + "/events",
                            [&](const char* data, size_t len) {
                              stream.append(data, len);
                              return true;
                            });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  EXPECT_NE(stream.find("event: progress"), std::string::npos);
  EXPECT_NE(stream.find("event: item\ndata: {"), std::string::npos);
  EXPECT_NE(stream.find("\"outcome\":\"failed\""), std::string::npos);  // truncated.png
  ASSERT_NE(stream.find("event: end"), std::string::npos);
  EXPECT_NE(stream.find("\"state\":\"done\""), std::string::npos);

  json done = wait_for_job(srv, id);
  EXPECT_EQ(done["state"], "done");
  EXPECT_EQ(done["report"]["tagged"], 3);
  EXPECT_EQ(done["report"]["failed"], 1);
  for (auto& name : {"red_448x224", "blue_300x500", "grey"}) {
    std::string expected = read_all(cli / (std::string(name) + ".txt"));
    EXPECT_EQ(read_all(web / (std::string(name) + ".txt")), expected) << name;
  }

  // The editor sees the stored scores, and the slider derives what retag would write.
  json red = srv.get("/api/images?text=red_theme");
  ASSERT_GE(red["total"].get<int>(), 1);
  int red_id = red["items"][0]["id"];
  json detail = srv.get("/api/image/" + std::to_string(red_id));
  ASSERT_FALSE(detail["scores"].is_null()) << detail.dump();
  EXPECT_EQ(detail["scores"]["model"], "wd");
  bool has_tag_a = false;
  for (auto& t : detail["scores"]["tags"])
    if (t["tag"] == "tag_a") {
      has_tag_a = true;
      EXPECT_NEAR(t["score"].get<double>(), 0.9, 1e-3);
    }
  EXPECT_TRUE(has_tag_a);
  json derived = srv.get("/api/image/" + std::to_string(red_id) + "/derive?general=0.75&character=0.9");
  auto re = run_cli({"retag", cli.string(), "--general-threshold", "0.75", "--character-threshold", "0.9"});
  ASSERT_EQ(re.exit_code, 0) << re.err;
  std::string path = red["items"][0]["path"];
  EXPECT_EQ(derived["text"], read_all(cli / (path.substr(0, path.size() - 4) + ".txt")));
  EXPECT_EQ(srv.get("/api/session")["has_scores"], true);

  // Models: the registry, plus the model this dataset was tagged with.
  json models = srv.get("/api/models");
  EXPECT_EQ(models["default"], "wd-vit-v3");
  bool registry = false, used = false;
  for (auto& m : models["models"]) {
    if (m["name"] == "wd-vit-v3") registry = true;
    if (m["name"] == "wd" && m["in_database"] == true) used = true;
  }
  EXPECT_TRUE(registry) << models.dump();
  EXPECT_TRUE(used) << models.dump();

  // A second job while none runs is fine; the report says the scores were reused.
  json again = srv.post("/api/jobs/tag", {{"model_dir", model_dir}, {"overwrite", true}}, &status);
  ASSERT_EQ(status, 200);
  json second = wait_for_job(srv, again["job"]);
  EXPECT_EQ(second["report"]["reused"], 3);
}

// "precision": "int8" builds the int8 copy on first use; the job's event stream says so (the tag dialog
// shows these notes), and the job then tags with it.
TEST(ServerJob, Int8JobBuildsTheModelAndSaysSo) {
  TempDir tmp;
  copy_images({"red_448x224.png", "grey.png"}, tmp / "set");
  fs::copy(known_answer_models() / "wd", tmp / "wd");
  RunningServer srv(tmp / "set");
  int status = 0;
  json started = srv.post("/api/jobs/tag", {{"model_dir", (tmp / "wd").string()}, {"precision", "int8"}}, &status);
  ASSERT_EQ(status, 200) << started.dump();
  std::string stream;
  auto r = srv.client().Get("/api/jobs/" + std::to_string(started["job"].get<int>()) + "/events",
                            [&](const char* data, size_t len) {
                              stream.append(data, len);
                              return true;
                            });
  ASSERT_TRUE(r);
  EXPECT_NE(stream.find("event: note\ndata: {\"message\":\"building the int8 model once"), std::string::npos) << stream;
  EXPECT_NE(stream.find("the first 8 images of " + (tmp / "set").string()), std::string::npos) << stream;
  EXPECT_NE(stream.find("\"message\":\"built model.int8.onnx: "), std::string::npos) << stream;
  EXPECT_NE(stream.find("\"state\":\"done\""), std::string::npos) << stream;
  EXPECT_TRUE(fs::exists(tmp / "wd" / "model.int8.onnx"));
  EXPECT_TRUE(fs::exists(tmp / "set" / "red_448x224.txt"));
}

TEST(ServerJob, RejectsBadOptionsAndMissingModels) {
  TempDir tmp;
  copy_images({"red_448x224.png"}, tmp / "set");
  RunningServer srv(tmp / "set");
  int status = 0;
  json bad = srv.post("/api/jobs/tag", {{"no_such_option", 1}}, &status);
  EXPECT_EQ(status, 400);
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("no_such_option"), std::string::npos);
  srv.post("/api/jobs/tag", {{"output_jsonl", "/tmp/x.jsonl"}}, &status);
  EXPECT_EQ(status, 400);
  json job = srv.post("/api/jobs/tag", {{"model_dir", (tmp / "nothing").string()}}, &status);
  ASSERT_EQ(status, 200);
  json end = wait_for_job(srv, job["job"]);
  EXPECT_EQ(end["state"], "failed");
  EXPECT_NE(end["error"].get<std::string>().find("nothing"), std::string::npos);
  srv.get("/api/jobs/99", &status);
  EXPECT_EQ(status, 404);
}

TEST(ServerJob, CancelStopsTheRun) {
  TempDir tmp;
  std::vector<std::string> many;
  for (int i = 0; i < 40; ++i) {
    fs::create_directories(tmp / "set");
    fs::copy_file(test_images() / "photo_2000x1500.jpg", tmp / "set" / ("p" + std::to_string(i) + ".jpg"));
  }
  RunningServer srv(tmp / "set");
  int status = 0;
  json job = srv.post("/api/jobs/tag", {{"model_dir", (known_answer_models() / "wd").string()}, {"batch_size", 1}}, &status);
  ASSERT_EQ(status, 200);
  json c = srv.post("/api/jobs/" + std::to_string(job["job"].get<int>()) + "/cancel", json::object(), &status);
  EXPECT_EQ(status, 200);
  json end = wait_for_job(srv, job["job"]);
  EXPECT_TRUE(end["state"] == "cancelled" || end["state"] == "done") << end.dump();
  if (end["state"] == "cancelled") {
    EXPECT_LT(end["report"]["tagged"].get<int>(), 40);
  }
}

}  // namespace
}  // namespace tagmetry::testing
