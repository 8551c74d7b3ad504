#pragma once
// Helpers shared by the test suites: temporary folders, running the real CLI binary, file I/O.

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry::testing {

// A fresh folder under the system temp dir, removed (recursively) when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `program` with `args` (no shell), capturing stdout and stderr. `env` entries are "NAME=value"
// added to the current environment.
CommandResult run_command(const std::string& program, const std::vector<std::string>& args,
                          const std::vector<std::string>& env = {});

// The tagmetry CLI built by this tree, and the Python that has the onnx module ("" when none was found).
// These paths live in test_support.cpp alone, so test objects do not depend on the checkout's location.
const char* cli_path();
const char* python_path();

// Runs the tagmetry CLI built by this tree.
CommandResult run_cli(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

// The bytes of a file; fails the current test (ADD_FAILURE) when it cannot be opened.
std::string read_all(const std::filesystem::path& path);
void write_all(const std::filesystem::path& path, const std::string& content);

// Runs `fn` in a forked child process that cannot write to folders whose mode denies writing, even when
// the tests run as root (as CI does): a root child first drops to the user and group nobody (65534).
// Make the folders under test mode 0555 (and their parents searchable) before calling. Returns what `fn`
// returned; fails the current test when the child could not run it.
std::string run_without_root(const std::function<std::string()>& fn);

// Path of a fixture source file (tests/<relative>).
std::filesystem::path test_source_path(const std::string& relative);

// Runs a Python fixture script (tests/fixtures/<script>) with the Python that has the onnx module.
// Fails the current test (ADD_FAILURE) when the script fails; returns its exit code.
int run_python_fixture(const std::string& script, const std::vector<std::string>& args);

// The value of a Result that the test expects to be ok (the test fails with its message otherwise).
template <class T>
T take(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().message();
  return std::move(r).value();
}

}  // namespace tagmetry::testing
