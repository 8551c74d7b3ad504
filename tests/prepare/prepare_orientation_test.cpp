// B1: every EXIF orientation at every size, in every prepare mode, gives Pillow's exif_transpose result;
// the tagger's decode (shrink-on-load) rotates the same way.
#include <gtest/gtest.h>

#include <cmath>

#include "tagmetry/image.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::run_cli;
using testing::TempDir;

bool pillow_available() {
  return testing::run_command(testing::python_path(), {testing::test_source_path("prepare/pillow_fixture.py").string(), "check"})
             .exit_code == 0;
}

double psnr(const RgbImage& a, const RgbImage& b) {
  double se = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) se += std::pow(double(a.pixels[i]) - b.pixels[i], 2);
  return se == 0 ? INFINITY : 10 * std::log10(255.0 * 255.0 * a.pixels.size() / se);
}

// Writes o1.jpg … o8.jpg (w x h stored) into dir / name and checks prepare against Pillow in `modes`.
void expect_matches_pillow(const fs::path& dir, const std::string& name, int w, int h, bool progressive,
                           const std::vector<std::string>& modes) {
  const fs::path in = dir / name;
  std::vector<std::string> args{"exif", in.string(), std::to_string(w), std::to_string(h)};
  if (progressive) args.push_back("progressive");
  ASSERT_EQ(testing::run_python_fixture("../prepare/pillow_fixture.py", args), 0);
  for (const std::string& mode : modes) {
    const fs::path ref = dir / (name + "_ref_" + mode), out = dir / (name + "_out_" + mode);
    ASSERT_EQ(testing::run_python_fixture("../prepare/pillow_fixture.py", {"reference", in.string(), ref.string(), "64", mode}),
              0);
    auto r = run_cli({"prepare", in.string(), out.string(), "--size", "64", "--mode", mode, "--name-pattern", "{stem}"});
    ASSERT_EQ(r.exit_code, 0) << name << " " << mode << ": " << r.err;
    EXPECT_NE(r.out.find("prepared 8 of 8 images"), std::string::npos) << r.out;
    for (int o = 1; o <= 8; ++o) {
      const std::string file = "o" + std::to_string(o) + ".png";
      auto a = load_rgb(ref / file);
      auto b = load_rgb(out / file);
      ASSERT_TRUE(a.ok() && b.ok()) << name << " " << mode << " " << file << ": " << b.status().message();
      ASSERT_EQ(a->width, b->width) << name << " " << mode << " " << file;
      ASSERT_EQ(a->height, b->height) << name << " " << mode << " " << file;
      EXPECT_GE(psnr(*a, *b), 45.0) << name << " " << mode << " " << file;
    }
  }
}

TEST(PrepareOrientation, EveryOrientationSizeAndModeMatchesPillow) {
  if (!pillow_available()) GTEST_SKIP() << "python3-pil is not installed for " << testing::python_path();
  TempDir dir;
  const std::vector<std::string> all{"crop", "fit", "pad"};
  expect_matches_pillow(dir.path(), "small", 64, 48, false, all);
  expect_matches_pillow(dir.path(), "vga", 640, 480, true, all);
  expect_matches_pillow(dir.path(), "svga", 800, 600, false, all);        // failed before: out of order read
  expect_matches_pillow(dir.path(), "wide", 1200, 800, true, all);        // progressive
  expect_matches_pillow(dir.path(), "phone", 4032, 3024, false, {"pad"});  // a phone photo, all of it
}

// The tagger's path (shrink-on-load, pad to a square, bicubic): each orientation gives the upright
// picture's result turned the same way.
TEST(PrepareOrientation, TaggerDecodeRotatesEveryOrientation) {
  if (!pillow_available()) GTEST_SKIP() << "python3-pil is not installed for " << testing::python_path();
  TempDir dir;
  ASSERT_EQ(testing::run_python_fixture("../prepare/pillow_fixture.py", {"exif", dir.path().string(), "1600", "1200"}), 0);
  for (int side : {448, 1024}) {  // shrunk on load by 2 (800x600 decoded), and a full-size decode
    auto upright = load_padded_square(dir / "o1.jpg", side);
    ASSERT_TRUE(upright.ok()) << upright.status().message();
    const int s = side;
    auto at = [&](const RgbImage& im, int x, int y) { return &im.pixels[(static_cast<size_t>(y) * s + x) * 3]; };
    for (int o = 2; o <= 8; ++o) {
      auto turned = load_padded_square(dir / ("o" + std::to_string(o) + ".jpg"), side);
      ASSERT_TRUE(turned.ok()) << o << ": " << turned.status().message();
      ASSERT_EQ(turned->width, s);
      // Where the upright pixel (x, y) lands for this orientation (the file stores the upright picture
      // transformed by the inverse, so applying the orientation gives back this mapping).
      double diff = 0;
      for (int y = 0; y < s; ++y) {
        for (int x = 0; x < s; ++x) {
          int tx = x, ty = y;
          const int m = s - 1;
          switch (o) {
            case 2: tx = m - x; break;
            case 3: tx = m - x; ty = m - y; break;
            case 4: ty = m - y; break;
            case 5: tx = y; ty = x; break;
            case 6: tx = m - y; ty = x; break;
            case 7: tx = m - y; ty = m - x; break;
            case 8: tx = y; ty = m - x; break;
          }
          for (int c = 0; c < 3; ++c) diff += std::abs(int(at(*upright, x, y)[c]) - int(at(*turned, tx, ty)[c]));
        }
      }
      EXPECT_LT(diff / (3.0 * s * s), 3.0) << "orientation " << o << " side " << side;
    }
  }
}

}  // namespace
}  // namespace tagmetry
