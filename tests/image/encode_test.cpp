#include <gtest/gtest.h>

#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "test_support.h"

namespace tagmetry {
namespace {
using testing::TempDir;

RgbImage sample(int w, int h) {
  RgbImage im{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3)};
  for (size_t i = 0; i < im.pixels.size(); ++i) im.pixels[i] = static_cast<uint8_t>(i * 7 % 251);
  return im;
}

// Chunk types of a PNG file, in order.
std::vector<std::string> png_chunks(const std::string& png) {
  std::vector<std::string> out;
  size_t pos = 8;
  while (pos + 8 <= png.size()) {
    uint32_t len = (uint8_t(png[pos]) << 24) | (uint8_t(png[pos + 1]) << 16) | (uint8_t(png[pos + 2]) << 8) |
                   uint8_t(png[pos + 3]);
    out.push_back(png.substr(pos + 4, 4));
    pos += 12 + len;
  }
  return out;
}

TEST(Encode, ParsesFormats) {
  EXPECT_EQ(*parse_image_format("PNG"), ImageFormat::kPng);
  EXPECT_EQ(*parse_image_format("jpeg"), ImageFormat::kJpeg);
  EXPECT_EQ(*parse_image_format(".webp"), ImageFormat::kWebp);
  auto bad = parse_image_format("gif");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unknown image format 'gif' (use png, webp or jpg)");
  EXPECT_STREQ(image_format_extension(ImageFormat::kJpeg), ".jpg");
}

TEST(Encode, PngIsLosslessAndHasNoMetadataChunks) {
  TempDir dir;
  RgbImage im = sample(31, 17);
  auto png = encode_image(im, EncodeOptions{});
  ASSERT_TRUE(png.ok()) << png.status().message();
  ASSERT_EQ(png->substr(1, 3), "PNG");
  for (const auto& chunk : png_chunks(*png)) EXPECT_TRUE(chunk == "IHDR" || chunk == "IDAT" || chunk == "IEND") << chunk;
  testing::write_all(dir / "a.png", *png);
  auto back = load_rgb(dir / "a.png");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->pixels, im.pixels);
}

// Every level (libdeflate or zlib, whichever the build uses) is lossless; compressing shrinks the file.
TEST(Encode, PngEveryLevelIsLossless) {
  TempDir dir;
  RgbImage im = sample(300, 200);
  size_t stored = 0;
  for (int level = 0; level <= 9; ++level) {
    EncodeOptions options;
    options.png_compression = level;
    auto png = encode_image(im, options);
    ASSERT_TRUE(png.ok()) << png.status().message();
    if (level == 0) stored = png->size();
    else EXPECT_LT(png->size(), stored / 2) << "level " << level;
    testing::write_all(dir / "l.png", *png);
    auto back = load_rgb(dir / "l.png");
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->pixels, im.pixels) << "level " << level;
  }
}

TEST(Encode, JpegAndWebpDecodeToTheSameSize) {
  TempDir dir;
  RgbImage im = sample(40, 24);
  for (auto [fmt, name] : {std::pair{ImageFormat::kJpeg, "a.jpg"}, {ImageFormat::kWebp, "a.webp"}}) {
    EncodeOptions o;
    o.format = fmt;
    auto bytes = encode_image(im, o);
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    testing::write_all(dir / name, *bytes);
    auto info = probe_image(dir / name);
    ASSERT_TRUE(info.ok()) << info.status().message();
    EXPECT_EQ(info->width, 40);
    EXPECT_EQ(info->height, 24);
    EXPECT_EQ(info->orientation, 1);
  }
}

TEST(Encode, RejectsMalformedImages) {
  RgbImage bad{4, 4, std::vector<uint8_t>(5)};
  auto r = encode_image(bad, EncodeOptions{}, "x.png");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "x.png: cannot encode an empty or malformed image");
}

}  // namespace
}  // namespace tagmetry
