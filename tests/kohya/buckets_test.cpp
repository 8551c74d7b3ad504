// kohya bucketing: the port against known answers computed by sd-scripts' own Python code
// (tests/fixtures/kohya_buckets_reference.py → kohya_buckets_known_answers.tsv), hand-derived cases with
// their arithmetic, imagesize 1.4.1's header reading, the training set (repeats, regularisation
// images), the step count, and the `buckets` CLI.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "tagmetry/kohya_bucket_report.h"
#include "tagmetry/kohya_buckets.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::run_cli;
using testing::TempDir;
using testing::write_all;

KohyaBucketer bucketer(KohyaBucketSettings s) {
  auto b = KohyaBucketer::create(s);
  EXPECT_TRUE(b.ok()) << b.status().message();
  return *b;
}

KohyaBucketChoice pick(const KohyaBucketer& b, int w, int h) {
  auto c = b.select(w, h);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : KohyaBucketChoice{};
}

TEST(KohyaBuckets, MatchesSdScriptsOnKnownAnswers) {
  std::ifstream in(testing::test_source_path("fixtures/kohya_buckets_known_answers.tsv"));
  ASSERT_TRUE(in.good());
  std::string line;
  int cases = 0, errors = 0;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    KohyaBucketSettings s;
    int enable = 0, no_up = 0, iw = 0, ih = 0;
    row >> s.width >> s.height >> enable >> s.min_bucket_reso >> s.max_bucket_reso >> s.bucket_reso_steps >> no_up >> iw >> ih;
    s.enable_bucket = enable != 0;
    s.bucket_no_upscale = no_up != 0;
    std::string first;
    row >> first;
    auto b = bucketer(s);
    auto c = b.select(iw, ih);
    SCOPED_TRACE(line);
    ++cases;
    if (first == "error") {
      EXPECT_FALSE(c.ok());
      ++errors;
      continue;
    }
    ASSERT_TRUE(c.ok()) << c.status().message();
    int bw = std::stoi(first), bh, rw, rh, l, t, r, bo;
    std::string scale, ar_error;
    row >> bh >> rw >> rh >> l >> t >> r >> bo >> scale >> ar_error;
    EXPECT_EQ(c->bucket_width, bw);
    EXPECT_EQ(c->bucket_height, bh);
    EXPECT_EQ(c->resized_width, rw);
    EXPECT_EQ(c->resized_height, rh);
    auto box = kohya_crop_box(*c);
    EXPECT_EQ(box.left, l);
    EXPECT_EQ(box.top, t);
    EXPECT_EQ(box.right, r);
    EXPECT_EQ(box.bottom, bo);
    // Python's repr is the shortest text that reads back as the same double: compare bit for bit.
    EXPECT_EQ(c->scale, std::strtod(scale.c_str(), nullptr));
    EXPECT_EQ(c->ar_error, std::strtod(ar_error.c_str(), nullptr));
  }
  EXPECT_GT(cases, 300);
  EXPECT_GT(errors, 3);
}

TEST(KohyaBuckets, PredefinedResolutionsFor512) {
  // make_bucket_resolutions((512, 512), 256, 1024, 64): max_area 262144; width 256 → 262144 // 256 = 1024
  // → min(1024, 1024) = 1024, so (256, 1024) and (1024, 256); width 320 → 819 // 64 * 64 = 768; 384 → 682 →
  // 640; 448 → 585 → 576; 512 → 512; 576 → 455 → 448; 640 → 409 → 384; 704 → 372 → 320; 768 → 341 → 320;
  // 832 → 315 → 256; 896 → 292 → 256; 960 → 273 → 256; 1024 → 256.
  auto r = kohya_bucket_resolutions(512, 512, 256, 1024, 64);
  std::vector<std::pair<int, int>> want = {
      {256, 832}, {256, 896}, {256, 960}, {256, 1024}, {320, 704}, {320, 768}, {384, 640}, {448, 576}, {512, 512},
      {576, 448}, {640, 384}, {704, 320}, {768, 320}, {832, 256}, {896, 256}, {960, 256}, {1024, 256}};
  EXPECT_EQ(r, want);
}

TEST(KohyaBuckets, HandDerivedCases) {
  auto b = bucketer({});  // 512x512, 256..1024 by 64
  // 3072x3000: ar 1.024; nearest predefined ar is 512/512 = 1 (error 0.024; 576/448 = 1.2857 is further).
  // 1.024 > 1 → scale = 512 / 3000 = 0.170666…; resized = (int(3072 * 0.170666… + .5), int(512 + .5)) =
  // (int(524.788), 512) = (524, 512); the 12 extra columns are trimmed 6 left, 6 right.
  auto c = pick(b, 3072, 3000);
  EXPECT_EQ(std::make_pair(c.bucket_width, c.bucket_height), std::make_pair(512, 512));
  EXPECT_EQ(std::make_pair(c.resized_width, c.resized_height), std::make_pair(524, 512));
  auto box = kohya_crop_box(c);
  EXPECT_EQ(box.left, 6);
  EXPECT_EQ(box.right, 518);
  EXPECT_DOUBLE_EQ(box.cut_fraction, 1.0 - 512.0 / 524.0);
  // An image exactly the size of a bucket takes that bucket without resizing: 704x320.
  c = pick(b, 704, 320);
  EXPECT_EQ(std::make_pair(c.bucket_width, c.bucket_height), std::make_pair(704, 320));
  EXPECT_EQ(std::make_pair(c.resized_width, c.resized_height), std::make_pair(704, 320));
  EXPECT_EQ(c.scale, 1.0);
  // 4000x100 (ar 40): the widest bucket is 1024x256 (ar 4); 40 > 4 → scale = 256 / 100 = 2.56;
  // resized = (10240, 256); crop left = (10240 - 1024) // 2 = 4608: 90% of the picture is cut away.
  c = pick(b, 4000, 100);
  EXPECT_EQ(std::make_pair(c.bucket_width, c.bucket_height), std::make_pair(1024, 256));
  EXPECT_EQ(std::make_pair(c.resized_width, c.resized_height), std::make_pair(10240, 256));
  box = kohya_crop_box(c);
  EXPECT_EQ(box.left, 4608);
  EXPECT_DOUBLE_EQ(box.cut_fraction, 0.9);
  EXPECT_EQ(c.scale, 2.56);
}

TEST(KohyaBuckets, NoUpscaleHandDerived) {
  KohyaBucketSettings s;
  s.bucket_no_upscale = true;
  auto b = bucketer(s);
  // 300x200 is under 512² pixels: no resize, bucket = (300 - 300 % 64, 200 - 200 % 64) = (256, 192).
  auto c = pick(b, 300, 200);
  EXPECT_EQ(std::make_pair(c.bucket_width, c.bucket_height), std::make_pair(256, 192));
  EXPECT_EQ(std::make_pair(c.resized_width, c.resized_height), std::make_pair(300, 200));
  auto box = kohya_crop_box(c);
  EXPECT_EQ(std::vector<int>({box.left, box.top, box.right, box.bottom}), std::vector<int>({22, 4, 278, 196}));
  // 1920x1080: ar 1.777…; resized_width = sqrt(262144 * 1.777…) = 682.6…, resized_height = 384;
  // width first: round_to_steps(682.6) = 640, height for it round_to_steps(360) = 320, ar 2.0 (error 0.222);
  // height first: 384, width round_to_steps(682.67) = 640, ar 1.6667 (error 0.111) → the height wins:
  // resized = (int(384 * 1.777… + .5), 384) = (683, 384), bucket (640, 384).
  c = pick(b, 1920, 1080);
  EXPECT_EQ(std::make_pair(c.resized_width, c.resized_height), std::make_pair(683, 384));
  EXPECT_EQ(std::make_pair(c.bucket_width, c.bucket_height), std::make_pair(640, 384));
  // 50x70 with steps 64: bucket height 70 - 70 % 64 = 64, width 50 - 50 = 0 → kohya cannot train it.
  EXPECT_FALSE(b.select(50, 70).ok());
  // 70x50: bucket height 0 → ZeroDivisionError in select_bucket.
  auto e = b.select(70, 50);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("ZeroDivisionError"), std::string::npos);
}

TEST(KohyaBuckets, NoBucketCoversTheResolution) {
  KohyaBucketSettings s;
  s.enable_bucket = false;
  s.width = 512;
  s.height = 768;
  auto b = bucketer(s);
  // 1000x1000 into 512x768: ar 1 > 0.6667 → scale = 768 / 1000; resized (768, 768), 128 columns trimmed.
  auto c = pick(b, 1000, 1000);
  EXPECT_EQ(std::make_pair(c.bucket_width, c.bucket_height), std::make_pair(512, 768));
  EXPECT_EQ(std::make_pair(c.resized_width, c.resized_height), std::make_pair(768, 768));
  EXPECT_EQ(kohya_crop_box(c).left, 128);
}

TEST(KohyaBuckets, SettingsKohyaRejects) {
  KohyaBucketSettings s;
  s.min_bucket_reso = 640;  // above the resolution 512
  auto b = KohyaBucketer::create(s);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("min_bucket_reso 640"), std::string::npos);
  s = {};
  s.max_bucket_reso = 1000;  // rounded up to 1024 by steps 64, as kohya does
  s.min_bucket_reso = 300;   // rounded down to 256
  auto ok = KohyaBucketer::create(s);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->settings().max_bucket_reso, 1024);
  EXPECT_EQ(ok->settings().min_bucket_reso, 256);
  EXPECT_FALSE(parse_kohya_resolution("512x512").ok());
  EXPECT_EQ(*parse_kohya_resolution("768,512"), std::make_pair(768, 512));
}

// imagesize 1.4.1 -------------------------------------------------------------------------------------

std::string png_header(uint32_t w, uint32_t h) {
  std::string s = "\x89PNG\r\n\x1a\n";
  s += std::string("\0\0\0\x0dIHDR", 8);
  for (uint32_t v : {w, h})
    for (int k = 24; k >= 0; k -= 8) s += char((v >> k) & 0xff);
  s += std::string("\x08\x02\0\0\0", 5) + std::string(4, '\0');
  return s;
}

// A baseline JPEG header: SOI, an APP1 (Exif, orientation 6) segment, a DQT, then SOF0 with h, w.
std::string jpeg_header(int w, int h) {
  std::string s = "\xff\xd8";
  std::string exif = "Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0";
  exif = std::string("Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0", 32);
  s += "\xff\xe1";
  s += char((exif.size() + 2) >> 8);
  s += char((exif.size() + 2) & 0xff);
  s += exif;
  s += std::string("\xff\xdb\x00\x43\x00", 5) + std::string(64, '\x01');
  s += std::string("\xff\xc0\x00\x11\x08", 5);
  s += char(h >> 8);
  s += char(h & 0xff);
  s += char(w >> 8);
  s += char(w & 0xff);
  s += std::string("\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 10);
  return s;
}

std::string riff(const std::string& chunk) {
  std::string s = "RIFF" + std::string("\0\0\0\0", 4) + "WEBP" + chunk;
  return s + std::string(64, '\0');
}

TEST(KohyaImageSize, ReadsHeadersLikeImagesize141) {
  TempDir tmp;
  write_all(tmp / "a.png", png_header(3072, 3000));
  EXPECT_EQ(*kohya_image_size(tmp / "a.png"), std::make_pair(3072, 3000));
  // EXIF orientation 6 (rotate 90°) is ignored: the stored 1200x800, not 800x1200.
  write_all(tmp / "b.jpg", jpeg_header(1200, 800));
  EXPECT_EQ(*kohya_image_size(tmp / "b.jpg"), std::make_pair(1200, 800));
  // VP8X: canvas width-1 = 999 (0x0003e7) and height-1 = 499 (0x0001f3) at bytes 24..29; imagesize 1.4.1
  // reports them as they are stored: 999x499 for a 1000x500 picture.
  std::string vp8x = "VP8X" + std::string("\x0a\0\0\0", 4) + std::string("\x10\0\0\0", 4) + std::string("\xe7\x03\x00\xf3\x01\x00", 6);
  write_all(tmp / "c.webp", riff(vp8x));
  EXPECT_EQ(*kohya_image_size(tmp / "c.webp"), std::make_pair(999, 499));
  // VP8L: 14-bit sizes minus one packed after the 0x2f signature: w-1 = 639, h-1 = 479 →
  // b0 = 639 & 255 = 0x7f, b1 = (639 >> 8) | ((479 & 3) << 6) = 0x02 | 0xc0, b2 = (479 >> 2) & 255 = 0x77,
  // b3 = 479 >> 10 = 0.
  std::string vp8l = "VP8L" + std::string("\x10\0\0\0", 4) + std::string("\x2f\x7f\xc2\x77\x00", 5);
  write_all(tmp / "d.webp", riff(vp8l));
  EXPECT_EQ(*kohya_image_size(tmp / "d.webp"), std::make_pair(640, 480));
  // A JPEG that ends before any SOF marker: imagesize raises, and so kohya stops.
  write_all(tmp / "e.jpg", std::string("\xff\xd8\xff\xe0\x00\x10JFIF", 10));
  auto e = kohya_image_size(tmp / "e.jpg");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("e.jpg"), std::string::npos);
}

// Training set, counts and steps ---------------------------------------------------------------------

TEST(KohyaTrainingSet, RepeatsRegImagesAndSteps) {
  TempDir tmp;
  fs::create_directories(tmp / "img/3_sks woman");
  fs::create_directories(tmp / "reg/1_woman");
  fs::create_directories(tmp / "img/notrepeats");
  // 5 training images: 3 square (bucket 512x512), 2 of 1920x1080 (bucket 640x384).
  for (int i = 0; i < 3; ++i) write_all(tmp / ("img/3_sks woman/s" + std::to_string(i) + ".png"), png_header(1024, 1024));
  for (int i = 0; i < 2; ++i) write_all(tmp / ("img/3_sks woman/w" + std::to_string(i) + ".png"), png_header(1920, 1080));
  write_all(tmp / "img/3_sks woman/x.Png", png_header(512, 512));  // ".Png": kohya's glob does not load it
  write_all(tmp / "img/3_sks woman/.h.png", png_header(512, 512)); // hidden: not loaded either
  for (int i = 0; i < 4; ++i) write_all(tmp / ("reg/1_woman/r" + std::to_string(i) + ".png"), png_header(512, 512));
  KohyaBucketsParams p;
  p.reg_data_dir = (tmp / "reg").string();
  p.batch_size = 2;
  p.epochs = 10;
  auto set = kohya_training_set(tmp / "img", p);
  ASSERT_TRUE(set.ok()) << set.status().message();
  ASSERT_EQ(set->datasets.size(), 1u);
  const auto& images = set->datasets[0].images;
  // 5 training images x 3 repeats = 15; 4 reg images registered once (n = 4), then +1 each round:
  // r0..r3 → 8, 12, then r0, r1, r2 → 15: repeats 4, 4, 4, 3.
  ASSERT_EQ(images.size(), 9u);
  std::vector<int> reg_repeats;
  for (auto& i : images)
    if (i.is_reg) reg_repeats.push_back(i.num_repeats);
  EXPECT_EQ(reg_repeats, std::vector<int>({4, 4, 4, 3}));
  auto report = simulate_kohya_buckets(*set, p, tmp.path(), 2);
  // Buckets: 1920x1080 → ar 1.777; nearest predefined 640x384 (1.6667, error 0.111) vs 704x320 (2.2) →
  // 640x384, count 2 x 3 = 6 → 3 batches; 512x512: 3 x 3 + 15 reg = 24 → 12 batches. 15 batches an epoch.
  ASSERT_EQ(report.buckets.size(), 2u);
  EXPECT_EQ(report.buckets[0].width, 512);
  EXPECT_EQ(report.buckets[0].count, 24);
  EXPECT_EQ(report.buckets[0].batches, 12);
  EXPECT_EQ(report.buckets[1].width, 640);
  EXPECT_EQ(report.buckets[1].height, 384);
  EXPECT_EQ(report.buckets[1].count, 6);
  EXPECT_EQ(report.buckets[1].batches, 3);
  EXPECT_EQ(report.steps.batches_per_epoch, 15);
  EXPECT_EQ(report.steps.steps_per_epoch, 15);
  EXPECT_EQ(report.steps.max_train_steps, 150);
  EXPECT_EQ(report.steps.epochs, 10);
}

TEST(KohyaTrainingSet, StepCountLikeTrainNetwork) {
  KohyaBucketsParams p;
  p.gradient_accumulation_steps = 4;
  // 37 batches: ceil(37 / 4) = 10 steps an epoch; default max_train_steps 1600 → ceil(1600 / 10) = 160 epochs.
  auto s = kohya_step_count(37, p);
  EXPECT_EQ(s.steps_per_epoch, 10);
  EXPECT_EQ(s.max_train_steps, 1600);
  EXPECT_EQ(s.epochs, 160);
  // --epochs 3 with 2 processes: 3 * ceil(37 / 2 / 4) = 3 * ceil(4.625) = 15 steps.
  p.epochs = 3;
  p.num_processes = 2;
  s = kohya_step_count(37, p);
  EXPECT_EQ(s.max_train_steps, 15);
  EXPECT_EQ(s.epochs, 2);  // ceil(15 / 10): kohya's own epoch count ignores the processes
}

TEST(KohyaTrainingSet, ConfigDatasetsOverrideTheCommandLine) {
  TempDir tmp;
  fs::create_directories(tmp / "a");
  fs::create_directories(tmp / "b");
  write_all(tmp / "a/1.png", png_header(1000, 1000));
  write_all(tmp / "b/1.png", png_header(1000, 1000));
  write_all(tmp / "b/2.png", png_header(300, 200));
  write_all(tmp / "cfg.toml",
            "[general]\nenable_bucket = true\n\n[[datasets]]\nresolution = 768\nbatch_size = 3\n"
            "  [[datasets.subsets]]\n  image_dir = '" + (tmp / "a").string() + "'\n  num_repeats = 7\n\n"
            "[[datasets]]\nbucket_no_upscale = true\n  [[datasets.subsets]]\n  image_dir = '" + (tmp / "b").string() + "'\n");
  KohyaBucketsParams p;
  p.config = (tmp / "cfg.toml").string();
  p.batch_size = 2;
  auto set = kohya_training_set(tmp.path(), p);
  ASSERT_TRUE(set.ok()) << set.status().message();
  ASSERT_EQ(set->datasets.size(), 2u);
  EXPECT_EQ(set->datasets[0].buckets.width, 768);
  EXPECT_EQ(set->datasets[0].batch_size, 3);
  EXPECT_EQ(set->datasets[1].batch_size, 2);
  EXPECT_TRUE(set->datasets[1].buckets.bucket_no_upscale);
  auto r = simulate_kohya_buckets(*set, p, tmp.path(), 1);
  // Dataset 1: 1000² → 768x768, 7 repeats → ceil(7 / 3) = 3 batches. Dataset 2 (512², no upscale):
  // 1000² → resized sqrt(262144) = 512 → 512x512; 300x200 → 256x192; one batch each. 5 batches.
  ASSERT_EQ(r.buckets.size(), 3u);
  EXPECT_EQ(r.buckets[0].width, 768);
  EXPECT_EQ(r.buckets[0].batches, 3);
  EXPECT_EQ(r.steps.batches_per_epoch, 5);
}

TEST(KohyaBucketsCli, JsonReport) {
  TempDir tmp;
  write_all(tmp / "a.png", png_header(3072, 3000));
  write_all(tmp / "b.png", png_header(4000, 100));
  auto r = run_cli({"buckets", tmp.path().string(), "--json", "--num-repeats", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["images"].size(), 2u);
  EXPECT_EQ(j["images"][0]["file"], "a.png");
  EXPECT_EQ(j["images"][0]["bucket"], nlohmann::json::parse("[512,512]"));
  EXPECT_EQ(j["images"][0]["resized"], nlohmann::json::parse("[524,512]"));
  EXPECT_EQ(j["images"][0]["crop_ltrb"], nlohmann::json::parse("[6,0,518,512]"));
  EXPECT_EQ(j["images"][1]["crop_ltrb"], nlohmann::json::parse("[4608,0,5632,256]"));
  EXPECT_DOUBLE_EQ(j["images"][1]["cropped"].get<double>(), 0.9);
  EXPECT_EQ(j["buckets"].size(), 2u);
  EXPECT_EQ(j["buckets"][0]["count"], 2);
  EXPECT_EQ(j["steps_per_epoch"], 4);
}

TEST(KohyaBucketsCli, HtmlShadesTheCut) {
  TempDir tmp;
  fs::create_directories(tmp / "ds");
  write_all(tmp / "ds/a b.png", png_header(3072, 3000));
  auto r = run_cli({"buckets", (tmp / "ds").string(), "--html", (tmp / "report.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = testing::read_all(tmp / "report.html");
  // Linked relative to the page; the kept box of 3072x3000 → resized 524x512, kept [6, 518): left
  // 6 / 524 = 1.145%, width 512 / 524 = 97.710%; cut 1 - 512 / 524 = 2.29%.
  EXPECT_NE(html.find("src=\"ds/a%20b.png\""), std::string::npos);
  EXPECT_NE(html.find("left:1.145%;top:0.000%;width:97.710%;height:100.000%"), std::string::npos);
  EXPECT_NE(html.find("cut 2.3%"), std::string::npos);
  EXPECT_NE(html.find("title=\"512x512: 1 images, count 1, 1 batches\""), std::string::npos);
}

TEST(KohyaBucketsCli, TextReportAndErrors) {
  TempDir tmp;
  write_all(tmp / "a.png", png_header(1920, 1080));
  write_all(tmp / "b.jpg", std::string("\xff\xd8\xff\xe0\x00\x10JFIF", 10));
  auto r = run_cli({"buckets", tmp.path().string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("640x384"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("b.jpg"), std::string::npos) << r.err;
  auto bad = run_cli({"buckets", tmp.path().string(), "--resolution", "512", "--min-bucket-reso", "1024"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("min_bucket_reso"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace tagmetry
