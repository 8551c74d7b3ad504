#include "tagmetry/ja_dictionary.h"

#include <gtest/gtest.h>

#include "tagmetry/data_paths.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"
#include "test_support.h"

namespace tagmetry {
namespace {

TEST(JaDictionary, AddLookupAndOverride) {
  JaDictionary d;
  ASSERT_TRUE(d.add_csv("blue_hair,青髪\nbow,弓\n\n# comment\n", "a.csv").ok());
  EXPECT_EQ(*d.find("Blue Hair"), "青髪");
  EXPECT_EQ(d.translate("unknown tag"), "unknown tag");
  ASSERT_TRUE(d.add_csv("bow,リボン\n", "b.csv").ok());
  EXPECT_EQ(*d.find("bow"), "リボン");
  EXPECT_TRUE(d.lookup("弓").empty());  // the old reverse entry is gone
  EXPECT_EQ(d.lookup("リボン"), std::vector<std::string>{"bow"});
  d.add("ribbon", "リボン", false);
  EXPECT_EQ(d.lookup("リボン"), (std::vector<std::string>{"bow", "ribbon"}));
  d.add("ribbon", "飾り", false);  // fill-gaps mode keeps the first
  EXPECT_EQ(*d.find("ribbon"), "リボン");
  auto hits = d.search("リボ", 10);
  ASSERT_EQ(hits.size(), 2u);
}

TEST(JaDictionary, ErrorsNameFileAndLine) {
  JaDictionary d;
  Status s = d.add_csv("blue_hair,青髪\nno_translation\n", "mine.csv");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("mine.csv:2"), std::string::npos);
  Status bad = d.add_csv("a,\xff\n", "latin1.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("UTF-8"), std::string::npos);
}

TEST(JaDictionary, ShippedDictionaryReadsNaturally) {
  auto d = JaDictionary::load_default();
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_GT(d->size(), 20000u);
  EXPECT_EQ(*d->find("1girl"), "女の子一人");
  EXPECT_EQ(*d->find("blue_hair"), "青髪");
  EXPECT_EQ(*d->find("school_uniform"), "制服");
  EXPECT_EQ(*d->find("absurdres"), "超高解像度");
  EXPECT_EQ(*d->find("bow"), "リボン");
  EXPECT_EQ(*d->find("black_bow"), "黒いリボン");
  EXPECT_EQ(*d->find("looking_at_viewer"), "こちらを見ている");
  EXPECT_EQ(*d->find("hatsune_miku"), "初音ミク");  // machine translations fill the long tail
  EXPECT_EQ(d->lookup("青髪"), std::vector<std::string>{"blue_hair"});
}

TEST(JaDictionary, EveryReviewedEntryIsAKnownTag) {
  auto db = TagDatabase::load_default();
  ASSERT_TRUE(db.ok());
  auto path = find_data_file("ja/overrides.csv");
  ASSERT_TRUE(path.ok());
  std::string text = testing::read_all(path.value());
  int rows = 0;
  for (auto& line : split(text, "\n")) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split_csv_line(line);
    ASSERT_EQ(f.size(), 2u) << line;
    EXPECT_NE(db->find_name(f[0]), nullptr) << "overrides.csv: unknown tag " << f[0];
    ++rows;
  }
  EXPECT_GE(rows, 1000);
}

}  // namespace
}  // namespace tagmetry
