// tagmetry review / thresholds / tags on the real binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "synthetic_dataset.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::run_cli;
using testing::TempDir;
using testing::write_all;

nlohmann::json json_of(const testing::CommandResult& r) {
  try {
    return nlohmann::json::parse(r.out);
  } catch (...) {
    ADD_FAILURE() << "not JSON: " << r.out << r.err;
    return {};
  }
}

TEST(ReviewCli, QueueDecideUndoThresholdsAndProvenance) {
  TempDir tmp;
  fs::path dir = tmp / "d";
  testing::make_synthetic_dataset(dir, {testing::scores(0.9f, 0.34f, 0.05f, 0.9f),
                                        testing::scores(0.9f, 0.40f, 0.05f, 0.9f)});
  write_all(dir / "img0.txt", "smile, long_hair");
  write_all(dir / "img1.txt", "smile, long_hair, glasses");

  auto q = run_cli({"review", dir.string(), "--json"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  auto j = json_of(q);
  ASSERT_EQ(j["tags"].size(), 1u);
  EXPECT_EQ(j["tags"][0]["tag"], "glasses");
  EXPECT_EQ(j["tags"][0]["items"][0]["image"], "img0.png");
  EXPECT_EQ(j["tags"][0]["items"][1]["in_caption"], true);
  auto text = run_cli({"review", dir.string()});
  EXPECT_NE(text.out.find("glasses"), std::string::npos);
  EXPECT_NE(text.out.find("2 borderline"), std::string::npos) << text.out;

  auto d = run_cli({"review", dir.string(), "--tag", "glasses", "--accept", "img0.png", "--reject", "img1.png", "--json"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(read_all(dir / "img0.txt"), "smile, long_hair, glasses");
  EXPECT_EQ(read_all(dir / "img1.txt"), "smile, long_hair");
  EXPECT_EQ(json_of(d)[1]["decision"], "reject");
  auto list = json_of(run_cli({"undo", dir.string(), "--list", "--json"}));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["command"], "review");

  auto t = json_of(run_cli({"thresholds", dir.string(), "--json", "--min-decisions", "2"}));
  ASSERT_EQ(t["tags"].size(), 1u);
  EXPECT_EQ(t["tags"][0]["tag"], "glasses");
  EXPECT_EQ(t["tags"][0]["learned"], true);
  EXPECT_EQ(t["tags"][0]["decisions"], 2);
  // Accepted at 0.34, rejected at 0.40: no threshold separates them; the one nearest the model's 0.35
  // among those with one error keeps the accepted image.
  EXPECT_NEAR(t["tags"][0]["threshold"].get<double>(), 0.34, 1e-4);
  EXPECT_EQ(t["tags"][0]["precision"], 0.5);
  EXPECT_EQ(t["tags"][0]["recall"], 1.0);

  auto p = json_of(run_cli({"tags", dir.string(), "--image", "img0.png", "--json"}));
  ASSERT_EQ(p["tags"].size(), 3u);
  EXPECT_EQ(p["tags"][0]["origin"], "external");
  EXPECT_EQ(p["tags"][2]["tag"], "glasses");
  EXPECT_EQ(p["tags"][2]["origin"], "review");
  EXPECT_EQ(p["tags"][2]["decision"], "accept");

  auto u = run_cli({"review", dir.string(), "--undo"});
  ASSERT_EQ(u.exit_code, 0) << u.err;
  EXPECT_NE(u.out.find("undid reject glasses on img1.png"), std::string::npos) << u.out;
  EXPECT_EQ(read_all(dir / "img1.txt"), "smile, long_hair, glasses");

  auto bad = run_cli({"review", dir.string(), "--accept", "img0.png"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--accept and --reject need --tag TAG"), std::string::npos) << bad.err;
  auto missing = run_cli({"review", dir.string(), "--tag", "glasses", "--accept", "nope.png"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nope.png: no such image"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace tagmetry

namespace tagmetry {
namespace {

TEST(ReviewCli, DocsTablesMatchTheDeclarations) {
  std::string page = testing::read_all(testing::test_source_path("../docs/review.md"));
  for (std::string command : {"review", "thresholds", "tags"}) {
    auto r = testing::run_cli({"options", command});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string open = "<!-- options:" + command + " -->\n", close = "<!-- /options:" + command + " -->";
    auto a = page.find(open), b = page.find(close);
    ASSERT_NE(a, std::string::npos) << command;
    ASSERT_NE(b, std::string::npos) << command;
    EXPECT_EQ(page.substr(a + open.size(), b - a - open.size()), r.out)
        << "docs/review.md is out of date: regenerate with `tagmetry options " << command << "`";
  }
}

}  // namespace
}  // namespace tagmetry

namespace tagmetry {
namespace {

TEST(ReviewCli, StatsListsLearnedThresholdsDifferingMostAndThresholdsCsvRoundTrips) {
  testing::TempDir tmp;
  fs::path dir = tmp / "d";
  std::vector<float> g{0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
  std::vector<std::vector<float>> s;
  for (float x : g) s.push_back(testing::scores(0.9f, x, 0.05f, 0.05f));
  testing::make_synthetic_dataset(dir, s);
  auto plain = testing::run_cli({"stats", dir.string(), "--no-image-sizes"});
  EXPECT_EQ(plain.out.find("learned thresholds"), std::string::npos) << plain.out;  // no decisions yet
  auto r = testing::run_cli({"review", dir.string(), "--tag", "glasses", "--accept", "img3.png", "--accept", "img4.png",
                             "--accept", "img5.png", "--reject", "img0.png", "--reject", "img1.png", "--reject",
                             "img2.png"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto st = testing::run_cli({"stats", dir.string(), "--no-image-sizes"});
  EXPECT_NE(st.out.find("learned thresholds (tagmetry thresholds; differing most from the global):\n"
                        "  glasses                          0.550 (global 0.35, 6 decisions)\n"),
            std::string::npos)
      << st.out << st.err;
  auto csv = testing::run_cli({"thresholds", dir.string(), "--csv"});
  EXPECT_EQ(csv.out, "tag,threshold\nglasses,0.5500\n");
}

}  // namespace
}  // namespace tagmetry
