#include "tagmetry/options.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace tagmetry {
namespace {

struct DemoParams {
  double threshold = 0.35;
  std::optional<double> character_threshold;
  int max_tags = 0;
  bool mcut = false;
  std::string order = "confidence";
};

OptionSet<DemoParams> demo_options() {
  OptionSet<DemoParams> s;
  s.add("threshold", &DemoParams::threshold, "Threshold", {}, "TAGMETRY_TEST_THRESHOLD")
      .add("character-threshold", &DemoParams::character_threshold, "Character threshold")
      .add("max-tags", &DemoParams::max_tags, "Max tags")
      .add("mcut", &DemoParams::mcut, "MCut")
      .add("order", &DemoParams::order, "Order", {"confidence", "model"});
  return s;
}

TEST(Options, SetParsesEachType) {
  auto s = demo_options();
  DemoParams p;
  ASSERT_TRUE(s.set(p, "threshold", "0.5").ok());
  ASSERT_TRUE(s.set(p, "character_threshold", "0.9").ok());  // snake_case accepted (JSON keys)
  ASSERT_TRUE(s.set(p, "max-tags", "12").ok());
  ASSERT_TRUE(s.set(p, "mcut", "yes").ok());
  ASSERT_TRUE(s.set(p, "order", "model").ok());
  EXPECT_DOUBLE_EQ(p.threshold, 0.5);
  EXPECT_DOUBLE_EQ(p.character_threshold.value(), 0.9);
  EXPECT_EQ(p.max_tags, 12);
  EXPECT_TRUE(p.mcut);
  EXPECT_EQ(p.order, "model");
}

TEST(Options, BadValuesNameTheOption) {
  auto s = demo_options();
  DemoParams p;
  Status st = s.set(p, "max-tags", "ten");
  EXPECT_EQ(st.message(), "--max-tags: 'ten' is not an integer");
  st = s.set(p, "order", "random");
  EXPECT_EQ(st.message(), "--order: 'random' is not one of confidence, model");
  st = s.set(p, "nope", "1");
  EXPECT_EQ(st.message(), "unknown option 'nope'");
  EXPECT_EQ(p.max_tags, 0);
}

TEST(Options, EnvironmentAndMarkdown) {
  auto s = demo_options();
  DemoParams p;
  ::setenv("TAGMETRY_TEST_THRESHOLD", "0.42", 1);
  ASSERT_TRUE(s.apply_env(p).ok());
  ::unsetenv("TAGMETRY_TEST_THRESHOLD");
  EXPECT_DOUBLE_EQ(p.threshold, 0.42);
  std::string md = s.markdown();
  EXPECT_NE(md.find("| `--threshold` | `0.35` | Threshold [env TAGMETRY_TEST_THRESHOLD] |"), std::string::npos) << md;
  EXPECT_NE(md.find("| `--mcut` | off | MCut |"), std::string::npos) << md;
}

struct ListParams {
  std::string dir;
  std::vector<std::string> lora;
  double weight = 0.8;
  int steps = 28;
};

OptionSet<ListParams> list_options() {
  OptionSet<ListParams> s;
  s.positional("dir", &ListParams::dir, "Dataset folder")
      .add("lora", &ListParams::lora, "LoRA NAME[:WEIGHT]")
      .add("weight", &ListParams::weight, "Weight")
      .range(-2, 2)
      .add("steps", &ListParams::steps, "Steps")
      .range(1, std::nullopt);
  return s;
}

TEST(Options, ListsAppendAndClear) {
  auto s = list_options();
  ListParams p;
  ASSERT_TRUE(s.set(p, "lora", "a:0.5").ok());
  ASSERT_TRUE(s.set(p, "lora", "b").ok());
  EXPECT_EQ(p.lora, (std::vector<std::string>{"a:0.5", "b"}));
  ASSERT_TRUE(s.set_list(p, "lora", {"c"}).ok());
  EXPECT_EQ(p.lora, (std::vector<std::string>{"c"}));
  ASSERT_TRUE(s.set(p, "lora", "").ok());
  EXPECT_TRUE(p.lora.empty());
  EXPECT_EQ(s.set_list(p, "weight", {"1", "2"}).message(), "--weight: takes one value, not a list");
  ASSERT_TRUE(s.set_list(p, "weight", {"1.5"}).ok());
  EXPECT_DOUBLE_EQ(p.weight, 1.5);
}

TEST(Options, RangesAreCheckedAndDocumented) {
  auto s = list_options();
  ListParams p;
  EXPECT_EQ(s.set(p, "weight", "2.5").message(), "--weight: '2.5' is not between -2 and 2");
  EXPECT_EQ(s.set(p, "steps", "0").message(), "--steps: '0' is not at least 1");
  EXPECT_DOUBLE_EQ(p.weight, 0.8);
  EXPECT_EQ(p.steps, 28);
  ASSERT_TRUE(s.set(p, "weight", "-2").ok());  // inclusive
  std::string md = s.markdown();
  EXPECT_NE(md.find("| `--weight` | `0.8` | Weight [-2 to 2] |"), std::string::npos) << md;
  EXPECT_NE(md.find("| `--steps` | `28` | Steps [at least 1] |"), std::string::npos) << md;
  EXPECT_NE(md.find("| `--lora` |  | LoRA NAME[:WEIGHT] (repeatable) |"), std::string::npos) << md;
  EXPECT_EQ(md.find("`--dir`"), std::string::npos) << "positional arguments are not flags: " << md;
  EXPECT_TRUE(s.find("dir")->info.positional);
  EXPECT_TRUE(s.find("dir")->info.required);
}

}  // namespace
}  // namespace tagmetry
