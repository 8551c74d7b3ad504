// Caption policy TOML: presets as the issue specifies them, and errors that name the key and line.
#include <gtest/gtest.h>

#include "tagmetry/caption_policy.h"
#include "tagmetry/kohya_caption.h"

namespace tagmetry {
namespace {

TEST(PolicyPresets, DefaultIsHybridAnchor) {
  auto p = load_policy_preset("default");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->name, "hybrid-anchor");
  EXPECT_EQ(p->max_tags, 40);
  EXPECT_EQ(p->kohya.keep_tokens, 1);
  EXPECT_DOUBLE_EQ(p->kohya.caption_tag_dropout_rate, 0.10);
  EXPECT_TRUE(p->kohya.shuffle_caption);
  EXPECT_TRUE(p->kohya.enable_wildcard);
  EXPECT_EQ(p->lines, (std::vector<std::string>{"{TAGS}", "{TAGS}", "{EN_SENTENCE}", "{JA_SENTENCE}"}));
  EXPECT_EQ(p->mode, "multiline_random");
  EXPECT_FALSE(p->sentence_commas);
}

TEST(PolicyPresets, Sd15IsTagHeavy) {
  auto p = load_policy_preset("sd15");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->name, "tag-heavy");
  EXPECT_EQ(p->lines, (std::vector<std::string>{"{TAGS}", "{TAGS}", "{EN_SENTENCE}"}));
  EXPECT_EQ(p->kohya.keep_tokens, 2);
  EXPECT_DOUBLE_EQ(p->kohya.caption_tag_dropout_rate, 0.05);
  EXPECT_EQ(p->max_tags, 35);
}

TEST(PolicyPresets, SdxlIsBalancedHybrid) {
  auto p = load_policy_preset("sdxl");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->name, "balanced-hybrid");
  EXPECT_EQ(p->lines, (std::vector<std::string>{"{TAGS}", "{EN_SENTENCE}", "{EN_SENTENCE_DETAILED}"}));
  EXPECT_EQ(p->max_tags, 45);
}

TEST(PolicyPresets, UnknownPresetListsTheNames) {
  auto p = load_policy_preset("sd3");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "unknown policy preset 'sd3' (presets: default, sd15, sdxl)");
}

TEST(PolicyParse, FullSchema) {
  auto p = parse_caption_policy(R"([caption_policy]
name = "mine"
trigger_token = "zkw"
caption_prefix = "photo"
language_primary = "en"
language_secondary = "ja"
[tagging]
engine = "wd-vit-tagger-v3"
threshold = 0.3
max_tags = 12
remove_underscore = false
undesired_tags = ["rating:*", "simple_background"]
[tags]
always_first = ["1girl"]
core_tags = ["blue_hair"]
drop_if_constant = true
constant_share = 0.8
replacements = { "smile" = "happy", "bad" = "" }
merge_aliases = false
remove_implied = false
[hybrid]
mode = "single"
lines = ["{TAGS}", "{EN_SENTENCE} and more"]
sentence_commas = true
[train_side_recommendation_kohya]
shuffle_caption = false
keep_tokens = 3
caption_tag_dropout_rate = 0
caption_dropout_rate = 0.05
enable_wildcard = false
)",
                                "mine.toml");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->trigger_token, "zkw");
  EXPECT_EQ(p->caption_prefix, "photo");
  EXPECT_EQ(p->language_secondary, "ja");
  EXPECT_EQ(p->engine, "wd-vit-tagger-v3");
  EXPECT_DOUBLE_EQ(p->threshold, 0.3);
  EXPECT_EQ(p->max_tags, 12);
  EXPECT_FALSE(p->remove_underscore);
  EXPECT_EQ(p->undesired_tags.size(), 2u);
  EXPECT_EQ(p->core_tags, std::vector<std::string>{"blue_hair"});
  EXPECT_TRUE(p->drop_if_constant);
  EXPECT_DOUBLE_EQ(p->constant_share, 0.8);
  ASSERT_EQ(p->replacements.size(), 2u);
  EXPECT_EQ(p->replacements[0], (std::pair<std::string, std::string>{"bad", ""}));
  EXPECT_EQ(p->replacements[1], (std::pair<std::string, std::string>{"smile", "happy"}));
  EXPECT_EQ(p->mode, "single");
  EXPECT_TRUE(p->sentence_commas);
  EXPECT_EQ(p->kohya.keep_tokens, 3);
  EXPECT_DOUBLE_EQ(p->kohya.caption_dropout_rate, 0.05);
  EXPECT_FALSE(p->kohya.enable_wildcard);

  KohyaCaptionParams kp;
  p->kohya.apply_to(kp);
  EXPECT_EQ(kp.keep_tokens, 3);
  EXPECT_FALSE(kp.shuffle_caption);
  EXPECT_DOUBLE_EQ(kp.caption_dropout_rate, 0.05);
  EXPECT_EQ(p->kohya.to_toml(),
            "shuffle_caption = false\nkeep_tokens = 3\ncaption_tag_dropout_rate = 0.0\ncaption_dropout_rate = 0.05\n"
            "enable_wildcard = false\n");
}

std::string error_of(const std::string& toml) {
  auto p = parse_caption_policy(toml, "p.toml");
  return p.ok() ? "(ok)" : p.status().message();
}

TEST(PolicyParse, ErrorsNameTheKeyAndLine) {
  EXPECT_EQ(error_of("[tags]\nalways_first = []\ndrop_if_constnt = true\n"),
            "p.toml:3: [tags] drop_if_constnt: unknown key (keys: always_first, constant_share, core_tags, "
            "drop_if_constant, merge_aliases, remove_implied, replacements)");
  EXPECT_EQ(error_of("[tagging]\n\nmax_tags = \"forty\"\n"), "p.toml:3: [tagging] max_tags: expected an integer");
  EXPECT_EQ(error_of("[tagging]\nthreshold = 1.5\n"), "p.toml:2: [tagging] threshold: must be between 0.0 and 1.0");
  EXPECT_EQ(error_of("[train_side_recommendation_kohya]\nkeep_tokens = -1\n"),
            "p.toml:2: [train_side_recommendation_kohya] keep_tokens: must be between 0 and 1000");
  EXPECT_EQ(error_of("[train_side_recommendation_kohya]\nshuffle_caption = \"yes\"\n"),
            "p.toml:2: [train_side_recommendation_kohya] shuffle_caption: expected true or false");
  EXPECT_EQ(error_of("[hybrid]\nmode = \"random\"\n"),
            "p.toml:2: [hybrid] mode: 'random' is not one of multiline_random, single");
  EXPECT_EQ(error_of("[hybrid]\nlines = [\"{TAGS}\", \"{FR_SENTENCE}\"]\n"),
            "p.toml:2: [hybrid] lines: unknown placeholder '{FR_SENTENCE}' (use {TAGS}, {EN_SENTENCE}, "
            "{EN_SENTENCE_DETAILED}, {JA_SENTENCE})");
  EXPECT_EQ(error_of("[hybrid]\nlines = []\n"), "p.toml:2: [hybrid] lines: needs at least one line");
  EXPECT_EQ(error_of("[tags]\nundesired_tags = [\"x\"]\n").substr(0, 37), "p.toml:2: [tags] undesired_tags: unkn");
  EXPECT_EQ(error_of("[tagging]\nundesired_tags = [\"x\", 3]\n"),
            "p.toml:2: [tagging] undesired_tags: expected an array of strings");
  EXPECT_EQ(error_of("[tags]\nreplacements = { a = 1 }\n"), "p.toml:2: [tags] replacements.a: expected a string");
  EXPECT_EQ(error_of("[tag]\nx = 1\n").substr(0, 35), "p.toml:1: [tag]: unknown table (tab");
  std::string syntax = error_of("[tags\n");
  EXPECT_EQ(syntax.rfind("p.toml: TOML syntax error", 0), 0u) << syntax;
}

TEST(PolicyParse, EmptyFileGivesDefaults) {
  auto p = parse_caption_policy("", "empty.toml");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->lines, std::vector<std::string>{"{TAGS}"});
  EXPECT_EQ(p->kohya.keep_tokens, 1);
}

TEST(Wildcard, Matches) {
  EXPECT_TRUE(wildcard_match("rating:*", "rating:general"));
  EXPECT_TRUE(wildcard_match("*_username", "twitter_username"));
  EXPECT_TRUE(wildcard_match("*hair*", "long_hair_between_eyes"));
  EXPECT_TRUE(wildcard_match("solo", "solo"));
  EXPECT_FALSE(wildcard_match("solo", "solo_focus"));
  EXPECT_FALSE(wildcard_match("rating:*", "ratings"));
  EXPECT_TRUE(wildcard_match("*", ""));
}

}  // namespace
}  // namespace tagmetry
