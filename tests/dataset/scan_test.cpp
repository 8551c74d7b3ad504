#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "tagmetry/dataset.h"
#include "tagmetry/strings.h"
#include "test_support.h"

namespace tagmetry {
namespace {
using testing::TempDir;
using testing::write_all;

TEST(Scan, PairsImagesAndCaptionsInNaturalOrder) {
  TempDir d;
  write_all(d / "img10.png", "x");
  write_all(d / "img2.JPG", "x");
  write_all(d / "img2.txt", "tag");
  write_all(d / "img2_jp.txt", "タグ");
  write_all(d / "notes.md", "x");
  write_all(d / "orphan.txt", "x");
  write_all(d / ".tagmetry/cache.png", "x");
  write_all(d / "sub/img1.png", "x");
  auto ds = scan_dataset(d.path());
  ASSERT_TRUE(ds.ok());
  ASSERT_EQ(ds->items.size(), 2u);
  EXPECT_EQ(ds->items[0].relpath, "img2.JPG");
  EXPECT_TRUE(ds->items[0].has_caption);
  EXPECT_EQ(ds->items[0].caption, d / "img2.txt");
  EXPECT_EQ(ds->items[1].relpath, "img10.png");
  EXPECT_FALSE(ds->items[1].has_caption);
  ASSERT_EQ(ds->orphan_captions.size(), 1u);
  EXPECT_EQ(ds->orphan_captions[0].filename(), "orphan.txt");

  auto rec = scan_dataset(d.path(), {.recursive = true});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->items.size(), 3u);
  EXPECT_EQ(rec->items[2].relpath, "sub/img1.png");
}

TEST(Scan, MissingFolderIsNotFound) {
  TempDir d;
  auto ds = scan_dataset(d / "nope");
  ASSERT_FALSE(ds.ok());
  EXPECT_EQ(ds.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(ds.status().message().find("nope"), std::string::npos);
}

// A folder big enough to be paired on two threads (over 16,384 entries): every image's caption flag as
// the file system says, side files not orphans, orphans found, natural order.
TEST(Scan, BigFolderPairsAsTheFileSystemSays) {
  TempDir d;
  std::vector<std::string> expected_images, expected_orphans;
  std::vector<bool> expected_caption;
  for (int i = 0; i < 8600; ++i) {
    const std::string stem = "im" + std::to_string(i);
    const std::string image = stem + (i % 5 == 0 ? ".JPG" : ".png");
    write_all(d / image, "x");
    if (i % 3 != 0) write_all(d / (stem + ".txt"), "t");
    if (i % 7 == 0) write_all(d / (stem + "_ja.txt"), "t");      // side file: not an orphan
    if (i % 11 == 0) write_all(d / (stem + ".caption"), "t");    // other extension: no caption
    expected_images.push_back(image);
    expected_caption.push_back(i % 3 != 0);
  }
  for (int i = 0; i < 300; ++i) {
    write_all(d / ("orphan" + std::to_string(i) + ".txt"), "t");
    expected_orphans.push_back((d / ("orphan" + std::to_string(i) + ".txt")).string());
  }
  std::vector<size_t> order(expected_images.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return natural_less(expected_images[a], expected_images[b]); });
  std::sort(expected_orphans.begin(), expected_orphans.end(),
            [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  auto ds = scan_dataset(d.path());
  ASSERT_TRUE(ds.ok());
  ASSERT_EQ(ds->items.size(), order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    const DatasetItem& it = ds->items[k];
    ASSERT_EQ(it.relpath, expected_images[order[k]]);
    EXPECT_EQ(it.has_caption, expected_caption[order[k]]) << it.relpath;
    EXPECT_EQ(it.image, d / it.relpath);
  }
  std::vector<std::string> orphans;
  for (auto& o : ds->orphan_captions) orphans.push_back(o.string());
  EXPECT_EQ(orphans, expected_orphans);
}

// Images whose relative paths are equal (a link resolves to its target) come in order of their
// listed paths, whatever the listing order.
TEST(Scan, LinksToTheSameImageInListedOrder) {
  TempDir d;
  write_all(d / "b_target.png", "x");
  std::filesystem::create_symlink(d / "b_target.png", d / "a_link.png");
  std::filesystem::create_symlink(d / "b_target.png", d / "c_link.png");
  auto ds = scan_dataset(d.path());
  ASSERT_TRUE(ds.ok());
  ASSERT_EQ(ds->items.size(), 3u);
  for (auto& it : ds->items) EXPECT_EQ(it.relpath, "b_target.png");
  EXPECT_EQ(ds->items[0].image.filename(), "a_link.png");
  EXPECT_EQ(ds->items[1].image.filename(), "b_target.png");
  EXPECT_EQ(ds->items[2].image.filename(), "c_link.png");
}

}  // namespace
}  // namespace tagmetry
