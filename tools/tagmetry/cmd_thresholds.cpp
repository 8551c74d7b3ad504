// tagmetry thresholds DIR: the per-tag thresholds learned from review decisions, with the decisions
// behind each and the precision / recall measured on them.
#include <cstdio>
#include <memory>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/tag_thresholds.h"

namespace tagmetry::cli {
namespace {

struct ThresholdsCommand {
  std::string dir;
  bool json = false, csv = false;
  ThresholdsParams params;
  std::unique_ptr<BoundOptions<ThresholdsParams>> bound;

  int run() {
    Status s = bound->apply(params);
    auto report = s.ok() ? run_thresholds(dir, params) : Result<ThresholdsReport>(s);
    if (!report.ok()) {
      print_error(report.status());
      return exit_code_for(report.status());
    }
    if (json) {
      std::printf("%s\n", report->to_json().c_str());
      return kExitOk;
    }
    if (csv) {  // what --thresholds FILE.csv reads
      std::printf("tag,threshold\n");
      for (auto& t : report->tags)
        if (t.learned) std::printf("%s,%.4f\n", t.label.c_str(), t.threshold);
      return kExitOk;
    }
    auto pct = [](const std::optional<double>& v) { return v ? std::to_string(static_cast<int>(*v * 100 + 0.5)) + "%" : std::string("-"); };
    std::printf("%zu review decision(s); thresholds of %s: general %.2f, character %.2f\n", report->decisions,
                report->model_name.c_str(), report->global.general, report->global.character);
    for (auto& t : report->tags)
      std::printf("  %-32s %.3f %-8s %3zu decision(s) (%zu accepted, %zu rejected)  precision %s  recall %s\n",
                  t.label.c_str(), t.threshold, t.learned ? "learned" : "fallback", t.decisions, t.accepted, t.rejected,
                  pct(t.precision).c_str(), pct(t.recall).c_str());
    return kExitOk;
  }
};

RunFunction setup(CLI::App& app) {
  auto cmd = std::make_shared<ThresholdsCommand>();
  app.add_option("dir", cmd->dir, "Dataset folder")->required()->check(CLI::ExistingDirectory);
  app.add_flag("--json", cmd->json, "Print JSON on stdout");
  app.add_flag("--csv", cmd->csv, "Print the learned thresholds as tag,threshold lines (for --thresholds FILE.csv)");
  cmd->bound = std::make_unique<BoundOptions<ThresholdsParams>>(app, thresholds_options());
  return [cmd] { return cmd->run(); };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(thresholds_operation(), 13, setup);

}  // namespace tagmetry::cli
