// `tagmetry complete` through the real binary: JSON output, errors and exit codes, and a pull from a
// fake Hugging Face Hub that converts the safetensors to GGUF once, then runs --offline from the cache.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "fake_hub.h"
#include "test_support.h"

namespace tagmetry {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class CompleteCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new testing::TempDir();
    ASSERT_EQ(testing::run_python_fixture("make_tiny_dart.py", {(root_->path() / "moe").string()}), 0);
    expected_ = json::parse(testing::read_all(root_->path() / "moe" / "expected.json"));
  }
  static void TearDownTestSuite() { delete root_; }
  fs::path model_dir() const { return root_->path() / "moe"; }
  std::vector<std::string> env() const {
    return {"HF_HOME=" + home_.path().string(), "HF_ENDPOINT=" + hub_.endpoint(), "HF_TOKEN=",
            "HUGGING_FACE_HUB_TOKEN=", "HF_TOKEN_PATH=", "HF_HUB_CACHE=", "HF_HUB_OFFLINE=", "XDG_CACHE_HOME=",
            "TAGMETRY_CACHE=" + (home_.path() / "tagmetry").string(), "TAGMETRY_THREADS=1"};
  }
  static std::vector<std::string> reference_args() {
    return {"--copyright", "vocaloid", "--character", "hatsune miku", "--aspect", "832:1216", "--rating",
            "general", "--length", "long", "--temperature", "0", "--max-new-tokens", "16", "--threads", "1", "--json"};
  }
  static testing::TempDir* root_;
  static json expected_;
  testing::TempDir home_;
  testing::FakeHub hub_;
};
testing::TempDir* CompleteCli::root_ = nullptr;
json CompleteCli::expected_;

TEST_F(CompleteCli, UnknownModelIsAUsageErrorListingTheKnownOnes) {
  auto r = testing::run_cli({"complete", "1girl", "--model", "gpt-9", "--offline"}, env());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown completion model 'gpt-9' (known: dart-v2-moe-sft, dart-v2-sft"), std::string::npos)
      << r.err;
}

TEST_F(CompleteCli, ModelsListShowsCompletionModelsWithLicences) {
  auto r = testing::run_cli({"models", "list", "--json"}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out)["completion_models"];
  ASSERT_EQ(j.size(), 7u);
  EXPECT_EQ(j[0]["name"], "dart-v2-moe-sft");
  EXPECT_EQ(j[0]["licence"], "apache-2.0");
  EXPECT_EQ(j[0]["runnable"], true);
  EXPECT_EQ(j[3]["repo"], "KBlueLeaf/TIPO-500M");
  EXPECT_EQ(j[3]["licence"], "kohaku-license-1.0");
  EXPECT_EQ(j[3]["runnable"], true);
  auto text = testing::run_cli({"models", "list"}, env());
  EXPECT_NE(text.out.find("dantaggen-delta-rev2   dantaggen  ~440 MB   cc-by-sa-4.0         KBlueLeaf/DanTagGen-delta-rev2"),
            std::string::npos) << text.out;
}

#if TAGMETRY_HAVE_LLAMA

TEST_F(CompleteCli, PullConvertsOnceThenRunsOfflineFromTheCache) {
  const std::string repo = "p1atdev/dart-v2-moe-sft";
  hub_.add_file(repo, "config.json", testing::read_all(model_dir() / "config.json"), /*lfs=*/false);
  hub_.add_file(repo, "tokenizer.json", testing::read_all(model_dir() / "tokenizer.json"), /*lfs=*/false);
  hub_.add_file(repo, "model.safetensors", testing::read_all(model_dir() / "model.safetensors"));

  std::vector<std::string> args{"complete", "1girl, blue hair"};
  for (auto& a : reference_args()) args.push_back(a);
  auto r = testing::run_cli(args, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["input"], json({"1girl", "blue hair"}));
  EXPECT_EQ(j["added"], expected_["added"]);
  EXPECT_EQ(j["model"], "dart-v2-moe-sft");
  EXPECT_EQ(j["tokens"], expected_["generated_ids"].size());
  EXPECT_EQ(j["prompt"], expected_["prompt"]);
  const fs::path gguf = home_.path() / "tagmetry" / "llm" / "models--p1atdev--dart-v2-moe-sft" / hub_.commit() / "model.gguf";
  EXPECT_TRUE(fs::exists(gguf));

  const size_t requests = hub_.request_count();
  args.push_back("--offline");
  auto again = testing::run_cli(args, env());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["added"], expected_["added"]);
  EXPECT_EQ(hub_.request_count(), requests);
}

TEST_F(CompleteCli, ModelFilePrintsTheTagsAsOneLine) {
  testing::TempDir dir;
  fs::copy_file(model_dir() / "tokenizer.json", dir / "tokenizer.json");
  // convert through a pull-free route: the library is exercised in complete_model_test; here the GGUF
  // comes from a first pull.
  const std::string repo = "p1atdev/dart-v2-moe-sft";
  hub_.add_file(repo, "config.json", testing::read_all(model_dir() / "config.json"), false);
  hub_.add_file(repo, "tokenizer.json", testing::read_all(model_dir() / "tokenizer.json"), false);
  hub_.add_file(repo, "model.safetensors", testing::read_all(model_dir() / "model.safetensors"));
  auto pulled = testing::run_cli({"complete", "1girl", "--max-new-tokens", "1", "--seed", "1"}, env());
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  fs::copy_file(home_.path() / "tagmetry" / "llm" / "models--p1atdev--dart-v2-moe-sft" / hub_.commit() / "model.gguf",
                dir / "tiny.gguf");

  std::vector<std::string> args{"complete", "1girl, blue hair", "--model-file", (dir / "tiny.gguf").string()};
  for (auto& a : reference_args())
    if (a != "--json") args.push_back(a);
  auto r = testing::run_cli(args, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string line = "1girl, blue hair";
  for (auto& t : expected_["added"]) line += ", " + t.get<std::string>();
  EXPECT_EQ(r.out, line + "\n");
  EXPECT_NE(r.err.find("added " + std::to_string(expected_["added"].size()) + " tags with " + (dir / "tiny.gguf").string()),
            std::string::npos) << r.err;

  auto missing = testing::run_cli({"complete", "1girl", "--model-file", (dir / "nope.gguf").string()}, env());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "tagmetry: " + (dir / "nope.gguf").string() + ": no such model file\n");
}

TEST_F(CompleteCli, Ja2tagsCompletesItsTagsWithAModel) {
  auto r = testing::run_cli({"ja2tags", "青い髪の女の子", "--complete-model", model_dir().string(), "--json"}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  std::vector<std::string> found;
  for (auto& t : j["tags"]) found.push_back(t["tag"]);
  ASSERT_EQ(found, (std::vector<std::string>{"1girl", "blue_hair"}));
  EXPECT_EQ(j["completed"]["input"], json(found));
  ASSERT_GE(j["completed"]["tags"].size(), 2u);
  EXPECT_EQ(j["completed"]["tags"][0], "1girl");
  EXPECT_EQ(j["completed"]["tags"][1], "blue_hair");
  EXPECT_NE(j["completed"]["prompt"].get<std::string>().find("<general>1girl, blue hair<|identity:none|>"), std::string::npos);

  auto text = testing::run_cli({"ja2tags", "青い髪の女の子", "--complete-model", model_dir().string()}, env());
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.rfind("1girl, blue_hair\ncompleted: 1girl, blue_hair", 0), 0u) << text.out;
}

TEST_F(CompleteCli, OfflineWithoutACachedModelSaysHowToGetIt) {
  auto r = testing::run_cli({"complete", "1girl", "--offline"}, env());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("p1atdev/dart-v2-moe-sft"), std::string::npos) << r.err;
}

#endif

}  // namespace
}  // namespace tagmetry
