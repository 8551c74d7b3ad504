// POST /api/complete: the same completion as `complete --json`, options as JSON, errors as HTTP status.
#include <gtest/gtest.h>

#include <filesystem>

#include "server_fixture.h"
#include "test_support.h"

namespace tagmetry::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(CompleteServer, CompletesTagsWithTheOptionsGiven) {
  TempDir tmp;
  fs::create_directories(tmp / "set");
  ASSERT_EQ(run_python_fixture("make_tiny_dart.py", {(tmp / "model").string()}), 0);
  json expected = json::parse(read_all(tmp / "model" / "expected.json"));
  ServeParams sp;
  sp.rescan_seconds = 0;
  RunningServer srv(tmp / "set", sp);
  int status = 0;
  json options = {{"model_file", (tmp / "model").string()}, {"copyright", "vocaloid"}, {"character", "hatsune miku"},
                  {"aspect", "832:1216"}, {"temperature", 0}, {"max_new_tokens", 16}, {"threads", 1}};
#if TAGMETRY_HAVE_LLAMA
  json r = srv.post("/api/complete", {{"tags", "1girl, blue hair"}, {"options", options}}, &status);
  ASSERT_EQ(status, 200) << r.dump();
  EXPECT_EQ(r["input"], json({"1girl", "blue hair"}));
  EXPECT_EQ(r["added"], expected["added"]);
  EXPECT_EQ(r["prompt"], expected["prompt"]);
#endif
  json bad = srv.post("/api/complete", {{"tags", "1girl"}, {"options", {{"rating", "safe"}}}}, &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(bad["error"]["message"], "--rating: 'safe' is not one of sfw, general, sensitive, nsfw, questionable, explicit");
  bad = srv.post("/api/complete", {{"tags", "1girl"}, {"options", {{"bogus", 1}}}}, &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(bad["error"]["message"], "options.bogus: not a known option");
  bad = srv.post("/api/complete", {{"text", "1girl"}}, &status);
  EXPECT_EQ(status, 400);
}

}  // namespace
}  // namespace tagmetry::testing
