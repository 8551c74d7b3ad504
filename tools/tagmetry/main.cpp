// tagmetry: the command-line front end. Each subcommand lives in its own cmd_*.cpp and registers itself;
// this file only assembles them and maps errors to exit codes.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli_output.h"
#include "command.h"
#include "tagmetry/infer.h"

int main(int argc, char** argv) {
  using namespace tagmetry::cli;
  CLI::App app{"Tagmetry: measured, training-ready, tag-captioned datasets for Stable Diffusion LoRA training",
               "tagmetry"};
  app.set_version_flag("--version", std::string("tagmetry ") + TAGMETRY_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  auto& registry = command_registry();
  std::stable_sort(registry.begin(), registry.end(),
                   [](const CommandSpec& a, const CommandSpec& b) { return a.order < b.order; });
  std::vector<std::pair<CLI::App*, RunFunction>> runs;
  for (auto& spec : registry) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.description);
    runs.emplace_back(sub, spec.setup(*sub));
  }

  // `tagmetry models quantize|compare …` are the same commands as `tagmetry quantize|compare …`.
  std::vector<char*> args(argv, argv + argc);
  if (args.size() >= 3 && std::string(args[1]) == "models" &&
      (std::string(args[2]) == "quantize" || std::string(args[2]) == "compare"))
    args.erase(args.begin() + 1);

  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  for (auto& [sub, run] : runs) {
    if (sub->parsed()) {
      int rc = kExitSomeFailed;
      try {
        rc = run();
      } catch (const std::exception& e) {
        print_error(std::string("internal error: ") + e.what());
      }
      // ORT's environment and provider libraries go now, not in static destructors at exit (see infer.h).
      tagmetry::shutdown_inference();
      return rc;
    }
  }
  return kExitUsage;
}
