// The fast paths behind `stats` + `lint` on one corpus: corpus-wide tag ids (whatever thread read a
// caption), figures and findings equal with and without those ids and image-head hashes, on 1 or 2
// threads, and `tagmetry stats --lint` printing exactly what the two commands print separately.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "tagmetry/clip_tokenizer.h"

#include "png_fixture.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/lint.h"
#include "tagmetry/tag_database.h"
#include "test_support.h"

namespace tagmetry {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::write_all;
using testing::write_png;

const char* kTagList =
    "1girl,0,6000000,\nsolo,0,5000000,\nsmile,0,3000000,\nlong_hair,0,4000000,\nblue_hair,0,900000,\n"
    "blue_eyes,0,1000000,\nshort_hair,0,2000000,\ndog,0,50000,\nhat,0,800000,\nskirt,0,700000,\n";

// 1,500 captioned images of many equal byte sizes (8 widths x 4 heights), planted duplicates, and
// captions with repeated, spaced, unknown and rating tags, the trigger first or late or missing.
void make_fixture(const TempDir& dir) {
  const std::vector<std::string> vocab = {"1girl", "solo", "smile", "long_hair", "long hair", "blue_hair", "blue_hiar",
                                          "blue_eyes", "short_hair", "dog", "hat", "skirt", "rating:general",
                                          "explicit", "Smile", "tag_(x)", "a_very_long_phrase_of_many_words"};
  uint32_t state = 99;
  auto next = [&] { return state = state * 1103515245u + 12345u, (state >> 8) & 0xffff; };
  for (int i = 0; i < 1500; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "img%04d", i);
    const std::string stem = name;
    const int src = i % 211 == 210 ? i - 1 : i;  // planted duplicates of the image before
    write_png(dir / (stem + ".png"), 8 + src % 8, 8 + (src / 8) % 4, uint8_t(src / 32 + 1));
    if (i % 250 == 7) continue;                        // missing caption
    if (i % 400 == 3) {
      write_all(dir / (stem + ".txt"), " \n");         // empty caption
      continue;
    }
    std::string line = i % 97 == 5 ? "" : "zkw";
    int n = 3 + int(next() % 12);
    for (int k = 0; k < n; ++k) line += (line.empty() ? "" : ", ") + vocab[next() % vocab.size()];
    if (i % 89 == 4) line += ", zkw";
    write_all(dir / (stem + ".txt"), line + "\na sentence line\n");
  }
  // Images over 4 KiB: equal sizes and first 4 KiB, one differing only at its end, one a true copy.
  std::string big = testing::make_png(80, 80, 7);
  ASSERT_GT(big.size(), 4096u);
  write_all(dir / "big_a.png", big);
  write_all(dir / "big_c.png", big);
  big[big.size() - 20] ^= 1;
  write_all(dir / "big_b.png", big);
  write_all(dir / "tags.csv", kTagList);
}

// The corpus without load_corpus's tag ids and head hashes (what a corpus built by hand looks like).
DatasetCorpus stripped(DatasetCorpus c) {
  c.tag_names.clear();
  for (auto& it : c.items) it.tag_ids.clear(), it.head_hash = 0;
  return c;
}

TEST(StatsLintFastPaths, TagIdsAreCorpusWideAndDeterministic) {
  TempDir dir;
  make_fixture(dir);
  CorpusOptions one, two;
  one.threads = 1;
  two.threads = 2;
  auto a = load_corpus(dir.path(), one, nullptr);
  auto b = load_corpus(dir.path(), two, nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->tag_names, b->tag_names);
  EXPECT_EQ(std::set<std::string>(a->tag_names.begin(), a->tag_names.end()).size(), a->tag_names.size());
  EXPECT_EQ(a->tag_names.size(), 18u);  // the vocabulary and "zkw" ("a sentence line" is line 2)
  ASSERT_EQ(a->items.size(), b->items.size());
  for (size_t i = 0; i < a->items.size(); ++i) {
    const CorpusItem& it = b->items[i];
    EXPECT_EQ(it.tag_ids, a->items[i].tag_ids);
    ASSERT_EQ(it.tag_ids.size(), it.tags.size());
    for (size_t k = 0; k < it.tags.size(); ++k) EXPECT_EQ(b->tag_names[it.tag_ids[k]], it.tags[k]);
    EXPECT_NE(it.head_hash, 0u);
  }
}

TEST(StatsLintFastPaths, FiguresAndFindingsSameWithAndWithoutIdsAndHashes) {
  TempDir dir;
  make_fixture(dir);
  auto tok = ClipTokenizer::load_default();
  auto db = TagDatabase::load(dir / "tags.csv");
  ASSERT_TRUE(tok.ok() && db.ok());
  CorpusOptions co;
  co.threads = 2;
  auto corpus = load_corpus(dir.path(), co, &*tok);
  ASSERT_TRUE(corpus.ok());
  const DatasetCorpus plain = stripped(*corpus);
  StatsParams serial, parallel;
  serial.threads = 1;
  parallel.threads = 2;
  const std::string expected = stats_to_json(compute_stats(plain, serial, &*db));
  EXPECT_EQ(stats_to_json(compute_stats(*corpus, parallel, &*db)), expected);
  EXPECT_EQ(stats_to_json(compute_stats(*corpus, serial, &*db)), expected);
  EXPECT_EQ(stats_to_json(compute_stats(plain, parallel, &*db)), expected);

  LintParams lp;
  lp.trigger = "zkw";
  lp.resolution = 10;
  auto fast = lint_dataset(*corpus, lp, &*tok, &*db);
  auto slow = lint_dataset(plain, lp, &*tok, &*db);
  ASSERT_TRUE(fast.ok() && slow.ok());
  EXPECT_EQ(lint_to_json(*fast), lint_to_json(*slow));
  // Every rule with work here found it; the duplicate images are the planted copies and big_a/big_c,
  // not big_b (same size and first 4 KiB, other bytes at the end).
  std::set<std::string> rules;
  std::vector<std::vector<std::string>> duplicates;
  for (auto& f : *fast) {
    rules.insert(f.rule);
    if (f.rule == "duplicate-image") duplicates.push_back(f.files);
  }
  for (const char* rule : {"missing-caption", "empty-caption", "duplicate-tag", "trigger-missing", "trigger-not-first",
                           "unknown-tag", "mixed-underscores", "image-too-small", "duplicate-image"})
    EXPECT_EQ(rules.count(rule), 1u) << rule;
  EXPECT_EQ(duplicates.size(), 8u);  // img0210/img0209, … (7 planted) and the big pair
  EXPECT_NE(std::find(duplicates.begin(), duplicates.end(), std::vector<std::string>{"big_a.png", "big_c.png"}),
            duplicates.end());
}

TEST(StatsLintCli, StatsWithLintPrintsWhatTheTwoCommandsPrint) {
  TempDir dir;
  make_fixture(dir);
  const std::string d = dir.path().string(), db = (dir / "tags.csv").string();
  const std::vector<std::string> rules = {"--trigger", "zkw", "--resolution", "10"};
  auto args = [&](std::vector<std::string> a, bool with_rules) {
    a.insert(a.end(), {"--tags-db", db});
    if (with_rules) a.insert(a.end(), rules.begin(), rules.end());
    return a;
  };
  for (bool json : {true, false}) {
    SCOPED_TRACE(json ? "json" : "text");
    std::vector<std::string> extra = json ? std::vector<std::string>{"--json"} : std::vector<std::string>{};
    auto with = [&](std::vector<std::string> a) { a.insert(a.end(), extra.begin(), extra.end()); return a; };
    auto stats = testing::run_cli(with(args({"stats", d}, false)));
    auto lint = testing::run_cli(with(args({"lint", d}, true)));
    auto both = testing::run_cli(with(args({"stats", d, "--lint"}, true)));
    EXPECT_EQ(stats.exit_code, 0) << stats.err;
    EXPECT_EQ(lint.exit_code, 1) << lint.err;  // an empty caption is an error
    EXPECT_EQ(both.exit_code, 1) << both.err;
    ASSERT_FALSE(stats.out.empty());
    ASSERT_FALSE(lint.out.empty());
    if (json) {
      auto j = nlohmann::json::parse(both.out);
      EXPECT_EQ(j.size(), 2u);
      EXPECT_EQ(j["stats"], nlohmann::json::parse(stats.out));
      EXPECT_EQ(j["lint"], nlohmann::json::parse(lint.out));
      // Byte for byte: the two separate outputs, indented one level, as the values of "stats" and "lint".
      auto nested = [](std::string text) {
        text.pop_back();  // the final newline
        std::string out;
        for (char c : text) out += c == '\n' ? std::string("\n  ") : std::string(1, c);
        return out;
      };
      EXPECT_EQ(both.out, "{\n  \"stats\": " + nested(stats.out) + ",\n  \"lint\": " + nested(lint.out) + "\n}\n");
    } else {
      EXPECT_EQ(both.out, stats.out + "\n" + lint.out);
    }
  }
}

}  // namespace
}  // namespace tagmetry
