// tagmetry generate REQUEST_OR_TAGS --backend a1111|comfyui|runpod --url URL --out DIR (library:
// tagmetry/generate.h): build the prompt, drive the generator, save PNGs with A1111 parameters.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <iterator>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/generate.h"
#include "tagmetry/strings.h"

namespace tagmetry::cli {
namespace {

std::atomic<bool> g_cancel{false};

void on_sigint(int) {
  if (g_cancel.exchange(true)) std::_Exit(130);  // second Ctrl-C: stop now
}

int run_check(const GenerateParams& p, Generator& generator) {
  auto report = check_generator(p, generator);
  if (!report.ok()) {
    print_error(report.status());
    return kExitUsage;
  }
  if (p.json) {
    std::cout << report->to_json() << "\n";
  } else {
    auto list = [](const char* what, const std::vector<std::string>& names) {
      std::cout << what << " (" << names.size() << "): " << join(names, ", ") << "\n";
    };
    std::cout << p.url << ": reachable\n";
    list("checkpoints", report->inventory.checkpoints);
    list("loras", report->inventory.loras);
    list("samplers", report->inventory.samplers);
    list("schedulers", report->inventory.schedulers);
    for (auto& problem : report->problems) print_error(problem);
  }
  return report->problems.empty() ? kExitOk : kExitSomeFailed;
}

int run_generate_command(const GenerateParams& p, const std::vector<std::string>& words) {
  auto generator = open_generator(p);
  if (!generator.ok()) {
    print_error(generator.status());
    return kExitUsage;
  }
  if (p.check) return run_check(p, **generator);
  std::string text = join(words, " ");
  if (words.empty()) {
    if (::isatty(0)) {
      print_error("give a request (tagmetry generate 青い髪の女の子 …), tags or a caption file");
      return kExitUsage;
    }
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  auto builder = PromptBuilder::open(p);
  if (!builder.ok()) {
    print_error(builder.status());
    return kExitUsage;
  }
  const bool progress_on = !p.no_progress && show_progress(p.json);
  GeneratorProgressFn progress;
  if (progress_on)
    progress = [](const GeneratorProgress& g) {
      if (g.steps > 0)
        std::fprintf(stderr, "\rgenerate  step %d/%d  %3.0f%%  ", g.step, g.steps, g.fraction * 100);
      else
        std::fprintf(stderr, "\rgenerate  waiting for the server…  ");
      std::fflush(stderr);
    };
  std::signal(SIGINT, on_sigint);
  auto report = run_generate(p, **builder, text, progress, g_cancel, generator->get());
  std::signal(SIGINT, SIG_DFL);
  if (progress_on) std::fprintf(stderr, "\r\033[K");
  if (!report.ok()) {
    print_error(report.status());
    return kExitUsage;
  }
  if (p.json) {
    std::cout << report->to_json() << "\n";
  } else {
    for (auto& i : report->images) std::cout << i.png.string() << "\n";
    for (auto& e : report->errors) print_error(e);
    if (report->interrupted)
      print_warning("interrupted: kept the " + std::to_string(report->images.size()) + " images received");
  }
  return report->errors.empty() && !report->interrupted ? kExitOk : kExitSomeFailed;
}

RunFunction setup_generate(CLI::App& sub) {
  auto params = std::make_shared<GenerateParams>();
  auto words = std::make_shared<std::vector<std::string>>();
  auto bound = std::make_shared<BoundOptions<GenerateParams>>(sub, generate_operation());
  sub.add_option("text", *words, "Request (青い髪の女の子), tags (1girl, smile) or a caption file");
  sub.footer(
      "Example: tagmetry generate 青い髪の女の子 --style animagine-xl-4.0 --backend a1111 --url http://127.0.0.1:7860 "
      "--out gen --lora mychar:0.8 --count 4");
  return [params, words, bound]() {
    Status s = bound->apply(*params);
    if (!s.ok()) {
      print_error(s);
      return kExitUsage;
    }
    return run_generate_command(*params, *words);
  };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(generate_operation(), 63, setup_generate);

}  // namespace tagmetry::cli
