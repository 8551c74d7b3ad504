#include <gtest/gtest.h>

#include <climits>
#include <cmath>

#include "fixtures.h"
#include "tagmetry/image.h"

namespace tagmetry {
namespace {

TEST(Decode, PadPutsTheOddPixelBottomRight) {
  RgbImage img{4, 1, std::vector<uint8_t>(12, 0)};
  for (int x = 0; x < 4; ++x) img.pixels[x * 3] = 255;  // red row
  RgbImage sq = pad_to_square(img);
  ASSERT_EQ(sq.width, 4);
  ASSERT_EQ(sq.height, 4);
  auto px = [&](int x, int y, int c) { return sq.pixels[(y * 4 + x) * 3 + c]; };
  EXPECT_EQ(px(0, 0, 1), 255);  // white above: offset (4-1)/2 = 1 row
  EXPECT_EQ(px(0, 1, 0), 255);
  EXPECT_EQ(px(0, 1, 1), 0);    // the red row
  EXPECT_EQ(px(3, 2, 1), 255);  // two white rows below
  EXPECT_EQ(px(3, 3, 1), 255);
}

TEST(Decode, ShrinkOnLoadMatchesFullDecode) {
  auto photo = testing::test_images() / "photo_2000x1500.jpg";
  DecodeOptions full;
  full.min_long_side = INT_MAX;
  auto a = load_padded_square(photo, 448, full);
  auto b = load_padded_square(photo, 448);  // default: JPEG shrink-on-load down to >= 448
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->pixels.size(), b->pixels.size());
  double sum = 0;
  for (size_t i = 0; i < a->pixels.size(); ++i) sum += std::abs(int(a->pixels[i]) - int(b->pixels[i]));
  EXPECT_LT(sum / a->pixels.size(), 1.0);
}

TEST(Decode, ProbeReadsHeaderWithoutLimit) {
  auto info = probe_image(testing::test_images() / "huge.png");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->width, 100000);
  EXPECT_EQ(info->format, "png");
  auto rotated = probe_image(testing::test_images() / "rotated.jpg");
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(rotated->orientation, 6);
}

}  // namespace
}  // namespace tagmetry
