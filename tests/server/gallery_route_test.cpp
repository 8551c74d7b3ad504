// The gallery's facts and orders (GET /api/images: size, edited, lint; sort=name|tags|edited|lint) and the
// near-duplicate routes: groups as `prepare --dedupe` forms them, merging captions through the journal,
// and setting an image aside (moved, never deleted).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "server_fixture.h"
#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "test_support.h"

namespace tagmetry::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// A horizontal gradient (rising, or falling when `falling`) of side `side`: a resized copy is a near
// duplicate of it, the falling one is not.
void write_gradient(const fs::path& path, int side, bool falling) {
  RgbImage img;
  img.width = img.height = side;
  img.pixels.resize(static_cast<size_t>(side) * side * 3);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      int v = (falling ? side - 1 - x : x) * 255 / (side - 1);
      uint8_t* p = &img.pixels[(static_cast<size_t>(y) * side + x) * 3];
      p[0] = static_cast<uint8_t>(v), p[1] = static_cast<uint8_t>(v / 2), p[2] = 90;
    }
  auto bytes = encode_image(img, EncodeOptions{});
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  write_all(path, *bytes);
}

std::vector<std::string> paths_of(const json& list) {
  std::vector<std::string> out;
  for (auto& i : list["items"]) out.push_back(i["path"]);
  return out;
}

class GalleryRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = tmp / "set";
    fs::create_directories(root);
    write_gradient(root / "a.png", 96, false);
    write_gradient(root / "a copy.png", 48, false);  // a resized copy of a.png
    write_gradient(root / "b.png", 96, true);
    write_gradient(root / "c.png", 96, true);
    write_gradient(root / "c2.png", 96, false);      // like a.png: prepare keeps a.png, the plainest first
    write_all(root / "a.txt", "1girl, smile\n");
    write_all(root / "a copy.txt", "1girl, blue_sky, smile, outdoors\n");
    write_all(root / "b.txt", "solo, solo, tree");
    write_all(root / "c2.txt", "x");
    ServeParams p;
    p.poll_seconds = 0;
    p.rescan_seconds = 0;
    srv = std::make_unique<RunningServer>(root, p);
  }
  void TearDown() override { srv.reset(); }

  TempDir tmp;
  fs::path root;
  std::unique_ptr<RunningServer> srv;
};

TEST_F(GalleryRouteTest, ItemsCarryFileSizeLastEditAndLintRules) {
  json list = srv->get("/api/images");
  // Name order is the folder's natural order (' ' sorts before '.').
  EXPECT_EQ(paths_of(list), (std::vector<std::string>{"a copy.png", "a.png", "b.png", "c.png", "c2.png"}));
  EXPECT_EQ(list["items"][0]["size"], fs::file_size(root / "a copy.png"));
  EXPECT_EQ(list["items"][1]["size"], fs::file_size(root / "a.png"));
  EXPECT_TRUE(list["items"][0]["edited"].is_number());
  EXPECT_TRUE(list["items"][3]["edited"].is_null());  // c.png has no caption
  EXPECT_TRUE(list["items"][0]["lint"].is_null());   // no lint run yet

  json run = srv->get("/api/lint/images");
  EXPECT_GE(run["images"].get<int>(), 2);
  list = srv->get("/api/images");
  auto rules = [&](int i) { return list["items"][i]["lint"].get<std::vector<std::string>>(); };
  auto has = [](const std::vector<std::string>& v, const std::string& r) { return std::find(v.begin(), v.end(), r) != v.end(); };
  EXPECT_TRUE(has(rules(2), "duplicate-tag")) << list["items"][2].dump();
  EXPECT_TRUE(has(rules(3), "missing-caption")) << list["items"][3].dump();
  EXPECT_FALSE(has(rules(1), "duplicate-tag"));
}

TEST_F(GalleryRouteTest, SortsByTagCountLintAndLastEdit) {
  EXPECT_EQ(paths_of(srv->get("/api/images?sort=tags")),
            (std::vector<std::string>{"a copy.png", "b.png", "a.png", "c2.png", "c.png"}));
  EXPECT_EQ(srv->get("/api/images/ids?sort=tags")["ids"], json({0, 2, 1, 4, 3}));
  // Lint order: most rules first (the run happens on demand), ties in name order.
  json by_lint = srv->get("/api/images?sort=lint");
  size_t prev = SIZE_MAX;
  for (auto& item : by_lint["items"]) {
    size_t n = item["lint"].size();
    EXPECT_LE(n, prev) << by_lint.dump();
    prev = n;
  }
  // The newest caption edit first; images without a caption last.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a newer modification time than the rest
  int status = 0;
  json a = srv->get("/api/image/2");
  srv->put("/api/image/2/caption", {{"text", "solo, tree"}, {"version", a["version"]}}, &status);
  ASSERT_EQ(status, 200);
  auto edited = paths_of(srv->get("/api/images?sort=edited"));
  EXPECT_EQ(edited.front(), "b.png");
  EXPECT_EQ(edited.back(), "c.png");
  srv->get("/api/images?sort=size", &status);
  EXPECT_EQ(status, 400);
}

TEST_F(GalleryRouteTest, NearDuplicatesAreGroupedAsPrepareDedupeGroupsThem) {
  json d = srv->get("/api/duplicates");
  ASSERT_EQ(d["groups"].size(), 2u) << d.dump();
  // a.png (id 1) is kept (the plainest name, prepare's order); its resized copy and c2.png are its near
  // duplicates.
  EXPECT_EQ(d["groups"][0]["keep"], 1);
  std::vector<int> dups;
  for (auto& x : d["groups"][0]["duplicates"]) dups.push_back(x["id"]);
  EXPECT_EQ(dups, (std::vector<int>{0, 4}));
  EXPECT_EQ(d["groups"][1]["keep"], 2);  // b.png and c.png
  EXPECT_EQ(d["groups"][1]["duplicates"][0]["id"], 3);
}

TEST_F(GalleryRouteTest, MergeAddsTheMissingTagsAsOneJournalOperation) {
  int status = 0;
  json r = srv->post("/api/duplicates/merge", {{"keep", 1}, {"from", {0}}}, &status);
  ASSERT_EQ(status, 200) << r.dump();
  EXPECT_EQ(r["added"], json({"blue_sky", "outdoors"}));
  EXPECT_EQ(read_all(root / "a.txt"), "1girl, smile, blue_sky, outdoors\n");
  EXPECT_EQ(read_all(root / "a copy.txt"), "1girl, blue_sky, smile, outdoors\n");
  json h = srv->get("/api/history");
  EXPECT_EQ(h["operations"][0]["command"], "serve:merge");
  EXPECT_EQ(h["operations"][0]["files"], 1);
  srv->post("/api/undo", json::object(), &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(read_all(root / "a.txt"), "1girl, smile\n");
}

TEST_F(GalleryRouteTest, SetAsideMovesTheImageAndItsCaptionOutOfTheDataset) {
  int status = 0;
  json r = srv->post("/api/duplicates/set-aside", {{"ids", {0}}}, &status);
  ASSERT_EQ(status, 200) << r.dump();
  ASSERT_EQ(r["moved"].size(), 1u);
  EXPECT_EQ(r["moved"][0]["image"], ".tagmetry/set-aside/a copy.png");
  EXPECT_EQ(r["moved"][0]["caption"], ".tagmetry/set-aside/a copy.txt");
  EXPECT_FALSE(fs::exists(root / "a copy.png"));
  EXPECT_EQ(read_all(root / ".tagmetry/set-aside/a copy.txt"), "1girl, blue_sky, smile, outdoors\n");
  EXPECT_TRUE(fs::exists(root / ".tagmetry/set-aside/a copy.png"));
  EXPECT_EQ(paths_of(srv->get("/api/images")), (std::vector<std::string>{"a.png", "b.png", "c.png", "c2.png"}));
  srv->post("/api/duplicates/set-aside", {{"ids", {99}}}, &status);
  EXPECT_EQ(status, 400);
}

}  // namespace
}  // namespace tagmetry::testing
