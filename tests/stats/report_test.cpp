// The HTML stats report: self-contained (no external resources), and rendered by headless Chromium:
// the DOM holds the charts, a screenshot shows the bars in their colour, and the console stays clean.
// Skipped with a message when Chromium is not installed (apt-get install --no-install-recommends chromium).
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

#include "png_fixture.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/image.h"
#include "test_support.h"

namespace tagmetry {
namespace {

using testing::TempDir;
using testing::write_all;
using testing::write_png;

std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    auto r = testing::run_command("/bin/sh", {"-c", std::string("command -v ") + name});
    if (r.exit_code == 0 && !r.out.empty()) return r.out.substr(0, r.out.find_first_of("\r\n"));
  }
  return "";
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

void make_dataset(const TempDir& dir) {
  const char* captions[] = {"1girl, solo, long_hair, smile, <b>&amp;", "1girl, solo, short_hair, rating:explicit",
                            "1boy, solo, smile, outdoors", "1girl, 1boy, smile, outdoors, general"};
  for (int i = 0; i < 4; ++i) {
    std::string name = "img" + std::to_string(i);
    write_png(dir / (name + ".png"), 64 + 32 * i, 64, uint8_t(i));
    write_all(dir / (name + ".txt"), captions[i]);
  }
}

TEST(StatsReport, HtmlIsSelfContained) {
  TempDir dir;
  make_dataset(dir);
  auto r = testing::run_cli({"stats", dir.path().string(), "--no-tags-db", "--html", (dir / "report.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string html = testing::read_all(dir / "report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // No external resources of any kind, no scripts.
  EXPECT_EQ(std::regex_replace(html, std::regex("http://www\\.w3\\.org/2000/svg"), "").find("http://"),
            std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  // Tags are escaped.
  EXPECT_NE(html.find("&lt;b&gt;&amp;amp;"), std::string::npos);
  EXPECT_EQ(html.find("<b>&amp;"), std::string::npos);
  EXPECT_GE(count(html, "<svg class=\"chart\""), 6u);
}

TEST(StatsReport, RendersInHeadlessChromium) {
  std::string chromium = find_chromium();
  if (chromium.empty())
    GTEST_SKIP() << "chromium not installed: apt-get install -y --no-install-recommends chromium (scripts/install-deps.sh)";
  TempDir dir;
  make_dataset(dir);
  auto r = testing::run_cli({"stats", dir.path().string(), "--no-tags-db", "--html", (dir / "report.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string url = "file://" + (dir / "report.html").string();
  std::vector<std::string> common = {"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                     "--disable-component-update", "--no-first-run", "--enable-logging=stderr",
                                     "--v=0", "--user-data-dir=" + (dir / "profile").string()};
  // 1. The DOM as Chromium parsed it: every chart with its bars.
  auto args = common;
  args.push_back("--dump-dom");
  args.push_back(url);
  auto dom = testing::run_command(chromium, args);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_NE(dom.out.find("<svg class=\"chart\" id=\"chart-tags\""), std::string::npos) << dom.out.substr(0, 2000);
  EXPECT_NE(dom.out.find("id=\"chart-tokens\""), std::string::npos);
  EXPECT_NE(dom.out.find("id=\"chart-short-side\""), std::string::npos);
  EXPECT_GE(count(dom.out, "<rect class=\"bar\""), 20u);
  EXPECT_EQ(dom.err.find(":CONSOLE"), std::string::npos) << dom.err;  // no console messages at all
  EXPECT_EQ(dom.err.find("Uncaught"), std::string::npos) << dom.err;
  EXPECT_EQ(dom.err.find("ERR_FILE_NOT_FOUND"), std::string::npos) << dom.err;

  // 2. A screenshot: the tag chart's bars are drawn in #4a7bd0.
  args = common;
  args.push_back("--window-size=1000,900");
  args.push_back("--hide-scrollbars");
  args.push_back("--screenshot=" + (dir / "shot.png").string());
  args.push_back(url);
  auto shot = testing::run_command(chromium, args);
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  auto img = load_rgb(dir / "shot.png");
  ASSERT_TRUE(img.ok()) << img.status().message();
  size_t bar_pixels = 0;
  for (size_t i = 0; i + 2 < img->pixels.size(); i += 3) {
    int rr = img->pixels[i], gg = img->pixels[i + 1], bb = img->pixels[i + 2];
    if (std::abs(rr - 0x4a) < 8 && std::abs(gg - 0x7b) < 8 && std::abs(bb - 0xd0) < 8) ++bar_pixels;
  }
  EXPECT_GT(bar_pixels, 2000u) << "tag chart bars not visible in the screenshot";
}

// stats --html --lint puts the findings into the report; the trigger is not listed among the
// near-constant tags; histogram columns are wide enough for their labels.
TEST(StatsReport, HtmlHasLintFindingsAndLeavesOutTheTrigger) {
  TempDir dir;
  for (int i = 0; i < 4; ++i) {
    std::string name = "img" + std::to_string(i);
    write_png(dir / (name + ".png"), 64 + 32 * i, 64, uint8_t(i + 1));
    write_all(dir / (name + ".txt"), i == 3 ? "1girl, zkw, solo" : "zkw, 1girl, solo");
  }
  const auto html = dir / "r.html";
  auto r = testing::run_cli({"stats", dir.path().string(), "--html", html.string(), "--lint", "--trigger", "zkw",
                             "--no-tags-db", "--resolution", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string h = testing::read_all(html);
  ASSERT_NE(h.find("<section id=\"lint\"><h2>Lint findings</h2>"), std::string::npos);
  EXPECT_NE(h.find("<td>trigger-not-first</td>"), std::string::npos);
  EXPECT_NE(h.find("img3.txt"), std::string::npos);
  std::string near = h.substr(h.find("<section id=\"near-constant\">"));
  near = near.substr(0, near.find("</section>"));
  EXPECT_EQ(near.find("zkw"), std::string::npos) << near;
  EXPECT_NE(near.find("1girl 100.0%"), std::string::npos) << near;
  // Without --lint there is no lint section.
  r = testing::run_cli({"stats", dir.path().string(), "--html", html.string(), "--no-tags-db"});
  EXPECT_EQ(testing::read_all(html).find("id=\"lint\""), std::string::npos);
  // Columns: 9-character labels ("1024-1535") get 73 px, more than the 56 px that made them overlap.
  DatasetStats st;
  st.short_side.histogram = {{"768-1023", 1}, {"1024-1535", 2}};
  std::string chart = stats_to_html(st, "t");
  chart = chart.substr(chart.find("id=\"chart-short-side\""));
  EXPECT_NE(chart.find("<rect class=\"bar\" x=\"82\""), std::string::npos) << chart.substr(0, 600);  // 5 + 73 + 4
}

}  // namespace
}  // namespace tagmetry
