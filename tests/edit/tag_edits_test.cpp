#include <gtest/gtest.h>

#include "tagmetry/caption_edit.h"

namespace tagmetry {
namespace {
using Tags = std::vector<std::string>;

TagMatcher m(const std::string& p, MatchMode mode = MatchMode::kExact) {
  auto r = TagMatcher::create(p, mode);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return *r;
}

TEST(TagMatcher, ExactGlobRegex) {
  EXPECT_TRUE(m("blue_hair").matches("blue_hair"));
  EXPECT_FALSE(m("blue_hair").matches("blue_hairs"));
  EXPECT_TRUE(m("*_hair", MatchMode::kGlob).matches("blue_hair"));
  EXPECT_FALSE(m("*_hair", MatchMode::kGlob).matches("hair_ornament"));
  EXPECT_TRUE(m("?girl", MatchMode::kGlob).matches("1girl"));
  EXPECT_TRUE(m("?髪", MatchMode::kGlob).matches("青髪"));  // ? is one code point
  EXPECT_TRUE(m("[12]girl*", MatchMode::kGlob).matches("2girls"));
  EXPECT_TRUE(m("a.b", MatchMode::kGlob).matches("a.b"));
  EXPECT_FALSE(m("a.b", MatchMode::kGlob).matches("axb"));
  EXPECT_TRUE(m("(blue|red)_eyes", MatchMode::kRegex).matches("red_eyes"));
  EXPECT_FALSE(m("blue", MatchMode::kRegex).matches("blue_eyes"));  // whole tag
  auto bad = TagMatcher::create("(", MatchMode::kRegex);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("regular expression '(' is invalid: ", 0), 0u);
  EXPECT_EQ(TagMatcher::create("[ab", MatchMode::kGlob).status().message(), "glob '[ab': unclosed '['");
}

TEST(TagEdits, AddPutsTagsWhereAskedOnce) {
  Tags t{"1girl", "solo", "smile"};
  EXPECT_EQ(add_tags(t, {"mychar"}, AddPosition::kFirst), (Tags{"mychar", "1girl", "solo", "smile"}));
  EXPECT_EQ(add_tags(t, {"mychar"}, AddPosition::kLast), (Tags{"1girl", "solo", "smile", "mychar"}));
  EXPECT_EQ(add_tags(t, {"a", "b"}, AddPosition::kIndex, 1), (Tags{"1girl", "a", "b", "solo", "smile"}));
  EXPECT_EQ(add_tags(t, {"a"}, AddPosition::kIndex, 99), (Tags{"1girl", "solo", "smile", "a"}));
  EXPECT_EQ(add_tags(t, {"smile"}, AddPosition::kFirst), (Tags{"smile", "1girl", "solo"}));  // moved
  EXPECT_EQ(add_tags(t, {"1girl"}, AddPosition::kFirst), t);
  EXPECT_EQ(add_tags({}, {"x", "x"}, AddPosition::kFirst), (Tags{"x"}));
}

TEST(TagEdits, RemoveReplaceMoveDedupeSort) {
  Tags t{"1girl", "blue_hair", "long_hair", "smile", "blue_eyes"};
  EXPECT_EQ(remove_tags(t, {m("*_hair", MatchMode::kGlob)}), (Tags{"1girl", "smile", "blue_eyes"}));
  EXPECT_EQ(remove_tags(t, {m("smile"), m("1girl")}), (Tags{"blue_hair", "long_hair", "blue_eyes"}));
  EXPECT_EQ(replace_tags(t, m("smile"), "grin"), (Tags{"1girl", "blue_hair", "long_hair", "grin", "blue_eyes"}));
  EXPECT_EQ(replace_tags(t, m("blue_(.*)", MatchMode::kRegex), "red_$1"),
            (Tags{"1girl", "red_hair", "long_hair", "smile", "red_eyes"}));
  EXPECT_EQ(replace_tags(t, m("*_hair", MatchMode::kGlob), "hair"), (Tags{"1girl", "hair", "smile", "blue_eyes"}));
  EXPECT_EQ(replace_tags(t, m("smile"), ""), (Tags{"1girl", "blue_hair", "long_hair", "blue_eyes"}));
  EXPECT_EQ(move_first(t, {m("smile"), m("blue_*", MatchMode::kGlob)}),
            (Tags{"smile", "blue_hair", "blue_eyes", "1girl", "long_hair"}));
  EXPECT_EQ(dedupe_tags({"a", "b", "a", "c", "b"}), (Tags{"a", "b", "c"}));
  EXPECT_EQ(sort_tags_alpha({"solo", "1girl", "Blue", "ahoge"}), (Tags{"1girl", "Blue", "ahoge", "solo"}));
  EXPECT_EQ(sort_tags_by_frequency({"rare", "b", "common", "a"}, {{"common", 9}, {"a", 2}, {"b", 2}}),
            (Tags{"common", "a", "b", "rare"}));
}

}  // namespace
}  // namespace tagmetry

namespace tagmetry {
namespace {

Result<PreparedEdit> prepared(EditOperation::Kind kind, std::vector<std::string> tags, MatchMode mode = MatchMode::kExact) {
  EditOperation op;
  op.kind = kind;
  op.tags = std::move(tags);
  op.match = mode;
  return PreparedEdit::create(op);
}

// The one edit `tagmetry edit` and the web app's batch edit run: checked once, then applied.
TEST(PreparedEdit, ChecksTheOperationOnceAndAppliesIt) {
  using K = EditOperation::Kind;
  const std::vector<std::string> tags{"1girl", "long_hair", "smile"};
  auto add = prepared(K::kAdd, {" trigger "});
  ASSERT_TRUE(add.ok()) << add.status().message();
  EXPECT_EQ(add->apply(tags), (std::vector<std::string>{"trigger", "1girl", "long_hair", "smile"}));
  auto remove = prepared(K::kRemove, {"*_hair"}, MatchMode::kGlob);
  ASSERT_TRUE(remove.ok());
  EXPECT_EQ(remove->apply(tags), (std::vector<std::string>{"1girl", "smile"}));
  auto replace = prepared(K::kReplace, {"smile", ""});
  ASSERT_TRUE(replace.ok());
  EXPECT_EQ(replace->apply(tags), (std::vector<std::string>{"1girl", "long_hair"}));
  // One tag replaced by several, at its place; a replacement already present is not repeated.
  auto several = prepared(K::kReplace, {"long_hair", "very_long_hair", "smile", "braid"});
  ASSERT_TRUE(several.ok()) << several.status().message();
  EXPECT_EQ(several->apply(tags), (std::vector<std::string>{"1girl", "very_long_hair", "smile", "braid"}));
  EXPECT_EQ(prepared(K::kReplace, {"smile", "ok", "a, b"}).status().message(),
            "replace: 'a, b' holds a comma: give each tag separately");
  auto first = prepared(K::kMoveFirst, {"smile"});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->apply(tags), (std::vector<std::string>{"smile", "1girl", "long_hair"}));

  EXPECT_EQ(prepared(K::kAdd, {"a, b"}).status().message(), "add: 'a, b' holds a comma: give each tag separately");
  EXPECT_EQ(prepared(K::kReplace, {"smile", "a, b"}).status().message(),
            "replace: 'a, b' holds a comma: give each tag separately");
  EXPECT_EQ(prepared(K::kReplace, {"smile"}).status().message(), "replace needs OLD and NEW");
  EXPECT_EQ(prepared(K::kRemove, {}).status().message(), "remove needs at least one tag");
  EXPECT_FALSE(prepared(K::kRemove, {"("}, MatchMode::kRegex).ok());

  const TagDelta d = tag_delta(std::set<std::string>{"a", "b", "c"}, std::set<std::string>{"b", "c", "d", "e"});
  EXPECT_EQ(d.added, 2u);
  EXPECT_EQ(d.removed, 1u);
  // Lists count each tag once, as the sets do.
  const TagDelta l = tag_delta(std::vector<std::string>{"c", "a", "b", "a"}, std::vector<std::string>{"e", "b", "d", "c", "d"});
  EXPECT_EQ(l.added, 2u);
  EXPECT_EQ(l.removed, 1u);
}

}  // namespace
}  // namespace tagmetry
