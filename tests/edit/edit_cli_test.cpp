// `tagmetry edit` end to end: exact file contents after each operation.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::run_cli;
using testing::TempDir;
using testing::write_all;

// A dataset: three images (content irrelevant: edit never decodes) with captions, a Japanese caption
// file, a caption without an image and a notes file.
void make_dataset(const fs::path& d) {
  for (auto name : {"img001.png", "img002.png", "img003.png", "img004.png"}) write_all(d / name, "png");
  write_all(d / "img001.txt", "1girl, solo, smile");
  write_all(d / "img002.txt", "\xEF\xBB\xBF" "solo, blue_hair\r\nA girl with blue hair.\r\n");
  write_all(d / "img003.txt", "1girl, smile, 1girl\n");
  write_all(d / "img004.txt", "bad \xff byte");
  write_all(d / "img001_jp.txt", "女の子一人, ソロ");
  write_all(d / "orphan.txt", "orphan, tags");
  write_all(d / "notes.md", "notes");
}

TEST(EditCli, AddPutsTheTriggerFirstAndKeepsEverythingElse) {
  TempDir dir;
  make_dataset(dir.path());
  auto r = run_cli({"edit", dir.path().string(), "add", "mychar"});
  EXPECT_EQ(r.exit_code, 1);  // img004.txt is not UTF-8
  EXPECT_EQ(read_all(dir / "img001.txt"), "mychar, 1girl, solo, smile");
  // BOM and CRLF are kept byte for byte; the trigger goes on every line of a multi-line caption.
  EXPECT_EQ(read_all(dir / "img002.txt"),
            "\xEF\xBB\xBF" "mychar, solo, blue_hair\r\nmychar, A girl with blue hair.\r\n");
  EXPECT_EQ(read_all(dir / "img003.txt"), "mychar, 1girl, smile, 1girl\n");
  EXPECT_EQ(read_all(dir / "img004.txt"), "bad \xff byte");
  EXPECT_EQ(read_all(dir / "img001_jp.txt"), "女の子一人, ソロ");
  EXPECT_EQ(read_all(dir / "orphan.txt"), "orphan, tags");
  EXPECT_EQ(r.out, "add: 3 of 4 caption files changed (3 tags added, 0 removed), 1 skipped\n");
  EXPECT_EQ(r.err, "tagmetry: skipped " + (dir / "img004.txt").string() +
                       ": not valid UTF-8 (byte 0xff at offset 4); left unchanged\n");
  // Running it again changes nothing.
  r = run_cli({"edit", dir.path().string(), "add", "mychar"});
  EXPECT_EQ(r.out, "add: 0 of 4 caption files changed (0 tags added, 0 removed), 1 skipped\n");
}

TEST(EditCli, DryRunPrintsADiffAndWritesNothing) {
  TempDir dir;
  make_dataset(dir.path());
  fs::remove(dir / "img004.txt");
  auto r = run_cli({"edit", dir.path().string(), "remove", "--match", "glob", "*girl", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "--- a/img001.txt\n+++ b/img001.txt\n@@ -1 +1 @@\n-1girl, solo, smile\n+solo, smile\n"
            "--- a/img003.txt\n+++ b/img003.txt\n@@ -1 +1 @@\n-1girl, smile, 1girl\n+smile\n"
            "remove: 2 of 3 caption files would change (0 tags added, 2 removed)\n");
  EXPECT_EQ(read_all(dir / "img001.txt"), "1girl, solo, smile");
}

TEST(EditCli, ReplaceMoveFirstDedupeSort) {
  TempDir dir;
  make_dataset(dir.path());
  fs::remove(dir / "img004.txt");
  const std::string d = dir.path().string();
  EXPECT_EQ(run_cli({"edit", d, "replace", "--match", "regex", "(.*)_hair", "$1 hair"}).exit_code, 0);
  EXPECT_EQ(read_all(dir / "img002.txt"), "\xEF\xBB\xBF" "solo, blue hair\r\nA girl with blue hair.\r\n");
  EXPECT_EQ(run_cli({"edit", d, "move-first", "smile"}).exit_code, 0);
  EXPECT_EQ(read_all(dir / "img001.txt"), "smile, 1girl, solo");
  EXPECT_EQ(run_cli({"edit", d, "dedupe"}).exit_code, 0);
  EXPECT_EQ(read_all(dir / "img003.txt"), "smile, 1girl\n");
  EXPECT_EQ(run_cli({"edit", d, "sort", "--by", "alpha"}).exit_code, 0);
  EXPECT_EQ(read_all(dir / "img001.txt"), "1girl, smile, solo");
  // Frequency in this dataset: smile 2, 1girl 2, solo 2, blue hair 1 → ties alphabetical.
  EXPECT_EQ(run_cli({"edit", d, "sort", "--by", "frequency"}).exit_code, 0);
  EXPECT_EQ(read_all(dir / "img002.txt"), "\xEF\xBB\xBF" "solo, blue hair\r\nA girl with blue hair.\r\n");
  EXPECT_EQ(read_all(dir / "img001_jp.txt"), "女の子一人, ソロ");
}

TEST(EditCli, AddPositionsAndJsonSummary) {
  TempDir dir;
  write_all(dir / "a.png", "png");
  write_all(dir / "a.txt", "x, y, z");
  auto r = run_cli({"edit", dir.path().string(), "add", "t1", "t2", "--position", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(dir / "a.txt"), "x, t1, t2, y, z");
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["operation"], "add");
  EXPECT_EQ(j["changed"], 1);
  EXPECT_EQ(j["tags_added"], 2);
  EXPECT_EQ(j["changes"][0]["file"], "a.txt");
  EXPECT_EQ(j["changes"][0]["after"], "x, t1, t2, y, z");
  EXPECT_EQ(run_cli({"edit", dir.path().string(), "add", "t1", "--last"}).exit_code, 0);
  EXPECT_EQ(read_all(dir / "a.txt"), "x, t2, y, z, t1");
}

TEST(EditCli, UsageErrors) {
  TempDir dir;
  write_all(dir / "a.png", "png");
  write_all(dir / "a.txt", "x");
  auto r = run_cli({"edit", dir.path().string(), "sort", "--by", "confidence"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("sort --by confidence needs the model scores"), std::string::npos) << r.err;
  r = run_cli({"edit", dir.path().string(), "remove", "--match", "regex", "("});
  EXPECT_EQ(r.exit_code, 2);
  r = run_cli({"edit", (dir / "missing").string(), "dedupe"});
  EXPECT_EQ(r.exit_code, 2);
  r = run_cli({"edit", dir.path().string(), "add", "a,b"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tagmetry: add: 'a,b' holds a comma: give each tag separately\n");
  // A replacement holding a comma would be read back as two tags (the web app's batch edit refused it too).
  r = run_cli({"edit", dir.path().string(), "replace", "x", "a, b"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tagmetry: replace: 'a, b' holds a comma: give each tag separately\n");
  EXPECT_EQ(read_all(dir / "a.txt"), "x");
}

TEST(EditCli, PathsWithSpacesAndJapanese) {
  TempDir dir;
  const fs::path d = dir / "データ セット";
  write_all(d / "画像 1.png", "png");
  write_all(d / "画像 1.txt", "青髪, 1girl");
  auto r = run_cli({"edit", d.string(), "add", "トリガー"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(d / "画像 1.txt"), "トリガー, 青髪, 1girl");
}

}  // namespace
}  // namespace tagmetry
