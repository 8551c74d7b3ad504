// tagmetry stats: figures checked against values computed by hand for a five-image fixture.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "png_fixture.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/image_header.h"
#include "test_support.h"

namespace tagmetry {
namespace {

using testing::TempDir;
using testing::write_all;
using testing::write_png;

// a: 1girl, solo, smile, long_hair   (64x32)    tokens 1 girl , solo , smile , long _ hair = 10
// b: 1girl, solo, smile              (64x32)    6
// c: 1girl, solo, short_hair         (100x80)   8
// d: 1boy, solo, smile, smile        (40x50)    8 (the repeated tag counts once per caption)
// e: no caption                      (64x32)
void make_fixture(const TempDir& dir) {
  write_png(dir / "a.png", 64, 32, 10);
  write_png(dir / "b.png", 64, 32, 20);
  write_png(dir / "c.png", 100, 80, 30);
  write_png(dir / "d.png", 40, 50, 40);
  write_png(dir / "e.png", 64, 32, 50);
  write_all(dir / "a.txt", "1girl, solo, smile, long_hair");
  write_all(dir / "b.txt", "1girl, solo, smile\na girl smiling");
  write_all(dir / "c.txt", "1girl, solo, short_hair");
  write_all(dir / "d.txt", "1boy, solo, smile, smile");
}

TEST(DatasetStats, FiguresMatchHandComputedValues) {
  TempDir dir;
  make_fixture(dir);
  auto tok = ClipTokenizer::load_default();
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  auto corpus = load_corpus(dir.path(), {}, &*tok);
  ASSERT_TRUE(corpus.ok());
  StatsParams params;
  params.near_constant_share = 0.75;
  DatasetStats st = compute_stats(*corpus, params, nullptr);

  EXPECT_EQ(st.images, 5u);
  EXPECT_EQ(st.captions, 4u);
  EXPECT_EQ(st.tag_occurrences, 14u);
  EXPECT_EQ(st.unique_tags, 6u);
  std::vector<std::pair<std::string, size_t>> tags;
  for (auto& t : st.tags) tags.emplace_back(t.tag, t.count);
  EXPECT_EQ(tags, (std::vector<std::pair<std::string, size_t>>{
                      {"solo", 4}, {"1girl", 3}, {"smile", 3}, {"1boy", 1}, {"long_hair", 1}, {"short_hair", 1}}));
  // Near-constant at 75%: solo (4/4), 1girl and smile (3/4).
  ASSERT_EQ(st.near_constant.size(), 3u);
  EXPECT_EQ(st.near_constant[0].tag, "solo");

  // Pairs: solo+1girl 3 (lift 3*4/(4*3) = 1), solo+smile 3 (1), 1girl+smile 2 (2*4/(3*3) = 0.889).
  ASSERT_GE(st.top_pairs.size(), 3u);
  EXPECT_EQ(st.top_pairs[0].a, "solo");
  EXPECT_EQ(st.top_pairs[0].b, "1girl");
  EXPECT_EQ(st.top_pairs[0].count, 3u);
  EXPECT_DOUBLE_EQ(st.top_pairs[0].lift, 1.0);
  EXPECT_EQ(st.top_pairs[1].b, "smile");
  EXPECT_EQ(st.top_pairs[2].a, "1girl");
  EXPECT_EQ(st.top_pairs[2].b, "smile");
  EXPECT_EQ(st.top_pairs[2].count, 2u);
  EXPECT_NEAR(st.top_pairs[2].lift, 8.0 / 9.0, 1e-12);

  // Distinct tags per caption 4, 3, 3, 3.
  EXPECT_EQ(st.tags_per_caption.min, 3u);
  EXPECT_EQ(st.tags_per_caption.max, 4u);
  EXPECT_DOUBLE_EQ(st.tags_per_caption.mean, 3.25);
  EXPECT_DOUBLE_EQ(st.tags_per_caption.median, 3.0);
  // CLIP tokens 10, 6, 8, 8 (the second line of b is not the tag line).
  EXPECT_EQ(st.tokens_per_caption.min, 6u);
  EXPECT_EQ(st.tokens_per_caption.max, 10u);
  EXPECT_DOUBLE_EQ(st.tokens_per_caption.mean, 8.0);
  EXPECT_DOUBLE_EQ(st.tokens_per_caption.median, 8.0);
  EXPECT_EQ(st.over_75_tokens, 0u);

  EXPECT_EQ(st.rare_tag_count, 3u);
  EXPECT_EQ(st.rare_tags, (std::vector<std::string>{"1boy", "long_hair", "short_hair"}));
  ASSERT_EQ(st.ratings.size(), 5u);
  EXPECT_EQ(st.ratings[4].label, "none");
  EXPECT_EQ(st.ratings[4].count, 4u);

  // Short sides 32, 32, 80, 40, 32.
  EXPECT_EQ(st.short_side.min, 32u);
  EXPECT_EQ(st.short_side.max, 80u);
  EXPECT_DOUBLE_EQ(st.short_side.median, 32.0);
  ASSERT_FALSE(st.sizes.empty());
  EXPECT_EQ(st.sizes[0].label, "64x32");
  EXPECT_EQ(st.sizes[0].count, 3u);
}

TEST(DatasetStats, ReadsImageSizesFromHeaders) {
  TempDir dir;
  write_png(dir / "x.png", 123, 45, 0);
  int w = 0, h = 0;
  ASSERT_TRUE(read_image_size(dir / "x.png", w, h).ok());
  EXPECT_EQ(w, 123);
  EXPECT_EQ(h, 45);
  write_all(dir / "bad.png", "not an image");
  EXPECT_FALSE(read_image_size(dir / "bad.png", w, h).ok());
}

TEST(DatasetStats, RatingsAndTokenShare) {
  TempDir dir;
  write_png(dir / "a.png", 8, 8, 1);
  write_png(dir / "b.png", 8, 8, 2);
  write_all(dir / "a.txt", "1girl, rating:explicit");
  std::string longline = "1girl";
  for (int i = 0; i < 40; ++i) longline += ", long_hair" + std::to_string(i);
  write_all(dir / "b.txt", longline + ", general");
  auto tok = ClipTokenizer::load_default();
  ASSERT_TRUE(tok.ok());
  auto corpus = load_corpus(dir.path(), {}, &*tok);
  ASSERT_TRUE(corpus.ok());
  DatasetStats st = compute_stats(*corpus, {}, nullptr);
  EXPECT_EQ(st.ratings[0].label, "general");
  EXPECT_EQ(st.ratings[0].count, 1u);
  EXPECT_EQ(st.ratings[3].label, "explicit");
  EXPECT_EQ(st.ratings[3].count, 1u);
  EXPECT_EQ(st.over_75_tokens, 1u);
  EXPECT_DOUBLE_EQ(st.over_75_share, 0.5);
}

// The web app's server measures the captions it holds in memory: caption_source answers for the images
// it knows (a caption, or none) and load_corpus reads the files of the others.
TEST(DatasetStats, CaptionsFromCallerSourceInsteadOfFiles) {
  TempDir dir;
  write_png(dir / "a.png", 8, 8, 1);
  write_png(dir / "b.png", 8, 8, 2);
  write_png(dir / "c.png", 8, 8, 3);
  write_png(dir / "d.png", 8, 8, 4);
  write_all(dir / "a.txt", "on, disk");
  write_all(dir / "b.txt", "also_on_disk");
  write_all(dir / "c.txt", "read, from, the_file");
  CorpusOptions options;
  options.caption_source = [](const std::string& image) -> std::optional<HeldCaption> {
    if (image == "a.png") return HeldCaption{true, "a.txt", "held, in_memory\nsecond line"};
    if (image == "b.png") return HeldCaption{false, "", ""};  // removed since, as far as the caller knows
    if (image == "d.png") return HeldCaption{true, "d.txt", "written_since"};
    return std::nullopt;
  };
  auto corpus = load_corpus(dir.path(), options, nullptr);
  ASSERT_TRUE(corpus.ok()) << corpus.status().message();
  ASSERT_EQ(corpus->items.size(), 4u);
  EXPECT_EQ(corpus->items[0].tags, (std::vector<std::string>{"held", "in_memory"}));
  EXPECT_EQ(corpus->items[0].caption, "a.txt");
  EXPECT_EQ(corpus->items[0].lines, 2u);
  EXPECT_FALSE(corpus->items[1].has_caption);
  EXPECT_EQ(corpus->items[1].caption, "");
  EXPECT_EQ(corpus->items[2].tags, (std::vector<std::string>{"read", "from", "the_file"}));
  EXPECT_TRUE(corpus->items[3].has_caption);
  EXPECT_EQ(corpus->items[3].tags, (std::vector<std::string>{"written_since"}));
  EXPECT_EQ(corpus->items[3].width, 8);  // image headers still come from the folder
  DatasetStats st = compute_stats(*corpus, {}, nullptr);
  EXPECT_EQ(st.captions, 3u);
  EXPECT_EQ(st.unique_tags, 6u);
  nlohmann::json j = to_json(st);
  EXPECT_EQ(j["captions"], 3);
  EXPECT_EQ(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace), stats_to_json(st));
}

TEST(StatsCli, JsonHasImagesCaptionsAndTagsMostFrequentFirst) {
  TempDir dir;
  make_fixture(dir);
  auto r = testing::run_cli({"stats", dir.path().string(), "--json", "--no-tags-db"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["images"], 5);
  EXPECT_EQ(j["captions"], 4);
  ASSERT_EQ(j["tags"].size(), 6u);
  EXPECT_EQ(j["tags"][0]["tag"], "solo");
  EXPECT_EQ(j["tags"][0]["count"], 4);
  EXPECT_EQ(j["tags"][1]["tag"], "1girl");
  EXPECT_EQ(j["tags"][5]["tag"], "short_hair");
  EXPECT_EQ(j["tokens_per_caption"]["max"], 10);
  EXPECT_EQ(j["rare_tags"]["count"], 3);
}

TEST(StatsCli, CategoriesFromTagList) {
  TempDir dir;
  make_fixture(dir);
  write_all(dir / "tags.csv", "1girl,0,100,\nsolo,0,90,\nsmile,0,80,\nhatsune_miku,4,50,\n");
  auto r = testing::run_cli({"stats", dir.path().string(), "--json", "--tags-db", (dir / "tags.csv").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tags"][0]["category"], "general");
  EXPECT_EQ(j["tags"][3]["category"], "unknown");  // 1boy is not in this list
  EXPECT_EQ(j["categories"]["general"]["tags"], 3);
  EXPECT_EQ(j["categories"]["general"]["occurrences"], 10);
}

}  // namespace
}  // namespace tagmetry
