#include "tagmetry/ja_dictionary.h"

#include <gtest/gtest.h>

#include <map>

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

TEST(JaDictionary, NamesTableOverridesAndGivesRequestNames) {
  JaDictionary d;
  ASSERT_TRUE(d.add_csv("fate_(series),運命（シリーズ）\nnichijou,ニチジュー\n", "base.csv").ok());
  ASSERT_TRUE(d.add_names("# comment\n"
                          "fate_(series)\tFateシリーズ\tFate\n"
                          "hakurei_reimu\t博麗霊夢\t霊夢|れいむ\tnote\n"
                          "nichijou\t日常\t-\n"
                          "clannad\tCLANNAD\n",
                          "names.tsv")
                  .ok());
  EXPECT_EQ(*d.find("fate_(series)"), "Fateシリーズ");
  EXPECT_EQ(*d.find("nichijou"), "日常");
  EXPECT_EQ(*d.find("clannad"), "CLANNAD");
  EXPECT_EQ(d.request_names().at("博麗霊夢"), "hakurei_reimu");
  EXPECT_EQ(d.request_names().at("霊夢"), "hakurei_reimu");
  EXPECT_EQ(d.request_names().at("fateシリーズ"), "fate_(series)");  // normalised (case folded)
  EXPECT_EQ(d.request_names().count("日常"), 0u);                    // "-": a common word
  EXPECT_EQ(d.request_names().count("clannad"), 0u);                 // ASCII titles: by tag name and alias
  EXPECT_TRUE(d.lookup("日常").empty());
  EXPECT_TRUE(d.lookup("運命（シリーズ）").empty());
  EXPECT_EQ(d.lookup("霊夢"), std::vector<std::string>{"hakurei_reimu"});
  Status s = d.add_names("touhou\t東方Project\nonly_a_tag\n", "mine.tsv");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("mine.tsv:2"), std::string::npos) << s.message();
}

// The howlers of walk-through B23, and the official names of the biggest works and characters.
TEST(JaDictionary, ShippedNamesAreOfficialTitles) {
  auto d = JaDictionary::load_default();
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(*d->find("fate_(series)"), "Fateシリーズ");
  EXPECT_EQ(*d->find("fate/grand_order"), "Fate/Grand Order");
  EXPECT_EQ(*d->find("bocchi_the_rock!"), "ぼっち・ざ・ろっく！");
  EXPECT_EQ(*d->find("male_focus"), "男性メイン");
  EXPECT_EQ(*d->find("bangs"), "前髪");
  EXPECT_EQ(*d->find("arknights"), "アークナイツ");
  EXPECT_EQ(*d->find("umamusume"), "ウマ娘");
  EXPECT_EQ(*d->find("touhou"), "東方Project");
  EXPECT_EQ(*d->find("hakurei_reimu"), "博麗霊夢");
  EXPECT_EQ(*d->find("hatsune_miku"), "初音ミク");
  EXPECT_EQ(*d->find("hu_tao_(genshin_impact)"), "胡桃（原神）");
  EXPECT_EQ(*d->find("kaga_(kancolle)"), "加賀（艦これ）");
  EXPECT_EQ(d->lookup("FGO"), std::vector<std::string>{"fate/grand_order"});
  EXPECT_EQ(d->lookup("マシュ"), std::vector<std::string>{"mash_kyrielight"});
}

// names.tsv: every tag known and listed once, every request name standing for one tag only.
TEST(JaDictionary, NamesTableIsConsistent) {
  auto db = TagDatabase::load_default();
  ASSERT_TRUE(db.ok());
  auto path = find_data_file("ja/names.tsv");
  ASSERT_TRUE(path.ok());
  std::string text = testing::read_all(path.value());
  std::map<std::string, int> tags;
  std::map<std::string, std::string> names;  // name → tag
  int copyrights = 0, characters = 0;
  for (auto& line : split(text, "\n")) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, "\t");
    ASSERT_GE(f.size(), 2u) << line;
    ASSERT_LE(f.size(), 4u) << line;
    const TagInfo* info = db->find_name(f[0]);
    ASSERT_NE(info, nullptr) << "names.tsv: unknown tag " << f[0];
    copyrights += info->category == TagCategory::kCopyright;
    characters += info->category == TagCategory::kCharacter;
    EXPECT_EQ(++tags[f[0]], 1) << "names.tsv: " << f[0] << " twice";
    std::vector<std::string> all{f[1]};
    if (f.size() > 2 && f[2] != "-")
      for (auto& n : split_trimmed(f[2], "|")) all.push_back(n);
    for (auto& n : all) {
      auto [it, fresh] = names.emplace(n, f[0]);
      EXPECT_TRUE(fresh || it->second == f[0]) << "names.tsv: " << n << " is both " << it->second << " and " << f[0];
    }
  }
  EXPECT_GE(copyrights, 900);
  EXPECT_GE(characters, 350);
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
    // bangs: Danbooru has retired it, but JoyTag and older WD taggers still write it.
    if (f[0] != "bangs") EXPECT_NE(db->find_name(f[0]), nullptr) << "overrides.csv: unknown tag " << f[0];
    ++rows;
  }
  EXPECT_GE(rows, 1000);
}

}  // namespace
}  // namespace tagmetry
