// The front end's response types (web/src/api.ts, stats.tsx) are hand-written; each key they name must
// be a key of the server's real answer (the library's to_json of the report, which `--json` prints), so a
// renamed or dropped key fails here instead of showing `undefined` in the browser.
// Why a check and not generated types: the reports are nlohmann::json built in each report's to_json(),
// with no declaration to generate TypeScript from; checking the real answers catches a drift in either
// direction of a rename without a second description of every report.
#include <gtest/gtest.h>

#include "server_fixture.h"
#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "test_support.h"
#include "ts_types.h"

namespace tagmetry::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string web_source(const std::string& file) { return read_all(test_source_path("../web/src/" + file)); }

class ApiResponseTypesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = tmp / "set";
    fs::create_directories(root);
    write_grey_png(root / "a.png", 64, 64, 10);
    write_grey_png(root / "b.png", 64, 32, 20);
    write_grey_png(root / "c.png", 64, 64, 30);
    write_all(root / "a.txt", "mychar, 1girl, solo, long_hair, rating:general");
    write_all(root / "b.txt", "mychar, 1girl, smile, smile");
    ServeParams p;
    p.poll_seconds = 0;
    p.rescan_seconds = 0;
    srv = std::make_unique<RunningServer>(root, p);
  }
  TempDir tmp;
  fs::path root;
  std::unique_ptr<RunningServer> srv;
};

TEST_F(ApiResponseTypesTest, StatsAndLintTypesNameTheAnswersKeys) {
  const json stats = srv->get("/api/stats");
  EXPECT_EQ(ts_keys_missing_from(web_source("stats.tsx"), "Stats", stats), std::vector<std::string>{}) << stats.dump();
  EXPECT_EQ(ts_keys_missing_from(web_source("stats.tsx"), "Dist", stats["tokens_per_caption"]), std::vector<std::string>{});
  const json lint = srv->get("/api/lint?trigger=mychar");
  ASSERT_FALSE(lint["findings"].empty()) << lint.dump();
  EXPECT_EQ(ts_keys_missing_from(web_source("stats.tsx"), "Finding", lint["findings"]), std::vector<std::string>{});
}

TEST_F(ApiResponseTypesTest, BatchUndoAndHistoryTypesNameTheAnswersKeys) {
  const std::string api = web_source("api.ts");
  int status = 0;
  const json batch =
      srv->post("/api/batch", {{"ids", {0, 1, 2}}, {"op", {{"kind", "remove"}, {"tags", {"smile"}}}}}, &status);
  ASSERT_EQ(status, 200) << batch.dump();
  ASSERT_FALSE(batch["changes"].empty()) << batch.dump();
  EXPECT_EQ(ts_keys_missing_from(api, "BatchResponse", batch), std::vector<std::string>{}) << batch.dump();
  const json undo = srv->post("/api/undo", json::object(), &status);
  ASSERT_EQ(status, 200) << undo.dump();
  EXPECT_EQ(ts_keys_missing_from(api, "UndoResponse", undo), std::vector<std::string>{}) << undo.dump();
  const json history = srv->get("/api/history");
  ASSERT_EQ(history["operations"].size(), 2u) << history.dump();
  EXPECT_EQ(ts_keys_missing_from(api, "History", history), std::vector<std::string>{}) << history.dump();
}

// The reader itself: a key the answer lacks is reported with its path, at any depth.
TEST(TsTypes, ReportsKeysTheAnswerLacks) {
  const std::string ts = R"(
export interface Report {
  // a comment: not_a_key: number;
  count: number;
  name?: string;
  kind: 'a' | 'b';
  rows: { file: string; why: string }[];
  scores: null | { model: string; tags: { tag: string }[] };
}
)";
  json answer{{"count", 1}, {"kind", "a"}, {"rows", {{{"file", "x"}}}}, {"scores", {{"model", "m"}, {"tags", {{{"tag", "t"}}, json::object()}}}}};
  EXPECT_EQ(ts_keys_missing_from(ts, "Report", answer),
            (std::vector<std::string>{"rows[].why", "scores.tags[].tag"}));  // name?: may be absent
  answer.erase("count");
  EXPECT_EQ(ts_keys_missing_from(ts, "Report", answer), (std::vector<std::string>{"count", "rows[].why", "scores.tags[].tag"}));
  answer["count"] = 1;
  answer["scores"] = nullptr;
  answer["name"] = "n";
  answer["rows"][0]["why"] = "w";
  EXPECT_EQ(ts_keys_missing_from(ts, "Report", answer), std::vector<std::string>{});
  EXPECT_EQ(ts_keys_missing_from(ts, "Other", answer), std::vector<std::string>{"(interface Other not found)"});
}

}  // namespace
}  // namespace tagmetry::testing
