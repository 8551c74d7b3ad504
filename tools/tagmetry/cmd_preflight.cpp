// tagmetry preflight DIR: every way kohya-ss sd-scripts would read this training set-up differently from
// what its author means (library: kohya_preflight.h; docs/preflight.md).
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/kohya_preflight.h"

namespace tagmetry::cli {
namespace {

void print_text(const KohyaPreflightReport& r, size_t max_files) {
  for (auto& f : r.findings) {
    std::printf("%-7s %-22s %s\n", f.severity.c_str(), f.rule.c_str(), f.message.c_str());
    for (size_t i = 0; i < f.files.size() && i < max_files; ++i) std::printf("        %s\n", f.files[i].c_str());
    if (f.files.size() > max_files) std::printf("        … and %zu more\n", f.files.size() - max_files);
    if (!f.fix.empty()) std::printf("        fix: %s\n", f.fix.c_str());
  }
  size_t problems = 0;
  for (auto& f : r.findings) problems += f.severity != "info";
  std::printf("%zu images; %s\n", r.images,
              problems == 0 ? "clean: kohya reads this set-up as written" : (std::to_string(problems) + " finding(s)").c_str());
}

RunFunction setup_preflight(CLI::App& sub) {
  auto dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  sub.add_option("DIR", *dir, "Dataset folder, kohya train_data_dir or `export kohya` folder")->required();
  auto bound = std::make_shared<BoundOptions<KohyaPreflightParams>>(sub, kohya_preflight_operation().options);
  sub.add_flag("--json", *json, "JSON output")->group("Output");
  return [dir, json, bound]() {
    if (*json) start_json_run();
    auto done = [&](int code) { return *json ? finish_json_run(code) : code; };
    KohyaPreflightParams p;
    if (Status s = bound->apply(p); !s.ok()) return print_error(s), done(kExitUsage);
    auto r = kohya_preflight(*dir, p);
    if (!r.ok()) return print_error(r.status()), done(kExitUsage);
    if (*json) std::cout << r->to_json() << "\n";
    else print_text(*r, p.all_files ? SIZE_MAX : 5);
    return done(r->has_findings() ? kExitSomeFailed : kExitOk);
  };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(kohya_preflight_operation(), 75, setup_preflight);
}  // namespace tagmetry::cli
