#pragma once
// How a subcommand plugs into the CLI: each cmd_*.cpp registers itself with TAGMETRY_COMMAND; main.cpp
// builds the CLI::App from the registry. A command's setup() declares its flags and returns the function
// that runs it after parsing; that function returns the process exit code.

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace tagmetry::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;           // everything done (or skipped by rule)
inline constexpr int kExitSomeFailed = 1;   // some items failed; the rest were processed
inline constexpr int kExitUsage = 2;        // usage error, or a model/config error that stops the run

using RunFunction = std::function<int()>;
using SetupFunction = std::function<RunFunction(CLI::App& sub)>;

struct CommandSpec {
  std::string name;
  std::string description;
  SetupFunction setup;
  int order = 100;  // position in --help
};

std::vector<CommandSpec>& command_registry();

struct CommandRegistration {
  explicit CommandRegistration(CommandSpec spec) { command_registry().push_back(std::move(spec)); }
};

}  // namespace tagmetry::cli

#define TAGMETRY_COMMAND_CONCAT2(a, b) a##b
#define TAGMETRY_COMMAND_CONCAT(a, b) TAGMETRY_COMMAND_CONCAT2(a, b)
// Registers a subcommand: TAGMETRY_COMMAND("tag", "Tag images with a WD/JoyTag model", 10, setup_fn);
#define TAGMETRY_COMMAND(name, description, order, setup)                          \
  static ::tagmetry::cli::CommandRegistration TAGMETRY_COMMAND_CONCAT(kCommand_, __LINE__)( \
      ::tagmetry::cli::CommandSpec{name, description, setup, order})

// Registers the subcommand of a library operation (include/tagmetry/operation.h): its name and --help line
// come from the declaration. TAGMETRY_OPERATION_COMMAND(retag_operation(), 11, setup);
#define TAGMETRY_OPERATION_COMMAND(operation, order, setup)                                         \
  static ::tagmetry::cli::CommandRegistration TAGMETRY_COMMAND_CONCAT(kCommand_, __LINE__)( \
      ::tagmetry::cli::CommandSpec{(operation).info.name, (operation).info.summary, setup, order})
