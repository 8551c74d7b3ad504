// policy apply as a journaled writer: the trigger on every line (detected or refused), skipped files
// counted as skipped, hand-written lines named, A1111 weight syntax read as its tag, undo reverts it.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "tagmetry/caption_policy.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::run_cli;
using testing::TempDir;
using testing::write_all;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    out.push_back(text.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return out;
}

TEST(PolicyJournal, MultiLinePresetPutsTheDetectedTriggerOnEveryLine) {
  TempDir dir;
  for (auto n : {"a", "b", "c"}) write_all(dir / (std::string(n) + ".png"), "png");
  write_all(dir / "a.txt", "mytrigger, 1girl, long_hair, white_background");
  write_all(dir / "b.txt", "mytrigger, 1girl, short_hair, smile");
  write_all(dir / "c.txt", "mytrigger, 1boy, solo");
  auto r = run_cli({"policy", "apply", dir.path().string(), "--preset", "sdxl", "--no-tags-db"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("no --trigger given: using 'mytrigger'"), std::string::npos) << r.err;
  for (auto n : {"a", "b", "c"}) {
    auto lines = lines_of(read_all(dir / (std::string(n) + ".txt")));
    ASSERT_EQ(lines.size(), 3u) << n;
    for (auto& l : lines) EXPECT_TRUE(l.starts_with("mytrigger, ")) << n << ": " << l;
  }
  // policy apply is journaled: undo restores the captions byte for byte.
  ASSERT_EQ(run_cli({"undo", dir.path().string()}).exit_code, 0);
  EXPECT_EQ(read_all(dir / "a.txt"), "mytrigger, 1girl, long_hair, white_background");
}

TEST(PolicyJournal, MultiLinePresetWithoutAnyTriggerRefuses) {
  TempDir dir;
  for (auto n : {"a", "b"}) write_all(dir / (std::string(n) + ".png"), "png");
  write_all(dir / "a.txt", "1girl, long_hair");
  write_all(dir / "b.txt", "1boy, smile");
  auto r = run_cli({"policy", "apply", dir.path().string(), "--preset", "sdxl", "--no-tags-db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no trigger was given or found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--trigger TOKEN"), std::string::npos) << r.err;
  EXPECT_EQ(read_all(dir / "a.txt"), "1girl, long_hair");
  r = run_cli({"policy", "apply", dir.path().string(), "--preset", "sdxl", "--no-tags-db", "--no-trigger"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(read_all(dir / "a.txt")).size(), 3u);
}

TEST(PolicyJournal, SkippedFilesAreNotCountedAsChanged) {
  TempDir tmp;
  fs::path dir = tmp / "d";
  for (auto n : {"a", "b"}) write_all(dir / (std::string(n) + ".png"), "png");
  write_all(dir / "a.txt", "1girl, long_hair");
  write_all(dir / "b.txt", "1boy, smile");
  write_all(dir / ".tagmetry" / "originals", "a file where the originals folder should be");
  auto r = run_cli({"policy", "apply", dir.string(), "--preset", "sd15", "--trigger", "trig", "--no-tags-db",
                    "--db", (tmp / "j.db").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("policy tag-heavy: 2 captions, 0 changed, 2 skipped"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("cannot save the original caption"), std::string::npos) << r.err;
  EXPECT_EQ(read_all(dir / "a.txt"), "1girl, long_hair");
  r = run_cli({"policy", "apply", dir.string(), "--preset", "sd15", "--trigger", "trig", "--no-tags-db", "--db",
               (tmp / "j.db").string(), "--json"});
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["changed"], 0);
  EXPECT_EQ(j["skipped"].size(), 2u);
}

TEST(PolicyJournal, HandWrittenLinesAreNamedAndWeightSyntaxIsRead) {
  TempDir dir;
  write_all(dir / "e2.png", "png");
  write_all(dir / "e2.txt", "1girl, (blue hair:1.2), ((smile))\na girl smiling\n");
  auto r = run_cli({"policy", "apply", dir.path().string(), "--preset", "sdxl", "--trigger", "trig", "--no-tags-db"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("1 caption(s) had hand-written lines that the policy's lines replaced (e2.txt)"),
            std::string::npos)
      << r.err;
  auto lines = lines_of(read_all(dir / "e2.txt"));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "trig, 1girl, blue hair, smile");
  EXPECT_NE(lines[1].find("blue hair"), std::string::npos) << lines[1];
  EXPECT_EQ(strip_prompt_weight("(blue hair:1.2)"), "blue hair");
  EXPECT_EQ(strip_prompt_weight("[smile]"), "smile");
  EXPECT_EQ(strip_prompt_weight("hatsune miku \\(vocaloid\\)"), "hatsune miku (vocaloid)");
  EXPECT_EQ(strip_prompt_weight("re:zero"), "re:zero");
}

TEST(PolicyJournal, KeepsTheBomAndCrlfOfACaption) {
  TempDir dir;
  write_all(dir / "a.png", "png");
  write_all(dir / "a.txt", "\xEF\xBB\xBF" "1girl, long_hair\r\n");
  auto r = run_cli({"policy", "apply", dir.path().string(), "--preset", "sdxl", "--trigger", "trig", "--no-tags-db"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string text = read_all(dir / "a.txt");
  EXPECT_TRUE(text.starts_with("\xEF\xBB\xBF" "trig, 1girl, long hair\r\ntrig, ")) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), std::count(text.begin(), text.end(), '\r')) << text;
}

}  // namespace
}  // namespace tagmetry
