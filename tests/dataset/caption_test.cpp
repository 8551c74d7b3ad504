#include <gtest/gtest.h>

#include "tagmetry/caption.h"
#include "test_support.h"

namespace tagmetry {
namespace {

TEST(Caption, ParsesLinesAndTags) {
  auto c = parse_caption_text("\xEF\xBB\xBF" "1girl, solo,, long_hair \r\na girl smiling\r\n");
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_EQ(c.tags(), (std::vector<std::string>{"1girl", "solo", "long_hair"}));
  EXPECT_EQ(c.text(), "1girl, solo,, long_hair \na girl smiling");
  EXPECT_TRUE(parse_caption_text("").lines.empty());
}

TEST(Caption, WriteThenReadRoundTrips) {
  testing::TempDir d;
  CaptionText c;
  c.lines = {format_tags({"a", "b c"}), "line two"};
  ASSERT_TRUE(write_caption(d / "x.txt", c).ok());
  EXPECT_EQ(testing::read_all(d / "x.txt"), "a, b c\nline two");
  auto r = read_caption(d / "x.txt");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->lines, c.lines);
}

}  // namespace
}  // namespace tagmetry
