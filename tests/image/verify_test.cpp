// verify_image: a full decode that names what stops it, and the strict decode every command shares
// (a JPEG with corrupt data is an error, not a half-grey image).
#include <gtest/gtest.h>

#include <random>

#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::TempDir;
using testing::write_all;

// A noisy picture: its JPEG has entropy-coded data all through the file.
RgbImage noise(int w, int h) {
  std::mt19937 rng(7);
  RgbImage im{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3)};
  for (auto& p : im.pixels) p = static_cast<uint8_t>(rng());
  return im;
}

std::string jpeg_bytes() {
  auto jpeg = encode_image(noise(320, 240), EncodeOptions{.format = ImageFormat::kJpeg, .quality = 90});
  EXPECT_TRUE(jpeg.ok());
  return jpeg.ok() ? *jpeg : std::string();
}

// 2,000 random bytes over the middle of the file, as make_raw.py's garbled_middle.jpg: libjpeg only warns
// ("Corrupt JPEG data: premature end of data segment") and fills the rest with grey.
std::string garbled(std::string jpeg) {
  std::mt19937 rng(1);
  for (size_t i = jpeg.size() / 2; i < jpeg.size() / 2 + 2000 && i + 2 < jpeg.size(); ++i)
    jpeg[i] = static_cast<char>(rng());
  return jpeg;
}

TEST(VerifyImage, AcceptsGoodImagesOfEveryKind) {
  TempDir dir;
  write_all(dir / "a.jpg", jpeg_bytes());
  auto png = encode_image(noise(50, 40), EncodeOptions{});
  ASSERT_TRUE(png.ok());
  write_all(dir / "b.png", *png);
  auto webp = encode_image(noise(50, 40), EncodeOptions{.format = ImageFormat::kWebp});
  ASSERT_TRUE(webp.ok());
  write_all(dir / "c.webp", *webp);
  // Data after the end-of-image marker is ignored by every decoder (and by Pillow).
  write_all(dir / "d.jpg", jpeg_bytes() + "trailing bytes");
  for (const char* name : {"a.jpg", "b.png", "c.webp", "d.jpg"}) {
    EXPECT_TRUE(verify_image(dir / name).ok()) << name << ": " << verify_image(dir / name).message();
    auto bytes = testing::read_all(dir / name);
    EXPECT_TRUE(verify_image_bytes(bytes, name).ok()) << name;
  }
}

TEST(VerifyImage, NamesTheProblem) {
  TempDir dir;
  const std::string jpeg = jpeg_bytes();
  write_all(dir / "garbled.jpg", garbled(jpeg));
  write_all(dir / "truncated.jpg", jpeg.substr(0, jpeg.size() / 2));
  write_all(dir / "empty.jpg", "");
  write_all(dir / "text.png", "not a picture\n");
  auto png = encode_image(noise(200, 200), EncodeOptions{});
  ASSERT_TRUE(png.ok());
  write_all(dir / "truncated.png", png->substr(0, png->size() / 2));
  auto message = [&](const char* name) { return verify_image(dir / name).message(); };
  const std::string d = dir.path().string() + "/";
  EXPECT_EQ(message("garbled.jpg"), d + "garbled.jpg: corrupt JPEG data (premature end of data segment)");
  EXPECT_EQ(message("truncated.jpg"), d + "truncated.jpg: truncated or damaged image (VipsJpeg: Premature end of input file)");
  EXPECT_EQ(message("empty.jpg"), d + "empty.jpg: empty file (0 bytes)");
  EXPECT_EQ(message("text.png"), d + "text.png: not an image (unrecognised format)");
  EXPECT_EQ(message("truncated.png"), d + "truncated.png: truncated or damaged image (vipspng: libpng read error)");
  EXPECT_EQ(message("missing.png"), d + "missing.png: no such file");
  EXPECT_EQ(verify_image_bytes(garbled(jpeg), "g.jpg").message(),
            "g.jpg: corrupt JPEG data (premature end of data segment)");
  // The header alone does not tell: probe_image accepts both.
  EXPECT_TRUE(probe_image(dir / "garbled.jpg").ok());
  EXPECT_TRUE(probe_image(dir / "truncated.jpg").ok());
  // The pixel limit is checked as decoders do.
  DecodeOptions small;
  small.max_pixels = 1000;
  EXPECT_EQ(verify_image(dir / "truncated.png", small).message(),
            d + "truncated.png: image too large (200x200 pixels, limit 1000 pixels)");
}

// Every decode path fails on corrupt JPEG data instead of returning grey rows.
TEST(VerifyImage, DecodersRefuseCorruptJpegData) {
  TempDir dir;
  write_all(dir / "garbled.jpg", garbled(jpeg_bytes()));
  const std::string expected = (dir / "garbled.jpg").string() + ": corrupt JPEG data (premature end of data segment)";
  EXPECT_EQ(load_rgb(dir / "garbled.jpg").status().message(), expected);
  EXPECT_EQ(load_padded_square(dir / "garbled.jpg", 448).status().message(), expected);
  EXPECT_EQ(load_padded_square(dir / "garbled.jpg", 64).status().message(), expected);  // shrunk on load
}

}  // namespace
}  // namespace tagmetry
