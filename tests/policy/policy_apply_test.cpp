// Applying policies: tag rules (aliases, implications, replacements, undesired, constant tags, order,
// max_tags), hybrid lines, and golden outputs of each preset on a fixed dataset (tests/policy/data).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "tagmetry/caption_policy.h"
#include "test_support.h"

namespace tagmetry {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::read_all;
using testing::write_all;

TagImplications implications() {
  auto i = TagImplications::parse("# test\nvery_long_hair,long_hair\ngrin,smile\n", "test");
  EXPECT_TRUE(i.ok());
  return *i;
}

TEST(PolicyTags, CleaningRules) {
  CaptionPolicy p;
  p.undesired_tags = {"rating:*", "highres", "*_username"};
  p.replacements = {{"shirt", "t-shirt"}, {"watermark", ""}};
  p.trigger_token = "zkw";
  TagImplications imp = implications();
  PolicyResources res;
  res.implications = &imp;
  auto out = clean_policy_tags(p,
                               {"zkw", "Long Hair", "very_long_hair", "long_hair", "rating:general", "highres",
                                "twitter_username", "shirt", "watermark", "grin", "smile", "solo", "solo"},
                               res);
  EXPECT_EQ(out, (std::vector<std::string>{"very_long_hair", "t-shirt", "grin", "solo"}));
}

TEST(PolicyTags, OrderCoreConstantAndMaxTags) {
  CaptionPolicy p;
  p.always_first = {"1girl", "solo"};
  p.core_tags = {"blue_hair"};
  p.drop_if_constant = true;
  p.max_tags = 4;
  PolicyResources res;
  auto out = select_policy_tags(p, {"smile", "blue_hair", "solo", "white_shirt", "1girl", "skirt", "outdoors"}, res,
                                {"white_shirt", "blue_hair"});
  // always_first, then core (kept although constant), then the rest without constant tags, cut at 4.
  EXPECT_EQ(out, (std::vector<std::string>{"1girl", "solo", "blue_hair", "smile"}));
}

TEST(PolicyLines, TriggerPrefixAndPlaceholders) {
  CaptionPolicy p;
  p.trigger_token = "zkw";
  p.caption_prefix = "anime screencap";
  p.lines = {"{TAGS}", "{EN_SENTENCE}", "photo: {EN_SENTENCE}", "{JA_SENTENCE}"};
  auto lines = render_policy_lines(p, {"1girl", "long_hair", "^_^", "smile"}, {});
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "zkw, anime screencap, 1girl, long hair, ^_^, smile");
  EXPECT_EQ(lines[1], "zkw, anime screencap, a girl with long hair smiling");
  EXPECT_EQ(lines[2], "zkw, anime screencap, photo: a girl with long hair smiling");
  EXPECT_EQ(lines[3], "zkw, anime screencap, 長髪の女の子、微笑み");
  p.mode = "single";
  EXPECT_EQ(render_policy_lines(p, {"1girl"}, {}).size(), 1u);
  // Nothing recognised for a sentence: the tag line stands in.
  p.mode = "multiline_random";
  p.caption_prefix.clear();
  lines = render_policy_lines(p, {"highres"}, {});
  EXPECT_EQ(lines[1], "zkw, highres");
}

void make_dataset(const TempDir& dir) {
  for (auto& e : fs::directory_iterator(testing::test_source_path("policy/data/captions"))) {
    fs::copy_file(e.path(), dir / e.path().filename().string());
    fs::path img = dir / e.path().filename();
    img.replace_extension(".png");
    write_all(img, "png placeholder");  // pairing only; policies never decode images
  }
}

class PresetGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(PresetGolden, MatchesGoldenCaptions) {
  const std::string preset = GetParam();
  TempDir dir;
  make_dataset(dir);
  auto r = testing::run_cli({"policy", "apply", dir.path().string(), "--preset", preset, "--trigger", "zkw",
                             "--no-tags-db"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::path golden = testing::test_source_path("policy/data/golden/" + preset);
  const bool update = std::getenv("TAGMETRY_UPDATE_GOLDEN") != nullptr;
  for (int i = 1; i <= 5; ++i) {
    std::string name = "img" + std::to_string(i) + ".txt";
    std::string got = read_all(dir / name);
    if (update) {
      fs::create_directories(golden);
      std::ofstream(golden / name, std::ios::binary) << got;
      continue;
    }
    EXPECT_EQ(got, read_all(golden / name)) << preset << "/" << name;
    // The original was saved before the first rewrite.
    EXPECT_EQ(read_all(dir / ".tagmetry/originals" / name),
              read_all(testing::test_source_path("policy/data/captions/" + name)));
  }
  // Re-applying the same policy changes nothing.
  r = testing::run_cli({"policy", "apply", dir.path().string(), "--preset", preset, "--trigger", "zkw", "--no-tags-db",
                        "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["changed"], 0);
}

INSTANTIATE_TEST_SUITE_P(Presets, PresetGolden, ::testing::Values("default", "sd15", "sdxl"));

TEST(PolicyCli, SwitchingPresetsStartsFromTheOriginals) {
  TempDir dir;
  make_dataset(dir);
  ASSERT_EQ(testing::run_cli({"policy", "apply", dir.path().string(), "--preset", "sdxl", "--trigger", "abc",
                              "--no-tags-db"}).exit_code, 0);
  ASSERT_EQ(testing::run_cli({"policy", "apply", dir.path().string(), "--preset", "sd15", "--trigger", "zkw",
                              "--no-tags-db"}).exit_code, 0);
  for (int i = 1; i <= 5; ++i) {
    std::string name = "img" + std::to_string(i) + ".txt";
    EXPECT_EQ(read_all(dir / name), read_all(testing::test_source_path("policy/data/golden/sd15/" + name))) << name;
  }
}

TEST(PolicyCli, DryRunWritesNothingAndJsonReportsKohyaSettings) {
  TempDir dir;
  make_dataset(dir);
  auto r = testing::run_cli({"policy", "apply", dir.path().string(), "--preset", "sd15", "--trigger", "zkw",
                             "--no-tags-db", "--dry-run", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["policy"], "tag-heavy");
  EXPECT_EQ(j["captions"], 5);
  EXPECT_EQ(j["changed"], 5);
  EXPECT_EQ(j["kohya"]["keep_tokens"], 2);
  EXPECT_EQ(j["changes"][0]["file"], "img1.txt");
  EXPECT_EQ(read_all(dir / "img1.txt"), read_all(testing::test_source_path("policy/data/captions/img1.txt")));
  EXPECT_FALSE(fs::exists(dir / ".tagmetry"));
}

TEST(PolicyCli, PolicyFileDropsConstantTagsAndReportsErrors) {
  TempDir dir;
  make_dataset(dir);
  write_all(dir / "p.toml", "[caption_policy]\ntrigger_token = \"zkw\"\n[tags]\ndrop_if_constant = true\n"
                            "constant_share = 0.4\nalways_first = []\n[hybrid]\nlines = [\"{TAGS}\"]\n");
  auto r = testing::run_cli({"policy", "apply", dir.path().string(), "--policy", (dir / "p.toml").string(),
                             "--no-tags-db", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  // In >= 2 of the 5 images after cleaning (grin implies smile, so img3's smile is gone).
  EXPECT_EQ(j["constant_tags"], (std::vector<std::string>{"1girl", "solo", "outdoors"}));
  EXPECT_EQ(read_all(dir / "img2.txt"), "zkw, short hair, red hair, red eyes, white shirt, pleated skirt, blush, indoors, "
                                        "classroom, sitting, rating:sensitive");
  write_all(dir / "bad.toml", "[tags]\nmax_tags = 3\n");
  r = testing::run_cli({"policy", "apply", dir.path().string(), "--policy", (dir / "bad.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.toml:2: [tags] max_tags: unknown key"), std::string::npos) << r.err;
  r = testing::run_cli({"policy", "apply", dir.path().string()});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(PolicyCli, ShowPrintsThePresetFile) {
  auto r = testing::run_cli({"policy", "show", "sd15"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto parsed = parse_caption_policy(r.out, "shown");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->name, "tag-heavy");
  EXPECT_EQ(testing::run_cli({"policy", "show", "nope"}).exit_code, 2);
}

}  // namespace
}  // namespace tagmetry
