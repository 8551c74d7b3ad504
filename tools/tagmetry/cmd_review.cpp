// tagmetry review DIR: the borderline tag decisions that matter most, first; --accept/--reject IMAGE
// --tag TAG decide (written to the caption through the journal, remembered across retags); --undo
// reverts the last decision. The web app's review page (`tagmetry serve`, #/review) is the keyboard way.
#include <cstdio>
#include <memory>
#include <vector>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/review.h"

namespace tagmetry::cli {
namespace {

struct ReviewCommand {
  std::string dir;
  bool json = false;
  ReviewParams params;
  std::unique_ptr<BoundOptions<ReviewParams>> bound;

  int fail(const Status& s) {
    print_error(s);
    return exit_code_for(s);
  }

  int run() {
    if (Status s = bound->apply(params); !s.ok()) return fail(s);
    if (params.undo || !params.accept.empty() || !params.reject.empty()) return decide();
    auto queue = build_review_queue(dir, params);
    if (!queue.ok()) return fail(queue.status());
    if (json) {
      std::printf("%s\n", queue->to_json().c_str());
      return kExitOk;
    }
    print_queue(*queue);
    return kExitOk;
  }

  int decide() {
    const bool undo = params.undo;
    const std::vector<std::string>& accept = params.accept;
    const std::vector<std::string>& reject = params.reject;
    if (undo && (!accept.empty() || !reject.empty()))
      return fail(invalid_argument("--undo cannot be combined with --accept or --reject"));
    if (!undo && params.tag.empty()) return fail(invalid_argument("--accept and --reject need --tag TAG"));
    namespace fs = std::filesystem;
    const fs::path db = params.db.empty() ? default_store_path(dir) : fs::path(params.db);
    auto opened = open_journaled_dataset(dir, db, /*create=*/false);
    if (!opened.ok()) return fail(opened.status());
    const std::string args = command_line("tagmetry review");
    std::vector<std::string> results;
    if (undo) {
      auto r = undo_review_decision(*opened, args);
      if (!r.ok()) return fail(r.status());
      if (!*r) {
        if (json) std::printf("[]\n");
        else std::printf("no review decision to undo\n");
        return kExitOk;
      }
      if (json) std::printf("[%s]\n", (*r)->to_json().c_str());
      else std::printf("undid %s %s on %s%s\n", verdict_name((*r)->verdict), (*r)->label.c_str(), (*r)->image.c_str(),
                       (*r)->written ? " (caption restored)" : "");
      return kExitOk;
    }
    int code = kExitOk;
    std::string out = "[";
    auto run_one = [&](const std::string& image, ReviewVerdict verdict) {
      ReviewDecisionRequest req{image, params.tag, verdict, params.model, params.caption_extension};
      auto r = decide_review(*opened, req, args);
      if (!r.ok()) {
        print_error(r.status());
        code = kExitSomeFailed;
        return;
      }
      if (json) out += (out.size() > 1 ? "," : "") + r->to_json();
      else std::printf("%s %s on %s: %s\n", verdict_name(verdict), r->label.c_str(), r->image.c_str(),
                       r->written ? ("wrote " + r->caption).c_str() : "caption already agreed");
    };
    for (auto& i : accept) run_one(i, ReviewVerdict::kAccept);
    for (auto& i : reject) run_one(i, ReviewVerdict::kReject);
    if (json) std::printf("%s]\n", out.c_str());
    return code;
  }

  void print_queue(const ReviewQueue& q) const {
    std::printf("%zu tag(s) to review from the scores of %s (%zu of %zu images scored, margin %.2f) in %.2fs\n",
                q.tags.size(), q.model_name.c_str(), q.scored, q.images, q.margin, q.seconds);
    for (auto& t : q.tags) {
      size_t in = 0;
      for (auto& i : t.items) in += i.in_caption;
      std::printf("  %-32s threshold %.2f  %zu borderline (%zu shown: %zu in caption)  on %zu image(s)  priority %.1f\n",
                  t.label.c_str(), t.threshold, t.borderline, t.items.size(), in, t.frequency, t.priority);
    }
    if (!q.tags.empty())
      std::printf("decide with: tagmetry review %s --tag TAG --accept IMAGE --reject IMAGE (or the web app's review page)\n",
                  dir.c_str());
  }
};

RunFunction setup(CLI::App& app) {
  auto cmd = std::make_shared<ReviewCommand>();
  app.add_option("dir", cmd->dir, "Dataset folder tagged before with `tagmetry tag`")->required()->check(CLI::ExistingDirectory);
  app.add_flag("--json", cmd->json, "Print JSON on stdout");
  cmd->bound = std::make_unique<BoundOptions<ReviewParams>>(app, review_options());
  return [cmd] { return cmd->run(); };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(review_operation(), 12, setup);

}  // namespace tagmetry::cli
