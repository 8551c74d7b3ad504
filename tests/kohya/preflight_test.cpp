// kohya preflight: the config schema (keys kohya accepts and rejects), the train.sh reader, and a
// planted file for each finding; export kohya's own output comes out clean.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "tagmetry/image_encode.h"
#include "tagmetry/kohya_preflight.h"
#include "../stats/png_fixture.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::run_cli;
using testing::TempDir;
using testing::write_all;

std::vector<std::string> problem_lines(const fs::path& toml, bool controlnet = false) {
  auto r = kohya_check_config_schema(toml, controlnet);
  EXPECT_TRUE(r.ok()) << r.status().message();
  std::vector<std::string> out;
  if (r.ok())
    for (auto& p : *r) out.push_back(p.where + " | " + p.key + " | " + p.message + " | " + p.fix);
  return out;
}

TEST(KohyaConfigSchema, AcceptsWhatKohyaAccepts) {
  TempDir tmp;
  write_all(tmp / "ok.toml",
            "[general]\nshuffle_caption = true\nkeep_tokens = 1\ncaption_extension = '.txt'\nenable_bucket = true\n"
            "network_multiplier = 1.0\nnum_repeats = true\n\n"
            "[[datasets]]\nresolution = [768, 512]\nbatch_size = 2\ncaption_dropout_rate = 0\n"
            "  [[datasets.subsets]]\n  image_dir = 'a'\n  class_tokens = 'sks woman'\n  is_reg = false\n"
            "  face_crop_aug_range = [1.0, 2.0]\n\n"
            "[[datasets]]\n  [[datasets.subsets]]\n  metadata_file = 'm.json'\n  image_dir = 'b'\n");
  EXPECT_EQ(problem_lines(tmp / "ok.toml"), std::vector<std::string>{});
}

TEST(KohyaConfigSchema, RejectsWhatKohyaRejects) {
  TempDir tmp;
  write_all(tmp / "bad.toml",
            "foo = 1\n[general]\nshufle_caption = true\nimage_dir = 'x'\n\n"
            "[[datasets]]\nnetwork_multiplier = 1\nis_reg = true\n"
            "  [[datasets.subsets]]\n  image_dir = 'a'\n  batch_size = 2\n  face_crop_aug_range = [1, 2]\n"
            "  [[datasets.subsets]]\n  class_tokens = 'x'\n\n"
            "[[datasets]]\n  [[datasets.subsets]]\n  metadata_file = 'm.json'\n  class_tokens = 'ft has none'\n\n"
            "[[datasets]]\n  [[datasets.subsets]]\n  metadata_file = 'm.json'\n  [[datasets.subsets]]\n  image_dir = 'c'\n");
  auto lines = problem_lines(tmp / "bad.toml");
  std::vector<std::string> want = {
      "top level | foo | extra keys not allowed | only [general] and [[datasets]] may stand at the top; put 'foo' under one of them",
      "[general] | image_dir | extra keys not allowed | move 'image_dir' to [[datasets.subsets]]",
      "[general] | shufle_caption | extra keys not allowed | did you mean 'shuffle_caption'?",
      "[[datasets]] #1 (DreamBooth) | is_reg | extra keys not allowed | move 'is_reg' to [[datasets.subsets]]",
      "[[datasets]] #1 (DreamBooth) | network_multiplier | expected a float (write 1.0, not 1) | write network_multiplier as a float (write 1.0, not 1)",
      "[[datasets]] #1 subset #1 (DreamBooth) | batch_size | extra keys not allowed | move 'batch_size' to [[datasets]]",
      "[[datasets]] #1 subset #1 (DreamBooth) | face_crop_aug_range | expected two floats [a, b] | write face_crop_aug_range as two floats [a, b]",
      "[[datasets]] #1 subset #2 (DreamBooth) | image_dir | required key not provided | add image_dir = \"…\"",
      "[[datasets]] #2 subset #1 (fine-tuning) | class_tokens | extra keys not allowed | move 'class_tokens' to [general]",
      "[[datasets]] #3 | metadata_file | DreamBooth subset and fine tuning subset cannot be mixed in the same dataset | split the subsets with metadata_file into a [[datasets]] of their own"};
  EXPECT_EQ(lines, want);
}

TEST(KohyaTrainScript, ReadsFlagsLikeAShell) {
  auto s = parse_kohya_train_script(
      "#!/bin/sh\nMODEL=\"/m.safetensors\"  # the model\n"
      "accelerate launch --num_cpu_threads_per_process 1 sdxl_train_network.py \\\n"
      "  --dataset_config '/a b/dataset_config.toml' --enable_bucket \\\n"
      "  --resolution=1024,1024 --caption_extension \".txt\" --shuffle_caption \"$@\"\necho done --not-a-flag\n");
  EXPECT_EQ(s.script, "sdxl_train_network.py");
  EXPECT_EQ(s.value("dataset_config"), "/a b/dataset_config.toml");
  EXPECT_TRUE(s.has("enable_bucket"));
  EXPECT_EQ(s.value("enable_bucket"), std::nullopt);
  EXPECT_EQ(s.value("resolution"), "1024,1024");
  EXPECT_EQ(s.value("caption_extension"), ".txt");
  EXPECT_TRUE(s.has("shuffle_caption"));
  EXPECT_FALSE(s.has("not_a_flag"));
  EXPECT_FALSE(s.has("num_cpu_threads_per_process"));
}

std::string png_header(uint32_t w, uint32_t h) {
  std::string s = "\x89PNG\r\n\x1a\n";
  s += std::string("\0\0\0\x0dIHDR", 8);
  for (uint32_t v : {w, h})
    for (int k = 24; k >= 0; k -= 8) s += char((v >> k) & 0xff);
  return s + std::string("\x08\x02\0\0\0", 5) + std::string(4, '\0');
}

// A real JPEG with an EXIF APP1 segment saying orientation 6 (rotate 90° clockwise to view).
std::string rotated_jpeg() {
  RgbImage im{32, 16, std::vector<uint8_t>(32 * 16 * 3, 128)};
  auto bytes = encode_image(im, EncodeOptions{.format = ImageFormat::kJpeg, .quality = 90});
  EXPECT_TRUE(bytes.ok());
  const std::string exif("Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0", 32);
  std::string app1 = "\xff\xe1";
  app1 += char((exif.size() + 2) >> 8);
  app1 += char((exif.size() + 2) & 0xff);
  app1 += exif;
  return bytes->substr(0, 2) + app1 + bytes->substr(2);
}

struct Planted {
  TempDir tmp;
  fs::path a() const { return tmp / "a"; }
  fs::path b() const { return tmp / "b"; }
  Planted() {
    fs::create_directories(a());
    fs::create_directories(b());
    auto img = [](const fs::path& p) { write_all(p, png_header(768, 512)); };
    img(a() / "good.png");
    write_all(a() / "good.txt", "sks, 1girl, smile");
    img(a() / "empty.png");
    write_all(a() / "empty.txt", "");
    img(a() / "sjis.png");
    write_all(a() / "sjis.txt", "sks, \x83\x65\x83\x58\x83\x67");  // "テスト" in Shift-JIS
    img(a() / "bom.png");
    write_all(a() / "bom.txt", "\xEF\xBB\xBFsks, smile");
    img(a() / "cr.png");
    write_all(a() / "cr.txt", "sks, smile\rsks, a girl");
    img(a() / "multi.png");
    write_all(a() / "multi.txt", "sks, smile\nsks, a girl smiling\n");
    img(a() / "nocap.png");
    img(a() / "x.png");
    write_all(a() / "x.txt", "sks, 1girl, x");
    img(a() / "x_1_2_3_4.png");  // no caption of its own: picks up x.txt
    img(a() / "mixed.Png");
    write_all(a() / "rot.jpg", rotated_jpeg());
    write_all(a() / "rot.txt", "sks, 1girl");
    write_all(a() / "trunc.jpg", std::string("\xff\xd8\xff\xe0\x00\x10JFIF", 10));
    write_all(a() / "trunc.txt", "sks, 1girl");
    img(a() / "late.png");
    write_all(a() / "late.txt", "1girl, smile, sks");
    img(a() / "notrig.png");
    write_all(a() / "notrig.txt", "1girl, (smile:1.2)");
    img(a() / "long.png");
    std::string lng = "sks";
    for (int i = 0; i < 40; ++i) lng += ", tag" + std::to_string(i) + " word";
    write_all(a() / "long.txt", lng);
    img(b() / "b1.png");
    write_all(b() / "b1.txt", "sks, 1girl");
    write_all(tmp / "dataset_config.toml",
              "[general]\nenable_bucket = true\nshuffle_caption = true\nkeep_tokens = 1\nbogus_key = 1\n\n"
              "[[datasets]]\nresolution = 512\n"
              "  [[datasets.subsets]]\n  image_dir = '" + a().string() + "'\n  caption_extension = '.txt'\n"
              "  class_tokens = 'sks woman'\n  num_repeats = 2\n"
              "  [[datasets.subsets]]\n  image_dir = '" + b().string() + "'\n  class_tokens = 'sks woman'\n");
  }
};

const KohyaPreflightFinding* find(const KohyaPreflightReport& r, const std::string& rule) {
  for (auto& f : r.findings)
    if (f.rule == rule) return &f;
  return nullptr;
}

TEST(KohyaPreflight, NamesEveryPlantedProblem) {
  Planted p;
  auto r = kohya_preflight(p.tmp.path(), {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto files = [&](const std::string& rule) {
    auto* f = find(*r, rule);
    EXPECT_NE(f, nullptr) << rule;
    return f ? f->files : std::vector<std::string>{};
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(files("config-key"), V{"dataset_config.toml"});
  EXPECT_NE(find(*r, "config-key")->message.find("'bogus_key': extra keys not allowed"), std::string::npos);
  EXPECT_EQ(files("caption-extension"), V{"b"});
  EXPECT_NE(find(*r, "caption-extension")->fix.find("caption_extension = \".txt\""), std::string::npos);
  EXPECT_EQ(files("empty-caption"), V{"a/empty.txt"});
  EXPECT_EQ(find(*r, "empty-caption")->severity, "error");
  EXPECT_EQ(files("non-utf8"), V{"a/sjis.txt"});
  EXPECT_NE(find(*r, "non-utf8")->message.find("Shift-JIS"), std::string::npos);
  EXPECT_EQ(files("byte-order-mark"), V{"a/bom.txt"});
  EXPECT_EQ(files("line-breaks"), V{"a/cr.txt"});
  EXPECT_EQ(files("multiline-no-wildcard"), (V{"a/cr.txt", "a/multi.txt"}));
  EXPECT_EQ(files("missing-caption"), V{"a/nocap.png"});
  EXPECT_NE(find(*r, "missing-caption")->message.find("\"sks woman\""), std::string::npos);
  EXPECT_EQ(files("underscore-caption"), V{"a/x_1_2_3_4.png"});
  EXPECT_NE(find(*r, "underscore-caption")->message.find("a/x.txt"), std::string::npos);
  EXPECT_EQ(files("extension-case"), V{"a/mixed.Png"});
  EXPECT_EQ(files("exif-orientation"), V{"a/rot.jpg"});
  ASSERT_EQ(files("image-size").size(), 1u);
  EXPECT_NE(files("image-size")[0].find("trunc.jpg"), std::string::npos);
  // The BOM glues itself to "sks": that caption lacks the trigger as kohya reads it.
  EXPECT_EQ(files("trigger-missing"), (V{"a/bom.txt", "a/notrig.txt"}));
  EXPECT_EQ(files("trigger-unprotected"), V{"a/late.txt"});
  EXPECT_EQ(files("weight-syntax"), V{"a/notrig.txt"});
  EXPECT_EQ(files("token-length"), V{"a/long.txt"});
  EXPECT_TRUE(r->has_findings());
  EXPECT_EQ(find(*r, "bucketing-off"), nullptr);  // the config sets enable_bucket
}

TEST(KohyaPreflight, BucketingOffWithoutEnableBucket) {
  TempDir tmp;
  fs::create_directories(tmp / "a");
  write_all(tmp / "a/1.png", png_header(768, 512));
  write_all(tmp / "a/1.txt", "sks, 1girl");
  write_all(tmp / "dataset_config.toml", "[[datasets]]\n  [[datasets.subsets]]\n  image_dir = '" + (tmp / "a").string() +
                                             "'\n  caption_extension = '.txt'\n");
  // No command given: kohya's buckets depend on --enable_bucket there.
  auto r = kohya_preflight(tmp.path(), {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_NE(find(*r, "bucketing-off"), nullptr);
  EXPECT_NE(find(*r, "bucketing-off")->message.find("does not set enable_bucket"), std::string::npos);
  // A train.sh without --enable_bucket: buckets are off, every image is centre-cropped to 512x512.
  write_all(tmp / "train.sh", "accelerate launch train_network.py --dataset_config dataset_config.toml --resolution 512\n");
  r = kohya_preflight(tmp.path(), {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_NE(find(*r, "bucketing-off"), nullptr);
  EXPECT_NE(find(*r, "bucketing-off")->message.find("buckets are off"), std::string::npos);
  EXPECT_EQ(r->train_script, (tmp / "train.sh").string());
  EXPECT_EQ(find(*r, "bucket-reso-steps"), nullptr);
  // Buckets on with steps 32: SDXL accepts them, train_network.py (SD 1/2) stops on them.
  write_all(tmp / "train.sh", "accelerate launch train_network.py --dataset_config dataset_config.toml --enable_bucket "
                              "--bucket_reso_steps 32\n");
  r = kohya_preflight(tmp.path(), {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(find(*r, "bucketing-off"), nullptr);
  ASSERT_NE(find(*r, "bucket-reso-steps"), nullptr);
  EXPECT_EQ(find(*r, "bucket-reso-steps")->message,
            "bucket_reso_steps 32 is not a multiple of 64: train_network.py stops (verify_bucket_reso_steps)");
  write_all(tmp / "train.sh", "accelerate launch sdxl_train_network.py --dataset_config dataset_config.toml "
                              "--enable_bucket --bucket_reso_steps 32\n");
  r = kohya_preflight(tmp.path(), {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(find(*r, "bucket-reso-steps"), nullptr);
}

TEST(KohyaPreflight, CliExitCodesAndJson) {
  Planted p;
  auto r = run_cli({"preflight", p.tmp.path().string(), "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  std::vector<std::string> rules;
  for (auto& f : j["findings"]) rules.push_back(f["rule"]);
  EXPECT_NE(std::find(rules.begin(), rules.end(), "empty-caption"), rules.end());
  EXPECT_EQ(rules.back(), "steps");
  auto missing = run_cli({"preflight", (p.tmp / "nope").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope"), std::string::npos) << missing.err;
}

TEST(KohyaPreflight, ExportIsCleanAndTrainShSetsTheSteps) {
  TempDir tmp;
  fs::create_directories(tmp / "ds");
  for (int i = 0; i < 3; ++i) {
    testing::write_png(tmp / ("ds/i" + std::to_string(i) + ".png"), 640 + 64 * i, 512, static_cast<uint8_t>(10 * i));
    write_all(tmp / ("ds/i" + std::to_string(i) + ".txt"), "1girl, smile");
  }
  auto e = run_cli({"export", "kohya", (tmp / "ds").string(), (tmp / "out").string(), "--trigger", "sks",
                    "--add-trigger", "--repeats", "5"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  // sd15 preset: batch 1, gradient accumulation 2, 10 epochs. 3 images x 5 repeats in 512-buckets:
  // 640x512 (ar 1.25) → 576x448 (1.2857, error .036; 512x512 errs by .25) (5);
  // 704x512 (1.375) → 576x448 (5); 768x512 (1.5) → 640x384 (1.667, error .167) vs 576x448 (error .214) → 5.
  // 10 + 5 = 15 batches → ceil(15 / 2) = 8 steps an epoch → 80 steps.
  EXPECT_NE(e.out.find("preflight: clean; kohya will run 80 steps (10 epochs)"), std::string::npos) << e.out;
  auto r = kohya_preflight(tmp / "out", {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->has_findings()) << (r->findings.empty() ? "" : r->findings[0].message);
  EXPECT_EQ(r->steps.batches_per_epoch, 15);
  EXPECT_EQ(r->steps.max_train_steps, 80);
}

}  // namespace
}  // namespace tagmetry
