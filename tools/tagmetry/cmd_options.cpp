// tagmetry options COMMAND: prints a command's option table as Markdown, generated from the operation's
// declaration in the library — the same declaration the CLI flags, the HTTP parameters and the front end's
// types come from. `--json` prints every declaration; `--typescript` the front end's parameter types
// (web/src/generated/operations.ts). tests/cli/operations_test.cpp checks docs/, --help and web/ against them.
#include <cstdio>

#include "cli_output.h"
#include "command.h"
#include "tagmetry/operation.h"
#include "tagmetry/strings.h"

namespace tagmetry::cli {
namespace {

struct OptionsCommand {
  std::vector<std::string> name;  // "tag", or "models pull" as two words
  bool json = false;
  bool typescript = false;

  int run() const {
    if (json) {
      std::fputs(operations_json().c_str(), stdout);
      return kExitOk;
    }
    if (typescript) {
      std::fputs(operations_typescript().c_str(), stdout);
      return kExitOk;
    }
    std::string joined = join(name, " ");
    if (joined.empty()) {
      print_error("name a command (`tagmetry options tag`), or pass --json or --typescript");
      return kExitUsage;
    }
    const OperationDoc* op = find_operation_doc(joined);
    if (!op) {
      print_error("no option table for '" + joined + "'");
      return kExitUsage;
    }
    std::fputs(op->table.c_str(), stdout);
    return kExitOk;
  }
};

RunFunction setup(CLI::App& app) {
  auto cmd = std::make_shared<OptionsCommand>();
  app.add_option("command", cmd->name, "Command whose options to print");
  app.add_flag("--json", cmd->json, "Print every operation's declaration as JSON");
  app.add_flag("--typescript", cmd->typescript, "Print the web front end's parameter types (TypeScript)");
  return [cmd] { return cmd->run(); };
}

}  // namespace

TAGMETRY_COMMAND("options", "Print a command's options as a Markdown table (for docs); --json: all declarations", 200,
                 setup);

}  // namespace tagmetry::cli
