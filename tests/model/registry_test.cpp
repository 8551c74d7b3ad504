#include "tagmetry/model_registry.h"

#include <gtest/gtest.h>

#include <set>

namespace tagmetry {
namespace {

TEST(ModelRegistry, HasEveryRequiredModelOnceWithItsFiles) {
  std::set<std::string> repos, names;
  for (auto& e : model_registry()) {
    EXPECT_TRUE(repos.insert(e.repo).second) << e.repo;
    EXPECT_TRUE(names.insert(e.name).second) << e.name;
    EXPECT_EQ(e.revision, "main");
    EXPECT_EQ(e.model_file, "model.onnx");
    EXPECT_EQ(e.labels_file, e.type == ModelType::kJoyTag ? "top_tags.txt" : "selected_tags.csv") << e.name;
    EXPECT_GT(e.general_threshold, 0.0);
    EXPECT_LT(e.general_threshold, 1.0);
    EXPECT_GT(e.approx_bytes, 100u * 1000 * 1000);
  }
  for (const char* arch : {"moat", "convnext", "convnextv2", "vit", "swinv2"})
    EXPECT_TRUE(repos.count(std::string("SmilingWolf/wd-v1-4-") + arch + "-tagger-v2")) << arch;
  for (const char* arch : {"vit", "swinv2", "convnext", "vit-large", "eva02-large"})
    EXPECT_TRUE(repos.count(std::string("SmilingWolf/wd-") + arch + "-tagger-v3")) << arch;
  EXPECT_TRUE(repos.count("fancyfeast/joytag"));
  EXPECT_EQ(model_registry().size(), 11u);
}

TEST(ModelRegistry, ExactlyOneDefaultAndItIsWdVitV3) {
  int defaults = 0;
  for (auto& e : model_registry()) defaults += e.is_default;
  EXPECT_EQ(defaults, 1);
  EXPECT_EQ(default_model().name, "wd-vit-v3");
  EXPECT_DOUBLE_EQ(default_model().general_threshold, 0.2614);
  EXPECT_DOUBLE_EQ(default_model().character_threshold, 0.85);
}

TEST(ModelRegistry, FindsByNameAliasRepoIdAndRevision) {
  auto a = find_model("wd-swinv2-v3");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->repo, "SmilingWolf/wd-swinv2-tagger-v3");
  auto b = find_model("smilingwolf/WD-V1-4-MOAT-TAGGER-V2");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->name, "wd14-moat-v2");
  auto c = find_model("wd14-moat");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->name, "wd14-moat-v2");
  auto d = find_model("joytag@6b7f16331a6ccf0fdce37d5a9564715f6e772b22");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->revision, "6b7f16331a6ccf0fdce37d5a9564715f6e772b22");
  EXPECT_EQ(d->type, ModelType::kJoyTag);
  EXPECT_DOUBLE_EQ(d->general_threshold, 0.4);
}

TEST(ModelRegistry, UnknownNamesListTheKnownOnes) {
  auto r = find_model("wd-vit-v4");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.status().message().find("wd-eva02-large-v3"), std::string::npos) << r.status().message();
  auto repo = find_model("someone/custom-tagger");
  ASSERT_FALSE(repo.ok());
  EXPECT_NE(repo.status().message().find("--model-type"), std::string::npos);
}

TEST(ModelRegistry, UnregisteredRepoWithATypeGetsThatFamilysFiles) {
  auto r = find_model("someone/custom-joytag@v1", ModelType::kJoyTag);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->registered);
  EXPECT_EQ(r->repo, "someone/custom-joytag");
  EXPECT_EQ(r->revision, "v1");
  EXPECT_EQ(r->labels_file, "top_tags.txt");
  EXPECT_FALSE(find_model("../etc", ModelType::kWd).ok());
  EXPECT_FALSE(looks_like_repo_id("a/b/c"));
  EXPECT_TRUE(looks_like_repo_id("Org_1/name.v2"));
}

TEST(ModelRegistry, ParsesModelTypes) {
  EXPECT_EQ(*parse_model_type("WD"), ModelType::kWd);
  EXPECT_EQ(*parse_model_type("joytag"), ModelType::kJoyTag);
  EXPECT_FALSE(parse_model_type("clip").ok());
  EXPECT_STREQ(model_type_name(ModelType::kJoyTag), "joytag");
}

}  // namespace
}  // namespace tagmetry
