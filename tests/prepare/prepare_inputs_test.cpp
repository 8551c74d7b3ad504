// prepare's handling of awkward inputs (B2, A3): corrupt JPEG data, names that share a stem, copies of
// one file, colour variants, images left in subfolders, tiny images.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "tagmetry/prepare.h"
#include "prepare_fixtures.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::run_cli;
using testing::TempDir;
using testing::write_all;
using prepare_fixtures::listing;
using prepare_fixtures::noise;
using prepare_fixtures::write_image;

// A left-to-right gradient through `from` → `to`.
RgbImage gradient(int w, int h, std::array<int, 3> from, std::array<int, 3> to) {
  RgbImage im{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3)};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        im.pixels[(static_cast<size_t>(y) * w + x) * 3 + c] = static_cast<uint8_t>(from[c] + (to[c] - from[c]) * x / (w - 1));
  return im;
}

TEST(PrepareInputs, CorruptJpegDataFailsInsteadOfAHalfGreyImage) {
  TempDir dir;
  auto jpeg = encode_image(noise(320, 240, 7), EncodeOptions{.format = ImageFormat::kJpeg, .quality = 90});
  ASSERT_TRUE(jpeg.ok());
  std::string bytes = *jpeg;
  std::mt19937 rng(3);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 2000; ++i) bytes[i] = static_cast<char>(rng());
  write_all(dir / "in/garbled.jpg", bytes);
  write_image(dir / "in/good.png", noise(40, 40, 1));
  auto r = run_cli({"prepare", (dir / "in").string(), (dir / "out").string(), "--size", "32"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::string message = (dir / "in/garbled.jpg").string() + ": corrupt JPEG data (premature end of data segment)";
  EXPECT_NE(r.err.find("tagmetry: " + message + "\n"), std::string::npos) << r.err;
  EXPECT_EQ(listing(dir / "out"), (std::vector<std::string>{"img001.png", "manifest.csv"}));
  EXPECT_NE(read_all(dir / "out/manifest.csv").find(",garbled.jpg,320,240,"), std::string::npos);
  EXPECT_NE(read_all(dir / "out/manifest.csv").find(",failed," + message + "\n"), std::string::npos);
}

TEST(PrepareInputs, StemCollisionsGetASuffix) {
  TempDir dir;
  const fs::path in = dir / "in";
  write_image(in / "a.png", noise(20, 20, 1));
  write_image(in / "a.jpg", noise(20, 20, 2), ImageFormat::kJpeg);
  write_image(in / "sub/a.png", noise(20, 20, 3));
  write_image(in / "b.png", noise(20, 20, 4));
  auto r = run_cli({"prepare", in.string(), (dir / "out").string(), "--size", "8", "--recursive", "--name-pattern",
                    "{stem}", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  std::map<std::string, std::string> names;
  for (auto& it : j["items"]) names[it["source"]] = it["file"];
  EXPECT_EQ(names, (std::map<std::string, std::string>{
                       {"a.jpg", "a.png"}, {"a.png", "a_2.png"}, {"b.png", "b.png"}, {"sub/a.png", "a_3.png"}}));
  EXPECT_EQ(listing(dir / "out"), (std::vector<std::string>{"a.png", "a_2.png", "a_3.png", "b.png", "manifest.csv"}));
}

TEST(PrepareInputs, DedupeKeepsThePlainestName) {
  TempDir dir;
  const fs::path in = dir / "in";
  write_image(in / "photo_red.jpg", noise(60, 40, 1), ImageFormat::kJpeg);
  for (const char* copy : {"photo_red copy.jpg", "photo_red (1).jpg", "photo_red-2.jpg"})
    write_all(in / copy, read_all(in / "photo_red.jpg"));
  auto r = run_cli({"prepare", in.string(), (dir / "out").string(), "--size", "16", "--dedupe", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["items"].size(), 4u);
  EXPECT_EQ(j["items"][0]["source"], "photo_red.jpg");
  EXPECT_EQ(j["items"][0]["file"], "img001.png");
  for (int i = 1; i < 4; ++i) EXPECT_EQ(j["items"][i]["status"], "duplicate") << j["items"][i];
  EXPECT_TRUE(prepare_order_less("photo_red.jpg", "photo_red copy.jpg"));
  EXPECT_TRUE(prepare_order_less("a.png", "a b/x.png"));
  EXPECT_TRUE(prepare_order_less("img2.png", "img10.png"));
  EXPECT_TRUE(prepare_order_less("a.jpg", "a.png"));
}

// rgb16.png (red → yellow) and gray16.png (black → white) share a dHash; a blue and a green variant of one
// picture differ by a few bits. Neither pair is a duplicate; a re-encoded copy still is.
TEST(PrepareInputs, ColourVariantsAreNotNearDuplicates) {
  TempDir dir;
  const fs::path in = dir / "in";
  write_image(in / "1_grey.png", gradient(64, 48, {0, 0, 0}, {255, 255, 255}));
  write_image(in / "2_red_yellow.png", gradient(64, 48, {255, 0, 0}, {255, 255, 0}));
  RgbImage blue = noise(64, 48, 5), green = blue;
  for (size_t i = 0; i < blue.pixels.size(); i += 3) {
    blue.pixels[i + 2] = static_cast<uint8_t>(std::min(255, blue.pixels[i + 2] / 2 + 128));
    green.pixels[i + 1] = static_cast<uint8_t>(std::min(255, green.pixels[i + 1] / 2 + 128));
  }
  write_image(in / "3_blue.png", blue);
  write_image(in / "4_green.png", green);
  write_image(in / "5_blue_again.jpg", blue, ImageFormat::kJpeg);
  auto r = run_cli({"prepare", in.string(), (dir / "out").string(), "--size", "32", "--dedupe", "--dedupe-distance",
                    "10", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["written"], 4) << j.dump(1);
  EXPECT_EQ(j["items"][4]["status"], "near_duplicate");
  EXPECT_EQ(j["items"][4]["duplicate_of"], "img003.png");
  // The building blocks: the grey and red-yellow gradients have one dHash, and colours far apart.
  RgbImage g = gradient(64, 48, {0, 0, 0}, {255, 255, 255}), ry = gradient(64, 48, {255, 0, 0}, {255, 255, 0});
  EXPECT_LE(hamming_distance(difference_hash(g), difference_hash(ry)), 4);
  EXPECT_GT(colour_distance(colour_signature(g), colour_signature(ry)), kNearDuplicateColourDistance);
  EXPECT_EQ(colour_distance(colour_signature(g), colour_signature(g)), 0.0);
}

TEST(PrepareInputs, SaysHowManySubfolderImagesWereIgnored) {
  TempDir dir;
  const fs::path in = dir / "in";
  write_image(in / "top.png", noise(20, 20, 1));
  write_image(in / "sub/one.png", noise(20, 20, 2));
  write_image(in / "sub/deeper/two.png", noise(20, 20, 3));
  auto r = run_cli({"prepare", in.string(), (dir / "out").string(), "--size", "16"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("tagmetry: note: 2 image(s) in subfolders of " + in.string() +
                       " were not read; use --recursive to include them\n"),
            std::string::npos)
      << r.err;
  r = run_cli({"prepare", in.string(), (dir / "out2").string(), "--size", "16", "--recursive"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("note:"), std::string::npos) << r.err;
}

TEST(PrepareInputs, LargeUpscalesAreWarnedAbout) {
  TempDir dir;
  const fs::path in = dir / "in";
  write_image(in / "tiny.png", noise(32, 32, 1));
  write_image(in / "fine.png", noise(100, 80, 2));
  auto r = run_cli({"prepare", in.string(), (dir / "out").string(), "--size", "128"});
  ASSERT_EQ(r.exit_code, 0) << r.err;  // a warning is not a failure
  const std::string warning = (in / "tiny.png").string() +
                              ": enlarged 4.0x from 32x32 (it will look blurry; use a larger source or a smaller --size)";
  EXPECT_EQ(r.err, "tagmetry: warning: " + warning + "\n");
  EXPECT_NE(read_all(dir / "out/manifest.csv").find(",tiny.png,32,32,"), std::string::npos);
  EXPECT_NE(read_all(dir / "out/manifest.csv").find(",written," + warning + "\n"), std::string::npos);
}

}  // namespace
}  // namespace tagmetry
