// Sentence rules: subjects, hair, clothing, expression, pose, setting; commas on/off; Japanese.
#include <gtest/gtest.h>

#include "tagmetry/sentences.h"

namespace tagmetry {
namespace {

const std::vector<std::string> kIssueTags = {"1girl", "solo", "long_hair", "blue_hair", "school_uniform",
                                             "smile", "outdoors", "cherry_blossoms"};

TEST(Sentences, IssueExample) {
  SentenceOptions commas;
  commas.commas = true;
  EXPECT_EQ(english_sentence(kIssueTags, commas),
            "a girl with long blue hair in a school uniform, smiling, outdoors under cherry blossoms");
  EXPECT_EQ(japanese_sentence(kIssueTags), "青い長髪の制服の女の子、屋外、桜、微笑み");
}

TEST(Sentences, NoCommasSurviveKohyaSplit) {
  SentenceOptions o;
  o.commas = false;
  std::string s = english_sentence(kIssueTags, o);
  EXPECT_EQ(s, "a girl with long blue hair in a school uniform smiling outdoors under cherry blossoms");
  EXPECT_EQ(s.find(','), std::string::npos);
  std::string d = english_sentence_detailed(
      {"1girl", "long_hair", "ponytail", "red_eyes", "white_shirt", "pleated_skirt", "hair_ribbon", "smile", "blush",
       "standing", "looking_at_viewer", "classroom", "upper_body"},
      o);
  EXPECT_EQ(d.find(','), std::string::npos) << d;
  EXPECT_EQ(japanese_sentence(kIssueTags, o).find(','), std::string::npos);
}

TEST(Sentences, Detailed) {
  SentenceOptions o;
  o.commas = true;
  EXPECT_EQ(english_sentence_detailed({"1girl", "long_hair", "ponytail", "red_eyes", "white_shirt", "pleated_skirt",
                                       "hair_ribbon", "smile", "blush", "standing", "looking_at_viewer", "classroom",
                                       "upper_body"},
                                      o),
            "a girl with long hair in a ponytail and red eyes wearing a white shirt, a pleated skirt and a hair ribbon, "
            "smiling and blushing, standing and looking at the viewer, in a classroom, upper body view");
}

TEST(Sentences, Subjects) {
  SentenceOptions o;
  EXPECT_EQ(english_sentence({"2girls", "multiple_girls", "beach"}, o), "two girls, on a beach");
  EXPECT_EQ(english_sentence({"1girl", "1boy", "night"}, o), "a girl and a boy, at night");
  EXPECT_EQ(english_sentence({"6+boys", "multiple_boys"}, o), "several boys");
  EXPECT_EQ(english_sentence({"no_humans", "scenery", "forest"}, o), "a scene, in a forest");
  EXPECT_EQ(english_sentence({"blue_hair", "kimono"}, o), "a person with blue hair in a kimono");
  EXPECT_EQ(english_sentence({"highres", "absurdres"}, o), "");  // nothing to say
  EXPECT_EQ(japanese_sentence({"2girls", "night"}), "二人の女の子、夜");
  EXPECT_EQ(japanese_sentence({"1girl", "1boy", "black_hair"}), "黒い髪の女の子と男の子");
}

TEST(Sentences, HairEyesClothingRules) {
  SentenceParts p = analyze_tags({"1girl", "long hair", "very_long_hair", "blonde_hair", "blue_eyes", "serafuku",
                                  "black_thighhighs", "glasses", "grin", "sitting", "holding_umbrella",
                                  "white_background", "full_body"});
  EXPECT_EQ(p.subject, "a girl");
  EXPECT_EQ(p.hair, "very long blonde hair");  // the longest length tag wins
  EXPECT_EQ(p.eyes, "blue eyes");
  EXPECT_EQ(p.clothing, (std::vector<std::string>{"a sailor uniform", "black thighhighs"}));
  EXPECT_EQ(p.accessories, std::vector<std::string>{"glasses"});
  EXPECT_EQ(p.expression, std::vector<std::string>{"grinning"});
  EXPECT_EQ(p.pose, (std::vector<std::string>{"sitting", "holding an umbrella"}));
  EXPECT_EQ(p.setting, std::vector<std::string>{"on a white background"});
  EXPECT_EQ(p.framing, "full body view");
  EXPECT_EQ(japanese_sentence({"1girl", "short_hair", "serafuku", "night"}), "短髪のセーラー服の女の子、夜");
}

}  // namespace
}  // namespace tagmetry
