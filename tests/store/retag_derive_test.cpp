// retag's fast path against the straightforward one: the score filter against TagSelector on every
// decoded score, the parallel derive against one thread, the per-file journal lookup against
// last_written(), and parallel caption writes against the order they were given in.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <random>

#include "journal_internal.h"
#include "retag_derive.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/retag.h"
#include "tagmetry/store.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::TempDir;
using testing::write_all;

using testing::take;

// Labels like a WD model: 4 ratings first, some characters, general tags (a few with parenthesised
// series names and kaomoji, for --character-tag-expand and --remove-underscore).
LabelSet make_labels(size_t n) {
  LabelSet set;
  set.format = "selected_tags.csv";
  for (size_t i = 0; i < n; ++i) {
    TagCategory c = i < 4 ? TagCategory::kRating : (i % 9 == 0 ? TagCategory::kCharacter : TagCategory::kGeneral);
    std::string name = i % 9 == 0 ? "chara_" + std::to_string(i) + "_(series_" + std::to_string(i % 5) + ")"
                                  : "tag_" + std::to_string(i);
    if (i == 30) name = "^_^";
    set.labels.push_back({name, c, 0});
  }
  return set;
}

// Scores like a tagger's: most tiny, some mid, a few high, some exactly on quantisation steps near the
// thresholds the option sets use.
std::vector<float> make_scores(std::mt19937& rng, size_t n) {
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> p(n);
  for (auto& v : p) v = 0.05f * u(rng) * u(rng) * u(rng);
  for (int k = 0; k < 30; ++k) p[rng() % n] = 0.05f + 0.5f * u(rng);
  for (int k = 0; k < 10; ++k) p[rng() % n] = 0.5f + 0.5f * u(rng);
  for (double t : {0.35, 0.5, 0.85}) {
    p[rng() % n] = static_cast<float>(t);
    p[rng() % n] = std::nextafter(static_cast<float>(t), 0.f);
    p[rng() % n] = quantize_score(static_cast<float>(t));
  }
  if (rng() % 7 == 0) std::fill(p.begin(), p.begin() + 4, 0.25f);  // tied ratings
  return p;
}

std::vector<SelectionParams> option_sets() {
  std::vector<SelectionParams> sets(14);
  sets[1].general_threshold = 0.5;
  sets[2].threshold = 0.0;
  sets[3].threshold = 1.0;
  sets[4].mcut = true;
  sets[5].max_tags = 3, sets[5].always_first_tags = "tag_20, tag_21";
  sets[6].order = "model", sets[6].rating = "first";
  sets[7].character_tags_first = true, sets[7].character_tag_expand = true, sets[7].remove_underscore = true;
  sets[8].tag_replacement = "tag_5,foo;tag_6,;tag_7,tag_8", sets[8].undesired_tags = "tag_9, tag 10";
  sets[9].character_threshold = 0.05, sets[9].rating = "last";
  sets[10].general_threshold = 0.35, sets[10].character_threshold = 0.85;
  sets[11].threshold = 0.000007;  // below one 16-bit step
  sets[12].mcut = true, sets[12].max_tags = 2, sets[12].rating = "first";
  sets[13].general_threshold = 0.9, sets[13].character_threshold = 0.2, sets[13].caption_separator = ",";
  return sets;
}

TEST(RetagFilter, SelectsExactlyWhatTheSelectorSelectsFromAllScores) {
  const LabelSet labels = make_labels(500);
  std::mt19937 rng(7);
  std::vector<std::string> blobs;
  for (int i = 0; i < 300; ++i) blobs.push_back(encode_scores(make_scores(rng, labels.size())));
  for (const auto& params : option_sets()) {
    auto selector = take(TagSelector::create(params, 0.35, 0.85));
    store_internal::ScoreFilter filter(labels, selector.thresholds(), params.mcut);
    store_internal::ScoreFilter::Scratch scratch;
    for (const auto& blob : blobs) {
      std::vector<uint32_t> index;
      std::vector<uint16_t> score;
      ASSERT_TRUE(filter.filter(blob, index, score));
      auto fast = filter.select(selector, params.mcut ? nullptr : index.data(), score.data(), score.size(), scratch);
      auto full = selector.select(labels, decode_scores(blob, labels.size()));
      ASSERT_EQ(selector.caption(fast), selector.caption(full));
      ASSERT_EQ(fast.size(), full.size());
      for (size_t k = 0; k < fast.size(); ++k) {
        EXPECT_EQ(fast[k].label, full[k].label);
        EXPECT_EQ(fast[k].probability, full[k].probability);
        EXPECT_EQ(fast[k].category, full[k].category);
      }
    }
  }
  std::vector<uint32_t> index;
  std::vector<uint16_t> score;
  store_internal::ScoreFilter filter(labels, {0.35, 0.85}, false);
  EXPECT_FALSE(filter.filter(std::string(labels.size() * 2 - 2, '\0'), index, score));
}

// A dataset of `n` images with stored scores, some captions written by hand, one caption shared by two
// images (a.png and a.jpg both own a.txt), one caption that is a symbolic link.
struct RetagFixture {
  TempDir dir;
  LabelSet labels = make_labels(400);
  std::vector<std::string> blobs;  // by image index

  explicit RetagFixture(size_t n) {
    auto store = take(Store::open(default_store_path(dir.path())));
    ModelRecord m;
    m.name = "fixture";
    m.sha256 = std::string(64, 'a');
    m.labels_sha256 = std::string(64, 'b');
    m.labels = labels;
    EXPECT_TRUE(store->put_model(m).ok());
    std::mt19937 rng(11);
    std::unordered_map<std::string, ImageRecord> none;
    EXPECT_TRUE(store->begin().ok());
    for (size_t i = 0; i < n; ++i) {
      std::string name = "img" + std::to_string(i) + ".png";
      write_all(dir / name, "image " + std::to_string(i));
      ImageRecord rec;
      auto sha = take(content_hash(dir / name, name, none, &rec));
      auto p = make_scores(rng, labels.size());
      blobs.push_back(encode_scores(p));
      EXPECT_TRUE(store->put_scores(sha, m.id, p).ok());
    }
    EXPECT_TRUE(store->commit().ok());
    write_all(dir / "img3.jpg", "image 3");  // same content as img3.png, same caption file
    write_all(dir / "img5.txt", "by hand, 5");
    fs::create_directories(dir / "real");
    write_all(dir / "real" / "seven.txt", "by hand, 7");
    fs::create_symlink("real/seven.txt", dir / "img7.txt");
  }
};

// Every caption file under the fixture's folder, by name.
std::map<std::string, std::string> captions(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto& e : fs::recursive_directory_iterator(root))
    if (e.path().extension() == ".txt" || e.path().extension() == ".bak")
      out[fs::relative(e.path(), root).generic_string()] = read_all(e.path());
  return out;
}

TEST(RetagDerive, AnyThreadCountWritesWhatOneThreadWrites) {
  const size_t n = 400;  // 7 chunks of 64 images: every thread gets some
  RetagFixture one(n), many(n);
  std::vector<RetagParams> runs(4);  // each run costs a syncfs, slow on a busy disk: few runs, many options
  runs[0].general_threshold = 0.4, runs[0].character_tag_expand = true;
  runs[1].mcut = true, runs[1].rating = "first";
  runs[2].append = true, runs[2].max_tags = 4;
  runs[3].overwrite = true, runs[3].order = "model", runs[3].remove_underscore = true;
  for (size_t r = 0; r < runs.size(); ++r) {
    RetagParams p1 = runs[r], p4 = runs[r];
    p1.threads = 1;
    p4.threads = 4 + static_cast<int>(r % 2);
    auto a = take(run_retag(one.dir.path(), p1));
    auto b = take(run_retag(many.dir.path(), p4));
    EXPECT_EQ(a.written, b.written) << r;
    EXPECT_EQ(a.unchanged, b.unchanged) << r;
    EXPECT_EQ(a.kept, b.kept) << r;
    EXPECT_EQ(a.failed, b.failed) << r;
    EXPECT_EQ(a.backups.size(), b.backups.size()) << r;
    EXPECT_EQ(captions(one.dir.path()), captions(many.dir.path())) << "run " << r;
  }
  // The first run's captions are what the selector gives on all decoded scores.
  RetagFixture fresh(n);
  RetagParams p;
  p.general_threshold = 0.4;
  auto report = take(run_retag(fresh.dir.path(), p));
  EXPECT_EQ(std::set<std::string>(report.kept.begin(), report.kept.end()), (std::set<std::string>{"img5.png", "img7.png"}));
  auto selector = take(TagSelector::create(p, 0.35, 0.85));
  for (size_t i = 0; i < n; ++i) {
    if (i == 5 || i == 7) continue;
    std::string want = selector.caption(selector.select(fresh.labels, decode_scores(fresh.blobs[i], fresh.labels.size())));
    ASSERT_EQ(read_all(fresh.dir / ("img" + std::to_string(i) + ".txt")), want) << i;
  }
  EXPECT_EQ(read_all(fresh.dir / "real" / "seven.txt"), "by hand, 7");
}

TEST(RetagDerive, LinkedCaptionIsJudgedByItsTarget) {
  RetagFixture f(20);
  // --overwrite backs up and writes the link's target (named by its resolved path, as `tag` does).
  RetagParams p;
  p.overwrite = true;
  auto r = take(run_retag(f.dir.path(), p));
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(r.backups.size(), 2u);  // img5.txt and the linked real/seven.txt
  // The next retag sees both as its own and replaces them without --overwrite.
  RetagParams q;
  q.general_threshold = 0.6;
  auto s = take(run_retag(f.dir.path(), q));
  EXPECT_TRUE(s.kept.empty());
  EXPECT_EQ(s.failed, 0u);
  EXPECT_TRUE(fs::is_symlink(f.dir / "img7.txt"));
  EXPECT_EQ(read_all(f.dir / "img7.txt"), read_all(f.dir / "real" / "seven.txt"));
  EXPECT_NE(read_all(f.dir / "img7.txt"), "by hand, 7");
}

TEST(Journal, LastWrittenToMatchesLastWritten) {
  TempDir d;
  auto store = take(Store::open(d / "t.db"));
  auto j = take(CaptionJournal::open(*store, d.path()));
  std::vector<std::string> relpaths;
  for (int i = 0; i < 50; ++i) relpaths.push_back("c" + std::to_string(i) + ".txt");
  for (int op = 0; op < 4; ++op) {
    j.begin_operation("tag", "op " + std::to_string(op));
    std::vector<CaptionWrite> writes;
    for (int i = op; i < 50; i += op + 1)
      writes.push_back({relpaths[i], std::nullopt, "op" + std::to_string(op), false,
                        op == 2 ? std::optional<std::string>("base") : std::nullopt, {}});
    ASSERT_TRUE(j.apply(writes).ok());
  }
  auto all = take(j.last_written());
  relpaths.push_back("never.txt");
  auto some = take(store_internal::last_written_to(*store, relpaths));
  ASSERT_EQ(all.size(), some.size());
  for (auto& [rel, lw] : all) {
    ASSERT_TRUE(some.count(rel)) << rel;
    EXPECT_EQ(some[rel].after, lw.after) << rel;
    EXPECT_EQ(some[rel].base, lw.base) << rel;
  }
}

TEST(Journal, ParallelWritesKeepBatchOrderForOneFile) {
  TempDir d;
  auto store = take(Store::open(d / "t.db"));
  auto j = take(CaptionJournal::open(*store, d.path()));
  j.begin_operation("tag", "many");
  std::vector<CaptionWrite> writes;
  for (int i = 0; i < 1200; ++i) writes.push_back({"f" + std::to_string(i % 400) + ".txt", std::nullopt,
                                                   "v" + std::to_string(i), false, std::nullopt, {}});
  auto results = take(j.apply(writes));
  ASSERT_EQ(results.size(), writes.size());
  for (auto& r : results) EXPECT_TRUE(r.ok()) << r.message();
  for (int i = 0; i < 400; ++i) ASSERT_EQ(read_all(d / ("f" + std::to_string(i) + ".txt")), "v" + std::to_string(800 + i));
  EXPECT_EQ(take(j.last_written()).at("f7.txt").after, "v807");
  for (auto& e : fs::directory_iterator(d.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp-tagmetry-"), std::string::npos) << e.path();
}

}  // namespace
}  // namespace tagmetry
