// Kill-and-resume: `tagmetry tag` killed with SIGKILL at random moments leaves a sound database and
// only whole captions; running it again finishes the rest, equal to an uninterrupted run. Ctrl-C stops
// cleanly and says how to resume.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <chrono>
#include <random>
#include <thread>

#include "fixtures.h"
#include "tagmetry/store.h"
#include "test_support.h"

extern char** environ;

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::TempDir;

std::map<std::string, std::string> files_with(const fs::path& dir, const std::string& ext) {
  std::map<std::string, std::string> out;
  for (auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ext) out[e.path().filename().string()] = read_all(e.path());
  return out;
}

// Starts the CLI with stdout/stderr to files under `log`; returns the pid.
pid_t spawn_cli(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> argv{testing::cli_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, (log.string() + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, (log.string() + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, testing::cli_path(), &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  EXPECT_EQ(rc, 0);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void expect_database_sound(const fs::path& db) {
  if (!fs::exists(db)) return;  // killed before it was created
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
  sqlite3_finalize(st);
  sqlite3_close(h);
}

class Resume : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    images_ = new TempDir();
    auto r = testing::run_command(testing::python_path(), {testing::test_source_path("store/make_many_images.py").string(),
                                                    (images_->path() / "imgs").string(), "60", "11"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete images_;
    images_ = nullptr;
  }
  std::vector<std::string> args(const fs::path& dir) const {
    return {"tag", dir.string(), "--model-dir", (testing::known_answer_models() / "wd").string(), "--batch-size", "2",
            "--threads", "1"};
  }
  static TempDir* images_;
};
TempDir* Resume::images_ = nullptr;

TEST_F(Resume, SigkillAtRandomMomentsThenRerunEqualsUninterrupted) {
  TempDir work;
  fs::path ref = work / "ref";
  fs::copy(images_->path() / "imgs", ref);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = spawn_cli(args(ref), work / "ref");
  ASSERT_EQ(wait_exit(pid), 0) << read_all(work.path() / "ref.err");
  const auto full_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  const auto reference = files_with(ref, ".txt");
  ASSERT_EQ(reference.size(), 60u);

  std::mt19937 rng(20240601);
  int killed_mid_run = 0;
  for (int round = 0; round < 5; ++round) {
    fs::path dir = work / ("run" + std::to_string(round));
    fs::copy(images_->path() / "imgs", dir);
    // Two kills per round at random points of the run, then a run to completion.
    for (int kill_no = 0; kill_no < 2; ++kill_no) {
      std::uniform_int_distribution<long> when(0, std::max<long>(50, full_ms));
      long ms = when(rng);
      pid_t p = spawn_cli(args(dir), work / "kill");
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      ::kill(p, SIGKILL);
      int code = wait_exit(p);
      auto partial = files_with(dir, ".txt");
      if (code == 128 + SIGKILL && !partial.empty() && partial.size() < reference.size()) ++killed_mid_run;
      // No half-written caption: every caption present is exactly the reference one.
      for (auto& [name, text] : partial) EXPECT_EQ(text, reference.at(name)) << "round " << round << " " << name;
      expect_database_sound(default_store_path(dir));
    }
    pid_t p = spawn_cli(args(dir), work / "finish");
    ASSERT_EQ(wait_exit(p), 0) << read_all(work.path() / "finish.err");
    EXPECT_EQ(files_with(dir, ".txt"), reference) << "round " << round;
    // No stray temporary files either.
    for (auto& e : fs::directory_iterator(dir))
      EXPECT_EQ(e.path().filename().string().find(".tmp-tagmetry-"), std::string::npos) << e.path();
    expect_database_sound(default_store_path(dir));
    // Every image has its scores now: a forced retag is a no-op.
    auto r = testing::run_cli({"retag", dir.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"no_scores\": 0"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"written\": 0"), std::string::npos) << r.out;
  }
  // The random points must have hit the middle of a run at least once for the test to mean something.
  EXPECT_GT(killed_mid_run, 0) << "full run took " << full_ms << " ms";
}

TEST_F(Resume, CtrlCStopsCleanlyAndSaysHowToResume) {
  TempDir work;
  fs::path dir = work / "d";
  fs::copy(images_->path() / "imgs", dir);
  pid_t p = spawn_cli(args(dir), work / "int");
  // Wait until the first caption appears, then interrupt.
  for (int i = 0; i < 400 && files_with(dir, ".txt").empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // Freeze the run so the interrupt surely lands in the middle of it (no assertion may depend on timing).
  ::kill(p, SIGSTOP);
  const size_t at_interrupt = files_with(dir, ".txt").size();
  ::kill(p, SIGINT);
  ::kill(p, SIGCONT);
  int code = wait_exit(p);
  ASSERT_GT(at_interrupt, 0u);
  ASSERT_LT(at_interrupt, 60u) << "the whole run finished within one poll; the test cannot interrupt it";
  EXPECT_LT(files_with(dir, ".txt").size(), 60u);
  EXPECT_EQ(code, 1);
  std::string out = read_all(work.path() / "int.out");
  EXPECT_NE(out.find("interrupted: "), std::string::npos) << out;
  EXPECT_NE(out.find("Run the same command again to finish them"), std::string::npos) << out;
  pid_t again = spawn_cli(args(dir), work / "again");
  EXPECT_EQ(wait_exit(again), 0);
  EXPECT_EQ(files_with(dir, ".txt").size(), 60u);
}

}  // namespace
}  // namespace tagmetry
