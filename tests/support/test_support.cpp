#include "test_support.h"

#include "read_only_run.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

extern char** environ;

namespace tagmetry::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          ("tagmetry-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  // Make everything writable again (tests chmod folders read-only) before removing.
  for (auto it = fs::recursive_directory_iterator(path_, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(path_, ec);
}

namespace {
std::string drain(int fd) {
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}
}  // namespace

CommandResult run_command(const std::string& program, const std::vector<std::string>& args,
                          const std::vector<std::string>& env) {
  int out_pipe[2], err_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);

  std::vector<std::string> argv_store{program};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    bool overridden = false;
    for (auto& add : env) {
      auto eq = add.find('=');
      if (entry.compare(0, eq + 1, add, 0, eq + 1) == 0) overridden = true;
    }
    if (!overridden) env_store.push_back(entry);
  }
  env_store.insert(env_store.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid;
  int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  CommandResult result;
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    result.err = "spawn failed: " + std::string(std::strerror(rc));
    return result;
  }
  std::string err_text;
  std::thread err_reader([&] { err_text = drain(err_pipe[0]); });
  result.out = drain(out_pipe[0]);
  err_reader.join();
  result.err = std::move(err_text);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

CommandResult run_cli(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  return run_command(TAGMETRY_CLI, args, env);
}

namespace {
// The first of /usr/bin/NAME, /bin/NAME, /usr/sbin/NAME that exists ("" if none).
std::string system_tool(const std::string& name) {
  for (const char* dir : {"/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/"})
    if (::access((dir + name).c_str(), X_OK) == 0) return dir + name;
  return "";
}
}  // namespace

std::optional<ReadOnlyRun> run_cli_read_only(const fs::path& folder, const std::vector<std::string>& args,
                                             std::string* why_not) {
  if (::geteuid() != 0) {
    const fs::perms before = fs::status(folder).permissions();
    fs::permissions(folder, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    ReadOnlyRun run{run_cli(args), "Permission denied"};
    fs::permissions(folder, before);
    return run;
  }
  const std::string sh = system_tool("sh");
  // Root: a read-only bind mount of the folder, seen only by this command (unshare makes mounts private).
  const std::string unshare = system_tool("unshare");
  const std::string mount_ro = "mount --bind \"$1\" \"$1\" && mount -o remount,ro,bind \"$1\" \"$1\"";
  if (!unshare.empty() &&
      run_command(unshare, {"-m", sh, "-c", mount_ro + " && ! touch \"$1/.probe\" 2>/dev/null", "sh",
                            folder.string()}).exit_code == 0) {
    std::vector<std::string> argv{"-m", sh, "-c", mount_ro + " && shift && exec \"$@\"", "sh", folder.string(),
                                  cli_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return ReadOnlyRun{run_command(unshare, argv), "Read-only file system"};
  }
  // Root without mount rights: run the CLI as nobody, for whom the root-owned folder is not writable.
  const std::string setpriv = system_tool("setpriv");
  const std::vector<std::string> nobody{"--reuid=65534", "--regid=65534", "--clear-groups"};
  auto as_nobody = [&](std::vector<std::string> command) {
    std::vector<std::string> argv = nobody;
    argv.insert(argv.end(), command.begin(), command.end());
    return run_command(setpriv, argv);
  };
  // The probe: the folder is not writable for nobody, yet it, the CLI and every path argument are usable.
  std::vector<std::string> probe{sh, "-c",
                                 "! touch \"$1/.probe\" 2>/dev/null && shift && for p; do test -r \"$p\" || exit 1; done",
                                 "sh", folder.string(), folder.string(), cli_path()};
  for (const auto& a : args) {
    std::error_code ec;
    if (fs::exists(a, ec)) probe.push_back(a);
  }
  if (!setpriv.empty() && as_nobody(probe).exit_code == 0) {
    std::vector<std::string> command{cli_path()};
    command.insert(command.end(), args.begin(), args.end());
    return ReadOnlyRun{as_nobody(command), "Permission denied"};
  }
  *why_not = "running as root, and neither `unshare -m` (needs CAP_SYS_ADMIN) nor `setpriv` to user 65534 can "
             "make " + folder.string() + " read-only here";
  return std::nullopt;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    // A missing file is a failure, not "": an assertion on its content must not pass by accident.
    ADD_FAILURE() << "read_all: cannot open " << path.string();
    return {};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string run_without_root(const std::function<std::string()>& fn) {
  int fds[2];
  if (::pipe(fds) != 0) {
    ADD_FAILURE() << "pipe failed";
    return {};
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork failed";
    return {};
  }
  if (pid == 0) {
    ::close(fds[0]);
    if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)) _exit(3);
    std::string out = fn();
    const char* p = out.data();
    size_t left = out.size();
    while (left > 0) {
      ssize_t n = ::write(fds[1], p, left);
      if (n <= 0) _exit(4);
      p += n;
      left -= static_cast<size_t>(n);
    }
    _exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    ADD_FAILURE() << "the unprivileged child failed (status " << status << ")";
  return out;
}

void write_all(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
}

const char* cli_path() { return TAGMETRY_CLI; }
const char* python_path() { return TAGMETRY_PYTHON; }

fs::path test_source_path(const std::string& relative) { return fs::path(TAGMETRY_TEST_SOURCE_DIR) / relative; }

int run_python_fixture(const std::string& script, const std::vector<std::string>& args) {
  std::vector<std::string> full{test_source_path("fixtures/" + script).string()};
  full.insert(full.end(), args.begin(), args.end());
  CommandResult r = run_command(TAGMETRY_PYTHON, full);
  if (r.exit_code != 0) ADD_FAILURE() << "fixture " << script << " failed (" << r.exit_code << "): " << r.err;
  return r.exit_code;
}

}  // namespace tagmetry::testing
