// "Add to dataset" on the Generate page (POST /api/generate/images/NAME/add): a saved image copied into the
// served folder under a free name, its caption written through the journal (undo removes it), the index
// updated, and only saved images' names accepted.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fake_generators.h"
#include "server_fixture.h"
#include "test_support.h"

namespace tagmetry {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class GenerateAddTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(ds);
    testing::write_all(ds / "a.png", "not decoded by the index");
    testing::write_all(ds / "a.txt", "1girl, red\n");
    ServeParams p;
    p.rescan_seconds = 0;
    p.generator = a1111.url();
    p.generate_out = out.string();
    srv = std::make_unique<testing::RunningServer>(ds, p);
    int status = 0;
    json started = srv->post(
        "/api/generate", {{"text", "1girl, smile"}, {"style", "none"}, {"seed", "1234"}, {"batch_size", 2}}, &status);
    ASSERT_EQ(status, 200) << started.dump();
    const std::string job = "/api/generate/jobs/" + std::to_string(started["job"].get<int>());
    json j;
    for (int i = 0; i < 3000; ++i) {  // bounded by polls, not by a clock
      j = srv->get(job);
      if (j["state"] != "running") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(j["state"], "done") << j.dump();
    ASSERT_EQ(j["report"]["images"].size(), 2u);
  }

  json add(const std::string& name, int* status) {
    return srv->post("/api/generate/images/" + name + "/add", json::object(), status);
  }

  // The index's entry of an image relpath in GET /api/images, or null.
  json listed(const std::string& path) {
    const json list = srv->get("/api/images?limit=1000");
    for (auto& item : list["items"])
      if (item["path"] == path) return item;
    return nullptr;
  }

  testing::FakeA1111 a1111;
  testing::TempDir dir;
  fs::path ds = dir / "ds", out = dir / "out";
  std::unique_ptr<testing::RunningServer> srv;
};

TEST_F(GenerateAddTest, CopiesTheImageAndWritesItsCaptionThroughTheJournal) {
  int status = 0;
  json r = add("00001-1234.png", &status);
  ASSERT_EQ(status, 200) << r.dump();
  EXPECT_EQ(r["path"], "00001-1234.png");
  EXPECT_EQ(r["caption_path"], "00001-1234.txt");
  EXPECT_EQ(r["caption"], "1girl, smile");
  // The same bytes (the A1111 parameters chunk kept), and the caption the image was generated from.
  const std::string bytes = testing::read_all(out / "00001-1234.png");
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(testing::read_all(ds / "00001-1234.png"), bytes);
  EXPECT_EQ(testing::read_all(ds / "00001-1234.txt"), "1girl, smile\n");
  for (auto& e : fs::directory_iterator(ds))  // no temporary file left behind
    EXPECT_EQ(e.path().filename().string().find(".tmp-tagmetry-"), std::string::npos) << e.path();
  // The gallery lists it at once, with its caption.
  json item = listed("00001-1234.png");
  ASSERT_FALSE(item.is_null()) << r.dump();
  EXPECT_EQ(item["id"], r["id"]);
  EXPECT_EQ(item["caption"], "1girl, smile");
  EXPECT_EQ(item["tags"], json({"1girl", "smile"}));
  // One journaled operation; undo removes the caption (the image stays, now uncaptioned).
  json history = srv->get("/api/history");
  ASSERT_FALSE(history["operations"].empty());
  EXPECT_EQ(history["operations"][0]["command"], "serve:generate");
  EXPECT_EQ(history["operations"][0]["id"], r["operation"]);
  json undone = srv->post("/api/undo", json::object(), &status);
  ASSERT_EQ(status, 200) << undone.dump();
  EXPECT_EQ(undone["reverted_ids"], json({r["id"]}));
  EXPECT_FALSE(fs::exists(ds / "00001-1234.txt"));
  EXPECT_EQ(testing::read_all(ds / "00001-1234.png"), bytes);
  EXPECT_EQ(listed("00001-1234.png")["has_caption"], false);
  EXPECT_EQ(testing::read_all(ds / "a.txt"), "1girl, red\n");
}

TEST_F(GenerateAddTest, NeverOverwritesAFileOfTheDataset) {
  testing::write_all(ds / "00002-1235.txt", "my own caption\n");  // a caption whose image is elsewhere
  testing::write_all(ds / "00001-1234.jpg", "a photo");           // an image with the same stem
  int status = 0;
  json r = add("00002-1235.png", &status);
  ASSERT_EQ(status, 200) << r.dump();
  EXPECT_EQ(r["path"], "00002-1235-2.png");
  EXPECT_EQ(testing::read_all(ds / "00002-1235.txt"), "my own caption\n");
  EXPECT_EQ(testing::read_all(ds / "00002-1235-2.png"), testing::read_all(out / "00002-1235.png"));
  EXPECT_EQ(testing::read_all(ds / "00002-1235-2.txt"), "1girl, smile\n");
  json first = add("00001-1234.png", &status);
  ASSERT_EQ(status, 200) << first.dump();
  EXPECT_EQ(first["path"], "00001-1234-2.png");
  EXPECT_EQ(testing::read_all(ds / "00001-1234.jpg"), "a photo");
  // Added twice: a second copy under the next free name.
  json again = add("00001-1234.png", &status);
  ASSERT_EQ(status, 200) << again.dump();
  EXPECT_EQ(again["path"], "00001-1234-3.png");
  EXPECT_FALSE(listed("00001-1234-3.png").is_null());
}

TEST_F(GenerateAddTest, OnlySavedImagesByName) {
  int status = 0;
  for (std::string name : {"a.png", "00001-1234.txt", "..%2F..%2Fetc%2Fpasswd", "..%2Fds%2Fa.png",
                           "00001-1234.png%2F..%2F..%2Fds%2Fa.png"}) {
    json r = add(name, &status);
    EXPECT_EQ(status, 400) << name << " " << r.dump();
    EXPECT_EQ(r["error"]["code"], "bad_request") << name;
  }
  json r = add("00009-1.png", &status);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(r["error"]["message"], "no generated image 00009-1.png");
  // A link in the output folder with a saved image's name is not a saved image.
  fs::create_symlink(ds / "a.png", out / "00003-1.png");
  add("00003-1.png", &status);
  EXPECT_EQ(status, 404);
  // Nothing was written, nothing journaled.
  std::vector<std::string> files;
  for (auto& e : fs::directory_iterator(ds))
    if (e.is_regular_file()) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"a.png", "a.txt"}));
  EXPECT_EQ(srv->get("/api/history")["can_undo"], false);
}

}  // namespace
}  // namespace tagmetry
