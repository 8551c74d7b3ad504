#include "tagmetry/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::TempDir;

TEST(Files, AtomicWriteReplacesContentAndLeavesNoTemp) {
  TempDir dir;
  auto p = dir / "a.txt";
  ASSERT_TRUE(write_file_atomic(p, "first").ok());
  ASSERT_TRUE(write_file_atomic(p, "second").ok());
  EXPECT_EQ(testing::read_all(p), "second");
  int files = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1);
}

TEST(Files, AtomicWriteIntoReadOnlyFolderFailsNamingTheFile) {
  TempDir dir;
  fs::permissions(dir.path(), fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                  fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  // Without root (CI runs as root, which ignores folder permissions).
  std::string message = testing::run_without_root([&] {
    Status s = write_file_atomic(dir / "a.txt", "x");
    return s.ok() ? std::string("ok") : s.message();
  });
  fs::permissions(dir.path(), fs::perms::owner_all);
  EXPECT_NE(message.find("a.txt: cannot write"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(dir / "a.txt"));
}

TEST(Files, ReadTextRejectsNonUtf8WithOffset) {
  TempDir dir;
  testing::write_all(dir / "bad.txt", "ok, \xff tag");
  auto r = read_text_file(dir / "bad.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt);
  EXPECT_NE(r.status().message().find("bad.txt: not valid UTF-8 (byte 0xff at offset 4)"), std::string::npos)
      << r.status().message();
}

TEST(Files, ReadTextStripsBomAndCrlf) {
  TempDir dir;
  testing::write_all(dir / "c.txt", "\xEF\xBB\xBF" "1girl, solo\r\nline2\r\n");
  auto r = read_text_file(dir / "c.txt");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "1girl, solo\nline2\n");
}

TEST(Files, MissingFileIsNotFound) {
  TempDir dir;
  auto r = read_file(dir / "nope.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.status().message().find("nope.txt"), std::string::npos);
}

TEST(Files, BackupPicksFreeName) {
  TempDir dir;
  testing::write_all(dir / "a.txt", "v1");
  auto b1 = backup_file(dir / "a.txt");
  ASSERT_TRUE(b1.ok());
  EXPECT_EQ(b1->filename(), "a.txt.bak");
  testing::write_all(dir / "a.txt", "v2");
  auto b2 = backup_file(dir / "a.txt");
  ASSERT_TRUE(b2.ok());
  EXPECT_EQ(b2->filename(), "a.txt.bak2");
  EXPECT_EQ(testing::read_all(*b1), "v1");
  EXPECT_EQ(testing::read_all(*b2), "v2");
}

}  // namespace
}  // namespace tagmetry

namespace tagmetry::testing {
namespace {
// A path outside base (here: a symlink into another folder) comes back absolute, so base / result names
// it whether base was relative or absolute (it used to come back as given: "set/a.txt" → "set/set/a.txt").
TEST(Files, RelativeGenericOfAPathOutsideBaseIsAbsolute) {
  TempDir d;
  std::filesystem::create_directories(d / "set");
  std::filesystem::create_directories(d / "other");
  write_all(d / "other" / "a.txt", "x");
  std::filesystem::create_symlink(d / "other" / "a.txt", d / "set" / "a.txt");
  write_all(d / "set" / "b.txt", "y");
  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(d.path());
  std::string inside = relative_generic("set/b.txt", "set");
  std::string outside = relative_generic("set/a.txt", "set");
  std::filesystem::current_path(cwd);
  EXPECT_EQ(inside, "b.txt");
  EXPECT_EQ(outside, (d / "set" / "a.txt").generic_string());
  EXPECT_EQ(read_all(std::filesystem::path("/") / (d / "set") / outside), "x");
}
}  // namespace
}  // namespace tagmetry::testing
