// `tagmetry tag` as a user runs it: captions written, bad inputs reported and skipped, existing
// captions safe, bad models refused with a clear message.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "tagmetry/image.h"
#include "tagmetry/infer.h"
#include "tagmetry/image_encode.h"

#include "fixtures.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::known_answer_models;
using testing::read_all;
using testing::run_cli;
using testing::TempDir;
using testing::write_all;

std::vector<std::string> tag_args(const fs::path& dir, const std::string& model = "wd") {
  return {"tag", dir.string(), "--model-dir", (known_answer_models() / model).string()};
}

std::vector<std::string> with(std::vector<std::string> a, std::initializer_list<std::string> more) {
  a.insert(a.end(), more);
  return a;
}

// With the known-answer WD model, a pure red 448x224 image gets exactly these tags (confidence order).
const char* kRedCaption =
    "red_in_last_channel, red_theme, white_padding, range_0_255, hatsune_miku_(vocaloid), tag_a, ^_^, long_hair, tag_b";

TEST(TagCli, WritesCaptionsInConfidenceOrder) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  auto r = run_cli(tag_args(d.path()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(d / "red_448x224.txt"), kRedCaption);
  EXPECT_NE(r.out.find("tagged 1 of 1 images"), std::string::npos) << r.out;
}

// a.jpg and a.png both pair with a.txt: the first is tagged, the second named and left untagged, so
// neither caption overwrites the other within the run.
TEST(TagCli, ImagesSharingACaptionAreNotOverwritten) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  fs::copy_file(d / "red_448x224.png", d / "a.jpg");
  fs::rename(d / "red_448x224.png", d / "a.png");
  auto r = run_cli(tag_args(d.path()));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("a.png: not tagged: a.jpg and a.png share the caption a.txt (tagged a.jpg;"), std::string::npos)
      << r.err;
  EXPECT_EQ(read_all(d / "a.txt"), kRedCaption);
  EXPECT_NE(r.out.find("tagged 1 of 2 images"), std::string::npos) << r.out;
}

TEST(TagCli, SelectionOptionsReachTheCaption) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  auto r = run_cli(with(tag_args(d.path()), {"--general-threshold", "0.65", "--character-tags-first", "--remove-underscore",
                                             "--rating", "last", "--undesired-tags", "range_0_255,white_padding",
                                             "--caption-extension", ".caption", "--tag-replacement", "tag_a,my\\,tag"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(d / "red_448x224.caption"),
            "hatsune miku (vocaloid), red in last channel, red theme, my,tag, ^_^, long hair, general");
}

TEST(TagCli, BadImagesAreReportedAndTheRestTagged) {
  TempDir d;
  testing::copy_images({"red_448x224.png", "truncated.jpg", "truncated.png", "empty.jpg", "text.png", "huge.png"},
                       d.path());
  write_all(d / "notes.md", "not an image");
  fs::rename(d / "truncated.png", d / "truncated2.png");  // truncated.jpg and .png would share a caption
  auto r = run_cli(with(tag_args(d.path()), {"--json"}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["images"], 6);
  EXPECT_EQ(j["tagged"], 1);
  EXPECT_EQ(j["failed"], 5);
  std::map<std::string, std::string> errors;
  for (auto& f : j["failures"]) errors[f["path"]] = f["error"];
  EXPECT_EQ(errors["empty.jpg"], "empty.jpg: empty file (0 bytes)");
  EXPECT_EQ(errors["text.png"], "text.png: not an image (unrecognised format)");
  EXPECT_EQ(errors["huge.png"], "huge.png: image too large (100000x100000 pixels, limit 178956970 pixels)");
  EXPECT_TRUE(errors["truncated.jpg"].starts_with("truncated.jpg: truncated or damaged image")) << errors["truncated.jpg"];
  EXPECT_TRUE(errors["truncated2.png"].starts_with("truncated2.png: truncated or damaged image")) << errors["truncated2.png"];
  EXPECT_NE(r.err.find("tagmetry: text.png: not an image"), std::string::npos);
  EXPECT_EQ(read_all(d / "red_448x224.txt"), kRedCaption);
  for (auto* bad : {"truncated.txt", "truncated2.txt", "empty.txt", "text.txt", "huge.txt"}) EXPECT_FALSE(fs::exists(d / bad)) << bad;
}

// B2: a JPEG with 2,000 random bytes in the middle (libjpeg only warns and fills grey) is a failure with
// its reason, not a caption of a half-grey picture.
TEST(TagCli, CorruptJpegDataIsAFailureNotACaption) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  std::mt19937 rng(7);
  RgbImage noise{320, 240, std::vector<uint8_t>(320 * 240 * 3)};
  for (auto& p : noise.pixels) p = static_cast<uint8_t>(rng());
  auto jpeg = encode_image(noise, EncodeOptions{.format = ImageFormat::kJpeg, .quality = 90});
  ASSERT_TRUE(jpeg.ok());
  std::string bytes = *jpeg;
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 2000; ++i) bytes[i] = static_cast<char>(rng());
  write_all(d / "garbled.jpg", bytes);
  auto r = run_cli(with(tag_args(d.path()), {"--json"}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tagged"], 1);
  EXPECT_EQ(j["failed"], 1);
  ASSERT_EQ(j["failures"].size(), 1u);
  EXPECT_EQ(j["failures"][0]["path"], "garbled.jpg");
  EXPECT_EQ(j["failures"][0]["error"], "garbled.jpg: corrupt JPEG data (premature end of data segment)");
  EXPECT_NE(r.err.find("tagmetry: garbled.jpg: corrupt JPEG data"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "garbled.txt"));
  EXPECT_EQ(read_all(d / "red_448x224.txt"), kRedCaption);
}

TEST(TagCli, ExistingCaptionsAreSkippedByDefault) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  write_all(d / "red_448x224.txt", "my hand-written caption");
  auto r = run_cli(tag_args(d.path()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(d / "red_448x224.txt"), "my hand-written caption");
  EXPECT_NE(r.out.find("1 skipped: caption already exists"), std::string::npos) << r.out;
}

TEST(TagCli, AppendMergesWithoutDuplicates) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  write_all(d / "red_448x224.txt", "mytrigger, tag a, long_hair\nA second, sentence line.\n");
  auto r = run_cli(with(tag_args(d.path()), {"--append", "--general-threshold", "0.65"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(d / "red_448x224.txt"),
            "mytrigger, tag a, long_hair, red_in_last_channel, red_theme, white_padding, range_0_255, "
            "hatsune_miku_(vocaloid), ^_^\nA second, sentence line.\n");  // line endings kept as they were
}

TEST(TagCli, OverwriteKeepsABackup) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  write_all(d / "red_448x224.txt", "old caption");
  auto r = run_cli(with(tag_args(d.path()), {"--overwrite"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(d / "red_448x224.txt"), kRedCaption);
  EXPECT_EQ(read_all(d / "red_448x224.txt.bak"), "old caption");
  auto both = run_cli(with(tag_args(d.path()), {"--overwrite", "--append"}));
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("--append and --overwrite cannot be used together"), std::string::npos);
}

TEST(TagCli, BatchSizeDoesNotChangeTheResult) {
  TempDir a, b;
  std::vector<std::string> images{"red_448x224.png", "blue_300x500.png", "grey.png", "transparent.png",
                                  "rotated.jpg", "small_red_224x112.png", "photo_2000x1500.jpg"};
  testing::copy_images(images, a.path());
  testing::copy_images(images, b.path());
  ASSERT_EQ(run_cli(with(tag_args(a.path()), {"--batch-size", "1", "--threads", "1"})).exit_code, 0);
  ASSERT_EQ(run_cli(with(tag_args(b.path()), {"--batch-size", "3", "--threads", "3"})).exit_code, 0);
  for (auto& img : images) {
    auto txt = fs::path(img).replace_extension(".txt").string();
    EXPECT_EQ(read_all(a / txt), read_all(b / txt)) << img;
    EXPECT_FALSE(read_all(a / txt).empty()) << img;
  }
}

TEST(TagCli, RecursiveFindsSubfolders) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d / "sub");
  EXPECT_EQ(run_cli(tag_args(d.path())).out.find("tagged 0 of 0"), 0u);
  auto r = run_cli(with(tag_args(d.path()), {"--recursive"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(d / "sub" / "red_448x224.txt"), kRedCaption);
}

TEST(TagCli, BadModelsAreRefusedClearly) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  auto wrong = run_cli(tag_args(d.path(), "wd_wrong_labels"));
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("model.onnx: the model has 19 outputs but selected_tags.csv has 18 labels"), std::string::npos)
      << wrong.err;
  auto truncated = run_cli(tag_args(d.path(), "wd_truncated"));
  EXPECT_EQ(truncated.exit_code, 2);
  EXPECT_NE(truncated.err.find("model.onnx: not an ONNX model"), std::string::npos) << truncated.err;
  auto no_labels = run_cli(tag_args(d.path(), "wd_no_labels"));
  EXPECT_EQ(no_labels.exit_code, 2);
  EXPECT_NE(no_labels.err.find("no labels file (selected_tags.csv for WD models, top_tags.txt for JoyTag)"),
            std::string::npos)
      << no_labels.err;
  auto forced = run_cli(with(tag_args(d.path(), "wd"), {"--model-type", "joytag"}));
  EXPECT_EQ(forced.exit_code, 2);
  EXPECT_NE(forced.err.find("missing top_tags.txt (needed by a joytag model)"), std::string::npos) << forced.err;
  EXPECT_FALSE(fs::exists(d / "red_448x224.txt"));
}

TEST(TagCli, NanOutputsFailThatImage) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  auto r = run_cli(tag_args(d.path(), "wd_nan"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("red_448x224.png: the model produced NaN or infinite scores"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "red_448x224.txt"));
}

TEST(TagCli, Int8PrecisionBuildsAndUsesAQuantizedCopy) {
  TempDir d, m;
  testing::copy_images({"red_448x224.png"}, d.path());
  fs::copy(known_answer_models() / "wd", m / "wd");
  auto r = run_cli({"tag", d.path().string(), "--model-dir", (m / "wd").string(), "--precision", "int8", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(m / "wd" / "model.int8.onnx"));
  EXPECT_NE(nlohmann::json::parse(r.out)["model"].get<std::string>().find("model.int8.onnx"), std::string::npos);
  EXPECT_EQ(read_all(d / "red_448x224.txt"), kRedCaption);
}

TEST(TagCli, Fp16PrecisionBuildsAndUsesAFloat16CopyAndWarnsOnCpu) {
  TempDir d, m;
  testing::copy_images({"red_448x224.png"}, d.path());
  fs::copy(known_answer_models() / "wd", m / "wd");
  auto r = run_cli({"tag", d.path().string(), "--model-dir", (m / "wd").string(), "--precision", "fp16", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(m / "wd" / "model.fp16.onnx"));
  EXPECT_FALSE(fs::exists(m / "wd" / "model.fp16.onnx.partial"));
  EXPECT_NE(nlohmann::json::parse(r.out)["model"].get<std::string>().find("model.fp16.onnx"), std::string::npos);
  EXPECT_NE(r.err.find("warning: --precision fp16 is made for GPUs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("built model.fp16.onnx: 2 weights in fp16"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tag-set F1 1.000 against fp32 on 1 image(s)"), std::string::npos) << r.err;
  EXPECT_EQ(read_all(d / "red_448x224.txt"), kRedCaption);
}

TEST(TagCli, Fp16CopyThatChangesTagsIsRefused) {
  TempDir d, m;
  testing::copy_images({"red_448x224.png", "blue_300x500.png"}, d.path());
  fs::copy(known_answer_models() / "wd_fp16_unsafe", m / "wd");
  auto r = run_cli({"tag", d.path().string(), "--model-dir", (m / "wd").string(), "--precision", "fp16"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("model.onnx: the fp16 model changes too many tags (tag-set F1 against fp32 0.833 on 2 image(s), "
                       "below 0.90), so it was not built; use --precision fp32"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(m / "wd" / "model.fp16.onnx"));
  EXPECT_FALSE(fs::exists(m / "wd" / "model.fp16.onnx.partial"));
  EXPECT_FALSE(fs::exists(d / "red_448x224.txt"));
}

// Passes on every machine, asserting the exact outcome for each: where `doctor` finds no usable CUDA
// provider (no GPU build, or a CUDA library missing) the error is doctor's reason, word for word, on one
// line; where it finds one, the run either tags the image on the GPU or (a provider without a GPU behind it)
// stops with a --device cuda error; no caption is ever written by a failed run.
TEST(TagCli, CudaDeviceTagsOrSaysExactlyWhyNot) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  auto r = run_cli(with(tag_args(d.path()), {"--device", "cuda"}));
  std::optional<DeviceCheck> cuda;
  for (auto& c : check_devices())
    if (c.device == "cuda") cuda = c;
  ASSERT_TRUE(cuda.has_value());
  if (!cuda->usable) {
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "tagmetry: " + cuda->detail + "\n");
    EXPECT_TRUE(cuda->detail.starts_with("--device cuda: ")) << cuda->detail;
    EXPECT_FALSE(fs::exists(d / "red_448x224.txt"));
    return;
  }
  if (r.exit_code == 0) {
    EXPECT_NE(r.out.find("device cuda: CUDAExecutionProvider"), std::string::npos) << r.out;
    EXPECT_EQ(read_all(d / "red_448x224.txt"), kRedCaption);
  } else {
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(r.err.starts_with("tagmetry: --device cuda: ")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(d / "red_448x224.txt"));
  }
}

}  // namespace
}  // namespace tagmetry
