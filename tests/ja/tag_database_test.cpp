#include "tagmetry/tag_database.h"

#include <gtest/gtest.h>


#include "test_support.h"

namespace tagmetry {
namespace {

const char* kCsv =
    "1girl,0,6008644,\"1girls,sole_female\"\n"
    "long_hair,0,4350743,\"/lh,longhair\"\n"
    "blue_hair,0,500000,\n"
    "hatsune_miku,4,150000,\"miku\"\n"
    "vocaloid,3,160000,\n"
    "absurdres,5,1782391,\"insaneres\"\n"
    "some_artist,1,300,\n"
    "name,category,count,aliases\n"  // a header-like row: skipped
    "\"quoted,name\",0,10,\n";

TEST(TagDatabase, ParsesTagcompleteCsv) {
  auto db = TagDatabase::parse(kCsv, "test.csv");
  ASSERT_TRUE(db.ok()) << db.status().message();
  EXPECT_EQ(db->size(), 8u);
  EXPECT_EQ(db->skipped_rows(), 1u);
  EXPECT_EQ(db->tags().front().name, "1girl");  // most popular first
  const TagInfo* miku = db->find("hatsune_miku");
  ASSERT_NE(miku, nullptr);
  EXPECT_EQ(miku->category, TagCategory::kCharacter);
  EXPECT_EQ(miku->count, 150000);
  EXPECT_EQ(std::string(tag_category_name(miku->category)), "character");
  EXPECT_EQ(std::string(tag_category_name(db->find("absurdres")->category)), "meta");
  EXPECT_EQ(std::string(tag_category_name(db->find("vocaloid")->category)), "copyright");
  EXPECT_EQ(std::string(tag_category_name(db->find("some_artist")->category)), "artist");
  ASSERT_NE(db->find("quoted,name"), nullptr);
}

TEST(TagDatabase, FindsByAliasAndUserSpelling) {
  auto db = TagDatabase::parse(kCsv, "test.csv");
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->find("sole_female")->name, "1girl");
  EXPECT_EQ(db->find("Long Hair")->name, "long_hair");
  EXPECT_EQ(db->find("longhair")->name, "long_hair");
  EXPECT_EQ(db->find_name("longhair"), nullptr);
  EXPECT_EQ(db->find("nope"), nullptr);
  EXPECT_EQ(normalize_tag_name("  Pokemon \\(Game\\) "), "pokemon_(game)");
}

TEST(TagDatabase, PrefixSubstringAndSuggestions) {
  auto db = TagDatabase::parse(kCsv, "test.csv");
  ASSERT_TRUE(db.ok());
  auto p = db->prefix_search("l", 10);
  ASSERT_EQ(p.size(), 1u);  // long_hair via its name and its alias "longhair": once
  EXPECT_EQ(p[0]->name, "long_hair");
  auto m = db->prefix_search("mi", 10);  // alias "miku"
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]->name, "hatsune_miku");
  auto s = db->substring_search("hair", 10);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0]->name, "long_hair");
  EXPECT_EQ(s[1]->name, "blue_hair");
  auto sug = db->suggest("blue_hiar");
  ASSERT_FALSE(sug.empty());
  EXPECT_EQ(sug[0].tag->name, "blue_hair");
  EXPECT_EQ(sug[0].distance, 1);  // a swap counts once
  EXPECT_EQ(db->suggest("long_hair")[0].distance, 0);
  EXPECT_TRUE(db->suggest("completely_different_thing").empty());
  EXPECT_EQ(sug[0].alias, "");  // found by its own name
  auto via_alias = db->suggest("longhiar");  // close to the alias "longhair" only
  ASSERT_FALSE(via_alias.empty());
  EXPECT_EQ(via_alias[0].tag->name, "long_hair");
  EXPECT_EQ(via_alias[0].alias, "longhair");
}

TEST(TagDatabase, RejectsEmptyAndReportsMissingFile) {
  auto empty = TagDatabase::parse("just,garbage\n", "bad.csv");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("bad.csv"), std::string::npos);
  auto missing = TagDatabase::load("/nonexistent/tags.csv");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/tags.csv"), std::string::npos);
}

TEST(TagDatabase, ReadsGzipAndPlainFiles) {
  testing::TempDir dir;
  testing::write_all(dir / "t.csv", kCsv);
  auto plain = TagDatabase::load(dir / "t.csv");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->size(), 8u);
  testing::write_all(dir / "broken.csv.gz", std::string("\x1f\x8b\x08\x00garbage", 12));
  auto broken = TagDatabase::load(dir / "broken.csv.gz");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("gzip"), std::string::npos);
}

// Its load time is measured by bench/ja (ja_bench's "load" line), not asserted here.
TEST(TagDatabase, ShippedListLoads) {
  auto db = TagDatabase::load_default();
  ASSERT_TRUE(db.ok()) << db.status().message();
  EXPECT_GT(db->size(), 50000u);
  EXPECT_EQ(db->tags().front().name, "1girl");
  EXPECT_EQ(db->find("1girls")->name, "1girl");
  EXPECT_EQ(db->suggest("blonde_hiar")[0].tag->name, "blonde_hair");
}

}  // namespace
}  // namespace tagmetry
