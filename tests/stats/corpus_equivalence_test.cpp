// The fast corpus pass (one directory listing, one open per file, raw reads) against a reference built
// the straightforward way (a stat per question, relative_generic, read_text_file, read_image_size,
// ClipTokenizer::count), on a fixture with the awkward cases: subfolders, symbolic links, both caption
// extensions, side files, orphans, a BOM, CRLF, invalid UTF-8, a JPEG, duplicate images of equal size.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>

#include "png_fixture.h"
#include "tagmetry/caption.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/dataset.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/image_header.h"
#include "tagmetry/files.h"
#include "tagmetry/lint.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"
#include "test_support.h"

namespace tagmetry {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::write_all;
using testing::write_png;

// A baseline JPEG header: SOI, an APP0 segment, then SOF0 with height 48 and width 72.
std::string tiny_jpeg_header() {
  std::string j = "\xff\xd8";
  j += std::string("\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 18);
  j += std::string("\xff\xc0\x00\x11\x08\x00\x30\x00\x48\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 19);
  j += "\xff\xd9";
  return j;
}

void make_fixture(const TempDir& dir) {
  fs::create_directories(dir / "sub");
  fs::create_directories(dir / ".hidden");
  write_png(dir / "a.png", 64, 32, 10);
  write_png(dir / "b.png", 64, 32, 10);  // same bytes as a.png
  write_png(dir / "c.png", 64, 32, 11);  // same size as a.png, other bytes
  write_png(dir / "sub/d.png", 40, 50, 40);
  write_png(dir / ".hidden/h.png", 40, 50, 40);
  write_png(dir / "elsewhere.png", 30, 30, 3);
  write_all(dir / "e.jpg", tiny_jpeg_header());
  write_all(dir / "broken.png", "not an image at all");
  write_all(dir / "a.txt", "\xef\xbb\xbf" "1girl, Solo, smile\r\n\r\na girl, smiling\r\n");
  write_all(dir / "a.caption", "other extension");
  write_all(dir / "a_ja.txt", "side file");
  write_all(dir / "b.txt", "1girl, long hair, long_hair, (hat:1.2), tag_(x)");
  write_all(dir / "c.txt", std::string("bad \xff utf8"));
  write_all(dir / "sub/d.txt", "1boy,  solo ,smile ||| masterpiece,smile");  // "|||": kohya's parts
  write_all(dir / "sub/d.caption", "x");
  write_all(dir / "orphan.txt", "nobody");
  write_all(dir / "e.txt", "\xe7\x8c\xab, \xef\xbc\xa1" "bc, caf\xc3\xa9");
  write_all(dir / "target.txt", "linked caption, tag");
  fs::create_symlink(dir / "target.txt", dir / "broken.txt");
  fs::create_symlink(dir / "elsewhere.png", dir / "link.png");
}

// What load_corpus computed before it was made fast, written out plainly.
std::vector<CorpusItem> reference_items(const fs::path& root, bool recursive, const ClipTokenizer& tok) {
  ScanOptions so;
  so.recursive = recursive;
  auto ds = scan_dataset(root, so);
  EXPECT_TRUE(ds.ok());
  std::vector<CorpusItem> out;
  for (const DatasetItem& d : ds->items) {
    CorpusItem c;
    c.image = relative_generic(d.image, root);
    std::error_code ec;
    c.has_caption = fs::is_regular_file(d.caption, ec);
    c.file_size = fs::file_size(d.image, ec);
    if (ec) c.file_size = 0;
    if (c.has_caption) {
      c.caption = relative_generic(d.caption, root);
      auto text = read_text_file(d.caption);
      if (!text.ok()) {
        c.caption_error = text.status().message();
      } else {
        std::string_view t = *text;
        c.tag_line = std::string(trim(t.substr(0, t.find('\n'))));
        for (auto& l : split(t, "\n"))
          if (!trim(l).empty()) ++c.lines;
        for (auto& tag : parse_tags(c.tag_line, ","))  // "a ||| b": kohya's parts, two tags
          for (auto& part : parse_tags(tag, "|||")) c.tags.push_back(part);
        c.tokens = tok.count(c.tag_line);
      }
    }
    Status s = read_image_size(d.image, c.width, c.height);
    if (!s.ok()) c.image_error = s.message(), c.width = c.height = 0;
    out.push_back(c);
  }
  return out;
}

void expect_same(const std::vector<CorpusItem>& fast, const std::vector<CorpusItem>& ref) {
  ASSERT_EQ(fast.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    SCOPED_TRACE(ref[i].image);
    EXPECT_EQ(fast[i].image, ref[i].image);
    EXPECT_EQ(fast[i].caption, ref[i].caption);
    EXPECT_EQ(fast[i].has_caption, ref[i].has_caption);
    EXPECT_EQ(fast[i].caption_error, ref[i].caption_error);
    EXPECT_EQ(fast[i].tag_line, ref[i].tag_line);
    EXPECT_EQ(fast[i].lines, ref[i].lines);
    EXPECT_EQ(fast[i].tags, ref[i].tags);
    EXPECT_EQ(fast[i].tokens, ref[i].tokens);
    EXPECT_EQ(fast[i].width, ref[i].width);
    EXPECT_EQ(fast[i].height, ref[i].height);
    EXPECT_EQ(fast[i].image_error, ref[i].image_error);
    EXPECT_EQ(fast[i].file_size, ref[i].file_size);
  }
}

TEST(CorpusEquivalence, FastPassMatchesTheStraightforwardOne) {
  TempDir dir;
  make_fixture(dir);
  auto tok = ClipTokenizer::load_default();
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  for (bool recursive : {false, true}) {
    for (int threads : {1, 2}) {
      SCOPED_TRACE(std::string(recursive ? "recursive" : "flat") + " threads " + std::to_string(threads));
      CorpusOptions co;
      co.recursive = recursive;
      co.threads = threads;
      auto corpus = load_corpus(dir.path(), co, &*tok);
      ASSERT_TRUE(corpus.ok());
      expect_same(corpus->items, reference_items(dir.path(), recursive, *tok));
      // Captions with the other extension beside images, and orphans.
      std::vector<std::string> other = recursive ? std::vector<std::string>{"a.caption", "sub/d.caption"}
                                                 : std::vector<std::string>{"a.caption"};
      EXPECT_EQ(corpus->other_caption_files, other);
      EXPECT_EQ(corpus->orphan_captions, (std::vector<std::string>{"orphan.txt", "target.txt"}));
    }
  }
}

TEST(CorpusEquivalence, JpegHeaderAndUnreadableImage) {
  TempDir dir;
  make_fixture(dir);
  auto corpus = load_corpus(dir.path(), {}, nullptr);
  ASSERT_TRUE(corpus.ok());
  const CorpusItem* jpeg = nullptr;
  const CorpusItem* broken = nullptr;
  for (auto& it : corpus->items) {
    if (it.image == "e.jpg") jpeg = &it;
    if (it.image == "broken.png") broken = &it;
  }
  ASSERT_TRUE(jpeg && broken);
  EXPECT_EQ(jpeg->width, 72);
  EXPECT_EQ(jpeg->height, 48);
  EXPECT_FALSE(broken->image_error.empty());
}

TEST(CorpusEquivalence, DuplicateImagesNeedEqualBytesNotJustEqualSize) {
  TempDir dir;
  make_fixture(dir);
  write_png(dir / "sub/a2.png", 64, 32, 10);  // a third copy of a.png, in a subfolder
  fs::remove(dir / "link.png");  // a link and its target are the same bytes too; not this test's point
  CorpusOptions co;
  co.recursive = true;
  auto corpus = load_corpus(dir.path(), co, nullptr);
  ASSERT_TRUE(corpus.ok());
  LintParams lp;
  lp.resolution = 0;
  auto findings = lint_dataset(*corpus, lp, nullptr, nullptr);
  ASSERT_TRUE(findings.ok());
  std::vector<std::vector<std::string>> groups;
  for (auto& f : *findings)
    if (f.rule == "duplicate-image") groups.push_back(f.files);
  // a.png, b.png and sub/a2.png are one image; c.png has the same size but other bytes; d.png and the
  // link's target are single.
  EXPECT_EQ(groups, (std::vector<std::vector<std::string>>{{"a.png", "b.png", "sub/a2.png"}}));
}

// The per-chunk token cache of the corpus pass against ClipTokenizer::count on 600 generated tag lines:
// punctuation against separators ("tag_(x),"), digits, contractions, specials, upper case, tabs and
// runs of spaces, and some non-ASCII lines (which bypass the cache).
TEST(CorpusEquivalence, TokenCountsMatchTheTokenizerOnManyCaptions) {
  TempDir dir;
  auto tok = ClipTokenizer::load_default();
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  const std::vector<std::string> parts = {
      "1girl", "long_hair", "Blue Eyes", "tag_(x)", "(hat:1.2)", "don't", "it's", "<|startoftext|>", "<|ENDOFTEXT|>",
      "score_9", "a.b.c", "x--y", "!!", "'", "'re", "\\(escaped\\)", "rating:general", "looking_at_viewer",
      "2boys", "1990s_(style)", "caf\xc3\xa9", "\xe7\x8c\xab", "e\xcc\x81", "\xef\xbc\xa1", "o'clock", "x_x", ":)", "^_^"};
  const std::vector<std::string> seps = {", ", ",", " , ", ",  ", ",\t", " ", ",,"};
  uint32_t state = 12345;
  auto next = [&] { return state = state * 1103515245u + 12345u, (state >> 8) & 0xffff; };
  for (int i = 0; i < 600; ++i) {
    std::string line;
    int n = 1 + int(next() % 12);
    for (int k = 0; k < n; ++k) {
      if (k) line += seps[next() % seps.size()];
      line += parts[next() % parts.size()];
    }
    char name[32];
    std::snprintf(name, sizeof name, "i%04d", i);
    write_png(dir / (std::string(name) + ".png"), 8, 8, uint8_t(i));
    write_all(dir / (std::string(name) + ".txt"), line);
  }
  auto corpus = load_corpus(dir.path(), {}, &*tok);
  ASSERT_TRUE(corpus.ok());
  ASSERT_EQ(corpus->items.size(), 600u);
  size_t checked = 0;
  for (auto& it : corpus->items) {
    ASSERT_TRUE(it.caption_error.empty()) << it.caption_error;
    EXPECT_EQ(it.tokens, tok->count(it.tag_line)) << it.tag_line;
    checked += it.tokens > 0;
  }
  EXPECT_EQ(checked, 600u);
}

// Token counts summed per tag (lines of ASCII tags joined by ", ") against ClipTokenizer::count on
// 2,000 lines of real tags from the shipped Danbooru list (3,000 most used names, some with spaces for
// underscores, some upper-cased, a few non-ASCII names), beside lines with other separators.
TEST(CorpusEquivalence, TokenCountsOfRealTagLinesMatchTheTokenizer) {
  TempDir dir;
  auto tok = ClipTokenizer::load_default();
  auto db = TagDatabase::load_default();
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  ASSERT_TRUE(db.ok()) << db.status().message();
  std::vector<std::string> names;
  for (size_t i = 0; i < db->tags().size() && names.size() < 3000; ++i) names.push_back(db->tags()[i].name);
  names.push_back("\xe7\x8c\xab\xe8\x80\xb3");  // non-ASCII: the line goes to the tokenizer whole
  names.push_back("caf\xc3\xa9_(place)");
  uint32_t state = 777;
  auto next = [&] { return state = state * 1103515245u + 12345u, (state >> 8) & 0xffff; };
  std::vector<std::string> lines;
  for (int i = 0; i < 2000; ++i) {
    std::string line;
    int n = 1 + int(next() % 45);
    const char* sep = i % 10 == 9 ? ",  " : i % 10 == 8 ? " , " : ", ";
    for (int k = 0; k < n; ++k) {
      std::string t = names[(next() * 7 + next()) % names.size()];
      if (next() % 4 == 0) t = replace_all(t, "_", " ");
      if (next() % 16 == 0)
        for (char& c : t) c = char(std::toupper(static_cast<unsigned char>(c)));
      if (k) line += sep;
      line += t;
    }
    char name[32];
    std::snprintf(name, sizeof name, "r%04d", i);
    write_png(dir / (std::string(name) + ".png"), 8, 8, uint8_t(i));
    write_all(dir / (std::string(name) + ".txt"), line);
  }
  CorpusOptions co;
  co.threads = 2;
  auto corpus = load_corpus(dir.path(), co, &*tok);
  ASSERT_TRUE(corpus.ok());
  ASSERT_EQ(corpus->items.size(), 2000u);
  for (auto& it : corpus->items) EXPECT_EQ(it.tokens, tok->count(it.tag_line)) << it.tag_line;
}

}  // namespace
}  // namespace tagmetry
