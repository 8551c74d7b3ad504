#include <gtest/gtest.h>

#include "tagmetry/dataset.h"
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

}  // namespace
}  // namespace tagmetry
