#include "tagmetry/ja_captions.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;

JaDictionary small_dict() {
  JaDictionary d;
  EXPECT_TRUE(d.add_csv("1girl,女の子一人\nblue_hair,青髪\nsmile,笑顔\npokemon_(game),ポケモン\n", "t.csv").ok());
  return d;
}

TEST(JaCaptions, NamesAndTranslation) {
  EXPECT_TRUE(is_japanese_caption_name("a/img1_jp.txt"));
  EXPECT_FALSE(is_japanese_caption_name("a/img1.txt"));
  EXPECT_EQ(japanese_caption_path("a/img 1.txt"), fs::path("a/img 1_jp.txt"));
  std::map<std::string, int64_t> missing;
  CaptionText c = parse_caption_text("1girl, Blue Hair, pokemon \\(game\\), xyz\nsmile");
  EXPECT_EQ(translate_caption(c, small_dict(), &missing), "女の子一人, 青髪, ポケモン, xyz\n笑顔");
  EXPECT_EQ(missing, (std::map<std::string, int64_t>{{"xyz", 1}}));
}

TEST(JaCaptions, WritesBesideEachCaptionAndSkipsBadFiles) {
  testing::TempDir tmp;
  fs::path dir = tmp / "my data 日本語";
  fs::create_directories(dir / "sub");
  testing::write_all(dir / "img 1.txt", "1girl, blue_hair, smile");
  testing::write_all(dir / "b.txt", "\xEF\xBB\xBF" "1girl, smile\r\n");  // BOM + CRLF
  testing::write_all(dir / "c.txt", "1girl, \xff\xfe");                  // not UTF-8
  testing::write_all(dir / "old_jp.txt", "1girl");                       // never a caption
  testing::write_all(dir / "sub" / "d.txt", "smile");
  JaDictionary dict = small_dict();
  auto r = write_japanese_captions(dir, dict, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->captions, 3u);
  EXPECT_EQ(r->written, 2u);
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].first.filename(), "c.txt");
  EXPECT_NE(r->failed[0].second.find("not valid UTF-8"), std::string::npos);
  EXPECT_EQ(testing::read_all(dir / "img 1_jp.txt"), "女の子一人, 青髪, 笑顔");
  EXPECT_EQ(testing::read_all(dir / "b_jp.txt"), "女の子一人, 笑顔");
  EXPECT_EQ(testing::read_all(dir / "c.txt"), "1girl, \xff\xfe");  // untouched
  EXPECT_FALSE(fs::exists(dir / "old_jp_jp.txt"));
  EXPECT_FALSE(fs::exists(dir / "c_jp.txt"));
  EXPECT_FALSE(fs::exists(dir / "sub" / "d_jp.txt"));

  JaCaptionOptions rec;
  rec.recursive = true;
  auto again = write_japanese_captions(dir, dict, rec);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, 2u);
  EXPECT_EQ(again->written, 1u);
  EXPECT_EQ(testing::read_all(dir / "sub" / "d_jp.txt"), "笑顔");
}

TEST(JaCaptions, KeepsEditedJapaneseUnlessOverwrite) {
  testing::TempDir tmp;
  testing::write_all(tmp / "a.txt", "1girl");
  testing::write_all(tmp / "a_jp.txt", "手で直した");
  JaDictionary dict = small_dict();
  auto r = write_japanese_captions(tmp.path(), dict, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->kept.size(), 1u);
  EXPECT_EQ(testing::read_all(tmp / "a_jp.txt"), "手で直した");
  JaCaptionOptions dry;
  dry.overwrite = true;
  dry.dry_run = true;
  auto d = write_japanese_captions(tmp.path(), dict, dry);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->written, 1u);
  EXPECT_EQ(testing::read_all(tmp / "a_jp.txt"), "手で直した");
  JaCaptionOptions over;
  over.overwrite = true;
  ASSERT_TRUE(write_japanese_captions(tmp.path(), dict, over).ok());
  EXPECT_EQ(testing::read_all(tmp / "a_jp.txt"), "女の子一人");
  EXPECT_FALSE(write_japanese_captions(tmp / "missing", dict, {}).ok());
}

TEST(JaCaptions, ReadOnlyFolderIsReportedAndNothingLost) {
  testing::TempDir tmp;
  const fs::path dir = tmp / "ro";
  testing::write_all(dir / "a.txt", "1girl, blue_hair");
  fs::permissions(tmp.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  JaDictionary dict = small_dict();
  // Run without root (CI runs as root, which ignores folder permissions).
  std::string message = testing::run_without_root([&] {
    auto r = write_japanese_captions(dir, dict, {});
    return r.ok() ? std::string("ok") : r.status().message();
  });
  fs::permissions(dir, fs::perms::owner_all);
  // The journal's lock cannot be made in a read-only folder: the run stops before writing anything, and
  // the message says where and why.
  EXPECT_NE(message.find(".tagmetry: cannot create folder (Permission denied)"), std::string::npos) << message;
  EXPECT_EQ(testing::read_all(dir / "a.txt"), "1girl, blue_hair");
  EXPECT_FALSE(fs::exists(dir / "a_jp.txt"));
}

}  // namespace
}  // namespace tagmetry
