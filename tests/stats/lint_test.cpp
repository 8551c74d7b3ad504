// tagmetry lint: a fixture dataset containing each problem exactly once; the JSON findings are checked
// rule by rule (severity, files), and the exit code is 1 because some findings are errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <random>

#include "png_fixture.h"
#include "tagmetry/image_encode.h"
#include "test_support.h"

namespace tagmetry {
namespace {

using testing::TempDir;
using testing::write_all;
using testing::write_png;

const char* kTagList =
    "1girl,0,6000000,\nsolo,0,5000000,\nsmile,0,3000000,\nlong_hair,0,4000000,\nblue_hair,0,900000,\n"
    "blue_eyes,0,1000000,\nshort_hair,0,2000000,\ndog,0,50000,\n";

// Every image is 64x64 with its own fill (unique content) unless the rule needs otherwise.
void make_fixture(const TempDir& dir) {
  uint8_t fill = 1;
  auto image = [&](const std::string& name, int w = 64, int h = 64) { write_png(dir / name, w, h, fill++); };
  image("good1.png");
  write_all(dir / "good1.txt", "zkw, 1girl, solo, long_hair");
  image("good2.png");
  write_all(dir / "good2.txt", "zkw, 1girl, solo, smile");
  image("nocaption.png");                                   // missing-caption
  write_all(dir / "orphan.txt", "zkw, 1girl");              // orphan-caption
  image("badtext.png");
  write_all(dir / "badtext.txt", std::string("zkw, \xff\xfe"));  // unreadable-caption
  image("empty.png");
  write_all(dir / "empty.txt", "  \n");                     // empty-caption
  image("dup.png");
  write_all(dir / "dup.txt", "zkw, 1girl, smile, smile");   // duplicate-tag
  image("long.png");
  std::string digits;
  for (int i = 0; i < 80; ++i) digits += char('0' + i % 10);
  write_all(dir / "long.txt", "zkw, 1girl, " + digits);      // caption-too-long: every digit is a CLIP token
  image("notrigger.png");
  write_all(dir / "notrigger.txt", "1girl, solo");          // trigger-missing
  image("late.png");
  write_all(dir / "late.txt", "1girl, zkw, solo");          // trigger-not-first
  image("typo.png");
  write_all(dir / "typo.txt", "zkw, 1girl, blue_hiar");     // unknown-tag → blue_hair
  image("spaces.png");
  write_all(dir / "spaces.txt", "zkw, 1girl, short hair");  // mixed-underscores
  write_all(dir / "broken.png", "this is not a png");       // unreadable-image
  write_all(dir / "broken.txt", "zkw, 1girl, solo");
  write_png(dir / "small.png", 32, 32, 200);                // image-too-small (resolution 64)
  write_all(dir / "small.txt", "zkw, 1girl, solo");
  write_png(dir / "copy_a.png", 64, 64, 222);               // duplicate-image
  write_png(dir / "copy_b.png", 64, 64, 222);
  write_all(dir / "copy_a.txt", "zkw, 1girl, solo");
  write_all(dir / "copy_b.txt", "zkw, 1girl, smile");
  write_all(dir / "tags.csv", kTagList);
  // caption-extension: kohya's default is .caption and the config does not change it.
  write_all(dir / "dataset_config.toml", "[general]\nshuffle_caption = true\n\n[[datasets]]\nresolution = 64\n\n"
                                        "[[datasets.subsets]]\nimage_dir = \".\"\nnum_repeats = 10\n");
}

std::map<std::string, std::vector<nlohmann::json>> by_rule(const nlohmann::json& j) {
  std::map<std::string, std::vector<nlohmann::json>> m;
  for (auto& f : j["findings"]) m[f["rule"]].push_back(f);
  return m;
}

using Files = std::vector<std::string>;

TEST(LintCli, EachProblemFoundOnceWithItsFiles) {
  TempDir dir;
  make_fixture(dir);
  auto r = testing::run_cli({"lint", dir.path().string(), "--trigger", "zkw", "--resolution", "64", "--config",
                             (dir / "dataset_config.toml").string(), "--tags-db", (dir / "tags.csv").string(),
                             "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // errors present
  auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j.size(), 1u);  // exactly {"findings": [...]}
  auto m = by_rule(j);
  auto one = [&](const std::string& rule, const std::string& severity, const Files& files) {
    SCOPED_TRACE(rule);
    ASSERT_EQ(m[rule].size(), 1u) << r.out;
    const auto& f = m[rule][0];
    EXPECT_EQ(f["severity"], severity);
    EXPECT_EQ(f["files"].get<Files>(), files);
    EXPECT_FALSE(f["message"].get<std::string>().empty());
    EXPECT_EQ(f.size(), 4u);  // rule, severity, message, files
  };
  one("missing-caption", "warning", {"nocaption.png"});
  one("orphan-caption", "warning", {"orphan.txt"});
  one("unreadable-caption", "error", {"badtext.txt"});
  one("empty-caption", "error", {"empty.txt"});
  one("duplicate-tag", "warning", {"dup.txt"});
  one("caption-too-long", "warning", {"long.txt"});
  one("trigger-missing", "error", {"notrigger.txt"});
  one("trigger-not-first", "warning", {"late.txt"});
  one("mixed-underscores", "warning", {"spaces.txt"});
  one("caption-extension", "error", {});
  one("unreadable-image", "error", {"broken.png"});
  one("image-too-small", "warning", {"small.png"});
  one("duplicate-image", "warning", {"copy_a.png", "copy_b.png"});
  // unknown-tag: blue_hiar (a typo of a listed tag: warning with a suggestion); the digit run in
  // long.txt is unknown too (no close tag: info).
  ASSERT_GE(m["unknown-tag"].size(), 1u);
  bool typo = false;
  for (auto& f : m["unknown-tag"])
    if (f["files"].get<Files>() == Files{"typo.txt"}) {
      typo = true;
      EXPECT_EQ(f["severity"], "warning");
      EXPECT_NE(f["message"].get<std::string>().find("did you mean 'blue_hair'"), std::string::npos) << f["message"];
    }
  EXPECT_TRUE(typo);
  // No trigger-word findings for a short rare trigger.
  EXPECT_EQ(m.count("trigger-many-tokens"), 0u);
  EXPECT_EQ(m.count("trigger-common-word"), 0u);
  // Rule order is stable: missing-caption first.
  EXPECT_EQ(j["findings"][0]["rule"], "missing-caption");
}

TEST(LintCli, TriggerWordRules) {
  TempDir dir;
  write_png(dir / "a.png", 64, 64, 1);
  write_all(dir / "a.txt", "dog, 1girl");
  auto r = testing::run_cli({"lint", dir.path().string(), "--trigger", "dog", "--no-tags-db", "--json"});
  auto m = by_rule(nlohmann::json::parse(r.out));
  ASSERT_EQ(m["trigger-common-word"].size(), 1u) << r.out;
  EXPECT_EQ(m["trigger-common-word"][0]["severity"], "warning");
  EXPECT_EQ(m.count("trigger-many-tokens"), 0u);
  EXPECT_EQ(r.exit_code, 0);  // warnings only

  write_all(dir / "a.txt", "xqzvkwplmbrt, 1girl");
  r = testing::run_cli({"lint", dir.path().string(), "--trigger", "xqzvkwplmbrt", "--no-tags-db", "--json"});
  m = by_rule(nlohmann::json::parse(r.out));
  ASSERT_EQ(m["trigger-many-tokens"].size(), 1u) << r.out;
  EXPECT_EQ(m.count("trigger-common-word"), 0u);
}

TEST(LintCli, CaptionExtensionMatchingConfigIsClean) {
  TempDir dir;
  write_png(dir / "a.png", 64, 64, 1);
  write_all(dir / "a.txt", "zkw, 1girl");
  write_all(dir / "c.toml", "[[datasets]]\n[[datasets.subsets]]\nimage_dir = \".\"\ncaption_extension = \".txt\"\n");
  auto r = testing::run_cli({"lint", dir.path().string(), "--trigger", "zkw", "--resolution", "64", "--config",
                             (dir / "c.toml").string(), "--no-tags-db", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["findings"].size(), 0u) << r.out;
}

TEST(LintCli, TextOutputAndBadConfig) {
  TempDir dir;
  write_png(dir / "a.png", 64, 64, 1);
  write_all(dir / "a.txt", "");
  auto r = testing::run_cli({"lint", dir.path().string(), "--no-tags-db", "--resolution", "0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("error   empty-caption"), std::string::npos) << r.out;
  write_all(dir / "bad.toml", "[[datasets]\n");
  r = testing::run_cli({"lint", dir.path().string(), "--no-tags-db", "--config", (dir / "bad.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.toml"), std::string::npos) << r.err;
}

// Every image is decoded: a PNG whose header is fine but whose data is cut is an error (kohya would fail
// on it while caching latents). The result is cached per path + size + mtime: an unchanged file is not
// decoded again (the cached answer is used), a changed one is.
TEST(LintCli, FullDecodeFindsCutImagesAndCachesTheAnswer) {
  TempDir dir;
  write_png(dir / "a.png", 64, 64, 1);
  write_all(dir / "a.txt", "zkw, 1girl");
  write_png(dir / "cut.png", 64, 64, 2);
  const std::string png = testing::read_all(dir / "cut.png");
  write_all(dir / "cut.png", png.substr(0, png.size() - 40));
  write_all(dir / "cut.txt", "zkw, 1girl");
  const std::vector<std::string> args = {"lint", dir.path().string(), "--no-tags-db", "--resolution", "0", "--json"};
  auto headers = testing::run_cli({"lint", dir.path().string(), "--no-tags-db", "--resolution", "0", "--json", "--no-decode"});
  EXPECT_EQ(by_rule(nlohmann::json::parse(headers.out)).count("unreadable-image"), 0u) << headers.out;
  EXPECT_FALSE(std::filesystem::exists(dir / ".tagmetry" / "decode-check.tsv"));

  auto r = testing::run_cli(args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto m = by_rule(nlohmann::json::parse(r.out));
  ASSERT_EQ(m["unreadable-image"].size(), 1u) << r.out;
  EXPECT_EQ(m["unreadable-image"][0]["files"].get<Files>(), Files{"cut.png"});
  const std::string message = m["unreadable-image"][0]["message"];
  EXPECT_NE(message.find("cut.png: truncated or damaged image"), std::string::npos) << message;
  EXPECT_NE(message.find("kohya cannot load it"), std::string::npos) << message;

  // The cache answers for unchanged files: plant a different answer and see it come back.
  const auto cache = dir / ".tagmetry" / "decode-check.tsv";
  std::string text = testing::read_all(cache);
  ASSERT_NE(text.find("a.png\t"), std::string::npos) << text;
  size_t end = text.find('\n', text.find("a.png\t"));
  ASSERT_EQ(text[end - 1], '\t');  // a.png decodes: empty error
  text.insert(end, "planted answer");
  write_all(cache, text);
  m = by_rule(nlohmann::json::parse(testing::run_cli(args).out));
  ASSERT_EQ(m["unreadable-image"].size(), 2u);  // ordered by message: cut.png's, then the planted one
  EXPECT_EQ(m["unreadable-image"][1]["files"].get<Files>(), Files{"a.png"});
  EXPECT_EQ(m["unreadable-image"][1]["message"].get<std::string>().substr(0, 14), "planted answer");
  // A changed file is decoded again; --no-cache decodes everything.
  write_png(dir / "a.png", 64, 64, 3);
  std::filesystem::last_write_time(dir / "a.png", std::filesystem::last_write_time(dir / "a.png") + std::chrono::seconds(5));
  m = by_rule(nlohmann::json::parse(testing::run_cli(args).out));
  ASSERT_EQ(m["unreadable-image"].size(), 1u);
  EXPECT_EQ(m["unreadable-image"][0]["files"].get<Files>(), Files{"cut.png"});
}

TEST(LintCli, ImagesSharingACaption) {
  TempDir dir;
  write_png(dir / "a.png", 64, 64, 1);
  write_png(dir / "a.jpg", 64, 64, 2);
  write_all(dir / "a.txt", "zkw, 1girl");
  write_png(dir / "b.png", 64, 64, 3);
  write_all(dir / "b.txt", "zkw, 1girl");
  auto r = testing::run_cli({"lint", dir.path().string(), "--no-tags-db", "--resolution", "0", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  auto m = by_rule(nlohmann::json::parse(r.out));
  ASSERT_EQ(m["shared-caption"].size(), 1u) << r.out;
  EXPECT_EQ(m["shared-caption"][0]["severity"], "error");
  EXPECT_EQ(m["shared-caption"][0]["files"].get<Files>(), (Files{"a.jpg", "a.png"}));
  EXPECT_EQ(m["shared-caption"][0]["message"].get<std::string>().substr(0, 41), "a.jpg and a.png share the caption a.txt: ");
}

// Real-world caption problems: A1111 weights, escaped parentheses, empty tags, multi-line captions
// (trigger on every line, enable_wildcard in the config), repeated tags grouped, encodings named, sks.
TEST(LintCli, RealWorldCaptionRules) {
  TempDir dir;
  uint8_t fill = 1;
  auto caption = [&](const std::string& stem, const std::string& text) {
    write_png(dir / (stem + ".png"), 64, 64, fill++);
    write_all(dir / (stem + ".txt"), text);
  };
  caption("weights", "zkw, (blue hair:1.2), [smile]");
  caption("escaped", "zkw, hatsune miku \\(vocaloid\\)");
  caption("plain", "zkw, hatsune miku (vocaloid)");
  caption("empties", "zkw, 1girl,,  ,");
  caption("lines", "zkw, 1girl\na girl smiling\n");
  caption("sjis", "zkw, \x93\xfa\x96\x7b");
  caption("utf16", std::string("\xff\xfez\0k\0", 6));
  caption("dup1", "zkw, smile, smile");
  caption("dup2", "zkw, 1girl, 1girl");
  write_all(dir / "c.toml", "[[datasets]]\n[[datasets.subsets]]\nimage_dir = \".\"\ncaption_extension = \".txt\"\n");
  auto r = testing::run_cli({"lint", dir.path().string(), "--trigger", "zkw", "--no-tags-db", "--resolution", "0",
                             "--config", (dir / "c.toml").string(), "--json"});
  auto m = by_rule(nlohmann::json::parse(r.out));
  auto one = [&](const std::string& rule, const Files& files, const std::string& text) {
    SCOPED_TRACE(rule);
    ASSERT_EQ(m[rule].size(), 1u) << r.out;
    EXPECT_EQ(m[rule][0]["files"].get<Files>(), files);
    EXPECT_NE(m[rule][0]["message"].get<std::string>().find(text), std::string::npos) << m[rule][0]["message"];
  };
  one("weight-syntax", {"weights.txt"}, "(first: '(blue hair:1.2)')");
  one("escaped-parenthesis", {"escaped.txt"}, "'hatsune miku \\(vocaloid\\)'");
  one("empty-tag", {"empties.txt"}, "1 caption has empty tags");
  one("multiline-no-wildcard", {"lines.txt"}, "does not set enable_wildcard = true");
  one("duplicate-tag", {"dup1.txt", "dup2.txt"}, "2 captions repeat a tag (first: dup1.txt: smile)");
  one("trigger-missing", {"lines.txt"}, "1 multi-line caption lacks the trigger 'zkw' on some line");
  ASSERT_EQ(m["unreadable-caption"].size(), 2u);
  EXPECT_NE(m["unreadable-caption"][0]["message"].get<std::string>().find("it looks like Shift-JIS"), std::string::npos);
  EXPECT_NE(m["unreadable-caption"][1]["message"].get<std::string>().find("it looks like UTF-16"), std::string::npos);
  // enable_wildcard in the config: no finding.
  write_all(dir / "c.toml", "[general]\nenable_wildcard = true\n[[datasets]]\n[[datasets.subsets]]\nimage_dir = \".\"\n"
                            "caption_extension = \".txt\"\n");
  r = testing::run_cli({"lint", dir.path().string(), "--trigger", "zkw", "--no-tags-db", "--resolution", "0",
                        "--config", (dir / "c.toml").string(), "--json"});
  EXPECT_EQ(by_rule(nlohmann::json::parse(r.out)).count("multiline-no-wildcard"), 0u) << r.out;
  // sks: the rifle.
  r = testing::run_cli({"lint", dir.path().string(), "--trigger", "sks", "--no-tags-db", "--resolution", "0", "--json"});
  m = by_rule(nlohmann::json::parse(r.out));
  ASSERT_EQ(m["trigger-common-word"].size(), 1u) << r.out;
  EXPECT_NE(m["trigger-common-word"][0]["message"].get<std::string>().find("SKS rifle"), std::string::npos);
}

// A JPEG with 2,000 random bytes over its middle (as a bad copy or download leaves it): libjpeg only warns
// and would fill the rest with grey, kohya's PIL raises. Lint's full decode calls it an error.
TEST(LintCli, FullDecodeFindsCorruptJpegData) {
  TempDir dir;
  RgbImage im{320, 240, std::vector<uint8_t>(320 * 240 * 3)};
  std::mt19937 rng(7);
  for (auto& p : im.pixels) p = static_cast<uint8_t>(rng());
  auto jpeg = encode_image(im, EncodeOptions{.format = ImageFormat::kJpeg, .quality = 90});
  ASSERT_TRUE(jpeg.ok());
  write_all(dir / "good.jpg", *jpeg);
  std::string bad = *jpeg;
  for (size_t i = bad.size() / 2; i < bad.size() / 2 + 2000 && i + 2 < bad.size(); ++i) bad[i] = static_cast<char>(rng());
  write_all(dir / "garbled.jpg", bad);
  write_all(dir / "good.txt", "zkw, 1girl");
  write_all(dir / "garbled.txt", "zkw, 1girl");
  auto r = testing::run_cli({"lint", dir.path().string(), "--no-tags-db", "--resolution", "0", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto m = by_rule(nlohmann::json::parse(r.out));
  ASSERT_EQ(m["unreadable-image"].size(), 1u) << r.out;
  EXPECT_EQ(m["unreadable-image"][0]["files"].get<Files>(), Files{"garbled.jpg"});
  const std::string message = m["unreadable-image"][0]["message"];
  EXPECT_NE(message.find("garbled.jpg: corrupt JPEG data"), std::string::npos) << message;
}

// kohya's keep_tokens_separator: "zkw ||| 1girl, smile" holds the tags zkw, 1girl and smile, never one tag
// "zkw ||| 1girl"; the trigger is found first.
TEST(LintCli, KeepTokensSeparatorSplitsTags) {
  TempDir dir;
  write_png(dir / "a.png", 64, 64, 1);
  write_all(dir / "a.txt", "zkw ||| 1girl, smile ||| solo");
  write_all(dir / "tags.csv", kTagList);
  auto r = testing::run_cli({"lint", dir.path().string(), "--trigger", "zkw", "--resolution", "0", "--tags-db",
                             (dir / "tags.csv").string(), "--json"});
  auto m = by_rule(nlohmann::json::parse(r.out));
  for (auto& f : m["unknown-tag"]) EXPECT_EQ(f["message"].get<std::string>().find("|||"), std::string::npos) << f;
  EXPECT_TRUE(m["unknown-tag"].empty()) << r.out;  // 1girl, smile, solo are listed; zkw is the trigger
  EXPECT_EQ(m.count("trigger-missing"), 0u) << r.out;
  EXPECT_EQ(m.count("trigger-not-first"), 0u) << r.out;
}

}  // namespace
}  // namespace tagmetry
