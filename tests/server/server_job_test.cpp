// A tag job started through the API with a known-answer model: live events (SSE), captions on disk equal
// to `tagmetry tag`'s, stored scores in the editor, the threshold slider's derive equal to `retag`, and
// cancellation.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "fixtures.h"
#include "server_fixture.h"
#include "test_support.h"
#include "ts_types.h"

namespace tagmetry::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kImages = {"red_448x224.png", "blue_300x500.png", "grey.png", "truncated.png"};

// Server options that let the tag job use the model folders inside `dir`.
ServeParams with_models(const fs::path& dir) {
  ServeParams p;
  p.model_dir = dir.string();
  return p;
}

TEST(ServerJob, TagsTheDatasetLikeTheCliAndStreamsEvents) {
  TempDir tmp;
  fs::path web = tmp / "web", cli = tmp / "cli";
  copy_images(kImages, web);
  copy_images(kImages, cli);
  std::string model_dir = (known_answer_models() / "wd").string();

  auto ref = run_cli({"tag", cli.string(), "--model-dir", model_dir, "--general-threshold", "0.5", "--json"});
  ASSERT_EQ(ref.exit_code, 1) << ref.err;  // truncated.png fails, the rest are tagged
  json ref_report = json::parse(ref.out, nullptr, false);
  ASSERT_FALSE(ref_report.is_discarded()) << ref.out;

  RunningServer srv(web, with_models(known_answer_models()));
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

  json done = wait_for_job_end(srv, "/api/jobs/", id);
  EXPECT_EQ(done["state"], "done");
  EXPECT_EQ(done["report"]["tagged"], 3);
  EXPECT_EQ(done["report"]["failed"], 1);
  // The report of `tag --json`: the same keys, and the same figures but for the folder, time and paths.
  json report = done["report"];
  ASSERT_EQ(report["failures"].size(), 1u) << report.dump();
  EXPECT_EQ(report["failures"][0]["path"], "truncated.png");
  EXPECT_FALSE(report["failures"][0]["error"].get<std::string>().empty()) << report.dump();
  // web/src/api.ts's JobSummary and JobReport name keys the answer has (tests/server/ts_types.h).
  const std::string api_ts = read_all(test_source_path("../web/src/api.ts"));
  EXPECT_EQ(ts_keys_missing_from(api_ts, "JobSummary", done), std::vector<std::string>{}) << done.dump();
  EXPECT_EQ(ts_keys_missing_from(api_ts, "JobReport", report), std::vector<std::string>{}) << report.dump();
  for (json* j : {&report, &ref_report})
    for (const char* varies : {"seconds", "database"}) j->erase(varies);
  EXPECT_EQ(report, ref_report);
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
  EXPECT_EQ(ts_keys_missing_from(api_ts, "ImageDetail", detail), std::vector<std::string>{}) << detail.dump();
  EXPECT_EQ(ts_keys_missing_from(api_ts, "Item", detail), std::vector<std::string>{}) << detail.dump();
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
  json second = wait_for_job_end(srv, "/api/jobs/", again["job"]);
  EXPECT_EQ(second["report"]["reused"], 3);
}

// "precision": "int8" builds the int8 copy on first use; the job's event stream says so (the tag dialog
// shows these notes), and the job then tags with it.
TEST(ServerJob, Int8JobBuildsTheModelAndSaysSo) {
  TempDir tmp;
  copy_images({"red_448x224.png", "grey.png"}, tmp / "set");
  fs::copy(known_answer_models() / "wd", tmp / "wd");
  RunningServer srv(tmp / "set", with_models(tmp.path()));
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
  RunningServer srv(tmp / "set", with_models(tmp.path()));
  int status = 0;
  json bad = srv.post("/api/jobs/tag", {{"no_such_option", 1}}, &status);
  EXPECT_EQ(status, 400);
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("no_such_option"), std::string::npos);
  srv.post("/api/jobs/tag", {{"output_jsonl", "/tmp/x.jsonl"}}, &status);
  EXPECT_EQ(status, 400);
  json job = srv.post("/api/jobs/tag", {{"model_dir", (tmp / "nothing").string()}}, &status);
  ASSERT_EQ(status, 200);
  json end = wait_for_job_end(srv, "/api/jobs/", job["job"]);
  EXPECT_EQ(end["state"], "failed");
  EXPECT_NE(end["error"].get<std::string>().find("nothing"), std::string::npos);
  srv.get("/api/jobs/99", &status);
  EXPECT_EQ(status, 404);
  // Model folders outside the server's --model-dir (and the caches) are refused before anything runs.
  json outside = srv.post("/api/jobs/tag", {{"model_dir", known_answer_models().string()}}, &status);
  EXPECT_EQ(status, 400) << outside.dump();
  EXPECT_NE(outside["error"]["message"].get<std::string>().find("--model-dir " + tmp.path().string()), std::string::npos)
      << outside.dump();
  json escape = srv.post("/api/jobs/tag", {{"model_dir", (tmp / ".." / "elsewhere").string()}}, &status);
  EXPECT_EQ(status, 400) << escape.dump();
}

// A folder of `n` large photos (hard links to one file): a job over it with batch_size 1 and one decode
// thread takes far longer than the requests a test makes while it runs.
void make_slow_dataset(const fs::path& dir, int n) {
  fs::create_directories(dir);
  fs::copy_file(test_images() / "photo_2000x1500.jpg", dir / "p0000.jpg");
  for (int i = 1; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "p%04d.jpg", i);
    fs::create_hard_link(dir / "p0000.jpg", dir / name);
  }
}

json slow_job_options() {
  return {{"model_dir", (known_answer_models() / "wd").string()}, {"batch_size", 1}, {"threads", 1}};
}

TEST(ServerJob, CancelStopsTheRun) {
  TempDir tmp;
  make_slow_dataset(tmp / "set", 400);
  RunningServer srv(tmp / "set", with_models(known_answer_models()));
  int status = 0;
  json job = srv.post("/api/jobs/tag", slow_job_options(), &status);
  ASSERT_EQ(status, 200);
  json c = srv.post("/api/jobs/" + std::to_string(job["job"].get<int>()) + "/cancel", json::object(), &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(c["state"], "cancelling") << c.dump();
  json end = wait_for_job_end(srv, "/api/jobs/", job["job"]);
  EXPECT_EQ(end["state"], "cancelled") << end.dump();
  EXPECT_EQ(end["report"]["cancelled"], true);
  EXPECT_LT(end["report"]["tagged"].get<int>(), 400);
}

// The server's own tag job holds the dataset lock: the editor's saves, batch edits, undo and the history
// keep working while it runs (they used to fail naming the server's own pid), a reloaded page finds the
// job (GET /api/jobs/current), and undo leaves the running job's captions alone.
TEST(ServerJob, EditingWorksWhileTheJobRuns) {
  TempDir tmp;
  fs::path set = tmp / "set";
  make_slow_dataset(set, 400);
  write_all(set / "p0000.txt", "mine, solo\n");
  RunningServer srv(set, with_models(known_answer_models()));
  int status = 0;
  json started = srv.post("/api/jobs/tag", slow_job_options(), &status);
  ASSERT_EQ(status, 200) << started.dump();
  const int id = started["job"];
  json current = srv.get("/api/jobs/current", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(current["id"], id) << current.dump();
  EXPECT_EQ(current["state"], "running");

  // Wait until the job has written captions (its operation exists), then edit beside it.
  for (int i = 0; i < 600 && srv.get("/api/jobs/" + std::to_string(id))["done"].get<int>() < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  json item = srv.get("/api/image/0");
  ASSERT_EQ(item["path"], "p0000.jpg");
  json saved = srv.put("/api/image/0/caption", {{"text", "mine, solo, smile"}, {"version", item["version"]}}, &status);
  ASSERT_EQ(status, 200) << saved.dump();
  EXPECT_EQ(read_all(set / "p0000.txt"), "mine, solo, smile\n");
  json batch = srv.post("/api/batch", {{"ids", {0}}, {"op", {{"kind", "add"}, {"tags", {"extra"}}, {"position", "last"}}}}, &status);
  ASSERT_EQ(status, 200) << batch.dump();
  EXPECT_EQ(read_all(set / "p0000.txt"), "mine, solo, smile, extra\n");
  json history = srv.get("/api/history", &status);
  ASSERT_EQ(status, 200) << history.dump();
  EXPECT_EQ(history["operations"][0]["command"], "serve:batch");
  EXPECT_EQ(history["can_undo"], true);
  json undone = srv.post("/api/undo", json::object(), &status);
  ASSERT_EQ(status, 200) << undone.dump();
  EXPECT_EQ(undone["command"], "serve:batch");
  EXPECT_EQ(read_all(set / "p0000.txt"), "mine, solo, smile\n");
  srv.post("/api/undo", json::object(), &status);
  ASSERT_EQ(status, 200);
  EXPECT_EQ(read_all(set / "p0000.txt"), "mine, solo\n");
  // Next would be the running job's own operation: refused until it ends.
  json refused = srv.post("/api/undo", json::object(), &status);
  EXPECT_EQ(status, 409) << refused.dump();
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("running tag job"), std::string::npos) << refused.dump();

  // All of that happened while the job ran (otherwise this test proved nothing).
  json during = srv.get("/api/jobs/" + std::to_string(id));
  ASSERT_EQ(during["state"], "running") << "the job ended before the edits were made: " << during.dump();
  srv.post("/api/jobs/" + std::to_string(id) + "/cancel", json::object(), &status);
  json end = wait_for_job_end(srv, "/api/jobs/", id);
  EXPECT_EQ(end["state"], "cancelled") << end.dump();
  EXPECT_EQ(srv.get("/api/jobs/current")["id"], nullptr);
  // The hand-edited caption was left alone by the job (it had a caption: skipped).
  EXPECT_EQ(read_all(set / "p0000.txt"), "mine, solo\n");
}

// Overwrite keeps a .bak of every caption that is not the job's own earlier output, including captions
// last written by the web editor (hand edits) and by undo; the captions an earlier job wrote need none.
TEST(ServerJob, OverwriteBacksUpCaptionsEditedInTheWebApp) {
  TempDir tmp;
  fs::path set = tmp / "set";
  copy_images({"red_448x224.png", "blue_300x500.png", "grey.png"}, set);
  write_all(set / "blue_300x500.txt", "hand, written\n");
  std::string model_dir = (known_answer_models() / "wd").string();
  RunningServer srv(set, with_models(known_answer_models()));
  int status = 0;
  // A first job tags the two uncaptioned images.
  json first = srv.post("/api/jobs/tag", {{"model_dir", model_dir}}, &status);
  ASSERT_EQ(status, 200);
  ASSERT_EQ(wait_for_job_end(srv, "/api/jobs/", first["job"])["state"], "done");
  // Then red's caption is edited in the web app (grey's stays as the job wrote it).
  json list = srv.get("/api/images?text=red_theme");
  ASSERT_EQ(list["total"], 1) << list.dump();
  int red = list["items"][0]["id"];
  std::string edited = list["items"][0]["caption"].get<std::string>() + ", my_edit";
  json saved = srv.put("/api/image/" + std::to_string(red) + "/caption",
                       {{"text", edited}, {"version", list["items"][0]["version"]}}, &status);
  ASSERT_EQ(status, 200) << saved.dump();
  std::string red_before = read_all(set / "red_448x224.txt");

  json second = srv.post("/api/jobs/tag", {{"model_dir", model_dir}, {"overwrite", true}}, &status);
  ASSERT_EQ(status, 200);
  json end = wait_for_job_end(srv, "/api/jobs/", second["job"]);
  ASSERT_EQ(end["state"], "done") << end.dump();
  EXPECT_EQ(end["report"]["overwritten"], 3) << end.dump();
  ASSERT_TRUE(fs::exists(set / "red_448x224.txt.bak"));
  EXPECT_EQ(read_all(set / "red_448x224.txt.bak"), red_before);
  ASSERT_TRUE(fs::exists(set / "blue_300x500.txt.bak"));
  EXPECT_EQ(read_all(set / "blue_300x500.txt.bak"), "hand, written\n");
  EXPECT_FALSE(fs::exists(set / "grey.txt.bak"));  // the first job's own output
}

// A caption saved in the web app is a hand edit: `retag` (without --overwrite) keeps it, as it keeps
// captions edited in a text editor, and replaces only what a model run wrote.
// A caption edited in the web app is an edit of Tagmetry's tags: retag re-applies it on top of the new tags
// (the tags the edit removed stay removed, its added tag stays), exactly as after `tagmetry edit`.
TEST(ServerJob, RetagReappliesCaptionsEditedInTheWebApp) {
  TempDir tmp;
  fs::path set = tmp / "set";
  copy_images({"red_448x224.png", "grey.png"}, set);
  RunningServer srv(set, with_models(known_answer_models()));
  int status = 0;
  json job = srv.post("/api/jobs/tag", {{"model_dir", (known_answer_models() / "wd").string()}}, &status);
  ASSERT_EQ(status, 200);
  ASSERT_EQ(wait_for_job_end(srv, "/api/jobs/", job["job"])["state"], "done");
  json list = srv.get("/api/images?text=red_theme");
  ASSERT_EQ(list["total"], 1) << list.dump();
  json saved = srv.put("/api/image/" + std::to_string(list["items"][0]["id"].get<int>()) + "/caption",
                       {{"text", "red_theme, my_edit"}, {"version", list["items"][0]["version"]}}, &status);
  ASSERT_EQ(status, 200) << saved.dump();
  auto re = run_cli({"retag", set.string(), "--general-threshold", "0.2"});
  ASSERT_EQ(re.exit_code, 0) << re.err;
  EXPECT_EQ(read_all(set / "red_448x224.txt"), "red_theme, tag_c, my_edit");  // tag_c: new at 0.2
  EXPECT_NE(read_all(set / "grey.txt").find("tag_c"), std::string::npos) << "grey.txt, the job's own output, is re-derived";
}

}  // namespace
}  // namespace tagmetry::testing
