// kohya export: folder layout, dataset_config.toml parsed back with toml11 key by key (and read back
// with our kohya config reader), names kohya/A1111 cannot use, repeats from target steps; simulate CLI.
#include <gtest/gtest.h>

#include <toml.hpp>

#include "tagmetry/kohya_config.h"
#include "tagmetry/kohya_export.h"
#include "../stats/png_fixture.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::run_cli;
using testing::TempDir;
using testing::write_all;
using testing::write_png;

void make_dataset(const fs::path& dir) {
  fs::create_directories(dir);
  write_png(dir / "a.png", 16, 16, 10);
  write_all(dir / "a.txt", "sks, 1girl, smile\nsks, a girl smiling");
  write_png(dir / "b.png", 16, 16, 20);
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
  EXPECT_EQ(read_all(img / "a.txt"), "sks, 1girl, smile\nsks, a girl smiling");
  EXPECT_TRUE(fs::exists(tmp / "out" / "reg" / "1_woman" / "b.png"));
  EXPECT_EQ(fs::hard_link_count(img / "a.png"), 2u);
  EXPECT_EQ(r->total_steps, 100);  // 2 images * 5 repeats * 2 (reg) / batch 1 / grad-accum 2 * 10 epochs

  auto root = toml::parse((tmp / "out" / "dataset_config.toml").string());
  const auto& general = toml::find(root, "general");
  EXPECT_EQ(toml::find<bool>(general, "shuffle_caption"), true);
  EXPECT_EQ(toml::find<int>(general, "keep_tokens"), 1);
  EXPECT_EQ(toml::find<std::string>(general, "caption_extension"), ".txt");
  // a.txt has two lines: without enable_wildcard kohya would read only the first.
  EXPECT_EQ(toml::find<bool>(general, "enable_wildcard"), true);
  EXPECT_EQ(general.as_table().size(), 4u);
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
  EXPECT_EQ((*images)[0].caption, "sks, 1girl, smile\nsks, a girl smiling");  // every line: enable_wildcard

  std::string md = read_all(tmp / "out" / "metadata.json");
  // kohya's fine-tuning loader trains caption + ", " + tags: the trigger once, in the caption.
  EXPECT_NE(md.find("\"caption\": \"sks, a girl smiling\",\n    \"tags\": \"1girl, smile\""), std::string::npos) << md;
  EXPECT_NE(md.find("\"tags\": \"sks, 1girl, long_hair\""), std::string::npos) << md;
  std::string sh = read_all(tmp / "out" / "train.sh");
  EXPECT_NE(sh.find("accelerate launch --num_cpu_threads_per_process 1 train_network.py"), std::string::npos);
  EXPECT_NE(sh.find("--network_dim 64 --network_alpha 32"), std::string::npos);
  EXPECT_NE(sh.find("--clip_skip 2"), std::string::npos);
  EXPECT_NE(sh.find("--save_every_n_epochs 1 --seed 42 --gradient_checkpointing --sdpa \"$@\"\n"), std::string::npos);
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
  // simulate DIR uses the captions there, as every other command does (.txt, or .caption when only those).
  r = run_cli({"simulate", (tmp / "imgs").string()});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, (tmp / "imgs" / "a.png").string() + "\tsks, 1girl, smile\n" + (tmp / "imgs" / "b.png").string() +
                       "\tsks, 1girl, long_hair\n");
  // Naming kohya's default finds no captions: class tokens used, and a warning.
  r = run_cli({"simulate", (tmp / "imgs").string(), "--caption-extension", ".caption"});
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

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

bool has_line_containing(const std::vector<std::string>& lines, const std::string& a, const std::string& b) {
  for (auto& l : lines)
    if (l.find(a) != std::string::npos && l.find(b) != std::string::npos) return true;
  return false;
}

TEST(KohyaExport, SkipsAndNamesFilesKohyaCannotLoad) {
  TempDir tmp;
  make_dataset(tmp / "ds");
  const std::string png = read_all(tmp / "ds" / "b.png");
  write_all(tmp / "ds" / "notes.png", "a text file named .png");
  write_all(tmp / "ds" / "zero.jpg", "");
  write_all(tmp / "ds" / "cut.png", png.substr(0, png.size() - 30));  // header intact, data cut
  for (const char* c : {"notes.txt", "zero.txt", "cut.txt"}) write_all(tmp / "ds" / c, "sks, 1girl");
  KohyaExportParams p;
  p.trigger = "sks";
  auto r = kohya_export(tmp / "ds", tmp / "out", p);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->images, 2u);
  ASSERT_EQ(r->skipped.size(), 3u);
  EXPECT_TRUE(has_line_containing(r->skipped, "notes.png: kohya cannot load it", "not an image"));
  EXPECT_TRUE(has_line_containing(r->skipped, "zero.jpg: kohya cannot load it", "empty file (0 bytes)"));
  EXPECT_TRUE(has_line_containing(r->skipped, "cut.png: kohya cannot load it", "cut.png"));
  EXPECT_EQ(listing(tmp / "out" / "img" / "10_sks"), (std::vector<std::string>{"a.png", "a.txt", "b.png", "b.txt"}));
  // The CLI names them, counts them and exits 1 (items failed).
  auto cli = run_cli({"export", "kohya", (tmp / "ds").string(), (tmp / "out2").string(), "--trigger", "sks"});
  EXPECT_EQ(cli.exit_code, 1) << cli.err;
  EXPECT_NE(cli.err.find("skipped zero.jpg: kohya cannot load it"), std::string::npos) << cli.err;
  EXPECT_NE(cli.out.find("skipped 3 image(s) kohya could not train on"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("exported 2 images"), std::string::npos) << cli.out;
}

TEST(KohyaExport, ImagesSharingACaptionAreSkippedAndNamed) {
  TempDir tmp;
  make_dataset(tmp / "ds");
  write_png(tmp / "ds" / "a.jpg", 16, 16, 99);  // a.jpg and a.png both pair with a.txt
  KohyaExportParams p;
  p.trigger = "sks";
  auto r = kohya_export(tmp / "ds", tmp / "out", p);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->skipped.size(), 1u);
  EXPECT_EQ(r->skipped[0], "a.png: not exported: a.jpg and a.png share the caption a.txt (rename it to give it its "
                           "own caption)");
  EXPECT_EQ(listing(tmp / "out" / "img" / "10_sks"), (std::vector<std::string>{"a.jpg", "a.txt", "b.png", "b.txt"}));
}

TEST(KohyaExport, CaptionsWithoutTheTriggerAreRefusedOrGetIt) {
  TempDir tmp;
  make_dataset(tmp / "ds");
  write_all(tmp / "ds" / "a.txt", "1girl, smile\r\na girl smiling\r\n");
  KohyaExportParams p;
  p.trigger = "sks";
  auto r = kohya_export(tmp / "ds", tmp / "out", p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("1 caption(s) lack the trigger 'sks' (a.txt)"), std::string::npos);
  EXPECT_NE(r.status().message().find("--add-trigger"), std::string::npos);
  EXPECT_FALSE(fs::exists(tmp / "out"));
  auto cli = run_cli({"export", "kohya", (tmp / "ds").string(), (tmp / "out").string(), "--trigger", "sks"});
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_NE(cli.err.find("lack the trigger 'sks'"), std::string::npos) << cli.err;

  p.add_trigger = true;
  r = kohya_export(tmp / "ds", tmp / "out", p);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->triggers_added, 1u);
  EXPECT_EQ(read_all(tmp / "out" / "img" / "10_sks" / "a.txt"), "sks, 1girl, smile\nsks, a girl smiling");
  EXPECT_EQ(read_all(tmp / "out" / "img" / "10_sks" / "b.txt"), "sks, 1girl, long_hair");
  EXPECT_EQ(read_all(tmp / "ds" / "a.txt"), "1girl, smile\r\na girl smiling\r\n");  // the source is untouched
}

TEST(KohyaExport, PromptsEscapeParenthesesCaptionsDoNot) {
  TempDir tmp;
  make_dataset(tmp / "ds");
  write_all(tmp / "ds" / "b.txt", "sks, hatsune miku (vocaloid), smile");
  KohyaExportParams p;
  p.trigger = "sks";
  ASSERT_TRUE(kohya_export(tmp / "ds", tmp / "out", p).ok());
  EXPECT_EQ(read_all(tmp / "out" / "a1111_prompt.txt"), "<lora:sks:0.8>, sks, smile, 1girl, hatsune miku \\(vocaloid\\)\n");
  EXPECT_EQ(read_all(tmp / "out" / "sample_prompts.txt").substr(0, 45), "sks, smile, 1girl, hatsune miku \\(vocaloid\\) ");
  EXPECT_EQ(read_all(tmp / "out" / "img" / "10_sks" / "b.txt"), "sks, hatsune miku (vocaloid), smile");
  EXPECT_EQ(escape_prompt_parentheses("a \\(b\\) (c)"), "a \\(b\\) \\(c\\)");
}

TEST(KohyaExport, SubfoldersNeedRecursive) {
  TempDir tmp;
  make_dataset(tmp / "ds");
  fs::create_directories(tmp / "ds" / "sub");
  write_png(tmp / "ds" / "sub" / "a.png", 16, 16, 77);
  write_all(tmp / "ds" / "sub" / "a.txt", "sks, dog");
  KohyaExportParams p;
  p.trigger = "sks";
  auto r = kohya_export(tmp / "ds", tmp / "out", p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->images, 2u);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0], "1 image(s) in subfolders not exported (sub/a.png); pass --recursive to include them");
  p.recursive = true;
  r = kohya_export(tmp / "ds", tmp / "out2", p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->images, 3u);
  EXPECT_TRUE(r->warnings.empty());
  EXPECT_EQ(read_all(tmp / "out2" / "img" / "10_sks" / "sub_a.txt"), "sks, dog");
}

// A dataset captioned with .caption files: every command finds them without being told.
TEST(CaptionExtension, OnlyCaptionFilesAreFoundByEveryCommand) {
  TempDir tmp;
  const fs::path ds = tmp / "ds";
  fs::create_directories(ds);
  write_png(ds / "a.png", 16, 16, 10);
  write_all(ds / "a.caption", "sks, 1girl, smile");
  write_png(ds / "b.png", 16, 16, 20);
  write_all(ds / "b.caption", "sks, 1girl, long_hair");
  const std::string note = "using the 2 .caption captions (no image has a .txt caption)";
  auto r = run_cli({"stats", ds.string(), "--json", "--no-tags-db"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"captions\": 2"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find(note), std::string::npos) << r.err;
  r = run_cli({"lint", ds.string(), "--json", "--no-tags-db", "--trigger", "sks", "--resolution", "0"});
  EXPECT_EQ(r.out.find("missing-caption"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find(note), std::string::npos) << r.err;
  r = run_cli({"edit", ds.string(), "add", "smile", "--dry-run"});
  EXPECT_NE(r.out.find(" of 2 caption files would change"), std::string::npos) << r.out << r.err;
  r = run_cli({"simulate", ds.string()});
  EXPECT_EQ(r.out, (ds / "a.png").string() + "\tsks, 1girl, smile\n" + (ds / "b.png").string() + "\tsks, 1girl, long_hair\n");
  r = run_cli({"export", "kohya", ds.string(), (tmp / "out").string(), "--trigger", "sks"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(tmp / "out" / "img" / "10_sks" / "a.caption"), "sks, 1girl, smile");
  EXPECT_NE(read_all(tmp / "out" / "dataset_config.toml").find("caption_extension = \".caption\""), std::string::npos);
  // Given explicitly, the extension is used as given.
  r = run_cli({"stats", ds.string(), "--json", "--no-tags-db", "--caption-extension", ".txt"});
  EXPECT_NE(r.out.find("\"captions\": 0"), std::string::npos) << r.out;
}

TEST(ExportCli, WritesThePolicyAppliedToTheCaptions) {
  TempDir tmp;
  make_dataset(tmp / "ds");
  write_all(tmp / "ds" / "a.txt", "1girl, long_hair, smile");
  write_all(tmp / "ds" / "b.txt", "1girl, short_hair");
  auto r = run_cli({"policy", "apply", (tmp / "ds").string(), "--preset", "sdxl", "--trigger", "sks"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli({"export", "kohya", (tmp / "ds").string(), (tmp / "out").string(), "--trigger", "sks"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("caption settings of policy balanced-hybrid written"), std::string::npos) << r.out;
  auto root = toml::parse((tmp / "out" / "dataset_config.toml").string());
  const auto& general = toml::find(root, "general");
  EXPECT_EQ(toml::find<bool>(general, "enable_wildcard"), true);
  EXPECT_EQ(toml::find<int>(general, "keep_tokens"), 1);
  EXPECT_DOUBLE_EQ(toml::find<double>(general, "caption_tag_dropout_rate"), 0.1);
  EXPECT_DOUBLE_EQ(toml::find<double>(general, "caption_dropout_rate"), 0.0);
  // kohya (as simulate reproduces it) now trains the sentence lines too.
  r = run_cli({"simulate", "--config", (tmp / "out" / "dataset_config.toml").string(), "--samples", "30", "--seed", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\tsks, a girl with long hair smiling"), std::string::npos) << r.out;
  // --policy chooses another one.
  r = run_cli({"export", "kohya", (tmp / "ds").string(), (tmp / "out2").string(), "--trigger", "sks", "--policy",
               "sd15"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto root2 = toml::parse((tmp / "out2" / "dataset_config.toml").string());
  EXPECT_EQ(toml::find<int>(toml::find(root2, "general"), "keep_tokens"), 2);
}

}  // namespace
}  // namespace tagmetry
