// `tagmetry generate` through the real binary against the stand-in A1111 server.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_generators.h"
#include "test_support.h"

namespace tagmetry {
namespace {

using testing::run_cli;

TEST(GenerateCli, JsonReportAndFiles) {
  testing::FakeA1111 server;
  server.basic_auth = "me:secret";
  testing::TempDir dir;
  auto r =
      run_cli({"generate", "1girl, smile", "--backend", "a1111", "--url", server.url(), "--out", (dir / "gen").string(),
               "--style", "animagine-xl-4.0", "--lora", "mychar:0.8", "--seed", "7", "--count", "2", "--json"},
              {"TAGMETRY_GENERATOR_AUTH=me:secret"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["images"].size(), 2u);
  EXPECT_EQ(j["images"][1]["file"], (dir / "gen" / "00002-8.png").string());
  EXPECT_EQ(j["images"][1]["seed"], 8);
  EXPECT_EQ(j["prompt"]["positive"],
            "1girl, safe, smile, masterpiece, high score, great score, absurdres, <lora:mychar:0.8>");
  EXPECT_EQ(j["interrupted"], false);
  EXPECT_EQ(r.out.find("secret"), std::string::npos);
  EXPECT_EQ(testing::read_all(dir / "gen" / "00001-7.txt"), "1girl, smile\n");
}

TEST(GenerateCli, CheckSaysWhatIsWrong) {
  testing::FakeA1111 server;
  auto r =
      run_cli({"generate", "--check", "--url", server.url(), "--checkpoint", "animagine-xl-3.1", "--lora", "mychar"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("loras (2): mychar, detail\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("unknown checkpoint 'animagine-xl-3.1' (closest: animagine-xl-4.0-opt.safetensors [6327eca98b]"),
            std::string::npos)
      << r.err;
}

TEST(GenerateCli, UnreachableServerIsAUsageErrorNamingTheUrl) {
  testing::TempDir dir;
  auto r = run_cli({"generate", "1girl", "--url", "http://127.0.0.1:9", "--out", dir.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("http://127.0.0.1:9 is not reachable ("), std::string::npos) << r.err;
  auto missing = run_cli({"generate", "1girl"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--url is required"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace tagmetry
