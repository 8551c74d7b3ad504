// The Dart v2 prompt, checked against the examples in p1atdev/dartrs src/prompt.rs (test_compose_prompt,
// test_compose_prompt_no_completion) and the thresholds of danbooru-tags-transformer src/aspect_ratio.py.
#include "tagmetry/dart_prompt.h"

#include <gtest/gtest.h>

namespace tagmetry {
namespace {

TEST(DartPrompt, SftPromptMatchesDartrsExample) {
  DartPromptParts p;
  p.copyrights = {"vocaloid"};
  p.characters = {"hatsune miku"};
  p.general = {"1girl", "blue hair"};
  p.rating = "sfw";
  p.aspect = "tall";
  p.length = "long";
  p.identity = "none";
  EXPECT_EQ(dart_prompt(p),
            "<|bos|><copyright>vocaloid</copyright><character>hatsune miku</character>"
            "<|rating:sfw|><|aspect_ratio:tall|><|length:long|>"
            "<general>1girl, blue hair<|identity:none|><|input_end|>");
}

TEST(DartPrompt, BasePromptEndsAfterTheGeneralTags) {
  DartPromptParts p;
  p.copyrights = {"vocaloid"};
  p.characters = {"hatsune miku"};
  p.general = {"1girl"};
  p.rating = "sfw";
  p.aspect = "tall";
  p.length = "long";
  p.sft = false;
  EXPECT_EQ(dart_prompt(p),
            "<|bos|><copyright>vocaloid</copyright><character>hatsune miku</character>"
            "<|rating:sfw|><|aspect_ratio:tall|><|length:long|><general>1girl");
}

TEST(DartPrompt, EmptySectionsStayAsEmptyPairs) {
  DartPromptParts p;
  p.general = {"1girl", "cat ears"};
  p.rating = "general";
  p.aspect = "square";
  p.length = "very_long";
  p.identity = "lax";
  EXPECT_EQ(dart_prompt(p),
            "<|bos|><copyright></copyright><character></character><|rating:general|><|aspect_ratio:square|>"
            "<|length:very_long|><general>1girl, cat ears<|identity:lax|><|input_end|>");
}

TEST(DartPrompt, AspectRatioThresholds) {
  EXPECT_EQ(dart_aspect_ratio(512, 1024), "ultra_tall");   // 1/2 is still ultra_tall
  EXPECT_EQ(dart_aspect_ratio(513, 1024), "tall");
  EXPECT_EQ(dart_aspect_ratio(832, 1216), "tall");
  EXPECT_EQ(dart_aspect_ratio(800, 900), "tall");          // 8/9 is still tall
  EXPECT_EQ(dart_aspect_ratio(1, 1), "square");
  EXPECT_EQ(dart_aspect_ratio(1124, 1000), "square");
  EXPECT_EQ(dart_aspect_ratio(1125, 1000), "wide");        // 9/8 is wide
  EXPECT_EQ(dart_aspect_ratio(16, 9), "wide");
  EXPECT_EQ(dart_aspect_ratio(2, 1), "ultra_wide");
}

TEST(DartPrompt, ParsesAspectArguments) {
  EXPECT_EQ(*parse_dart_aspect("832:1216"), "tall");
  EXPECT_EQ(*parse_dart_aspect("1216x832"), "wide");
  EXPECT_EQ(*parse_dart_aspect("16:9"), "wide");
  EXPECT_EQ(*parse_dart_aspect("Square"), "square");
  auto bad = parse_dart_aspect("wide-ish");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "aspect 'wide-ish': expected W:H (832:1216, 16:9), WxH, or one of ultra_wide, wide, square, tall, ultra_tall");
  EXPECT_FALSE(parse_dart_aspect("0:5").ok());
}

TEST(DartPrompt, ValidatesChoicesAndLengthCaps) {
  EXPECT_TRUE(check_dart_rating("explicit").ok());
  auto bad = check_dart_rating("safe");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message(), "unknown rating 'safe' (choose sfw, general, sensitive, nsfw, questionable, explicit)");
  EXPECT_FALSE(check_dart_length("medium_long").ok());
  EXPECT_FALSE(check_dart_identity("loose").ok());
  EXPECT_EQ(dart_length_cap("very_short"), 9);
  EXPECT_EQ(dart_length_cap("long"), 39);
}

}  // namespace
}  // namespace tagmetry
