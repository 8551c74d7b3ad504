// Prompt style TOML: the shipped styles load, and bad files give errors naming the file, line and key.
#include "tagmetry/prompt_style.h"

#include <gtest/gtest.h>

#include "tagmetry/strings.h"
#include "test_support.h"

namespace tagmetry {
namespace {

using testing::take;

TEST(PromptStyle, EveryShippedStyleLoads) {
  for (auto& name : prompt_style_names()) {
    auto s = load_prompt_style(name);
    ASSERT_TRUE(s.ok()) << name << ": " << s.status().message();
    EXPECT_EQ(s->name, name);
  }
}

TEST(PromptStyle, Animagine40CarriesTheModelCardSettings) {
  PromptStyle s = take(load_prompt_style("animagine-xl-4.0"));
  EXPECT_EQ(join(s.quality, ", "), "masterpiece, high score, great score, absurdres");
  EXPECT_EQ(s.rating, "safe");
  EXPECT_EQ(s.sampler, "Euler a");
  EXPECT_EQ(s.steps, 28);
  EXPECT_DOUBLE_EQ(s.cfg, 5.0);
  EXPECT_EQ(s.size, (ImageSize{832, 1216}));
  EXPECT_EQ(s.negative.substr(0, 40), "lowres, bad anatomy, bad hands, text, er");
}

TEST(PromptStyle, UnknownNameListsTheStyles) {
  auto s = load_prompt_style("animagine-5");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "unknown prompt style 'animagine-5' (styles: animagine-xl-3.1, animagine-xl-4.0, noobai-xl, "
            "illustrious-xl, sd15, none, or a .toml file)");
}

TEST(PromptStyle, ErrorsNameFileLineAndKey) {
  auto bad_key = parse_prompt_style("[prompt]\nquality = []\nqualty = [\"x\"]\n", "mine.toml");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.status().message().substr(0, 44), "mine.toml:3: [prompt] qualty: unknown key (k");

  auto missing_group = parse_prompt_style("[prompt]\norder = [\"trigger\", \"general\"]\n", "mine.toml");
  ASSERT_FALSE(missing_group.ok());
  EXPECT_EQ(missing_group.status().message(),
            "mine.toml:2: [prompt] order: must list the group 'quality' exactly once");

  auto bad_size = parse_prompt_style("[generation]\nsize = \"832x\"\n", "mine.toml");
  ASSERT_FALSE(bad_size.ok());
  EXPECT_EQ(bad_size.status().message(),
            "mine.toml:2: [generation] size: '832x' is not a size WIDTHxHEIGHT (e.g. 832x1216)");

  auto not_listed = parse_prompt_style("[generation]\nsize = \"800x800\"\nsizes = [\"1024x1024\"]\n", "mine.toml");
  ASSERT_FALSE(not_listed.ok());
  EXPECT_EQ(not_listed.status().message(), "mine.toml:2: [generation] size: not one of [generation] sizes");
}

TEST(PromptStyle, NearestSizeByAspectThenArea) {
  PromptStyle s = take(load_prompt_style("animagine-xl-3.1"));
  EXPECT_EQ(nearest_size(s, 2.0 / 3.0), (ImageSize{832, 1216}));
  EXPECT_EQ(nearest_size(s, 16.0 / 9.0), (ImageSize{1344, 768}));
  EXPECT_EQ(nearest_size(s, 1.0), (ImageSize{1024, 1024}));
  EXPECT_EQ(nearest_size(s, ImageSize{1920, 1080}), (ImageSize{1344, 768}));
  EXPECT_EQ(nearest_size(s, ImageSize{600, 1600}), (ImageSize{640, 1536}));
  PromptStyle none = take(load_prompt_style("none"));
  EXPECT_EQ(nearest_size(none, ImageSize{1001, 777}), (ImageSize{1000, 776}));
  EXPECT_EQ(nearest_size(none, 1.0), (ImageSize{1024, 1024}));
  EXPECT_EQ(nearest_size(none, 2.0 / 3.0), (ImageSize{832, 1280}));
}

TEST(PromptStyle, ParsesSizesAndAspects) {
  EXPECT_EQ(take(parse_image_size("832x1216")), (ImageSize{832, 1216}));
  EXPECT_EQ(take(parse_image_size("832X1216")), (ImageSize{832, 1216}));
  EXPECT_FALSE(parse_image_size("10x10").ok());
  EXPECT_DOUBLE_EQ(take(parse_aspect("2:3")), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(take(parse_aspect("1.5")), 1.5);
  EXPECT_EQ(parse_aspect("2:0").status().message(), "'2:0' is not an aspect ratio W:H (e.g. 2:3)");
}

}  // namespace
}  // namespace tagmetry
