// tagmetry retag DIR: re-derive captions from stored scores with new selection options (no model).
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/progress.h"
#include "tagmetry/retag.h"
#include "tagmetry/tag_pipeline.h"

namespace tagmetry::cli {
namespace {

std::atomic<bool> g_cancel{false};
void on_sigint(int) {
  if (g_cancel.exchange(true)) std::_Exit(130);
}

struct RetagCommand {
  std::string dir;
  bool json = false;
  RetagParams params;
  std::unique_ptr<BoundOptions<RetagParams>> bound;

  int run() {
    Status s = bound->apply(params);
    if (!s.ok()) {
      print_error(s);
      return kExitUsage;
    }
    params.command_line = command_line("tagmetry retag");
    ProgressReporter progress("retag", 0, show_progress(json));
    RetagCallbacks callbacks;
    callbacks.cancel = &g_cancel;
    callbacks.on_progress = [&](size_t done, size_t total) {
      progress.set_total(total);
      progress.advance(done - progress.done());
    };
    std::signal(SIGINT, on_sigint);
    auto report = run_retag(dir, params, callbacks);
    std::signal(SIGINT, SIG_DFL);
    progress.finish();
    if (!report.ok()) {
      print_error(report.status());
      return exit_code_for(report.status());
    }
    for (auto& [path, msg] : report->failures) print_error(msg.find(path) == std::string::npos ? path + ": " + msg : msg);
    print_report(*report);
    if (report->cancelled) return kExitSomeFailed;
    return report->failed > 0 ? kExitSomeFailed : kExitOk;
  }

  void print_report(const RetagReport& r) const {
    if (json) {
      nlohmann::json failures = nlohmann::json::array();
      for (auto& [path, msg] : r.failures) failures.push_back({{"path", path}, {"error", msg}});
      nlohmann::json out{{"images", r.images},         {"written", r.written},
                         {"unchanged", r.unchanged},   {"no_scores", r.no_scores},
                         {"kept_edited", r.kept_edited}, {"failed", r.failed},
                         {"reapplied", r.reapplied},   {"kept_policy", r.kept_policy},
                         {"failures", failures},       {"kept", r.kept},
                         {"missing", r.missing},       {"backups", r.backups},
                         {"dry_run", params.dry_run},  {"cancelled", r.cancelled},
                         {"seconds", r.seconds},       {"model", r.model_name},
                         {"model_sha256", r.model_sha256},
                         {"mcut", params.mcut},
                         {"thresholds", thresholds_json(params.mcut, r.thresholds, r.thresholds_used)}};
      std::printf("%s\n", out.dump(2).c_str());
      return;
    }
    std::printf("%s %zu of %zu captions from stored scores of %s in %.2fs\n", params.dry_run ? "would write" : "wrote",
                r.written, r.images, r.model_name.c_str(), r.seconds);
    if (r.unchanged) std::printf("  %zu unchanged\n", r.unchanged);
    if (r.reapplied)
      std::printf("  %zu with your later `edit` changes (added tags such as the trigger, removed tags) re-applied on top\n",
                  r.reapplied);
    if (r.kept_edited > r.kept_policy.size())
      std::printf("  %zu kept: not written by Tagmetry or edited by hand since (--append to merge, --overwrite to replace)\n",
                  r.kept_edited - r.kept_policy.size());
    if (!r.kept_policy.empty())
      std::printf("  %zu kept: last written by `policy apply` (run `tagmetry retag --overwrite`, then `tagmetry policy "
                  "apply` again: it takes the retagged captions as its new source)\n",
                  r.kept_policy.size());
    if (r.no_scores)
      std::printf("  %zu without stored scores for this model (run `tagmetry tag` on them first)\n", r.no_scores);
    if (r.failed) std::printf("  %zu failed (listed above)\n", r.failed);
    if (r.cancelled) std::printf("interrupted before writing; nothing changed. Run the same command again.\n");
  }
};

RunFunction setup(CLI::App& app) {
  auto cmd = std::make_shared<RetagCommand>();
  app.add_option("dir", cmd->dir, "Dataset folder tagged before with `tagmetry tag`")->required()->check(CLI::ExistingDirectory);
  app.add_flag("--json", cmd->json, "Print a JSON summary on stdout");
  cmd->bound = std::make_unique<BoundOptions<RetagParams>>(app, retag_options());
  return [cmd] { return cmd->run(); };
}

}  // namespace

TAGMETRY_COMMAND("retag", "Re-derive captions from stored scores with new thresholds/options (no model run)", 11, setup);

}  // namespace tagmetry::cli
