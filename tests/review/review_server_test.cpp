// The web app's review routes: queue with image ids, decide, undo, provenance, thresholds.
#include <gtest/gtest.h>

#include "server_fixture.h"
#include "synthetic_dataset.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::TempDir;
using testing::write_all;

TEST(ReviewServer, QueueDecideUndoProvenanceAndThresholds) {
  TempDir tmp;
  fs::path dir = tmp / "d";
  testing::make_synthetic_dataset(dir, {testing::scores(0.9f, 0.34f, 0.05f, 0.9f),
                                        testing::scores(0.9f, 0.40f, 0.05f, 0.9f)});
  write_all(dir / "img0.txt", "smile, long_hair");
  write_all(dir / "img1.txt", "smile, long_hair, glasses");
  testing::RunningServer server(dir);

  int status = 0;
  auto q = server.get("/api/review?max_images=10", &status);
  ASSERT_EQ(status, 200) << q.dump();
  ASSERT_EQ(q["tags"].size(), 1u);
  EXPECT_EQ(q["tags"][0]["tag"], "glasses");
  EXPECT_EQ(q["tags"][0]["items"][0]["image"], "img0.png");
  EXPECT_EQ(q["tags"][0]["items"][0]["id"], 0);
  server.get("/api/review?bogus=1", &status);
  EXPECT_EQ(status, 400);

  auto d = server.post("/api/review/decide", {{"image", "img0.png"}, {"tag", "glasses"}, {"decision", "accept"}}, &status);
  ASSERT_EQ(status, 200) << d.dump();
  EXPECT_EQ(d["written"], true);
  EXPECT_EQ(d["id"], 0);
  EXPECT_EQ(read_all(dir / "img0.txt"), "smile, long_hair, glasses");
  // The index was reloaded: the gallery sees the new caption.
  auto image = server.get("/api/image/0", &status);
  EXPECT_EQ(image["caption"], "smile, long_hair, glasses") << image.dump();
  // Decided: out of the queue.
  q = server.get("/api/review", &status);
  EXPECT_EQ(q["tags"][0]["items"].size(), 1u);
  EXPECT_EQ(q["tags"][0]["decided"], 1);

  auto p = server.get("/api/image/0/provenance", &status);
  ASSERT_EQ(status, 200) << p.dump();
  EXPECT_EQ(p["tags"][2]["origin"], "review");
  EXPECT_EQ(p["tags"][0]["origin"], "external");
  EXPECT_NEAR(p["tags"][0]["score"].get<double>(), 0.9, 1e-4);

  auto t = server.get("/api/thresholds?min_decisions=1", &status);
  ASSERT_EQ(status, 200) << t.dump();
  EXPECT_EQ(t["tags"][0]["tag"], "glasses");

  server.post("/api/review/decide", {{"image", "img0.png"}, {"tag", "glasses"}, {"decision", "maybe"}}, &status);
  EXPECT_EQ(status, 400);
  auto u = server.post("/api/review/undo", nlohmann::json::object(), &status);
  ASSERT_EQ(status, 200) << u.dump();
  EXPECT_EQ(read_all(dir / "img0.txt"), "smile, long_hair");
  server.post("/api/review/undo", nlohmann::json::object(), &status);
  EXPECT_EQ(status, 404);
}

}  // namespace
}  // namespace tagmetry
