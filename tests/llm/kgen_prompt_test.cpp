// TIPO and DanTagGen prompts and answers. The expected strings are what KohakuBlueleaf/KGen (commit
// 8c82b48) produces: apply_tipo_prompt(meta, general, "", None, length, expand=True) with z-tipo-extension's
// meta["aspect_ratio"] = f"{w/h:.1f}", and apply_dtg_prompt(tag_map, length, w/h) with
// model_have_quality_info true (DanTagGen-delta-rev2); they were obtained by running those two functions on
// the inputs below. The parse cases are parse_tipo_result's regex and tag_gen's split on the same texts.
#include "tagmetry/kgen_prompt.h"

#include <gtest/gtest.h>

#include "tagmetry/tag_database.h"

namespace tagmetry {
namespace {

using Tags = std::vector<std::string>;

TagDatabase tiny_db() {
  auto db = TagDatabase::parse(
      "1girl,0,100,\ncat_ears,0,90,\nhatsune_miku,4,50,\nvocaloid,3,40,\nabsurdres,5,30,\n\"ask_(askzy)\",1,20,\n",
      "tiny.csv");
  EXPECT_TRUE(db.ok()) << db.status().message();
  return std::move(db).value();
}

TEST(KgenPrompt, SeparatesTagsIntoKgenCategories) {
  TagDatabase db = tiny_db();
  KgenTags t = kgen_separate_tags({"1girl", "Cat_Ears", "hatsune_miku", "vocaloid", "absurdres", "ask_\\(askzy\\)",
                                   "masterpiece", "score_9", "sensitive", "^_^", "looking_at_viewer"},
                                  &db);
  EXPECT_EQ(t.special, Tags{"1girl"});
  EXPECT_EQ(t.general, (Tags{"cat ears", "^_^", "looking at viewer"}));
  EXPECT_EQ(t.characters, Tags{"hatsune miku"});
  EXPECT_EQ(t.copyrights, Tags{"vocaloid"});
  EXPECT_EQ(t.meta, Tags{"absurdres"});
  EXPECT_EQ(t.artist, Tags{"ask (askzy)"});
  EXPECT_EQ(t.quality, (Tags{"masterpiece", "score_9"}));
  EXPECT_EQ(t.rating, Tags{"sensitive"});
}

TEST(KgenPrompt, TipoTagExtensionPromptAsKgenWritesIt) {
  KgenTags t;
  t.special = {"1girl"};
  t.general = {"cat ears"};
  t.rating = {"general"};
  t.characters = {"hatsune miku"};
  t.copyrights = {"vocaloid"};
  EXPECT_EQ(tipo_prompt(t, "long", 832.0 / 1216.0),
            "rating: general\ncharacters: hatsune miku\ncopyrights: vocaloid\naspect_ratio: 0.7\n"
            "target: <|long|>\ntag: 1girl, cat ears");
}

TEST(KgenPrompt, TipoPromptWithoutGeneralTagsEndsAtTheTarget) {
  KgenTags t;
  t.meta = {"absurdres"};
  t.rating = {"sensitive"};
  t.artist = {"ask (askzy)"};
  t.quality = {"masterpiece"};
  EXPECT_EQ(tipo_prompt(t, "very_long", 1.0),
            "meta: absurdres\nrating: sensitive\nartist: ask (askzy)\nquality: masterpiece\naspect_ratio: 1.0\n"
            "target: <|very_long|>");
}

TEST(KgenPrompt, DanTagGenPromptAsKgenWritesIt) {
  KgenTags t;
  t.special = {"1girl"};
  t.general = {"cat ears"};
  t.rating = {"general"};
  t.characters = {"hatsune miku"};
  t.copyrights = {"vocaloid"};
  EXPECT_EQ(dtg_prompt(t, "long", 832.0 / 1216.0, true),
            "quality: \nrating: general\nartist: <|empty|>\ncharacters: hatsune miku\ncopyrights: vocaloid\n"
            "aspect ratio: 0.7\ntarget: <|long|>\ngeneral: 1girl, cat ears<|input_end|>");
}

TEST(KgenPrompt, DanTagGenPromptWithoutSpecialTagsKeepsKgensLeadingComma) {
  KgenTags t;
  t.general = {"cat ears", "blue hair"};
  t.quality = {"masterpiece"};
  EXPECT_EQ(dtg_prompt(t, "short", 1216.0 / 832.0, true),
            "quality: masterpiece\nrating: <|empty|>\nartist: <|empty|>\ncharacters: <|empty|>\n"
            "copyrights: <|empty|>\naspect ratio: 1.5\ntarget: <|short|>\ngeneral: , cat ears, blue hair<|input_end|>");
  EXPECT_EQ(dtg_prompt(t, "short", 1.0, false).rfind("rating: <|empty|>\n", 0), 0u);
}

TEST(KgenPrompt, ParsesTheFirstTagBlockOfATipoAnswer) {
  // parse_tipo_result: a line "sky, :d" has a colon, so it starts a block of its own ("sky, "), and the
  // second tag block is ignored.
  EXPECT_EQ(parse_tipo_tags("<s> rating: general\naspect_ratio: 0.7\ntarget: <|long|>\n"
                            "tag: 1girl, cat ears, smile, outdoors,\nsky, :d\nlong: A girl smiles.\ntag: ignored</s>"),
            (Tags{"1girl", "cat ears", "smile", "outdoors"}));
  // A continuation line without a colon belongs to the tag block.
  EXPECT_EQ(parse_tipo_tags("target: <|long|>\ntag: 1girl,\nsky\nshort: x"), (Tags{"1girl", "sky"}));
  // KGen's str.strip("</s>") would cut this to "smile"; the tag is kept whole.
  EXPECT_EQ(parse_tipo_tags("target: <|short|>\ntag: 1girl, cat ears, smiles"), (Tags{"1girl", "cat ears", "smiles"}));
  EXPECT_EQ(parse_tipo_tags("target: <|short|>"), Tags{});
}

TEST(KgenPrompt, KnowsWhenTheTagBlockIsComplete) {
  EXPECT_FALSE(tipo_tag_block_done("target: <|long|>\ntag: 1girl, smile"));
  EXPECT_FALSE(tipo_tag_block_done("target: <|long|>\ntag: 1girl, smile\nlo"));
  EXPECT_TRUE(tipo_tag_block_done("target: <|long|>\ntag: 1girl, smile\nlong:"));
  EXPECT_FALSE(tipo_tag_block_done("target: <|long|>\nlong: a girl"));
}

TEST(KgenPrompt, ParsesTheTagsAfterInputEndOfADanTagGenAnswer) {
  EXPECT_EQ(parse_dtg_tags("<s> quality: \nrating: general\ngeneral: 1girl, cat ears<|input_end|> smile, , outdoors, sky,</s>"),
            (Tags{"smile", "outdoors", "sky"}));
  EXPECT_EQ(parse_dtg_tags("general: , a<|input_end|>b<|input_end|>c, d"), (Tags{"c", "d"}));
}

TEST(KgenPrompt, LengthsCountsAndAspects) {
  EXPECT_TRUE(check_kgen_length("very_long").ok());
  Status medium = check_kgen_length("medium");
  EXPECT_EQ(medium.message(),
            "length 'medium' is not one TIPO and DanTagGen know (very_short, short, long, very_long); medium is a Dart v2 length");
  EXPECT_EQ(tipo_min_tags("short"), 18);
  EXPECT_EQ(tipo_max_tags("long"), 54);
  EXPECT_EQ(dtg_min_tags("very_short"), 8);
  EXPECT_NEAR(*parse_aspect_value("832:1216"), 0.684, 1e-3);
  EXPECT_DOUBLE_EQ(*parse_aspect_value("16x9"), 16.0 / 9.0);
  EXPECT_DOUBLE_EQ(*parse_aspect_value("0.7"), 0.7);
  EXPECT_FALSE(parse_aspect_value("tall").ok());
  EXPECT_FALSE(parse_aspect_value("0:1").ok());
}

}  // namespace
}  // namespace tagmetry
