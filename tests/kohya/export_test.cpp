// kohya export: folder layout, dataset_config.toml parsed back with toml11 key by key (and read back
// with our kohya config reader), names kohya/A1111 cannot use, repeats from target steps; simulate CLI.
#include <gtest/gtest.h>

#include <toml.hpp>

#include "tagmetry/kohya_config.h"
#include "tagmetry/kohya_export.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::run_cli;
using testing::TempDir;
using testing::write_all;

void make_dataset(const fs::path& dir) {
  fs::create_directories(dir);
  write_all(dir / "a.png", "png");
  write_all(dir / "a.txt", "sks, 1girl, smile\na girl smiling");
  write_all(dir / "b.png", "png");
  write_all(dir / "b.txt", "sks, 1girl, long_hair");
}

TEST(KohyaExport, WritesProjectAndConfigParsesBack) {
  TempDir tmp;
  make_dataset(tmp / "ds");
  make_dataset(tmp / "reg");
  KohyaExportParams p;
  p.trigger = "sks";
  p.class_token = "woman";
  p.repeats = 5;
  p.reg_dir = (tmp / "reg").string();
  auto r = kohya_export(tmp / "ds", tmp / "out", p);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->images, 2u);
  EXPECT_EQ(r->captions, 2u);
  EXPECT_EQ(r->reg_images, 2u);
  EXPECT_TRUE(r->warnings.empty());
  const fs::path img = tmp / "out" / "img" / "5_sks woman";
  EXPECT_EQ(read_all(img / "a.txt"), "sks, 1girl, smile\na girl smiling");
  EXPECT_TRUE(fs::exists(tmp / "out" / "reg" / "1_woman" / "b.png"));
  EXPECT_EQ(fs::hard_link_count(img / "a.png"), 2u);
  EXPECT_EQ(r->total_steps, 100);  // 2 images * 5 repeats * 2 (reg) / batch 1 / grad-accum 2 * 10 epochs

  auto root = toml::parse((tmp / "out" / "dataset_config.toml").string());
  const auto& general = toml::find(root, "general");
  EXPECT_EQ(toml::find<bool>(general, "shuffle_caption"), true);
  EXPECT_EQ(toml::find<int>(general, "keep_tokens"), 1);
  EXPECT_EQ(toml::find<std::string>(general, "caption_extension"), ".txt");
  EXPECT_EQ(general.as_table().size(), 3u);
  const auto& ds = toml::find<std::vector<toml::value>>(root, "datasets");
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(toml::find<int>(ds[0], "resolution"), 512);
  EXPECT_EQ(toml::find<int>(ds[0], "batch_size"), 1);
  EXPECT_EQ(toml::find<bool>(ds[0], "enable_bucket"), true);
  const auto& subsets = toml::find<std::vector<toml::value>>(ds[0], "subsets");
  ASSERT_EQ(subsets.size(), 2u);
  EXPECT_EQ(toml::find<std::string>(subsets[0], "image_dir"), fs::absolute(img).lexically_normal().string());
  EXPECT_EQ(toml::find<std::string>(subsets[0], "class_tokens"), "sks woman");
  EXPECT_EQ(toml::find<int>(subsets[0], "num_repeats"), 5);
  EXPECT_EQ(toml::find<bool>(subsets[1], "is_reg"), true);
  EXPECT_EQ(toml::find<std::string>(subsets[1], "class_tokens"), "woman");
  // Every key is one sd-scripts accepts.
  for (auto& [k, v] : ds[0].as_table()) {
    (void)v;
    auto& keys = kohya_dataset_keys();
    EXPECT_TRUE(k == "subsets" || std::find(keys.begin(), keys.end(), k) != keys.end()) << k;
  }
  auto config = read_kohya_dataset_config(tmp / "out" / "dataset_config.toml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_TRUE(config->warnings.empty());
  ASSERT_EQ(config->subsets.size(), 2u);
  EXPECT_EQ(config->subsets[0].caption_extension, ".txt");
  EXPECT_TRUE(config->subsets[0].caption.shuffle_caption);
  EXPECT_EQ(config->subsets[0].caption.keep_tokens, 1);
  auto images = kohya_subset_images(config->subsets[0]);
  ASSERT_TRUE(images.ok());
  ASSERT_EQ(images->size(), 2u);
  EXPECT_EQ((*images)[0].caption, "sks, 1girl, smile");

  std::string md = read_all(tmp / "out" / "metadata.json");
  EXPECT_NE(md.find("\"caption\": \"a girl smiling\""), std::string::npos);
  std::string sh = read_all(tmp / "out" / "train.sh");
  EXPECT_NE(sh.find("accelerate launch --num_cpu_threads_per_process 1 train_network.py"), std::string::npos);
  EXPECT_NE(sh.find("--network_dim 64 --network_alpha 32"), std::string::npos);
  EXPECT_NE(sh.find("--clip_skip 2"), std::string::npos);
  EXPECT_EQ(read_all(tmp / "out" / "a1111_prompt.txt"), "<lora:sks:0.8>, sks, woman, 1girl, long_hair, smile\n");
  EXPECT_EQ(read_all(tmp / "out" / "sample_prompts.txt"),
            "sks, woman, 1girl, long_hair, smile --n lowres, bad anatomy, worst quality --w 512 --h 512 --l 7 --s 28 --d 1\n");
}

TEST(KohyaExport, RefusesBadNamesAndNonEmptyOut) {
  KohyaExportParams p;
  p.trigger = "sks";
  p.name = "ロラ";
  EXPECT_FALSE(kohya_check_names(p).ok());
  p.name = "my lora";
  EXPECT_FALSE(kohya_check_names(p).ok());
  p.name = "";
  p.trigger = "a/b";
  EXPECT_FALSE(kohya_check_names(p).ok());
  p.trigger = "";
  EXPECT_FALSE(kohya_check_names(p).ok());
  p.trigger = "sks";
  EXPECT_TRUE(kohya_check_names(p).ok());
  TempDir tmp;
  make_dataset(tmp / "ds");
  write_all(tmp / "out" / "keep.txt", "mine");
  auto r = kohya_export(tmp / "ds", tmp / "out", p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not empty"), std::string::npos);
  EXPECT_EQ(read_all(tmp / "out" / "keep.txt"), "mine");
}

TEST(KohyaExport, RepeatsFromTargetSteps) {
  auto preset = kohya_preset("sd15").value();
  EXPECT_EQ(kohya_total_steps(3, 10, false, preset), 150);
  EXPECT_EQ(kohya_repeats_for_steps(3, 150, false, preset), 10);
  EXPECT_EQ(kohya_repeats_for_steps(3, 151, false, preset), 11);
  auto sdxl = kohya_preset("sdxl").value();
  EXPECT_EQ(sdxl.script, "sdxl_train_network.py");
  EXPECT_EQ(sdxl.resolution, 1024);
  EXPECT_FALSE(kohya_preset("sd3").ok());
}

TEST(KohyaConfig, FallbacksAndUnknownKeys) {
  TempDir tmp;
  make_dataset(tmp / "imgs");
  write_all(tmp / "c.toml",
            "[general]\nshuffle_caption = true\ncaption_separator = \";\"\n"
            "[[datasets]]\nkeep_tokens = 2\n[[datasets.subsets]]\nimage_dir = \"imgs\"\ncaption_extension = \".txt\"\n"
            "token_warmup_step = 0.5\n");
  auto c = read_kohya_dataset_config(tmp / "c.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->subsets.size(), 1u);
  EXPECT_TRUE(c->subsets[0].caption.shuffle_caption);
  EXPECT_EQ(c->subsets[0].caption.keep_tokens, 2);
  EXPECT_EQ(c->subsets[0].caption.token_warmup_step, 0.5);
  EXPECT_EQ(c->subsets[0].image_dir, tmp / "imgs");  // resolved beside the config
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("caption_separator"), std::string::npos);
  write_all(tmp / "bad.toml", "[[datasets]]\n[[datasets.subsets]]\nimage_dir = 3\n");
  auto bad = read_kohya_dataset_config(tmp / "bad.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("image_dir: expected a string"), std::string::npos);
}

TEST(SimulateCli, PrintsExactlyNLines) {
  auto r = run_cli({"simulate", "--caption", "a, b, c", "--samples", "3", "--seed", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "a, b, c\na, b, c\na, b, c\n");
  r = run_cli({"simulate", "--caption", "a, b", "--caption-dropout-rate", "1", "--samples", "2"});
  EXPECT_EQ(r.out, "\n\n");
  r = run_cli({"simulate", "--caption", "sks,x,,y", "--token-warmup-step", "5", "--step", "9"});
  EXPECT_EQ(r.out, "sks, x, , y\n");
  r = run_cli({"simulate", "--caption", "k, a, b", "--shuffle-caption", "--keep-tokens", "1", "--samples", "50"});
  size_t lines = 0;
  for (char ch : r.out) lines += ch == '\n';
  EXPECT_EQ(lines, 50u);
  EXPECT_NE(r.out.find("k, a, b\n"), std::string::npos);
  EXPECT_NE(r.out.find("k, b, a\n"), std::string::npos);
}

TEST(SimulateCli, DatasetFromConfig) {
  TempDir tmp;
  make_dataset(tmp / "imgs");
  write_all(tmp / "c.toml", "[[datasets]]\n[[datasets.subsets]]\nimage_dir = \"" + (tmp / "imgs").string() +
                                "\"\ncaption_extension = \".txt\"\ncaption_prefix = \"pre\"\n");
  auto r = run_cli({"simulate", "--config", (tmp / "c.toml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, (tmp / "imgs" / "a.png").string() + "\tpre sks, 1girl, smile\n" + (tmp / "imgs" / "b.png").string() +
                       "\tpre sks, 1girl, long_hair\n");
  // kohya's default extension is .caption: no captions found, class tokens used, and a warning.
  r = run_cli({"simulate", (tmp / "imgs").string()});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, (tmp / "imgs" / "a.png").string() + "\t\n" + (tmp / "imgs" / "b.png").string() + "\t\n");
  EXPECT_NE(r.err.find("2 of 2 images have no .caption caption"), std::string::npos);
}

TEST(ExportCli, ExportsAndPrintsA1111Line) {
  TempDir tmp;
  make_dataset(tmp / "ds");
  auto r = run_cli({"export", "kohya", (tmp / "ds").string(), (tmp / "out").string(), "--trigger", "sks",
                    "--preset", "sdxl", "--name", "my_lora"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("A1111: <lora:my_lora:0.8>, sks, 1girl, long_hair, smile\n"), std::string::npos);
  EXPECT_TRUE(fs::exists(tmp / "out" / "img" / "10_sks" / "a.png"));
  EXPECT_NE(read_all(tmp / "out" / "train.sh").find("sdxl_train_network.py"), std::string::npos);
  r = run_cli({"export", "kohya", (tmp / "ds").string(), (tmp / "out2").string(), "--trigger", "日本"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("must use only ASCII"), std::string::npos);
}

}  // namespace
}  // namespace tagmetry
