// `tagmetry prompt` through the real binary: --json exactly as issue #14 shows it, text output, errors.
#include <gtest/gtest.h>

#include "test_support.h"

namespace tagmetry {
namespace {

using testing::run_cli;

TEST(PromptCli, JsonHasTheIssuesKeysInOrder) {
  auto r = run_cli({"prompt", "1girl, hatsune_miku, smile", "--style", "animagine-xl-4.0", "--trigger", "mychar",
                    "--lora", "mychar:0.8", "--lora", "detail:0.5", "--aspect", "1:1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"positive\":\"mychar, 1girl, hatsune miku, safe, smile, masterpiece, high score, great score, "
            "absurdres, <lora:mychar:0.8>, <lora:detail:0.5>\",\"negative\":\"lowres, bad anatomy, bad hands, text, "
            "error, missing finger, extra digits, fewer digits, cropped, worst quality, low quality, low score, bad "
            "score, average score, signature, watermark, username, blurry\",\"width\":1024,\"height\":1024,"
            "\"sampler\":\"Euler a\",\"steps\":28,\"cfg\":5.0,\"tags\":[\"mychar\",\"1girl\",\"hatsune_miku\","
            "\"smile\"],\"unmatched\":[]}\n");
}

TEST(PromptCli, TextOutputIsA1111Style) {
  auto r = run_cli({"prompt", "1girl, smile", "--style", "none", "--steps", "12"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "1girl, smile\nSteps: 12, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Size: 1024x1024\n");
}

TEST(PromptCli, UnknownStyleIsAUsageError) {
  auto r = run_cli({"prompt", "1girl", "--style", "animagine"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown prompt style 'animagine' (styles: animagine-xl-3.1,"), std::string::npos) << r.err;
}

TEST(PromptCli, StyleFromAFile) {
  testing::TempDir dir;
  testing::write_all(dir / "mine.toml",
                     "[prompt]\norder = [\"quality\", \"trigger\", \"people\", \"character\", \"copyright\", "
                     "\"artist\", \"rating\", \"general\", \"meta\"]\nquality = [\"best quality\"]\n"
                     "[generation]\nsteps = 9\n");
  auto r = run_cli({"prompt", "smile, 1girl", "--style", (dir / "mine.toml").string(), "--trigger", "me", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"positive\":\"best quality, me, 1girl, smile\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"steps\":9,"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tagmetry

namespace tagmetry {
namespace {

// --lora takes one value per occurrence: the text after it stays the request.
TEST(PromptCli, LoraDoesNotSwallowTheText) {
  auto r = testing::run_cli({"prompt", "--lora", "a:0.5", "1girl", "--lora", "b", "--style", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "1girl, <lora:a:0.5>, <lora:b:1>");
}

}  // namespace
}  // namespace tagmetry
