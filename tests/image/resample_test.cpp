#include <gtest/gtest.h>

#include <cmath>

#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "tagmetry/resample.h"
#include "test_support.h"

namespace tagmetry {
namespace {
using testing::TempDir;

RgbImage gradient(int w, int h) {
  RgbImage im{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3)};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &im.pixels[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = static_cast<uint8_t>(x * 255 / std::max(1, w - 1));
      p[1] = static_cast<uint8_t>(y * 255 / std::max(1, h - 1));
      p[2] = static_cast<uint8_t>(((x / 7 + y / 5) % 2) * 255);  // hard edges: ringing shows up
    }
  return im;
}

double psnr(const RgbImage& a, const RgbImage& b) {
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  if (a.pixels.size() != b.pixels.size()) return 0;
  double se = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    double d = double(a.pixels[i]) - b.pixels[i];
    se += d * d;
  }
  if (se == 0) return INFINITY;
  return 10 * std::log10(255.0 * 255.0 * a.pixels.size() / se);
}

bool pillow_available() {
  return testing::run_command(testing::python_path(), {testing::test_source_path("prepare/pillow_fixture.py").string(), "check"})
             .exit_code == 0;
}

TEST(Resample, SameSizeIsACopy) {
  RgbImage im = gradient(17, 9);
  RgbImage out = resize_lanczos(im, 17, 9);
  EXPECT_EQ(out.pixels, im.pixels);
}

TEST(Resample, ConstantImageStaysConstant) {
  RgbImage im{50, 30, std::vector<uint8_t>(50 * 30 * 3, 77)};
  for (auto [w, h] : {std::pair{7, 5}, {50, 3}, {120, 90}, {1, 1}}) {
    RgbImage out = resize_lanczos(im, w, h);
    ASSERT_EQ(out.pixels.size(), size_t(w) * h * 3);
    for (uint8_t v : out.pixels) ASSERT_EQ(v, 77) << w << "x" << h;
  }
}

TEST(Resample, CropAndPadGeometry) {
  RgbImage im = gradient(10, 6);
  RgbImage c = crop_image(im, 2, 1, 4, 3);
  ASSERT_EQ(c.width, 4);
  ASSERT_EQ(c.height, 3);
  EXPECT_EQ(c.pixels[0], im.pixels[(1 * 10 + 2) * 3]);
  RgbImage p = pad_image(c, 7, 6, 255);  // margins 3 (1 left, 2 right) and 3 (1 top, 2 bottom)
  ASSERT_EQ(p.width, 7);
  EXPECT_EQ(p.pixels[0], 255);
  EXPECT_EQ(p.pixels[(1 * 7 + 1) * 3], c.pixels[0]);
  EXPECT_EQ(p.pixels[(4 * 7 + 5) * 3 + 1], 255);  // right of the image, last copied row
}

// Resizes generated images with Pillow (the fixture) and with resize_lanczos: the acceptance bar is
// PSNR >= 45 dB; this port is byte-exact, which the test also reports.
TEST(Resample, MatchesPillowLanczos) {
  if (!pillow_available()) GTEST_SKIP() << "python3-pil is not installed for " << testing::python_path();
  TempDir dir;
  RgbImage im = gradient(203, 131);
  EncodeOptions png;
  auto bytes = encode_image(im, png);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  testing::write_all(dir / "in.png", *bytes);
  for (auto [w, h] : {std::pair{64, 64}, {100, 31}, {203, 50}, {60, 131}, {512, 300}, {7, 3}}) {
    std::string out = (dir / ("ref_" + std::to_string(w) + "x" + std::to_string(h) + ".png")).string();
    ASSERT_EQ(testing::run_python_fixture("../prepare/pillow_fixture.py",
                                          {"resize", (dir / "in.png").string(), out, std::to_string(w), std::to_string(h)}),
              0);
    auto ref = load_rgb(out);
    ASSERT_TRUE(ref.ok()) << ref.status().message();
    RgbImage ours = resize_lanczos(im, w, h);
    double db = psnr(ours, *ref);
    EXPECT_GE(db, 45.0) << w << "x" << h;
    EXPECT_EQ(ours.pixels, ref->pixels) << w << "x" << h << " not byte-exact (PSNR " << db << " dB)";
  }
}

}  // namespace
}  // namespace tagmetry
