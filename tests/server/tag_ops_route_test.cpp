// Tag-wide operations of the tag list (rename, replace by several, delete everywhere) through
// POST /api/batch: the dry-run preview answers from the index and writes nothing; applying writes real
// captions as one journal operation that one undo reverts byte for byte.
#include <gtest/gtest.h>

#include "server_fixture.h"
#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "test_support.h"

namespace tagmetry::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

class TagOpsRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = tmp / "set";
    fs::create_directories(root);
    RgbImage img;
    img.width = img.height = 16;
    img.pixels.assign(16 * 16 * 3, 200);
    auto png = encode_image(img, EncodeOptions{});
    ASSERT_TRUE(png.ok()) << png.status().message();
    for (const char* name : {"a.png", "b.png", "c.png", "d.png"}) write_all(root / name, *png);
    write_all(root / "a.txt", "1girl, long_hair, smile\n");
    write_all(root / "b.txt", "long hair, solo\nA sentence.");
    write_all(root / "c.txt", "\xEF\xBB\xBF" "2girls, long_hair\r\nline two\r\n");
    write_all(root / "d.txt", "1girl");
    ServeParams p;
    p.poll_seconds = 0;
    p.rescan_seconds = 0;
    srv = std::make_unique<RunningServer>(root, p);
  }
  void TearDown() override { srv.reset(); }

  // The web app's tag-wide replace of long_hair (either spelling) by `news`.
  json replace_long_hair(std::vector<std::string> news, bool dry_run, int* status, int max_changes = -1) {
    std::vector<std::string> tags{"long[ _]hair"};
    tags.insert(tags.end(), news.begin(), news.end());
    json body{{"filter", {{"all", {"long_hair"}}}}, {"op", {{"kind", "replace"}, {"tags", tags}, {"match", "regex"}}}};
    if (dry_run) body["dry_run"] = true;
    if (max_changes >= 0) body["max_changes"] = max_changes;
    return srv->post("/api/batch", body, status);
  }

  TempDir tmp;
  fs::path root;
  std::unique_ptr<RunningServer> srv;
};

TEST_F(TagOpsRouteTest, PreviewListsEachFileBeforeAndAfterAndWritesNothing) {
  int status = 0;
  json r = replace_long_hair({"very_long_hair", "braid"}, true, &status);
  ASSERT_EQ(status, 200) << r.dump();
  EXPECT_EQ(r["dry_run"], true);
  EXPECT_EQ(r["files"], 3);
  EXPECT_EQ(r["changed"], 3);
  EXPECT_EQ(r["ids"], json({0, 1, 2}));
  EXPECT_EQ(r["operation_id"], json());
  ASSERT_EQ(r["changes"].size(), 3u);
  EXPECT_EQ(r["changes"][0], json({{"file", "a.txt"}, {"before", "1girl, long_hair, smile"},
                                   {"after", "1girl, very_long_hair, braid, smile"}}));
  EXPECT_EQ(r["changes"][1], json({{"file", "b.txt"}, {"before", "long hair, solo\nA sentence."},
                                   {"after", "very_long_hair, braid, solo\nA sentence."}}));
  EXPECT_EQ(r["changes"][2]["after"], "2girls, very_long_hair, braid\nline two");
  EXPECT_EQ(r["tags_added"], 6);
  EXPECT_EQ(r["tags_removed"], 3);
  // Nothing written, nothing journaled.
  EXPECT_EQ(read_all(root / "a.txt"), "1girl, long_hair, smile\n");
  EXPECT_EQ(read_all(root / "b.txt"), "long hair, solo\nA sentence.");
  EXPECT_EQ(srv->get("/api/history")["can_undo"], false);
  // max_changes bounds the list, not the count.
  r = replace_long_hair({"very_long_hair"}, true, &status, 1);
  EXPECT_EQ(r["changed"], 3);
  EXPECT_EQ(r["changes"].size(), 1u);
  // A replacement holding a comma is refused like the CLI's.
  r = replace_long_hair({"ok", "a, b"}, true, &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(r["error"]["message"], "replace: 'a, b' holds a comma: give each tag separately");
}

TEST_F(TagOpsRouteTest, ReplaceBySeveralIsOneJournalOperationThatOneUndoReverts) {
  int status = 0;
  json r = replace_long_hair({"very_long_hair", "braid"}, false, &status);
  ASSERT_EQ(status, 200) << r.dump();
  EXPECT_EQ(r["changed"], 3);
  EXPECT_EQ(read_all(root / "a.txt"), "1girl, very_long_hair, braid, smile\n");
  EXPECT_EQ(read_all(root / "b.txt"), "very_long_hair, braid, solo\nA sentence.");
  EXPECT_EQ(read_all(root / "c.txt"), "\xEF\xBB\xBF" "2girls, very_long_hair, braid\r\nline two\r\n");
  EXPECT_EQ(read_all(root / "d.txt"), "1girl");
  json h = srv->get("/api/history");
  ASSERT_EQ(h["operations"].size(), 1u);
  EXPECT_EQ(h["operations"][0]["command"], "serve:batch");
  EXPECT_EQ(h["operations"][0]["files"], 3);
  EXPECT_EQ(h["operations"][0]["id"], r["operation_id"]);
  // The tag list follows.
  json tags = srv->get("/api/tags?search=long");
  ASSERT_EQ(tags["tags"].size(), 1u);
  EXPECT_EQ(tags["tags"][0]["tag"], "very_long_hair");

  json u = srv->post("/api/undo", json::object(), &status);
  ASSERT_EQ(status, 200) << u.dump();
  EXPECT_EQ(u["reverted_ids"], json({0, 1, 2}));
  EXPECT_EQ(read_all(root / "a.txt"), "1girl, long_hair, smile\n");
  EXPECT_EQ(read_all(root / "b.txt"), "long hair, solo\nA sentence.");
  EXPECT_EQ(read_all(root / "c.txt"), "\xEF\xBB\xBF" "2girls, long_hair\r\nline two\r\n");
}

TEST_F(TagOpsRouteTest, DeleteEverywhereRemovesTheTagFromEveryCaption) {
  int status = 0;
  json r = srv->post("/api/batch", {{"filter", {{"all", {"1girl"}}}}, {"op", {{"kind", "replace"}, {"tags", {"1girl", ""}}}}},
                     &status);
  ASSERT_EQ(status, 200) << r.dump();
  EXPECT_EQ(r["changed"], 2);
  EXPECT_EQ(read_all(root / "a.txt"), "long_hair, smile\n");
  EXPECT_EQ(read_all(root / "d.txt"), "");
  srv->post("/api/undo", json::object(), &status);
  EXPECT_EQ(read_all(root / "a.txt"), "1girl, long_hair, smile\n");
  EXPECT_EQ(read_all(root / "d.txt"), "1girl");
}

}  // namespace
}  // namespace tagmetry::testing
