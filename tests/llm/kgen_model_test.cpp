// TIPO and DanTagGen on llama.cpp with the model's own vocabulary: a tiny LLaMA GGUF with a SentencePiece
// vocabulary and the family's added tokens (tiny_vocab_gguf.h) whose greedy decoding follows a known
// chain, so the exact prompt (KGen's template, tokenized by llama.cpp), the passes, the parse of the answer,
// bans, unknown tags, the length cap, family detection, and the pull from a fake Hub are all checked.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "fake_generators.h"
#include "fake_hub.h"
#include "server_fixture.h"
#include "tagmetry/complete.h"
#include "tagmetry/gguf_writer.h"
#include "tagmetry/prompt.h"
#include "test_support.h"
#include "tiny_vocab_gguf.h"

namespace tagmetry {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Tags = std::vector<std::string>;

const std::string kSp = "\xE2\x96\x81";  // SentencePiece's "▁"

struct Fixture {
  testing::TempDir dir;
  fs::path tipo, dtg, tags_db;
  Fixture() {
    tipo = dir / "tipo.gguf";
    dtg = dir / "dtg.gguf";
    tags_db = dir / "tags.csv";
    // TIPO: after the prompt's last token "▁ears" the model writes
    // ", smile, zzqx, outdoors, 1girl, sky\nlong: never".
    testing::write_tiny_vocab_gguf(tipo, "tipo",
                                   {{kSp + "ears", "," + kSp + "smile"},
                                    {"," + kSp + "smile", "," + kSp + "zzqx"},
                                    {"," + kSp + "zzqx", "," + kSp + "outdoors"},
                                    {"," + kSp + "outdoors", "," + kSp + "1girl"},
                                    {"," + kSp + "1girl", "," + kSp + "sky"},
                                    {"," + kSp + "sky", "<0x0A>"},
                                    {"<0x0A>", "long:"},
                                    {"long:", kSp + "never"}});
    // DanTagGen: after <|input_end|>, " smile, zzqx, outdoors, 1girl, sky" then </s>.
    testing::write_tiny_vocab_gguf(dtg, "dantaggen",
                                   {{"<|input_end|>", kSp + "smile"},
                                    {kSp + "smile", "," + kSp + "zzqx"},
                                    {"," + kSp + "zzqx", "," + kSp + "outdoors"},
                                    {"," + kSp + "outdoors", "," + kSp + "1girl"},
                                    {"," + kSp + "1girl", "," + kSp + "sky"}});
    testing::write_all(tags_db, "1girl,0,100,\ncat_ears,0,90,\nsmile,0,80,\noutdoors,0,70,\nsky,0,60,\n"
                                "hatsune_miku,4,50,\nvocaloid,3,40,\n");
  }
};

const Fixture& fixture() {
  static Fixture* f = new Fixture();  // lives for the whole test binary
  return *f;
}

#if TAGMETRY_HAVE_LLAMA

CompleteParams params(const fs::path& gguf) {
  CompleteParams p;
  p.model_file = gguf.string();
  p.tags_db = fixture().tags_db.string();
  p.aspect = "832:1216";
  p.length = "very_short";
  p.temperature = 0;
  p.threads = 1;
  return p;
}

TEST(KgenModel, TipoPromptPassesAndParseOnTheModelsOwnVocabulary) {
  CompleteParams p = params(fixture().tipo);
  p.copyright = "vocaloid";
  auto r = complete_tags({"1girl, cat_ears, hatsune_miku"}, p);
  ASSERT_TRUE(r.ok()) << r.status().message();
  // The family comes from the vocabulary (<|gen_meta|>), though --model is left at Dart's default.
  EXPECT_EQ(r->prompt,
            "rating: general\ncharacters: hatsune miku\ncopyrights: vocaloid\naspect_ratio: 0.7\n"
            "target: <|very_short|>\ntag: 1girl, cat ears");
  EXPECT_EQ(r->added, (Tags{"smile", "outdoors", "sky"}));
  EXPECT_EQ(r->tags, (Tags{"1girl", "cat_ears", "hatsune_miku", "smile", "outdoors", "sky"}));
  ASSERT_EQ(r->dropped.size(), 2u);
  EXPECT_EQ(r->dropped[0].tag, "zzqx");
  EXPECT_EQ(r->dropped[0].reason, "unknown tag");
  EXPECT_EQ(r->dropped[1].tag, "1girl");
  EXPECT_EQ(r->dropped[1].reason, "duplicate");
  // 6 tags reach very_short's 6 after one pass of 7 tokens, stopped at the "long:" line that follows the
  // tag block ("never" is not generated).
  EXPECT_EQ(r->passes, 1);
  EXPECT_EQ(r->tokens, 7);
  EXPECT_EQ(r->model, fixture().tipo.string());
}

TEST(KgenModel, TipoRetriesWithTheNewTagsUntilTheTarget) {
  CompleteParams p = params(fixture().tipo);
  auto r = complete_tags({"1girl, cat ears"}, p);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->prompt, "rating: general\naspect_ratio: 0.7\ntarget: <|very_short|>\ntag: 1girl, cat ears");
  EXPECT_EQ(r->added, (Tags{"smile", "outdoors", "sky"}));
  // 5 < 6 tags: a second pass with "tag: 1girl, cat ears, smile, outdoors, sky" ends in ",▁sky" and gives
  // "\nlong:" (2 tokens), nothing new; greedy, so a third pass would be the same.
  EXPECT_EQ(r->passes, 2);
  EXPECT_EQ(r->tokens, 9);
}

TEST(KgenModel, TipoBansBySubstringAndCapsAtTheLengthsMaximum) {
  CompleteParams p = params(fixture().tipo);
  p.ban = "out";
  p.keep_unknown = true;
  auto r = complete_tags({"1girl, cat ears"}, p);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->added, (Tags{"smile", "zzqx", "sky"}));
  ASSERT_EQ(r->dropped.size(), 2u);
  EXPECT_EQ(r->dropped[0].tag, "outdoors");
  EXPECT_EQ(r->dropped[0].reason, "banned");
  EXPECT_EQ(r->dropped[1].reason, "duplicate");

  // very_short keeps at most 18 tags: 17 given, room for one.
  std::vector<std::string> input;
  for (int i = 0; i < 16; ++i) input.push_back("tag" + std::to_string(i));
  input.push_back("cat ears");
  p.ban.clear();
  auto capped = complete_tags(input, p);
  ASSERT_TRUE(capped.ok()) << capped.status().message();
  EXPECT_EQ(capped->added, Tags{"smile"});
  EXPECT_EQ(capped->tags.size(), 18u);
  ASSERT_EQ(capped->dropped.size(), 4u);  // zzqx, outdoors, 1girl, sky
  EXPECT_EQ(capped->dropped[0].tag, "zzqx");
  EXPECT_EQ(capped->dropped[0].reason, "over length");
}

TEST(KgenModel, DanTagGenPromptAndTheTagsAfterInputEnd) {
  CompleteParams p = params(fixture().dtg);
  p.model = "dantaggen-delta-rev2";
  auto r = complete_tags({"1girl, cat ears"}, p);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->prompt,
            "quality: \nrating: general\nartist: <|empty|>\ncharacters: <|empty|>\ncopyrights: <|empty|>\n"
            "aspect ratio: 0.7\ntarget: <|very_short|>\ngeneral: 1girl, cat ears<|input_end|>");
  EXPECT_EQ(r->added, (Tags{"smile", "outdoors", "sky"}));
  ASSERT_EQ(r->dropped.size(), 2u);
  EXPECT_EQ(r->dropped[0].reason, "unknown tag");
  EXPECT_EQ(r->dropped[1].tag, "1girl");
  EXPECT_EQ(r->dropped[1].reason, "duplicate");
  // 5 < 8: tag_gen re-feeds "<|input_end|>smile, outdoors, sky"; the model ends there (</s>).
  EXPECT_EQ(r->passes, 2);
  EXPECT_EQ(r->tokens, 5);
}

TEST(KgenModel, SameSeedSameTagsWithTheModelsDefaultSampling) {
  CompleteParams p = params(fixture().dtg);
  p.temperature.reset();  // DanTagGen's 0.5, top-p 0.95, top-k 100
  p.seed = 7;
  auto a = complete_tags({"1girl, cat ears"}, p);
  auto b = complete_tags({"1girl, cat ears"}, p);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->tags, b->tags);
  EXPECT_EQ(a->seed, 7);
  EXPECT_EQ(a->added, (Tags{"smile", "outdoors", "sky"}));
}

TEST(KgenModel, ClearErrorsForAWrongLengthAndAVocabularyLessGguf) {
  CompleteParams p = params(fixture().tipo);
  p.length = "medium";
  auto r = complete_tags({"1girl"}, p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("medium is a Dart v2 length"), std::string::npos);

  testing::TempDir dir;
  GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_string("tokenizer.ggml.model", "none");
  ASSERT_TRUE(w.write(dir / "novocab.gguf").ok());
  p = params(dir / "novocab.gguf");
  p.model = "tipo-200m";
  r = complete_tags({"1girl"}, p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(r.status().message(), (dir / "novocab.gguf").string() +
                                      ": the GGUF has no vocabulary (tokenizer.ggml.model = none); tipo runs its "
                                      "published GGUF, which has one");
}

class KgenCli : public ::testing::Test {
 protected:
  std::vector<std::string> env() const {
    return {"HF_HOME=" + home_.path().string(), "HF_ENDPOINT=" + hub_.endpoint(), "HF_TOKEN=",
            "HUGGING_FACE_HUB_TOKEN=", "HF_TOKEN_PATH=", "HF_HUB_CACHE=", "HF_HUB_OFFLINE=", "XDG_CACHE_HOME=",
            "TAGMETRY_CACHE=" + (home_.path() / "tagmetry").string(), "TAGMETRY_THREADS=1"};
  }
  testing::TempDir home_;
  testing::FakeHub hub_;
};

TEST_F(KgenCli, TipoIsPulledFromTheHubOnceThenRunsOffline) {
  hub_.add_file("KBlueLeaf/TIPO-200M", "TIPO-200M-40Btok-F16.gguf", testing::read_all(fixture().tipo));
  std::vector<std::string> args{"complete", "1girl, cat ears", "--model", "tipo-200m", "--tags-db",
                                fixture().tags_db.string(), "--length", "very_short", "--aspect", "832:1216",
                                "--temperature", "0", "--json"};
  auto r = testing::run_cli(args, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["model"], "tipo-200m");
  EXPECT_EQ(j["added"], json({"smile", "outdoors", "sky"}));
  EXPECT_EQ(j["passes"], 2);
  EXPECT_EQ(j["prompt"], "rating: general\naspect_ratio: 0.7\ntarget: <|very_short|>\ntag: 1girl, cat ears");

  const size_t requests = hub_.request_count();
  args.push_back("--offline");
  auto again = testing::run_cli(args, env());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["added"], json({"smile", "outdoors", "sky"}));
  EXPECT_EQ(hub_.request_count(), requests);
}

TEST_F(KgenCli, DanTagGenWithALocalGgufPrintsOneLine) {
  auto r = testing::run_cli({"complete", "1girl, cat ears", "--model", "dantaggen-delta-rev2", "--model-file",
                             fixture().dtg.string(), "--tags-db", fixture().tags_db.string(), "--temperature", "0"},
                            env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1girl, cat ears, smile, outdoors, sky\n");
}

// prompt / generate --complete: the user's tags first, then the model's, before the prompt is built; the
// completion is given the style's rating and the chosen size's aspect.
TEST(PromptComplete, UserTagsFirstThenTheModelsForTheStylesRatingAndTheAspect) {
  PromptParams p;
  p.style = "animagine-xl-4.0";
  p.tags_db = fixture().tags_db.string();
  p.complete = fixture().tipo.string();
  p.complete_seed = 3;
  p.aspect = "832:1216";
  auto builder = PromptBuilder::open(p);
  ASSERT_TRUE(builder.ok()) << builder.status().message();
  auto r = (*builder)->build(p, "1girl, cat ears");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->completion_prompt, "rating: general\naspect_ratio: 0.7\ntarget: <|long|>\ntag: 1girl, cat ears");
  EXPECT_EQ(r->completed, (Tags{"smile", "outdoors", "sky"}));
  EXPECT_EQ(r->completion_seed, 3);
  EXPECT_EQ(r->tags, (Tags{"1girl", "cat_ears", "smile", "outdoors", "sky"}));
  EXPECT_EQ(r->positive, "1girl, safe, cat ears, smile, outdoors, sky, masterpiece, high score, great score, absurdres");
  EXPECT_EQ(r->size.width, 832);

  p.rating = "explicit";
  p.aspect = "16:9";
  r = (*builder)->build(p, "1girl, cat ears");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->completion_prompt.substr(0, 37), "rating: explicit\naspect_ratio: 1.8\nta");

  p.complete = "no-such-model";
  r = (*builder)->build(p, "1girl, cat ears");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("--complete: unknown completion model 'no-such-model'", 0), 0u) << r.status().message();
}

TEST(PromptComplete, PromptAndGenerateCliTakeComplete) {
  auto r = testing::run_cli({"prompt", "1girl, cat ears", "--style", "animagine-xl-4.0", "--tags-db",
                             fixture().tags_db.string(), "--complete", fixture().tipo.string(), "--complete-seed", "5",
                             "--json"},
                            {"TAGMETRY_THREADS=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["completed"], json({"smile", "outdoors", "sky"}));
  EXPECT_EQ(j["completion_seed"], 5);
  EXPECT_EQ(j["positive"], "1girl, safe, cat ears, smile, outdoors, sky, masterpiece, high score, great score, absurdres");

  testing::FakeA1111 server;
  testing::TempDir dir;
  auto g = testing::run_cli({"generate", "1girl, cat ears", "--backend", "a1111", "--url", server.url(), "--out",
                             (dir / "gen").string(), "--style", "animagine-xl-4.0", "--tags-db",
                             fixture().tags_db.string(), "--complete", fixture().dtg.string(), "--seed", "7", "--json"},
                            {"TAGMETRY_THREADS=1"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  json gj = json::parse(g.out);
  EXPECT_EQ(gj["prompt"]["positive"],
            "1girl, safe, cat ears, smile, outdoors, sky, masterpiece, high score, great score, absurdres");
  EXPECT_EQ(testing::read_all(dir / "gen" / "00001-7.txt"), "1girl, cat ears, smile, outdoors, sky\n");
}

#endif

// Sets an environment variable for one scope (the server reads TAGMETRY_COMPLETE_MODEL per request).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// What the Japanese page's "Complete with model" button uses: GET /api/complete says whether (and why
// not) the server can complete; POST /api/complete with the page's options.
TEST(KgenServer, SaysWhetherACompletionModelIsAvailableAndCompletes) {
  testing::TempDir tmp;
  fs::create_directories(tmp / "set");
  ServeParams sp;
  sp.rescan_seconds = 0;
  testing::RunningServer srv(tmp / "set", sp);
  int status = 0;
  {
    ScopedEnv cache("TAGMETRY_CACHE", (tmp / "cache").string());
    ScopedEnv hf("HF_HOME", (tmp / "hf").string());
    ScopedEnv hub("HF_HUB_CACHE", (tmp / "hf" / "hub").string());
    ScopedEnv model("TAGMETRY_COMPLETE_MODEL", "tipo-200m");
    json st = srv.get("/api/complete", &status);
    ASSERT_EQ(status, 200);
    EXPECT_EQ(st["model"], "tipo-200m");
#if TAGMETRY_HAVE_LLAMA
    EXPECT_EQ(st["available"], false);
    EXPECT_EQ(st["reason"],
              "tipo-200m is not downloaded yet: run `tagmetry complete \"1girl\" --model tipo-200m` once (or set "
              "TAGMETRY_COMPLETE_MODEL)");
#endif
  }
#if TAGMETRY_HAVE_LLAMA
  ScopedEnv model("TAGMETRY_COMPLETE_MODEL", fixture().tipo.string());
  json st = srv.get("/api/complete", &status);
  EXPECT_EQ(st, json({{"available", true}, {"model", fixture().tipo.string()}, {"reason", ""}}));
  json r = srv.post("/api/complete",
                    {{"tags", "1girl, cat ears"},
                     {"options",
                      {{"offline", true}, {"tags_db", fixture().tags_db.string()}, {"temperature", 0},
                       {"length", "very_short"}, {"threads", 1}}}},
                    &status);
  ASSERT_EQ(status, 200) << r.dump();
  EXPECT_EQ(r["input"], json({"1girl", "cat ears"}));
  EXPECT_EQ(r["added"], json({"smile", "outdoors", "sky"}));
#endif
}

}  // namespace
}  // namespace tagmetry
