// Routes behind the web app's daily workflow (#21): the tag job on the selected images only, with the
// trigger first in the captions it writes, and the editor's tag-category lookup for chip colours.
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

ServeParams with_models() {
  ServeParams p;
  p.model_dir = known_answer_models().string();
  return p;
}

// "image": the selection; "trigger": first in each new caption. The CLI's `tag --image --trigger` writes the
// same bytes, and the images left out keep having no caption.
TEST(WebWorkflowRoutes, TagJobTagsOnlyTheListedImagesWithTheTriggerFirst) {
  TempDir tmp;
  const std::vector<std::string> images = {"red_448x224.png", "blue_300x500.png", "grey.png"};
  copy_images(images, tmp / "web");
  copy_images(images, tmp / "cli");
  const std::string model_dir = (known_answer_models() / "wd").string();

  auto ref = run_cli({"tag", (tmp / "cli").string(), "--model-dir", model_dir, "--image", "grey.png", "--image",
                      "red_448x224.png", "--trigger", "mychar"});
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  EXPECT_FALSE(fs::exists(tmp / "cli" / "blue_300x500.txt"));
  const std::string grey = read_all(tmp / "cli" / "grey.txt");
  EXPECT_EQ(grey.rfind("mychar, ", 0), 0u) << grey;

  RunningServer srv(tmp / "web", with_models());
  int status = 0;
  json started = srv.post("/api/jobs/tag",
                          {{"model_dir", model_dir}, {"image", {"grey.png", "red_448x224.png"}}, {"trigger", "mychar"}},
                          &status);
  ASSERT_EQ(status, 200) << started.dump();
  json done = wait_for_job_end(srv, "/api/jobs/", started["job"]);
  EXPECT_EQ(done["state"], "done") << done.dump();
  EXPECT_EQ(done["report"]["images"], 2);
  EXPECT_EQ(done["report"]["tagged"], 2);
  EXPECT_EQ(read_all(tmp / "web" / "grey.txt"), grey);
  EXPECT_EQ(read_all(tmp / "web" / "red_448x224.txt"), read_all(tmp / "cli" / "red_448x224.txt"));
  EXPECT_FALSE(fs::exists(tmp / "web" / "blue_300x500.txt"));

  // A path that is not an image of the dataset is refused, naming it; nothing runs.
  json bad = srv.post("/api/jobs/tag", {{"model_dir", model_dir}, {"image", {"../outside.png"}}}, &status);
  ASSERT_EQ(status, 200) << bad.dump();  // the job starts, then fails with the reason
  json failed = wait_for_job_end(srv, "/api/jobs/", bad["job"]);
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_NE(failed["error"].get<std::string>().find("../outside.png: --image is not an image of"), std::string::npos)
      << failed.dump();
}

TEST(WebWorkflowRoutes, VocabLookupGivesEachTagItsCategory) {
  TempDir tmp;
  copy_images({"grey.png"}, tmp / "set");
  RunningServer srv(tmp / "set");
  json r = srv.get("/api/vocab/lookup?tag=long_hair&tag=hatsune_miku&tag=longhair&tag=mychar_xyz&tag=long%20hair");
  ASSERT_EQ(r["vocabulary"], true) << r.dump();
  ASSERT_EQ(r["tags"].size(), 5u) << r.dump();
  EXPECT_EQ(r["tags"][0], json({{"tag", "long_hair"}, {"category", "general"}, {"name", "long_hair"}}));
  EXPECT_EQ(r["tags"][1]["category"], "character");
  EXPECT_EQ(r["tags"][2]["name"], "long_hair");  // an alias resolves to its tag
  EXPECT_EQ(r["tags"][3], json({{"tag", "mychar_xyz"}, {"category", "unknown"}, {"name", ""}}));
  EXPECT_EQ(r["tags"][4]["name"], "long_hair");  // spaces for underscores
  EXPECT_EQ(srv.get("/api/vocab/lookup")["tags"], json::array());
}

}  // namespace
}  // namespace tagmetry::testing
