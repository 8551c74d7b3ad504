// Every caption writer goes through the journal and the dataset lock: edit, policy apply and ja are
// undoable and listed, retag re-applies later edits on top of new scores, a second policy apply after a
// retag starts from the retagged captions, tag --append never mangles what it cannot read, and undo
// says what it did (or did not) do.
#include <gtest/gtest.h>
#include <sys/file.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;

using testing::read_all;
using testing::run_cli;
using testing::TempDir;
using testing::write_all;

const std::vector<std::string> kThree{"red_448x224.png", "grey.png", "blue_300x500.png"};
const std::vector<std::string> kStems{"red_448x224", "grey", "blue_300x500"};

fs::path wd_model() { return testing::known_answer_models() / "wd"; }

std::vector<std::string> tag_args(const fs::path& dir, std::vector<std::string> more = {}) {
  std::vector<std::string> a{"tag", dir.string(), "--model-dir", wd_model().string()};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

nlohmann::json json_of(const testing::CommandResult& r) {
  try {
    return nlohmann::json::parse(r.out);
  } catch (...) {
    ADD_FAILURE() << "not JSON: " << r.out << r.err;
    return {};
  }
}

std::string caption(const fs::path& dir, const std::string& stem) { return read_all(dir / (stem + ".txt")); }

// The captions a fresh `tag` run with `options` writes for kThree.
std::map<std::string, std::string> fresh_captions(const fs::path& where, std::vector<std::string> options) {
  fs::path d = where / "fresh";
  fs::remove_all(d);
  testing::copy_images(kThree, d);
  auto r = run_cli(tag_args(d, options));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> out;
  for (auto& s : kStems) out[s] = caption(d, s);
  return out;
}

std::vector<std::string> commands(const fs::path& dir) {
  auto ops = json_of(run_cli({"undo", dir.string(), "--list", "--json"}));
  std::vector<std::string> out;
  for (auto& op : ops) out.push_back(op["command"]);
  return out;
}

TEST(JournalWriters, RetagReappliesTheTriggerAddedByEditAndUndoRevertsTheEdit) {
  TempDir work;
  fs::path dir = work / "d";
  testing::copy_images(kThree, dir);
  ASSERT_EQ(run_cli(tag_args(dir)).exit_code, 0);
  std::map<std::string, std::string> tagged;
  for (auto& s : kStems) tagged[s] = caption(dir, s);

  ASSERT_EQ(run_cli({"edit", dir.string(), "add", "mytrigger"}).exit_code, 0);
  EXPECT_EQ(caption(dir, "grey"), "mytrigger, " + tagged["grey"]);
  // undo reverts the edit (it used to refuse: "changed by hand since").
  auto u = run_cli({"undo", dir.string()});
  ASSERT_EQ(u.exit_code, 0) << u.err;
  for (auto& s : kStems) EXPECT_EQ(caption(dir, s), tagged[s]) << s;
  EXPECT_EQ(commands(dir), (std::vector<std::string>{"undo", "edit", "tag"}));

  ASSERT_EQ(run_cli({"edit", dir.string(), "add", "mytrigger"}).exit_code, 0);
  auto r = run_cli({"retag", dir.string(), "--general-threshold", "0.65", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json_of(r);
  EXPECT_EQ(j["kept_edited"], 0);
  auto fresh = fresh_captions(work.path(), {"--general-threshold", "0.65"});
  size_t changed = 0;
  for (auto& s : kStems) {
    EXPECT_EQ(caption(dir, s), "mytrigger, " + fresh[s]) << s;
    changed += fresh[s] != tagged[s];
  }
  EXPECT_EQ(j["reapplied"], changed);
  EXPECT_GT(changed, 0u);  // the threshold changes something, or this test proves nothing
  auto text = run_cli({"retag", dir.string(), "--general-threshold", "0.35"});
  EXPECT_NE(text.out.find("re-applied on top"), std::string::npos) << text.out;
  EXPECT_EQ(caption(dir, "grey"), "mytrigger, " + tagged["grey"]);
}

TEST(JournalWriters, SecondPolicyApplyAfterRetagStartsFromTheRetaggedCaptions) {
  TempDir work;
  fs::path dir = work / "d";
  testing::copy_images(kThree, dir);
  ASSERT_EQ(run_cli(tag_args(dir)).exit_code, 0);
  const std::vector<std::string> apply{"policy", "apply", dir.string(), "--preset", "sd15", "--trigger", "trig",
                                       "--no-tags-db"};
  ASSERT_EQ(run_cli(apply).exit_code, 0);
  std::string applied = caption(dir, "red_448x224");

  // retag does not silently replace what the policy wrote; it says what to do.
  auto kept = run_cli({"retag", dir.string(), "--general-threshold", "0.75"});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_NE(kept.out.find("last written by `policy apply`"), std::string::npos) << kept.out;
  EXPECT_EQ(caption(dir, "red_448x224"), applied);

  ASSERT_EQ(run_cli({"retag", dir.string(), "--general-threshold", "0.75", "--overwrite"}).exit_code, 0);
  auto fresh = fresh_captions(work.path(), {"--general-threshold", "0.75"});
  EXPECT_EQ(caption(dir, "red_448x224"), fresh["red_448x224"]);
  auto again = run_cli(apply);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("changed since the policy last wrote them"), std::string::npos) << again.err;
  // The policy's caption is now the one it makes from the 0.75 tags: apply the same policy to a copy of them.
  fs::path copy = work / "copy";
  testing::copy_images(kThree, copy);
  for (auto& s : kStems) write_all(copy / (s + ".txt"), fresh[s]);
  ASSERT_EQ(run_cli({"policy", "apply", copy.string(), "--preset", "sd15", "--trigger", "trig", "--no-tags-db"}).exit_code, 0);
  for (auto& s : kStems) EXPECT_EQ(caption(dir, s), caption(copy, s)) << s;
  EXPECT_NE(caption(dir, "red_448x224"), applied);

  // policy apply is undoable: back to the retagged captions.
  EXPECT_EQ(commands(dir)[0], "policy");
  ASSERT_EQ(run_cli({"undo", dir.string()}).exit_code, 0);
  for (auto& s : kStems) EXPECT_EQ(caption(dir, s), fresh[s]) << s;
}

TEST(JournalWriters, SortByConfidenceReadsTheStoredScores) {
  TempDir work;
  fs::path dir = work / "d";
  testing::copy_images(kThree, dir);
  ASSERT_EQ(run_cli(tag_args(dir)).exit_code, 0);
  std::string tagged = caption(dir, "red_448x224");  // tag writes tags by score, highest first
  ASSERT_EQ(run_cli({"edit", dir.string(), "sort", "--by", "alpha", "--keep", "0"}).exit_code, 0);
  ASSERT_NE(caption(dir, "red_448x224"), tagged);
  auto r = run_cli({"edit", dir.string(), "sort", "--by", "confidence", "--keep", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(caption(dir, "red_448x224"), tagged);
}

TEST(JournalWriters, TagAppendKeepsBomCrlfAndSuffixAndSkipsShiftJis) {
  TempDir work;
  fs::path dir = work / "d";
  testing::copy_images(kThree, dir);
  // red gets hatsune_miku_(vocaloid) from the model: here it is already there in A1111 spelling.
  write_all(dir / "red_448x224.txt", "\xEF\xBB\xBF" "hatsune miku \\(vocaloid\\), mine\r\nA sentence.\r\n");
  const std::string sjis = "\x90\xc2\x94\xaf, 1girl";
  write_all(dir / "grey.txt", sjis);
  write_all(dir / "blue_300x500.txt", "fixed ||| flex ||| suffix");
  auto r = run_cli(tag_args(dir, {"--append"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("grey.txt is Shift-JIS, not UTF-8; left unchanged"), std::string::npos) << r.err;
  EXPECT_EQ(caption(dir, "grey"), sjis);
  std::string red = caption(dir, "red_448x224");
  EXPECT_TRUE(red.starts_with("\xEF\xBB\xBF" "hatsune miku \\(vocaloid\\), mine, ")) << red;
  EXPECT_TRUE(red.ends_with("\r\nA sentence.\r\n")) << red;
  EXPECT_EQ(red.find("hatsune_miku_(vocaloid)"), std::string::npos) << red;
  std::string blue = caption(dir, "blue_300x500");
  EXPECT_TRUE(blue.starts_with("fixed ||| flex, ")) << blue;
  EXPECT_TRUE(blue.ends_with(" ||| suffix")) << blue;
}

TEST(JournalWriters, UndoSummarisesRefusalsAndSkipChangedWithEverythingChangedRevertsNothing) {
  TempDir work;
  fs::path dir = work / "d";
  const std::vector<std::string> seven{"red_448x224.png", "blue_300x500.png", "grey.png", "transparent.png",
                                       "rotated.jpg", "small_red_224x112.png", "photo_2000x1500.jpg"};
  testing::copy_images(seven, dir);
  ASSERT_EQ(run_cli(tag_args(dir)).exit_code, 0);
  for (auto& name : seven) write_all(dir / (fs::path(name).stem().string() + ".txt"), "by hand");
  auto refused = run_cli({"undo", dir.string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 7) << refused.err;  // 5 files, "… and 2 more", summary
  EXPECT_NE(refused.err.find("… and 2 more"), std::string::npos) << refused.err;
  auto skip = run_cli({"undo", dir.string(), "--skip-changed"});
  EXPECT_EQ(skip.exit_code, 0) << skip.err;
  EXPECT_NE(skip.out.find("nothing reverted"), std::string::npos) << skip.out;
  auto ops = json_of(run_cli({"undo", dir.string(), "--list", "--json"}));
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0]["command"], "tag");
  EXPECT_TRUE(ops[0]["undone_by"].is_null());
  for (auto& name : seven) EXPECT_EQ(read_all(dir / (fs::path(name).stem().string() + ".txt")), "by hand");
}

TEST(JournalWriters, JaIsJournaledAndEveryWriterHonoursTheLock) {
  TempDir work;
  fs::path dir = work / "d";
  write_all(dir / "a.png", "png");
  write_all(dir / "a.txt", "1girl, smile");
  auto ja = run_cli({"ja", dir.string()});
  ASSERT_EQ(ja.exit_code, 0) << ja.err;
  ASSERT_TRUE(fs::exists(dir / "a_jp.txt"));
  EXPECT_EQ(commands(dir), (std::vector<std::string>{"ja"}));
  ASSERT_EQ(run_cli({"undo", dir.string()}).exit_code, 0);
  EXPECT_FALSE(fs::exists(dir / "a_jp.txt"));

  int fd = ::open((dir / ".tagmetry/tagmetry.db.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto busy_ja = run_cli({"ja", dir.string()});
  auto busy_policy = run_cli({"policy", "apply", dir.string(), "--preset", "sd15", "--trigger", "t", "--no-tags-db"});
  auto busy_undo = run_cli({"undo", dir.string()});
  auto list = run_cli({"undo", dir.string(), "--list", "--json"});
  ::close(fd);
  for (auto* r : {&busy_ja, &busy_policy, &busy_undo}) {
    EXPECT_EQ(r->exit_code, 2);
    EXPECT_NE(r->err.find("in use by another tagmetry run"), std::string::npos) << r->err;
  }
  EXPECT_FALSE(fs::exists(dir / "a_jp.txt"));
  EXPECT_EQ(read_all(dir / "a.txt"), "1girl, smile");
  EXPECT_EQ(list.exit_code, 0) << list.err;  // a reader needs no lock
  EXPECT_EQ(json_of(list).size(), 2u);
}

TEST(JournalWriters, CaptionLinksOutOfTheDatasetAreNeverFollowed) {
  TempDir work;
  fs::path dir = work / "d";
  testing::copy_images({"red_448x224.png", "grey.png"}, dir);
  write_all(work / "outside.txt", "outside text");
  fs::create_symlink(work / "outside.txt", dir / "red_448x224.txt");
  for (auto& args : std::vector<std::vector<std::string>>{tag_args(dir, {"--overwrite"}), tag_args(dir, {"--append"}),
                                                          {"retag", dir.string(), "--overwrite"},
                                                          {"edit", dir.string(), "add", "trig"},
                                                          {"policy", "apply", dir.string(), "--preset", "sd15",
                                                           "--trigger", "t", "--no-tags-db"},
                                                          {"ja", dir.string()}}) {
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("outside the dataset"), std::string::npos) << args[0] << ": " << r.err;
    EXPECT_EQ(read_all(work / "outside.txt"), "outside text") << args[0];
    EXPECT_TRUE(fs::is_symlink(dir / "red_448x224.txt")) << args[0];
  }
  EXPECT_FALSE(fs::exists(work / "outside_jp.txt"));
  EXPECT_TRUE(fs::exists(dir / "grey_jp.txt"));  // the rest was processed
}

}  // namespace
}  // namespace tagmetry
