// tagmetry prompt REQUEST_OR_TAGS: build a generator prompt in a model's style (library: tagmetry/prompt.h).
#include <unistd.h>

#include <iostream>
#include <iterator>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/prompt.h"
#include "tagmetry/strings.h"

namespace tagmetry::cli {
namespace {

int run_prompt(const PromptParams& p, const std::vector<std::string>& words) {
  std::string text = join(words, " ");
  if (words.empty()) {
    if (::isatty(0)) {
      print_error("give a request (tagmetry prompt 青い髪の女の子), tags or a caption file, or text on standard input");
      return kExitUsage;
    }
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  auto style = load_prompt_style(p.style);
  if (!style.ok()) {
    print_error(style.status());
    return kExitUsage;
  }
  auto builder = PromptBuilder::open(p);
  if (!builder.ok()) {
    print_error(builder.status());
    return kExitUsage;
  }
  auto r = (*builder)->build(p, *style, text);
  if (!r.ok()) {
    print_error(r.status());
    return kExitUsage;
  }
  if (p.json) {
    std::cout << r->to_json() << "\n";
    return kExitOk;
  }
  std::cout << r->positive << "\n";
  if (!r->negative.empty()) std::cout << "Negative prompt: " << r->negative << "\n";
  std::cout << "Steps: " << r->steps << ", Sampler: " << r->sampler << ", Schedule type: " << r->scheduler
            << ", CFG scale: " << r->cfg << ", Size: " << r->size.width << "x" << r->size.height << "\n";
  if (!r->unmatched.empty()) std::cerr << "unmatched: " << join(r->unmatched, ", ") << "\n";
  if (r->completion_seed)
    std::cerr << "completed with " << r->completion_model << " (seed " << *r->completion_seed
              << "): " << (r->completed.empty() ? "nothing added" : join(r->completed, ", ")) << "\n";
  return kExitOk;
}

RunFunction setup_prompt(CLI::App& sub) {
  auto params = std::make_shared<PromptParams>();
  auto words = std::make_shared<std::vector<std::string>>();
  auto bound = std::make_shared<BoundOptions<PromptParams>>(sub, prompt_operation());
  sub.add_option("text", *words,
                 "Request (青い髪の女の子), tags (1girl, smile) or a caption file (read from stdin when absent)");
  sub.footer(
      "Example: tagmetry prompt 青い髪の女の子 --style animagine-xl-3.1 --trigger mychar --lora mychar:0.8 --json");
  return [params, words, bound]() {
    Status s = bound->apply(*params);
    if (!s.ok()) {
      print_error(s);
      return kExitUsage;
    }
    return run_prompt(*params, *words);
  };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(prompt_operation(), 62, setup_prompt);

}  // namespace tagmetry::cli
