// Prompt building, golden cases written from the models' published conventions (data/prompt/*.toml cite
// them): the tag order, quality and rating tags, escaping, LoRA syntax, sizes.
#include <gtest/gtest.h>

#include "tagmetry/prompt.h"
#include "tagmetry/strings.h"
#include "test_support.h"

namespace tagmetry {
namespace {

using testing::take;

const PromptBuilder& builder() {
  static std::unique_ptr<PromptBuilder> b = take(PromptBuilder::open(PromptParams{}));
  return *b;
}

PromptResult build(const std::string& style, const std::string& input, PromptParams p = {}) {
  p.style = style;
  return take(builder().build(p, input));
}

// The Animagine XL 4.0 model card's own example, given in scrambled order, comes back as the card writes it.
TEST(PromptBuilder, Animagine40OrdersLikeTheModelCard) {
  PromptResult r = build("animagine-xl-4.0",
                         "casual, solo, honkai_(series), looking at viewer, firefly_(honkai:_star_rail), outdoors, "
                         "honkai:_star_rail, smile, 1girl, reaching towards viewer, night");
  EXPECT_EQ(r.positive,
            "1girl, firefly \\(honkai: star rail\\), honkai \\(series\\), honkai: star rail, safe, casual, solo, "
            "looking at viewer, outdoors, smile, reaching towards viewer, night, masterpiece, high score, great "
            "score, absurdres");
  EXPECT_EQ(r.size, (ImageSize{832, 1216}));
  EXPECT_EQ(r.sampler, "Euler a");
  EXPECT_EQ(r.steps, 28);
  EXPECT_DOUBLE_EQ(r.cfg, 5.0);
  EXPECT_EQ(join(r.tags, ","),
            "1girl,firefly_(honkai:_star_rail),honkai_(series),honkai:_star_rail,casual,solo,looking_at_viewer,"
            "outdoors,smile,reaching_towards_viewer,night");
  EXPECT_TRUE(r.unmatched.empty());
}

// Animagine XL 3.1: quality tags at the end as the official demo's "Standard v3.1" preset, no rating tag,
// its negative prompt; an already escaped "\(persona 3\)" is not escaped twice.
TEST(PromptBuilder, Animagine31QualitySuffixAndEscapes) {
  PromptResult r =
      build("animagine-xl-3.1", "male focus, persona 3, yuuki makoto \\(persona 3\\), 1boy, black jacket, gun");
  EXPECT_EQ(r.positive,
            "1boy, yuuki makoto \\(persona 3\\), persona 3, male focus, black jacket, gun, masterpiece, best "
            "quality, very aesthetic, absurdres");
  EXPECT_EQ(r.negative,
            "nsfw, lowres, (bad), text, error, fewer, extra, missing, worst quality, jpeg artifacts, low quality, "
            "watermark, unfinished, displeasing, oldest, early, chromatic aberration, signature, extra digits, "
            "artistic error, username, scan, [abstract]");
  EXPECT_DOUBLE_EQ(r.cfg, 7.0);
}

// NoobAI-XL: the card's prefix "masterpiece, best quality, newest, absurdres, highres, safe," in front of
// "<1girl>, <character>, <series>, <artists>, …"; the trigger still first.
TEST(PromptBuilder, NoobAIPrefixAfterTrigger) {
  PromptParams p;
  p.trigger = "mychar";
  PromptResult r = build("noobai-xl", "smile, hatsune_miku, vocaloid, 1girl, wlop", p);
  EXPECT_EQ(r.positive,
            "mychar, masterpiece, best quality, newest, absurdres, highres, safe, 1girl, hatsune miku, vocaloid, "
            "wlop, smile");
  EXPECT_EQ(join(r.tags, ","), "mychar,1girl,hatsune_miku,vocaloid,wlop,smile");
}

TEST(PromptBuilder, TriggerFirstLorasLastAndNoDuplicates) {
  PromptParams p;
  p.trigger = "mychar, my outfit";
  p.loras = {"mychar:0.8", "detail_tweaker", "style:-0.25"};
  PromptResult r = build("animagine-xl-4.0", "mychar, 1girl, smile, masterpiece", p);
  EXPECT_EQ(r.positive,
            "mychar, my outfit, 1girl, safe, smile, masterpiece, high score, great score, absurdres, "
            "<lora:mychar:0.8>, <lora:detail_tweaker:1>, <lora:style:-0.25>");
  EXPECT_EQ(r.positive_text, "mychar, my outfit, 1girl, safe, smile, masterpiece, high score, great score, absurdres");
  ASSERT_EQ(r.loras.size(), 3u);
  EXPECT_EQ(r.loras[1].name, "detail_tweaker");
  EXPECT_DOUBLE_EQ(r.loras[1].weight, 1.0);
  EXPECT_EQ(r.caption(), "mychar, my outfit, 1girl, smile");
}

TEST(PromptBuilder, KaomojiKeepUnderscoresAndBracketsAreEscaped) {
  PromptResult r = build("sd15", "1girl, ^_^, >_<, star_(sky), [abstract], (blue hair:1.2)");
  EXPECT_EQ(r.positive, "masterpiece, best quality, 1girl, ^_^, >_<, star \\(sky\\), \\[abstract\\], (blue hair:1.2)");
  EXPECT_EQ(r.caption(), "1girl, ^_^, >_<, star (sky), [abstract], (blue hair:1.2)");
}

TEST(PromptBuilder, NoneStyleKeepsTheTagsAsGiven) {
  PromptResult r = build("none", "blue_hair, 1girl, star (sky)");
  EXPECT_EQ(r.positive, "1girl, blue_hair, star \\(sky\\)");
  EXPECT_EQ(r.negative, "");
  EXPECT_EQ(r.size, (ImageSize{1024, 1024}));
}

TEST(PromptBuilder, RatingOverrideReplacesTheRequestsRating) {
  PromptParams p;
  p.rating = "sensitive";
  EXPECT_EQ(build("animagine-xl-4.0", "1girl, safe, smile", p).positive,
            "1girl, sensitive, smile, masterpiece, high score, great score, absurdres");
  p.rating = "none";
  EXPECT_EQ(build("animagine-xl-4.0", "1girl, smile", p).positive,
            "1girl, smile, masterpiece, high score, great score, absurdres");
  EXPECT_EQ(build("animagine-xl-4.0", "1girl, nsfw, smile").positive,
            "1girl, nsfw, smile, masterpiece, high score, great score, absurdres");
}

TEST(PromptBuilder, SizesSnapToTheStyle) {
  PromptParams p;
  p.aspect = "16:9";
  EXPECT_EQ(build("animagine-xl-4.0", "1girl", p).size, (ImageSize{1344, 768}));
  p.aspect = "";
  p.size = "1000x1000";
  EXPECT_EQ(build("noobai-xl", "1girl", p).size, (ImageSize{1024, 1024}));
  p.size = "1000x1000";
  EXPECT_EQ(build("none", "1girl", p).size, (ImageSize{1000, 1000}));
  p.aspect = "1:1";
  p.style = "none";
  auto both = builder().build(p, "1girl");
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.status().message(), "give --size or --aspect, not both");
}

TEST(PromptBuilder, OverridesAndNegative) {
  PromptParams p;
  p.sampler = "DPM++ 2M";
  p.scheduler = "Karras";
  p.steps = 30;
  p.cfg = 4.5;
  p.negative = "worst quality";
  PromptResult r = build("illustrious-xl", "1girl", p);
  EXPECT_EQ(r.sampler, "DPM++ 2M");
  EXPECT_EQ(r.scheduler, "Karras");
  EXPECT_EQ(r.steps, 30);
  EXPECT_DOUBLE_EQ(r.cfg, 4.5);
  EXPECT_EQ(r.negative, "worst quality");
  EXPECT_EQ(r.positive, "masterpiece, best quality, highres, absurdres, newest, 1girl");
}

TEST(PromptBuilder, UnknownTagsAreKeptAndReported) {
  PromptResult r = build("animagine-xl-4.0", "1girl, glowingfoobar_hat");
  EXPECT_EQ(r.positive, "1girl, safe, glowingfoobar hat, masterpiece, high score, great score, absurdres");
  EXPECT_EQ(r.unmatched, std::vector<std::string>{"glowingfoobar_hat"});
}

TEST(PromptBuilder, CaptionFileInput) {
  testing::TempDir dir;
  testing::write_all(dir / "img001.txt", "mychar, solo, blue hair, 1girl ||| smile\nsecond line ignored\n");
  PromptParams p;
  p.trigger = "mychar";
  PromptResult r = build("animagine-xl-3.1", (dir / "img001.txt").string(), p);
  EXPECT_EQ(r.positive, "mychar, 1girl, solo, blue hair, smile, masterpiece, best quality, very aesthetic, absurdres");
}

TEST(PromptBuilder, BadLoraAndEmptyInput) {
  PromptParams p;
  p.style = "none";
  p.loras = {"mychar:strong"};
  auto r = builder().build(p, "1girl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "--lora 'mychar:strong': the weight after ':' is not a number (NAME[:WEIGHT])");
  p.loras.clear();
  p.input = "tags";
  auto empty = builder().build(p, " , ");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "no tags given: give a request (青い髪の女の子), tags or a caption file");
}

TEST(PromptBuilder, EscapeA1111) {
  EXPECT_EQ(escape_a1111("hatsune miku (vocaloid)"), "hatsune miku \\(vocaloid\\)");
  EXPECT_EQ(escape_a1111("hatsune miku \\(vocaloid\\)"), "hatsune miku \\(vocaloid\\)");
  EXPECT_EQ(escape_a1111("(smile:1.3)"), "(smile:1.3)");
  EXPECT_EQ(escape_a1111("(o)_(o)"), "\\(o\\)_\\(o\\)");
  EXPECT_EQ(lora_prompt({"a", 0.8}), "<lora:a:0.8>");
  EXPECT_EQ(lora_prompt({"a", 1.0}), "<lora:a:1>");
}

// The example: a Japanese request through ja2tags (needs MeCab's IPAdic).
TEST(PromptBuilder, JapaneseRequest) {
  PromptParams p;
  p.style = "animagine-xl-3.1";
  p.trigger = "mychar";
  p.loras = {"mychar:0.8"};
  auto r = builder().build(p, "青い髪の女の子が桜の下で笑っている。眼鏡なし");
  if (!r.ok() && r.status().message().find("MeCab") != std::string::npos) GTEST_SKIP() << r.status().message();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->positive,
            "mychar, 1girl, smile, blue hair, cherry blossoms, masterpiece, best quality, very aesthetic, absurdres, "
            "<lora:mychar:0.8>");
  EXPECT_EQ(r->negative.substr(r->negative.size() - 19), "[abstract], glasses");
  EXPECT_EQ(join(r->tags, ","), "mychar,1girl,smile,blue_hair,cherry_blossoms");
}

}  // namespace
}  // namespace tagmetry
