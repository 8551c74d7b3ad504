// Building blocks of prepare: geometry, names, hashes, manifest.
#include <gtest/gtest.h>

#include "tagmetry/prepare.h"
#include "test_support.h"

namespace tagmetry {
namespace {

RgbImage solid(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  RgbImage im{w, h, {}};
  for (int i = 0; i < w * h; ++i) im.pixels.insert(im.pixels.end(), {r, g, b});
  return im;
}

const uint8_t* px(const RgbImage& im, int x, int y) { return &im.pixels[(static_cast<size_t>(y) * im.width + x) * 3]; }

TEST(PreparePixels, CropTakesTheCentreSquare) {
  // 30x10: left 10 columns red, middle 10 green, right 10 blue → the crop is all green.
  RgbImage im = solid(30, 10, 0, 255, 0);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 30; ++x) {
      if (x < 10) std::copy_n(std::array<uint8_t, 3>{255, 0, 0}.data(), 3, &im.pixels[(y * 30 + x) * 3]);
      if (x >= 20) std::copy_n(std::array<uint8_t, 3>{0, 0, 255}.data(), 3, &im.pixels[(y * 30 + x) * 3]);
    }
  PrepareParams p;
  p.size = 5;
  RgbImage out = prepare_pixels(im, p);
  ASSERT_EQ(out.width, 5);
  ASSERT_EQ(out.height, 5);
  for (size_t i = 0; i < out.pixels.size(); i += 3) EXPECT_EQ(out.pixels[i + 1], 255);
  EXPECT_EQ(out.pixels[0], 0);
}

TEST(PreparePixels, FitAndPadFollowImageOps) {
  RgbImage im = solid(300, 200, 10, 20, 30);
  PrepareParams p;
  p.size = 64;
  p.mode = "fit";
  RgbImage fit = prepare_pixels(im, p);
  EXPECT_EQ(fit.width, 64);
  EXPECT_EQ(fit.height, 43);  // round(200 / 300 * 64) = round(42.67)
  p.mode = "pad";
  RgbImage pad = prepare_pixels(im, p);
  ASSERT_EQ(pad.width, 64);
  ASSERT_EQ(pad.height, 64);
  // Margin 21: ImageOps.pad pastes at round(10.5) = 10 (Python rounds half to even).
  EXPECT_EQ(px(pad, 5, 9)[0], 255);
  EXPECT_EQ(px(pad, 5, 10)[0], 10);
  EXPECT_EQ(px(pad, 5, 52)[2], 30);
  EXPECT_EQ(px(pad, 5, 53)[0], 255);
  // Tall images fit by height.
  RgbImage tall = prepare_pixels(solid(10, 40, 0, 0, 0), PrepareParams{.size = 20, .mode = "fit"});
  EXPECT_EQ(tall.width, 5);
  EXPECT_EQ(tall.height, 20);
}

TEST(PreparePixels, SmallImagesAreEnlarged) {
  RgbImage out = prepare_pixels(solid(8, 6, 1, 2, 3), PrepareParams{.size = 32});
  EXPECT_EQ(out.width, 32);
  EXPECT_EQ(px(out, 31, 31)[2], 3);
}

TEST(NamePattern, ExpandsNumbersAndStems) {
  EXPECT_EQ(*expand_name_pattern("img{n}", 7, 3, "x"), "img007");
  EXPECT_EQ(*expand_name_pattern("img{n}", 1234, 3, "x"), "img1234");
  EXPECT_EQ(*expand_name_pattern("{n:5}_{stem}", 42, 3, "写真 1"), "00042_写真 1");
  EXPECT_EQ(*expand_name_pattern("{stem}", 1, 3, "cat"), "cat");
  EXPECT_EQ(expand_name_pattern("img", 1, 3, "x").status().message(),
            "--name-pattern: 'img' needs {n} or {stem} so names differ");
  EXPECT_EQ(expand_name_pattern("a/{n}", 1, 3, "x").status().message(),
            "--name-pattern: 'a/{n}' must be a file name, not a path");
  EXPECT_EQ(expand_name_pattern("{x}", 1, 3, "x").status().message(),
            "--name-pattern: unknown placeholder '{x}' (use {n}, {n:W} or {stem})");
}

TEST(NamePattern, DigitsCoverTheCount) {
  EXPECT_EQ(name_digits(1, 5), 3);
  EXPECT_EQ(name_digits(1, 999), 3);
  EXPECT_EQ(name_digits(1, 1000), 4);
  EXPECT_EQ(name_digits(0, 1000), 3);
  EXPECT_EQ(name_digits(9995, 10), 5);
}

TEST(DifferenceHash, StableUnderSmallChangesAndDistinctOtherwise) {
  RgbImage a = solid(64, 64, 0, 0, 0);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) a.pixels[(y * 64 + x) * 3] = static_cast<uint8_t>((x * 4 + y * 3) % 256);
  RgbImage b = a;
  for (size_t i = 0; i < b.pixels.size(); i += 97) b.pixels[i] ^= 1;  // re-encoding noise
  RgbImage c = a;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) c.pixels[(y * 64 + x) * 3] = static_cast<uint8_t>(255 - a.pixels[(y * 64 + x) * 3]);
  EXPECT_LE(hamming_distance(difference_hash(a), difference_hash(b)), 2);
  EXPECT_GE(hamming_distance(difference_hash(a), difference_hash(c)), 20);
  EXPECT_EQ(hamming_distance(0, ~uint64_t{0}), 64);
}

// The definition the hash had when it shipped (one division per pixel): the faster one must give the
// same 64 bits on every image, ties included, so near-duplicate decisions never change.
uint64_t reference_difference_hash(const RgbImage& image) {
  double grid[8][9] = {};
  double count[8][9] = {};
  for (int y = 0; y < image.height; ++y) {
    const int gy = static_cast<int>(static_cast<int64_t>(y) * 8 / image.height);
    for (int x = 0; x < image.width; ++x) {
      const int gx = static_cast<int>(static_cast<int64_t>(x) * 9 / image.width);
      const uint8_t* p = px(image, x, y);
      grid[gy][gx] += 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
      count[gy][gx] += 1;
    }
  }
  uint64_t hash = 0;
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) {
      double left = count[y][x] > 0 ? grid[y][x] / count[y][x] : 0;
      double right = count[y][x + 1] > 0 ? grid[y][x + 1] / count[y][x + 1] : 0;
      hash = (hash << 1) | (left > right ? 1u : 0u);
    }
  return hash;
}

TEST(DifferenceHash, SameBitsAsTheShippedDefinition) {
  uint32_t seed = 1;
  auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
  for (auto [w, h] : {std::pair{512, 512}, {9, 8}, {1, 1}, {5, 3}, {300, 77}, {64, 640}, {513, 511}}) {
    for (int kind = 0; kind < 3; ++kind) {
      RgbImage im = solid(w, h, 0, 0, 0);
      for (size_t i = 0; i < im.pixels.size(); ++i)
        im.pixels[i] = kind == 0 ? static_cast<uint8_t>(next() >> 24)        // noise
                       : kind == 1 ? static_cast<uint8_t>((i / 3) % 7 * 30)  // stripes: many equal cells
                                   : 128;                                    // flat: every comparison a tie
      EXPECT_EQ(difference_hash(im), reference_difference_hash(im)) << w << "x" << h << " kind " << kind;
    }
  }
}

TEST(Manifest, QuotesFieldsAndExplainsSkips) {
  PrepareReport r;
  PrepareItem a;
  a.outcome = PrepareItem::Outcome::kWritten;
  a.relpath = "a,b.jpg";
  a.output = "img001.png";
  a.width = 10;
  a.height = 20;
  a.bytes = 99;
  a.sha256 = "ab";
  PrepareItem d = a;
  d.outcome = PrepareItem::Outcome::kNearDuplicate;
  d.relpath = "c.jpg";
  d.output.clear();
  d.duplicate_of = "img001.png";
  d.distance = 3;
  PrepareItem f;
  f.relpath = "bad.png";
  f.error = "in/bad.png: not an image (unrecognised format)";
  r.items = {a, d, f};
  EXPECT_EQ(manifest_csv(r),
            "file,source,width,height,bytes,sha256,status,note\n"
            "img001.png,\"a,b.jpg\",10,20,99,ab,written,\n"
            ",c.jpg,10,20,99,ab,near_duplicate,looks like img001.png (distance 3)\n"
            ",bad.png,,,0,,failed,in/bad.png: not an image (unrecognised format)\n");
}

TEST(PrepareParamsCheck, RejectsBadValues) {
  PrepareParams p;
  p.size = 0;
  EXPECT_EQ(validate(p).message(), "--size: must be between 1 and 16384");
  p = {};
  p.dedupe_distance = 65;
  EXPECT_EQ(validate(p).message(), "--dedupe-distance: must be 0-64");
  p = {};
  p.format = "gif";
  EXPECT_EQ(validate(p).message(), "unknown image format 'gif' (use png, webp or jpg)");
  EXPECT_TRUE(validate(PrepareParams{}).ok());
}

}  // namespace
}  // namespace tagmetry

namespace tagmetry {
namespace {
// docs/prepare.md embeds the option table generated from the declaration; keep them in sync.
TEST(PrepareDocs, OptionTableMatchesTheDeclaration) {
  std::string doc = testing::read_all(testing::test_source_path("../docs/prepare.md"));
  ASSERT_FALSE(doc.empty()) << "docs/prepare.md not found";
  std::string table = prepare_options().markdown();
  EXPECT_NE(doc.find(table), std::string::npos) << "update docs/prepare.md's options table to:\n" << table;
}
}  // namespace
}  // namespace tagmetry
