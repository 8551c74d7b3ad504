// `tagmetry prepare` end to end through the real binary.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "tagmetry/sha256.h"
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
using prepare_fixtures::write_image;

RgbImage pattern(int w, int h, int seed) {
  RgbImage im{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3)};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        im.pixels[(static_cast<size_t>(y) * w + x) * 3 + c] = static_cast<uint8_t>((x * (seed + c + 1) + y * 3 * seed) % 256);
  return im;
}

bool pillow_available() {
  return testing::run_command(testing::python_path(), {testing::test_source_path("prepare/pillow_fixture.py").string(), "check"})
             .exit_code == 0;
}

TEST(PrepareCli, NaturalOrderNamesAndManifest) {
  TempDir dir;
  const fs::path in = dir / "in";
  write_image(in / "a10.png", pattern(40, 30, 1));
  write_image(in / "a2.png", pattern(30, 40, 2));
  write_image(in / "a1.png", pattern(20, 20, 3));
  write_all(in / "notes.txt", "not an image");
  auto r = run_cli({"prepare", in.string(), (dir / "out").string(), "--size", "16"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("prepared 3 of 3 images into ", 0), 0u) << r.out;
  EXPECT_EQ(listing(dir / "out"), (std::vector<std::string>{"img001.png", "img002.png", "img003.png", "manifest.csv"}));
  auto sha = [&](const char* name) { return *sha256_file(in / name); };
  EXPECT_EQ(read_all(dir / "out/manifest.csv"),
            "file,source,width,height,bytes,sha256,status,note\n"
            "img001.png,a1.png,20,20," + std::to_string(fs::file_size(in / "a1.png")) + "," + sha("a1.png") + ",written,\n"
            "img002.png,a2.png,30,40," + std::to_string(fs::file_size(in / "a2.png")) + "," + sha("a2.png") + ",written,\n"
            "img003.png,a10.png,40,30," + std::to_string(fs::file_size(in / "a10.png")) + "," + sha("a10.png") + ",written,\n");
  auto info = probe_image(dir / "out/img003.png");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->width, 16);
  EXPECT_EQ(info->height, 16);
  // The input folder is untouched.
  EXPECT_EQ(listing(in), (std::vector<std::string>{"a1.png", "a10.png", "a2.png", "notes.txt"}));
}

TEST(PrepareCli, RefusesToOverwriteUnlessAsked) {
  TempDir dir;
  write_image(dir / "in/x.png", pattern(20, 20, 1));
  write_all(dir / "out/img001.png", "mine");
  auto r = run_cli({"prepare", (dir / "in").string(), (dir / "out").string(), "--size", "8"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tagmetry: " + (dir / "out").string() +
                       ": 1 file(s) would be overwritten (img001.png); use --overwrite to replace them\n");
  EXPECT_EQ(read_all(dir / "out/img001.png"), "mine");
  EXPECT_FALSE(fs::exists(dir / "out/manifest.csv"));
  r = run_cli({"prepare", (dir / "in").string(), (dir / "out").string(), "--size", "8", "--overwrite"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_all(dir / "out/img001.png"), "mine");
}

TEST(PrepareCli, NeverWritesIntoTheInputFolder) {
  TempDir dir;
  write_image(dir / "in/x.png", pattern(20, 20, 1));
  for (std::string out : {(dir / "in").string(), (dir / "in/sub").string()}) {
    auto r = run_cli({"prepare", (dir / "in").string(), out});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("the output folder must not be the input folder or inside it"), std::string::npos) << r.err;
  }
  EXPECT_EQ(listing(dir / "in"), std::vector<std::string>{"x.png"});
}

TEST(PrepareCli, CorruptInputsAreReportedAndSkipped) {
  TempDir dir;
  const fs::path in = dir / "in";
  write_image(in / "1.png", pattern(20, 20, 1));
  write_all(in / "2.png", "this is text, not a PNG");
  write_all(in / "3.jpg", "");
  auto jpeg = encode_image(pattern(64, 64, 3), EncodeOptions{.format = ImageFormat::kJpeg});
  ASSERT_TRUE(jpeg.ok());
  write_all(in / "4.jpg", jpeg->substr(0, jpeg->size() / 2));  // truncated
  write_image(in / "5.png", pattern(20, 20, 5));
  auto r = run_cli({"prepare", in.string(), (dir / "out").string(), "--size", "8"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find((in / "2.png").string() + ": not an image"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((in / "3.jpg").string() + ": empty file (0 bytes)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((in / "4.jpg").string() + ": "), std::string::npos) << r.err;
  EXPECT_EQ(listing(dir / "out"), (std::vector<std::string>{"img001.png", "img002.png", "manifest.csv"}));
  std::string manifest = read_all(dir / "out/manifest.csv");
  EXPECT_NE(manifest.find("\nimg002.png,5.png,20,20,"), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("\n,3.jpg,,,0," + sha256_hex("") + ",failed," + (in / "3.jpg").string() +
                          ": empty file (0 bytes)\n"),
            std::string::npos)
      << manifest;
}

TEST(PrepareCli, DedupeSkipsExactAndNearDuplicates) {
  TempDir dir;
  const fs::path in = dir / "in";
  RgbImage im = pattern(80, 60, 2);
  write_image(in / "a.png", im);
  write_all(in / "b.png", read_all(in / "a.png"));  // same bytes
  auto jpeg = encode_image(im, EncodeOptions{.format = ImageFormat::kJpeg, .quality = 90});
  ASSERT_TRUE(jpeg.ok());
  write_all(in / "c.jpg", *jpeg);  // same picture, re-encoded
  write_image(in / "d.png", pattern(80, 60, 7));
  auto r = run_cli({"prepare", in.string(), (dir / "out").string(), "--size", "32", "--dedupe", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["written"], 2);
  EXPECT_EQ(j["duplicates"], 1);
  EXPECT_EQ(j["near_duplicates"], 1);
  EXPECT_EQ(j["items"][1]["status"], "duplicate");
  EXPECT_EQ(j["items"][1]["duplicate_of"], "img001.png");
  EXPECT_EQ(j["items"][2]["status"], "near_duplicate");
  EXPECT_EQ(j["items"][3]["file"], "img002.png");
  EXPECT_EQ(listing(dir / "out"), (std::vector<std::string>{"img001.png", "img002.png", "manifest.csv"}));
  std::string manifest = read_all(dir / "out/manifest.csv");
  EXPECT_NE(manifest.find(",b.png,80,60,"), std::string::npos);
  EXPECT_NE(manifest.find(",duplicate,same file content as img001.png\n"), std::string::npos) << manifest;
}

TEST(PrepareCli, NamePatternStartFormatAndUnicodePaths) {
  TempDir dir;
  const fs::path in = dir / "入力 フォルダ";
  write_image(in / "写真 1.png", pattern(30, 20, 1));
  write_image(in / "写真 2.png", pattern(30, 20, 2));
  const fs::path out = dir / "出力 dir";
  auto r = run_cli({"prepare", in.string(), out.string(), "--size", "12", "--name-pattern", "cat_{n:2}", "--start", "9",
                    "--format", "webp", "--threads", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(listing(out), (std::vector<std::string>{"cat_09.webp", "cat_10.webp", "manifest.csv"}));
  EXPECT_NE(read_all(out / "manifest.csv").find("cat_10.webp,写真 2.png,30,20,"), std::string::npos);
  auto info = probe_image(out / "cat_10.webp");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->format, "webp");
}

TEST(PrepareCli, OutputWriteFailuresAreReported) {
  TempDir dir;
  write_image(dir / "in/a.png", pattern(20, 20, 1));
  write_image(dir / "in/b.png", pattern(20, 20, 2));
  // OUT is a file.
  write_all(dir / "file", "x");
  auto r = run_cli({"prepare", (dir / "in").string(), (dir / "file").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tagmetry: " + (dir / "file").string() + ": not a folder\n");
  // A folder where an output file goes: that image fails, the other is written (works as root too).
  fs::create_directories(dir / "out/img001.png");
  r = run_cli({"prepare", (dir / "in").string(), (dir / "out").string(), "--overwrite", "--size", "8"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("img001.png"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_regular_file(dir / "out/img002.png"));
  // A read-only output folder, checked without root (CI runs as root, which ignores folder permissions).
  fs::create_directories(dir / "ro");
  const auto readable = fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read | fs::perms::group_exec |
                        fs::perms::others_read | fs::perms::others_exec;
  fs::permissions(dir.path(), readable | fs::perms::owner_write);
  fs::permissions(dir / "in", readable | fs::perms::owner_write);
  fs::permissions(dir / "ro", readable);
  std::string got = testing::run_without_root([&] {
    auto ro = run_cli({"prepare", (dir / "in").string(), (dir / "ro").string()});
    return std::to_string(ro.exit_code) + "\n" + ro.err;
  });
  fs::permissions(dir / "ro", fs::perms::owner_all);
  EXPECT_TRUE(got.starts_with("2\n")) << got;  // found before anything is written (docs/prepare.md)
  EXPECT_NE(got.find(": cannot write to the output folder"), std::string::npos) << got;
  EXPECT_TRUE(fs::is_empty(dir / "ro"));
}

// The acceptance bar: PSNR >= 45 dB against Pillow's output (EXIF orientation, alpha, JPEG, crop/fit/pad).
TEST(PrepareCli, MatchesThePillowReference) {
  if (!pillow_available()) GTEST_SKIP() << "python3-pil is not installed for " << testing::python_path();
  TempDir dir;
  ASSERT_EQ(testing::run_python_fixture("../prepare/pillow_fixture.py", {"inputs", (dir / "in").string()}), 0);
  for (std::string mode : {"crop", "fit", "pad"}) {
    const fs::path ref = dir / ("ref_" + mode), out = dir / ("out_" + mode);
    ASSERT_EQ(testing::run_python_fixture("../prepare/pillow_fixture.py",
                                          {"reference", (dir / "in").string(), ref.string(), "48", mode}),
              0);
    auto r = run_cli({"prepare", (dir / "in").string(), out.string(), "--size", "48", "--mode", mode, "--name-pattern",
                      "{stem}"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (auto& e : fs::directory_iterator(ref)) {
      auto a = load_rgb(e.path());
      auto b = load_rgb(out / e.path().filename());
      ASSERT_TRUE(a.ok() && b.ok()) << e.path();
      ASSERT_EQ(a->width, b->width) << mode << " " << e.path().filename();
      ASSERT_EQ(a->height, b->height) << mode << " " << e.path().filename();
      double se = 0;
      for (size_t i = 0; i < a->pixels.size(); ++i) se += std::pow(double(a->pixels[i]) - b->pixels[i], 2);
      double db = se == 0 ? INFINITY : 10 * std::log10(255.0 * 255.0 * a->pixels.size() / se);
      EXPECT_GE(db, 45.0) << mode << " " << e.path().filename();
    }
  }
  // EXIF orientation 6: stored 80x40 red|blue → viewed 40x80, red on top.
  auto rotated = load_rgb(dir / "out_fit/rotated.png");
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(rotated->width, 24);
  EXPECT_EQ(rotated->height, 48);
  EXPECT_GT(rotated->pixels[0], 200);                                  // top: red
  EXPECT_GT(rotated->pixels[(47 * 24) * 3 + 2], 200);                  // bottom: blue
  // Alpha on white: the transparent left half is white.
  auto alpha = load_rgb(dir / "out_crop/alpha.png");
  ASSERT_TRUE(alpha.ok());
  EXPECT_EQ(alpha->pixels[0], 255);
  EXPECT_EQ(alpha->pixels[1], 255);
  EXPECT_EQ(alpha->pixels[2], 255);
}

}  // namespace
}  // namespace tagmetry
