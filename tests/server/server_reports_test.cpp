// The server as a thin adapter: its answers are the library's reports with the CLI's JSON keys, and
// stats and lint measure the captions the server holds in memory.
#include <gtest/gtest.h>

#include "server_fixture.h"
#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "test_support.h"

namespace tagmetry::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

class ServerReportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = tmp / "set";
    fs::create_directories(root);
    write_grey_png(root / "a.png", 64, 64, 10);
    write_grey_png(root / "b.png", 64, 32, 20);
    write_grey_png(root / "c.png", 64, 64, 30);
    write_all(root / "a.txt", "mychar, 1girl, solo, long_hair");
    write_all(root / "b.txt", "mychar, 1girl, smile, smile");
  }
  std::unique_ptr<RunningServer> start() {
    ServeParams p;
    p.poll_seconds = 0;  // outside changes stay unseen: the index is what the server answers from
    p.rescan_seconds = 0;
    return std::make_unique<RunningServer>(root, p);
  }
  static json cli_json(const std::vector<std::string>& args) {
    CommandResult r = run_cli(args);
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }
  TempDir tmp;
  fs::path root;
};

TEST_F(ServerReportsTest, StatsAndLintAnswerWhatTheCliPrints) {
  auto srv = start();
  json api_stats = srv->get("/api/stats");
  EXPECT_EQ(api_stats, cli_json({"stats", root.string(), "--json"}));
  EXPECT_EQ(api_stats["captions"], 2);
  json api_lint = srv->get("/api/lint?trigger=mychar");
  json cli_lint = cli_json({"lint", root.string(), "--trigger", "mychar", "--json"});
  ASSERT_FALSE(api_lint["findings"].empty());
  for (auto& f : api_lint["findings"]) {
    ASSERT_TRUE(f.contains("ids")) << f.dump();
    if (f["rule"] == "missing-caption") EXPECT_EQ(f["ids"], json({2})) << f.dump();
    f.erase("ids");  // the server's addition: the images of the files
  }
  EXPECT_EQ(api_lint, cli_lint);
}

TEST_F(ServerReportsTest, StatsAndLintMeasureTheCaptionsHeldInMemory) {
  auto srv = start();
  // Written behind the server's back: without polling its index still holds the old caption.
  write_all(root / "a.txt", "mychar, unseen_tag, unseen_tag");
  json stats = srv->get("/api/stats");
  std::vector<std::string> tags;
  for (auto& t : stats["tags"]) tags.push_back(t["tag"]);
  EXPECT_EQ(tags, (std::vector<std::string>{"1girl", "mychar", "long_hair", "smile", "solo"})) << stats.dump();
  json lint = srv->get("/api/lint?trigger=mychar");
  size_t duplicates = 0;
  for (auto& f : lint["findings"])
    if (f["rule"] == "duplicate-tag") {
      ++duplicates;
      EXPECT_EQ(f["files"], json({"b.txt"})) << f.dump();
    }
  EXPECT_EQ(duplicates, 1u) << lint.dump();
}

// /api/stats and /api/lint take their options from the stats and lint declarations: the same names,
// ranges and errors as the CLI's flags; options about files and folders are the CLI's.
TEST_F(ServerReportsTest, StatsAndLintOptionsComeFromTheDeclarations) {
  auto srv = start();
  json one_pair = srv->get("/api/stats?top_pairs=1");
  EXPECT_EQ(one_pair["top_pairs"].size(), 1u) << one_pair.dump();
  EXPECT_EQ(one_pair, cli_json({"stats", root.string(), "--top-pairs", "1", "--json"}));
  int status = 0;
  json bad = srv->get("/api/lint?resolution=-1", &status);
  EXPECT_EQ(status, 400) << bad.dump();
  EXPECT_NE(bad.dump().find("--resolution: '-1' is not at least 0"), std::string::npos) << bad.dump();
  bad = srv->get("/api/lint?tags_db=/etc/passwd", &status);
  EXPECT_EQ(status, 400) << bad.dump();
  EXPECT_NE(bad.dump().find("query.tags_db: not an option of this route"), std::string::npos) << bad.dump();
  json big = srv->get("/api/lint?resolution=100", &status);
  EXPECT_EQ(status, 200) << big.dump();
  json cli = cli_json({"lint", root.string(), "--resolution", "100", "--json"});
  for (auto& f : big["findings"]) f.erase("ids");
  EXPECT_EQ(big, cli);
}

// The batch edit runs the edit of `tagmetry edit` and answers its report: the CLI on a copy of the folder
// prints the same JSON, less the server's ids.
TEST_F(ServerReportsTest, BatchEditAnswersWhatEditPrints) {
  const fs::path copy = tmp / "copy";
  fs::copy(root, copy);
  auto srv = start();
  int status = 0;
  json api = srv->post("/api/batch", {{"ids", {0, 1, 2}}, {"op", {{"kind", "remove"}, {"tags", {"s*"}}, {"match", "glob"}}}},
                       &status);
  ASSERT_EQ(status, 200) << api.dump();
  EXPECT_EQ(api["ids"], json({0, 1}));
  EXPECT_EQ(api["skipped_ids"], json::array());
  EXPECT_TRUE(api["operation_id"].is_number_integer()) << api.dump();
  EXPECT_EQ(api["changes"][1], json({{"file", "b.txt"}, {"before", "mychar, 1girl, smile, smile"}, {"after", "mychar, 1girl"}}));
  EXPECT_EQ(read_all(root / "b.txt"), "mychar, 1girl");
  json cli = cli_json({"edit", copy.string(), "remove", "--match", "glob", "s*", "--json"});
  EXPECT_EQ(read_all(copy / "b.txt"), "mychar, 1girl");
  for (const char* key : {"ids", "skipped_ids", "operation_id"}) api.erase(key);
  // The server looked at the three images chosen; the CLI at the two caption files there are.
  EXPECT_EQ(api["files"], 3);
  EXPECT_EQ(cli["files"], 2);
  EXPECT_EQ(api["unchanged"], 1);
  EXPECT_EQ(cli["unchanged"], 0);
  for (const char* key : {"files", "unchanged"}) api.erase(key), cli.erase(key);
  EXPECT_EQ(api, cli);
}

// The preview draws its samples with simulate's code: the first epoch of a seed is what `simulate` prints
// for that seed.
TEST_F(ServerReportsTest, PreviewSamplesAreSimulateSamples) {
  auto srv = start();
  int status = 0;
  json settings{{"caption_prefix", ""},          {"caption_suffix", ""},
                {"shuffle_caption", true},        {"keep_tokens", 1},
                {"keep_tokens_separator", ""},    {"caption_separator", ","},
                {"secondary_separator", ""},      {"enable_wildcard", false},
                {"caption_dropout_rate", 0},      {"caption_dropout_every_n_epochs", 0},
                {"caption_tag_dropout_rate", 0.3}, {"token_warmup_min", 1},
                {"token_warmup_step", 0}};
  json preview = srv->post("/api/preview", {{"ids", {0}}, {"epochs", 2}, {"seeds", {7, 8}}, {"settings", settings}}, &status);
  ASSERT_EQ(status, 200) << preview.dump();
  json samples = preview["images"][0]["samples"];
  ASSERT_EQ(samples.size(), 4u);  // seed-major: (7, 1), (7, 2), (8, 1), (8, 2)
  EXPECT_EQ(samples[2]["seed"], 8);
  EXPECT_EQ(samples[2]["epoch"], 1);
  json cli = cli_json({"simulate", "--caption", "mychar, 1girl, solo, long_hair", "--seed", "7", "--samples", "2",
                       "--shuffle-caption", "--keep-tokens", "1", "--caption-tag-dropout-rate", "0.3", "--json"});
  ASSERT_EQ(cli["samples"].size(), 2u) << cli.dump();
  for (size_t i = 0; i < 2; ++i) {
    json api = samples[2 * i];  // epoch 1 of seeds 7 and 8
    EXPECT_FALSE(api["tags"].empty());
    EXPECT_EQ(cli["samples"][i]["tags"], json::array());  // simulate names tag positions of cut samples only
    api.erase("tags");
    cli["samples"][i].erase("tags");
    EXPECT_EQ(api, cli["samples"][i]);
  }
}

// The history lists the operations as `undo --list --json` does (newest first), with `undone` added.
TEST_F(ServerReportsTest, HistoryListsWhatUndoListPrints) {
  auto srv = start();
  int status = 0;
  srv->post("/api/batch", {{"ids", {0}}, {"op", {{"kind", "add"}, {"tags", {"x"}}}}}, &status);
  ASSERT_EQ(status, 200);
  srv->post("/api/undo", json::object(), &status);
  ASSERT_EQ(status, 200);
  json history = srv->get("/api/history");
  json cli = cli_json({"undo", root.string(), "--list", "--json"});
  ASSERT_EQ(history["operations"].size(), 2u) << history.dump();
  ASSERT_EQ(cli.size(), 2u) << cli.dump();
  EXPECT_EQ(history["operations"][0]["undone"], false);  // the undo
  EXPECT_EQ(history["operations"][1]["undone"], true);   // the batch edit it reverted
  for (auto& op : history["operations"]) op.erase("undone");
  EXPECT_EQ(history["operations"], cli);
}

}  // namespace
}  // namespace tagmetry::testing
