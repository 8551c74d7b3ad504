// Exit codes and error messages shared by every command: "tagmetry: " on each error (CLI11's too), exit 2
// for a run that stops, and with --json a JSON error object on stdout that scripts can read.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../stats/png_fixture.h"
#include "tagmetry/store.h"
#include "read_only_run.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::run_cli;
using testing::run_command;
using testing::TempDir;
using testing::write_all;

// Every command that reads a folder (or file) given on the command line, with `missing` in its place.
std::vector<std::vector<std::string>> commands_reading(const std::string& missing, const std::string& out) {
  return {
      {"prepare", missing, out},
      {"tag", missing},
      {"retag", missing},
      {"merge", out + ".db", missing},
      {"undo", missing},
      {"undo", missing, "--list"},
      {"edit", missing, "add", "x"},
      {"policy", "apply", missing, "--preset", "default"},
      {"ja", missing},
      {"ja2tags", "--complete", "2", "--corpus", missing, "girl"},
      {"stats", missing},
      {"lint", missing},
      {"simulate", missing},
      {"export", "kohya", missing, out, "--trigger", "sks"},
      {"serve", missing},
      {"quantize", missing, out + ".onnx"},
      {"compare", missing, missing},
      {"models", "info", missing},
  };
}

std::string joined(const std::vector<std::string>& args) {
  std::string s;
  for (auto& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

TEST(ExitCodes, EveryCommandGivenAMissingFolderWithJsonPrintsAJsonErrorAndExits2) {
  TempDir tmp;
  const std::string missing = (tmp / "no-such-dataset").string();
  for (auto args : commands_reading(missing, (tmp / "out").string())) {
    args.push_back("--json");
    SCOPED_TRACE(joined(args));
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    nlohmann::json j;
    ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << "stdout: " << r.out;
    ASSERT_TRUE(j.contains("error")) << r.out;
    const std::string message = j["error"]["message"];
    EXPECT_NE(message.find(missing), std::string::npos) << message;
    EXPECT_FALSE(j["error"]["code"].get<std::string>().empty());
    // The same message on stderr, with the prefix.
    EXPECT_NE(r.err.find("tagmetry: " + message + "\n"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(missing));
  }
}

TEST(ExitCodes, WithoutJsonStdoutStaysEmptyAndTheMessageSaysNoSuchFolder) {
  TempDir tmp;
  const std::string missing = (tmp / "gone").string();
  for (auto args : {std::vector<std::string>{"tag", missing}, {"simulate", missing}, {"lint", missing},
                    {"prepare", missing, (tmp / "out").string()}, {"undo", missing}, {"serve", missing}}) {
    SCOPED_TRACE(joined(args));
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "tagmetry: " + missing + ": no such folder\n");
  }
  write_all(tmp / "file", "x");
  auto file = run_cli({"simulate", (tmp / "file").string()});
  EXPECT_EQ(file.err, "tagmetry: " + (tmp / "file").string() + ": not a folder\n");
  auto merge = run_cli({"merge", (tmp / "out.db").string(), missing + ".db"});
  EXPECT_EQ(merge.err, "tagmetry: " + missing + ".db: no such file\n");
}

TEST(ExitCodes, UnknownCommandsAreNamedWithASuggestion) {
  auto r = run_cli({"nosuchcommand"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("tagmetry: unknown command 'nosuchcommand' (commands: prepare, tag, retag, ", 0), 0u) << r.err;
  r = run_cli({"tga", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tagmetry: unknown command 'tga'; did you mean 'tag'?\n");
  TempDir tmp;
  r = run_cli({"edit", tmp.path().string(), "frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tagmetry: unknown command 'frobnicate' for tagmetry edit (commands: add, remove, replace, "
                   "move-first, dedupe, sort, to-utf8)\n");
  r = run_cli({"edit", tmp.path().string(), "remve", "x"});
  EXPECT_EQ(r.err, "tagmetry: unknown command 'remve' for tagmetry edit; did you mean 'remove'?\n");
  r = run_cli({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tagmetry: give a command (tagmetry --help lists them)\n");
  r = run_cli({"quantize", "in.onnx", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tagmetry: output is required (tagmetry quantize --help for usage)\n");
  EXPECT_EQ(nlohmann::json::parse(r.out)["error"]["code"], "invalid_argument");
}

TEST(ExitCodes, TagModelAndModelDirAreExclusiveAndHelpQuotesTheSeparator) {
  TempDir tmp;
  auto r = run_cli({"tag", tmp.path().string(), "--model", "wd-vit-v3", "--model-dir", tmp.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tagmetry: --model and --model-dir cannot be used together\n");
  EXPECT_TRUE(fs::is_empty(tmp.path()));
  auto help = run_cli({"tag", "--help"});
  EXPECT_NE(help.out.find("--caption-separator TEXT=\", \""), std::string::npos) << help.out;
}

TEST(ExitCodes, AJsonReportIsNotFollowedByAnErrorObject) {
  // models pull prints its per-model results (with the error) itself; nothing is added after them.
  auto r = run_cli({"models", "pull", "no-such-model", "--json", "--offline"});
  EXPECT_EQ(r.exit_code, 2);
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
  EXPECT_FALSE(j.contains("error"));
  EXPECT_EQ(j["models"][0]["name"], "no-such-model");
}

TEST(ExitCodes, ExportWithWarningsSucceeds) {
  TempDir tmp;
  fs::create_directories(tmp / "ds");
  testing::write_png(tmp / "ds" / "a.png", 16, 16, 100);
  write_all(tmp / "ds" / "a.txt", "sks, 1girl, smile");
  testing::write_png(tmp / "ds" / "b.png", 16, 16, 200);  // no caption: exported, with a warning
  auto r = run_cli({"export", "kohya", (tmp / "ds").string(), (tmp / "out").string(), "--trigger", "sks", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["warnings"].size(), 1u) << r.out;
  EXPECT_TRUE(fs::exists(tmp / "out" / "dataset_config.toml"));
}

TEST(ExitCodes, MergeIntoABareFileNameWritesItInTheCurrentFolder) {
  TempDir tmp;
  ASSERT_TRUE(Store::open(tmp / "a.db", /*create=*/true).ok());
  const std::string sh = fs::exists("/bin/sh") ? "/bin/sh" : "/usr/bin/sh";
  auto r = run_command(sh, {"-c", "cd \"$1\" && exec \"$2\" merge merged.db a.db", "sh", tmp.path().string(),
                            testing::cli_path()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "merged 1 of 1 databases into merged.db: 0 images, 0 score rows\n");
  EXPECT_TRUE(Store::open(tmp / "merged.db", /*create=*/false).ok());
}

TEST(ExitCodes, ReadOnlyOutputFoldersStopPrepareAndPolicyNamesTheCause) {
  TempDir tmp;
  fs::create_directories(tmp / "raw");
  testing::write_png(tmp / "raw" / "a.png", 16, 16, 100);
  fs::create_directories(tmp / "ro" / "ds");
  testing::write_png(tmp / "ro" / "ds" / "a.png", 16, 16, 100);
  write_all(tmp / "ro" / "ds" / "a.txt", "1girl, smile");
  std::string why;
  auto prep = testing::run_cli_read_only(tmp / "ro", {"prepare", (tmp / "raw").string(), (tmp / "ro" / "out").string()}, &why);
  if (!prep) GTEST_SKIP() << why;
  EXPECT_EQ(prep->result.exit_code, 2) << prep->result.err;  // an up-front problem: nothing was written
  EXPECT_NE(prep->result.err.find("(" + prep->reason + ")"), std::string::npos) << prep->result.err;
  EXPECT_FALSE(fs::exists(tmp / "ro" / "out"));

  auto policy = testing::run_cli_read_only(
      tmp / "ro", {"policy", "apply", (tmp / "ro" / "ds").string(), "--preset", "default", "--trigger", "sks", "--no-tags-db"},
      &why);
  ASSERT_TRUE(policy);
  // policy takes the dataset lock before anything else: the lock's folder cannot be made, and why.
  EXPECT_NE(policy->result.err.find(".tagmetry: cannot create folder"), std::string::npos) << policy->result.err;
  EXPECT_NE(policy->result.err.find("(" + policy->reason + ")"), std::string::npos) << policy->result.err;
  EXPECT_EQ(policy->result.err.find("No such file or directory"), std::string::npos) << policy->result.err;
  EXPECT_EQ(testing::read_all(tmp / "ro" / "ds" / "a.txt"), "1girl, smile");
}

}  // namespace
}  // namespace tagmetry
