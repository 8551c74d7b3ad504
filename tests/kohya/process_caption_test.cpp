// Rules of sd-scripts' process_caption, one by one, on cases whose output does not depend on the
// random draws (or whose possible outputs are listed).
#include <gtest/gtest.h>

#include <set>

#include "tagmetry/kohya_caption.h"

namespace tagmetry {
namespace {

std::string run(const KohyaCaptionParams& p, std::string_view caption, KohyaTrainingState state = {},
                uint64_t seed = 1, const std::vector<KohyaReplacement>& rep = {}) {
  KohyaRandom rng(seed);
  return kohya_process_caption(p, state, caption, rng, rep);
}

// Makes the token stage run without any randomness: warmup that is already over.
KohyaCaptionParams token_stage() {
  KohyaCaptionParams p;
  p.token_warmup_step = 10;
  return p;
}
KohyaTrainingState after_warmup() { return {1, 20, 100}; }

TEST(ProcessCaption, NothingEnabledKeepsFirstLineVerbatim) {
  KohyaCaptionParams p;
  p.keep_tokens = 1;  // does nothing without shuffle/warmup/tag dropout
  EXPECT_EQ(run(p, "b,  a ,c,"), "b,  a ,c,");
  EXPECT_EQ(run(p, "line one\nline two"), "line one");
}

TEST(ProcessCaption, PrefixAndSuffixComeFirstSoMultiLineLosesSuffix) {
  KohyaCaptionParams p;
  p.caption_prefix = "sks";
  p.caption_suffix = "end";
  EXPECT_EQ(run(p, "a, b"), "sks a, b end");
  EXPECT_EQ(run(p, "a, b\nsecond"), "sks a, b");
}

TEST(ProcessCaption, TokenStageKeepsEmptyTokensAndTrailingComma) {
  auto p = token_stage();
  EXPECT_EQ(run(p, " a,,b, ", after_warmup()), "a, , b, ");
  EXPECT_EQ(run(p, "a, b,", after_warmup()), "a, b, ");
  EXPECT_EQ(run(p, "  x  ", after_warmup()), "x");
  EXPECT_EQ(run(p, "", after_warmup()), "");
}

TEST(ProcessCaption, KeepTokensLargerThanTokenCount) {
  KohyaCaptionParams p;
  p.shuffle_caption = true;
  p.keep_tokens = 5;
  for (uint64_t seed = 0; seed < 20; ++seed) EXPECT_EQ(run(p, "b, a", {}, seed), "b, a");
}

TEST(ProcessCaption, KeepTokensSeparatorThreeParts) {
  auto p = token_stage();
  p.keep_tokens_separator = "|||";
  p.keep_tokens = 3;  // ignored when the separator is present
  EXPECT_EQ(run(p, "x, y ||| a, b ||| s1, s2", after_warmup()), "x, y, a, b, s1, s2");
  // A third separator stays literal inside the suffix part.
  EXPECT_EQ(run(p, "x ||| a ||| s1, s2 ||| z", after_warmup()), "x, a, s1, s2 ||| z");
  // Empty tokens are dropped on this path.
  EXPECT_EQ(run(p, "x,,y|||a,, ,b", after_warmup()), "x, y, a, b");
  // Without the separator in the caption, keep_tokens applies again.
  EXPECT_EQ(run(p, "x, y, z", after_warmup()), "x, y, z");
}

TEST(ProcessCaption, KeepTokensSeparatorWithShuffleKeepsFixedParts) {
  KohyaCaptionParams p;
  p.shuffle_caption = true;
  p.keep_tokens_separator = "|||";
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 200; ++seed) seen.insert(run(p, "x ||| a, b ||| z", {}, seed));
  EXPECT_EQ(seen, (std::set<std::string>{"x, a, b, z", "x, b, a, z"}));
}

TEST(ProcessCaption, Wildcards) {
  KohyaCaptionParams p;
  p.enable_wildcard = true;
  EXPECT_EQ(run(p, "{a}, b"), "a, b");
  EXPECT_EQ(run(p, "{}, b"), "{}, b");
  EXPECT_EQ(run(p, "{a|b, c"), "{a|b, c");
  EXPECT_EQ(run(p, "{{literal}}, x"), "{literal}, x");
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 200; ++seed) seen.insert(run(p, "{red|blue|} hair", {}, seed));
  EXPECT_EQ(seen, (std::set<std::string>{"red hair", "blue hair", " hair"}));
  // Nested braces: [^}]+ runs from the first "{" to the first "}".
  seen.clear();
  for (uint64_t seed = 0; seed < 200; ++seed) seen.insert(run(p, "{x{a|b} }", {}, seed));
  EXPECT_EQ(seen, (std::set<std::string>{"x{a }", "b }"}));
  // "}}" is an escaped brace even where it closes a wildcard, so this one never expands.
  EXPECT_EQ(run(p, "{x{a|b}}"), "{x{a|b}");
  // Escaped braces around a wildcard.
  seen.clear();
  for (uint64_t seed = 0; seed < 200; ++seed) seen.insert(run(p, "{{{a|b}}}", {}, seed));
  EXPECT_EQ(seen, (std::set<std::string>{"{a", "{b}"}));
}

TEST(ProcessCaption, WildcardPicksAnyLineIncludingBlankOnes) {
  KohyaCaptionParams p;
  p.enable_wildcard = true;
  p.caption_suffix = "sfx";
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 300; ++seed) seen.insert(run(p, "one\n\n two", {}, seed));
  EXPECT_EQ(seen, (std::set<std::string>{"one", "", " two sfx"}));
}

TEST(ProcessCaption, WarmupFractionOfMaxTrainSteps) {
  KohyaCaptionParams p;
  p.token_warmup_step = 0.5;  // → floor(0.5 * 100) = 50 steps
  p.token_warmup_min = 1;
  const std::string caption = "t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10";
  EXPECT_EQ(run(p, caption, {1, 0, 100}), "t0");
  EXPECT_EQ(run(p, caption, {1, 10, 100}), "t0, t1, t2");  // floor(10 * 10/50) + 1 = 3
  EXPECT_EQ(run(p, caption, {1, 49, 100}), "t0, t1, t2, t3, t4, t5, t6, t7, t8, t9");  // floor(9.8) + 1
  EXPECT_EQ(run(p, caption, {1, 50, 100}), caption);
  // A fraction with max_train_steps 0 means no warmup at all (but the token stage still runs).
  EXPECT_EQ(run(p, "a,b", {1, 0, 0}), "a, b");
  // token_warmup_min larger than the tag count keeps everything.
  p.token_warmup_min = 5;
  EXPECT_EQ(run(p, "a, b", {1, 10, 100}), "a, b");
}

TEST(ProcessCaption, WarmupCutsBeforeShuffling) {
  KohyaCaptionParams p;
  p.shuffle_caption = true;
  p.token_warmup_step = 100;
  p.token_warmup_min = 2;
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 200; ++seed) seen.insert(run(p, "a, b, c, d", {1, 0, 0}, seed));
  EXPECT_EQ(seen, (std::set<std::string>{"a, b", "b, a"}));
}

TEST(ProcessCaption, DropoutEveryNEpochsIncludingEpochZero) {
  KohyaCaptionParams p;
  p.caption_dropout_every_n_epochs = 2;
  p.caption_prefix = "never seen";
  EXPECT_EQ(run(p, "a, b", {0, 0, 0}), "");
  EXPECT_EQ(run(p, "a, b", {1, 0, 0}), "never seen a, b");
  EXPECT_EQ(run(p, "a, b", {2, 0, 0}), "");
  EXPECT_EQ(run(p, "a, b", {3, 0, 0}), "never seen a, b");
  p.caption_dropout_every_n_epochs = 0;
  p.caption_dropout_rate = 1.0;
  EXPECT_EQ(run(p, "a, b"), "");
}

TEST(ProcessCaption, SecondarySeparatorAlsoWithoutTokenStage) {
  KohyaCaptionParams p;
  p.secondary_separator = ";;;";
  EXPECT_EQ(run(p, "a;;;b, c"), "a,b, c");
  auto q = token_stage();
  q.secondary_separator = ";;;";
  EXPECT_EQ(run(q, "c , a;;;b", after_warmup()), "c, a,b");
}

TEST(ProcessCaption, CustomCaptionSeparator) {
  auto p = token_stage();
  p.caption_separator = ";";
  EXPECT_EQ(run(p, "a; b ;c, d", after_warmup()), "a, b, c, d");
}

TEST(ProcessCaption, Replacements) {
  KohyaCaptionParams p;
  EXPECT_EQ(run(p, "1girl, solo", {}, 1, {{"girl", {"boy"}}}), "1boy, solo");
  EXPECT_EQ(run(p, "1girl, solo", {}, 1, {{"", {"sks"}}}), "sks");
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 100; ++seed) seen.insert(run(p, "x", {}, seed, {{"", {"p", "q"}}, {"q", {"r"}}}));
  EXPECT_EQ(seen, (std::set<std::string>{"p", "r"}));
}

TEST(ProcessCaption, ReadCaptionLikeKohya) {
  EXPECT_EQ(kohya_caption_from_file_text("  a, b \nsecond\n", false), "a, b");
  EXPECT_EQ(kohya_caption_from_file_text("a\n\n  \n b \n", true), "a\nb");
  EXPECT_EQ(kohya_caption_from_file_text("", false), "");
}

TEST(ProcessCaption, PythonStripUsesUnicodeWhitespace) {
  EXPECT_EQ(python_strip("\u3000猫耳\u00a0 "), "猫耳");
  EXPECT_EQ(python_strip(" \t\n"), "");
  EXPECT_EQ(python_strip("x\u200by"), "x\u200by");  // zero-width space is not whitespace in Python
}

TEST(ProcessCaption, ValidateRejectsBadParams) {
  KohyaCaptionParams p;
  p.caption_separator = "";
  EXPECT_FALSE(p.validate().ok());
  p = {};
  p.caption_tag_dropout_rate = 1.5;
  EXPECT_FALSE(p.validate().ok());
  EXPECT_TRUE(KohyaCaptionParams{}.validate().ok());
}

}  // namespace
}  // namespace tagmetry
