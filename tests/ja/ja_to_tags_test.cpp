#include "tagmetry/ja_to_tags.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "ja_fixture.h"
#include "tagmetry/ja_text.h"

namespace tagmetry {
namespace {
using testing::ja_world;

std::vector<std::string> names(const std::vector<JaTagMatch>& m) {
  std::vector<std::string> out;
  for (auto& t : m) out.push_back(t.tag);
  return out;
}

JaToTagsResult convert(const std::string& text, JaToTagsOptions options = {}) {
  auto r = ja_world().matcher->convert(text, options);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : JaToTagsResult{};
}

TEST(JaText, NormalisesWidthAndCase) {
  EXPECT_EQ(normalize_ja_text("Ｂｌｕｅ　Ｈａｉｒ").value(), "blue hair");
  EXPECT_EQ(normalize_ja_text("ｾｰﾗｰ服").value(), "セーラー服");
  EXPECT_EQ(normalize_ja_text("①").value(), "1");
  auto bad = normalize_ja_text("ab\xff");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("offset 2"), std::string::npos);
}

TEST(JaText, MissingDictionaryIsAClearError) {
  auto seg = JaSegmenter::open("/nonexistent/ipadic");
  ASSERT_FALSE(seg.ok());
  EXPECT_NE(seg.status().message().find("mecab-ipadic-utf8"), std::string::npos);
  EXPECT_NE(seg.status().message().find("/nonexistent/ipadic"), std::string::npos);
}

TEST(JaToTags, TheIssueExample) {
  TM_REQUIRE_JA_MATCHER();
  auto r = convert("青い髪の女の子が桜の下で笑っている");
  EXPECT_EQ(names(r.tags), (std::vector<std::string>{"1girl", "smile", "blue_hair", "cherry_blossoms"}));
  EXPECT_TRUE(r.unmatched.empty());
  EXPECT_EQ(r.tags[0].score, 1.0);
  EXPECT_EQ(r.tags[2].from, (std::vector<std::string>{"青い", "髪"}));
  EXPECT_EQ(r.tags[2].category, TagCategory::kGeneral);
  for (size_t i = 2; i < r.tags.size(); ++i) EXPECT_LE(r.tags[i].score, r.tags[i - 1].score);  // best first
}

TEST(JaToTags, CompositionOnlyForExistingTags) {
  TM_REQUIRE_JA_MATCHER();
  EXPECT_EQ(names(convert("黒いスカート").tags), std::vector<std::string>{"black_skirt"});
  EXPECT_EQ(names(convert("長い髪").tags), std::vector<std::string>{"long_hair"});
  EXPECT_EQ(names(convert("赤い目").tags), std::vector<std::string>{"red_eyes"});
  EXPECT_EQ(names(convert("猫耳").tags), std::vector<std::string>{"cat_ears"});
}

TEST(JaToTags, PeopleCountsAddUp) {
  TM_REQUIRE_JA_MATCHER();
  EXPECT_EQ(names(convert("二人の女の子").tags), std::vector<std::string>{"2girls"});
  EXPECT_EQ(names(convert("2人の女の子").tags), std::vector<std::string>{"2girls"});
  EXPECT_EQ(names(convert("女の子と、もう一人の女の子").tags)[0], "2girls");
  EXPECT_EQ(names(convert("男の子と女の子").tags), (std::vector<std::string>{"1boy", "1girl"}));
  EXPECT_EQ(names(convert("7人の女の子").tags), std::vector<std::string>{"6+girls"});
}

TEST(JaToTags, NegationGivesNegativeTags) {
  TM_REQUIRE_JA_MATCHER();
  auto r = convert("眼鏡なしの女の子");
  EXPECT_EQ(names(r.tags), std::vector<std::string>{"1girl"});
  EXPECT_EQ(names(r.negative), std::vector<std::string>{"glasses"});
  auto en = convert("1girl, without glasses");
  EXPECT_EQ(names(en.negative), std::vector<std::string>{"glasses"});
  // "no glasses" is itself a Danbooru tag (alias of no_eyewear): kept as a tag.
  EXPECT_EQ(names(convert("no glasses").tags), std::vector<std::string>{"no_eyewear"});
}

TEST(JaToTags, ImpliedTagsAreDropped) {
  TM_REQUIRE_JA_MATCHER();
  auto r = convert("青い髪、猫耳、獣耳、長い髪、とても長い髪");
  auto got = names(r.tags);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"blue_hair", "cat_ears", "very_long_hair"}));
}

TEST(JaToTags, UnknownWordsAreReported) {
  TM_REQUIRE_JA_MATCHER();
  auto r = convert("ふわふわのモフモフな謎生物ズンドコ");
  EXPECT_FALSE(r.unmatched.empty());
  auto g = convert("女の子がプールで遊んでいる");
  EXPECT_EQ(g.unmatched, std::vector<std::string>{"遊ぶ"});
}

TEST(JaToTags, EmptyBlankAndInvalidInput) {
  TM_REQUIRE_JA_MATCHER();
  EXPECT_TRUE(convert("").tags.empty());
  EXPECT_TRUE(convert(" \n\t　").tags.empty());
  auto bad = ja_world().matcher->convert("青い\xe3\x81");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("UTF-8"), std::string::npos);
}

TEST(JaToTags, TopAndMinCount) {
  TM_REQUIRE_JA_MATCHER();
  JaToTagsOptions top;
  top.top = 2;
  EXPECT_EQ(convert("青い髪の女の子が桜の下で笑っている", top).tags.size(), 2u);
  JaToTagsOptions min;
  min.min_count = 1000000;  // only very common tags survive
  EXPECT_EQ(names(convert("青い髪の女の子が桜の下で笑っている", min).tags), (std::vector<std::string>{"1girl", "smile"}));
}

// Walk-through A8: series names, official and fan names of characters (always the series-qualified
// Danbooru tag), slang. ウマ娘's 娘 is no girl, and names that MeCab splits or that hold punctuation
// (ぼっち・ざ・ろっく！) are found whole.
TEST(JaToTags, FandomNamesAndSlang) {
  TM_REQUIRE_JA_MATCHER();
  using V = std::vector<std::string>;
  EXPECT_EQ(names(convert("東方の霊夢").tags), (V{"touhou", "hakurei_reimu"}));
  EXPECT_EQ(names(convert("ぼっち・ざ・ろっく！の後藤ひとり").tags), (V{"bocchi_the_rock!", "gotoh_hitori"}));
  EXPECT_EQ(names(convert("ウマ娘のキタサンブラック").tags), (V{"umamusume", "kitasan_black_(umamusume)"}));
  EXPECT_EQ(names(convert("原神の胡桃").tags), (V{"genshin_impact", "hu_tao_(genshin_impact)"}));
  EXPECT_EQ(names(convert("前髪ぱっつん").tags), (V{"blunt_bangs"}));
  EXPECT_EQ(names(convert("傘をさしている").tags), (V{"holding_umbrella"}));
  EXPECT_EQ(names(convert("男の娘").tags), (V{"otoko_no_ko"}));  // a phrase longer than the people match wins
  EXPECT_EQ(names(convert("ウマ娘").tags), (V{"umamusume"}));
  EXPECT_EQ(names(convert("FGOのマシュ").tags), (V{"fate/grand_order", "mash_kyrielight"}));
  EXPECT_EQ(names(convert("霊夢と魔理沙が笑っている").tags), (V{"smile", "hakurei_reimu", "kirisame_marisa"}));
  V micro = names(convert("ミクロの世界").tags);  // ミク inside another katakana word is not Miku
  EXPECT_EQ(std::count(micro.begin(), micro.end(), "hatsune_miku"), 0);
  EXPECT_EQ(names(convert("日常の風景").tags), (V{"scenery"}));  // 日常 is a word before a title
  EXPECT_EQ(names(convert("好きなのは猫").tags), (V{"cat"}));    // no short name hides in plain hiragana
}

// Its speed is measured by bench/ja (ja_bench's "long request" line), not asserted here.
TEST(JaToTags, VeryLongInput) {
  TM_REQUIRE_JA_MATCHER();
  std::string text;
  while (text.size() < 30000) text += "青い髪の女の子が桜の下で笑っている。";  // 10,000+ characters
  auto r = convert(text);
  // A thousand 女の子 are six or more girls; the other tags are found once each.
  EXPECT_EQ(names(r.tags), (std::vector<std::string>{"6+girls", "smile", "blue_hair", "cherry_blossoms"}));
}

}  // namespace
}  // namespace tagmetry
