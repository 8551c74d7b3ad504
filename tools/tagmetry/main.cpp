// tagmetry: the command-line front end. Each subcommand lives in its own cmd_*.cpp and registers itself;
// this file only assembles them and maps errors to exit codes and messages (CLI11's included), in one place.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli_output.h"
#include "command.h"
#include "tagmetry/infer.h"

namespace tagmetry::cli {
namespace {

// True when the command line asks for JSON output (--json before any "--").
bool wants_json(const std::vector<char*>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string a = args[i];
    if (a == "--") break;
    if (a == "--json") return true;
  }
  return false;
}

// The innermost subcommand the parser reached (`app` itself when none).
const CLI::App* innermost(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) { return s->parsed(); }))
    return innermost(*sub);
  return &app;
}

std::string command_path(const CLI::App* app) {
  std::string path;
  for (; app; app = app->get_parent()) path = app->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// "unknown command 'frobnicate' for tagmetry edit; did you mean 'add'?" when `word` is close to one
// of `parent`'s subcommands, else the list of them.
std::string unknown_command(const CLI::App& parent, const std::string& word) {
  std::string best, names;
  size_t best_distance = 3;  // suggest only names at most 2 edits away, or that start with the word
  for (const CLI::App* sub : parent.get_subcommands({})) {
    const std::string& name = sub->get_name();
    names += (names.empty() ? "" : ", ") + name;
    size_t d = name.rfind(word, 0) == 0 && word.size() >= 2 ? 1 : edit_distance(word, name);
    if (d < best_distance) best_distance = d, best = name;
  }
  std::string message = "unknown command '" + word + "'";
  if (parent.get_parent()) message += " for " + command_path(&parent);
  if (!best.empty()) return message + "; did you mean '" + best + "'?";
  return message + " (commands: " + names + ")";
}

// Replaces `text`'s first "NAME: WHAT: PATH" (CLI11's validator wording) by "PATH: SAYING".
bool rewrite_missing_path(const std::string& text, const std::string& what, const std::string& saying,
                          std::string* out) {
  const std::string marker = what + ": ";
  auto at = text.find(marker);
  if (at == std::string::npos) return false;
  *out = text.substr(at + marker.size()) + ": " + saying;
  return true;
}

// A CLI11 parse error in Tagmetry's words, as a Status (not_found for a missing file or folder).
Status describe_parse_error(const CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* where = innermost(app);
  const std::string text = e.what();
  const bool needs_command = where->get_require_subcommand_min() > 0 && !where->get_subcommands({}).empty();
  if (needs_command && (dynamic_cast<const CLI::RequiredError*>(&e) || dynamic_cast<const CLI::ExtrasError*>(&e))) {
    for (const std::string& word : where->remaining())
      if (!word.empty() && word[0] != '-') return invalid_argument(unknown_command(*where, word));
    return invalid_argument("give a command (" + command_path(where) + " --help lists them)");
  }
  if (dynamic_cast<const CLI::ExcludesError*>(&e)) {  // CLI11: "--model excludes --model-dir"
    auto at = text.find(" excludes ");
    if (at != std::string::npos)
      return invalid_argument(text.substr(0, at) + " and " + text.substr(at + 10) + " cannot be used together");
  }
  std::string message;
  if (rewrite_missing_path(text, "Directory does not exist", "no such folder", &message) ||
      rewrite_missing_path(text, "File does not exist", "no such file", &message) ||
      rewrite_missing_path(text, "Path does not exist", "no such file or folder", &message))
    return not_found(message);
  if (rewrite_missing_path(text, "Directory is actually a file", "not a folder", &message) ||
      rewrite_missing_path(text, "File is actually a directory", "is a folder, not a file", &message))
    return invalid_argument(message);
  return invalid_argument(text + " (" + command_path(where) + " --help for usage)");
}

}  // namespace
}  // namespace tagmetry::cli

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

  // With --json every outcome reaches stdout: a run that stops prints a JSON error object there.
  const bool json = wants_json(args);
  if (json) start_json_run();
  auto finish = [json](int code) { return json ? finish_json_run(code) : code; };
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_error(describe_parse_error(app, e));
    return finish(kExitUsage);
  }
  for (auto& [sub, run] : runs) {
    if (sub->parsed()) {
      int rc = kExitSomeFailed;
      try {
        rc = finish(run());
      } catch (const std::exception& e) {
        print_error(tagmetry::internal_error(std::string("internal error: ") + e.what()));
        rc = finish(kExitUsage);
      }
      // ORT's environment and provider libraries go now, not in static destructors at exit (see infer.h).
      tagmetry::shutdown_inference();
      return rc;
    }
  }
  return finish(kExitUsage);
}
