// tagmetry tags DIR --image FILE: where each tag of the image's caption came from (the model with its
// score and threshold, an edit, a review decision, or outside Tagmetry).
#include <cstdio>
#include <memory>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/provenance.h"

namespace tagmetry::cli {
namespace {

struct TagsCommand {
  std::string dir;
  bool json = false;
  ProvenanceParams params;
  std::unique_ptr<BoundOptions<ProvenanceParams>> bound;

  int run() {
    Status s = bound->apply(params);
    auto p = s.ok() ? run_tag_provenance(dir, params) : Result<CaptionProvenance>(s);
    if (!p.ok()) {
      print_error(p.status());
      return exit_code_for(p.status());
    }
    if (json) {
      std::printf("%s\n", p->to_json().c_str());
      return kExitOk;
    }
    std::printf("%s (%s)%s\n", p->caption.c_str(), p->model.empty() ? "no stored scores" : p->model.c_str(),
                p->changed_outside ? "; changed outside Tagmetry since its last write" : "");
    for (auto& t : p->tags) {
      std::string detail;
      if (t.score) detail += "score " + std::to_string(*t.score).substr(0, 5);
      if (t.threshold) detail += " >= " + std::to_string(*t.threshold).substr(0, 5);
      if (!t.command.empty()) detail += "  by `" + t.command + "` (operation #" + std::to_string(t.operation_id) + ")";
      if (t.decision) detail += std::string("  review: ") + verdict_name(*t.decision);
      std::printf("  %-32s %-8s %s\n", t.tag.c_str(), origin_name(t.origin), detail.c_str());
    }
    return kExitOk;
  }
};

RunFunction setup(CLI::App& app) {
  auto cmd = std::make_shared<TagsCommand>();
  app.add_option("dir", cmd->dir, "Dataset folder")->required()->check(CLI::ExistingDirectory);
  app.add_flag("--json", cmd->json, "Print JSON on stdout");
  cmd->bound = std::make_unique<BoundOptions<ProvenanceParams>>(app, provenance_options());
  return [cmd] { return cmd->run(); };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(provenance_operation(), 14, setup);

}  // namespace tagmetry::cli
