#pragma once
// What `tagmetry lint` and `tagmetry stats --lint` share: lint's options (declared once, in
// cmd_lint.cpp), how its findings print, and keeping a loaded dataset until the process ends.

#include <memory>
#include <string>
#include <vector>

#include "tagmetry/lint.h"
#include "tagmetry/options.h"

namespace tagmetry::cli {

struct LintCliParams {
  std::string trigger;
  int resolution = 512;
  std::string config;
  bool json = false;
  bool recursive = false;
  std::string caption_extension = ".txt";
  int max_tokens = 75;
  std::string tags_db;
  bool no_tags_db = false;
  int threads = 0;
};

// Every option of `tagmetry lint`.
const OptionSet<LintCliParams>& lint_cli_options();

// The options of lint_cli_options() that choose what the rules check (trigger, resolution, config,
// max-tokens), for a command that lints besides its own work (`stats --lint`).
const OptionSet<LintCliParams>& lint_rule_cli_options();

// The rule parameters of `p`.
LintParams lint_params_from(const LintCliParams& p);

// Prints findings as `tagmetry lint` does without --json: one line per finding, up to 5 files, then
// the totals for `images` images.
void print_lint_text(const std::vector<LintFinding>& findings, size_t images);

// Keeps `value` alive until the process ends and never destroys it: freeing a loaded dataset (millions
// of small allocations) only slows the exit of a command that is done with it. Still reachable, so
// leak checkers do not report it.
template <class T>
void keep_until_exit(T&& value) {
  static auto* kept = new std::vector<std::shared_ptr<void>>();
  kept->push_back(std::make_shared<std::decay_t<T>>(std::forward<T>(value)));
}

}  // namespace tagmetry::cli
