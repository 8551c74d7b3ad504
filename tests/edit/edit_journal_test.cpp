// `tagmetry edit` as a journaled writer: undo reverts it, every line of multi-line captions is edited,
// sort keeps the trigger, Shift-JIS / UTF-16 captions are named and converted on request, the dataset
// lock is honoured and symbolic links out of the dataset are left alone.
#include <gtest/gtest.h>
#include <sys/file.h>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::run_cli;
using testing::TempDir;
using testing::write_all;

TEST(EditJournal, UndoRevertsAnEditAndListShowsIt) {
  TempDir dir;
  write_all(dir / "a.png", "png");
  write_all(dir / "b.png", "png");
  write_all(dir / "a.txt", "1girl, solo");
  write_all(dir / "b.txt", "\xEF\xBB\xBF" "smile\r\n");
  const std::string d = dir.path().string();
  auto r = run_cli({"edit", d, "add", "mytrigger"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(dir / "a.txt"), "mytrigger, 1girl, solo");
  EXPECT_EQ(read_all(dir / "b.txt"), "\xEF\xBB\xBF" "mytrigger, smile\r\n");
  auto list = run_cli({"undo", d, "--list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto ops = nlohmann::json::parse(list.out);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0]["command"], "edit");
  EXPECT_EQ(ops[0]["files"], 2);
  auto u = run_cli({"undo", d});
  ASSERT_EQ(u.exit_code, 0) << u.err;
  EXPECT_EQ(u.out, "reverted 2 caption(s) written by operation #1 (edit)\n");
  EXPECT_EQ(read_all(dir / "a.txt"), "1girl, solo");
  EXPECT_EQ(read_all(dir / "b.txt"), "\xEF\xBB\xBF" "smile\r\n");
}

TEST(EditJournal, EveryLineOrOnlyTheFirst) {
  TempDir dir;
  write_all(dir / "a.png", "png");
  write_all(dir / "a.txt", "mytrigger, 1girl, long hair\nmytrigger, a girl with long hair\nmytrigger, a photo\n");
  const std::string d = dir.path().string();
  ASSERT_EQ(run_cli({"edit", d, "replace", "mytrigger", "newtrig"}).exit_code, 0);
  EXPECT_EQ(read_all(dir / "a.txt"), "newtrig, 1girl, long hair\nnewtrig, a girl with long hair\nnewtrig, a photo\n");
  auto r = run_cli({"edit", d, "replace", "newtrig", "third", "--first-line-only", "--dry-run"});
  EXPECT_EQ(r.out,
            "--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n"
            "-newtrig, 1girl, long hair\n-newtrig, a girl with long hair\n-newtrig, a photo\n"
            "+third, 1girl, long hair\n+newtrig, a girl with long hair\n+newtrig, a photo\n"
            "replace: 1 of 1 caption files would change (1 tags added, 1 removed)\n");
}

TEST(EditJournal, SortKeepsTheTriggerFirst) {
  TempDir dir;
  for (auto n : {"a", "b", "c"}) write_all(dir / (std::string(n) + ".png"), "png");
  write_all(dir / "a.txt", "mytrigger, zebra, ^_^, apple");
  write_all(dir / "b.txt", "mytrigger, long_hair, hatsune_miku_(vocaloid)");
  write_all(dir / "c.txt", "mytrigger, smile");
  const std::string d = dir.path().string();
  ASSERT_EQ(run_cli({"edit", d, "sort", "--by", "alpha"}).exit_code, 0);
  EXPECT_EQ(read_all(dir / "a.txt"), "mytrigger, ^_^, apple, zebra");
  EXPECT_EQ(read_all(dir / "b.txt"), "mytrigger, hatsune_miku_(vocaloid), long_hair");
  // --keep N: the first N tags stay; --keep 0 sorts them all.
  ASSERT_EQ(run_cli({"edit", d, "sort", "--by", "alpha", "--keep", "2"}).exit_code, 0);
  EXPECT_EQ(read_all(dir / "a.txt"), "mytrigger, ^_^, apple, zebra");
  ASSERT_EQ(run_cli({"edit", d, "sort", "--by", "alpha", "--keep", "0"}).exit_code, 0);
  EXPECT_EQ(read_all(dir / "a.txt"), "^_^, apple, mytrigger, zebra");
}

TEST(EditJournal, NonUtf8IsNamedAndConvertedOnRequest) {
  TempDir dir;
  write_all(dir / "e3.png", "png");
  write_all(dir / "e8.png", "png");
  write_all(dir / "ok.png", "png");
  const std::string sjis = "\x90\xc2\x94\xaf, 1girl\r\n";  // 青髪 in Shift-JIS
  const std::string utf16 = std::string("\xff\xfe" "1\0g\0,\0 \0x\0", 12);
  write_all(dir / "e3.txt", sjis);
  write_all(dir / "e8.txt", utf16);
  write_all(dir / "ok.txt", "smile");
  const std::string d = dir.path().string();
  auto r = run_cli({"edit", d, "add", "trig"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("e3.txt is Shift-JIS, not UTF-8; left unchanged"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("e8.txt is UTF-16LE, not UTF-8; left unchanged"), std::string::npos) << r.err;
  EXPECT_EQ(read_all(dir / "e3.txt"), sjis);
  EXPECT_EQ(read_all(dir / "e8.txt"), utf16);
  EXPECT_EQ(read_all(dir / "ok.txt"), "trig, smile");

  r = run_cli({"edit", d, "to-utf8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(dir / "e3.txt"), "青髪, 1girl\r\n");
  EXPECT_EQ(read_all(dir / "e8.txt"), "1g, x");
  EXPECT_EQ(read_all(dir / "ok.txt"), "trig, smile");
  // Journaled: undo brings the original bytes back.
  ASSERT_EQ(run_cli({"undo", d}).exit_code, 0);
  EXPECT_EQ(read_all(dir / "e3.txt"), sjis);
  EXPECT_EQ(read_all(dir / "e8.txt"), utf16);
}

TEST(EditJournal, AnotherRunHoldingTheLockStopsTheEdit) {
  TempDir dir;
  write_all(dir / "a.png", "png");
  write_all(dir / "a.txt", "1girl");
  fs::create_directories(dir / ".tagmetry");
  int fd = ::open((dir / ".tagmetry/tagmetry.db.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto r = run_cli({"edit", dir.path().string(), "add", "trig"});
  auto list = run_cli({"undo", dir.path().string(), "--list"});  // a reader: needs no lock
  ::close(fd);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("in use by another tagmetry run"), std::string::npos) << r.err;
  EXPECT_EQ(read_all(dir / "a.txt"), "1girl");
  EXPECT_EQ(list.exit_code, 2);  // no database yet: named, not a lock error
  EXPECT_EQ(list.err.find("in use"), std::string::npos) << list.err;
  ASSERT_EQ(run_cli({"edit", dir.path().string(), "add", "trig"}).exit_code, 0);
  EXPECT_EQ(read_all(dir / "a.txt"), "trig, 1girl");
}

TEST(EditJournal, SymlinkOutsideTheDatasetIsNotFollowed) {
  TempDir tmp;
  fs::path dir = tmp / "set";
  write_all(dir / "a.png", "png");
  write_all(dir / "b.png", "png");
  write_all(dir / "b.txt", "1girl");
  write_all(tmp / "secret.txt", "outside, text");
  fs::create_symlink(tmp / "secret.txt", dir / "a.txt");
  auto r = run_cli({"edit", dir.string(), "add", "trig"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("a symbolic link to outside the dataset"), std::string::npos) << r.err;
  EXPECT_EQ(read_all(tmp / "secret.txt"), "outside, text");
  EXPECT_TRUE(fs::is_symlink(dir / "a.txt"));
  EXPECT_EQ(read_all(dir / "b.txt"), "trig, 1girl");
}

TEST(EditJournal, UndoListReadsAReadOnlyDataset) {
  TempDir tmp;
  const fs::path dir = tmp / "set";
  write_all(dir / "a.png", "png");
  write_all(dir / "a.txt", "1girl");
  ASSERT_EQ(run_cli({"edit", dir.string(), "add", "trig"}).exit_code, 0);
  const auto read_only = fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read | fs::perms::group_exec |
                         fs::perms::others_read | fs::perms::others_exec;
  fs::permissions(tmp.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  fs::permissions(dir, read_only);
  fs::permissions(dir / ".tagmetry", read_only);
  // Without root (CI runs as root, which ignores folder permissions): list works, undo says why it cannot.
  std::string out = testing::run_without_root([&] {
    auto list = run_cli({"undo", dir.string(), "--list", "--json"});
    auto undo = run_cli({"undo", dir.string()});
    return std::to_string(list.exit_code) + "\n" + list.out + "\n---\n" + std::to_string(undo.exit_code) + "\n" + undo.err;
  });
  fs::permissions(dir / ".tagmetry", fs::perms::owner_all);
  fs::permissions(dir, fs::perms::owner_all);
  ASSERT_TRUE(out.starts_with("0\n")) << out;
  EXPECT_NE(out.find("\"command\": \"edit\""), std::string::npos) << out;
  EXPECT_NE(out.find("---\n2\n"), std::string::npos) << out;  // the undo itself cannot lock: stopped, nothing lost
  EXPECT_EQ(read_all(dir / "a.txt"), "trig, 1girl");
}

}  // namespace
}  // namespace tagmetry
