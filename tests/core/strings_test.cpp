#include "tagmetry/strings.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tagmetry {
namespace {

TEST(Strings, TrimAndSplit) {
  EXPECT_EQ(trim("  a b \r\n"), "a b");
  EXPECT_EQ(split("a,,b", ","), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(split_trimmed(" a , ,b ,", ","), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split("a, b, c", ", "), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Strings, SplitEscaped) {
  EXPECT_EQ(split_escaped(R"(a\,b,c\\,d)", ','), (std::vector<std::string>{"a,b", "c\\", "d"}));
  EXPECT_EQ(split_escaped("", ','), (std::vector<std::string>{""}));
}

TEST(Strings, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("青い髪 blue_hair"));
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_EQ(find_invalid_utf8("ab\xc0\xaf"), 2u);  // overlong '/'
  EXPECT_EQ(find_invalid_utf8("ok\xed\xa0\x80"), 2u);  // surrogate
  EXPECT_EQ(find_invalid_utf8("\xe3\x81"), 0u);  // truncated sequence
}

TEST(Strings, BomAndNewlines) {
  EXPECT_EQ(strip_utf8_bom("\xEF\xBB\xBFtag"), "tag");
  EXPECT_EQ(normalize_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
}

TEST(Strings, NaturalSort) {
  std::vector<std::string> v{"img10.png", "img2.png", "img1.png", "IMG0.png", "img02.png"};
  std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return natural_less(a, b); });
  EXPECT_EQ(v, (std::vector<std::string>{"IMG0.png", "img1.png", "img2.png", "img02.png", "img10.png"}));
  EXPECT_FALSE(natural_less("a", "a"));
  EXPECT_TRUE(natural_less("a", "ab"));
}

TEST(Strings, ReplaceAllAndDuration) {
  EXPECT_EQ(replace_all("a_b_c", "_", " "), "a b c");
  EXPECT_EQ(format_duration(5), "5s");
  EXPECT_EQ(format_duration(125), "2m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
}

}  // namespace
}  // namespace tagmetry
