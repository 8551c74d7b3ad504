// tagmetry tag DIR: auto-tag a folder with a WD14 / WD v3 / JoyTag model.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/progress.h"
#include "tagmetry/tag_pipeline.h"

namespace tagmetry::cli {
namespace {

std::atomic<bool> g_cancel{false};

void on_sigint(int) {
  if (g_cancel.exchange(true)) std::_Exit(130);  // second Ctrl-C: stop now (the database and captions stay consistent)
}

struct TagCommand {
  std::string dir;
  bool json = false;
  TagParams params;
  std::unique_ptr<BoundOptions<TagParams>> bound;

  int run() {
    Status s = bound->apply(params);
    if (!s.ok()) {
      print_error(s);
      return kExitUsage;
    }
    params.command_line = command_line("tagmetry tag");
    params.caption_extension = resolve_caption_extension(dir, params.recursive, params.caption_extension,
                                                         bound->given("caption-extension"));
    const bool progress_on = show_progress(json);
    std::unique_ptr<ProgressReporter> download;  // one bar per file: `done` restarts at 0 for each
    std::string download_file;
    TaggerModelOptions model_options;
    model_options.int8_sample = dir;
    model_options.note = [&](const std::string& text) {
      if (download) download->finish();
      print_note(text);
    };
    model_options.progress = [&](const DownloadProgress& p) {
      if (!progress_on) return true;
      if (!download || p.file != download_file) {
        if (download) download->finish();
        download = std::make_unique<ProgressReporter>("download " + p.file, p.total, true, "B");
        download_file = p.file;
      }
      download->set_total(p.total);
      if (p.done > download->done()) download->advance(p.done - download->done());
      return !g_cancel.load();
    };
    auto model = resolve_tagger_model(params, model_options);
    if (download) download->finish();
    if (!model.ok()) {
      // Whatever the cause (not found, no network, refused token), no model means the run cannot start.
      print_error(model.status());
      return kExitUsage;
    }

    std::signal(SIGINT, on_sigint);
    ProgressReporter progress("tag", 0, progress_on);
    TagCallbacks callbacks;
    callbacks.cancel = &g_cancel;
    callbacks.on_progress = [&](size_t done, size_t total) {
      progress.set_total(total);
      progress.advance(done - progress.done());
    };
    callbacks.on_item = [&](const TagItemResult& r) {
      if (r.outcome == ItemOutcome::kFailed) {
        progress.finish();  // keep the error on its own line
        print_error(r.message);
      }
    };
    auto report = run_tagging(dir, *model, params, callbacks);
    progress.finish();
    std::signal(SIGINT, SIG_DFL);
    if (!report.ok()) {
      print_error(report.status());
      return exit_code_for(report.status());
    }
    print_report(*report);
    if (report->cancelled) return kExitSomeFailed;
    return report->failed > 0 ? kExitSomeFailed : kExitOk;
  }

  void print_report(const TagReport& r) const {
    if (json) {
      nlohmann::json out = to_json(r, params.mcut);
      std::printf("%s\n", out.dump(2).c_str());
      return;
    }
    size_t done = r.tagged + r.appended + r.overwritten;
    std::printf("tagged %zu of %zu images in %.1fs", done, r.images, r.seconds);
    if (r.seconds > 0 && done > 0) std::printf(" (%.2f img/s)", done / r.seconds);
    std::printf("\n");
    std::printf("  device %s: %s\n", r.device.c_str(), r.placement.c_str());
    if (r.reused) std::printf("  %zu from stored scores (no inference; --force to run the model again)\n", r.reused);
    if (r.other_shards) std::printf("  %zu left to other shards\n", r.other_shards);
    if (r.appended) std::printf("  %zu captions extended (--append)\n", r.appended);
    if (r.overwritten) std::printf("  %zu captions replaced (--overwrite; backups beside them)\n", r.overwritten);
    if (r.skipped_existing)
      std::printf("  %zu skipped: caption already exists (use --append to merge or --overwrite to replace)\n",
                  r.skipped_existing);
    if (r.failed) std::printf("  %zu failed (listed above)\n", r.failed);
    if (r.cancelled)
      std::printf("interrupted: %zu images left. Run the same command again to finish them "
                  "(images that already have a caption are skipped; stored scores are reused).\n",
                  r.images - done - r.skipped_existing - r.failed);
  }
};

RunFunction setup(CLI::App& app) {
  auto cmd = std::make_shared<TagCommand>();
  app.add_option("dir", cmd->dir, "Dataset folder with images")->required()->check(CLI::ExistingDirectory);
  app.add_flag("--json", cmd->json, "Print a JSON summary on stdout");
  cmd->bound = std::make_unique<BoundOptions<TagParams>>(app, tag_options());
  app.get_option("--model")->excludes(app.get_option("--model-dir"));  // a name or a folder, not both
  return [cmd] { return cmd->run(); };
}

}  // namespace

TAGMETRY_COMMAND("tag", "Tag images with a WD14 / WD v3 / JoyTag model and write kohya-compatible captions", 10, setup);

}  // namespace tagmetry::cli
