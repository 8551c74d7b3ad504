// `complete` on a tiny random Dart-shaped model (tests/fixtures/make_tiny_dart.py): the safetensors are
// converted to GGUF in C++, llama.cpp runs it, and the greedy completion must equal the one a plain numpy
// forward pass of the Hugging Face equations computed. Also seeds, bans, length caps and bad GGUF files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tagmetry/complete.h"
#include "tagmetry/dart_tokenizer.h"
#include "tagmetry/gguf_convert.h"
#include "tagmetry/gguf_writer.h"
#include "test_support.h"

namespace tagmetry {
namespace {

namespace fs = std::filesystem;

struct TinyModel {
  fs::path dir, gguf;
  nlohmann::json expected;
};

// Writes (once per process) the MoE and dense fixtures and converts both.
const TinyModel& tiny(bool dense) {
  static testing::TempDir* root = new testing::TempDir();  // lives for the whole test binary
  static TinyModel models[2];
  TinyModel& m = models[dense ? 1 : 0];
  if (m.dir.empty()) {
    m.dir = root->path() / (dense ? "dense" : "moe");
    std::vector<std::string> args{m.dir.string()};
    if (dense) args.push_back("--dense");
    EXPECT_EQ(testing::run_python_fixture("make_tiny_dart.py", args), 0);
    m.expected = nlohmann::json::parse(testing::read_all(m.dir / "expected.json"));
    m.gguf = m.dir / "model.gguf";
    auto r = convert_hf_to_gguf(m.dir, m.gguf);
    EXPECT_TRUE(r.ok()) << r.status().message();
  }
  return m;
}

// The options that give the fixture's reference prompt.
CompleteParams reference_params(const TinyModel& m) {
  CompleteParams p;
  p.model_file = m.gguf.string();
  p.copyright = "vocaloid";
  p.character = "hatsune miku";
  p.rating = "general";
  p.aspect = "832:1216";
  p.length = "long";
  p.temperature = 0;
  p.max_new_tokens = m.expected["max_new_tokens"].get<int>();
  p.threads = 1;  // one thread: ggml's barriers spin, which is slow on an oversubscribed CI machine
  return p;
}

std::vector<std::string> strings(const nlohmann::json& j) { return j.get<std::vector<std::string>>(); }

TEST(CompleteConvert, WritesAVocabularyLessLlamaGgufWithStackedExperts) {
  const TinyModel& m = tiny(false);
  auto again = convert_hf_to_gguf(m.dir, m.dir / "again.gguf");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->architecture, "MixtralForCausalLM");
  // embd, norm, output + 2 layers x (2 norms, q k v o, router, 3 stacked expert tensors)
  EXPECT_EQ(again->tensors, 3 + 2 * 10);
  EXPECT_EQ(again->bytes, fs::file_size(m.gguf));
  std::string head = testing::read_all(m.gguf).substr(0, 4096);
  EXPECT_EQ(head.substr(0, 4), "GGUF");
  EXPECT_NE(head.find("blk.1.ffn_gate_exps.weight"), std::string::npos);
  EXPECT_NE(head.find("llama.expert_used_count"), std::string::npos);
}

TEST(CompleteConvert, ReportsAMissingTensorWithTheFileName) {
  const TinyModel& m = tiny(false);
  testing::TempDir dir;
  fs::copy_file(m.dir / "model.safetensors", dir / "model.safetensors");
  auto cfg = nlohmann::json::parse(testing::read_all(m.dir / "config.json"));
  cfg["num_hidden_layers"] = 3;
  testing::write_all(dir / "config.json", cfg.dump());
  auto r = convert_hf_to_gguf(dir.path(), dir / "m.gguf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            (dir / "model.safetensors").string() + ": tensor 'model.layers.2.input_layernorm.weight' is missing");
  EXPECT_FALSE(fs::exists(dir / "m.gguf"));
  cfg["architectures"] = {"GPT2LMHeadModel"};
  testing::write_all(dir / "config.json", cfg.dump());
  r = convert_hf_to_gguf(dir.path(), dir / "m.gguf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnsupported);
}

TEST(CompleteTokenizer, EncodesTheReferencePromptAsThePythonTokenizerDid) {
  const TinyModel& m = tiny(false);
  auto tok = DartTokenizer::load(m.dir / "tokenizer.json");
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(tok->encode(m.expected["prompt"].get<std::string>()),
            m.expected["prompt_ids"].get<std::vector<int32_t>>());
}

#if TAGMETRY_HAVE_LLAMA

TEST(CompleteModel, GreedyMixtralCompletionEqualsTheNumpyReference) {
  const TinyModel& m = tiny(false);
  auto r = complete_tags({"1girl, blue hair"}, reference_params(m));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->prompt, m.expected["prompt"].get<std::string>());
  EXPECT_EQ(r->added, strings(m.expected["added"]));
  EXPECT_EQ(r->tokens, static_cast<int>(m.expected["generated_ids"].size()));
  std::vector<std::string> tags{"1girl", "blue hair"};
  for (auto& t : strings(m.expected["added"])) tags.push_back(t);
  EXPECT_EQ(r->tags, tags);
  EXPECT_EQ(r->model, m.gguf.string());
}

TEST(CompleteModel, GreedyMistralCompletionEqualsTheNumpyReference) {
  const TinyModel& m = tiny(true);
  auto r = complete_tags({"1girl", "blue hair"}, reference_params(m));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->added, strings(m.expected["added"]));
  EXPECT_EQ(r->tokens, static_cast<int>(m.expected["generated_ids"].size()));
}

TEST(CompleteModel, AHuggingFaceFolderIsConvertedOnceIntoTheCache) {
  const TinyModel& m = tiny(true);
  CompleteParams p = reference_params(m);
  p.model_file = m.dir.string();
  auto r = complete_tags({"1girl, blue hair"}, p);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->added, strings(m.expected["added"]));
  EXPECT_EQ(r->model, m.dir.string());
}

TEST(CompleteModel, KeepsUserTagsFirstAsWrittenAndDropsTheirDuplicates) {
  const TinyModel& m = tiny(false);
  CompleteParams p = reference_params(m);
  auto r = complete_tags({"Blue_Hair, 1girl, blue hair"}, p);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_GE(r->tags.size(), 2u);
  EXPECT_EQ(r->tags[0], "Blue_Hair");
  EXPECT_EQ(r->tags[1], "1girl");
  EXPECT_EQ(r->input, (std::vector<std::string>{"Blue_Hair", "1girl", "blue hair"}));
  EXPECT_NE(r->prompt.find("<general>blue hair, 1girl<|identity:none|>"), std::string::npos) << r->prompt;
}

TEST(CompleteModel, SameSeedSameTagsAndTheSeedIsReported) {
  const TinyModel& m = tiny(false);
  CompleteParams p = reference_params(m);
  p.temperature = 1.0;
  p.seed = 1234;
  auto a = complete_tags({"1girl, blue hair"}, p);
  auto b = complete_tags({"1girl, blue hair"}, p);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->tags, b->tags);
  EXPECT_EQ(a->seed, 1234);
  // Over several seeds, sampling does not always give the greedy answer.
  bool differs = false;
  for (int seed = 1; seed <= 8 && !differs; ++seed) {
    p.seed = seed;
    auto c = complete_tags({"1girl, blue hair"}, p);
    ASSERT_TRUE(c.ok());
    differs = c->added != strings(m.expected["added"]);
  }
  EXPECT_TRUE(differs);
}

TEST(CompleteModel, BannedTagsAreNeverAdded) {
  const TinyModel& m = tiny(false);
  auto expected = strings(m.expected["added"]);
  ASSERT_FALSE(expected.empty());
  CompleteParams p = reference_params(m);
  p.ban = expected[0] + ", looking_at_viewer";
  auto r = complete_tags({"1girl, blue hair"}, p);
  ASSERT_TRUE(r.ok()) << r.status().message();
  for (auto& t : r->added) {
    EXPECT_NE(t, expected[0]);
    EXPECT_NE(t, "looking at viewer");
  }
}

TEST(CompleteModel, CapsTheListAtTheTargetLength) {
  const TinyModel& m = tiny(false);
  CompleteParams p = reference_params(m);
  p.length = "very_short";
  p.temperature = 1.5;
  p.top_k = 0;
  p.max_new_tokens = 200;
  for (int seed = 1; seed <= 3; ++seed) {
    p.seed = seed;
    auto r = complete_tags({"1girl, blue hair"}, p);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_LE(r->tags.size(), 9u);
    EXPECT_NE(r->prompt.find("<|length:very_short|>"), std::string::npos);
  }
}

TEST(CompleteModel, ClearErrorsForMissingTruncatedAndForeignGgufFiles) {
  const TinyModel& m = tiny(false);
  testing::TempDir dir;
  fs::copy_file(m.dir / "tokenizer.json", dir / "tokenizer.json");
  CompleteParams p = reference_params(m);

  p.model_file = (dir / "none.gguf").string();
  auto r = complete_tags({"1girl"}, p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(r.status().message(), p.model_file + ": no such model file");

  std::string bytes = testing::read_all(m.gguf);
  testing::write_all(dir / "cut.gguf", bytes.substr(0, bytes.size() / 2));
  p.model_file = (dir / "cut.gguf").string();
  r = complete_tags({"1girl"}, p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(r.status().message().rfind(p.model_file + ": llama.cpp cannot load it: error loading model: ", 0), 0u)
      << r.status().message();

  testing::write_all(dir / "text.gguf", "hello");
  p.model_file = (dir / "text.gguf").string();
  r = complete_tags({"1girl"}, p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), p.model_file + ": not a GGUF file");

  GgufWriter w;
  w.add_string("general.architecture", "no-such-architecture");
  w.add_string("tokenizer.ggml.model", "none");
  ASSERT_TRUE(w.write(dir / "foreign.gguf").ok());
  p.model_file = (dir / "foreign.gguf").string();
  r = complete_tags({"1girl"}, p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(r.status().message(), p.model_file +
                                      ": llama.cpp cannot load it: error loading model: unknown model architecture: "
                                      "'no-such-architecture'");
}

#else

TEST(CompleteModel, SaysWhyItIsUnavailableWithoutLlamaCpp) {
  CompleteParams p;
  p.model_file = "x.gguf";
  auto r = complete_tags({"1girl"}, p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(r.status().message().rfind("tagmetry complete is unavailable: ", 0), 0u) << r.status().message();
}

#endif

TEST(CompleteModel, RejectsBadOptionValuesBeforeLoadingAnything) {
  CompleteParams p;
  p.model_file = "/nonexistent.gguf";
  p.rating = "safe";
  auto r = complete_tags({"1girl"}, p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "unknown rating 'safe' (choose sfw, general, sensitive, nsfw, questionable, explicit)");
  p.rating = "general";
  r = complete_tags({" , "}, p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "no tags given (tagmetry complete \"1girl, blue hair\")");
}

}  // namespace
}  // namespace tagmetry
