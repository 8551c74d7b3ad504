// PNG text chunks and A1111's infotext format (processing.py create_infotext, infotext_utils.quote).
#include "tagmetry/png_text.h"

#include <gtest/gtest.h>

#include "fake_generators.h"
#include "tagmetry/image.h"
#include "test_support.h"

namespace tagmetry {
namespace {

using testing::take;

TEST(PngText, LatinOneTextGoesIntoTEXtAfterIhdr) {
  std::string png = testing::tiny_png();
  std::string out = take(set_png_text(png, "parameters", "1girl, café\nSteps: 20"));
  EXPECT_EQ(png_text_chunk_type(out, "parameters"), "tEXt");
  EXPECT_EQ(take(png_text(out, "parameters")), "1girl, café\nSteps: 20");
  // Right after the 8-byte signature and the 25-byte IHDR chunk: length, "tEXt", keyword NUL Latin-1 text.
  EXPECT_EQ(out.substr(33 + 4, 4), "tEXt");
  EXPECT_EQ(out.substr(33 + 8, 32), std::string("parameters\0"
                                                "1girl, caf\xE9\nSteps: 20",
                                                32));
  EXPECT_EQ(out.size(), png.size() + 12 + 32);
  // Still a PNG every decoder reads (CRC right).
  testing::TempDir dir;
  testing::write_all(dir / "a.png", out);
  auto img = load_rgb(dir / "a.png");
  ASSERT_TRUE(img.ok()) << img.status().message();
  EXPECT_EQ(img->width, 8);
}

TEST(PngText, JapaneseGoesIntoUncompressedITXtAndReplacesTheOldChunk) {
  std::string png = take(set_png_text(testing::tiny_png(), "parameters", "old"));
  std::string out = take(set_png_text(png, "parameters", "青い髪"));
  EXPECT_EQ(png_text_chunk_type(out, "parameters"), "iTXt");
  EXPECT_EQ(take(png_text(out, "parameters")), "青い髪");
  EXPECT_EQ(out.substr(33 + 8, 15 + 9), std::string("parameters\0\0\0\0\0", 15) + "青い髪");
  EXPECT_EQ(out.find("old"), std::string::npos);
}

TEST(PngText, NotAPng) {
  auto r = set_png_text("GIF89a", "parameters", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "not a PNG (no PNG signature)");
}

TEST(Infotext, A1111Format) {
  Infotext i;
  i.prompt = "mychar, 1girl, <lora:mychar:0.8>";
  i.negative = "lowres, bad anatomy";
  i.steps = 28;
  i.sampler = "Euler a";
  i.scheduler = "Automatic";
  i.cfg = 5;
  i.seed = 3000000000;
  i.width = 832;
  i.height = 1216;
  i.model_hash = "6327eca98b";
  i.model = "animagine-xl-4.0-opt";
  i.lora_hashes = "mychar: 0123456789ab";
  EXPECT_EQ(format_infotext(i),
            "mychar, 1girl, <lora:mychar:0.8>\nNegative prompt: lowres, bad anatomy\nSteps: 28, Sampler: Euler a, "
            "Schedule type: Automatic, CFG scale: 5, Seed: 3000000000, Size: 832x1216, Model hash: 6327eca98b, Model: "
            "animagine-xl-4.0-opt, Lora hashes: \"mychar: 0123456789ab\"");
  i.negative = "";
  i.cfg = 5.5;
  i.model_hash = "";
  i.lora_hashes = "";
  i.model = "a, b";
  EXPECT_EQ(format_infotext(i),
            "mychar, 1girl, <lora:mychar:0.8>\nSteps: 28, Sampler: Euler a, Schedule type: Automatic, CFG scale: 5.5, "
            "Seed: 3000000000, Size: 832x1216, Model: \"a, b\"");
}

TEST(Infotext, ParsesTheParametersLine) {
  auto kv = parse_infotext_parameters(
      "p\nNegative prompt: n\nSteps: 28, Sampler: Euler a, Lora hashes: \"a: 1, b: 2\", Version: v1");
  ASSERT_EQ(kv.size(), 4u);
  EXPECT_EQ(kv[2].first, "Lora hashes");
  EXPECT_EQ(kv[2].second, "a: 1, b: 2");
  EXPECT_TRUE(parse_infotext_parameters("just a prompt").empty());
  EXPECT_EQ(quote_infotext_value("x: \"y\""), "\"x: \\\"y\\\"\"");
}

}  // namespace
}  // namespace tagmetry
