// tagmetry options COMMAND: prints the option table of a command as Markdown, generated from the same
// declaration the CLI flags come from (docs/*.md embed it; tests/cli checks they are in sync).
#include <cstdio>
#include <functional>
#include <map>

#include "cli_output.h"
#include "command.h"
#include "tagmetry/complete.h"
#include "tagmetry/kohya_caption.h"
#include "tagmetry/kohya_export.h"
#include "tagmetry/prepare.h"
#include "tagmetry/retag.h"
#include "tagmetry/server.h"
#include "tagmetry/tag_pipeline.h"

namespace tagmetry::cli {
namespace {

const std::map<std::string, std::function<std::string()>>& tables() {
  static const std::map<std::string, std::function<std::string()>> t{
      {"tag", [] { return tag_options().markdown(); }},
      {"retag", [] { return retag_options().markdown(); }},
      {"prepare", [] { return prepare_options().markdown(); }},
      {"serve", [] { return serve_options().markdown(); }},
      {"simulate", [] { return kohya_caption_options().markdown(); }},
      {"export", [] { return kohya_export_options().markdown(); }},
      {"complete", [] { return complete_options().markdown(); }},
  };
  return t;
}

RunFunction setup(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  app.add_option("command", *name, "Command whose options to print")->required();
  return [name] {
    auto it = tables().find(*name);
    if (it == tables().end()) {
      print_error("no option table for '" + *name + "'");
      return kExitUsage;
    }
    std::fputs(it->second().c_str(), stdout);
    return kExitOk;
  };
}

}  // namespace

TAGMETRY_COMMAND("options", "Print a command's options as a Markdown table (for docs)", 200, setup);

}  // namespace tagmetry::cli
