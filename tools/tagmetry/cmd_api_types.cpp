// tagmetry api-types: prints the web API's parameter types as TypeScript, generated from the option
// declarations (the content of web/src/generated/api_params.ts).
#include <cstdio>

#include "command.h"
#include "tagmetry/server.h"

namespace tagmetry::cli {
namespace {

RunFunction setup(CLI::App&) {
  return [] {
    std::fputs(web_api_typescript().c_str(), stdout);
    return kExitOk;
  };
}

}  // namespace

TAGMETRY_COMMAND("api-types", "Print the web API's parameter types as TypeScript (web/src/generated/)", 210, setup);

}  // namespace tagmetry::cli
