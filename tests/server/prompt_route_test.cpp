// POST /api/prompt: the prompt of `tagmetry prompt`, over the server's vocabulary; no file paths accepted.
#include <gtest/gtest.h>

#include "server_fixture.h"
#include "test_support.h"

namespace tagmetry {
namespace {

using nlohmann::json;

TEST(PromptRoute, BuildsThePromptLikeTheCli) {
  testing::TempDir dir;
  ServeParams params;
  params.rescan_seconds = 0;
  testing::RunningServer srv(dir.path(), params);
  int status = 0;
  json r = srv.post("/api/prompt",
                    {{"text", "1girl, hatsune_miku, smile"},
                     {"style", "animagine-xl-4.0"},
                     {"trigger", "mychar"},
                     {"loras", {"mychar:0.8"}},
                     {"aspect", "1:1"}},
                    &status);
  ASSERT_EQ(status, 200) << r.dump();
  EXPECT_EQ(
      r["positive"],
      "mychar, 1girl, hatsune miku, safe, smile, masterpiece, high score, great score, absurdres, <lora:mychar:0.8>");
  EXPECT_EQ(r["width"], 1024);
  EXPECT_EQ(r["tags"], json({"mychar", "1girl", "hatsune_miku", "smile"}));

  json ja = srv.post("/api/prompt", {{"text", "青い髪の女の子"}, {"style", "none"}}, &status);
  ASSERT_EQ(status, 200) << ja.dump();
  EXPECT_EQ(ja["tags"], json({"1girl", "blue_hair"}));
}

TEST(PromptRoute, RefusesFilePaths) {
  testing::TempDir dir;
  testing::write_all(dir / "secret.txt", "password_hunter2, 1girl");
  ServeParams params;
  params.rescan_seconds = 0;
  testing::RunningServer srv(dir.path(), params);
  int status = 0;
  json r = srv.post("/api/prompt", {{"text", (dir / "secret.txt").string()}, {"style", "none"}}, &status);
  ASSERT_EQ(status, 200) << r.dump();  // read as a request, never as a file
  EXPECT_EQ(r.dump().find("hunter2"), std::string::npos);
  srv.post("/api/prompt", {{"text", "x"}, {"input", "caption"}}, &status);
  EXPECT_EQ(status, 400);
  json style = srv.post("/api/prompt", {{"text", "1girl"}, {"style", (dir / "mine.toml").string()}}, &status);
  EXPECT_EQ(status, 400);
  srv.post("/api/prompt", {{"text", "1girl"}, {"tags_db", "/etc/passwd"}}, &status);
  EXPECT_EQ(status, 400);
}

}  // namespace
}  // namespace tagmetry
