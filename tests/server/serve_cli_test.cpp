// `tagmetry serve` as a user starts it: prints the URL, answers, stops cleanly on SIGTERM / Ctrl-C;
// warns when bound to a non-loopback address; a missing folder is a usage error.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <thread>

#include "test_support.h"

namespace tagmetry::testing {
namespace {
namespace fs = std::filesystem;

struct Child {
  pid_t pid = -1;
  fs::path out, err;
};

Child spawn_serve(const std::vector<std::string>& args, const fs::path& logs) {
  Child c;
  c.out = logs / "out.txt";
  c.err = logs / "err.txt";
  c.pid = fork();
  if (c.pid == 0) {
    freopen(c.out.c_str(), "w", stdout);
    freopen(c.err.c_str(), "w", stderr);
    std::vector<char*> argv;
    std::string bin = testing::cli_path();
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return c;
}

int wait_exit(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 200; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

int wait_for_port(const fs::path& out) {
  std::regex re(R"(http://127\.0\.0\.1:(\d+)/)");
  for (int i = 0; i < 300; ++i) {
    std::smatch m;
    std::error_code ec;
    std::string text = fs::exists(out, ec) ? read_all(out) : std::string();  // the child may not have opened it yet
    if (std::regex_search(text, m, re)) return std::stoi(m[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

TEST(ServeCli, ServesAndStopsCleanlyOnSignals) {
  TempDir tmp;
  fs::create_directories(tmp / "set");
  write_all(tmp / "set" / "a.txt", "1girl");
  write_all(tmp / "set" / "a.png", "not really a png");
  for (int sig : {SIGTERM, SIGINT}) {
    fs::path logs = tmp / ("logs" + std::to_string(sig));
    fs::create_directories(logs);
    Child c = spawn_serve({"serve", (tmp / "set").string(), "--port", "0", "--web-root", (tmp / "none").string()}, logs);
    int port = wait_for_port(c.out);
    ASSERT_GT(port, 0) << read_all(c.out) << read_all(c.err);
    httplib::Client client("127.0.0.1", port);
    auto r = client.Get("/api/images");
    ASSERT_TRUE(r);
    EXPECT_NE(r->body.find("\"a.png\""), std::string::npos);
    auto page = client.Get("/");
    ASSERT_TRUE(page);
    EXPECT_NE(page->body.find("web front end was not found"), std::string::npos);
    kill(c.pid, sig);
    EXPECT_EQ(wait_exit(c.pid), 0) << read_all(c.err);
    EXPECT_NE(read_all(c.out).find("Stopped."), std::string::npos);
    EXPECT_NE(read_all(c.err).find("front end was not found"), std::string::npos);
  }
}

TEST(ServeCli, WarnsForNonLoopbackAddressesAndRejectsMissingFolders) {
  TempDir tmp;
  fs::create_directories(tmp / "set");
  Child c = spawn_serve({"serve", (tmp / "set").string(), "--port", "0", "--host", "0.0.0.0"}, tmp.path());
  ASSERT_GT(wait_for_port(c.out), 0) << read_all(c.err);
  kill(c.pid, SIGTERM);
  EXPECT_EQ(wait_exit(c.pid), 0);
  EXPECT_NE(read_all(c.err).find("warning: listening on 0.0.0.0"), std::string::npos) << read_all(c.err);

  auto missing = run_cli({"serve", (tmp / "nope").string()});
  EXPECT_EQ(missing.exit_code, 2);
}

TEST(ServeCli, TakesTheAccessTokenFromTheEnvironment) {
  TempDir tmp;
  fs::create_directories(tmp / "set");
  setenv("TAGMETRY_TOKEN", "from-the-environment", 1);
  Child c = spawn_serve({"serve", (tmp / "set").string(), "--port", "0", "--host", "0.0.0.0"}, tmp.path());
  unsetenv("TAGMETRY_TOKEN");
  int port = wait_for_port(c.out);
  ASSERT_GT(port, 0) << read_all(c.err);
  httplib::Client client("127.0.0.1", port);
  auto none = client.Get("/api/session");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  auto with = client.Get("/api/session", {{"Authorization", "Bearer from-the-environment"}});
  ASSERT_TRUE(with);
  EXPECT_EQ(with->status, 200);
  kill(c.pid, SIGTERM);
  EXPECT_EQ(wait_exit(c.pid), 0);
  // With a token, listening on 0.0.0.0 is what the user asked for: no warning.
  EXPECT_EQ(read_all(c.err).find("warning: listening on"), std::string::npos) << read_all(c.err);

  auto bad = run_cli({"serve", (tmp / "set").string(), "--port", "0", "--token", "a b"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--token / TAGMETRY_TOKEN: use 8 to 256 letters"), std::string::npos) << bad.err;
}

TEST(ServeCli, ABadGeneratorStopsTheStartWithWhatIsWrong) {
  TempDir tmp;
  fs::create_directories(tmp / "set");
  auto kind = run_cli({"serve", (tmp / "set").string(), "--port", "0", "--generator", "sdnext=http://127.0.0.1:1"});
  EXPECT_EQ(kind.exit_code, 2);
  EXPECT_NE(kind.err.find("--generator: --backend 'sdnext': expected a1111, comfyui or runpod"), std::string::npos)
      << kind.err;
  auto runpod = run_cli({"serve", (tmp / "set").string(), "--port", "0", "--generator", "http://127.0.0.1:1",
                         "--backend", "runpod"},
                        {"RUNPOD_API_KEY="});
  EXPECT_EQ(runpod.exit_code, 2);
  EXPECT_NE(runpod.err.find("--generator: --backend runpod needs the API key in RUNPOD_API_KEY"), std::string::npos)
      << runpod.err;
}

}  // namespace
}  // namespace tagmetry::testing
