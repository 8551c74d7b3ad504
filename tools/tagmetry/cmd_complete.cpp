// tagmetry complete TAGS: extends a tag list with a tag language model (Dart v2) on llama.cpp, offline.
#include <cstdio>
#include <iostream>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/complete.h"
#include "tagmetry/strings.h"

namespace tagmetry::cli {
namespace {

RunFunction setup_complete(CLI::App& sub) {
  auto params = std::make_shared<CompleteParams>();
  auto tags = std::make_shared<std::vector<std::string>>();
  auto json = std::make_shared<bool>(false);
  auto bound = std::make_shared<BoundOptions<CompleteParams>>(sub, complete_options());
  sub.add_option("tags", *tags, "The tags to complete, comma-separated (\"1girl, blue hair, smile\")")->required();
  sub.add_flag("--json", *json, "Print one JSON object: input, added, tags, model, seed, tokens, seconds");
  sub.footer("Example: tagmetry complete \"1girl, blue hair, cherry blossoms\" --aspect 832:1216 --seed 1");
  return [params, tags, json, bound]() {
    if (*json) start_json_run();
    Status s = bound->apply(*params);
    if (!s.ok()) {
      print_error(s);
      return *json ? finish_json_run(kExitUsage) : kExitUsage;
    }
    CompleteCallbacks cb;
    if (show_progress(*json)) cb.on_status = [](const std::string& what) { print_note(what); };
    // Shell words are joined with spaces, so `tagmetry complete 1girl, blue hair` works unquoted.
    auto r = complete_tags({join(*tags, " ")}, *params, cb);
    if (!r.ok()) {
      print_error(r.status());
      int code = exit_code_for(r.status());
      return *json ? finish_json_run(code) : code;
    }
    if (*json) {
      std::cout << r->to_json() << "\n";
      return kExitOk;
    }
    std::cout << join(r->tags, ", ") << "\n";
    std::string note = "added " + std::to_string(r->added.size()) + " tags with " + r->model + " (seed " +
                       std::to_string(r->seed) + ")";
    if (!r->dropped.empty()) {
      std::vector<std::string> d;
      for (auto& x : r->dropped) d.push_back(x.tag + " (" + x.reason + ")");
      note += "; dropped: " + join(d, ", ");
    }
    if (!r->not_in_vocabulary.empty()) note += "; unknown to the model: " + join(r->not_in_vocabulary, ", ");
    print_note(note);
    return kExitOk;
  };
}

}  // namespace

TAGMETRY_COMMAND("complete", "Extend a tag list with a tag language model (Dart v2), offline", 62, setup_complete);

}  // namespace tagmetry::cli
