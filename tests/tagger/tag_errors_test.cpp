// `tagmetry tag` refusing to start: another run holds the dataset, a read-only dataset; and what --mcut
// reports. Each refusal exits 2 before the model runs and leaves the folder as it was.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/store.h"
#include "read_only_run.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::known_answer_models;
using testing::read_all;
using testing::run_cli;
using testing::TempDir;
using testing::write_all;

std::vector<std::string> tag_args(const fs::path& dir, std::initializer_list<std::string> more = {}) {
  std::vector<std::string> a{"tag", dir.string(), "--model-dir", (known_answer_models() / "wd").string()};
  a.insert(a.end(), more);
  return a;
}

TEST(TagErrors, ASecondRunOnTheSameDatasetExits2AndWritesNothing) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  auto held = DatasetLock::acquire(default_store_path(d.path()));  // as a running `tag` holds it
  ASSERT_TRUE(held.ok()) << held.status().message();
  auto r = run_cli(tag_args(d.path(), {"--json"}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("in use by another tagmetry run"), std::string::npos) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["error"]["code"], "busy") << r.out;  // decided by the error code
  EXPECT_FALSE(fs::exists(d / "red_448x224.txt"));
}

TEST(TagErrors, McutReportsTheThresholdsItUsed) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  auto fixed = nlohmann::json::parse(run_cli(tag_args(d.path(), {"--json", "--db", (d / "fixed.db").string()})).out);
  EXPECT_EQ(fixed["mcut"], false);
  EXPECT_EQ(fixed["thresholds"]["general"], 0.35);
  fs::remove(d / "red_448x224.txt");
  auto r = run_cli(tag_args(d.path(), {"--json", "--mcut"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["mcut"], true);
  const auto& general = j["thresholds"]["general"];
  ASSERT_TRUE(general["min"].is_number()) << r.out;
  EXPECT_EQ(general["min"], general["max"]);  // one image, one MCut threshold
  EXPECT_NE(general["min"].get<double>(), 0.35);
  EXPECT_GE(j["thresholds"]["character"]["min"].get<double>(), 0.15);
  // retag --mcut derives the same thresholds from the stored scores.
  auto again = nlohmann::json::parse(run_cli({"retag", d.path().string(), "--mcut", "--json", "--dry-run"}).out);
  EXPECT_EQ(again["mcut"], true);
  EXPECT_EQ(again["thresholds"], j["thresholds"]);
}

TEST(TagErrors, ReadOnlyDatasetIsRefusedBeforeTheModelRuns) {
  TempDir d;
  fs::create_directories(d / "ds");
  testing::copy_images({"red_448x224.png"}, d / "ds");
  std::string why;
  // Captions to write: refused whatever --db says, and the database is not even created.
  auto r = testing::run_cli_read_only(d / "ds", tag_args(d / "ds", {"--db", (d / "x.db").string()}), &why);
  if (!r) GTEST_SKIP() << why;
  EXPECT_EQ(r->result.exit_code, 2) << r->result.err;
  EXPECT_EQ(r->result.err, "tagmetry: " + (d / "ds").string() + " is " +
                               (r->reason == "Read-only file system" ? "read-only" : "not writable") + " (" +
                               r->reason + "); tag writes the captions beside the images\n");
  EXPECT_FALSE(fs::exists(d / "x.db"));
  // Every image captioned already: only the database needs a place, and --db gives it one.
  write_all(d / "ds" / "red_448x224.txt", "mine");
  r = testing::run_cli_read_only(d / "ds", tag_args(d / "ds"), &why);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result.exit_code, 2);
  EXPECT_NE(r->result.err.find("(" + r->reason + "); use --db PATH to keep the database elsewhere"), std::string::npos)
      << r->result.err;
  EXPECT_FALSE(fs::exists(d / "ds" / ".tagmetry"));
  r = testing::run_cli_read_only(d / "ds", tag_args(d / "ds", {"--db", (d / "x.db").string()}), &why);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result.exit_code, 0) << r->result.err;
  EXPECT_EQ(read_all(d / "ds" / "red_448x224.txt"), "mine");
}

}  // namespace
}  // namespace tagmetry
